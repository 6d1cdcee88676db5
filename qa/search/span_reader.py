"""The short answer with the reader's help: the span model's candidates, also scored by the reader.

The reader (reader.py) alone finds the answer's region well but its edges less well ("Four warships ...
fired 26"); the lexical span model (span.py) knows what an answer looks like (a number with its unit, a
name) but not which one is meant. Each candidate of the answer sentence gets the lexical features plus the
reader's start score at its first word and end score at its last (relative to the reader's best), and
whether it is, lies inside or covers the reader's best span; a logistic regression trained by
`train/answers_span.py --reader` on SQuAD train articles (`qa/search/models/answer_span_reader.json`) picks.
"""

from __future__ import annotations

import math
from functools import lru_cache

from .features import QuestionInfo
from .linear import MODEL_DIR, load_model
from .reader import ReaderScores
from .span import MIN_PROBABILITY, candidates

MODEL = "answer_span_reader"
FLOOR = -12.0  # a score below the reader's best by more than this counts as this much
# Serving scores only spans starting at the MAX_STARTS words nearest the reader's own span start: the same
# SQuAD dev span F1 as scoring every span (0.567 with 5, 8, 12 or all), a fraction of the work in long sentences.
MAX_STARTS = 8


@lru_cache(maxsize=1)
def available() -> bool:
    return (MODEL_DIR / f"{MODEL}.json").is_file()


def reader_features(start: int, end: int, scores: ReaderScores) -> dict[str, float]:
    """The reader's view of the span text[start:end] (offsets in the passage)."""
    best = scores.reading
    top_start, top_end = max(scores.starts.values()), max(scores.ends.values())
    s = max(scores.starts.get(start, top_start + FLOOR) - top_start, FLOOR)
    e = max(scores.ends.get(end, top_end + FLOOR) - top_end, FLOOR)
    exact = start == best.start and end == best.end
    return {
        "rd_start": s,
        "rd_end": e,
        "rd_sum": s + e,
        "rd_exact": float(exact),
        "rd_inside": float(not exact and best.start <= start and end <= best.end),
        "rd_covers": float(not exact and start <= best.start and best.end <= end),
        "rd_apart": float(end <= best.start or start >= best.end),
    }


def scored_candidates(
    q: QuestionInfo, text: str, start: int, end: int, scores: ReaderScores, max_starts: int | None = MAX_STARTS
) -> list[tuple[int, int, dict[str, float]]]:
    """(start, end, features) of each candidate of the sentence text[start:end], offsets in `text`."""
    out = []
    anchor = scores.reading.start - start
    for a, b, row in candidates(q, text[start:end], max_starts=max_starts, anchor=anchor):
        row = dict(row)
        row.update(reader_features(start + a, start + b, scores))
        out.append((start + a, start + b, row))
    return out


def read_span(q: QuestionInfo, text: str, start: int, end: int, scores: ReaderScores) -> tuple[str, int, int]:
    """(answer, answer_start, answer_end) in the sentence text[start:end]; the reader's own span when no
    candidate fits or the model is not packaged; ("", start, start) when nothing is likely enough."""
    best = scores.reading
    cands = scored_candidates(q, text, start, end, scores) if available() else []
    if not cands:
        return text[best.start : best.end], best.start, best.end
    model = load_model(MODEL)
    values = model.scores([row for _, _, row in cands])
    k = max(range(len(cands)), key=values.__getitem__)
    if 1.0 / (1.0 + math.exp(-values[k])) < MIN_PROBABILITY:
        return "", start, start
    a, b, _ = cands[k]
    return text[a:b], a, b
