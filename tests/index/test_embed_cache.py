"""Vectors cached by content hash: on disk across runs, in memory up to a limit; the cached embedder only
encodes what it has not seen."""

from __future__ import annotations

import numpy as np
import pytest

from qa.index import embed_cache
from qa.index.embed_cache import CachedEmbedder, VectorCache, text_key


class CountingEmbedder:
    model_name = "counting"
    max_tokens = 128

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts, on_progress=None) -> np.ndarray:
        self.calls.append(list(texts))
        if on_progress:
            on_progress(len(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def count_tokens(self, texts) -> list[int]:
        return [len(t.split()) for t in texts]


def test_keys_depend_on_model_and_exact_text():
    assert text_key("m", "text") == text_key("m", "text")
    assert len({text_key("m", "text"), text_key("other", "text"), text_key("m", "text "), text_key("m", "Text")}) == 4


def test_a_saved_cache_is_read_back_by_a_new_instance(tmp_path):
    cache = VectorCache(tmp_path / "cache")
    keys = [text_key("m", t) for t in ("a", "b")]
    cache.put_many(keys, np.eye(2, dtype=np.float32))
    cache.save()
    cache.put_many([text_key("m", "c")], np.ones((1, 2), dtype=np.float32))
    cache.save()  # appends to what is on disk
    again = VectorCache(tmp_path / "cache")
    assert len(again) == 3
    found = again.get_many([*keys, text_key("m", "c"), text_key("m", "missing")])
    np.testing.assert_array_equal(found[0], [1, 0])
    np.testing.assert_array_equal(found[2], [1, 1])
    assert found[3] is None


def test_a_damaged_cache_is_an_empty_one(tmp_path):
    (tmp_path / "keys.npy").write_bytes(b"not numpy")
    (tmp_path / "vectors.npy").write_bytes(b"garbage")
    cache = VectorCache(tmp_path)
    assert len(cache) == 0 and cache.get_many([text_key("m", "a")]) == [None]


def test_an_in_memory_cache_starts_over_at_its_limit(monkeypatch):
    monkeypatch.setattr(embed_cache, "MEMORY_LIMIT", 3)
    cache = VectorCache(None)
    cache.put_many([text_key("m", str(i)) for i in range(3)], np.zeros((3, 2), dtype=np.float32))
    cache.put_many([text_key("m", "new")], np.ones((1, 2), dtype=np.float32))
    assert len(cache) == 1
    cache.save()  # nowhere to save: nothing happens
    assert cache.get_many([text_key("m", "0")]) == [None]


def test_the_cached_embedder_encodes_only_new_texts_and_keeps_the_order(tmp_path):
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path / "cache")
    progress: list[int] = []
    first = cached.encode(["aa", "b"], on_progress=progress.append)
    second = cached.encode(["ccc", "aa", "b"], on_progress=progress.append)
    assert inner.calls == [["aa", "b"], ["ccc"]]
    np.testing.assert_array_equal(second, [[3, 1], [2, 1], [1, 1]])
    np.testing.assert_array_equal(first, second[1:])
    assert sum(progress) == 5  # every text is reported, cached or not
    assert cached.model_name == "counting" and cached.count_tokens(["a b"]) == [2]  # the rest is the inner one's
    cached.save()
    fresh = CountingEmbedder()
    CachedEmbedder(fresh, tmp_path / "cache").encode(["aa", "b", "ccc"])
    assert fresh.calls == []


@pytest.mark.parametrize("model_name", [None, "renamed"])
def test_the_cache_is_per_model(tmp_path, model_name):
    inner = CountingEmbedder()
    first = CachedEmbedder(inner, tmp_path / "cache")
    first.encode(["aa"])
    first.save()
    other = CachedEmbedder(inner, tmp_path / "cache", model_name=model_name)
    other.encode(["aa"])
    assert len(inner.calls) == (1 if model_name is None else 2)
