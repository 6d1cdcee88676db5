"""Indexing throughput: the whole build pipeline against the raw encoder on the same chunk texts, per encoder."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from qa.config import BuildConfig
from qa.index.build import build_index
from qa.index.embed import Embedder
from qa.index.store import load_index
from qa.text import embedding_text

SCIFACT = Path("/work/shared/eval/scifact/corpus.jsonl")


def make_corpus(target: Path, n_docs: int, source: Path | None = None) -> Path:
    """A corpus folder of `n_docs` articles: SciFact abstracts as JSONL when available, else the sample corpus."""
    target.mkdir(parents=True, exist_ok=True)
    source = source or SCIFACT
    if source.is_file():
        with open(source, encoding="utf-8") as src, open(target / "articles.jsonl", "w", encoding="utf-8") as dst:
            for i, line in enumerate(src):
                if i >= n_docs:
                    break
                record = json.loads(line)
                dst.write(json.dumps({"title": record.get("title", ""), "text": record["text"]}) + "\n")
    else:
        shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", target, dirs_exist_ok=True)
    return target


def chunk_texts(index_dir: Path) -> list[str]:
    """The embedding texts of every chunk of an index (what the build encoded)."""
    index = load_index(index_dir)
    return [
        embedding_text(index.articles[int(row[0])].get("title", ""), index.chunk_text(cid))
        for cid, row in enumerate(index.chunk_rows)
    ]


def throughput(models: list[str], n_docs: int, runs: int, corpus: Path | None = None) -> dict[str, dict[str, float]]:
    """Chunks/s of `build_index` and of `Embedder.encode` on the same texts (medians over runs), per model."""
    work = Path(tempfile.mkdtemp(prefix="qa-bench-encoder-"))
    try:
        corpus_dir = make_corpus(work / "corpus", n_docs, corpus)
        embedders = {m: Embedder(m) for m in models}
        for embedder in embedders.values():
            embedder.encode(["warm up the model"] * 4)
        samples: dict[str, dict[str, list[float]]] = {m: {"pipeline": [], "raw": []} for m in models}
        n_chunks = 0
        for run in range(runs):
            for model, embedder in embedders.items():  # alternate models inside a run: same machine load
                index_dir = work / f"index-{model}-{run}"
                started = time.perf_counter()
                report = build_index(corpus_dir, index_dir, config=BuildConfig(model=model), embedder=embedder)
                build_s = time.perf_counter() - started
                texts = chunk_texts(index_dir)
                started = time.perf_counter()
                embedder.encode(texts)
                raw_s = time.perf_counter() - started
                n_chunks = report.n_chunks
                samples[model]["pipeline"].append(n_chunks / build_s)
                samples[model]["raw"].append(n_chunks / raw_s)
        out = {}
        for model, s in samples.items():
            ratios = np.array(s["pipeline"]) / np.array(s["raw"])
            out[model] = {
                "n_chunks": n_chunks,
                "pipeline_chunks_s": float(np.median(s["pipeline"])),
                "raw_chunks_s": float(np.median(s["raw"])),
                "pipeline_over_raw": float(np.median(ratios)),
            }
        if len(models) == 2:
            base, fast = models
            speedups = np.array(samples[fast]["raw"]) / np.array(samples[base]["raw"])
            out[fast]["raw_speedup"] = float(np.median(speedups))
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def scifact_dense_ndcg(model: str) -> float:
    """Dense-only nDCG@10 on the SciFact test split (`qa eval`'s cached index of the dataset)."""
    from qa.eval import build_config, cached_index, evaluate_modes, load_dataset
    from qa.search.retriever import Retriever

    dataset = load_dataset(SCIFACT.parent, "test")
    embedder = Embedder(model)
    retriever = Retriever(load_index(cached_index(dataset, build_config(model), embedder=embedder)), embedder)
    return float(evaluate_modes(retriever, dataset, ["dense"])[0].metrics["ndcg@10"])
