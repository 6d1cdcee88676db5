"""Build the index of a corpus folder: walk it once, read each file once, and hand the articles to the pipeline.

`index_status` says whether the served index is "fresh" for a folder (same files, same settings). The
corpus fingerprint is a hash of every file's path and bytes; a build takes it from the bytes ingestion
reads (`qa.ingest.files.SourceFile`), so no file is read twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from ..config import BuildConfig, default_corpus_dir, default_index_dir
from ..ingest.files import Skipped, file_digest, iter_articles, iter_corpus_files
from ..records import Article
from .pipeline import (
    BuildReport,
    ChunkerLike,
    CorpusState,
    EmbedderLike,
    EmptyCorpusError,
    EncodeFn,
    StageProgress,
    build_from_articles,
    lexical_settings,
    vector_settings,
)
from .store import IndexStoreError, IndexVersion


class Fingerprint:
    """The corpus fingerprint, fed one file at a time in walk order."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()

    def add(self, relative_path: str, digest: bytes | None) -> None:
        self._sha.update(relative_path.encode() + b"\0")
        self._sha.update(digest if digest is not None else b"unreadable")

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def files_signature(corpus_dir: Path, files: Iterable[Path]) -> str:
    """A hash of the files' relative paths, sizes and modification times (no byte is read)."""
    sha = hashlib.sha256()
    for path in files:
        try:
            info = path.stat()
            stamp = f"{info.st_size}:{info.st_mtime_ns}"
        except OSError:
            stamp = "unreadable"
        sha.update(f"{path.relative_to(corpus_dir).as_posix()}\0{stamp}\0".encode())
    return sha.hexdigest()


def corpus_fingerprint(corpus_dir: Path, files: Iterable[Path] | None = None) -> str:
    """A hash of every article file's relative path and content (what a build of it records).

    `files` are the folder's article files when the caller has walked it already.
    """
    corpus_dir = Path(corpus_dir)
    fingerprint = Fingerprint()
    for path in iter_corpus_files(corpus_dir) if files is None else files:
        fingerprint.add(path.relative_to(corpus_dir).as_posix(), file_digest(path))
    return fingerprint.hexdigest()


def index_status(
    corpus_dir: Path | None = None,
    index_dir: Path | None = None,
    config: BuildConfig | None = None,
    *,
    compare_bytes: bool = True,
) -> str:
    """ "missing", "stale" (corpus or settings changed) or "fresh".

    Files whose sizes and modification times are as built are fresh without reading them. Otherwise,
    with `compare_bytes`, their bytes decide (a touched file is still fresh); without it, the caller is
    about to build anyway (`qa build --if-stale`), and the build reads each file once.
    """
    corpus_dir = Path(corpus_dir or default_corpus_dir())
    index_dir = Path(index_dir or default_index_dir())
    config = config or BuildConfig()
    try:
        manifest = IndexVersion.served(index_dir).manifest
    except IndexStoreError:
        return "missing"
    if manifest.settings() != vector_settings(config) or manifest.bm25 != lexical_settings(config):
        return "stale"  # other BM25 parameters: the update reuses every vector and rescores BM25
    files = list(iter_corpus_files(corpus_dir))  # one walk for both comparisons
    if manifest.corpus_files == files_signature(corpus_dir, files):
        return "fresh"
    if compare_bytes and manifest.corpus_fingerprint == corpus_fingerprint(corpus_dir, files):
        return "fresh"
    return "stale"


def build_index(
    corpus_dir: Path | str | None = None,
    index_dir: Path | str | None = None,
    config: BuildConfig | None = None,
    embedder: EmbedderLike | None = None,
    on_progress: StageProgress | None = None,
    *,
    full: bool = False,
    encode: EncodeFn | None = None,
    chunker: ChunkerLike | None = None,
) -> BuildReport:
    """Build (or update) the index of the articles in `corpus_dir` into `index_dir` and publish it atomically."""
    corpus_dir = Path(corpus_dir or default_corpus_dir())
    if not corpus_dir.is_dir():
        kind = "not a folder" if corpus_dir.exists() else "not found"
        raise FileNotFoundError(f"corpus folder {kind}: {corpus_dir}")
    progress = on_progress or (lambda stage, done, total: None)
    skipped: list[Skipped] = []
    progress("read", 0, 1)
    files = list(iter_corpus_files(corpus_dir, skipped.append))  # the one walk of the folder
    progress("read", 1, 1)
    fingerprint = Fingerprint()
    files_done = [0]

    def file_read(relative_path: str, digest: bytes | None) -> None:
        fingerprint.add(relative_path, digest)
        files_done[0] += 1

    def articles() -> Iterable[Article]:
        yield from iter_articles(corpus_dir, skipped.append, files=files, on_file=file_read)

    def file_progress(stage: str, done: int, total: int) -> None:
        if stage == "embed":  # articles of a stream of unknown length: report files read instead
            done, total = files_done[0], len(files)
        progress(stage, done, total)

    corpus = CorpusState(str(corpus_dir), files_signature(corpus_dir, files), fingerprint.hexdigest)
    try:
        return build_from_articles(
            articles(),
            index_dir,
            config=config,
            embedder=embedder,
            on_progress=file_progress,
            corpus=corpus,
            skipped=skipped,
            full=full,
            encode=encode,
            chunker=chunker,
        )
    except EmptyCorpusError as exc:
        detail = f"; skipped {len(skipped)}: " + "; ".join(map(str, skipped[:5])) if skipped else ""
        raise EmptyCorpusError(f"no readable articles in {corpus_dir}{detail}") from exc
