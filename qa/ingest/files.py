"""Read a folder of scraped news into `Article` records.

Formats: .txt, .md, .html/.htm (trafilatura), .json (an object or a list of objects) and .jsonl
(one object a line, streamed). A file or record that cannot be read is reported as `Skipped` with the
reason, and the rest go on. Only regular files inside the corpus folder are read: symlinked folders are
not followed, and a symlinked file must point inside the corpus folder.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..records import Article
from ..text import clean_unicode
from .clean import clean_page, parse_date

SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"})
MAX_FILE_BYTES = 64 * 1024 * 1024  # a .json file is parsed whole
# One article (a .txt/.md/.html file, or one JSON/JSONL record) larger than this is no news article (a log,
# a dump, a book): it is skipped with the reason rather than tying up the build for an hour.
MAX_ARTICLE_BYTES = 10 * 1024 * 1024
# Text with more than this share of control bytes (other than tab, newline, form feed, CR) is binary.
_MAX_CONTROL_SHARE = 0.05
_CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 32), 127])

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


def iter_corpus_files(corpus_dir: Path, on_skip: Callable[[Skipped], None] | None = None) -> Iterator[Path]:
    """Article files under `corpus_dir`, sorted; hidden files skipped, symlinked folders not followed.

    Only regular files inside the corpus folder are yielded; the others (symlink loops, broken or
    outside-pointing symlinks, named pipes, devices, unreadable folders) go to `on_skip` with the reason.
    """
    corpus_dir = Path(corpus_dir)
    report = on_skip or (lambda skipped: None)
    root_real = corpus_dir.resolve()

    def walk_error(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else corpus_dir
        report(Skipped(_relative(where, corpus_dir) + "/", f"folder not readable ({exc.strerror or exc})"))

    for root, dirs, files in os.walk(corpus_dir, onerror=walk_error, followlinks=False):
        for name in sorted(d for d in dirs if not d.startswith(".") and (Path(root) / d).is_symlink()):
            report(Skipped(_relative(Path(root) / name, corpus_dir) + "/", "symlinked folder, not followed"))
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (Path(root) / d).is_symlink())
        for name in sorted(files):
            if name.startswith(".") or Path(name).suffix.lower() not in SUFFIXES:
                continue
            path = Path(root) / name
            problem = _file_problem(path, root_real)
            if problem:
                report(Skipped(_relative(path, corpus_dir), problem))
            else:
                yield path


class SourceFile:
    """One corpus file opened for reading, hashing every byte as it is read.

    A build reads each file once: the SHA-256 of the bytes the readers consumed (plus whatever they left
    unread, drained at the end) is the file's part of the corpus fingerprint, with no second pass.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = open(path, "rb")  # noqa: SIM115 - closed by close() / the context manager
        self._sha = hashlib.sha256()
        self.size = os.fstat(self._fh.fileno()).st_size

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self._sha.update(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        for line in self._fh:
            self._sha.update(line)
            yield line

    def digest(self) -> bytes:
        """SHA-256 of the whole file (reads what the readers left)."""
        while self.read(1 << 20):
            pass
        return self._sha.digest()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> SourceFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _relative(path: Path, corpus_dir: Path) -> str:
    try:
        return path.relative_to(corpus_dir).as_posix() or "."
    except ValueError:
        return path.name


def _file_problem(path: Path, root_real: Path) -> str | None:
    """Why `path` must not be read, or None for a regular file inside the corpus."""
    try:
        mode = path.stat().st_mode  # follows symlinks
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
        if path.is_symlink():
            return "broken symlink (its target does not exist)"
        return exc.strerror or str(exc)
    if not stat.S_ISREG(mode):
        return "not a regular file (a named pipe, socket or device)"
    if path.is_symlink() and not path.resolve().is_relative_to(root_real):
        return "symlink to a file outside the corpus folder"
    return None


def decode_bytes(data: bytes) -> str:
    """Decode text: BOM-marked UTF-8/16, else UTF-8, else Windows-1252/Latin-1. Binary is an `IngestError`."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", errors="replace")
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", errors="replace")
    head = data[:8192]
    if b"\x00" in head:
        raise IngestError("binary file (contains NUL bytes)")
    if head and len(head) - len(head.translate(None, _CONTROL_BYTES)) > _MAX_CONTROL_SHARE * len(head):
        raise IngestError("binary file (mostly control bytes, not text)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def read_text(source: SourceFile) -> str:
    """A whole file's text (see `decode_bytes`); an empty or oversized file is an `IngestError`."""
    path, size = source.path, source.size
    if path.suffix.lower() == ".json" and size > MAX_FILE_BYTES:
        raise IngestError(
            f"file is {_megabytes(size)}, over the {MAX_FILE_BYTES // 2**20} MB limit for a .json file; "
            "use .jsonl (one article a line, read line by line)"
        )
    if path.suffix.lower() != ".json" and size > MAX_ARTICLE_BYTES:
        raise IngestError(
            f"file is {_megabytes(size)}, over the {MAX_ARTICLE_BYTES // 2**20} MB limit for one article; "
            "split it, or use .jsonl with one article a line"
        )
    data = source.read()
    if not data.strip():
        raise IngestError("empty file")
    return decode_bytes(data)


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = record.get(key)
        if isinstance(value, dict):  # e.g. {"source": {"name": "Reuters"}}
            value = value.get("name") or value.get("title")
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "\n\n".join(value)  # e.g. "text": ["first paragraph", "second paragraph"]
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key not in _TEXT_KEYS:
            return str(value)  # e.g. "id": 42, "date": 20170410
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


def _jsonl_lines(source: SourceFile) -> Iterator[tuple[int, str | None, str]]:
    """(line number, text or None, why not) of each non-blank line, streamed: the file is never read whole."""
    lines = iter(source)
    first = next(lines, b"")
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 JSONL: rare, small enough to read whole
        rest = source.read()
        if source.size > MAX_ARTICLE_BYTES:
            raise IngestError(f"UTF-16 file is {_megabytes(source.size)}, over the limit; save it as UTF-8")
        text = clean_unicode(decode_bytes(first + rest))
        for lineno, line in enumerate(text.split("\n"), start=1):
            if line.strip():
                yield lineno, line, ""
        return
    first = first[3:] if first.startswith(b"\xef\xbb\xbf") else first
    for lineno, raw in enumerate(_chain_first(first, lines), start=1):
        if not raw.strip():
            continue
        if len(raw) > MAX_ARTICLE_BYTES:
            yield lineno, None, f"line is {_megabytes(len(raw))}, over the {MAX_ARTICLE_BYTES // 2**20} MB limit"
            continue
        try:
            yield lineno, clean_unicode(decode_bytes(raw)), ""
        except IngestError as exc:
            yield lineno, None, str(exc).replace("file", "line")


def _chain_first(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def read_file(source: SourceFile, corpus_dir: Path, on_skip: Callable[[Skipped], None]) -> Iterator[Article]:
    """Articles in one file. Bad records of a JSON/JSONL file are reported and skipped one by one."""
    path = source.path
    rel_path = path.relative_to(corpus_dir).as_posix()
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        n_lines = 0
        for lineno, line, problem in _jsonl_lines(source):
            n_lines += 1
            try:
                if line is None:
                    raise IngestError(problem)
                yield _record_article(json.loads(line), f"{rel_path}:{lineno}", rel_path)
            except (json.JSONDecodeError, IngestError, RecursionError) as exc:
                on_skip(Skipped(f"{rel_path}:{lineno}", _reason(exc)))
        if not n_lines:
            raise IngestError("empty file")
        return
    text = clean_unicode(read_text(source)) if suffix not in (".html", ".htm") else read_text(source)
    if suffix == ".json":
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
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
    if isinstance(exc, RecursionError):
        return "invalid JSON (nested too deeply)"
    return str(exc)


# on_file(relative path, SHA-256 of its bytes or None when unreadable), once per file, in walk order.
FileCallback = Callable[[str, bytes | None], None]


def iter_articles(
    corpus_dir: Path | str,
    on_skip: Callable[[Skipped], None] | None = None,
    *,
    files: Iterable[Path] | None = None,
    on_file: FileCallback | None = None,
) -> Iterator[Article]:
    """Stream the articles of a corpus folder; files that fail are passed to `on_skip`.

    `files` (default: walk the folder) are read once each; `on_file` gets each file's content hash.
    """
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.exists():
        raise FileNotFoundError(f"corpus folder not found: {corpus_dir}")
    if not corpus_dir.is_dir():
        raise NotADirectoryError(f"corpus path is not a folder: {corpus_dir}")
    report = on_skip or (lambda skipped: None)
    for path in iter_corpus_files(corpus_dir, report) if files is None else files:
        rel = path.relative_to(corpus_dir).as_posix()
        digest = None
        try:
            with SourceFile(path) as source:
                yield from read_file(source, corpus_dir, report)
                digest = source.digest()
        except OSError as exc:
            report(Skipped(rel, f"cannot read it ({exc.strerror or exc})"))
        except (UnicodeDecodeError, IngestError) as exc:
            report(Skipped(rel, str(exc)))
        except Exception as exc:  # a bug in parsing one odd file must not stop the build
            report(Skipped(rel, f"unexpected error reading it ({type(exc).__name__}: {exc})"))
        if digest is None:  # read failed part-way: hash the bytes on disk so the fingerprint still matches
            digest = file_digest(path)
        if on_file:
            on_file(rel, digest)


def file_digest(path: Path) -> bytes | None:
    """SHA-256 of a file's bytes, or None when it cannot be read."""
    try:
        with SourceFile(path) as source:
            return source.digest()
    except OSError:
        return None


def load_articles(corpus_dir: Path | str) -> tuple[list[Article], list[Skipped]]:
    """All articles of a corpus folder and the files/records that were skipped."""
    skipped: list[Skipped] = []
    articles = list(iter_articles(corpus_dir, skipped.append))
    return articles, skipped
