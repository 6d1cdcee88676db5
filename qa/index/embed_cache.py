"""An embedder wrapper that remembers vectors by content hash, on disk, so repeated runs skip the model.

Used by `qa eval` (a benchmark corpus is embedded once, whatever the chunking) and by rerankers that
score the same passages again and again. Keys are SHA-1 of the model name and the exact text.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


def text_key(model: str, text: str) -> bytes:
    return hashlib.sha1(f"{model}\0{text}".encode()).digest()


MEMORY_LIMIT = 200_000  # vectors kept by a cache without a folder before it starts over


class VectorCache:
    """A map from text hash to vector, persisted as `keys.npy` (n x 20 bytes) and `vectors.npy` (n x dim).

    Without a folder it lives in memory only, holding at most `MEMORY_LIMIT` vectors.
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = Path(directory) if directory else None
        self._index: dict[bytes, int] = {}  # rows of the saved vectors
        self._vectors: np.ndarray | None = None
        self._pending: dict[bytes, np.ndarray] = {}  # not saved yet
        self._lock = threading.Lock()
        if self.directory is None:
            return
        keys_path, vectors_path = self.directory / "keys.npy", self.directory / "vectors.npy"
        if keys_path.is_file() and vectors_path.is_file():
            try:
                keys = np.load(keys_path)
                vectors = np.load(vectors_path, mmap_mode="r")
            except (OSError, ValueError):  # a damaged cache is only a slower run
                return
            if len(keys) == len(vectors):
                self._index = {bytes(k): i for i, k in enumerate(keys)}
                self._vectors = vectors

    def __len__(self) -> int:
        return len(self._index) + len(self._pending)

    def get_many(self, keys: Sequence[bytes]) -> list[np.ndarray | None]:
        with self._lock:
            out: list[np.ndarray | None] = []
            for key in keys:
                row = self._index.get(key)
                if row is not None and self._vectors is not None:
                    out.append(np.asarray(self._vectors[row]))
                else:
                    out.append(self._pending.get(key))
            return out

    def put_many(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        with self._lock:
            if self.directory is None and len(self._pending) + len(keys) > MEMORY_LIMIT:
                self._pending.clear()
            self._pending.update(zip(keys, np.asarray(vectors, dtype=np.float32), strict=True))

    def save(self) -> None:
        """Write new entries (atomically replacing the files); a no-op in memory or when nothing is new."""
        with self._lock:
            if not self._pending or self.directory is None:
                return
            self.directory.mkdir(parents=True, exist_ok=True)
            old_keys = sorted(self._index, key=self._index.__getitem__)
            all_keys = old_keys + list(self._pending)
            keys = np.array([np.frombuffer(k, dtype=np.uint8) for k in all_keys], dtype=np.uint8)
            parts = [np.asarray(self._vectors)] if self._vectors is not None and old_keys else []
            vectors = np.concatenate([*parts, np.stack(list(self._pending.values()))]).astype(np.float32)
            for name, array in (("vectors.npy", vectors), ("keys.npy", keys)):
                tmp = self.directory / f".{name}.{os.getpid()}.tmp.npy"
                np.save(tmp, array)
                os.replace(tmp, self.directory / name)
            self._index = {k: i for i, k in enumerate(all_keys)}
            self._vectors = vectors
            self._pending.clear()


class CachedEmbedder:
    """Any embedder (`encode(texts)` -> unit vectors) with a `VectorCache` in front of it.

    Attributes other than `encode`/`encode_query` (model_name, max_tokens, count_tokens, ...) are the
    wrapped embedder's, so it can stand in for a `qa.index.embed.Embedder` in a build.
    """

    def __init__(self, embedder, cache_dir: Path, model_name: str | None = None) -> None:
        self.embedder = embedder
        self.cache_model = model_name or embedder.model_name
        self.cache = VectorCache(Path(cache_dir))

    def __getattr__(self, name: str):
        return getattr(self.embedder, name)

    def encode(self, texts: Sequence[str], on_progress: Callable[[int], None] | None = None) -> np.ndarray:
        keys = [text_key(self.cache_model, t) for t in texts]
        found = self.cache.get_many(keys)
        missing = [i for i, v in enumerate(found) if v is None]
        if on_progress and len(texts) > len(missing):
            on_progress(len(texts) - len(missing))
        if missing:
            fresh = self.embedder.encode([texts[i] for i in missing], on_progress=on_progress)
            self.cache.put_many([keys[i] for i in missing], fresh)
            for i, vector in zip(missing, fresh, strict=True):
                found[i] = vector
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack(found).astype(np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.embedder.encode_query(text)

    def save(self) -> None:
        self.cache.save()
