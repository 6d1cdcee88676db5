"""BM25 over the same chunks as the dense index (bm25s, Snowball-stemmed English)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

LANGUAGE = "english"


@lru_cache(maxsize=1)
def _stemmer():
    try:
        import Stemmer
    except ImportError:  # stemming adds ~0.02-0.04 nDCG on SciFact; run without it rather than fail
        return None
    return Stemmer.Stemmer(LANGUAGE)


def tokenize(texts: Sequence[str], show_progress: bool = False):
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_stemmer(), show_progress=show_progress, return_ids=True)


def stem_words(text: str) -> list[str]:
    """The stemmed, stop-word-free terms of `text`, as the lexical index sees them."""
    import bm25s

    tokenized = bm25s.tokenize([text], stopwords="en", stemmer=_stemmer(), show_progress=False, return_ids=False)
    return list(tokenized[0]) if tokenized else []


class LexicalIndex:
    """A BM25 index whose document i is chunk i."""

    def __init__(self, bm25) -> None:
        self.bm25 = bm25

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index(tokenize(texts), show_progress=False)
        return cls(bm25)

    def save(self, directory: Path) -> None:
        self.bm25.save(str(directory))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        import bm25s

        return cls(bm25s.BM25.load(str(directory), mmap=True))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for `query` (zeros when no query term is in the vocabulary)."""
        terms = stem_words(query)
        vocab = self.bm25.vocab_dict
        ids = [vocab[t] for t in terms if t in vocab]
        n_docs = int(self.bm25.scores["num_docs"])
        if not ids:
            return np.zeros(n_docs, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(ids), dtype=np.float32)

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        """Inverse document frequency of stemmed terms (0 for unknown terms)."""
        vocab = self.bm25.vocab_dict
        n_docs = int(self.bm25.scores["num_docs"])
        indptr = self.bm25.scores["indptr"]
        out = {}
        for term in terms:
            tid = vocab.get(term)
            df = int(indptr[tid + 1] - indptr[tid]) if tid is not None else 0
            out[term] = float(np.log(1 + (n_docs - df + 0.5) / (df + 0.5))) if df else 0.0
        return out
