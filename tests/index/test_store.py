"""The index store: the index type recorded and loaded, HNSW/IVF round trips, atomic publish, the build lock
(on the hash-embedder index: fast)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa.config import BuildConfig, IndexConfig
from qa.index.store import CURRENT, VERSIONS, BuildLockedError, load_index
from qa.index.writer import build_lock
from qa.search.options import SearchOptions
from qa.search.retriever import Retriever
from tests.helpers import SAMPLE_CORPUS, build_hash_index, copy_index

QUESTIONS = [
    "How many cruise missiles did the Russian warships fire?",
    "Which Russian senator said Russia will not intercept US missiles?",
    "Is the military communication channel between Russia and the US open?",
]


def test_a_small_index_is_flat_and_records_it(hash_index):
    index = load_index(hash_index)
    assert index.manifest.index_type == "flat"
    assert index.manifest.index_params == {"factory": "Flat"}
    assert index.vectors is not None and index.vectors.shape == (index.n_chunks, index.manifest.dimension)
    assert isinstance(index.vectors, np.memmap)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_forced_approximate_index_round_trips_and_answers_like_flat(kind, hash_index, hash_embedder, tmp_path):
    """Rebuilding the sample index as HNSW/IVF reuses its vectors (nothing is embedded) and, at this size,
    finds the same passages as exact search; reconstruct (used by hybrid fusion) works after load."""
    index_dir = copy_index(hash_index, tmp_path / "index")
    config = replace(BuildConfig(), index=IndexConfig(index_type=kind))
    report = build_hash_index(SAMPLE_CORPUS, index_dir, config=config)
    assert report.manifest.update["embedded_chunks"] == 0

    approx = load_index(index_dir)
    assert approx.manifest.index_type == kind
    assert approx.dense.ntotal == approx.n_chunks
    if kind == "hnsw":
        assert approx.dense.hnsw.efSearch == IndexConfig().ef_search
    ids = np.arange(approx.n_chunks, dtype=np.int64)
    np.testing.assert_allclose(approx.dense.reconstruct_batch(ids), approx.vectors, atol=1e-6)

    exact = Retriever(load_index(hash_index), hash_embedder)
    fast = Retriever(approx, hash_embedder)
    for mode in ("dense", "hybrid"):
        options = SearchOptions(k=5, mode=mode)
        for question in QUESTIONS:
            want = [(p.chunk_id, p.score) for p in exact.search(question, options=options)]
            got = [(p.chunk_id, p.score) for p in fast.search(question, options=options)]
            assert [c for c, _ in got] == [c for c, _ in want]
            np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=1e-4)


def _served(index_dir: Path) -> str:
    return os.readlink(index_dir / CURRENT)


def test_a_build_that_fails_midway_leaves_the_old_index_serving(hash_index, hash_embedder, corpus_copy, tmp_path):
    index_dir = copy_index(hash_index, tmp_path / "index")
    before = _served(index_dir)
    (corpus_copy / "new.txt").write_text("Storm closes ports\n\nA storm closed every port on the coast today.\n")
    (corpus_copy / "000_f62e0eef9fe49492.txt").write_text("Changed story\n\nThe whole text of this story changed.\n")

    def failing_encode(texts, on_progress=None):
        hash_embedder.encode(texts[:1])  # real work first, then the failure (a crash, a full disk...)
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        build_hash_index(corpus_copy, index_dir, encode=failing_encode)
    assert _served(index_dir) == before
    assert not [p for p in (index_dir / VERSIONS).iterdir() if p.name.startswith(".tmp")]
    index = load_index(index_dir)
    assert index.n_chunks == load_index(hash_index).n_chunks
    assert "new.txt" not in {a["article_id"] for a in index.articles}


def test_a_second_concurrent_build_is_refused(hash_index, tmp_path):
    index_dir = copy_index(hash_index, tmp_path / "index")
    before = _served(index_dir)
    with build_lock(index_dir), pytest.raises(BuildLockedError, match="another build"):
        build_hash_index(SAMPLE_CORPUS, index_dir)
    assert _served(index_dir) == before
    build_hash_index(SAMPLE_CORPUS, index_dir)  # the lock is free again
    assert _served(index_dir) != before
