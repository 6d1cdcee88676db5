"""Cheap text features shared by answer-sentence selection, answer spans and the learned reranker.

Terms are the lexical index's own (lower-cased words of 2+ characters, bm25s English stop-words removed,
Snowball-stemmed), so IDF weights from the index apply. Everything here is plain Python and regexes: the
per-question answer work must stay well under a millisecond per passage.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from itertools import pairwise

from ..index.lexical import LANGUAGE

# bm25s's English stop-words: the words the index drops.
_INDEX_STOPWORDS = (
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these they "
    "this to was will with"
)
INDEX_STOPWORDS = frozenset(_INDEX_STOPWORDS.split())
# Function words: never the edge of an answer, never evidence that a sentence answers.
FUNCTION_WORDS = INDEX_STOPWORDS | frozenset(
    """about above after again against all am any because been before being below between both can could did do
    does doing down during each few from further had has have having he her here hers herself him himself his how
    i its itself just me more most my myself nor now off once only other our ours ourselves out over own same she
    should so some than theirs them themselves those through too under until up very we were what when where which
    while who whom whose why you your yours yourself also would may might must shall one its it's said says say
    many much""".split()  # noqa: SIM905
)
_WORD = re.compile(r"(?u)\b\w\w+\b")
_CAPITALISED = re.compile(r"\b[A-Z][\w'-]*")
DIGIT = re.compile(r"\d")
YEAR = re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})s?\b")
MONTH = re.compile(
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december|monday|tuesday|"
    r"wednesday|thursday|friday|saturday|sunday|century|centuries|decade)\b",
    re.I,
)
MONEY = re.compile(r"[$£€¥]|\b(?:dollars?|euros?|pounds?|yen|cents?|usd)\b", re.I)
PERCENT = re.compile(r"%|\bper ?cent\b", re.I)
NUMBER_WORD = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|million|billion|trillion|dozen|half|once|twice)\b",
    re.I,
)

# Question types, tried in order; the first that matches wins.
QUESTION_TYPES: list[tuple[str, re.Pattern[str]]] = [
    ("percent", re.compile(r"\b(?:what|which) (?:percentage|percent|proportion|share|fraction)\b|\bhow much of\b")),
    ("how_much", re.compile(r"\bhow much\b|\bwhat (?:amount|price|sum|cost)\b|\bhow expensive\b")),
    ("how_many", re.compile(r"\bhow many\b|\bwhat (?:number|quantity)\b")),
    ("how_num", re.compile(r"\bhow (?:long|old|far|tall|big|large|high|wide|deep|often|fast|heavy|early|late)\b")),
    (
        "when",
        re.compile(
            r"^when\b|\b(?:in |by |since |until )?when\b|\b(?:what|which) (?:year|years|date|day|month|century|"
            r"decade|time|period|era|season)\b"
        ),
    ),
    (
        "where",
        re.compile(r"\bwhere\b|\b(?:what|which) (?:country|city|state|place|town|region|location|continent|area)\b"),
    ),
    ("who", re.compile(r"\bwho(?:m|se)?\b|\b(?:what|which) (?:person|man|woman|people|name|agency|company|group)\b")),
    ("why", re.compile(r"\bwhy\b")),
    ("how", re.compile(r"\bhow\b")),
    ("which", re.compile(r"\bwhich\b")),
    ("what", re.compile(r"\bwhat\b")),
]


_QUESTION_START = re.compile(
    r"(?:who|whom|whose|what|when|where|which|why|how|is|are|was|were|do|does|did|can|could|should|would|will|"
    r"has|have|had|name|list)\b",
    re.I,
)


def is_question(text: str) -> bool:
    """Whether `text` is asked as a question (a "?" at the end, or a question word first), not a claim or keywords."""
    text = text.strip()
    return text.endswith("?") or bool(_QUESTION_START.match(text))


def question_type(question: str) -> str:
    q = question.lower()
    for name, pattern in QUESTION_TYPES:
        if pattern.search(q):
            return name
    return "other"


@lru_cache(maxsize=1)
def _stemmer():
    try:
        import Stemmer
    except ImportError:  # the lexical index runs unstemmed then too
        return None
    return Stemmer.Stemmer(LANGUAGE)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball stem of one lower-cased word, as the lexical index stems it."""
    stemmer = _stemmer()
    return stemmer.stemWord(word) if stemmer else word


def terms(text: str) -> list[str]:
    """The index's stemmed terms of `text`, in order (stop-words dropped)."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in INDEX_STOPWORDS]


def content_flags(text: str, question_caps: set[str] | frozenset[str] = frozenset()) -> dict[str, float]:
    """What kinds of answer a piece of text holds: numbers, money, percentages, dates, names."""
    caps = [m.group() for m in _CAPITALISED.finditer(text) if m.start() > 0]
    new_caps = [c for c in caps if c.lower() not in question_caps and c.lower() not in FUNCTION_WORDS]
    digits = bool(DIGIT.search(text))
    return {
        "number": float(digits or bool(NUMBER_WORD.search(text))),
        "money": float(bool(MONEY.search(text))),
        "percent": float(bool(PERCENT.search(text))),
        "year": float(bool(YEAR.search(text))),
        "date": float(bool(MONTH.search(text))),
        "name": float(bool(new_caps)),
    }


FLAG_NAMES = ["number", "money", "percent", "year", "date", "name"]


class QuestionInfo:
    """Everything about the question that sentence and span features need, computed once per question."""

    def __init__(self, question: str, idf: Mapping[str, float] | None = None) -> None:
        self.text = question
        self.qtype = question_type(question)
        self.terms = list(dict.fromkeys(terms(question)))
        self.term_set = set(self.terms)
        idf = idf or {}
        self.weights = {t: (idf.get(t) or 1.0) for t in self.terms}
        self.total = sum(self.weights.values()) or 1.0
        seq = terms(question)
        self.bigrams = set(pairwise(seq))
        self.caps = {m.group().lower() for m in _CAPITALISED.finditer(question)}
        self.words = {w for w in _WORD.findall(question.lower())}
        self.stems = {stem(w) for w in self.words}
        # passage text -> its best sentence's span (highlight.best_sentence), as reading and highlighting a
        # passage both need it
        self.best_sentences: dict[str, tuple[int, int]] = {}


def sentence_features(
    q: QuestionInfo, sentences: Sequence[str], dense: Sequence[float] | None = None
) -> list[dict[str, float]]:
    """One feature dict per sentence of a passage (features relative to the passage's best are included)."""
    n = len(sentences)
    seqs = [terms(s) for s in sentences]
    rows: list[dict[str, float]] = []
    for i, (sentence, seq) in enumerate(zip(sentences, seqs, strict=True)):
        s_set = set(seq)
        matched = q.term_set & s_set
        idf_cov = sum(q.weights[t] for t in matched) / q.total
        cov = len(matched) / max(len(q.term_set), 1)
        bigrams = sum(1 for b in pairwise(seq) if b in q.bigrams) / max(len(q.bigrams), 1)
        new = [t for t in s_set if t not in q.term_set]
        positions = [j for j, t in enumerate(seq) if t in matched]
        window = (positions[-1] - positions[0] + 1) / max(len(positions), 1) if positions else 0.0
        flags = content_flags(sentence, q.caps)
        row = {
            "idf_cov": idf_cov,
            "cov": cov,
            "bigram_cov": bigrams,
            "density": idf_cov / math.log2(2 + len(s_set) / 8),
            "log_new": math.log1p(len(new)),
            "new_frac": len(new) / max(len(s_set), 1),
            "log_len": math.log1p(len(seq)),
            "position": i / max(n - 1, 1),
            "first": float(i == 0),
            "window": math.log1p(window),
            "no_match": float(not matched),
        }
        for name in FLAG_NAMES:
            row[f"{q.qtype}*{name}"] = flags[name]
        row[f"type={q.qtype}"] = 1.0
        rows.append(row)
    best_idf = max((r["idf_cov"] for r in rows), default=0.0)
    best_bigram = max((r["bigram_cov"] for r in rows), default=0.0)
    for i, row in enumerate(rows):
        row["idf_cov_gap"] = best_idf - row["idf_cov"]
        row["is_best_idf"] = float(row["idf_cov"] == best_idf and best_idf > 0)
        row["bigram_gap"] = best_bigram - row["bigram_cov"]
        row["prev_idf_cov"] = rows[i - 1]["idf_cov"] if i > 0 else 0.0
        row["next_idf_cov"] = rows[i + 1]["idf_cov"] if i + 1 < n else 0.0
    if dense is not None and len(dense) == n:
        best_dense = max(dense)
        for row, d in zip(rows, dense, strict=True):
            row["dense"] = float(d)
            row["dense_gap"] = float(best_dense - d)
    return rows
