"""Turn one page's text plus the metadata its container gave (JSON fields, HTML markup, WARC headers) into
an `Article`."""

from __future__ import annotations

import re

from ..records import Article
from ..text import clean_unicode
from .clean import clean_page
from .dates import parse_date
from .errors import IngestError
from .html import html_to_page, looks_like_html

META_KEYS = ("title", "source", "date", "url")


def iso_date(date: str) -> str | None:
    """An ISO date from a metadata date ("2017-04-10T08:00:00Z", "April 10, 2017"), else None."""
    if not date:
        return None
    if re.match(r"\d{4}-\d{2}-\d{2}", date):
        return date[:10]
    parsed = parse_date(date)
    return parsed[0] if parsed else None


def make_article(
    article_id: str,
    rel_path: str,
    raw_text: str,
    meta: dict[str, str],
    *,
    scraped: bool | None = True,
    html: bool | None = None,
    furniture=None,
) -> Article:
    """Clean `raw_text` and fill the metadata: the container's fields first, then what the page says.

    `scraped`: the text is a page saved line by line (menus, footers and all), so it goes through the
    line classifier; text that an extractor (trafilatura) or a crawler (news-please ``maintext``) already
    cleaned does not. `html` (default: detect it) text is extracted by trafilatura first.
    """
    if html or (html is None and looks_like_html(raw_text)):
        page = html_to_page(raw_text, url=meta.get("url") or None)
        raw_text = page.get("text", "")
        meta = {k: meta.get(k) or page.get(k, "") for k in META_KEYS}
        scraped = False
    page = clean_page(
        clean_unicode(raw_text),
        title=meta.get("title", ""),
        source=meta.get("source", ""),
        published=iso_date(meta.get("date") or ""),
        scraped=scraped,
        furniture=furniture,
    )
    if not page.text.strip():
        raise IngestError("no article text after removing page clutter")
    return Article(
        article_id=article_id,
        text=page.text,
        title=page.title,
        source=page.source,
        published=page.published,
        url=meta.get("url") or None,
        path=rel_path,
    )
