"""JSON and JSON Lines records: scraper and crawler output (news-please, and most others).

A record's text is the first of `TEXT_KEYS` it has; its metadata the first of the title, date,
publisher and URL keys. news-please's fields are among them (``maintext``, ``title``, ``date_publish``,
``source_domain``, ``url``, and ``headline``, ``authors``, ``description``). A crawler's ``maintext`` is
already the article, so it skips the scraped-page line classifier; a ``text``/``body``/``content``
field goes through it when it looks like a whole page saved line by line (`boilerplate.looks_scraped`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from ..records import Article
from ..text import clean_unicode
from .article import make_article
from .errors import IngestError, Skipped

TEXT_KEYS = ("maintext", "text", "body", "content", "article", "article_text", "description")
_CLEAN_TEXT_KEYS = frozenset({"maintext", "article_text", "description"})  # a crawler's extracted text
TITLE_KEYS = ("title", "headline", "name", "title_page", "title_rss")
URL_KEYS = ("url", "link", "source_url", "canonical_url")
DATE_KEYS = (
    "date_publish", "published", "date", "published_at", "publish_date", "pubDate", "datetime", "date_modify",
    "date_download",
)  # fmt: skip
SOURCE_KEYS = ("source", "publisher", "site", "sitename", "site_name", "outlet", "source_domain", "domain")


def first_value(record: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, str]:
    """(key, value) of the first key of `keys` that `record` has a non-empty value for, else ("", "")."""
    for key in keys:
        value = record.get(key)
        if isinstance(value, dict):  # e.g. {"source": {"name": "Reuters"}}
            value = value.get("name") or value.get("title")
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            value = "\n\n".join(value)  # e.g. "text": ["first paragraph", "second paragraph"]
        if isinstance(value, str) and value.strip():
            return key, value.strip()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key not in TEXT_KEYS:
            return key, str(value)  # e.g. "id": 42, "date": 20170410
    return "", ""


def record_article(record: Any, article_id: str, rel_path: str, furniture=None) -> Article:
    if not isinstance(record, dict):
        raise IngestError(f"expected a JSON object, got {type(record).__name__}")
    key, text = first_value(record, TEXT_KEYS)
    if not text:
        raise IngestError(f"JSON object has none of the text fields {', '.join(TEXT_KEYS)}")
    meta = {
        "title": first_value(record, TITLE_KEYS)[1],
        "source": first_value(record, SOURCE_KEYS)[1],
        "date": first_value(record, DATE_KEYS)[1],
        "url": first_value(record, URL_KEYS)[1],
    }
    scraped = False if key in _CLEAN_TEXT_KEYS else None  # a scraper's text field: classified if it looks scraped
    return make_article(article_id, rel_path, text, meta, scraped=scraped, furniture=furniture)


def json_reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    if isinstance(exc, RecursionError):
        return "invalid JSON (nested too deeply)"
    return str(exc)


def json_articles(text: str, rel_path: str, on_skip: Callable[[Skipped], None]) -> Iterator[Article]:
    """The articles of a .json file's text: one object, or a list of objects (``path#index`` each)."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise IngestError(json_reason(exc)) from exc
    if isinstance(data, list):
        for i, record in enumerate(data):
            try:
                yield record_article(record, f"{rel_path}#{i}", rel_path)
            except IngestError as exc:
                on_skip(Skipped(f"{rel_path}#{i}", str(exc)))
    else:
        yield record_article(data, rel_path, rel_path)


def jsonl_articles(
    lines: Iterator[tuple[int, str | None, str]], rel_path: str, on_skip: Callable[[Skipped], None]
) -> Iterator[Article]:
    """The articles of (line number, line text or None, why not) of a JSON Lines file (``path:line`` each)."""
    n_lines = 0
    for lineno, line, problem in lines:
        n_lines += 1
        try:
            if line is None:
                raise IngestError(problem)
            yield record_article(json.loads(clean_unicode(line)), f"{rel_path}:{lineno}", rel_path)
        except (json.JSONDecodeError, IngestError, RecursionError) as exc:
            on_skip(Skipped(f"{rel_path}:{lineno}", json_reason(exc)))
    if not n_lines:
        raise IngestError("empty file")
