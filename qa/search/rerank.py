"""Second-stage reranking of the fused top-N chunks (mode "hybrid+rerank").

No cross-encoder ships its weights on PyPI (checked: flashrank, bert-reranker, small-hybrid-reranker and
others download at run time, which fails offline), so the reranker is pluggable:

- ``QA_RERANKER=/path/to/folder``: a local cross-encoder folder (sentence-transformers ``CrossEncoder``,
  detected by a ``*ForSequenceClassification`` architecture in its config.json) scores (question, passage)
  pairs; any other sentence-transformers folder (e.g. all-mpnet-base-v2) is used as a second bi-encoder.
- ``QA_RERANKER=learned``: a logistic regression over the fused head's own scores and cheap text features
  (learned_rerank.py, trained by train/rerank.py); no extra encoding.
- ``QA_RERANKER=reader``: the extractive reader (reader.py) reads each passage; its score is how much more
  it believes its best answer span than that the passage holds none (about 10 ms a passage).
- ``QA_RERANKER=sentences`` (the default): the index's own model, scoring each passage by its
  best-matching sentence; a claim or a question is usually answered by one sentence, which a
  whole-chunk vector dilutes.

Passage vectors are cached by content hash, so a passage is encoded once however often it is reranked.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ..index.embed_cache import VectorCache, text_key
from ..text import sentence_spans

RERANKER_ENV = "QA_RERANKER"
DEFAULT_RERANKER = "sentences"


class Reranker(Protocol):
    name: str

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        """One relevance score per passage, higher is better (scale is the model's own)."""
        ...


class CrossEncoderReranker:
    """A local cross-encoder folder: reads question and passage together."""

    def __init__(self, path: Path) -> None:
        from sentence_transformers import CrossEncoder

        self.name = f"cross-encoder:{Path(path).name}"
        self.model = CrossEncoder(str(path), device="cpu", local_files_only=True)
        self._lock = threading.Lock()

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        if not passages:
            return np.zeros(0, dtype=np.float32)
        with self._lock:
            scores = self.model.predict([(query, p) for p in passages], batch_size=32, show_progress_bar=False)
        return np.asarray(scores, dtype=np.float32).reshape(len(passages), -1)[:, -1]


class BiEncoderReranker:
    """Cosine similarity under a second embedding model; passage vectors are cached."""

    def __init__(
        self,
        name: str,
        encode_query: Callable[[str], np.ndarray],
        encode_passages: Callable[[list[str]], np.ndarray],
        cache_dir: Path | None = None,
    ) -> None:
        self.name = name
        self._encode_query = encode_query
        self._encode_passages = encode_passages
        self.cache = VectorCache(cache_dir)
        self._lock = threading.Lock()  # the C engine and torch are not re-entrant

    def passage_vectors(self, passages: Sequence[str]) -> np.ndarray:
        keys = [text_key(self.name, p) for p in passages]
        found = self.cache.get_many(keys)
        missing = sorted({i for i, v in enumerate(found) if v is None}, key=lambda i: keys[i])
        if missing:
            unique = {keys[i]: passages[i] for i in missing}
            with self._lock:
                fresh = np.asarray(self._encode_passages(list(unique.values())), dtype=np.float32)
            self.cache.put_many(list(unique), fresh)
            by_key = dict(zip(unique, fresh, strict=True))
            for i in missing:
                found[i] = by_key[keys[i]]
        return np.stack(found) if passages else np.zeros((0, 1), dtype=np.float32)

    def query_vector(self, query: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._encode_query(query), dtype=np.float32).reshape(-1)

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        if not passages:
            return np.zeros(0, dtype=np.float32)
        return self.passage_vectors(passages) @ self.query_vector(query)

    def save(self) -> None:
        self.cache.save()


class SentenceReranker:
    """Scores a passage by its best sentence under a bi-encoder (a claim is usually backed by one sentence)."""

    def __init__(self, encoder: BiEncoderReranker) -> None:
        self.encoder = encoder
        self.name = f"sentences:{encoder.name}"

    def sentence_scores(self, query: str, passages: Sequence[str]) -> list[np.ndarray]:
        """Similarity of every sentence of every passage to the query."""
        split = [[p[a:b] for a, b in sentence_spans(p)] or [p] for p in passages]
        flat = [s for sentences in split for s in sentences]
        if not flat:
            return []
        sims = self.encoder.score(query, flat)
        out, i = [], 0
        for sentences in split:
            out.append(sims[i : i + len(sentences)])
            i += len(sentences)
        return out

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        return np.array([float(s.max()) for s in self.sentence_scores(query, passages)], dtype=np.float32)

    def save(self) -> None:
        self.encoder.save()


def is_cross_encoder(folder: Path) -> bool:
    try:
        config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return any(a.endswith("ForSequenceClassification") for a in config.get("architectures") or [])


def _sentence_transformer(path: Path, cache_dir: Path | None) -> BiEncoderReranker:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)

    def encode(texts: list[str]) -> np.ndarray:
        return model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)

    return BiEncoderReranker(f"st:{path.resolve()}", lambda q: encode([q])[0], encode, cache_dir)


def create_reranker(spec: str, embedder=None, cache_dir: Path | None = None) -> Reranker:
    """A reranker from its spec: "sentences" (needs the index's `embedder`) or a model folder."""
    sub = (lambda name: Path(cache_dir) / name) if cache_dir else (lambda name: None)
    if spec == "learned":
        from .learned_rerank import LearnedReranker

        return LearnedReranker()
    if spec == "reader":
        return ReaderReranker()
    if spec == "sentences":
        if embedder is None:
            raise ValueError("reranker 'sentences' needs the index's embedder")
        encoder = BiEncoderReranker(
            f"sentences-{embedder.model_name}", embedder.encode_query, embedder.encode, sub("sentences")
        )
        return SentenceReranker(encoder)
    path = Path(spec).expanduser()
    if not path.is_dir():
        raise ValueError(
            f"reranker {spec!r} is neither 'sentences' nor a model folder "
            f"(set {RERANKER_ENV} to a local cross-encoder or sentence-transformers folder)"
        )
    if is_cross_encoder(path):
        return CrossEncoderReranker(path)
    return _sentence_transformer(path, sub(f"st-{path.name}"))


class ReaderReranker:
    """The extractive reader's answer margin (best span over no answer) as a passage's relevance."""

    name = "reader"

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        from .reader import get_reader

        reader = get_reader()
        readings = [reader.read(query, p) for p in passages]
        return np.array([r.margin if r else -1e3 for r in readings], dtype=np.float32)


_lock = threading.Lock()
_rerankers: dict[tuple[str, str | None, str | None], Reranker] = {}


def get_reranker(spec: str | None = None, embedder=None, cache_dir: Path | None = None) -> Reranker:
    """The shared reranker for `spec` (default: `QA_RERANKER`, else "sentences"), loaded once per process."""
    spec = spec or os.environ.get(RERANKER_ENV) or DEFAULT_RERANKER
    key = (spec, getattr(embedder, "model_name", None) if spec == "sentences" else None, str(cache_dir))
    with _lock:
        if key not in _rerankers:
            _rerankers[key] = create_reranker(spec, embedder, cache_dir)
        return _rerankers[key]


def save_caches() -> None:
    """Persist the passage vectors of every loaded reranker that has a cache folder."""
    with _lock:
        loaded = list(_rerankers.values())
    for reranker in loaded:
        save = getattr(reranker, "save", None)
        if save:
            save()
