"""Lines that recur across the files of one site: its menus, footers, cookie banners, comment prompts.

A site's scrapes share their furniture: the same "Privacy policy", "Sign up for our newsletter …" and
"© 2021 The Harbour Gazette" lines are in every page, while the article lines are the page's own. So a
line printed in at least half of a folder's scraped text files (and in two at least) is furniture for
that folder, whatever its words. It is removed before the line classifier sees the page; if that would
leave no prose at all (two copies of one wire story side by side), the page is cleaned without it and
near-duplicate detection folds the copies instead.

The statistics are a function of the whole corpus as it is now: every build (full or incremental)
scans all text files first (`SiteLines.scan`), so an article is cleaned the same way whichever build
reads it; an incremental build reuses only what comes out the same (vectors by content hash).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

import numpy as np

from .compressed import GZIP_ERRORS
from .limits import MAX_ARTICLE_BYTES

MIN_FILES = 2  # a line in at least this many files of a folder ...
MIN_SHARE = 0.5  # ... and in at least this share of them is the site's furniture
SCRAPE_SUFFIXES = (".txt", ".md", ".markdown")


def line_key(text: str) -> int:
    """A 64-bit key of a line, case and spacing ignored."""
    norm = " ".join(text.lower().split()).encode("utf-8", "replace")
    return (zlib.crc32(norm) << 32) | zlib.adler32(norm)


def site_of(rel_path: str) -> str:
    """The group a file's statistics are counted in: its folder."""
    return str(PurePosixPath(rel_path).parent)


class SiteLines:
    """Per folder: how many of its scraped text files print each line."""

    def __init__(self) -> None:
        self._keys: dict[str, list[np.ndarray]] = {}
        self._files: dict[str, int] = {}
        self._furniture: dict[str, frozenset[int]] = {}

    def add(self, rel_path: str, lines: Iterable[str]) -> None:
        site = site_of(rel_path)
        keys = np.unique(np.fromiter((line_key(x) for x in lines if x.strip()), dtype=np.uint64))
        self._keys.setdefault(site, []).append(keys)
        self._files[site] = self._files.get(site, 0) + 1
        self._furniture.pop(site, None)

    def furniture_keys(self, site: str) -> frozenset[int]:
        if site not in self._furniture:
            n_files = self._files.get(site, 0)
            found: frozenset[int] = frozenset()
            if n_files >= MIN_FILES:
                keys, counts = np.unique(np.concatenate(self._keys[site]), return_counts=True)
                need = max(MIN_FILES, MIN_SHARE * n_files)
                found = frozenset(int(k) for k in keys[counts >= need])
            self._furniture[site] = found
        return self._furniture[site]

    def furniture(self, rel_path: str) -> Callable[[str], bool] | None:
        """A test for the furniture lines of the file's site, or None when its folder has too few files."""
        keys = self.furniture_keys(site_of(rel_path))
        return (lambda text: line_key(text) in keys) if keys else None

    @classmethod
    def scan(cls, corpus_dir: Path, files: Iterable[Path]) -> SiteLines:
        """Count the lines of every scraped text file (.txt, .md, plain or .gz) among `files`."""
        import gzip

        stats = cls()
        for path in files:
            name = path.name.lower()
            gzipped = name.endswith(".gz")
            if not name.removesuffix(".gz").endswith(SCRAPE_SUFFIXES):
                continue
            try:
                if gzipped:
                    with gzip.open(path, "rb") as fh:
                        data = fh.read(MAX_ARTICLE_BYTES + 1)
                else:
                    with open(path, "rb") as fh:
                        data = fh.read(MAX_ARTICLE_BYTES + 1)
            except (*GZIP_ERRORS, OSError):
                continue  # the read proper reports it
            if len(data) > MAX_ARTICLE_BYTES:
                continue
            text = data.decode("utf-8", errors="replace")
            stats.add(path.relative_to(corpus_dir).as_posix(), text.split("\n"))
        return stats
