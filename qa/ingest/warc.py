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
    records = iter(ArchiveIterator(fh))
    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except (ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error) as exc:
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
            page = html_to_page(payload, url=url or None)
            if not page.get("text"):
                raise IngestError("HTML page has no article text")
            captured = (record.rec_headers.get_header("WARC-Date") or "")[:10]
            meta = {**page, "url": url or page.get("url", ""), "date": page.get("date") or captured}
            yield make_article(record_id, rel_path, page["text"], meta, scraped=False, html=False)
        except IngestError as exc:
            on_skip(Skipped(record_id, str(exc)))
        except (EOFError, OSError, ValueError, zlib.error) as exc:
            on_skip(Skipped(record_id, f"the record is truncated or damaged ({exc})"))
    if not n_html:
        raise IngestError(f"no HTML response records in the archive ({n_records} records of other types)")
