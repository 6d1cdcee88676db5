"""Writing an index version: stream articles, chunks and vectors into a temporary folder, then publish it.

A build writes a new version folder and then swaps the `current` link with one rename, so a reader
always sees a complete index and a failed or killed build leaves the served one untouched. The writer
streams: article texts, metadata and vectors go to disk as they come, so a build holds only one batch
of text at a time. One build at a time holds the index folder's lock.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .manifest import Manifest
from .store import (
    ARTICLES,
    CHUNKS,
    CURRENT,
    DENSE,
    KEEP_VERSIONS,
    LEXICAL,
    MANIFEST,
    MINHASH,
    TEXT,
    VECTORS,
    VERSIONS,
    BuildLockedError,
)


class IndexWriter:
    """Writes one new index version into a temporary folder; `publish` makes it the served one.

    Streaming use: `add_article` / `add_chunks` / `add_vectors` as data comes, `update_article` for
    metadata learnt later (syndicated copies), then `finish`.
    """

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        self.name = stamp
        self.tmp_dir = self.index_dir / VERSIONS / f".tmp-{stamp}"
        self.n_articles = 0
        self.n_vectors = 0
        self._offset = 0
        self._rows: list[np.ndarray] = []
        self._updates: dict[int, dict[str, Any]] = {}
        self._files: dict[str, Any] = {}

    def __enter__(self) -> IndexWriter:
        self.tmp_dir.mkdir(parents=True)
        self._files = {
            "blob": open(self.tmp_dir / TEXT, "wb"),  # closed in finish or __exit__
            "meta": open(self.tmp_dir / "articles.partial.jsonl", "w", encoding="utf-8"),
            "vectors": open(self.tmp_dir / VECTORS, "wb"),
        }
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._close()
        if self.tmp_dir.exists():  # not published: clean up the partial build
            shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def _close(self) -> None:
        for fh in self._files.values():
            fh.close()

    def add_article(self, record: dict[str, Any], text: str, signature: np.ndarray | None = None) -> int:
        """Append one article (metadata without its text, its text, and optionally its MinHash row)."""
        if signature is not None:
            if "minhash" not in self._files:
                self._files["minhash"] = open(self.tmp_dir / MINHASH, "wb")  # noqa: SIM115 - closed with the rest
            self._files["minhash"].write(np.asarray(signature, dtype=np.uint64).tobytes())
        data = text.encode("utf-8")
        self._files["blob"].write(data)
        record = {k: v for k, v in record.items() if k != "text"}
        record.update(offset=self._offset, length=len(data))
        self._files["meta"].write(json.dumps(record, ensure_ascii=False) + "\n")
        self._offset += len(data)
        self.n_articles += 1
        return self.n_articles - 1

    def update_article(self, article_index: int, **fields: Any) -> None:
        """Metadata to merge into an already added article when the version is finished."""
        self._updates.setdefault(article_index, {}).update(fields)

    def add_chunks(self, rows: np.ndarray) -> None:
        """Append chunk rows (article index, start, end)."""
        self._rows.append(np.asarray(rows, dtype=np.int32).reshape(-1, 3))

    def add_vectors(self, vectors: np.ndarray) -> None:
        """Append vectors, in chunk order."""
        self._files["vectors"].write(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
        self.n_vectors += len(vectors)

    def vectors(self, dim: int) -> np.ndarray:
        """The vectors written so far, memory-mapped (n x dim)."""
        self._files["vectors"].flush()
        if not self.n_vectors:
            return np.zeros((0, dim), np.float32)
        return np.memmap(self.tmp_dir / VECTORS, dtype=np.float32, mode="r", shape=(self.n_vectors, dim))

    def finish(self, dense: Any, lexical: Any, manifest: Manifest) -> None:
        """Write the chunk table, the vector and lexical indexes and the manifest."""
        import faiss

        self._close()
        out = self.tmp_dir
        if self.n_vectors == 0:  # vectors were not given (`write` without them): only the FAISS copy
            (out / VECTORS).unlink()
        elif self.n_vectors != dense.ntotal - int(manifest.index_params.get("deleted", 0)):  # updated HNSW
            raise ValueError(f"{self.n_vectors} vectors written for a FAISS index of {dense.ntotal}")
        with (
            open(out / "articles.partial.jsonl", encoding="utf-8") as src,
            open(out / ARTICLES, "w", encoding="utf-8") as dst,
        ):
            for i, line in enumerate(src):
                if i in self._updates:
                    line = json.dumps({**json.loads(line), **self._updates[i]}, ensure_ascii=False) + "\n"
                dst.write(line)
        (out / "articles.partial.jsonl").unlink()
        rows = np.concatenate(self._rows) if self._rows else np.zeros((0, 3), np.int32)
        np.save(out / CHUNKS, rows)
        try:
            faiss.write_index(dense, str(out / DENSE))
        except RuntimeError as exc:  # FAISS reports a failed write (a full disk) as RuntimeError
            raise OSError(f"cannot write the index: {str(exc).splitlines()[-1]}") from exc
        lexical.save(out / LEXICAL)
        (out / MANIFEST).write_text(json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")

    def publish(self) -> Path:
        """Fsync the new version, swap `current` to it in one rename, and prune old versions."""
        _fsync_tree(self.tmp_dir)
        final = self.index_dir / VERSIONS / self.name
        os.rename(self.tmp_dir, final)
        link_tmp = self.index_dir / f".{CURRENT}.tmp-{self.name}"
        os.symlink(Path(VERSIONS) / self.name, link_tmp)
        os.replace(link_tmp, self.index_dir / CURRENT)
        _fsync_dir(self.index_dir)
        prune_versions(self.index_dir)
        return final


def prune_versions(index_dir: Path, keep: int = KEEP_VERSIONS) -> None:
    """Delete old versions and leftovers of killed builds, keeping the served one and its predecessor."""
    versions_dir = Path(index_dir) / VERSIONS
    if not versions_dir.is_dir():
        return
    served = (Path(index_dir) / CURRENT).resolve()
    finished = sorted((p for p in versions_dir.iterdir() if not p.name.startswith(".")), key=lambda p: p.name)
    for old in finished[:-keep]:
        if old.resolve() != served:
            shutil.rmtree(old, ignore_errors=True)
    for partial in versions_dir.glob(".tmp-*"):
        pid = partial.name.split("-")[2] if partial.name.count("-") >= 3 else ""
        if not (pid.isdigit() and _pid_alive(int(pid))):
            shutil.rmtree(partial, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


def _fsync_tree(directory: Path) -> None:
    for root, _dirs, files in os.walk(directory):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(root))


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's build lock; a second concurrent build gets `BuildLockedError`."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    lock_path = index_dir / ".lock"
    fh = open(lock_path, "a+")  # noqa: SIM115 - held for the whole build
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise BuildLockedError(
                f"another build of {index_dir} is running ({holder}); try again when it ends"
            ) from exc
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        fh.close()
