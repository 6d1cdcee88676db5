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

# all-MiniLM-L6-v2: 6 layers, hidden 384, FFN 1536
LAYERS, HIDDEN, FFN = 6, 384, 1536


def ops_per_text(n_tokens: np.ndarray) -> np.ndarray:
    """Multiply-add operations (x2) of the model on texts of `n_tokens` tokens: projections, FFN, attention."""
    n = np.asarray(n_tokens, dtype=np.float64)
    linear = 2 * LAYERS * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FFN) * n
    attention = 2 * LAYERS * 2 * HIDDEN * n * n  # Q K^T and the weighted sum of V
    return linear + attention


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
                gops_per_chunk = float(ops_per_text(np.array(embedder.count_tokens(texts)) + 2).mean() / 1e9)
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
                "gops_per_chunk": gops_per_chunk,
            }
        base = models[0]  # the reference: ratios to its raw throughput in the same run
        for model in models[1:]:
            for kind in ("raw", "pipeline"):
                speedups = np.array(samples[model][kind]) / np.array(samples[base]["raw"])
                out[model][f"{kind}_over_reference_raw"] = float(np.median(speedups))
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def query_encoding(models: list[str], n_queries: int, runs: int) -> dict[str, dict[str, float]]:
    """p50/p95 (ms, medians over runs) of `Embedder.encode_query` on SciFact questions (else sample
    questions), per model, one question at a time as `retrieve` encodes them."""
    queries_file = SCIFACT.parent / "queries.jsonl"
    if queries_file.is_file():
        with open(queries_file, encoding="utf-8") as fh:
            qs = [json.loads(line)["text"] for _, line in zip(range(n_queries), fh, strict=False)]
    else:
        qs = ["How many cruise missiles did the Russian warships fire?"] * n_queries
    embedders = {m: Embedder(m) for m in models}
    for embedder in embedders.values():
        for q in qs[:5]:
            embedder.encode_query(q)
    per_run: dict[str, list[np.ndarray]] = {m: [] for m in models}
    for _ in range(runs):
        for model, embedder in embedders.items():
            ms = []
            for q in qs:
                started = time.perf_counter()
                embedder.encode_query(q)
                ms.append((time.perf_counter() - started) * 1000)
            per_run[model].append(np.percentile(ms, [50, 95]))
    return {
        m: {"p50": float(np.median([r[0] for r in rs])), "p95": float(np.median([r[1] for r in rs]))}
        for m, rs in per_run.items()
    }


def scifact_ndcg(model: str) -> dict[str, float]:
    """nDCG@10 on the SciFact test split, dense only and hybrid (`qa eval`'s cached index of the dataset)."""
    from qa.eval import build_config, cached_index, evaluate_modes, load_dataset
    from qa.search.retriever import Retriever

    dataset = load_dataset(SCIFACT.parent, "test")
    embedder = Embedder(model)
    retriever = Retriever(load_index(cached_index(dataset, build_config(model), embedder=embedder)), embedder)
    results = evaluate_modes(retriever, dataset, ["dense", "hybrid"])
    return {r.mode: float(r.metrics["ndcg@10"]) for r in results}
