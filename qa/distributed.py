"""Embedding as a Ray Data job, for `qa build --ray ADDRESS|auto` (optional: `pip install newsqa[ray]`).

The build runs in two passes. First the corpus is read and chunked on the driver, exactly as the
local build does, and the embedding texts of new or changed articles go to a Ray dataset whose
`map_batches` runs one model per actor (`EmbedBatch`) across the cluster. Then the ordinary build
(`qa.index.build.build_index`) runs with the chunks of the first pass (`ChunkCache`: nothing is chunked
twice) and an `encode` that looks the vectors up instead of computing them, so the index it writes
(format, manifest, incremental reuse, syndicated copies) is the local one's.
A text the job did not embed (none is expected) is embedded locally.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from .config import BuildConfig, default_corpus_dir, default_index_dir
from .index.build import build_index
from .index.chunking import Chunker
from .index.embed import Embedder
from .index.pipeline import BuildReport, StageProgress, content_hash, reusable_hashes
from .ingest.files import iter_articles
from .records import Article, Chunk
from .text import embedding_text

BATCH_SIZE = 64  # texts per map_batches call (one model call)


def embedding_key(text: str) -> str:
    """The lookup key of an embedding text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class EmbedBatch:
    """A Ray Data actor: loads the model once, then embeds batches of `{"key", "text"}` rows."""

    def __init__(self, model: str, batch_size: int = BATCH_SIZE) -> None:
        self.embedder = Embedder(model, batch_size=batch_size)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.embedder.encode([str(t) for t in batch["text"]])
        return {"key": batch["key"], "vector": vectors}


class ChunkCache:
    """A `Chunker` that remembers each article's chunks, so the build's second pass does not chunk again."""

    def __init__(self, chunker: Chunker) -> None:
        self.chunker, self.config = chunker, chunker.config
        self._chunks: dict[tuple[str, str], list[Chunk]] = {}

    def chunk(self, article: Article) -> list[Chunk]:
        key = (article.article_id, content_hash(article))
        cached = self._chunks.pop(key, None)
        return cached if cached is not None else self.chunker.chunk(article)

    def remember(self, article: Article) -> list[Chunk]:
        chunks = self.chunker.chunk(article)
        self._chunks[(article.article_id, content_hash(article))] = chunks
        return chunks


def texts_to_embed(
    corpus_dir: Path, chunks: ChunkCache, config: BuildConfig, reuse: dict[str, str]
) -> Iterator[tuple[str, str]]:
    """(key, text) of every distinct chunk text of the articles whose content differs from `reuse`."""
    seen: set[str] = set()
    for article in iter_articles(corpus_dir):
        if reuse.get(article.article_id) == content_hash(article):
            continue
        for chunk in chunks.remember(article):
            text = embedding_text(article.title, chunk.text, config.chunking.with_title)
            key = embedding_key(text)
            if key not in seen:
                seen.add(key)
                yield key, text


def embed_with_ray(
    items: Sequence[tuple[str, str]], model: str, actors: int | None = None, batch_size: int = BATCH_SIZE
) -> dict[str, np.ndarray]:
    """Embed (key, text) pairs with a Ray Data job on the connected cluster; key -> vector."""
    import ray

    if not items:
        return {}
    n_actors = actors or max(1, int(ray.cluster_resources().get("CPU", 1)) // 2)
    dataset = ray.data.from_items([{"key": k, "text": t} for k, t in items]).map_batches(
        EmbedBatch,
        fn_constructor_args=(model, batch_size),
        batch_size=batch_size,
        concurrency=n_actors,
        num_cpus=1,
    )
    vectors: dict[str, np.ndarray] = {}
    for batch in dataset.iter_batches(batch_size=1024, batch_format="numpy"):
        vectors.update(zip((str(k) for k in batch["key"]), np.asarray(batch["vector"], np.float32), strict=True))
    return vectors


class LookupEncoder:
    """An `encode(texts, on_progress)` for the build that returns precomputed vectors (`missed` counts the
    texts it had to embed locally)."""

    def __init__(self, vectors: dict[str, np.ndarray], embedder: Embedder) -> None:
        self.vectors, self.embedder, self.missed = vectors, embedder, 0

    def __call__(self, texts: Sequence[str], on_progress: Callable[[int], None] | None = None) -> np.ndarray:
        keys = [embedding_key(t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self.vectors]
        if missing:
            self.missed += len(missing)
            fresh = self.embedder.encode([texts[i] for i in missing])
            self.vectors.update(zip((keys[i] for i in missing), fresh, strict=True))
        if on_progress:
            on_progress(len(texts))
        return np.stack([self.vectors[k] for k in keys]).astype(np.float32, copy=False)


def connect(address: str) -> None:
    """Connect to the Ray cluster at `address` ("auto": the running local cluster, else start one)."""
    try:
        import ray
    except ImportError as exc:
        raise RuntimeError("qa build --ray needs Ray: pip install 'newsqa[ray]'") from exc
    if ray.is_initialized():
        return
    if address == "auto":
        try:
            ray.init(address="auto", log_to_driver=False)
        except ConnectionError:  # no cluster running: start a local one
            ray.init(log_to_driver=False)
    else:
        ray.init(address=address, log_to_driver=False)


def build_index_ray(
    corpus_dir: Path | str | None = None,
    index_dir: Path | str | None = None,
    config: BuildConfig | None = None,
    *,
    address: str = "auto",
    actors: int | None = None,
    full: bool = False,
    embedder: Embedder | None = None,
    on_progress: StageProgress | None = None,
) -> BuildReport:
    """`qa.index.build.build_index` with the embedding done by a Ray Data job (one model per actor)."""
    corpus_dir = Path(corpus_dir or default_corpus_dir())
    index_dir = Path(index_dir or default_index_dir())
    # A given embedder decides the model, as in the local build: the cluster must make the same vectors.
    config = config or (BuildConfig(model=embedder.model_name) if embedder else BuildConfig())
    embedder = embedder or Embedder(config.model, batch_size=config.batch_size)
    connect(address)
    reuse = {} if full else reusable_hashes(index_dir, config, embedder.max_tokens)
    chunks = ChunkCache(Chunker(embedder.count_tokens, config.chunking))
    items = list(texts_to_embed(corpus_dir, chunks, config, reuse))
    vectors = embed_with_ray(items, config.model, actors=actors, batch_size=config.batch_size)
    encode = LookupEncoder(vectors, embedder)
    report = build_index(
        corpus_dir,
        index_dir,
        config=config,
        embedder=embedder,
        on_progress=on_progress,
        full=full,
        encode=encode,
        chunker=chunks,
    )
    report.manifest.extra["ray"] = {"embedded_on_cluster": len(items), "embedded_locally": encode.missed}
    return report
