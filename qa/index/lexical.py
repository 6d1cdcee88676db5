"""BM25 over the same chunks as the dense index (bm25s, Snowball-stemmed English).

Builds use bm25s. Queries do not import it (``import bm25s`` pulls in numba and scipy, about half a
second of a fresh `qa ask`): `SavedBM25` reads the arrays bm25s saved and scores a query as bm25s's
`get_scores` does (same additions in the same order), and `stem_words` tokenizes as `bm25s.tokenize`
does (lower case, its token pattern, its English stop-words, the same Snowball stemmer).
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..config import LexicalConfig

LANGUAGE = "english"
TOKEN_PATTERN = re.compile(r"(?u)\b\w\w+\b")  # bm25s.tokenize's default


@lru_cache(maxsize=1)
def _stemmer():
    try:
        import Stemmer
    except ImportError:  # stemming adds ~0.02-0.04 nDCG on SciFact; run without it rather than fail
        return None
    return Stemmer.Stemmer(LANGUAGE)


def new_bm25s(params: LexicalConfig | None = None):
    """An empty `bm25s.BM25` (Lucene) with the configured k1 and b: what every build scores with."""
    import bm25s

    params = params or LexicalConfig()
    return bm25s.BM25(k1=params.k1, b=params.b)


def tokenize(texts: Sequence[str], show_progress: bool = False):
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_stemmer(), show_progress=show_progress, return_ids=True)


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    """bm25s's English stop-words, read from its `stopwords.py` without importing the bm25s package."""
    spec = importlib.util.find_spec("bm25s")  # finds the package without running its __init__
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:  # pragma: no cover - bm25s is a dependency
        raise ImportError("bm25s is not installed: pip install bm25s")
    loader_spec = importlib.util.spec_from_file_location("qa_bm25s_stopwords", Path(locations[0]) / "stopwords.py")
    module = importlib.util.module_from_spec(loader_spec)
    loader_spec.loader.exec_module(module)
    return frozenset(module.STOPWORDS_EN)


def stem_words(text: str) -> list[str]:
    """The stemmed, stop-word-free terms of `text`, as the lexical index sees them (`bm25s.tokenize`)."""
    stop = _stopwords()
    words = [w for w in TOKEN_PATTERN.findall(text.lower()) if w not in stop]
    stemmer = _stemmer()
    return list(stemmer.stemWords(words)) if stemmer is not None and words else words


# A query's score is its terms' postings added up. numpy's fancy-indexed add takes ~5 ns a posting: the bench's
# questions (six words of a chunk, common ones included) touch 1.6M postings at 1M chunks, ~8 ms; a compiled
# loop (numba, when installed) adds the same numbers in the same order in ~3 ms, and picks the top 100 of a
# million scores in ~1 ms instead of argpartition's ~2.5. Only an index this large uses them: numba costs
# ~100 MB resident and ~0.85 s to load and compile (done when the index loads), while at 100k chunks numpy
# takes ~0.5 ms.
COMPILED_MIN_DOCS = 500_000


class SavedBM25:
    """A saved bm25s index, memory-mapped, with what querying needs: `scores`, `vocab_dict`, `get_scores`."""

    def __init__(self, directory: Path) -> None:
        directory = Path(directory)
        params = json.loads((directory / "params.index.json").read_text(encoding="utf-8"))
        if params.get("method", "lucene") != "lucene" or (directory / "nonoccurrence_array.index.npy").exists():
            raise ValueError(f"{directory}: only Lucene BM25 indexes can be read without bm25s")
        self.dtype = np.dtype(params.get("dtype", "float32"))
        self.vocab_dict: dict[str, int] = json.loads((directory / "vocab.index.json").read_text(encoding="utf-8"))
        self.scores = {
            name: np.load(directory / f"{name}.csc.index.npy", mmap_mode="r") for name in ("data", "indices", "indptr")
        }
        self.scores["num_docs"] = int(params["num_docs"])
        kernels = _compiled_kernels() if self.scores["num_docs"] >= COMPILED_MIN_DOCS else None
        self.compiled = kernels is not None
        if kernels is not None:  # compiled now, not on the first question
            kernels[1](np.zeros(2, dtype=self.dtype), 1)
            self.get_scores([])

    def get_scores(self, token_ids: Sequence[int], compiled: bool | None = None) -> np.ndarray:
        """Every document's BM25 score: the query terms' columns added term by term, as bm25s adds them.

        `compiled`: add them in the compiled loop (None: when the index is large enough and numba is installed).
        """
        data, indices, indptr = self.scores["data"], self.scores["indices"], self.scores["indptr"]
        scores = np.zeros(self.scores["num_docs"], dtype=self.dtype)
        spans = [(int(indptr[tid]), int(indptr[tid + 1])) for tid in token_ids]
        if compiled is None:
            compiled = self.compiled
        kernels = _compiled_kernels() if compiled else None
        if kernels is not None:
            bounds = np.array(spans, dtype=np.int64).reshape(-1, 2)
            kernels[0](scores, indices, data, bounds[:, 0], bounds[:, 1])
            return scores
        for start, end in spans:
            scores[indices[start:end]] += data[start:end]  # a column holds each document once
        return scores


def top_documents(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the `n` highest scores, in no particular order (all of them when there are no more).

    Over `COMPILED_MIN_DOCS` scores or more, one compiled pass keeps the best n (numba, when installed);
    otherwise numpy's argpartition. Ties at the n-th score may be broken either way.
    """
    if n >= len(scores):
        return np.arange(len(scores))
    if n > 0 and len(scores) >= COMPILED_MIN_DOCS and (kernels := _compiled_kernels()) is not None:
        return kernels[1](scores, n)
    return np.argpartition(scores, len(scores) - n)[len(scores) - n :]


@lru_cache(maxsize=1)
def _compiled_kernels():
    """numba's compiled loops (postings added up, the n best), or None without numba."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(nogil=True)
    def add_columns(scores, indices, data, starts, ends):  # pragma: no cover - runs compiled
        for column in range(len(starts)):
            for p in range(starts[column], ends[column]):
                scores[indices[p]] += data[p]

    @numba.njit(nogil=True)
    def top_n(scores, n):  # pragma: no cover - runs compiled
        best = np.arange(n)  # the n best so far; `low` is the place of the lowest of them
        low = 0
        for k in range(n):
            if scores[best[k]] < scores[best[low]]:
                low = k
        for i in range(n, len(scores)):
            if scores[i] > scores[best[low]]:
                best[low] = i
                for k in range(n):
                    if scores[best[k]] < scores[best[low]]:
                        low = k
        return best

    return add_columns, top_n


class LexicalIndex:
    """A BM25 index whose document i is chunk i."""

    def __init__(self, bm25, term_counts=None) -> None:
        self.bm25 = bm25
        self.term_counts = term_counts  # qa.index.bm25_stream.TermCounts of a streamed build, saved with it

    @classmethod
    def build(cls, texts: Sequence[str], params: LexicalConfig | None = None) -> LexicalIndex:
        bm25 = new_bm25s(params)
        bm25.index(tokenize(texts), show_progress=False)
        return cls(bm25)

    def save(self, directory: Path) -> None:
        self.bm25.save(str(directory))
        if self.term_counts is not None:  # what the next incremental build reuses instead of tokenizing
            self.term_counts.save(directory)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        try:
            return cls(SavedBM25(directory))
        except ValueError:  # another BM25 variant: let bm25s read it
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
