"""The index on disk: FAISS vectors, BM25, chunk and article metadata, and a manifest.

Layout of an index folder::

    index/
      current -> versions/20261121T071500-1234    (symlink, swapped atomically)
      versions/20261121T071500-1234/
        manifest.json   format version, model, dimension, chunking, index type, corpus fingerprint, build time
        dense.faiss     inner product on unit vectors: Flat, HNSW or IVF (qa/index_types.py)
        vectors.f32     the same vectors as raw float32 rows (memory-mapped; reused by incremental builds)
        minhash.u64     the articles' MinHash signatures for near-duplicate detection (reused likewise)
        lexical/        bm25s files (memory-mapped on load)
        chunks.npy      int32 rows (article index, start, end) into the article texts
        articles.jsonl  one article's metadata a line, with the byte range of its text in text.bin, its
                        content hash and its syndicated copies (`also_in`, `copies`)
        text.bin        UTF-8 article texts, concatenated (memory-mapped)
      .lock             held while a build runs

A build writes a new version folder and then swaps the `current` link with one rename, so a reader
always sees a complete index and a failed or killed build leaves the served one untouched. The
writer streams: article texts, metadata and vectors go to disk as they come, so a build holds only
one batch of text at a time.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 1
CURRENT = "current"
VERSIONS = "versions"
MANIFEST = "manifest.json"
VECTORS = "vectors.f32"
MINHASH = "minhash.u64"  # one MinHash row per article (qa/dedup.py), so unchanged articles are not hashed again
KEEP_VERSIONS = 2  # the new one and the one before it, which readers may still be opening


class IndexStoreError(RuntimeError):
    """Base class for index problems; messages say how to fix them."""


class IndexNotFoundError(IndexStoreError):
    pass


class IndexMismatchError(IndexStoreError):
    pass


class IndexCorruptError(IndexStoreError):
    pass


class BuildLockedError(IndexStoreError):
    pass


def rebuild_hint(index_dir: Path) -> str:
    return f"rebuild it with: qa build --index {index_dir}"


def resolve_version(index_dir: Path) -> Path:
    """The folder holding the served index: `index_dir/current`, or `index_dir` itself if it is one."""
    index_dir = Path(index_dir)
    if (index_dir / MANIFEST).is_file():
        return index_dir
    link = index_dir / CURRENT
    if link.is_symlink() or link.exists():
        target = link.resolve()
        if (target / MANIFEST).is_file():
            return target
        raise IndexCorruptError(f"index at {index_dir} points to a missing version; {rebuild_hint(index_dir)}")
    raise IndexNotFoundError(f"no index at {index_dir}; build one with: qa build --index {index_dir}")


def current_version_id(index_dir: Path) -> str | None:
    """A cheap identity of the served version (changes when a build publishes), or None."""
    try:
        return os.readlink(Path(index_dir) / CURRENT)
    except OSError:
        manifest = Path(index_dir) / MANIFEST
        return str(manifest.stat().st_mtime_ns) if manifest.exists() else None


def read_manifest(version_dir: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((version_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(
            f"unreadable manifest in {version_dir}: {exc}; rebuild it with: qa build --full"
        ) from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index format {manifest.get('format_version')} at {version_dir} is not the supported "
            f"format {FORMAT_VERSION}; rebuild it with: qa build --full"
        )
    return manifest


@dataclass
class IndexData:
    """A loaded index: everything a retriever needs, with big arrays memory-mapped."""

    path: Path
    manifest: dict[str, Any]
    dense: Any  # faiss.Index
    lexical: Any  # qa.index.lexical.LexicalIndex
    chunk_rows: np.ndarray  # (n_chunks, 3) int32: article index, start, end
    articles: list[dict[str, Any]]
    text_blob: np.ndarray  # uint8, memory-mapped
    vectors: np.ndarray | None = None  # (n_chunks, dim) float32, memory-mapped; None in older indexes

    @property
    def n_chunks(self) -> int:
        return int(self.chunk_rows.shape[0])

    def article_text(self, article_index: int) -> str:
        meta = self.articles[article_index]
        start, length = meta["offset"], meta["length"]
        return bytes(self.text_blob[start : start + length]).decode("utf-8")

    def chunk_text(self, chunk_id: int) -> str:
        article_index, start, end = (int(v) for v in self.chunk_rows[chunk_id])
        return self.article_text(article_index)[start:end]


def load_index(index_dir: Path, expected_model: str | None = None) -> IndexData:
    """Load the served index, checking its manifest (and its model, when `expected_model` is given)."""
    from .dense import read_dense
    from .lexical import LexicalIndex

    version_dir = resolve_version(Path(index_dir))
    manifest = read_manifest(version_dir)
    if expected_model and manifest.get("model") != expected_model:
        raise IndexMismatchError(
            f"index at {index_dir} was built with model {manifest.get('model')!r}, not {expected_model!r}; "
            f"rebuild it with: qa build --full, or set QA_MODEL={manifest.get('model')}"
        )
    from .embed import ModelNotFoundError, resolve_model_path

    try:
        resolve_model_path(str(manifest.get("model")))
    except ModelNotFoundError as exc:  # found now, not at the first question
        raise IndexMismatchError(
            f"index at {index_dir} cannot be searched: {exc}; or rebuild it with: qa build --full"
        ) from exc
    try:
        dense = read_dense(version_dir / "dense.faiss", manifest)
        vectors = read_vectors(version_dir, manifest)
        lexical = LexicalIndex.load(version_dir / "lexical")
        chunk_rows = np.load(version_dir / "chunks.npy", mmap_mode="r")
        with open(version_dir / "articles.jsonl", encoding="utf-8") as fh:
            articles = [json.loads(line) for line in fh]
        blob_path = version_dir / "text.bin"
        text_blob = (
            np.memmap(blob_path, dtype=np.uint8, mode="r") if blob_path.stat().st_size else np.zeros(0, np.uint8)
        )
    except Exception as exc:  # faiss raises RuntimeError, numpy ValueError, json JSONDecodeError...
        raise IndexCorruptError(f"index at {version_dir} is damaged ({exc}); {rebuild_hint(Path(index_dir))}") from exc
    if dense.ntotal != chunk_rows.shape[0] or dense.d != manifest.get("dimension"):
        raise IndexCorruptError(
            f"index at {version_dir} is inconsistent ({dense.ntotal} vectors, {chunk_rows.shape[0]} chunks); "
            f"{rebuild_hint(Path(index_dir))}"
        )
    if vectors is not None and vectors.shape[0] != dense.ntotal:
        raise IndexCorruptError(f"index at {version_dir} has {vectors.shape[0]} stored vectors for {dense.ntotal}")
    return IndexData(version_dir, manifest, dense, lexical, chunk_rows, articles, text_blob, vectors)


def read_vectors(version_dir: Path, manifest: dict[str, Any]) -> np.ndarray | None:
    """The version's raw vectors, memory-mapped (None for an index written before they were kept)."""
    path = Path(version_dir) / VECTORS
    if not path.is_file():
        return None
    dim = int(manifest["dimension"])
    n = path.stat().st_size // (4 * dim)
    return np.memmap(path, dtype=np.float32, mode="r", shape=(n, dim)) if n else np.zeros((0, dim), np.float32)


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
            "blob": open(self.tmp_dir / "text.bin", "wb"),  # closed in finish or __exit__
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

    def finish(self, dense: Any, lexical: Any, manifest: dict[str, Any]) -> None:
        """Write the chunk table, the vector and lexical indexes and the manifest."""
        import faiss

        self._close()
        out = self.tmp_dir
        if self.n_vectors == 0:  # vectors were not given (`write` without them): only the FAISS copy
            (out / VECTORS).unlink()
        elif self.n_vectors != dense.ntotal:
            raise ValueError(f"{self.n_vectors} vectors written for a FAISS index of {dense.ntotal}")
        with (
            open(out / "articles.partial.jsonl", encoding="utf-8") as src,
            open(out / "articles.jsonl", "w", encoding="utf-8") as dst,
        ):
            for i, line in enumerate(src):
                if i in self._updates:
                    line = json.dumps({**json.loads(line), **self._updates[i]}, ensure_ascii=False) + "\n"
                dst.write(line)
        (out / "articles.partial.jsonl").unlink()
        rows = np.concatenate(self._rows) if self._rows else np.zeros((0, 3), np.int32)
        np.save(out / "chunks.npy", rows)
        try:
            faiss.write_index(dense, str(out / "dense.faiss"))
        except RuntimeError as exc:  # FAISS reports a failed write (a full disk) as RuntimeError
            raise OSError(f"cannot write the index: {str(exc).splitlines()[-1]}") from exc
        lexical.save(out / "lexical")
        manifest = {"format_version": FORMAT_VERSION, **manifest}
        (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")

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
