"""The short answer inside the answer sentence: a number with its unit, a date, a name, a place, a short phrase.

Candidates are the word spans of the sentence (up to `MAX_WORDS` words) that neither start nor end with a
function word or punctuation and do not only repeat the question. A logistic regression scores each from its
kind (number, year, month, money, percentage, capitalised name) crossed with the question type, its length,
how much of it the question already says, and where it stands relative to the question's words in the
sentence (distance, a question word right before or after it, a preposition before it). Trained by
`train/answers_span.py` on SQuAD train articles; weights in `qa/search/models/answer_span.json`.
"""

from __future__ import annotations

import math
import re

from .features import DIGIT, FUNCTION_WORDS, MONEY, MONTH, NUMBER_WORD, PERCENT, YEAR, QuestionInfo, stem
from .linear import load_model

MODEL = "answer_span"
MAX_WORDS = 7
# Long sentences (or text without sentence ends) would give hundreds of candidates: only spans starting at the
# MAX_STARTS tokens nearest a question word are scored (the model rarely picks one farther away).
MAX_STARTS = 40
MIN_PROBABILITY = 0.02  # below this nothing fits: the answer is ""
_TOKEN = re.compile(r"[$£€¥]?\d[\d,.:]*\d%?|[$£€¥]?\d%?|\w+(?:[-'’.]\w+)*|[^\w\s]")
_PREPOSITIONS = frozenset("in on at by from of to for with during since as after before until near into".split())  # noqa: SIM905
_WH = re.compile(r"\b(?:what|which|how many|how much)\s+(\w+)", re.I)  # the asked-about noun
_BREAKS = frozenset('.;:!?()[]"“”')


def tokens(sentence: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(sentence)]


def _kind(text: str) -> dict[str, float]:
    return {
        "digit": float(bool(DIGIT.search(text))),
        "year": float(bool(YEAR.search(text))),
        "month": float(bool(MONTH.search(text))),
        "money": float(bool(MONEY.search(text))),
        "percent": float(bool(PERCENT.search(text))),
        "numword": float(bool(NUMBER_WORD.search(text))),
    }


def _shape(token: str) -> str:
    if token[0].isdigit() or token[0] in "$£€¥":
        return "d"
    if token[0].isupper():
        return "X"
    return "x" if token[0].isalnum() else "p"


def _context(word: str, is_word: bool) -> str:
    """A neighbour as a feature value: function words by name, other words by shape."""
    if not is_word:
        return "p"
    return word if word in FUNCTION_WORDS else ("d" if word[0].isdigit() else "w")


def candidates(
    q: QuestionInfo, sentence: str, max_starts: int | None = MAX_STARTS, anchor: int | None = None
) -> list[tuple[int, int, dict[str, float]]]:
    """(start, end, features) of each candidate span; offsets index into `sentence`.

    Training passes `max_starts=None` (every candidate); serving scores only spans starting at the
    `max_starts` words nearest the question's words, or nearest the character `anchor` when given (where the
    reader puts the answer).
    """
    toks = tokens(sentence)
    n = len(toks)
    if not n:
        return []
    lower = [t.lower() for t, _, _ in toks]
    is_word = [t[0].isalnum() or t[0] in "$£€¥" for t, _, _ in toks]
    is_func = [w in FUNCTION_WORDS for w in lower]
    stems = [stem(w) if is_word[i] else "" for i, w in enumerate(lower)]
    in_q = [bool(s) and (s in q.stems or lower[i] in q.words) and not is_func[i] for i, s in enumerate(stems)]
    shapes = [_shape(t) for t, _, _ in toks]
    caps = [is_word[i] and shapes[i] == "X" and i > 0 for i in range(n)]
    context = [_context(lower[i], is_word[i]) for i in range(n)]
    matched = [i for i in range(n) if in_q[i]]
    wh = _WH.search(q.text)
    wh_noun = stem(wh.group(1).lower()) if wh else ""
    qt = q.qtype
    out = []
    near = [True] * n
    if max_starts is not None and n > max_starts:
        if anchor is not None:
            at = next((k for k, (_, a, b) in enumerate(toks) if b > anchor), n - 1)
            gap = [abs(k - at) for k in range(n)]
        else:
            gap = [min((abs(k - m) for m in matched), default=k) for k in range(n)]
        keep = set(sorted(range(n), key=lambda k: (gap[k], k))[:max_starts])
        near = [k in keep for k in range(n)]
    for i in range(n):
        if not is_word[i] or is_func[i] or not near[i]:
            continue
        left = context[i - 1] if i > 0 else "^"
        q_left = sum(in_q[max(0, i - 3) : i])
        for j in range(i + 1, min(n, i + MAX_WORDS) + 1):
            last = j - 1
            if lower[last] in _BREAKS or toks[last][0] == ",":
                break
            if not is_word[last] or is_func[last]:
                continue
            content = [k for k in range(i, j) if is_word[k] and not is_func[k]]
            overlap = sum(in_q[k] for k in content) / len(content)
            if overlap == 1.0:
                continue
            text = sentence[toks[i][1] : toks[last][2]]
            before = [i - m for m in matched if m < i]
            after = [m - last for m in matched if m > last]
            dist = min(before + after) if (before or after) else n
            length = j - i
            right = context[j] if j < n else "$"
            shape = "".join(dict.fromkeys(shapes[i:j]))[:3]
            row = {
                f"len={min(length, 5)}": 1.0,
                "overlap": overlap,
                "any_overlap": float(overlap > 0),
                "cap_frac": sum(caps[k] for k in content) / len(content),
                "first_cap": float(caps[i]),
                "sent_start": float(i == 0),
                "log_dist": math.log1p(dist),
                "log_dist_left": math.log1p(min(before, default=n)),
                "log_dist_right": math.log1p(min(after, default=n)),
                "no_match": float(not matched),
                "q_left3": float(q_left),
                "q_right3": float(sum(in_q[j : j + 3])),
                "inner_func": float(sum(is_func[i:j])),
                "wh_noun_in": float(bool(wh_noun) and wh_noun in stems[i:j]),
                "wh_noun_right": float(bool(wh_noun) and j < n and stems[j] == wh_noun),
                "after_match": float(bool(before)),
                "before_match": float(bool(after)),
                f"L={left}": 1.0,
                f"R={right}": 1.0,
                f"shape={shape}": 1.0,
                f"{qt}*L={left}": 1.0,
                f"{qt}*R={right}": 1.0,
                f"{qt}*shape={shape}": 1.0,
                f"{qt}*len={min(length, 5)}": 1.0,
                f"{qt}*log_dist": math.log1p(dist),
                f"{qt}*overlap": overlap,
            }
            if wh_noun:
                row[f"wh={wh_noun}*shape={shape}"] = 1.0
                row[f"{qt}*wh_noun_right"] = row["wh_noun_right"]
            kind = _kind(text)
            for name, value in kind.items():
                if value:
                    row[name] = value
                    row[f"{qt}*{name}"] = value
            out.append((toks[i][1], toks[last][2], row))
    return out


def best_span(q: QuestionInfo, sentence: str) -> tuple[int, int, float] | None:
    """(start, end, probability) of the best candidate in `sentence`, or None when nothing fits."""
    cands = candidates(q, sentence)
    if not cands:
        return None
    model = load_model(MODEL)
    scores = model.scores([row for _, _, row in cands])
    k = max(range(len(cands)), key=scores.__getitem__)
    probability = 1.0 / (1.0 + math.exp(-scores[k]))
    if probability < MIN_PROBABILITY:
        return None
    return cands[k][0], cands[k][1], probability


def answer_span(q: QuestionInfo, text: str, start: int, end: int) -> tuple[str, int, int]:
    """(answer, answer_start, answer_end) inside text[start:end] (the answer sentence); ("", start, start) if none."""
    found = best_span(q, text[start:end])
    if found is None:
        return "", start, start
    a, b, _ = found
    return text[start + a : start + b], start + a, start + b
