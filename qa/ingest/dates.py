"""Dates as news pages print them: "April 10, 2017", "10 April 2017", "13:51 12.04.2018", "2017-04-10",
"Thursday, October 31" (a year-less date is returned as printed)."""

from __future__ import annotations

import re

from ..text import normalize_space

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
_DATE_PATTERNS = [
    # April 10, 2017 / Thursday, October 31 / Jun 9 2020
    re.compile(
        r"\b" + _WEEKDAY + _MONTH + r"\s+(?P<day>\d{1,2})(?!\d)(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{4})(?!\d))?", re.I
    ),
    # 10 April 2017 / Monday 9th of June, 2020
    re.compile(
        r"(?<!\d)"
        + _WEEKDAY
        + r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
        + _MONTH
        + r",?\s+(?P<year>\d{4})(?!\d)",
        re.I,
    ),
    # 13:51 12.04.2018 / 12.04.2018 (day first, as European sites print it)
    re.compile(r"(?<!\d)(?:\d{1,2}:\d{2}\s+)?(?P<day>\d{1,2})\.(?P<monthnum>\d{1,2})\.(?P<year>\d{4})(?!\d)"),
    # 6/13/2018 / 11/08/23 (month first, as US sites print it; day first when the first number is over 12)
    re.compile(r"(?<![\d/])(?P<monthnum>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4}|\d{2})(?![\d/])"),
    # 2017-04-10 / 2017/04/10
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})([-/])(?P<monthnum>\d{2})\2(?P<day>\d{2})(?!\d)"),
]


def parse_date(text: str) -> tuple[str, int, int] | None:
    """The first date in `text`: (ISO date, or as printed when it has no year; match start, match end), or None."""
    best = None
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if best is not None and match.start() >= best[1]:
                break
            found = _as_date(match)
            if found:
                if best is None or match.start() < best[1] or (match.start() == best[1] and match.end() > best[2]):
                    best = (found, match.start(), match.end())
                break
    return best


def _as_date(match: re.Match) -> str | None:
    parts = match.groupdict()
    month = parts.get("monthnum")
    month_num = int(month) if month else _month_number(parts["month"])
    day = int(parts["day"])
    if month and "/" in match.group(0) and month_num > 12 and day <= 12:
        month_num, day = day, month_num
    if not (1 <= month_num <= 12 and 1 <= day <= 31):
        return None
    year = parts.get("year")
    if year:
        year_num = int(year) + (2000 if len(year) == 2 else 0)
        if not 1900 <= year_num <= 2100:
            return None
        return f"{year_num:04d}-{month_num:02d}-{day:02d}"
    return normalize_space(match.group(0)).rstrip(",")


def _month_number(name: str) -> int:
    name = name.lower().rstrip(".")
    return next(num for full, num in _MONTHS.items() if full.startswith(name[:3]))
