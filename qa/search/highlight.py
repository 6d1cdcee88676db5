"""Pick the sentence of a passage that best answers the question (extractive, no generation).

`best_sentence` uses the learned model of `answers.py` (trained on SQuAD, see train/answers.py);
`overlap_best_sentence` is the earlier hand-tuned rule (IDF-weighted overlap, density, answer-type bonus),
kept as the baseline the model is measured against.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from ..index.lexical import stem_words
from ..text import sentence_spans
from .answers import score_sentences as learned_scores
from .features import QuestionInfo, terms

_NUMBER = re.compile(r"\d")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")
_DATE_WORDS = re.compile(
    r"\b(?:\d{4}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|"
    r"june|july|august|september|october|november|december|yesterday|today|last week|ago)\b",
    re.IGNORECASE,
)

# Answer types: a question word and what an answering sentence tends to contain.
_ANSWER_TYPES: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (re.compile(r"\bhow (?:many|much)\b|\bwhat (?:number|percentage|amount)\b", re.I), _NUMBER),
    (re.compile(r"^\s*when\b|\bwhat (?:date|day|year|time)\b", re.I), _DATE_WORDS),
    (
        re.compile(
            r"^\s*(?:who|whom|whose)\b"
            r"|\bwhich (?:\w+ )?(?:agency|person|official|minister|senator|leader|country|group)\b",
            re.I,
        ),
        _CAPITALISED,
    ),
]
ANSWER_TYPE_BONUS = 0.15


def overlap_scores(question: str, text: str, idf: Mapping[str, float] | None = None) -> list[tuple[float, int, int]]:
    """(score, start, end) for each sentence of `text`: idf-weighted share of the question's terms (the baseline)."""
    q_terms = set(stem_words(question))
    weights = {t: (idf or {}).get(t, 1.0) or 1.0 for t in q_terms}
    total = sum(weights.values()) or 1.0
    wanted = [pattern for q_pattern, pattern in _ANSWER_TYPES if q_pattern.search(question)]
    scored = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        s_terms = set(stem_words(sentence))
        coverage = sum(w for t, w in weights.items() if t in s_terms) / total
        # Prefer sentences that cover the question densely over long ones that cover it by chance.
        density = coverage / math.log2(2 + len(s_terms) / 8)
        bonus = ANSWER_TYPE_BONUS * sum(bool(p.search(sentence)) for p in wanted) / max(len(wanted), 1)
        scored.append((coverage + 0.5 * density + bonus, start, end))
    return scored


def overlap_best_sentence(
    question: str, text: str, idf: Mapping[str, float] | None = None, dense_scores: Sequence[float] | None = None
) -> tuple[int, int]:
    """The baseline's span of the best-answering sentence of `text` (the first one when nothing matches)."""
    scored = overlap_scores(question, text, idf)
    if not scored:
        return 0, len(text)
    if dense_scores is not None and len(dense_scores) == len(scored):
        scored = [(s + d, a, b) for (s, a, b), d in zip(scored, dense_scores, strict=True)]
    best = max(scored, key=lambda item: item[0])
    return best[1], best[2]


def score_sentences(
    question: str | QuestionInfo,
    text: str,
    idf: Mapping[str, float] | None = None,
    dense_scores: Sequence[float] | None = None,
) -> list[tuple[float, int, int]]:
    """(score, start, end) for each sentence of `text` under the learned model (higher answers better)."""
    q = question if isinstance(question, QuestionInfo) else QuestionInfo(question, idf)
    return learned_scores(q, text, dense_scores)


def best_sentence(
    question: str | QuestionInfo,
    text: str,
    idf: Mapping[str, float] | None = None,
    dense_scores: Sequence[float] | None = None,
) -> tuple[int, int]:
    """Span of the best-answering sentence of `text`; the first sentence when none shares a word with the question."""
    q = question if isinstance(question, QuestionInfo) else QuestionInfo(question, idf)
    if dense_scores is None and text in q.best_sentences:
        return q.best_sentences[text]
    scored = learned_scores(q, text, dense_scores)
    if not scored:
        span = 0, len(text)
    elif not any(term in q.term_set for _, a, b in scored for term in terms(text[a:b])):
        span = scored[0][1], scored[0][2]
    else:
        best = max(scored, key=lambda item: item[0])
        span = best[1], best[2]
    if dense_scores is None:
        q.best_sentences[text] = span
    return span
