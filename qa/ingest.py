"""Read a folder of scraped news into `Article` records.

Formats: .txt, .md, .html/.htm (trafilatura), .json (an object or a list of objects) and .jsonl
(one object a line). A file that cannot be read is reported as `Skipped` and the rest go on.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .clean import clean_page, parse_date
from .records import Article
from .text import clean_unicode

SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"})
MAX_FILE_BYTES = 64 * 1024 * 1024

_TEXT_KEYS = ("text", "body", "content", "article", "maintext", "description")
_TITLE_KEYS = ("title", "headline", "name")
_URL_KEYS = ("url", "link", "source_url", "canonical_url")
_DATE_KEYS = ("date", "published", "published_at", "publish_date", "pubDate", "date_publish", "datetime")
_SOURCE_KEYS = ("source", "publisher", "site", "sitename", "site_name", "outlet", "domain")
_ID_KEYS = ("_id", "id", "doc_id", "article_id")


class IngestError(Exception):
    """A file that cannot be turned into articles; the message says why."""


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def iter_corpus_files(corpus_dir: Path) -> Iterator[Path]:
    """Article files under `corpus_dir`, sorted, hidden files skipped, symlinked folders not followed."""
    for root, dirs, files in os.walk(corpus_dir, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in SUFFIXES:
                yield Path(root) / name


def read_text(path: Path) -> str:
    """Decode a file: BOM-marked UTF-8/16, else UTF-8, else Windows-1252/Latin-1. Binary is an error."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise IngestError(f"file is {size / 2**20:.0f} MB, over the {MAX_FILE_BYTES // 2**20} MB limit")
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise IngestError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = record.get(key)
        if isinstance(value, dict):  # e.g. {"source": {"name": "Reuters"}}
            value = value.get("name") or value.get("title")
        if value not in (None, ""):
            return str(value).strip()
    return ""


_HTML_HINT = re.compile(r"<(?:html|body|p|div|article|br)\b", re.IGNORECASE)


def _html_to_page(html: str) -> dict[str, str]:
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise IngestError("reading HTML needs trafilatura: pip install trafilatura") from exc
    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=False)
    if doc is None:
        return {}
    doc = doc if isinstance(doc, dict) else doc.as_dict()
    return {
        "text": doc.get("text") or "",
        "title": doc.get("title") or "",
        "source": doc.get("sitename") or "",
        "date": doc.get("date") or "",
        "url": doc.get("url") or "",
    }


def _article(article_id: str, rel_path: str, raw_text: str, meta: dict[str, str]) -> Article:
    if _HTML_HINT.search(raw_text):
        page = _html_to_page(raw_text)
        raw_text = page.get("text", "")
        meta = {k: meta.get(k) or page.get(k, "") for k in ("title", "source", "date", "url")}
    date = meta.get("date") or ""
    parsed = parse_date(date) if date else None
    published = parsed[0] if parsed else (date[:10] if re.match(r"\d{4}-\d{2}-\d{2}", date) else None)
    page = clean_page(
        clean_unicode(raw_text), title=meta.get("title", ""), source=meta.get("source", ""), published=published
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


def _record_article(record: Any, article_id: str, rel_path: str) -> Article:
    if not isinstance(record, dict):
        raise IngestError(f"expected a JSON object, got {type(record).__name__}")
    text = _first(record, _TEXT_KEYS)
    if not text:
        raise IngestError(f"JSON object has none of the text fields {', '.join(_TEXT_KEYS)}")
    meta = {
        "title": _first(record, _TITLE_KEYS),
        "source": _first(record, _SOURCE_KEYS),
        "date": _first(record, _DATE_KEYS),
        "url": _first(record, _URL_KEYS),
    }
    return _article(article_id, rel_path, text, meta)


def read_file(path: Path, corpus_dir: Path, on_skip: Callable[[Skipped], None]) -> Iterator[Article]:
    """Articles in one file. Bad records of a JSON/JSONL file are reported and skipped one by one."""
    rel_path = path.relative_to(corpus_dir).as_posix()
    text = clean_unicode(read_text(path)) if path.suffix.lower() not in (".html", ".htm") else read_text(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        for lineno, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                yield _record_article(json.loads(line), f"{rel_path}:{lineno}", rel_path)
            except (json.JSONDecodeError, IngestError) as exc:
                on_skip(Skipped(f"{rel_path}:{lineno}", _reason(exc)))
    elif suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise IngestError(_reason(exc)) from exc
        if isinstance(data, list):
            for i, record in enumerate(data):
                try:
                    yield _record_article(record, f"{rel_path}#{i}", rel_path)
                except IngestError as exc:
                    on_skip(Skipped(f"{rel_path}#{i}", str(exc)))
        else:
            yield _record_article(data, rel_path, rel_path)
    elif suffix in (".html", ".htm"):
        page = _html_to_page(text)
        if not page.get("text"):
            raise IngestError("HTML page has no article text")
        yield _article(rel_path, rel_path, page["text"], page)
    else:
        yield _article(rel_path, rel_path, text, {})


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    return str(exc)


def iter_articles(corpus_dir: Path | str, on_skip: Callable[[Skipped], None] | None = None) -> Iterator[Article]:
    """Stream the articles of a corpus folder; files that fail are passed to `on_skip`."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.exists():
        raise FileNotFoundError(f"corpus folder not found: {corpus_dir}")
    if not corpus_dir.is_dir():
        raise NotADirectoryError(f"corpus path is not a folder: {corpus_dir}")
    report = on_skip or (lambda skipped: None)
    for path in iter_corpus_files(corpus_dir):
        rel = path.relative_to(corpus_dir).as_posix()
        try:
            yield from read_file(path, corpus_dir, report)
        except (OSError, UnicodeDecodeError, IngestError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            report(Skipped(rel, reason))


def load_articles(corpus_dir: Path | str) -> tuple[list[Article], list[Skipped]]:
    """All articles of a corpus folder and the files/records that were skipped."""
    skipped: list[Skipped] = []
    articles = list(iter_articles(corpus_dir, skipped.append))
    return articles, skipped
