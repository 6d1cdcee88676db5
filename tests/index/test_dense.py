"""Vector index types: exact search for small corpora, HNSW above the threshold, and HNSW recall."""

from __future__ import annotations

import numpy as np
import pytest

from qa.config import FLAT_MAX_CHUNKS, IndexConfig
from qa.index.dense import build_dense, choose_index_type, index_params


def test_auto_index_type_is_exact_for_small_corpora_and_hnsw_above_the_threshold():
    auto = IndexConfig(index_type="auto")
    assert choose_index_type(16, auto) == "flat"
    assert choose_index_type(FLAT_MAX_CHUNKS, auto) == "flat"
    assert choose_index_type(FLAT_MAX_CHUNKS + 1, auto) == "hnsw"
    assert choose_index_type(10, IndexConfig(index_type="hnsw")) == "hnsw"
    assert choose_index_type(10**7, IndexConfig(index_type="flat")) == "flat"
    with pytest.raises(ValueError, match="index type"):
        choose_index_type(10, IndexConfig(index_type="annoy"))


def test_hnsw_recall_against_exact_on_synthetic_vectors():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(50, 32)).astype(np.float32)  # clustered, like real embeddings
    vectors = centers[rng.integers(0, 50, 5000)] + 0.3 * rng.normal(size=(5000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = vectors[rng.choice(5000, 100, replace=False)] + 0.05 * rng.normal(size=(100, 32)).astype(np.float32)
    config = IndexConfig(index_type="hnsw")
    exact = build_dense(vectors, "flat", index_params("flat", 5000, config))
    approx = build_dense(vectors, "hnsw", index_params("hnsw", 5000, config))
    approx.hnsw.efSearch = config.ef_search
    _, want = exact.search(queries, 10)
    _, got = approx.search(queries, 10)
    recall = np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got, want, strict=True)])
    assert recall >= 0.95
