"""Web archives (``.warc``, ``.warc.gz``): each HTML response record is one article.

The article's URL is the record's ``WARC-Target-URI``; its date is the page's own (from its markup),
else the capture date (``WARC-Date``). Request, metadata, warcinfo and non-HTML records (images,
scripts, redirects) are passed over. A record that cannot be read is skipped with the reason and its
number (``file.warc.gz@7``); a truncated or damaged archive keeps the records before the break and
reports where it broke; an archive with no HTML response at all is reported as such.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from ..records import Article
from .article import make_article
from .errors import IngestError, Skipped
from .html import html_to_page
from .limits import MAX_ARTICLE_BYTES

_HTML_TYPES = ("text/html", "application/xhtml+xml")


class _Truncated(Exception):
    """The gzip stream under the archive broke off (warcio would take the break for a clean end)."""


class _Gunzip:
    """A .warc.gz decompressed member by member here, so that a truncated or damaged stream is an error.

    warcio takes a gzip stream that breaks off for a clean end; this reader hands out every byte that
    decompressed before the break and raises `_Truncated` on the read after it.
    """

    def __init__(self, head: bytes, fh: BinaryIO) -> None:
        self._src = _Prefixed(head, fh)
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._buf = b""
        self._done = False
        self._error = ""

    def _fill(self, want: int) -> None:
        while len(self._buf) < want and not self._done:
            chunk = self._src.read(1 << 16)
            if not chunk:
                self._done = True
                if not self._d.eof:
                    self._error = "the gzip stream ends early (truncated file)"
                break
            try:
                while chunk:
                    if self._d.eof:  # the next gzip member (a .warc.gz has one a record)
                        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    self._buf += self._d.decompress(chunk)
                    chunk = self._d.unused_data if self._d.eof else b""
            except zlib.error as exc:
                self._done, self._error = True, f"the gzip stream is damaged ({exc})"

    def read(self, n: int = -1) -> bytes:
        self._fill(n if n >= 0 else 1 << 62)
        if not self._buf and self._error:
            raise _Truncated(self._error)
        data, self._buf = (self._buf, b"") if n < 0 else (self._buf[:n], self._buf[n:])
        return data

    def readline(self, n: int = -1) -> bytes:
        limit = n if n >= 0 else 1 << 62
        while b"\n" not in self._buf[:limit] and not self._done and len(self._buf) < limit:
            self._fill(len(self._buf) + (1 << 16))
        end = self._buf.find(b"\n", 0, limit)
        return self.read(min(limit, end + 1) if end >= 0 else limit)


class _Prefixed:
    """`fh` with `head` (bytes already read from it) put back in front."""

    def __init__(self, head: bytes, fh: BinaryIO) -> None:
        self._head, self._fh = head, fh

    def read(self, n: int = -1) -> bytes:
        if self._head:
            data = self._head if n < 0 else self._head[:n]
            self._head = self._head[len(data) :]
            return data
        return self._fh.read(n)


def _open(fh: BinaryIO):
    head = fh.read(2)
    return _Gunzip(head, fh) if head == b"\x1f\x8b" else _Prefixed(head, fh)


def _is_html_response(record) -> bool:
    if record.rec_type not in ("response", "resource"):
        return False
    headers = record.http_headers
    if headers is not None:
        status = headers.get_statuscode() or ""
        if status and not status.startswith("2"):
            return False
        ctype = headers.get_header("Content-Type") or ""
    else:
        ctype = record.rec_headers.get_header("Content-Type") or ""
    return ctype.split(";")[0].strip().lower() in _HTML_TYPES


def warc_articles(fh: BinaryIO, rel_path: str, on_skip: Callable[[Skipped], None]) -> Iterator[Article]:
    try:
        from warcio.archiveiterator import ArchiveIterator
        from warcio.exceptions import ArchiveLoadFailed
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise IngestError("reading WARC files needs warcio: pip install warcio") from exc
    n_records = n_html = 0
    records = iter(ArchiveIterator(_open(fh)))
    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except (_Truncated, ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error) as exc:
            where = f"after record {n_records}" if n_records else "at its first record"
            on_skip(Skipped(f"{rel_path}@{n_records + 1}", f"the archive is truncated or damaged {where} ({exc})"))
            break
        n_records += 1
        if not _is_html_response(record):
            continue
        n_html += 1
        record_id = f"{rel_path}@{n_records}"
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        try:
            payload = record.content_stream().read(MAX_ARTICLE_BYTES + 1)
            if len(payload) > MAX_ARTICLE_BYTES:
                raise IngestError(f"the page is over the {MAX_ARTICLE_BYTES // 2**20} MB article size limit")
            if getattr(record.raw_stream, "limit", 0) > 0:  # fewer bytes than the record's Content-Length
                raise _Truncated("the archive ends inside this record (truncated file)")
            page = html_to_page(payload, url=url or None, guess_dates=False)
            if not page.get("text"):
                raise IngestError("HTML page has no article text")
            captured = (record.rec_headers.get_header("WARC-Date") or "")[:10]
            meta = {**page, "url": url or page.get("url", ""), "date": page.get("date") or captured}
            yield make_article(record_id, rel_path, page["text"], meta, scraped=False, html=False)
        except IngestError as exc:
            on_skip(Skipped(record_id, str(exc)))
        except (_Truncated, EOFError, OSError, ValueError, zlib.error) as exc:
            on_skip(Skipped(record_id, f"the record is truncated or damaged ({exc})"))
            break
    if not n_html:
        raise IngestError(f"no HTML response records in the archive ({n_records} records of other types)")
