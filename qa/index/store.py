"""The index on disk: its layout, and reading a version of it (writing is `qa.index.writer`).

Layout of an index folder::

    index/
      current -> versions/20261121T071500-1234    (symlink, swapped atomically)
      versions/20261121T071500-1234/
        manifest.json   format version, model, dimension, chunking, index type, corpus fingerprint, build time
        dense.faiss     inner product on unit vectors: Flat, HNSW or IVF (qa/index/dense.py)
        vectors.f32     the same vectors as raw float32 rows (memory-mapped; reused by incremental builds)
        minhash.u64     the articles' MinHash signatures for near-duplicate detection (reused likewise)
        lexical/        bm25s files (memory-mapped on load)
        chunks.npy      int32 rows (article index, start, end) into the article texts
        articles.jsonl  one article's metadata a line, with the byte range of its text in text.bin, its
                        content hash and its syndicated copies (`also_in`, `copies`)
        text.bin        UTF-8 article texts, concatenated (memory-mapped)
      .lock             held while a build runs

`IndexVersion` is the one way to open a version: `load_index` uses it to serve, an incremental build
uses it to reuse the served version's vectors, chunk spans and MinHash signatures.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .manifest import FORMAT_VERSION, Manifest

CURRENT = "current"
VERSIONS = "versions"
MANIFEST = "manifest.json"
DENSE = "dense.faiss"
VECTORS = "vectors.f32"
MINHASH = "minhash.u64"  # one MinHash row per article (qa/index/dedup.py), so unchanged articles are not hashed again
LEXICAL = "lexical"
CHUNKS = "chunks.npy"
ARTICLES = "articles.jsonl"
TEXT = "text.bin"
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


def read_manifest(version_dir: Path) -> Manifest:
    """The version's manifest; an unreadable one or one of another format is an `IndexStoreError`."""
    try:
        data = json.loads((version_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(
            f"unreadable manifest in {version_dir}: {exc}; rebuild it with: qa build --full"
        ) from exc
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        found = data.get("format_version") if isinstance(data, dict) else None
        raise IndexMismatchError(
            f"index format {found} at {version_dir} is not the supported "
            f"format {FORMAT_VERSION}; rebuild it with: qa build --full"
        )
    try:
        return Manifest.from_dict(data)
    except (KeyError, TypeError) as exc:
        raise IndexCorruptError(f"manifest in {version_dir} lacks {exc}; rebuild it with: qa build --full") from exc


class IndexVersion:
    """One published version folder: its manifest, and each of its files opened on demand (memory-mapped)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.manifest = read_manifest(self.path)

    @classmethod
    def served(cls, index_dir: Path) -> IndexVersion:
        """The version `index_dir` serves (`IndexNotFoundError`, `IndexCorruptError`, `IndexMismatchError`)."""
        return cls(resolve_version(Path(index_dir)))

    def vectors(self) -> np.ndarray | None:
        """The raw vectors, memory-mapped (None for an index written before they were kept)."""
        return read_vectors(self.path, self.manifest.dimension)

    def chunk_rows(self) -> np.ndarray:
        """(n_chunks, 3) int32: article index, start, end."""
        return np.load(self.path / CHUNKS, mmap_mode="r")

    def articles(self) -> list[dict[str, Any]]:
        """Each article's metadata (without its text), in index order."""
        with open(self.path / ARTICLES, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh]

    def text_blob(self) -> np.ndarray:
        """The articles' UTF-8 texts, concatenated, memory-mapped."""
        blob = self.path / TEXT
        return np.memmap(blob, dtype=np.uint8, mode="r") if blob.stat().st_size else np.zeros(0, np.uint8)

    def signatures(self, n_articles: int, width: int) -> np.ndarray | None:
        """The articles' MinHash rows (`width` uint64 each), if the version has one per article."""
        path = self.path / MINHASH
        if not path.is_file():
            return None
        rows = np.memmap(path, dtype=np.uint64, mode="r").reshape(-1, width)
        return rows if len(rows) == n_articles else None

    def dense(self) -> Any:
        from .dense import read_dense

        return read_dense(self.path / DENSE, self.manifest.index_params)

    def lexical(self) -> Any:
        from .lexical import LexicalIndex

        return LexicalIndex.load(self.path / LEXICAL)


@dataclass
class IndexData:
    """A loaded index: everything a retriever needs, with big arrays memory-mapped."""

    path: Path
    manifest: Manifest
    dense: Any  # faiss.Index
    lexical: Any  # qa.index.lexical.LexicalIndex
    chunk_rows: np.ndarray  # (n_chunks, 3) int32: article index, start, end
    articles: list[dict[str, Any]]
    text_blob: np.ndarray  # uint8, memory-mapped
    vectors: np.ndarray | None = None  # (n_chunks, dim) float32, memory-mapped; None in older indexes

    @property
    def n_chunks(self) -> int:
        return int(self.chunk_rows.shape[0])

    @cached_property
    def article_positions(self) -> dict[str, int]:
        """article_id -> position in `articles`."""
        return {meta["article_id"]: i for i, meta in enumerate(self.articles)}

    def article_text(self, article_index: int) -> str:
        meta = self.articles[article_index]
        start, length = meta["offset"], meta["length"]
        return bytes(self.text_blob[start : start + length]).decode("utf-8")

    def chunk_article(self, chunk_id: int) -> dict[str, Any]:
        """The metadata of the article a chunk belongs to (article_id, title, source, ...)."""
        return self.articles[int(self.chunk_rows[chunk_id][0])]

    def chunk_text(self, chunk_id: int) -> str:
        article_index, start, end = (int(v) for v in self.chunk_rows[chunk_id])
        return self.article_text(article_index)[start:end]


def load_index(index_dir: Path, expected_model: str | None = None) -> IndexData:
    """Load the served index, checking its manifest (and its model, when `expected_model` is given)."""
    version = IndexVersion.served(Path(index_dir))
    manifest = version.manifest
    if expected_model and manifest.model != expected_model:
        raise IndexMismatchError(
            f"index at {index_dir} was built with model {manifest.model!r}, not {expected_model!r}; "
            f"rebuild it with: qa build --full, or set QA_MODEL={manifest.model}"
        )
    try:
        dense = version.dense()
        vectors = version.vectors()
        lexical = version.lexical()
        chunk_rows = version.chunk_rows()
        articles = version.articles()
        text_blob = version.text_blob()
    except Exception as exc:  # faiss raises RuntimeError, numpy ValueError, json JSONDecodeError...
        raise IndexCorruptError(f"index at {version.path} is damaged ({exc}); {rebuild_hint(Path(index_dir))}") from exc
    if dense.ntotal != chunk_rows.shape[0] or dense.d != manifest.dimension:
        raise IndexCorruptError(
            f"index at {version.path} is inconsistent ({dense.ntotal} vectors, {chunk_rows.shape[0]} chunks); "
            f"{rebuild_hint(Path(index_dir))}"
        )
    if vectors is not None and vectors.shape[0] != dense.ntotal:
        raise IndexCorruptError(f"index at {version.path} has {vectors.shape[0]} stored vectors for {dense.ntotal}")
    return IndexData(version.path, manifest, dense, lexical, chunk_rows, articles, text_blob, vectors)


def read_vectors(version_dir: Path, dimension: int) -> np.ndarray | None:
    """A version's raw vectors, memory-mapped (None for an index written before they were kept)."""
    path = Path(version_dir) / VECTORS
    if not path.is_file():
        return None
    n = path.stat().st_size // (4 * dimension)
    if not n:
        return np.zeros((0, dimension), np.float32)
    return np.memmap(path, dtype=np.float32, mode="r", shape=(n, dimension))
