"""A BM25 index built batch by batch, so a build never holds every chunk's tokens at once.

Each batch is tokenized exactly as `qa.index.lexical.tokenize` does (bm25s, stop-words, Snowball stems);
only each chunk's distinct term ids and counts are kept (what the index stores anyway). `finish`
computes the same scores as `bm25s.BM25.index` (Lucene BM25, k1 1.5, b 0.75) and returns a
`LexicalIndex`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .lexical import LexicalIndex, tokenize


class StreamingBM25:
    """Collects chunk texts in batches (`add`), then builds the BM25 index (`finish`)."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self._docs: list[np.ndarray] = []  # per batch: document index of each (document, term) pair
        self._terms: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []
        self.n_docs = 0

    def add(self, texts: Sequence[str]) -> None:
        """Tokenize and count one batch of documents (numbered after the ones already added)."""
        if not texts:
            return
        tokenized = tokenize(texts)
        local_to_global = np.empty(max(tokenized.vocab.values(), default=-1) + 1, dtype=np.int32)
        for token, local in tokenized.vocab.items():
            local_to_global[local] = self.vocab.setdefault(token, len(self.vocab))
        lengths = np.array([len(ids) for ids in tokenized.ids], dtype=np.int32)
        flat = np.fromiter((i for ids in tokenized.ids for i in ids), dtype=np.int64, count=int(lengths.sum()))
        docs = np.repeat(np.arange(self.n_docs, self.n_docs + len(texts), dtype=np.int64), lengths)
        # distinct (document, term) pairs of the batch and their counts, sorted by document then term
        pairs, counts = np.unique(docs << 32 | local_to_global[flat], return_counts=True)
        self._docs.append((pairs >> 32).astype(np.int32))
        self._terms.append((pairs & 0xFFFFFFFF).astype(np.int32))
        self._counts.append(counts.astype(np.float32))
        self._lengths.append(lengths)
        self.n_docs += len(texts)

    def finish(self) -> LexicalIndex:
        """The BM25 index of every document added, scored as bm25s scores it."""
        import bm25s
        from bm25s.scoring import _select_idf_scorer, _select_tfc_scorer

        bm25 = bm25s.BM25()
        empty = np.zeros(0, dtype=np.int32)
        docs = np.concatenate(self._docs) if self._docs else empty
        terms = np.concatenate(self._terms) if self._terms else empty
        counts = np.concatenate(self._counts) if self._counts else np.zeros(0, np.float32)
        lengths = np.concatenate(self._lengths) if self._lengths else empty
        self._docs, self._terms, self._counts = [], [], []
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
        return LexicalIndex(bm25)
