"""Near-duplicate articles (the same wire story on many sites) by MinHash over word shingles.

Only cleaned article text is compared (`Article.text`, after `qa.ingest` removed menus, footers and the
other furniture a site prints on every page), so two different stories of one site are not taken for
copies of each other because they share that furniture.

Each article's text becomes a set of 5-word shingles; a MinHash signature of `NUM_PERM` values
estimates the Jaccard similarity of two such sets (the fraction of equal values). LSH banding
(`BANDS` bands of `ROWS` values) finds candidate pairs without comparing every pair; a candidate is
a duplicate when its estimated Jaccard similarity reaches the threshold. The first article seen is
the copy that gets indexed; later copies are listed on it ("also published by").

Threshold, measured on copies of a sample article after ingestion (tests/test_dedup.py builds the
same cases): exact copy 1.0; copy with page boilerplate around it (menu, newsletter, share, copyright
lines) 0.92; lightly edited wire copy (new headline, five phrases changed, last paragraph dropped)
0.66; the same story rewritten throughout (function words changed in every sentence) 0.30; different
stories on the same topic (the five sample articles, all on Russia, Syria and missiles) at most 0.001.
`DEFAULT_THRESHOLD` = 0.5 keeps edited copies (2-3 standard errors of the 96-value estimate above it)
and leaves rewrites and different stories well below. A copy that is a small part of a longer one (a
site printing only the first paragraphs) has a low Jaccard similarity and is not detected.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

SHINGLE_WORDS = 5
ROWS = 3  # values per LSH band: with 32 bands a pair at Jaccard 0.5 is a candidate with p = 0.986
BANDS = 32
NUM_PERM = ROWS * BANDS
DEFAULT_THRESHOLD = 0.5

_WORD = re.compile(r"\w+")
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SEEDS = np.random.default_rng(20261121).integers(0, 2**63, size=(NUM_PERM, 1), dtype=np.uint64)
_POSITION = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F, 0x165667B1], dtype=np.uint64)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64: a fast 64-bit mixing function (wrap-around arithmetic is intended)."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def shingle_hashes(text: str) -> np.ndarray:
    """64-bit hashes of the text's distinct 5-word shingles (lower-cased words, punctuation ignored)."""
    words = _WORD.findall(text.lower())
    if not words:
        return np.zeros(0, dtype=np.uint64)
    ids = np.fromiter((zlib.crc32(w.encode()) for w in words), dtype=np.uint64, count=len(words))
    width = min(SHINGLE_WORDS, len(ids))
    n = len(ids) - width + 1
    combined = np.zeros(n, dtype=np.uint64)
    for j in range(width):
        combined = _mix(combined ^ (ids[j : j + n] * _POSITION[j]))
    return np.unique(combined)


@dataclass(frozen=True)
class Signature:
    """The MinHash of one article's shingle set, and the set's size."""

    values: np.ndarray  # (NUM_PERM,) uint64
    size: int

    @classmethod
    def of(cls, text: str) -> Signature:
        hashes = shingle_hashes(text)
        if not len(hashes):
            return cls(np.full(NUM_PERM, np.iinfo(np.uint64).max, dtype=np.uint64), 0)
        return cls(_mix(hashes[None, :] ^ _SEEDS).min(axis=1), len(hashes))

    def jaccard(self, other: Signature) -> float:
        """Estimated Jaccard similarity of the two shingle sets."""
        if not self.size or not other.size:
            return 0.0
        return float(np.mean(self.values == other.values))

    def bands(self) -> list[int]:
        """One LSH key per band of `ROWS` values (band number included, so bands never collide)."""
        keys = np.arange(BANDS, dtype=np.uint64)
        for row in self.values.reshape(BANDS, ROWS).T:
            keys = _mix(keys ^ row)
        return keys.tolist()

    def to_row(self) -> np.ndarray:
        """The signature as one uint64 row (values, then size), as an index stores it."""
        return np.append(self.values, np.uint64(self.size))

    @classmethod
    def from_row(cls, row: np.ndarray) -> Signature:
        return cls(np.array(row[:NUM_PERM], dtype=np.uint64), int(row[NUM_PERM]))


class NearDuplicates:
    """Finds, for each new article, an earlier article it nearly duplicates (LSH + MinHash)."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"near-duplicate threshold must be in (0, 1], not {threshold}")
        self.threshold = threshold
        self._buckets: dict[int, int] = {}  # band key -> first key of an article with that band
        self._signatures: dict[int, Signature] = {}
        self.last_similarity = 0.0  # estimated Jaccard similarity of the last match found (why it was folded)

    def match(self, key: int, text: str, signature: Signature | None = None) -> tuple[int | None, Signature]:
        """(key of an earlier article that `text` nearly duplicates, else None, and the text's signature).

        An article that is no duplicate is remembered as `key`. Pass `signature` when it is known (it
        is stored in the index for unchanged articles) to skip hashing the text.
        """
        signature = signature or Signature.of(text)
        if not signature.size:
            return None, signature
        bands = signature.bands()
        best, best_score = None, self.threshold
        for candidate in {self._buckets[b] for b in bands if b in self._buckets}:
            score = signature.jaccard(self._signatures[candidate])
            if score >= best_score:
                best, best_score = candidate, score
        if best is not None:
            self.last_similarity = best_score
            return best, signature
        self._signatures[key] = signature
        for band in bands:
            self._buckets.setdefault(band, key)
        return None, signature
