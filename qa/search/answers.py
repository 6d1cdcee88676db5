"""Learned answer-sentence selection: which sentence of a passage answers the question.

A logistic regression over `features.sentence_features` (IDF-weighted overlap, bigrams, what the question asks
for against what the sentence holds, the words it adds, position, length; optionally the question/sentence
cosine under the index's model), trained on SQuAD train articles by `train/answers.py`. Weights ship in
`qa/search/models/answer_sentence.json`: the `lexical` variant is the default (no extra encoding per
question); the `dense` variant is used when sentence similarities are already at hand (mode hybrid+rerank).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

from ..text import sentence_spans
from .features import QuestionInfo, sentence_features
from .linear import has_variant, load_model
from .reader import MAX_TOKENS, ReaderScores, ReaderUnavailable, get_reader
from .span_reader import read_span

MODEL = "answer_sentence"
# The reader's answer is kept when its span scores at least this much above its no-answer score. Since the
# listwise stages (train.reader_rank) margins spread wider: on dev (`train.reader_tune`) a floor of -8 costs
# 0.004 span F1 and blanks 74 wrong and 22 right top passages; -2 would cost 0.052 (145 right ones blanked).
NO_ANSWER_MARGIN = -8.0
# The reader reorders the head by fused score + `SearchOptions.read_weight` * answer margin. No margin the
# reader gives exceeds MAX_MARGIN in practice (dev p99 12.8), so a passage whose fused score is more than
# read_weight * MAX_MARGIN below the best read score so far cannot win and is not read.
MAX_MARGIN = 12.0
# Passages below the top one are read for their margin only (the one that wins is read again in the answer
# window): the second in 96 tokens, the third and later in 64. Dev top-1 at depth 2 with 128 / 96 / 64 tokens
# for the second: 0.842 / 0.839 / 0.838 with the reader of stages 1-3 (1,200 questions); with the
# listwise-trained reader of stages 1-6 (all 3,436 dev questions) 0.860 / 0.860 / 0.853, highlight 0.754 /
# 0.755 / 0.749. At depth 3 (BM25 k1 0.4) the third read in 64 tokens ties 96 (0.870 / 0.761 both) at ~1.5 ms
# less; 96 tokens cost ~1 ms more than 64 and ~1.5 less than 128 at 100k chunks.
RANK_TOKENS = (96, 64)
READER_ENV = "QA_READER"  # "off": the lexical span model gives the short answer (faster, weaker)
log = logging.getLogger(__name__)
_READER_MISSING = False


def read_tokens(place: int) -> int:
    """The window (question included) the reader reads the head's passage at `place` (0: the top) in."""
    return MAX_TOKENS if place == 0 else RANK_TOKENS[min(place, len(RANK_TOKENS)) - 1]


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

    With `span` (the top passage), the reader (reader.py) reads the passage: the highlight is the sentence
    holding its best span, the answer the candidate phrase of that sentence that the span model picks with
    the reader's scores (span_reader.py), "" when the reader is surer that the passage holds no answer.
    Without `span` the highlight is the learned best sentence (the first one when no sentence shares a word
    with the question) and the answer "" (answer_start == answer_end == highlight_start); when the reader is
    not available, the lexical span model's best phrase of that sentence is the answer.
    """
    from .highlight import best_sentence
    from .span import answer_span

    start, end = best_sentence(q, text, dense_scores=dense)
    if not span:
        return start, end, "", start, start
    scores = read(q.text, text, focus=start)
    if scores is not None:
        reading = scores.reading
        h_start, h_end = sentence_around(text, reading.start, reading.end)
        if reading.margin < NO_ANSWER_MARGIN:
            return h_start, h_end, "", h_start, h_start
        answer, a, b = read_span(q, text, h_start, h_end, scores)
        return h_start, h_end, answer, a, b
    answer, a, b = answer_span(q, text, start, end)
    return start, end, answer, a, b


def reading_margin(q: QuestionInfo, text: str, max_tokens: int = MAX_TOKENS) -> float | None:
    """The reader's answer margin for `text`, read around its learned best sentence as `locate_answer` reads the
    top passage (with the same `max_tokens`, that reading is reused); None without the reader or for empty text."""
    from .highlight import best_sentence

    start, _ = best_sentence(q, text)
    scores = read(q.text, text, focus=start, max_tokens=max_tokens)
    return scores.reading.margin if scores else None


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence of `text` holding `start` (widened to `end` when a span crosses a sentence end)."""
    for a, b in sentence_spans(text):
        if a <= start < b or start < a:
            return min(a, start), max(b, end)
    return start, end


def read(question: str, text: str, focus: int = 0, max_tokens: int = MAX_TOKENS) -> ReaderScores | None:
    """The reader's scores for `text`, or None when it is unavailable (logged once) or the text is empty."""
    global _READER_MISSING
    if _READER_MISSING or os.environ.get(READER_ENV, "").lower() in ("0", "off", "no", "false"):
        return None
    try:
        return get_reader().scores(question, text, focus, max_tokens)
    except ReaderUnavailable as exc:
        _READER_MISSING = True
        log.warning("answers fall back to the lexical span model: %s", exc)
        return None
