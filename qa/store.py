"""The index on disk: FAISS vectors, BM25, chunk and article metadata, and a manifest.

Layout of an index folder::

    index/
      current -> versions/20261121T071500-1234    (symlink, swapped atomically)
      versions/20261121T071500-1234/
        manifest.json   format version, model, dimension, chunking, corpus fingerprint, build time
        dense.faiss     inner product on unit vectors
        lexical/        bm25s files (memory-mapped on load)
        chunks.npy      int32 rows (article index, start, end) into the article texts
        articles.jsonl  one article's metadata a line, with the byte range of its text in text.bin
        text.bin        UTF-8 article texts, concatenated (memory-mapped)
      .lock             held while a build runs

A build writes a new version folder and then swaps the `current` link with one rename, so a reader
always sees a complete index and a failed or killed build leaves the served one untouched.
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

from .records import Article, Chunk

FORMAT_VERSION = 1
CURRENT = "current"
VERSIONS = "versions"
MANIFEST = "manifest.json"
KEEP_VERSIONS = 2  # the new one and the one before it, which readers may still be opening


class IndexError_(RuntimeError):
    """Base class for index problems; messages say how to fix them."""


class IndexNotFoundError(IndexError_):
    pass


class IndexMismatchError(IndexError_):
    pass


class IndexCorruptError(IndexError_):
    pass


class BuildLockedError(IndexError_):
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
        raise IndexCorruptError(f"unreadable manifest in {version_dir}: {exc}") from exc
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
    lexical: Any  # qa.lexical.LexicalIndex
    chunk_rows: np.ndarray  # (n_chunks, 3) int32: article index, start, end
    articles: list[dict[str, Any]]
    text_blob: np.ndarray  # uint8, memory-mapped

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
    import faiss

    from .lexical import LexicalIndex

    version_dir = resolve_version(Path(index_dir))
    manifest = read_manifest(version_dir)
    if expected_model and manifest.get("model") != expected_model:
        raise IndexMismatchError(
            f"index at {index_dir} was built with model {manifest.get('model')!r}, not {expected_model!r}; "
            f"rebuild it with: qa build --full, or set QA_MODEL={manifest.get('model')}"
        )
    try:
        dense = faiss.read_index(str(version_dir / "dense.faiss"))
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
    return IndexData(version_dir, manifest, dense, lexical, chunk_rows, articles, text_blob)


class IndexWriter:
    """Writes one new index version into a temporary folder; `publish` makes it the served one."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        self.name = stamp
        self.tmp_dir = self.index_dir / VERSIONS / f".tmp-{stamp}"

    def __enter__(self) -> IndexWriter:
        self.tmp_dir.mkdir(parents=True)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.tmp_dir.exists():  # not published: clean up the partial build
            shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def write(
        self,
        articles: list[Article],
        chunks: list[Chunk],
        dense: Any,
        lexical: Any,
        manifest: dict[str, Any],
    ) -> None:
        import faiss

        out = self.tmp_dir
        article_index = {a.article_id: i for i, a in enumerate(articles)}
        offset = 0
        with open(out / "text.bin", "wb") as blob, open(out / "articles.jsonl", "w", encoding="utf-8") as meta:
            for article in articles:
                data = article.text.encode("utf-8")
                blob.write(data)
                record = article.to_dict()
                del record["text"]
                record.update(offset=offset, length=len(data))
                meta.write(json.dumps(record, ensure_ascii=False) + "\n")
                offset += len(data)
        rows = np.array([(article_index[c.article_id], c.start, c.end) for c in chunks], dtype=np.int32)
        np.save(out / "chunks.npy", rows.reshape(-1, 3))
        faiss.write_index(dense, str(out / "dense.faiss"))
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
