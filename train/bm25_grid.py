"""The grid behind `qa.config.LexicalConfig`: BM25's k1 and b (and the fusion weight) against retrieval quality.

    nice .venv/bin/python -m train.bm25_grid [--sets squad-dev scifact-train] [--k1 0.3 0.4 ...] [--b ...]

For each set, the product's evaluation index gives the chunks (title + text, as indexed) and their vectors;
BM25 is rebuilt over the same tokens with each (k1, b) and fused as the retriever fuses it (dense weight x
cosine + the rest x BM25 / best BM25), one passage per article. Prints the top-1 passage accuracy, any right
passage in the top 2 (what the reader can reorder) and nDCG@10. Tune on SQuAD dev and SciFact train only.
Dense scores are exact (every chunk), so figures differ slightly from `qa eval`'s over the top candidates.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass, field

import numpy as np

from qa.config import LexicalConfig
from qa.eval import Dataset, load_dataset, score_run
from qa.index.lexical import new_bm25s, stem_words, tokenize
from qa.text import embedding_text

from .eval_index import open_retriever
from .rerank import SETS


@dataclass
class Prepared:
    """One set's queries against its index: exact cosines, tokenized chunks and query term ids."""

    dataset: Dataset
    dense: np.ndarray  # queries x chunks
    tokens: object  # bm25s.tokenization.Tokenized of every chunk
    query_terms: list[list[int]]
    chunk_article: np.ndarray  # article position of each chunk
    article_ids: list[str]
    texts: list[str] = field(default_factory=list)  # each chunk as embedded (title + text)


def prepare(dataset: Dataset, model: str | None = None) -> Prepared:
    """`dataset` against its evaluation index (built with the product's model, or `model`)."""
    retriever = open_retriever(dataset, model)
    index = retriever.index
    n = index.n_chunks
    chunk_article = np.asarray(index.chunk_rows[:, 0], dtype=np.int64)
    with_title = index.manifest.chunking.get("with_title", True)
    texts = [
        embedding_text(index.articles[a].get("title", ""), index.chunk_text(c), with_title)
        for c, a in enumerate(chunk_article.tolist())
    ]
    tokens = tokenize(texts)
    queries = list(dataset.queries.values())
    vectors = np.stack([retriever.embedder.encode_query(q) for q in queries])
    dense = vectors @ index.dense.reconstruct_n(0, n).T
    terms = [[tokens.vocab[t] for t in stem_words(q) if t in tokens.vocab] for q in queries]
    article_ids = [a["article_id"] for a in index.articles]
    return Prepared(dataset, dense, tokens, terms, chunk_article, article_ids, texts)


def lexical_scores(prepared: Prepared, k1: float, b: float) -> np.ndarray:
    """Queries x chunks: BM25(k1, b), each query's row over its best score (as the retriever fuses it)."""
    bm25 = new_bm25s(LexicalConfig(k1=k1, b=b))
    bm25.index(prepared.tokens, show_progress=False)
    rows = []
    for terms in prepared.query_terms:
        lexical = bm25.get_scores(terms) if terms else np.zeros(prepared.dense.shape[1])
        rows.append(lexical / (lexical.max() or 1.0))
    return np.stack(rows)


def top_articles(prepared: Prepared, fused: np.ndarray, k: int = 10) -> list[str]:
    """The `k` best articles of one query's chunk scores, each article by its best chunk (one passage each)."""
    best = np.full(len(prepared.article_ids), -np.inf)
    np.maximum.at(best, prepared.chunk_article, fused)
    return [prepared.article_ids[j] for j in np.argsort(-best)[:k]]


def ranks_run(ranked: list[str]) -> dict[str, float]:
    """A run entry in which the ranks decide, as in qa eval."""
    return {doc: float(len(ranked) - rank) for rank, doc in enumerate(ranked)}


def evaluate(prepared: Prepared, k1: float, b: float, dense_weight: float) -> tuple[float, float, float]:
    """(top-1, right passage in the top 2, nDCG@10) of the fused ranking with BM25(k1, b)."""
    fused = dense_weight * prepared.dense + (1 - dense_weight) * lexical_scores(prepared, k1, b)
    hits = np.zeros(2)
    run: dict[str, dict[str, float]] = {}
    for i, qid in enumerate(prepared.dataset.queries):
        ranked = top_articles(prepared, fused[i])
        relevant = prepared.dataset.qrels[qid]
        hits += [ranked[0] in relevant, any(d in relevant for d in ranked[:2])]
        run[qid] = ranks_run(ranked)
    top1, top2 = hits / len(prepared.dataset.queries)
    return round(top1, 4), round(top2, 4), round(score_run(prepared.dataset.qrels, run)["ndcg@10"], 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["squad-dev", "scifact-train"], choices=sorted(SETS))
    parser.add_argument("--k1", nargs="+", type=float, default=[0.3, 0.4, 0.5, 0.6, 0.9, 1.2, 1.5])
    parser.add_argument("--b", nargs="+", type=float, default=[0.4, 0.6, 0.75, 0.9])
    parser.add_argument("--dense-weight", nargs="+", type=float, default=[0.7])
    args = parser.parse_args()
    for name in args.sets:
        folder, split, _role = SETS[name]
        prepared = prepare(load_dataset(folder, split))
        print(f"{name}: k1 b dense_weight -> top-1, top-2, nDCG@10", flush=True)
        for k1, b, weight in itertools.product(args.k1, args.b, args.dense_weight):
            top1, top2, ndcg = evaluate(prepared, k1, b, weight)
            print(f"  {k1:g} {b:g} {weight:g} -> {top1:.4f} {top2:.4f} {ndcg:.4f}", flush=True)


if __name__ == "__main__":
    main()
