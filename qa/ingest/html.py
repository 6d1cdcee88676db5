"""HTML pages: the article text through trafilatura, tables kept as text rows, user comments left out.

Metadata (title, site name, date, canonical URL) comes from the page's markup through trafilatura;
the caller's metadata (a WARC record's URL and capture date, JSON fields) fills what the page lacks.
"""

from __future__ import annotations

import re

from .errors import IngestError

_HTML_HINT = re.compile(r"<(?:html|body|p|div|article|br)\b", re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    return bool(_HTML_HINT.search(text[:65536]))


def html_to_page(html: str | bytes, url: str | None = None, guess_dates: bool = True) -> dict[str, str]:
    """{"text", "title", "source", "date", "url"} of an HTML page ("" where the page does not say).

    Tables are kept, one row a line with the cells separated by " | " (scores, results and prices live
    in tables); comments are left out of the text. `guess_dates=False` takes a date from the page's
    markup only, not a guess from its text (a "© 2021" footer reads as 2021-01-01): for a caller that
    has a better fallback, such as a web archive's capture date.
    """
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise IngestError("reading HTML needs trafilatura: pip install trafilatura") from exc
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params={"extensive_search": guess_dates, "original_date": True},
    )
    if doc is None:
        return {}
    doc = doc if isinstance(doc, dict) else doc.as_dict()
    return {
        "text": _table_rows(doc.get("text") or ""),
        "title": doc.get("title") or "",
        "source": doc.get("sitename") or "",
        "date": doc.get("date") or "",
        "url": doc.get("url") or "",
    }


_TABLE_RULE = re.compile(r"^\|?(?:\s*:?-{3,}:?\s*\|)+\s*$")


def _table_rows(text: str) -> str:
    """trafilatura's "| a | b |" table rows as "a | b"; its "|---|---|" rules dropped."""
    if "|" not in text:
        return text
    out = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|"):
            if _TABLE_RULE.match(stripped):
                continue
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            line = " | ".join(c for c in cells if c)
        out.append(line)
    return "\n".join(out)
