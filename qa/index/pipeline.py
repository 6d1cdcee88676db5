"""Articles in, published index version out: de-duplicate, chunk, reuse or embed, write in batches.

The build streams: articles are de-duplicated, chunked, embedded and written in batches of
`FLUSH_CHUNKS` chunks, so memory holds one batch of text plus the indexes themselves, whatever the
corpus size. On an existing index the build is incremental: an article whose content hash (title
and text) is unchanged keeps its chunks and vectors from the served version; only new or changed
articles are embedded, removed ones are dropped. Any change of model or chunking, or `full=True`,
embeds everything again. Either way a complete new version is published atomically.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..config import BuildConfig, ChunkingConfig, LexicalConfig, default_index_dir
from ..ingest.files import Skipped
from ..records import Article, Chunk
from ..text import embedding_text
from .bm25_stream import StreamingBM25, TermCounts
from .chunking import Chunker
from .dedup import NUM_PERM, NearDuplicates, Signature
from .dense import build_or_update, choose_index_type, index_params
from .embed import Embedder
from .manifest import Manifest
from .store import DENSE, LEXICAL, IndexStoreError, IndexVersion
from .writer import IndexWriter, build_lock

# on_progress(stage, done, total): stages are "read", "embed" (articles done) and "index".
StageProgress = Callable[[str, int, int], None]
# encode(texts, on_batch) -> (len(texts), dim) float32 unit vectors; on_batch(n) after each batch.
EncodeFn = Callable[[Sequence[str], Callable[[int], None] | None], np.ndarray]

# Special tokens the model adds around every input ([CLS] ... [SEP]).
SPECIAL_TOKENS = 2
# Chunks embedded (and tokenized for BM25) at a time: large enough to keep the encoder busy, small
# enough that a batch of text is a few hundred kilobytes.
FLUSH_CHUNKS = 256


class EmptyCorpusError(ValueError):
    """The corpus folder holds no readable article."""


class EmbedderLike(Protocol):
    """What a build needs of an embedder (`qa.index.embed.Embedder`, a cached or int8 one, ...)."""

    model_name: str

    @property
    def max_tokens(self) -> int: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def encode(self, texts: Sequence[str], on_progress: Callable[[int], None] | None = None) -> np.ndarray: ...


@dataclass(frozen=True)
class CorpusState:
    """What a build records about its corpus folder, so `index_status` can tell when it changed."""

    folder: str
    files_signature: str  # paths, sizes and modification times: compared without reading a byte
    fingerprint: Callable[[], str]  # paths and bytes: complete once every file has been read


class ChunkerLike(Protocol):
    """What a build needs of a chunker (`qa.index.chunking.Chunker`, or one with chunks made earlier)."""

    config: ChunkingConfig

    def chunk(self, article: Article) -> list[Chunk]: ...


@dataclass(frozen=True)
class FoldedCopy:
    """An article not indexed on its own: a near-duplicate of an earlier one (a syndicated copy)."""

    article_id: str
    into: str  # the article it was folded into
    similarity: float  # estimated Jaccard similarity of the two cleaned texts' 5-word shingles

    def __str__(self) -> str:
        return f"{self.article_id} into {self.into} (same story: {self.similarity:.0%} of its 5-word phrases shared)"


@dataclass
class BuildReport:
    index_path: Path
    n_articles: int
    n_chunks: int
    seconds: float
    skipped: list[Skipped] = field(default_factory=list)
    manifest: Manifest | None = None
    folded: list[FoldedCopy] = field(default_factory=list)  # syndicated copies folded into an earlier article

    def summary(self) -> str:
        text = f"Indexed {self.n_articles} articles as {self.n_chunks} chunks in {self.seconds:.1f} s"
        update = self.manifest.update if self.manifest else {}
        if update.get("mode") == "incremental":
            text += (
                f" (embedded {update['embedded_articles']} new or changed articles, kept "
                f"{update['reused_articles']}, dropped {update['removed_articles']})"
            )
        n_copies = self.manifest.dedup.get("copies", 0) if self.manifest else 0
        if n_copies:
            text += f"; {n_copies} syndicated copies folded into their first copy"
        if self.skipped:
            text += f"; skipped {len(self.skipped)}: " + "; ".join(str(s) for s in self.skipped[:10])
            if len(self.skipped) > 10:
                text += f"; and {len(self.skipped) - 10} more"
        return text


def content_hash(article: Article) -> str:
    """What an article's chunks and vectors depend on: its title and clean text."""
    return hashlib.sha256(f"{article.title}\0{article.text}".encode()).hexdigest()[:32]


def vector_settings(config: BuildConfig) -> dict[str, Any]:
    """Settings the vectors depend on: an index built with others is rebuilt in full."""
    return {"model": config.model, "chunking": asdict(config.chunking)}


def lexical_settings(config: BuildConfig) -> dict[str, Any]:
    """The BM25 parameters (the manifest's `bm25`): an index built with others is updated, vectors reused."""
    return asdict(config.lexical)


@dataclass
class ReusableVersion:
    """What an incremental build can take from the served version: chunk spans and vectors by article."""

    articles: dict[str, tuple[str, int, int, int]]  # article_id -> (content hash, first chunk, end chunk, row)
    chunk_rows: np.ndarray
    vectors: np.ndarray
    signatures: np.ndarray | None  # MinHash row of each article (qa/dedup.py), when the index has them
    term_counts: TermCounts | None = None  # BM25 term counts of each chunk, when the index has them
    dense: tuple[Path, str, dict[str, Any]] | None = None  # the vector index: file, type, parameters

    @classmethod
    def open(cls, index_dir: Path, config: BuildConfig, max_tokens: int, encoder: dict | None = None) -> tuple:
        """(The served version if its vectors can be reused, else None; why): new encoder `weights` re-embed."""
        try:
            version = IndexVersion.served(index_dir)
        except IndexStoreError as exc:
            return None, f"no usable index ({type(exc).__name__})"
        settings = version.manifest.settings()
        changed = [k for k, v in vector_settings(config).items() if settings.get(k) != v]
        if version.manifest.max_seq_length != max_tokens:
            changed.append("max_seq_length")
        if encoder is not None and encoder.get("weights") != version.manifest.encoder.get("weights"):
            changed.append("model weights")
        if changed:
            return None, f"settings changed: {', '.join(changed)}"
        try:
            vectors = version.vectors()
            chunk_rows = version.chunk_rows()
            keys = [(m["article_id"], m["content_hash"]) for m in version.articles()]
        except (OSError, ValueError, KeyError) as exc:
            return None, f"the index has no reusable vectors or content hashes ({type(exc).__name__})"
        if vectors is None or len(vectors) != len(chunk_rows):
            return None, "the index has no reusable vectors"
        starts = np.searchsorted(chunk_rows[:, 0], np.arange(len(keys) + 1))
        articles = {aid: (digest, int(starts[i]), int(starts[i + 1]), i) for i, (aid, digest) in enumerate(keys)}
        signatures = version.signatures(len(keys), NUM_PERM + 1)
        dense = (version.path / DENSE, version.manifest.index_type, version.manifest.index_params)
        return cls(articles, chunk_rows, vectors, signatures, TermCounts.load(version.path / LEXICAL), dense), ""


class Pipeline:
    """Articles in, index version out: de-duplicates, chunks, reuses or embeds, and writes in batches."""

    def __init__(
        self,
        writer: IndexWriter,
        chunker: ChunkerLike,
        encode: EncodeFn,
        previous: ReusableVersion | None,
        dedup: NearDuplicates | None,
        progress: StageProgress,
        total: int,
        lexical: LexicalConfig | None = None,
    ) -> None:
        self.writer, self.chunker, self.encode = writer, chunker, encode
        self.previous, self.dedup, self.progress, self.total = previous, dedup, progress, total
        self.bm25 = StreamingBM25(lexical)
        self.copies: dict[int, list[dict[str, Any]]] = {}
        self.folded: list[FoldedCopy] = []
        self._ids: dict[int, str] = {}  # writer position -> article id, to name what a copy was folded into
        self.dim: int | None = None
        self.seen = 0
        self.stats = dict.fromkeys(("reused_articles", "embedded_articles", "reused_chunks", "embedded_chunks"), 0)
        self._rows: list[tuple[int, int, int]] = []
        self._texts: list[str] = []  # embedding text of every chunk of the batch (BM25 indexes them too)
        self._reused: dict[int, np.ndarray] = {}  # batch position -> vector from the previous version
        self._to_embed: list[int] = []  # batch positions to embed
        self._reuse_terms: dict[int, int] = {}  # batch position -> served chunk whose BM25 term counts it takes
        self.moved: list[tuple[int, int, int]] = []  # kept chunk spans: (served first, served end, new first)
        self.new_ids: list[np.ndarray] = []  # ids of the chunks embedded, for an update of the HNSW graph

    def add(self, article: Article) -> None:
        self.seen += 1
        old = self.previous.articles.pop(article.article_id, None) if self.previous else None
        digest = content_hash(article)
        unchanged = old is not None and old[0] == digest
        signature = None
        if self.dedup is not None:
            cached = None
            if unchanged and self.previous.signatures is not None:
                cached = Signature.from_row(self.previous.signatures[old[3]])
            first, signature = self.dedup.match(self.writer.n_articles, article.text, cached)
            if first is not None:
                similarity = round(self.dedup.last_similarity, 3)
                self.copies.setdefault(first, []).append(
                    {k: getattr(article, k) for k in ("article_id", "source", "path", "url", "title")}
                    | {"similarity": similarity}
                )
                self.folded.append(FoldedCopy(article.article_id, self._ids.get(first, str(first)), similarity))
                return
        index = self.writer.add_article(
            {**article.to_dict(), "content_hash": digest},
            article.text,
            signature.to_row() if signature is not None else None,
        )
        self._ids[index] = article.article_id
        with_title = self.chunker.config.with_title
        if unchanged:
            _, lo, hi, _ = old
            self.moved.append((lo, hi, self.writer.n_vectors + len(self._rows)))
            counts = self.previous.term_counts
            vectors = np.array(self.previous.vectors[lo:hi])
            spans = self.previous.chunk_rows[lo:hi, 1:].tolist()
            for served, vector, (start, end) in zip(range(lo, hi), vectors, spans, strict=True):
                self._reused[len(self._rows)] = vector
                if counts is not None:  # BM25 takes the served chunk's term counts: no text, no tokenizing
                    self._reuse_terms[len(self._rows)] = served
                    self._add_chunk(index, start, end, "")
                    continue
                self._add_chunk(index, start, end, embedding_text(article.title, article.text[start:end], with_title))
            self.stats["reused_articles"] += 1
            self.stats["reused_chunks"] += hi - lo
        else:
            chunks = self.chunker.chunk(article)
            first = self.writer.n_vectors + len(self._rows)
            self.new_ids.append(np.arange(first, first + len(chunks), dtype=np.int64))
            for chunk in chunks:
                self._to_embed.append(len(self._rows))
                self._add_chunk(index, chunk.start, chunk.end, embedding_text(article.title, chunk.text, with_title))
            self.stats["embedded_articles"] += 1
            self.stats["embedded_chunks"] += len(chunks)
        if len(self._to_embed) >= FLUSH_CHUNKS or len(self._rows) >= 8 * FLUSH_CHUNKS:
            self.flush()

    def _add_chunk(self, article_index: int, start: int, end: int, text: str) -> None:
        self._rows.append((article_index, start, end))
        self._texts.append(text)

    def flush(self) -> None:
        """Embed the batch's new chunks and write the batch's rows, vectors and BM25 terms."""
        if not self._rows:
            return
        fresh = self.encode([self._texts[i] for i in self._to_embed], None) if self._to_embed else None
        if fresh is not None:
            self.dim = fresh.shape[1]
        elif self.dim is None:
            self.dim = len(next(iter(self._reused.values())))
        vectors = np.empty((len(self._rows), self.dim), dtype=np.float32)
        for pos, vector in self._reused.items():
            vectors[pos] = vector
        if fresh is not None:
            vectors[self._to_embed] = fresh
        self.writer.add_chunks(np.array(self._rows, dtype=np.int32))
        self.writer.add_vectors(vectors)
        self.bm25.add(self._texts, self._reuse_terms, self.previous.term_counts if self.previous else None)
        self._rows, self._texts, self._reused, self._to_embed, self._reuse_terms = [], [], {}, [], {}
        self.progress("embed", self.seen, self.total)

    def record_copies(self) -> int:
        """Put each article's syndicated copies on it ("also published by"); returns how many copies."""
        for index, copies in self.copies.items():
            also_in = list(dict.fromkeys(c["source"] or c["url"] or c["path"] for c in copies))
            self.writer.update_article(index, also_in=also_in, copies=copies)
        return sum(len(c) for c in self.copies.values())


def reusable_hashes(index_dir: Path | str, config: BuildConfig, max_tokens: int) -> dict[str, str]:
    """article_id -> content hash of the served articles whose vectors a build with `config` would reuse.

    Empty when the build would embed everything (no index, or other model or chunking settings).
    """
    previous, _ = ReusableVersion.open(Path(index_dir), config, max_tokens)
    return {article_id: entry[0] for article_id, entry in previous.articles.items()} if previous else {}


def build_from_articles(
    articles: Iterable[Article],
    index_dir: Path | str | None = None,
    config: BuildConfig | None = None,
    embedder: EmbedderLike | None = None,
    on_progress: StageProgress | None = None,
    corpus: CorpusState | None = None,
    skipped: list[Skipped] | None = None,
    *,
    full: bool = False,
    encode: EncodeFn | None = None,
    chunker: ChunkerLike | None = None,
) -> BuildReport:
    """Chunk, embed and index `articles` (any iterable, consumed once) into `index_dir`, publishing atomically.

    `corpus` is recorded in the manifest; its byte fingerprint is taken once every article has been read
    (the build hashes files as ingestion reads them). `encode(texts, on_progress)` replaces
    `embedder.encode` (e.g. a Ray job); the embedder still counts tokens for chunking. `chunker` replaces
    the model's chunker (e.g. one holding chunks made earlier). `full=True` embeds every article even when
    the served index could provide unchanged articles' vectors.
    """
    started = time.perf_counter()
    index_dir = Path(index_dir or default_index_dir())
    config = config or BuildConfig()
    config.index.validate()
    embedder = embedder or Embedder(config.model, batch_size=config.batch_size)
    if getattr(embedder, "model_name", config.model) != config.model:  # the manifest names what made the vectors
        config = replace(config, model=embedder.model_name)
    progress = on_progress or (lambda stage, done, total: None)
    skipped = skipped if skipped is not None else []
    if config.chunking.max_tokens + SPECIAL_TOKENS > embedder.max_tokens:
        raise ValueError(
            f"chunks of {config.chunking.max_tokens} tokens do not fit model {config.model} "
            f"(at most {embedder.max_tokens - SPECIAL_TOKENS})"
        )
    total = len(articles) if isinstance(articles, Sequence) else 0

    encoder = embedder.describe() if hasattr(embedder, "describe") else {"name": config.model}
    with build_lock(index_dir):
        reusable = ReusableVersion.open(index_dir, config, embedder.max_tokens, encoder) if not full else None
        previous, reason = reusable or (None, "full rebuild requested")
        threshold = config.index.dedup_threshold
        with IndexWriter(index_dir) as writer:
            pipeline = Pipeline(
                writer,
                chunker or Chunker(embedder.count_tokens, config.chunking),
                encode or (lambda texts, on_batch: embedder.encode(texts, on_progress=on_batch)),
                previous,
                NearDuplicates(threshold) if threshold else None,
                progress,
                total,
                config.lexical,
            )
            progress("embed", 0, total)
            for article in articles:
                pipeline.add(article)
            pipeline.flush()
            if writer.n_articles == 0 or pipeline.dim is None:
                raise EmptyCorpusError("no articles to index")
            progress("index", 0, 1)
            n_copies = pipeline.record_copies()
            n_chunks = writer.n_vectors
            kind = choose_index_type(n_chunks, config.index)
            params = index_params(kind, n_chunks, config.index)
            new_ids = np.concatenate(pipeline.new_ids) if pipeline.new_ids else np.zeros(0, np.int64)
            served = previous.dense if previous else None
            dense, params, graph = build_or_update(
                writer.vectors(pipeline.dim), kind, params, served, pipeline.moved, new_ids
            )  # the memory-mapped vectors are let go before BM25 is scored: they would add to the peak
            lexical = pipeline.bm25.finish()
            update = {"mode": "incremental" if previous else "full", **pipeline.stats, "dense": graph}
            update["removed_articles"] = len(previous.articles) if previous else 0
            if not previous:
                update["reason"] = reason
            manifest = Manifest(
                model=config.model,
                encoder=encoder,
                dimension=int(pipeline.dim),
                chunking=asdict(config.chunking),
                bm25=lexical_settings(config),
                max_seq_length=embedder.max_tokens,
                index_type=kind,
                index_params=params,
                corpus_dir=corpus.folder if corpus else None,
                corpus_fingerprint=corpus.fingerprint() if corpus else None,
                corpus_files=corpus.files_signature if corpus else None,
                n_articles=writer.n_articles,
                n_chunks=n_chunks,
                dedup={"method": "minhash", "threshold": threshold, "copies": n_copies},
                update=update,
                skipped=[str(s) for s in skipped],
                built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            )
            manifest.build_seconds = round(time.perf_counter() - started, 2)
            writer.finish(dense, lexical, manifest)
            path = writer.publish()
        progress("index", 1, 1)
    seconds = time.perf_counter() - started
    return BuildReport(path, writer.n_articles, n_chunks, seconds, skipped, manifest, pipeline.folded)
