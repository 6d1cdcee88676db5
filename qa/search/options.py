"""`SearchOptions`: the one contract for how a question is searched, validated when it is made.

Every caller (`qa.retrieve`, the CLI, the web page, the APIs, `qa eval`) builds a `SearchOptions`; a bad
value is a `ValueError` that says what is accepted, raised before any work is done. Dates may be partial:
"2017" or "2017-04" as a range start means its first day, as a range end its last day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import date
from enum import Enum
from typing import Any


class Mode(str, Enum):
    """Which retrievers answer: embeddings, BM25, both fused, or both fused and then reranked."""

    DENSE = "dense"
    LEXICAL = "lexical"
    HYBRID = "hybrid"
    HYBRID_RERANK = "hybrid+rerank"

    def __str__(self) -> str:
        return self.value


class Fusion(str, Enum):
    """How dense and BM25 scores combine: a weighted sum of normalised scores, or reciprocal rank fusion."""

    MIX = "mix"
    RRF = "rrf"

    def __str__(self) -> str:
        return self.value


MODES: tuple[str, ...] = tuple(m.value for m in Mode)
MAX_K = 100
_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


def parse_date_bound(value: object, *, end: bool = False) -> str | None:
    """An ISO date from "YYYY-MM-DD", "YYYY-MM" or "YYYY" (as a range end, the last day); None if blank."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if not text:
        return None
    match = _PARTIAL_DATE.fullmatch(text)
    try:
        if not match:
            raise ValueError
        year, month, day = int(match[1]), match[2], match[3]
        if day is not None:
            return date(year, int(month), int(day)).isoformat()
        if month is not None:
            first = date(year, int(month), 1)
            if not end:
                return first.isoformat()
            next_month = date(year + int(month) // 12, int(month) % 12 + 1, 1)
            return date.fromordinal(next_month.toordinal() - 1).isoformat()
        return date(year, 12, 31).isoformat() if end else date(year, 1, 1).isoformat()
    except ValueError:
        raise ValueError(f"{text!r} is not a date: use YYYY-MM-DD (or YYYY-MM, or YYYY).") from None


def _enum(kind: type[Enum], value: object, what: str) -> Any:
    try:
        return kind(value.value if isinstance(value, Enum) else str(value).strip().lower())
    except ValueError:
        accepted = ", ".join(repr(m.value) for m in kind)
        raise ValueError(f"{what} must be one of {accepted}, not {value!r}") from None


@dataclass(frozen=True)
class SearchOptions:
    """Per-call retrieval options; the defaults are what `qa.retrieve` uses. Checked when made."""

    k: int = 5
    mode: Mode = Mode.HYBRID
    fusion: Fusion = Fusion.MIX
    dense_weight: float = 0.7  # share of the dense score in "mix" (0.6-0.8 tie on SciFact train; 0.5: -0.015)
    rrf_k: int = 60
    candidates: int = 100  # how many chunks each retriever contributes before fusion
    rerank_depth: int = 10  # "hybrid+rerank": how many fused chunks the reranker reorders
    rerank_weight: float = 0.5  # share of the reranker in the reordered score (the rest is the fused score)
    reranker: str | None = None  # "sentences" or a model folder; None: QA_RERANKER, else "sentences"
    # The extractive reader reads up to this many top passages (hybrid mode, "mix" fusion) and reorders them by
    # fused score + read_weight * its answer margin; 0 or 1: only the top passage is read, for its answer.
    # SQuAD dev top-1 (BM25 k1 0.4) depth 2 / 3 / 4: 0.863 / 0.870 / 0.871; the third passage read in 64 tokens,
    # the bench's p50 at 100k chunks 19.5 -> 23.7 ms (goal 25)
    read_depth: int = 3
    # SQuAD dev top-1 at depth 3 (BM25 k1 0.4): 0.01 / 0.02 / 0.03 give 0.863 / 0.870 / 0.872; 0.025 was within
    # noise of 0.02 on test (0.854 vs 0.853 at depth 2), so 0.02 stays
    read_weight: float = 0.02
    per_article: bool = False  # at most one passage per article
    sources: tuple[str, ...] = ()  # keep only these publishers (case-insensitive); empty keeps all
    date_from: str | None = None  # inclusive; "YYYY[-MM[-DD]]" accepted, stored as an ISO date
    date_to: str | None = None  # inclusive; a partial date means its last day
    prefer_recent: bool = False  # newer articles rank higher: time decay, see `qa.search.when.recency_weight`
    half_life_days: float = 365.0  # "prefer recent": an article this much older than the newest weighs 3/4

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "mode", _enum(Mode, self.mode, "mode"))
        set_(self, "fusion", _enum(Fusion, self.fusion, "fusion"))
        _check_whole("k", self.k, 1)
        if not 0.0 <= float(self.dense_weight) <= 1.0:
            raise ValueError(f"dense_weight must be between 0 and 1, not {self.dense_weight!r}")
        if self.candidates < 1 or self.rerank_depth < 1 or self.rrf_k < 1:
            raise ValueError("candidates, rerank_depth and rrf_k must be at least 1")
        _check_whole("read_depth", self.read_depth, 0)
        if not float(self.read_weight) >= 0:
            raise ValueError(f"read_weight must be 0 or more, not {self.read_weight!r}")
        if not float(self.half_life_days) > 0:
            raise ValueError(f"half_life_days must be more than 0, not {self.half_life_days!r}")
        set_(self, "sources", _sources(self.sources))
        set_(self, "date_from", parse_date_bound(self.date_from))
        set_(self, "date_to", parse_date_bound(self.date_to, end=True))
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"the date range is empty: {self.date_from} is after {self.date_to}")

    @property
    def filtered(self) -> bool:
        """Whether a filter may drop candidates (so more of them are fetched)."""
        return bool(self.sources or self.date_from or self.date_to or self.per_article)

    def with_(self, **changes: object) -> SearchOptions:
        """A copy with `changes` applied and checked (unknown names are an error)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown search option {', '.join(sorted(unknown))}; known: {', '.join(FIELD_NAMES)}")
        return replace(self, **changes)


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(SearchOptions))


def _check_whole(name: str, value: object, lowest: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= MAX_K:
        raise ValueError(f"{name} must be a whole number between {lowest} and {MAX_K}, not {value!r}")


def _sources(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        raise ValueError(f"sources must be a list of publisher names, not {value!r}")
    return tuple(s.strip() for s in value if isinstance(s, str) and s.strip())


def options_from(k: int = 5, **overrides: object) -> SearchOptions:
    """SearchOptions with `k` and any overrides (unknown names are an error)."""
    return SearchOptions(k=k).with_(**overrides)
