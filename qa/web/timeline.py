"""When things happened, as tables for Gradio's plots: the sources of an answer by date, articles per month."""

from __future__ import annotations

import re

import pandas as pd

from ..records import Passage
from .library import LibraryEntry, per_month

SOURCE_COLUMNS = ["date", "relevance", "publisher", "title", "source"]
MONTH_COLUMNS = ["month", "articles"]


def _day(published: str | None) -> pd.Timestamp | None:
    """A full date, or the first day of a partial `YYYY-MM` one; None for undated or unreadable."""
    if not published:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", published)
    if not match:
        return None
    try:
        return pd.Timestamp(int(match[1]), int(match[2]), int(match[3] or 1))
    except ValueError:
        return None


def sources_frame(passages: list[Passage]) -> pd.DataFrame:
    """One row per dated passage of an answer: its date, relevance (%), publisher, title and rank label."""
    rows = []
    for rank, p in enumerate(passages, 1):
        day = _day(p.published)
        if day is not None:
            rows.append([day, round(max(0.0, min(1.0, p.score)) * 100), p.source or "unknown", p.title, f"[{rank}]"])
    frame = pd.DataFrame(rows, columns=SOURCE_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def undated_sources(passages: list[Passage]) -> int:
    return sum(1 for p in passages if _day(p.published) is None)


def months_frame(entries: list[LibraryEntry]) -> pd.DataFrame:
    """Articles per month, from the first to the last dated article (empty months as 0)."""
    return pd.DataFrame(per_month(entries), columns=MONTH_COLUMNS)
