"""The indexing pipeline: corpus folder -> articles -> chunks -> vectors + BM25 -> published index."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .chunking import Chunker, chunk_articles, embedding_text
from .config import BuildConfig, default_corpus_dir, default_index_dir
from .embed import Embedder
from .ingest import Skipped, iter_corpus_files, load_articles
from .records import Article
from .store import IndexError_, IndexWriter, build_lock, read_manifest, resolve_version

# on_progress(stage, done, total): stages are "read", "chunk", "embed", "index".
ProgressCallback = Callable[[str, int, int], None]

# Special tokens the model adds around every input ([CLS] ... [SEP]).
SPECIAL_TOKENS = 2


class EmptyCorpusError(ValueError):
    """The corpus folder holds no readable article."""


@dataclass
class BuildReport:
    index_path: Path
    n_articles: int
    n_chunks: int
    seconds: float
    skipped: list[Skipped] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        text = f"Indexed {self.n_articles} articles as {self.n_chunks} chunks in {self.seconds:.1f} s"
        if self.skipped:
            text += f"; skipped {len(self.skipped)}: " + "; ".join(str(s) for s in self.skipped[:10])
            if len(self.skipped) > 10:
                text += f"; and {len(self.skipped) - 10} more"
        return text


def corpus_fingerprint(corpus_dir: Path) -> str:
    """A hash of every article file's relative path and content."""
    digest = hashlib.sha256()
    for path in iter_corpus_files(Path(corpus_dir)):
        digest.update(path.relative_to(corpus_dir).as_posix().encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


def _settings(config: BuildConfig) -> dict[str, Any]:
    return {"model": config.model, "chunking": asdict(config.chunking)}


def index_status(
    corpus_dir: Path | None = None, index_dir: Path | None = None, config: BuildConfig | None = None
) -> str:
    """ "missing", "stale" (corpus or settings changed) or "fresh"."""
    corpus_dir = Path(corpus_dir or default_corpus_dir())
    index_dir = Path(index_dir or default_index_dir())
    config = config or BuildConfig()
    try:
        manifest = read_manifest(resolve_version(index_dir))
    except IndexError_:
        return "missing"
    same_settings = all(manifest.get(k) == v for k, v in _settings(config).items())
    if same_settings and manifest.get("corpus_fingerprint") == corpus_fingerprint(corpus_dir):
        return "fresh"
    return "stale"


def build_index(
    corpus_dir: Path | str | None = None,
    index_dir: Path | str | None = None,
    config: BuildConfig | None = None,
    embedder: Embedder | None = None,
    on_progress: ProgressCallback | None = None,
) -> BuildReport:
    """Build the index of the articles in `corpus_dir` into `index_dir` and publish it atomically."""
    corpus_dir = Path(corpus_dir or default_corpus_dir())
    if not corpus_dir.is_dir():
        kind = "not a folder" if corpus_dir.exists() else "not found"
        raise FileNotFoundError(f"corpus folder {kind}: {corpus_dir}")
    progress = on_progress or (lambda stage, done, total: None)
    progress("read", 0, 1)
    fingerprint = corpus_fingerprint(corpus_dir)
    articles, skipped = load_articles(corpus_dir)
    progress("read", 1, 1)
    if not articles:
        detail = f"; skipped {len(skipped)}: " + "; ".join(map(str, skipped[:5])) if skipped else ""
        raise EmptyCorpusError(f"no readable articles in {corpus_dir}{detail}")
    return build_from_articles(
        articles,
        index_dir,
        config=config,
        embedder=embedder,
        on_progress=progress,
        extra_manifest={"corpus_dir": str(corpus_dir), "corpus_fingerprint": fingerprint},
        skipped=skipped,
    )


def build_from_articles(
    articles: Sequence[Article],
    index_dir: Path | str | None = None,
    config: BuildConfig | None = None,
    embedder: Embedder | None = None,
    on_progress: ProgressCallback | None = None,
    extra_manifest: dict[str, Any] | None = None,
    skipped: list[Skipped] | None = None,
) -> BuildReport:
    """Chunk, embed and index `articles` into `index_dir`, publishing the new version atomically."""
    import faiss

    from .lexical import LexicalIndex

    started = time.perf_counter()
    index_dir = Path(index_dir or default_index_dir())
    config = config or BuildConfig()
    embedder = embedder or Embedder(config.model, batch_size=config.batch_size)
    progress = on_progress or (lambda stage, done, total: None)
    skipped = skipped or []
    if not articles:
        raise EmptyCorpusError("no articles to index")
    if config.chunking.max_tokens + SPECIAL_TOKENS > embedder.max_tokens:
        raise ValueError(
            f"chunks of {config.chunking.max_tokens} tokens do not fit model {config.model} "
            f"(at most {embedder.max_tokens - SPECIAL_TOKENS})"
        )

    with build_lock(index_dir):
        chunker = Chunker(embedder.count_tokens, config.chunking)
        chunks = list(chunk_articles(articles, chunker))
        progress("chunk", len(articles), len(articles))
        titles = {a.article_id: a.title for a in articles}
        texts = [embedding_text(titles[c.article_id], c.text, config.chunking.with_title) for c in chunks]

        done = 0

        def embedded(n: int) -> None:
            nonlocal done
            done += n
            progress("embed", done, len(texts))

        progress("embed", 0, len(texts))
        vectors = embedder.encode(texts, on_progress=embedded)
        progress("index", 0, 1)
        dense = faiss.IndexFlatIP(vectors.shape[1])
        dense.add(np.ascontiguousarray(vectors))
        lexical = LexicalIndex.build(texts)
        manifest = {
            **_settings(config),
            "dimension": int(vectors.shape[1]),
            "max_seq_length": embedder.max_tokens,
            "index_type": "Flat",
            "metric": "inner_product",
            "lexical": "bm25s",
            **(extra_manifest or {}),
            "n_articles": len(articles),
            "n_chunks": len(chunks),
            "skipped": [str(s) for s in skipped],
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        with IndexWriter(index_dir) as writer:
            manifest["build_seconds"] = round(time.perf_counter() - started, 2)
            writer.write(list(articles), chunks, dense, lexical, manifest)
            path = writer.publish()
        progress("index", 1, 1)
    return BuildReport(path, len(articles), len(chunks), time.perf_counter() - started, skipped, manifest)
