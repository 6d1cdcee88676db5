"""The streaming build: bounded batches written to disk while reading, generator input, round trips.

Run as a script it prints figures on a synthetic corpus (nothing is asserted about them):
`python -m tests.index.test_build memory N` (peak memory of a build of N articles) and
`python -m tests.index.test_build incremental N` (one changed article of N against a full build).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from qa.index.pipeline import FLUSH_CHUNKS, EmptyCorpusError, build_from_articles
from qa.index.store import VECTORS, VERSIONS, load_index
from qa.records import Article
from tests.helpers import SAMPLE_CORPUS, build_hash_index, hash_config, hashed_vectors, synthetic_articles


def test_build_streams_batches_to_disk_while_reading(hash_embedder, tmp_path):
    """By the time the reader is far past one batch, earlier texts and vectors are already on disk."""
    index_dir = tmp_path / "index"
    corpus = list(synthetic_articles(300))
    seen_on_disk: list[tuple[int, int]] = []

    def articles() -> Iterator[Article]:
        for i, article in enumerate(corpus):
            if i == len(corpus) - 1:
                (partial,) = (index_dir / VERSIONS).glob(".tmp-*")
                seen_on_disk.append(((partial / "text.bin").stat().st_size, (partial / VECTORS).stat().st_size))
            yield article

    report = build_from_articles(
        articles(), index_dir, config=hash_config(), embedder=hash_embedder, encode=hashed_vectors
    )
    assert report.n_articles == len(corpus) and report.n_chunks > 2 * FLUSH_CHUNKS
    text_bytes, vector_bytes = seen_on_disk[0]
    assert text_bytes > 0 and vector_bytes >= FLUSH_CHUNKS * 384 * 4
    index = load_index(index_dir)
    assert index.n_chunks == report.n_chunks == index.vectors.shape[0]
    assert [index.article_text(i) for i in (0, len(corpus) - 1)] == [corpus[0].text, corpus[-1].text]


def test_articles_and_chunks_round_trip_through_the_streamed_files(hash_index):
    from qa.ingest.files import load_articles

    index = load_index(hash_index)
    articles, _ = load_articles(SAMPLE_CORPUS)
    assert [a["article_id"] for a in index.articles] == [a.article_id for a in articles]
    for i, article in enumerate(articles):
        assert index.article_text(i) == article.text
        assert index.articles[i]["content_hash"]
    rows = np.asarray(index.chunk_rows)
    assert (np.diff(rows[:, 0]) >= 0).all()  # chunks of one article are consecutive


def test_an_empty_corpus_is_an_error_and_publishes_nothing(tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "blank.txt").write_text("   \n")
    with pytest.raises(EmptyCorpusError, match="no readable articles"):
        build_hash_index(tmp_path / "corpus", tmp_path / "index")
    assert not (tmp_path / "index" / "current").exists()


def _memory_mb() -> dict[str, int]:
    fields = ("VmHWM", "RssAnon")
    with open("/proc/self/status") as fh:
        return {line.split(":")[0]: int(line.split()[1]) // 1024 for line in fh if line.startswith(fields)}


def measure_memory(n_articles: int) -> None:  # pragma: no cover - prints figures, run by hand
    """Peak resident memory of a build of `n_articles` synthetic articles, past what the model takes."""
    import tempfile

    from qa.api import get_embedder
    from qa.index.lexical import tokenize

    embedder = get_embedder("all-MiniLM-L6-v2")
    embedder.count_tokens(["load the model"]), tokenize(["load bm25s"])  # imports and model out of the figure
    before = _memory_mb()
    index_dir = Path(tempfile.mkdtemp()) / "index"
    report = build_from_articles(synthetic_articles(n_articles), index_dir, embedder=embedder, encode=hashed_vectors)
    after = _memory_mb()
    text_mb = sum(len(a.text.encode()) for a in synthetic_articles(n_articles)) / 2**20
    vectors_mb = report.n_chunks * 384 * 4 / 2**20
    print(
        f"| {n_articles} | {report.n_chunks} | {text_mb:.1f} | {vectors_mb:.1f} | "
        f"{after['VmHWM'] - before['VmHWM']} | {after['RssAnon'] - before['RssAnon']} |"
    )


def measure_incremental(n_articles: int) -> None:  # pragma: no cover - prints figures, run by hand
    """Time to update an index of `n_articles` after one article changed, against a full build's time."""
    import tempfile
    import time
    from dataclasses import replace

    from qa.api import get_embedder
    from qa.index.chunking import Chunker

    embedder = get_embedder("all-MiniLM-L6-v2")
    index_dir = Path(tempfile.mkdtemp()) / "index"
    corpus = list(synthetic_articles(n_articles))
    started = time.perf_counter()
    full = build_from_articles(corpus, index_dir, embedder=embedder, encode=hashed_vectors)
    pipeline_s = time.perf_counter() - started
    texts = [c.text for a in corpus[:100] for c in Chunker(embedder.count_tokens).chunk(a)]
    started = time.perf_counter()
    embedder.encode(texts)
    rate = len(texts) / (time.perf_counter() - started)
    middle = n_articles // 2
    corpus[middle] = replace(corpus[middle], text=corpus[middle].text + " One more sentence.")
    started = time.perf_counter()
    update = build_from_articles(corpus, index_dir, embedder=embedder)  # the real model embeds the change
    update_s = time.perf_counter() - started
    full_s = pipeline_s + full.n_chunks / rate
    print(f"{n_articles} articles, {full.n_chunks} chunks; the model embeds {rate:.0f} chunks/s")
    print(f"full build: {full_s:.0f} s = pipeline {pipeline_s:.1f} s + embedding {full.n_chunks / rate:.0f} s")
    print(f"one article changed: {update_s:.1f} s = {update_s / full_s:.1%} of a full build")
    print(update.manifest.update)


if __name__ == "__main__":  # pragma: no cover
    import sys

    what, size = sys.argv[1], int(sys.argv[2])
    {"memory": measure_memory, "incremental": measure_incremental}[what](size)
