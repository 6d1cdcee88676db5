"""Gzip-compressed files of every supported type (``.txt.gz``, ``.html.gz``, ``.json.gz``, ``.jsonl.gz``).

Decompression is bounded: an article that expands past the article size limit is not read further and
is skipped with the reason (a small file can expand a thousandfold). A truncated or damaged gzip
stream is reported with the file and, for JSON Lines, the line it broke at; the records before it are
kept.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from .errors import IngestError

GZIP_ERRORS = (EOFError, OSError, zlib.error)  # gzip.BadGzipFile is an OSError


def damaged(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "the gzip stream ends early (truncated file)"
    return f"the gzip stream is damaged ({exc})"


def read_gzip(fh: BinaryIO, limit: int) -> bytes:
    """The whole decompressed content, at most `limit` bytes; past it, an `IngestError`."""
    try:
        with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
            data = gz.read(limit + 1)
    except GZIP_ERRORS as exc:
        raise IngestError(damaged(exc)) from exc
    if len(data) > limit:
        raise IngestError(
            f"expands past the {limit // 2**20} MB article size limit when decompressed; not read further"
        )
    return data


def gzip_lines(fh: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None, str]]:
    """(line number, line or None, why not) of each non-blank decompressed line, streamed and bounded.

    A line longer than `limit` is skipped with the reason without holding it in memory; a stream that
    breaks off ends with a (line number, None, reason) entry for the line it broke in.
    """
    lineno = 0
    gz = gzip.GzipFile(fileobj=fh, mode="rb")
    try:
        while True:
            lineno += 1
            line = gz.readline(limit + 1)
            if not line:
                return
            if len(line) > limit and not line.endswith(b"\n"):
                while True:  # drain the rest of the oversized line
                    rest = gz.readline(1 << 20)
                    if not rest or rest.endswith(b"\n"):
                        break
                yield lineno, None, f"line expands past the {limit // 2**20} MB article size limit"
                continue
            if line.strip():
                yield lineno, line, ""
    except GZIP_ERRORS as exc:
        yield lineno, None, damaged(exc) + "; the lines before it were read"
    finally:
        gz.close()
