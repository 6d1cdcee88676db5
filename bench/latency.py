"""Query latency of `Retriever.search`, resident memory per 1,000 chunks, and recall of the approximate index."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from qa.index.embed import Embedder
from qa.index.store import load_index, read_vectors
from qa.search.answers import RANK_TOKENS, read_tokens
from qa.search.options import MODES, options_from
from qa.search.reader import ReaderUnavailable, get_reader
from qa.search.retriever import Retriever

from .synthetic import VectorSource


def questions(retriever: Retriever, n: int, seed: int = 7) -> list[str]:
    """Questions made of six words of random indexed chunks (a question about a passage shares its words)."""
    return [q for q, _ in question_chunks(retriever, n, seed)]


def question_chunks(retriever: Retriever, n: int, seed: int = 7) -> list[tuple[str, str]]:
    """(question, the text of the chunk it was made from) pairs, as `questions` makes them."""
    rng = np.random.default_rng(seed)
    out = []
    for cid in rng.integers(0, retriever.index.n_chunks, size=n):
        text = retriever.index.chunk_text(int(cid))
        words = text.rstrip(".").split()
        out.append((" ".join(rng.choice(words, size=min(6, len(words)), replace=False)) + "?", text))
    return out


def reader_parts(pairs: list[tuple[str, str]]) -> dict[str, object]:
    """One reader read per window the head is read in (`answers.read_tokens`), each a timed part; none
    without the reader. Readings are not reused between calls, so each call is a read."""
    try:
        reader = get_reader()
    except ReaderUnavailable:
        return {}
    texts = dict(pairs)

    def read(question: str, tokens: int) -> None:
        reader.forget()  # the reader keeps recent readings for the answer; a timed read must run
        reader.scores(question, texts[question], 0, tokens)

    windows = sorted({read_tokens(place) for place in range(len(RANK_TOKENS) + 1)}, reverse=True)
    return {f"reader read, {t} tokens": (lambda q, t=t: read(q, t)) for t in windows}


class AsIndexModel:
    """An embedder answering to the index's model name: the synthetic indexes' vectors come from no model,
    so any encoder can stand for the one the manifest names (the latency is the encoder's own)."""

    def __init__(self, embedder: Embedder, index_model: str) -> None:
        self.embedder, self.model_name = embedder, index_model

    def __getattr__(self, name: str):
        return getattr(self.embedder, name)


def open_retriever(index_dir: Path, embedder: Embedder) -> Retriever:
    index = load_index(index_dir)
    return Retriever(index, AsIndexModel(embedder, index.manifest.model))  # type: ignore[arg-type]


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1000
    return {"p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95))}


def time_calls(fn, inputs: list) -> list[float]:
    out = []
    for item in inputs:
        started = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - started)
    return out


def query_latency(
    index_dir: Path, embedder: Embedder, n_queries: int, runs: int, rerank: bool = True
) -> dict[str, dict[str, float]]:
    """p50/p95 (ms, median over `runs`) of search per mode, and of its parts (encode, FAISS, BM25, reads)."""
    retriever = open_retriever(index_dir, embedder)
    for path in retriever.index.path.rglob("*"):  # a served index is warm: read its memory-mapped files once
        if path.is_file():
            with open(path, "rb") as fh:
                while fh.read(1 << 24):
                    pass
    pairs = question_chunks(retriever, n_queries)
    qs = [q for q, _ in pairs]
    vectors = embedder.encode(qs)
    k = max(1, min(100, retriever.index.n_chunks))
    parts = {
        "encode query": lambda q: embedder.encode_query(q),
        "FAISS top-100": lambda i: retriever.index.dense.search(vectors[i : i + 1], k),
        "BM25 scores": lambda q: retriever.index.lexical.scores(q),
        **reader_parts(pairs),
    }
    modes = [m for m in ("hybrid", "hybrid+rerank") if m in MODES and (rerank or m == "hybrid")]
    searches = {m: (lambda q, m=m: retriever.search(q, options=options_from(5, mode=m))) for m in modes}
    for q in qs[:3]:  # warm-up: lazy loads, page cache
        for fn in searches.values():
            fn(q)
    per_run: dict[str, list[dict[str, float]]] = {}
    for _ in range(runs):
        for name, fn in {**searches, **parts}.items():
            inputs = list(range(len(qs))) if name == "FAISS top-100" else qs
            if name == "hybrid+rerank":
                inputs = inputs[: max(5, len(inputs) // 4)]  # slow: a quarter of the questions
            per_run.setdefault(name, []).append(percentiles(time_calls(fn, inputs)))
    return {
        name: {p: float(np.median([r[p] for r in results])) for p in ("p50", "p95")}
        for name, results in per_run.items()
    }


def recall_at_10(index_dir: Path, n_queries: int = 200, seed: int = 0) -> float:
    """Recall@10 of the index's FAISS search against exact search over its raw vectors."""
    index = load_index(index_dir)
    vectors = read_vectors(index.path, index.manifest.dimension)
    source = VectorSource(dim=vectors.shape[1], seed=seed)  # the archive's distribution ...
    source.rng = np.random.default_rng(seed + 1000)  # ... but fresh draws
    queries = source.draw(n_queries)
    _, approx = index.dense.search(queries, 10)
    best = np.full((n_queries, 10), -np.inf, dtype=np.float32)
    best_ids = np.zeros((n_queries, 10), dtype=np.int64)
    for start in range(0, len(vectors), 100_000):
        sims = queries @ np.asarray(vectors[start : start + 100_000]).T
        sims = np.concatenate([best, sims], axis=1)
        ids = np.concatenate([best_ids, np.arange(start, start + sims.shape[1] - 10)[None, :].repeat(n_queries, 0)], 1)
        top = np.argpartition(-sims, 9, axis=1)[:, :10]
        best, best_ids = np.take_along_axis(sims, top, 1), np.take_along_axis(ids, top, 1)
    return float(np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx.tolist(), best_ids.tolist(), strict=True)]))


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def resident_memory(index_dir: Path, model: str, n_queries: int = 50) -> dict[str, float]:
    """Resident bytes of a fresh process serving `index_dir`, less the same process with only the model loaded."""
    code = (
        "import json, sys; from pathlib import Path; from bench.latency import _serve_and_measure; "
        f"print(json.dumps(_serve_and_measure(Path({str(index_dir)!r}), {model!r}, {n_queries})))"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _serve_and_measure(index_dir: Path, model: str, n_queries: int) -> dict[str, float]:
    import bm25s  # noqa: F401  (libraries count as the model's process, not as the index)
    import faiss  # noqa: F401

    embedder = Embedder(model)
    embedder.encode_query("warm up the model")
    before = _rss()
    retriever = open_retriever(index_dir, embedder)
    for q in questions(retriever, n_queries):
        retriever.search(q)
    after = _rss()
    n = retriever.index.n_chunks
    disk = sum(f.stat().st_size for f in retriever.index.path.rglob("*") if f.is_file())
    return {"n_chunks": n, "rss_bytes_per_1000": (after - before) / n * 1000, "disk_bytes_per_1000": disk / n * 1000}
