"""Cost of updating an index after one article changed, against a full build of the same corpus.

`python -m bench --incremental 10000`: synthetic news-like articles (tests/helpers.py's generator), an
HNSW index (forced, whatever the size). The full build's pipeline runs with stand-in vectors; its
embedding time is the real encoder's throughput measured in the same run on the corpus's own chunks,
so "full build" = pipeline + embedding every chunk. The update embeds the changed article with the real
encoder.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from qa.config import BuildConfig, IndexConfig
from qa.index.chunking import Chunker
from qa.index.embed import Embedder
from qa.index.pipeline import build_from_articles


def update_cost(n_articles: int, model: str, index_type: str = "hnsw") -> dict[str, float]:
    from tests.helpers import hashed_vectors, synthetic_articles

    embedder = Embedder(model)
    config = BuildConfig(model=model, index=IndexConfig(index_type=index_type))
    work = Path(tempfile.mkdtemp(prefix="qa-bench-incremental-"))
    try:
        corpus = list(synthetic_articles(n_articles))
        started = time.perf_counter()
        full = build_from_articles(corpus, work / "index", config, embedder=embedder, encode=hashed_vectors)
        pipeline_s = time.perf_counter() - started
        texts = [c.text for a in corpus[:60] for c in Chunker(embedder.count_tokens).chunk(a)]
        embedder.encode(texts[:8])
        started = time.perf_counter()
        embedder.encode(texts)
        rate = len(texts) / (time.perf_counter() - started)
        middle = n_articles // 2
        corpus[middle] = replace(corpus[middle], text=corpus[middle].text + " One more sentence.")
        started, cpu = time.perf_counter(), time.process_time()
        update = build_from_articles(corpus, work / "index", config, embedder=embedder)
        update_s, update_cpu_s = time.perf_counter() - started, time.process_time() - cpu
        full_s = pipeline_s + full.n_chunks / rate
        return {
            "n_chunks": full.n_chunks,
            "encoder_chunks_s": rate,
            "pipeline_s": pipeline_s,
            "full_s": full_s,
            "update_s": update_s,
            "update_cpu_s": update_cpu_s,  # CPU seconds of the update: less sensitive to other jobs than wall time
            "embed_changed_s": update.manifest.update.get("embedded_chunks", 0) / rate,
            "update_over_full": update_s / full_s,
            "embedded_chunks": update.manifest.update.get("embedded_chunks", 0),
            "dense_update": str(update.manifest.update.get("dense", "")),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
