"""Tune retrieval options on a BEIR split (SciFact train by default) and print one table row per variant.

    .venv/bin/python bench/eval_scifact.py [--dataset DIR] [--split train] [--queries N] [--variants fusion|rerank]
    .venv/bin/python bench/eval_scifact.py --lexical-chunks 120 200   # BM25 only: chunk size, no embedding

Uses the same cached index and code as `qa eval`; each variant is a set of `SearchOptions` overrides.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.api import get_embedder
from qa.config import default_cache_dir
from qa.eval import build_config, cached_index, evaluate_modes, format_table, load_dataset
from qa.index.pipeline import build_from_articles
from qa.search.retriever import Retriever

SCIFACT = Path("/work/shared/eval/scifact")
DENSE_WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)

VARIANTS: dict[str, list[tuple[str, dict]]] = {
    "fusion": [
        ("dense", {"mode": "dense"}),
        ("lexical", {"mode": "lexical"}),
        *[(f"mix w={w}", {"mode": "hybrid", "fusion": "mix", "dense_weight": w}) for w in DENSE_WEIGHTS],
        *[(f"rrf k={k}", {"mode": "hybrid", "fusion": "rrf", "rrf_k": k}) for k in (10, 30, 60)],
    ],
    "rerank": [
        ("hybrid", {"mode": "hybrid"}),
        *[
            (f"rerank d={d} w={w}", {"mode": "hybrid+rerank", "rerank_depth": d, "rerank_weight": w})
            for d in (20,)
            for w in (0.3, 0.5, 0.7)
        ],
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=SCIFACT)
    parser.add_argument("--split", default="train")
    parser.add_argument("--queries", type=int, default=0, help="only the first N queries (0: all)")
    parser.add_argument("--variants", choices=sorted(VARIANTS), default="fusion")
    parser.add_argument("--only", nargs="*", help="run only the variants with these names")
    parser.add_argument("--base", action="append", default=[], help="NAME=VALUE applied to every variant")
    parser.add_argument("--lexical-chunks", type=int, nargs="*", help="BM25-only runs at these chunk sizes")
    args = parser.parse_args()

    dataset = load_dataset(args.dataset, args.split)
    if args.queries:
        kept = dict(list(dataset.queries.items())[: args.queries])
        dataset = replace(dataset, queries=kept, qrels={q: dataset.qrels[q] for q in kept})
    base = {k: _value(v) for k, v in (item.split("=", 1) for item in args.base)}
    embedder = get_embedder(build_config().model)
    print(f"{dataset.name} {args.split}: {len(dataset.queries)} queries")

    if args.lexical_chunks:
        for size in args.lexical_chunks:
            retriever = Retriever.open(_lexical_only_index(dataset, size), embedder)
            print(f"chunks of {size} tokens (BM25 only):")
            print(format_table(evaluate_modes(retriever, dataset, ["lexical"], base)))
        return

    retriever = Retriever.open(cached_index(dataset, build_config(), embedder=embedder), embedder)
    retriever.embedder = _QueryMemo(embedder)  # each variant re-asks the same queries
    retriever.rerank_cache_dir = default_cache_dir() / "rerank"
    rows = []
    for name, overrides in VARIANTS[args.variants]:
        if args.only and name not in args.only:
            continue
        result = evaluate_modes(retriever, dataset, [overrides.get("mode", "hybrid")], {**base, **overrides})[0]
        result.mode = name
        rows.append(result)
        print(format_table([result]).splitlines()[-1], flush=True)
    print(format_table(rows))


def _lexical_only_index(dataset, max_tokens: int) -> Path:
    """An index whose vectors are zeros (only BM25 is meaningful), so no chunk is embedded."""
    config = build_config(max_tokens=max_tokens, overlap=min(40, max_tokens // 5))
    index_dir = default_cache_dir() / "bench" / f"{dataset.name}-lexical-{max_tokens}-{dataset.fingerprint[:12]}"
    if not (index_dir / "current").exists():
        zeros = lambda texts, _progress: np.zeros((len(texts), 384), dtype=np.float32)  # noqa: E731
        embedder = get_embedder(config.model)
        build_from_articles(dataset.articles, index_dir, config=config, embedder=embedder, encode=zeros)
    return index_dir


class _QueryMemo:
    """The embedder, remembering query vectors (latencies then exclude query encoding: compare ratios only)."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self.memo: dict[str, np.ndarray] = {}

    def __getattr__(self, name: str):
        return getattr(self.embedder, name)

    def encode_query(self, text: str) -> np.ndarray:
        if text not in self.memo:
            self.memo[text] = self.embedder.encode_query(text)
        return self.memo[text]


def _value(raw: str):
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return raw


if __name__ == "__main__":
    main()
