"""Synthetic archives for the size sweep: made-up chunk texts and vectors, written in the real index format.

Running 1M chunks through the whole build would take hours on two cores (the encoder alone runs at
~40-200 chunks/s), so the sweep writes the index directly with the store's own writer, FAISS index
builder and BM25 scorer (`qa.index.store.IndexWriter`, `qa.index.dense`, `qa.index.bm25_stream`):

- text: words of the model's English vocabulary plus rarer compounds of two of them (200k terms,
  stop-words excluded), drawn from a Zipf distribution, 50-90 words a chunk (a 200-token chunk of
  news has about that many non-stop-words), six chunks an article, so BM25 posting lists look like a
  large archive's;
- vectors: unit vectors of low intrinsic dimension (a Gaussian mixture in a 48-d subspace of the
  384-d space, plus a little isotropic noise), closer to real sentence embeddings than uniform random
  vectors; recall queries come from the same distribution.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np

from qa.config import BuildConfig
from qa.index.bm25_stream import StreamingBM25
from qa.index.dense import IndexConfig, build_dense, choose_index_type, index_params
from qa.index.embed import resolve_model_path
from qa.index.manifest import Manifest
from qa.index.pipeline import lexical_settings
from qa.index.writer import IndexWriter, build_lock

N_TERMS = 200_000
ZIPF_S = 1.05
WORDS_PER_CHUNK = (50, 90)
CHUNKS_PER_ARTICLE = 6
LATENT_DIM = 48
N_CLUSTERS = 2048
BLOCK = 20_000  # chunks generated and written at a time


class TextSource:
    """Zipf-distributed words; `term_of[word id]` is the id of the word's BM25 term (its stem)."""

    def __init__(self, seed: int = 0) -> None:
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN

        vocab_file = resolve_model_path("all-MiniLM-L6-v2") / "vocab.txt"
        stop = set(STOPWORDS_EN)
        words = [w for w in vocab_file.read_text(encoding="utf-8").split() if re.fullmatch(r"[a-z]{3,}", w)]
        words = [w for w in words if w not in stop]
        rng = np.random.default_rng(seed)
        rng.shuffle(words)
        pairs = rng.integers(0, len(words), size=(N_TERMS - len(words), 2))
        self.words = np.array(words + [words[a] + words[b] for a, b in pairs], dtype=object)
        stems = Stemmer.Stemmer("english").stemWords(list(self.words))
        self.vocab: dict[str, int] = {}
        self.term_of = np.array([self.vocab.setdefault(s, len(self.vocab)) for s in stems], dtype=np.int64)
        ranks = np.arange(1, len(self.words) + 1, dtype=np.float64)
        self.cdf = np.cumsum(ranks**-ZIPF_S)
        self.cdf /= self.cdf[-1]
        self.rng = np.random.default_rng(seed + 1)

    def chunks(self, n: int) -> tuple[list[str], np.ndarray, np.ndarray]:
        """`n` chunk texts, their word ids (concatenated) and their lengths in words."""
        lengths = self.rng.integers(*WORDS_PER_CHUNK, size=n)
        ids = np.searchsorted(self.cdf, self.rng.random(int(lengths.sum())))
        words = self.words[ids]
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        texts = [" ".join(words[bounds[i] : bounds[i + 1]]) + "." for i in range(n)]
        return texts, ids, lengths


class VectorSource:
    """Unit vectors from a Gaussian mixture in a random LATENT_DIM-d subspace (deterministic by seed)."""

    def __init__(self, dim: int = 384, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.basis = np.linalg.qr(rng.standard_normal((dim, LATENT_DIM)))[0].T.astype(np.float32)
        self.centers = rng.standard_normal((N_CLUSTERS, LATENT_DIM)).astype(np.float32)
        self.dim = dim
        self.rng = np.random.default_rng(seed + 1)

    def draw(self, n: int) -> np.ndarray:
        z = self.centers[self.rng.integers(0, N_CLUSTERS, size=n)]
        z = z + 0.5 * self.rng.standard_normal(z.shape).astype(np.float32)
        x = z @ self.basis + 0.02 * self.rng.standard_normal((n, self.dim)).astype(np.float32)
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _add_block(writer: IndexWriter, bm25: StreamingBM25, source: TextSource, vectors: VectorSource, n: int) -> None:
    texts, ids, lengths = source.chunks(n)
    rows = []
    for first in range(0, n, CHUNKS_PER_ARTICLE):
        parts = texts[first : first + CHUNKS_PER_ARTICLE]
        number = writer.n_articles
        title = f"Synthetic article {number}"
        index = writer.add_article(
            {
                "article_id": f"synthetic/{number:08d}",
                "title": title,
                "source": f"Publisher {number % 50}",
                "published": f"20{10 + number % 15:02d}-{1 + number % 12:02d}-{1 + number % 28:02d}",
                "path": f"synthetic/{number:08d}.txt",
                "url": None,
            },
            "\n\n".join(parts),
        )
        start = 0
        for part in parts:
            rows.append((index, start, start + len(part)))
            start += len(part) + 2
    writer.add_chunks(np.array(rows, dtype=np.int32))
    writer.add_vectors(vectors.draw(n))
    # BM25 postings straight from the word ids (what StreamingBM25.add computes from tokenized text).
    doc = np.repeat(np.arange(n, dtype=np.int64), lengths)
    keys, counts = np.unique(doc * len(source.vocab) + source.term_of[ids], return_counts=True)
    bm25._docs.append((keys // len(source.vocab) + bm25.n_docs).astype(np.int32))
    bm25._terms.append((keys % len(source.vocab)).astype(np.int32))
    bm25._counts.append(counts.astype(np.float32))
    bm25._lengths.append(lengths.astype(np.int32))
    bm25.n_docs += n


def build_synthetic(
    index_dir: Path, n_chunks: int, model: str = "all-MiniLM-L6-v2", index_type: str = "auto", seed: int = 0
) -> Manifest:
    """Write an index of `n_chunks` synthetic chunks to `index_dir` and publish it; returns the manifest."""
    started = time.perf_counter()
    config = BuildConfig(model=model, index=IndexConfig(index_type=index_type, dedup_threshold=None))
    source, vectors = TextSource(seed), VectorSource(seed=seed)
    bm25 = StreamingBM25(config.lexical)
    bm25.vocab = dict(source.vocab)
    with build_lock(index_dir), IndexWriter(index_dir) as writer:
        for start in range(0, n_chunks, BLOCK):
            _add_block(writer, bm25, source, vectors, min(BLOCK, n_chunks - start))
        kind = choose_index_type(n_chunks, config.index)
        params = index_params(kind, n_chunks, config.index)
        dense_started = time.perf_counter()
        dense = build_dense(writer.vectors(vectors.dim), kind, params)
        dense_seconds = time.perf_counter() - dense_started
        manifest = Manifest(
            model=model,
            dimension=vectors.dim,
            chunking={"synthetic": True},
            bm25=lexical_settings(config),
            max_seq_length=256,
            index_type=kind,
            index_params=params,
            n_articles=writer.n_articles,
            n_chunks=n_chunks,
            extra={
                "synthetic": {"seed": seed, "words_per_chunk": list(WORDS_PER_CHUNK), "terms": N_TERMS},
                "dense_build_seconds": round(dense_seconds, 1),
            },
        )
        writer.finish(dense, bm25.finish(), manifest)
        manifest.build_seconds = round(time.perf_counter() - started, 1)
        writer.publish()
    return manifest
