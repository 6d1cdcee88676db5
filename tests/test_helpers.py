"""The fast tier's test embedder is a faithful stand-in: deterministic unit vectors, texts that share words
closer than texts that do not, the interface a build and a retriever use, and an index `qa.retrieve` serves."""

from __future__ import annotations

import json

import numpy as np

from qa import retrieve
from qa.index.store import MANIFEST, resolve_version
from tests.helpers import QUESTIONS, HashEmbedder


def test_vectors_are_deterministic_unit_length_float32():
    texts = ["Russian warships fired cruise missiles.", "", "!!!", "Ünïcode 😀 北京市"]
    first, second = HashEmbedder().encode(texts), HashEmbedder().encode(texts)
    assert first.dtype == np.float32 and first.shape == (4, HashEmbedder().dimension)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(HashEmbedder().encode_query(texts[0]), first[0])


def test_shared_words_make_texts_close(hash_embedder):
    query, near, far = hash_embedder.encode(
        ["How many cruise missiles were fired?", "The warships fired 26 cruise missiles.", "The festival drew crowds."]
    )
    assert query @ near > 0.4 > query @ far


def test_progress_is_reported_and_tokens_counted_like_the_model(hash_embedder):
    done: list[int] = []
    hash_embedder.encode(["a b", "c"], on_progress=done.append)
    assert done == [2]
    assert hash_embedder.count_tokens([]) == []
    assert hash_embedder.count_tokens(["cruise missiles", "pneumonoultramicroscopic"]) == [2, 9]  # WordPiece


def test_the_hash_index_names_its_model_and_is_served(hash_index):
    manifest = json.loads((resolve_version(hash_index) / MANIFEST).read_text())
    assert manifest["model"] == HashEmbedder.model_name
    assert manifest["dimension"] == HashEmbedder().dimension
    question, article_id, _ = QUESTIONS[0]
    assert retrieve(question, k=1, index_dir=hash_index)[0].article_id == article_id
