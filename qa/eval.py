"""`qa eval`: retrieval quality on a BEIR-format dataset, through the product's own build and retrieve code.

Each BEIR document becomes one `Article` (article_id = the document id); the index is built by
`qa.index.build.build_from_articles` and queried with `Retriever.rank`, exactly as `qa.retrieve` does, with one
passage per article so a document's score is its best chunk's (max aggregation). Metrics come from ranx.
Built indexes and chunk embeddings are cached under `.qa-cache/` by content hash, so a second run only
encodes the queries.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .config import BuildConfig, ChunkingConfig, default_cache_dir
from .records import Article
from .search.options import MODES, SearchOptions
from .search.retriever import Retriever

METRICS = ("ndcg@10", "recall@10", "recall@100", "mrr@10")
# For datasets with `answers.jsonl` (SQuAD style): the top passage of `retrieve` against the gold answers.
ANSWER_METRICS = ("top1", "highlight_holds", "span_em", "span_f1")
DEPTH = 100  # documents retrieved per query (enough for Recall@100)


@dataclass(frozen=True)
class Dataset:
    """A BEIR dataset split: documents as articles, the queries that have judgements, and the judgements."""

    name: str
    articles: list[Article]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    fingerprint: str  # sha256 of corpus.jsonl
    answers: dict[str, list[str]] = field(default_factory=dict)  # query id -> gold answer texts, when known


@dataclass
class ModeResult:
    mode: str
    default: bool
    metrics: dict[str, float]
    p50_ms: float
    p95_ms: float
    options: dict[str, Any] = field(default_factory=dict)
    answer_metrics: dict[str, float] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "default": self.default,
            **{m: round(self.metrics[m], 4) for m in METRICS},
            "p50_ms": round(self.p50_ms, 1),
            "p95_ms": round(self.p95_ms, 1),
            **{m: round(v, 4) for m, v in self.answer_metrics.items()},
        }


def _read_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_dataset(directory: Path | str, split: str = "test") -> Dataset:
    """Read `corpus.jsonl`, `queries.jsonl` and `qrels/<split>.tsv` (header line, query-id, corpus-id, score)."""
    directory = Path(directory)
    corpus_path, queries_path, qrels_path = (
        directory / "corpus.jsonl",
        directory / "queries.jsonl",
        directory / "qrels" / f"{split}.tsv",
    )
    for path in (corpus_path, queries_path, qrels_path):
        if not path.is_file():
            raise FileNotFoundError(f"not a BEIR dataset: {path} is missing")
    articles = [
        Article(article_id=str(doc["_id"]), text=doc.get("text") or "", title=doc.get("title") or "")
        for doc in _read_jsonl(corpus_path)
    ]
    qrels: dict[str, dict[str, int]] = {}
    with open(qrels_path, encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 3 or not row[2].strip().lstrip("-").isdigit():  # the header, blank lines
                continue
            if int(row[2]) > 0:
                qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    all_queries = {str(q["_id"]): q["text"] for q in _read_jsonl(queries_path)}
    queries = {qid: all_queries[qid] for qid in qrels if qid in all_queries}
    if not queries:
        raise ValueError(f"no query of {queries_path} has a judgement in {qrels_path}")
    fingerprint = hashlib.sha256(corpus_path.read_bytes()).hexdigest()
    answers_path = directory / "answers.jsonl"
    answers = (
        {str(a["_id"]): list(a["answers"]) for a in _read_jsonl(answers_path) if str(a["_id"]) in queries}
        if answers_path.is_file()
        else {}
    )
    return Dataset(directory.name, articles, queries, {q: qrels[q] for q in queries}, fingerprint, answers)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[-60:]


def cached_index(
    dataset: Dataset,
    config: BuildConfig,
    cache_dir: Path | None = None,
    embedder=None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> Path:
    """The index of `dataset` built with `config`, from the cache when the corpus and settings are unchanged."""
    from .index.embed import Embedder, model_identity
    from .index.embed_cache import CachedEmbedder
    from .index.pipeline import build_from_articles
    from .index.store import IndexStoreError, IndexVersion

    cache_dir = Path(cache_dir or default_cache_dir())
    identity = model_identity(config.model)  # a retrained encoder is another model to the caches
    settings = {k: v for k, v in asdict(config).items() if k != "batch_size"} | {"model": identity}
    settings = json.dumps(settings, sort_keys=True, default=str)
    key = hashlib.sha256(f"{dataset.fingerprint}\0{settings}".encode()).hexdigest()[:16]
    index_dir = cache_dir / "eval" / f"{_safe(dataset.name)}-{key}"
    try:
        IndexVersion.served(index_dir)
        return index_dir
    except IndexStoreError:
        pass
    embedder = embedder or Embedder(config.model, batch_size=config.batch_size)
    cached = CachedEmbedder(embedder, cache_dir / "embeddings" / _safe(identity))
    try:
        build_from_articles(dataset.articles, index_dir, config=config, embedder=cached, on_progress=on_progress)
    finally:
        cached.save()
    return index_dir


def run_queries(
    retriever: Retriever, queries: dict[str, str], options: SearchOptions, depth: int = DEPTH
) -> tuple[dict[str, dict[str, float]], list[float]]:
    """Document scores per query (best chunk per document) and each query's latency in seconds."""
    options = replace(options, k=depth, per_article=True)
    run: dict[str, dict[str, float]] = {}
    latencies: list[float] = []
    for qid, text in queries.items():
        started = time.perf_counter()
        ranked = retriever.rank(text, options=options)
        latencies.append(time.perf_counter() - started)
        # Ranks, not raw scores, decide ties the way the retriever ordered them.
        run[qid] = {
            retriever.index.chunk_article(cid)["article_id"]: float(len(ranked) - rank)
            for rank, (cid, _score) in enumerate(ranked)
        }
    return run, latencies


def evaluate_answers(retriever: Retriever, dataset: Dataset, options: SearchOptions) -> dict[str, float]:
    """Top-1 passage accuracy, the top passage's highlight holds a gold answer, and its short answer's EM / F1.

    Over every query with gold answers, through `Retriever.search` (what `qa.retrieve` returns).
    """
    from .search.answer_metrics import exact_match, f1_score, holds_answer

    options = replace(options, k=1)
    totals = dict.fromkeys(ANSWER_METRICS, 0.0)
    judged = [qid for qid in dataset.queries if dataset.answers.get(qid)]
    for qid in judged:
        golds = dataset.answers[qid]
        top = retriever.search(dataset.queries[qid], options=options)
        if not top:
            continue
        p = top[0]
        totals["top1"] += float(dataset.qrels[qid].get(p.article_id, 0) > 0)
        totals["highlight_holds"] += holds_answer(p.highlight, golds)
        answer = getattr(p, "answer", "") or ""
        totals["span_em"] += exact_match(answer, golds)
        totals["span_f1"] += f1_score(answer, golds)
    return {m: v / max(len(judged), 1) for m, v in totals.items()}


def score_run(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> dict[str, float]:
    """nDCG@10, Recall@10, Recall@100 and MRR@10 from ranx (queries with no result score 0)."""
    from ranx import Qrels, Run, evaluate

    padded = {qid: run.get(qid) or {"\0none": 0.0} for qid in qrels}
    scores = evaluate(Qrels.from_dict(qrels), Run.from_dict(padded), list(METRICS), make_comparable=True)
    return {m: float(scores[m]) for m in METRICS}


def evaluate_modes(
    retriever: Retriever,
    dataset: Dataset,
    modes: Sequence[str] = MODES,
    overrides: dict[str, Any] | None = None,
    default_build: bool = True,
) -> list[ModeResult]:
    """One `ModeResult` per mode; `overrides` set other `SearchOptions` fields for every mode. A mode is the
    default configuration only when its options are the defaults and (`default_build`) so is the index's build."""
    from .search.rerank import save_caches

    defaults = SearchOptions()
    base = defaults.with_(**(overrides or {}))
    results = []
    for mode in modes:
        options = replace(base, mode=mode)
        retriever.rank(next(iter(dataset.queries.values())), options=options)  # warm-up: load lazily built parts
        run, latencies = run_queries(retriever, dataset.queries, options)
        save_caches()
        ms = np.array(latencies) * 1000
        results.append(
            ModeResult(
                mode=mode,
                default=default_build and replace(options, k=defaults.k) == defaults,
                metrics=score_run(dataset.qrels, run),
                p50_ms=float(np.percentile(ms, 50)),
                p95_ms=float(np.percentile(ms, 95)),
                options={k: v for k, v in asdict(options).items() if getattr(defaults, k) != v},
                answer_metrics=evaluate_answers(retriever, dataset, options) if dataset.answers else {},
            )
        )
    return results


def format_table(results: Sequence[ModeResult]) -> str:
    """A Markdown table, one row per mode; the default configuration is marked with *."""
    answers = any(r.answer_metrics for r in results)
    header = "| mode | nDCG@10 | R@10 | R@100 | MRR@10 | p50 ms | p95 ms |"
    rule = "|---|---:|---:|---:|---:|---:|---:|"
    if answers:
        header += " top-1 | highlight holds answer | span EM | span F1 |"
        rule += "---:|---:|---:|---:|"
    lines = [header, rule]
    for r in results:
        values = " | ".join(f"{r.metrics[m]:.4f}" for m in METRICS)
        name = f"{r.mode} *" if r.default else r.mode
        line = f"| {name} | {values} | {r.p50_ms:.1f} | {r.p95_ms:.1f} |"
        if answers:
            line += " " + " | ".join(f"{r.answer_metrics.get(m, 0.0):.4f}" for m in ANSWER_METRICS) + " |"
        lines.append(line)
    return "\n".join(lines)


def build_config(
    model: str | None = None,
    max_tokens: int | None = None,
    overlap: int | None = None,
    paragraphs: bool | None = None,
) -> BuildConfig:
    """The product's build settings, with the model, chunk size or paragraph rule optionally changed.

    Near-duplicate folding is off: every benchmark document must stay retrievable under its own id.
    """
    config = BuildConfig()
    if getattr(config, "index", None) is not None and getattr(config.index, "dedup_threshold", None) is not None:
        config = replace(config, index=replace(config.index, dedup_threshold=None))
    chunking = config.chunking
    if max_tokens is not None:
        chunking = replace(chunking, max_tokens=max_tokens)
    if overlap is not None:
        chunking = replace(chunking, overlap_tokens=overlap)
    if paragraphs is not None:
        chunking = replace(chunking, paragraphs=paragraphs)
    return replace(config, model=model or config.model, chunking=ChunkingConfig(**asdict(chunking)))
