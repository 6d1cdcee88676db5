"""Read a folder of scraped news into `Article` records.

Formats: .txt, .md, .html/.htm (trafilatura), .json (an object or a list of objects), .jsonl (one object
a line, streamed), .warc/.warc.gz web archives (one article per HTML response, `qa.ingest.warc`), and
any of them gzip-compressed (.txt.gz, .html.gz, .json.gz, .jsonl.gz; `qa.ingest.compressed`). A file or
record that cannot be read is reported as `Skipped` with the reason, and the rest go on. Only regular
files inside the corpus folder are read: symlinked folders are not followed, and a symlinked file must
point inside the corpus folder.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..records import Article
from ..text import clean_unicode
from .article import make_article
from .compressed import gzip_lines, read_gzip
from .errors import IngestError, Skipped
from .jsonfeed import json_articles, json_reason, jsonl_articles
from .limits import MAX_ARTICLE_BYTES, MAX_FILE_BYTES
from .recurrence import SiteLines
from .warc import warc_articles

__all__ = [
    "MAX_ARTICLE_BYTES", "MAX_FILE_BYTES", "SUFFIXES", "IngestError", "Skipped", "SourceFile", "file_digest",
    "file_kind", "iter_articles", "iter_corpus_files", "load_articles", "read_file",
]  # fmt: skip

_PLAIN = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".warc"})
SUFFIXES = _PLAIN | {".gz"}
# Text with more than this share of control bytes (other than tab, newline, form feed, CR) is binary.
_MAX_CONTROL_SHARE = 0.05
_CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 32), 127])


def file_kind(path: Path) -> tuple[str, bool] | None:
    """(the content's suffix, whether gzip-compressed) of an article file, or None for other files.

    ``a.jsonl.gz`` is (".jsonl", True); ``a.warc.gz`` is (".warc", False): warcio reads a compressed
    archive record by record itself.
    """
    suffix = path.suffix.lower()
    if suffix in _PLAIN:
        return suffix, False
    if suffix == ".gz":
        inner = Path(path.stem).suffix.lower()
        if inner == ".warc":
            return ".warc", False
        if inner in _PLAIN:
            return inner, True
    return None


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
            if name.startswith(".") or file_kind(Path(name)) is None:
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


def read_file(
    source: SourceFile,
    corpus_dir: Path,
    on_skip: Callable[[Skipped], None],
    site_lines: SiteLines | None = None,
) -> Iterator[Article]:
    """Articles in one file. Bad records of a JSON/JSONL file or a WARC are reported and skipped one by one.

    `site_lines`: the corpus's line statistics (`qa.ingest.recurrence`), which tell a scraped text file's
    site furniture.
    """
    path = source.path
    rel_path = path.relative_to(corpus_dir).as_posix()
    kind, gzipped = file_kind(path) or (path.suffix.lower(), False)
    if kind == ".warc":
        yield from warc_articles(source, rel_path, on_skip)
        return
    if kind == ".jsonl":
        lines = _gzip_jsonl_lines(source) if gzipped else _jsonl_lines(source)
        yield from jsonl_articles(lines, rel_path, on_skip)
        return
    if gzipped:
        data = read_gzip(source, MAX_FILE_BYTES if kind == ".json" else MAX_ARTICLE_BYTES)
        if not data.strip():
            raise IngestError("empty file (after decompressing)")
        text = decode_bytes(data)
    else:
        text = read_text(source)
    if kind == ".json":
        yield from json_articles(clean_unicode(text), rel_path, on_skip)
    elif kind in (".html", ".htm"):
        yield make_article(rel_path, rel_path, text, {}, scraped=False, html=True)
    else:
        furniture = site_lines.furniture(rel_path) if site_lines is not None else None
        yield make_article(rel_path, rel_path, clean_unicode(text), {}, scraped=True, furniture=furniture)


def _gzip_jsonl_lines(source: SourceFile) -> Iterator[tuple[int, str | None, str]]:
    for lineno, raw, problem in gzip_lines(source, MAX_ARTICLE_BYTES):
        if raw is None:
            yield lineno, None, problem
            continue
        try:
            yield lineno, decode_bytes(raw), ""
        except IngestError as exc:
            yield lineno, None, str(exc).replace("file", "line")


_reason = json_reason


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
    paths = list(iter_corpus_files(corpus_dir, report) if files is None else files)
    site_lines = SiteLines.scan(corpus_dir, paths)  # corpus-level line statistics, from every file each build
    for path in paths:
        rel = path.relative_to(corpus_dir).as_posix()
        digest = None
        try:
            with SourceFile(path) as source:
                yield from read_file(source, corpus_dir, report, site_lines)
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
