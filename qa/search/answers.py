"""Learned answer-sentence selection: which sentence of a passage answers the question.

A logistic regression over `features.sentence_features` (IDF-weighted overlap, bigrams, what the question asks
for against what the sentence holds, the words it adds, position, length; optionally the question/sentence
cosine under the index's model), trained on SQuAD train articles by `train/answers.py`. Weights ship in
`qa/search/models/answer_sentence.json`: the `lexical` variant is the default (no extra encoding per
question); the `dense` variant is used when sentence similarities are already at hand (mode hybrid+rerank).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..text import sentence_spans
from .features import QuestionInfo, sentence_features
from .linear import has_variant, load_model

MODEL = "answer_sentence"


def score_sentences(
    q: QuestionInfo, text: str, dense: Sequence[float] | None = None, spans: list[tuple[int, int]] | None = None
) -> list[tuple[float, int, int]]:
    """(score, start, end) for each sentence of `text` under the packaged model."""
    spans = spans if spans is not None else sentence_spans(text)
    if not spans:
        return []
    use_dense = dense is not None and len(dense) == len(spans)
    model = load_model(MODEL, "dense" if use_dense and has_variant(MODEL, "dense") else "lexical")
    rows = sentence_features(q, [text[a:b] for a, b in spans], dense if use_dense else None)
    scores = model.scores(rows)
    if use_dense and "dense" not in model.weights:  # no dense variant packaged: add the similarities
        scores = [s + float(d) for s, d in zip(scores, dense, strict=True)]
    return [(s, a, b) for s, (a, b) in zip(scores, spans, strict=True)]


def answer_sentence(
    question: str | QuestionInfo,
    text: str,
    idf: Mapping[str, float] | None = None,
    dense: Sequence[float] | None = None,
) -> tuple[int, int, float]:
    """(start, end, score) of the sentence of `text` that best answers; the whole text when it has none."""
    q = question if isinstance(question, QuestionInfo) else QuestionInfo(question, idf)
    scored = score_sentences(q, text, dense)
    if not scored:
        return 0, len(text), 0.0
    score, start, end = max(scored, key=lambda item: item[0])
    return start, end, score


def locate_answer(
    q: QuestionInfo, text: str, dense: Sequence[float] | None = None, span: bool = True
) -> tuple[int, int, str, int, int]:
    """(highlight_start, highlight_end, answer, answer_start, answer_end) for one passage.

    The highlight is the learned best sentence (the first one when no sentence shares a word with the question);
    the answer is the best short span inside it, or "" (then answer_start == answer_end == highlight_start)
    when nothing fits or `span` is False (passages below the top few skip the span work).
    """
    from .highlight import best_sentence
    from .span import answer_span

    start, end = best_sentence(q, text, dense_scores=dense)
    if not span:
        return start, end, "", start, start
    answer, a, b = answer_span(q, text, start, end)
    return start, end, answer, a, b
