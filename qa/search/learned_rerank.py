"""Learned second stage: rescore the fused top passages from cheap passage features.

Features per passage of the head (the fused top `DEPTH`): dense cosine and normalised BM25 (and their gaps to
the head's best), the fused score and rank, how much of the question (IDF-weighted) the passage and its title
hold, question bigrams, the tightest window of matched terms, and the learned answer-sentence model's best
sentence score. A logistic regression trained on SQuAD train articles and SciFact train queries by
`train/rerank.py`; weights in `qa/search/models/rerank.json`. No text is encoded: the question vector and the
passages' stored vectors are all it needs, so it costs well under a few milliseconds per question.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

from .answers import score_sentences
from .features import QuestionInfo, terms
from .linear import load_model

MODEL = "rerank"
DEPTH = 10


def passage_features(
    q: QuestionInfo,
    texts: Sequence[str],
    titles: Sequence[str],
    dense: Sequence[float],
    lexical: Sequence[float],
    fused: Sequence[float],
) -> list[dict[str, float]]:
    """One feature dict per head passage; `lexical` is BM25 divided by the best BM25 of the query."""
    rows = []
    best_dense, best_lex, best_fused = max(dense, default=0.0), max(lexical, default=0.0), max(fused, default=0.0)
    for rank, (text, title, d, b, f) in enumerate(zip(texts, titles, dense, lexical, fused, strict=True)):
        seq = terms(text)
        s_set = set(seq)
        matched = q.term_set & s_set
        title_terms = set(terms(title))
        positions = [j for j, t in enumerate(seq) if t in matched]
        window = 0.0
        if len(positions) > 1:  # the tightest window holding every matched term, in terms
            window = _window(seq, matched) / len(matched)
        sentences = score_sentences(q, text)
        rows.append(
            {
                "dense": d,
                "dense_gap": best_dense - d,
                "lexical": b,
                "lexical_gap": best_lex - b,
                "fused_gap": best_fused - f,
                "log_rank": math.log1p(rank),
                "first": float(rank == 0),
                "idf_cov": sum(q.weights[t] for t in matched) / q.total,
                "title_cov": sum(q.weights[t] for t in q.term_set & title_terms) / q.total,
                "bigram_cov": sum(1 for b2 in pairwise(seq) if b2 in q.bigrams) / max(len(q.bigrams), 1),
                "window": math.log1p(window),
                "best_sentence": max((s for s, _, _ in sentences), default=0.0),
                "log_len": math.log1p(len(seq)),
            }
        )
    best_sentence = max((r["best_sentence"] for r in rows), default=0.0)
    for r in rows:
        r["best_sentence_gap"] = best_sentence - r["best_sentence"]
    return rows


def _window(seq: list[str], wanted: set[str]) -> int:
    """Length of the shortest run of `seq` that holds every term of `wanted` (len(seq) when none does)."""
    counts: dict[str, int] = {}
    have, best, left = 0, len(seq), 0
    for right, term in enumerate(seq):
        if term in wanted:
            counts[term] = counts.get(term, 0) + 1
            have += counts[term] == 1
        while have == len(wanted) and left <= right:
            best = min(best, right - left + 1)
            t = seq[left]
            if t in wanted:
                counts[t] -= 1
                have -= counts[t] == 0
            left += 1
    return best


def rerank_scores(q: QuestionInfo, rows: Sequence[dict[str, float]]) -> list[float]:
    return load_model(MODEL).scores(rows)


class LearnedReranker:
    """`QA_RERANKER=learned` / `reranker="learned"`: the packaged model over the fused head's own scores."""

    name = "learned"

    def score_head(
        self,
        query: str,
        texts: Sequence[str],
        titles: Sequence[str],
        fused: Sequence[float],
        lexical: Sequence[float],
        dense_weight: float | None,
    ) -> list[float]:
        """Scores for the head; `lexical` is BM25 / best BM25, the dense cosine is recovered from the mix."""
        if dense_weight:
            dense = [(f - (1 - dense_weight) * b) / dense_weight for f, b in zip(fused, lexical, strict=True)]
        else:  # rank fusion: no cosine to recover
            dense = list(fused)
        q = QuestionInfo(query)
        return rerank_scores(q, passage_features(q, texts, titles, dense, lexical, fused))

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        """Text-only use (no retrieval scores): passages count as equally retrieved."""
        zeros = [0.0] * len(passages)
        return self.score_head(query, passages, [""] * len(passages), zeros, zeros, None)
