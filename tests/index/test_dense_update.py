"""Incremental HNSW: new vectors go into the served graph, removed ones are skipped, ids follow the new chunks."""

from __future__ import annotations

import faiss
import numpy as np

from qa.config import IndexConfig
from qa.index.dense import LiveIndex, build_dense, index_params, read_dense, update_hnsw


def _unit(rng, n, d=32):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _update(tmp_path, old_vectors, params, moved, new_ids, new_vectors, n_chunks, name):
    path = tmp_path / name
    result = update_hnsw(path, params, moved, new_ids, new_vectors, n_chunks)
    assert result is not None
    index, new_params = result
    out = tmp_path / f"{name}-next"
    faiss.write_index(index, str(out))
    return out, new_params


def test_an_updated_graph_finds_what_an_exact_search_of_the_new_version_finds(tmp_path):
    rng = np.random.default_rng(0)
    params = index_params("hnsw", 2000, IndexConfig())
    old = _unit(rng, 2000)
    faiss.write_index(build_dense(old, "hnsw", params), str(tmp_path / "v1"))
    # new version: chunks 0-49 removed, 50-1949 kept (ids shift down by 50), 1950-1999 removed,
    # then 300 new chunks
    fresh = _unit(rng, 300)
    moved = [(50, 1950, 0)]
    new_ids = np.arange(1900, 2200, dtype=np.int64)
    path, new_params = _update(tmp_path, old, params, moved, new_ids, fresh, 2200, "v1")
    assert new_params["deleted"] == 100 and new_params["factory"] == params["factory"]
    index = read_dense(path, new_params)
    assert isinstance(index, LiveIndex) and index.ntotal == 2200
    expected = np.concatenate([old[50:1950], fresh])
    queries = _unit(rng, 50)
    _, found = index.search(queries, 10)
    exact = np.argsort(-(queries @ expected.T), axis=1)[:, :10]
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact, strict=True)])
    assert recall > 0.95 and found.max() < 2200 and found.min() >= 0
    np.testing.assert_allclose(
        index.reconstruct_batch(np.array([0, 1899, 1900, 2199])), expected[[0, 1899, 1900, 2199]]
    )
    # a second update of the updated graph: keep everything but the first 10 new chunks
    more = _unit(rng, 5)
    moved2 = [(0, 1900, 0), (1910, 2200, 1900)]
    path2, params2 = _update(tmp_path, expected, new_params, moved2, np.arange(2190, 2195), more, 2195, "v1-next")
    assert params2["deleted"] == 110
    index2 = read_dense(path2, params2)
    expected2 = np.concatenate([expected[:1900], expected[1910:], more])
    _, found2 = index2.search(expected2[[5, 1950, 2194]], 1)
    assert found2[:, 0].tolist() == [5, 1950, 2194]


def test_too_many_deletions_ask_for_a_new_graph(tmp_path):
    rng = np.random.default_rng(1)
    params = index_params("hnsw", 500, IndexConfig())
    faiss.write_index(build_dense(_unit(rng, 500), "hnsw", params), str(tmp_path / "v1"))
    assert update_hnsw(tmp_path / "v1", params, [(0, 100, 0)], np.arange(100, 110), _unit(rng, 10), 110) is None
