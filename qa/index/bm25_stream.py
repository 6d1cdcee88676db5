"""A BM25 index built batch by batch, so a build never holds every chunk's tokens at once.

Each batch is tokenized exactly as `qa.index.lexical.tokenize` does (bm25s, stop-words, Snowball stems);
only each chunk's distinct term ids and counts are kept (what the index stores anyway). `finish`
computes the same scores as `bm25s.BM25.index` (Lucene BM25, `LexicalConfig`'s k1 and b) and returns a
`LexicalIndex` that also keeps those term counts (`TermCounts`, saved beside the bm25s files).

An incremental build does not tokenize unchanged chunks again: `add(texts, reuse=..., previous=...)`
takes their term counts and lengths from the served version's `TermCounts` (term ids translated
through the vocabulary), so the scores are exactly those of a build that tokenized every chunk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import LexicalConfig
from .lexical import LexicalIndex, new_bm25s, tokenize

COUNTS_FILES = ("terms.doc_ptr.npy", "terms.ids.npy", "terms.counts.npy", "terms.lengths.npy")


@dataclass
class TermCounts:
    """Each document's distinct term ids and counts (sorted by document, then term) and token length."""

    vocab: list[str]  # term id -> term
    doc_ptr: np.ndarray  # int64, n_docs + 1: document d's pairs are [doc_ptr[d], doc_ptr[d + 1])
    terms: np.ndarray  # int32
    counts: np.ndarray  # uint16 (a count above 65,535 is kept as 65,535)
    lengths: np.ndarray  # int32, tokens of each document after stop-words

    def save(self, directory: Path) -> None:
        for name, array in zip(COUNTS_FILES, (self.doc_ptr, self.terms, self.counts, self.lengths), strict=True):
            np.save(Path(directory) / name, array)

    @classmethod
    def load(cls, directory: Path) -> TermCounts | None:
        """The counts saved with a lexical index (memory-mapped), or None for an index without them."""
        directory = Path(directory)
        try:
            arrays = [np.load(directory / name, mmap_mode="r") for name in COUNTS_FILES]
            vocab_ids: dict[str, int] = json.loads((directory / "vocab.index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        vocab = [""] * (max(vocab_ids.values(), default=-1) + 1)
        for term, tid in vocab_ids.items():
            vocab[tid] = term
        return cls(vocab, *arrays)


class StreamingBM25:
    """Collects chunk texts in batches (`add`), then builds the BM25 index (`finish`)."""

    def __init__(self, params: LexicalConfig | None = None) -> None:
        self.params = params or LexicalConfig()
        self.vocab: dict[str, int] = {}
        self._docs: list[np.ndarray] = []  # per batch: document index of each (document, term) pair
        self._terms: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []
        self.n_docs = 0
        self._translations: dict[int, np.ndarray] = {}  # id(previous) -> its term id -> our term id (-1: not yet)

    def add(
        self, texts: Sequence[str], reuse: Mapping[int, int] | None = None, previous: TermCounts | None = None
    ) -> None:
        """Count one batch of documents (numbered after the ones already added).

        `reuse` maps positions of the batch to documents of `previous` whose counts they take: those
        texts are not tokenized (and may be empty strings).
        """
        if not texts:
            return
        reuse = reuse if reuse and previous is not None else {}
        fresh = [i for i in range(len(texts)) if i not in reuse]
        tokenized = tokenize([texts[i] for i in fresh]) if fresh else None
        lengths = np.zeros(len(texts), dtype=np.int32)
        keys: list[np.ndarray] = []
        values: list[np.ndarray] = []
        if tokenized is not None:
            local_to_global = np.empty(max(tokenized.vocab.values(), default=-1) + 1, dtype=np.int64)
            for token, local in tokenized.vocab.items():
                local_to_global[local] = self.vocab.setdefault(token, len(self.vocab))
            fresh_lengths = np.array([len(ids) for ids in tokenized.ids], dtype=np.int32)
            lengths[fresh] = fresh_lengths
            n_tokens = int(fresh_lengths.sum())
            flat = np.fromiter((i for ids in tokenized.ids for i in ids), dtype=np.int64, count=n_tokens)
            docs = np.repeat(self.n_docs + np.asarray(fresh, dtype=np.int64), fresh_lengths)
            pairs, counts = np.unique(docs << 32 | local_to_global[flat], return_counts=True)
            keys.append(pairs)
            values.append(counts.astype(np.float32))
        if reuse:
            positions = np.fromiter(reuse.keys(), dtype=np.int64, count=len(reuse))
            old = np.fromiter(reuse.values(), dtype=np.int64, count=len(reuse))
            starts, ends = previous.doc_ptr[old], previous.doc_ptr[old + 1]
            sizes = (ends - starts).astype(np.int64)
            rows = np.repeat(starts - np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes) + np.arange(sizes.sum())
            docs = np.repeat(self.n_docs + positions, sizes)
            keys.append(docs << 32 | self._translate(previous, np.asarray(previous.terms[rows], dtype=np.int64)))
            values.append(np.asarray(previous.counts[rows], dtype=np.float32))
            lengths[positions] = previous.lengths[old]
        # distinct (document, term) pairs of the batch and their counts, sorted by document then term
        pairs = np.concatenate(keys)
        order = np.argsort(pairs, kind="stable")
        pairs, counts = pairs[order], np.concatenate(values)[order]
        self._docs.append((pairs >> 32).astype(np.int32))
        self._terms.append((pairs & 0xFFFFFFFF).astype(np.int32))
        self._counts.append(counts)
        self._lengths.append(lengths)
        self.n_docs += len(texts)

    def _translate(self, previous: TermCounts, old_ids: np.ndarray) -> np.ndarray:
        """Our term ids for `previous`'s term ids, adding terms we have not seen yet to our vocabulary."""
        table = self._translations.get(id(previous))
        if table is None:
            table = self._translations[id(previous)] = np.full(len(previous.vocab), -1, dtype=np.int64)
        missing = np.unique(old_ids[table[old_ids] < 0])
        for tid in missing.tolist():
            table[tid] = self.vocab.setdefault(previous.vocab[tid], len(self.vocab))
        return table[old_ids]

    def finish(self) -> LexicalIndex:
        """The BM25 index of every document added, scored as bm25s scores it."""
        from bm25s.scoring import _select_idf_scorer, _select_tfc_scorer

        bm25 = new_bm25s(self.params)
        empty = np.zeros(0, dtype=np.int32)
        docs = np.concatenate(self._docs) if self._docs else empty
        terms = np.concatenate(self._terms) if self._terms else empty
        counts = np.concatenate(self._counts) if self._counts else np.zeros(0, np.float32)
        lengths = np.concatenate(self._lengths) if self._lengths else empty
        self._docs, self._terms, self._counts = [], [], []
        term_counts = TermCounts(
            [],  # saved as bm25s's vocab.index.json
            np.searchsorted(docs, np.arange(self.n_docs + 1)).astype(np.int64),
            terms,
            np.minimum(counts, 65_535).astype(np.uint16),
            lengths,
        )
        n_vocab = len(self.vocab)
        doc_freqs = np.bincount(terms, minlength=n_vocab)
        idf = np.zeros(n_vocab, dtype=bm25.dtype)
        present = doc_freqs > 0
        idf_of = _select_idf_scorer(bm25.idf_method)  # a scalar function (math.log)
        idf[present] = np.fromiter((idf_of(int(df), N=self.n_docs) for df in doc_freqs[present]), dtype=np.float64)
        avg_len = lengths.mean() if len(lengths) else 0.0
        tfc = _select_tfc_scorer(bm25.method)(
            tf_array=counts, l_d=lengths[docs], l_avg=avg_len, k1=bm25.k1, b=bm25.b, delta=bm25.delta
        )
        scores = (idf[terms] * tfc).astype(bm25.dtype)
        order = np.argsort(terms, kind="stable")  # column-major (CSC), documents ascending in a column
        indptr = np.zeros(n_vocab + 1, dtype=np.int64)
        np.cumsum(doc_freqs, out=indptr[1:])
        bm25.scores = {
            "data": scores[order],
            "indices": docs[order],
            "indptr": indptr,
            "num_docs": self.n_docs,
        }
        vocab = dict(self.vocab)
        vocab.setdefault("", n_vocab)  # as bm25s does: an empty token after the vocabulary
        bm25.vocab_dict = vocab
        bm25.unique_token_ids_set = set(vocab.values())
        bm25.nonoccurrence_array = None  # only BM25L / BM25+ use it
        return LexicalIndex(bm25, term_counts)
