"""Time in questions: the date range a question names, and how much a passage's age counts.

`time_range("What did the Kremlin say in April 2018?")` is 2018-04-01..2018-04-30. Relative expressions
("last October", "last year", "this month") are read relative to `newest`, the date of the newest article
in the index: an archive's "now" is its last article, not today's date. Recognised:

- a day: "on April 10, 2017", "10 April 2017", "2017-04-10"
- a month: "in April 2018", "April 2018", "2018-04", "in April" / "last April" (the latest April up to `newest`)
- a year: "in 2017", "during 2017", "of 2017"
- open ranges: "since March 2018", "after 2016", "before May 2018"
- relative: "last year", "this year", "last month", "this month"

`recency_weight(published, newest, half_life_days)` is the time decay of "prefer recent": a passage's score
is multiplied by 0.5 + 0.5 * 2 ** (-age / half_life), age in days before `newest` (so relevance still
counts for half); an undated article counts as old as the oldest article (else one half-life old).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_PREP = r"(?P<prep>in|during|of|on|from|since|after|before|until|till|by)\s+(?:the\s+)?(?:(?:early|late|mid)[-\s]+)?"

# Most specific first; each pattern's groups say what it names.
_PATTERNS = [
    re.compile(rf"\b(?:{_PREP})?{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.I),
    re.compile(rf"\b(?:{_PREP})?{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.I),
    re.compile(rf"\b(?:{_PREP})?{_YEAR}-(?P<mnum>[01]\d)-(?P<dnum>[0-3]\d)\b", re.I),
    re.compile(rf"\b(?:{_PREP})?{_MONTH},?\s+(?:of\s+)?{_YEAR}\b", re.I),
    re.compile(rf"\b(?:{_PREP})?{_YEAR}-(?P<mnum>[01]\d)\b", re.I),
    re.compile(rf"\b(?P<rel>last|this|past)\s+{_MONTH}(?!\w)", re.I),
    re.compile(r"\b(?P<rel>last|this|past)\s+(?P<unit>year|month)\b", re.I),
    re.compile(rf"\b{_PREP}{_MONTH}(?!\w)(?!\s+\d)", re.I),
    re.compile(rf"\b{_PREP}{_YEAR}\b", re.I),
]
_OPEN_START = {"since", "after", "from"}
_OPEN_END = {"before", "until", "till", "by"}


@dataclass(frozen=True)
class TimeRange:
    """A date range named in a question: ISO bounds (either may be None for an open range) and its words."""

    date_from: str | None
    date_to: str | None
    label: str  # how the reply names it, e.g. "April 2018", "since March 2018"
    words: str  # the words of the question that named it

    def describe(self) -> str:
        return self.label


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def _latest_month(month: int, newest: date, strictly_before: bool) -> int:
    """The year of the latest `month` up to `newest` ("last October" in an archive ending in May 2018: 2017)."""
    if month < newest.month or (month == newest.month and not strictly_before):
        return newest.year
    return newest.year - 1


def time_range(question: str, newest: date | None = None) -> TimeRange | None:
    """The date range `question` names, or None. Relative expressions need `newest` (else they are ignored)."""
    for pattern in _PATTERNS:
        for match in pattern.finditer(question or ""):
            found = _range(match, newest)
            if found:
                return found
    return None


def _range(match: re.Match, newest: date | None) -> TimeRange | None:
    groups = {k: v for k, v in match.groupdict().items() if v}
    prep = (groups.get("prep") or "").lower()
    words = match.group(0).strip()
    try:
        if "rel" in groups:
            if newest is None:
                return None
            rel = groups["rel"].lower()
            if "month" in groups:
                month = MONTHS[groups["month"].lower()]
                year = _latest_month(month, newest, strictly_before=rel != "this")
                lo, hi, label = date(year, month, 1), _month_end(year, month), f"{MONTH_NAMES[month - 1]} {year}"
            elif groups["unit"].lower() == "year":
                year = newest.year - (rel != "this")
                lo, hi, label = date(year, 1, 1), date(year, 12, 31), str(year)
            else:
                first = newest.replace(day=1)
                if rel != "this":
                    first = (first - timedelta(days=1)).replace(day=1)
                lo, hi = first, _month_end(first.year, first.month)
                label = f"{MONTH_NAMES[first.month - 1]} {first.year}"
            label = f"{label} (“{words}”, counted from the newest article, of {newest.isoformat()})"
            return TimeRange(lo.isoformat(), hi.isoformat(), label, words)
        year = int(groups["year"]) if "year" in groups else None
        month = MONTHS[groups["month"].lower()] if "month" in groups else int(groups.get("mnum") or 0) or None
        day = int(groups.get("day") or groups.get("dnum") or 0) or None
        if year is None:  # "in April": the latest April up to the newest article
            if newest is None or month is None:
                return None
            year = _latest_month(month, newest, strictly_before=False)
        if day is not None:
            lo = hi = date(year, month, day)
            label = f"{day} {MONTH_NAMES[month - 1]} {year}"
        elif month is not None:
            lo, hi, label = date(year, month, 1), _month_end(year, month), f"{MONTH_NAMES[month - 1]} {year}"
        else:
            lo, hi, label = date(year, 1, 1), date(year, 12, 31), str(year)
    except (ValueError, KeyError):  # "February 30, 2018", a month 13
        return None
    if prep in _OPEN_START:
        start = lo if prep != "after" else hi + timedelta(days=1)
        return TimeRange(start.isoformat(), None, f"{prep} {label}", words)
    if prep in _OPEN_END:
        end = lo - timedelta(days=1) if prep == "before" else hi
        return TimeRange(None, end.isoformat(), f"{prep} {label}", words)
    return TimeRange(lo.isoformat(), hi.isoformat(), label, words)


def newest_date(published: list[str | None], *, oldest: bool = False) -> date | None:
    """The latest (or with `oldest`, the earliest) full ISO date among `published`."""
    dated = [p for p in published if p and re.fullmatch(r"\d{4}-\d{2}-\d{2}", p)]
    best = (min if oldest else max)(dated, default=None)
    try:
        return date.fromisoformat(best) if best else None
    except ValueError:
        return None


DEFAULT_HALF_LIFE_DAYS = 365.0


def recency_weight(
    published: str | None,
    newest: date | None,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    undated_age_days: float | None = None,
) -> float:
    """The factor "prefer recent" multiplies a score by: 1.0 for the newest article, 0.75 one half-life older.

    An undated article counts as `undated_age_days` old (the archive's span: as old as its oldest article),
    else as one half-life old.
    """
    if newest is None or half_life_days <= 0:
        return 1.0
    age = half_life_days if undated_age_days is None else undated_age_days
    if published and re.match(r"\d{4}-\d{2}(-\d{2})?$", published):
        try:
            day = date.fromisoformat(published if len(published) == 10 else published + "-01")
            age = max(0.0, float((newest - day).days))
        except ValueError:
            pass
    return 0.5 + 0.5 * 2.0 ** (-age / half_life_days)
