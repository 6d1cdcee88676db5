"""The library: what the index holds (one row per article), what was skipped, and removing an article.

Removing never deletes: the article's file is moved out of the corpus folder into `removed/` beside it
(`<corpus>/../removed/<corpus name>/<same relative path>`), and the next (incremental) build drops it.
Plain Python over a loaded index: the Library tab (`qa.web.library_tab`) renders what this returns.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..index.manifest import Manifest
from ..index.store import IndexData

REMOVED = "removed"
COLUMNS = ["Title", "Publisher", "Date", "File or URL", "Passages", "ID"]


@dataclass(frozen=True)
class LibraryEntry:
    article_id: str
    title: str
    source: str
    published: str
    location: str  # the URL when the article has one, else its file (relative to the corpus)
    path: str  # the file it came from, relative to the corpus
    passages: int
    copies: int  # syndicated copies folded into it

    def row(self) -> list[Any]:
        return [self.title, self.source, self.published, self.location, self.passages, self.article_id]


def library_entries(index: IndexData) -> list[LibraryEntry]:
    """One entry per indexed article, in index order."""
    n_articles = len(index.articles)
    rows = np.asarray(index.chunk_rows[:, 0]) if index.n_chunks else np.zeros(0, dtype=np.int64)
    counts = np.bincount(rows, minlength=n_articles) if n_articles else np.zeros(0, dtype=np.int64)
    out = []
    for i, meta in enumerate(index.articles):
        path = meta.get("path") or ""
        out.append(
            LibraryEntry(
                article_id=meta["article_id"],
                title=meta.get("title") or path,
                source=meta.get("source") or "",
                published=meta.get("published") or "",
                location=meta.get("url") or path,
                path=path,
                passages=int(counts[i]),
                copies=len(meta.get("copies") or []),
            )
        )
    return out


def matches(entry: LibraryEntry, query: str) -> bool:
    """Whether every word of `query` is in the entry's title, publisher, date or file (case-insensitive)."""
    haystack = " ".join((entry.title, entry.source, entry.published, entry.location, entry.path)).lower()
    return all(word in haystack for word in query.lower().split())


def library_table(entries: list[LibraryEntry], query: str = "") -> list[list[Any]]:
    """Rows for the table, newest first (undated last), filtered by `query`."""
    query = (query or "").strip()
    picked = [e for e in entries if matches(e, query)] if query else list(entries)
    picked.sort(key=lambda e: (e.published[:10] if e.published[:4].isdigit() else "", e.title), reverse=True)
    return [e.row() for e in picked]


def per_month(entries: list[LibraryEntry]) -> list[tuple[str, int]]:
    """(YYYY-MM, articles) for every month from the first to the last dated article, empty months included."""
    counts: dict[str, int] = {}
    for e in entries:
        if len(e.published) >= 7 and e.published[:4].isdigit() and e.published[5:7].isdigit():
            counts[e.published[:7]] = counts.get(e.published[:7], 0) + 1
    if not counts:
        return []
    first, last = min(counts), max(counts)
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last and len(out) < 1200:
        key = f"{year:04d}-{month:02d}"
        out.append((key, counts.get(key, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def undated_count(entries: list[LibraryEntry]) -> int:
    return sum(1 for e in entries if not (len(e.published) >= 7 and e.published[:4].isdigit()))


def skipped_files(manifest: Manifest | None) -> list[tuple[str, str]]:
    """(file, reason) of each file or record the build skipped (the manifest keeps "file: reason")."""
    out = []
    for line in (manifest.skipped if manifest else None) or []:
        path, sep, reason = str(line).partition(": ")
        out.append((path, reason) if sep else (str(line), ""))
    return out


def articles_in_file(entries: list[LibraryEntry], path: str) -> list[LibraryEntry]:
    return [e for e in entries if e.path == path]


def removed_dir(corpus_dir: Path) -> Path:
    """Where removed articles go: `removed/<corpus folder name>/` beside the corpus folder."""
    corpus = Path(corpus_dir).resolve()
    return corpus.parent / REMOVED / corpus.name


def beside_corpus(corpus_dir: Path, path: Path) -> str:
    """`path` as the page shows it: relative to the folder that holds the corpus ("removed/corpus/a.txt")."""
    try:
        return Path(path).resolve().relative_to(Path(corpus_dir).resolve().parent).as_posix()
    except ValueError:
        return Path(path).name


class RemoveError(ValueError):
    """An article file that cannot be moved out; the message says why."""


def remove_file(corpus_dir: Path, rel_path: str) -> Path:
    """Move `<corpus>/<rel_path>` to `removed_dir(corpus)/<rel_path>` (a new name if taken); return the target.

    Only a regular file inside the corpus folder is moved; nothing is ever deleted.
    """
    corpus = Path(corpus_dir).resolve()
    if not rel_path or rel_path.startswith(("http://", "https://")):
        raise RemoveError("this article has no file in the corpus folder")
    source = corpus / rel_path
    if source.is_symlink():
        raise RemoveError(f"{rel_path} is a symlink; remove it by hand")
    try:
        real = source.resolve(strict=True)
    except OSError:
        raise RemoveError(f"{rel_path} is no longer in the corpus folder") from None
    if not real.is_relative_to(corpus) or not real.is_file():
        raise RemoveError(f"{rel_path} is not a file inside the corpus folder")
    relative = real.relative_to(corpus)
    target = removed_dir(corpus) / relative
    if target.exists() or target.is_symlink():
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        target = target.with_name(f"{target.stem}.removed-{stamp}{target.suffix}")
        n = 2
        while target.exists():
            target = target.with_name(f"{target.stem}-{n}{target.suffix}")
            n += 1
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(real, target)
    except OSError:  # another file system
        shutil.move(str(real), str(target))
    return target
