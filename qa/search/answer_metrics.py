"""SQuAD's answer metrics: exact match and token F1 after normalisation (lower case, no punctuation/articles)."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)


def normalize_answer(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    p = normalize_answer(prediction)
    return float(any(p == normalize_answer(g) for g in golds))


def f1_score(prediction: str, golds: Sequence[str]) -> float:
    p = normalize_answer(prediction).split()
    best = 0.0
    for gold in golds:
        g = normalize_answer(gold).split()
        common = sum((Counter(p) & Counter(g)).values())
        if common:
            precision, recall = common / len(p), common / len(g)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def holds_answer(text: str, golds: Sequence[str]) -> float:
    """1.0 when `text` contains one of the gold answers (normalised)."""
    t = f" {normalize_answer(text)} "
    return float(any(f" {normalize_answer(g)} " in t for g in golds if normalize_answer(g)))
