"""`qa build --ray`: embedding as a Ray Data job on a local 2-CPU Ray instance writes the local build's index."""

from __future__ import annotations

import numpy as np
import pytest

from qa.api import retrieve
from qa.index.store import load_index, read_vectors
from tests.helpers import QUESTIONS, SAMPLE_CORPUS

ray = pytest.importorskip("ray", reason="Ray is an optional extra, not installed: pip install '.[ray]'")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_build_writes_the_vectors_and_index_of_the_local_build(tmp_path, local_ray, sample_index, embedder):
    from qa.distributed import build_index_ray

    report = build_index_ray(SAMPLE_CORPUS, tmp_path / "index", embedder=embedder, actors=2)
    assert report.manifest.extra["ray"]["embedded_locally"] == 0  # every vector came from the Ray job
    assert report.manifest.extra["ray"]["embedded_on_cluster"] == report.n_chunks
    local, distributed = load_index(sample_index), load_index(report.index_path)
    assert distributed.manifest.model == local.manifest.model
    assert distributed.manifest.index_type == local.manifest.index_type
    np.testing.assert_array_equal(distributed.chunk_rows, local.chunk_rows)
    np.testing.assert_allclose(
        read_vectors(distributed.path, distributed.manifest.dimension),
        read_vectors(local.path, local.manifest.dimension),
        atol=1e-5,
    )
    for question, _, _ in QUESTIONS:
        ours = retrieve(question, k=5, index_dir=tmp_path / "index")
        theirs = retrieve(question, k=5, index_dir=sample_index)
        assert [p.chunk_id for p in ours] == [p.chunk_id for p in theirs]


@pytest.mark.slow
def test_an_unchanged_corpus_sends_nothing_to_the_cluster(tmp_path, local_ray, embedder):
    from qa.config import BuildConfig, ChunkingConfig
    from qa.distributed import ChunkCache, texts_to_embed
    from qa.index.build import build_index
    from qa.index.chunking import Chunker
    from qa.index.pipeline import reusable_hashes

    index_dir = tmp_path / "index"
    build_index(SAMPLE_CORPUS, index_dir, embedder=embedder)
    config = BuildConfig(model=embedder.model_name)
    reuse = reusable_hashes(index_dir, config, embedder.max_tokens)
    chunks = ChunkCache(Chunker(embedder.count_tokens, config.chunking))
    assert list(texts_to_embed(SAMPLE_CORPUS, chunks, config, reuse)) == []
    assert len(list(texts_to_embed(SAMPLE_CORPUS, chunks, config, {}))) == load_index(index_dir).n_chunks
    # other chunking settings: the build will embed everything, so the cluster must get everything
    rechunked = BuildConfig(model=embedder.model_name, chunking=ChunkingConfig(max_tokens=120, overlap_tokens=20))
    assert reusable_hashes(index_dir, rechunked, embedder.max_tokens) == {}


@pytest.mark.slow
def test_cli_build_with_ray_updates_an_index(tmp_path, local_ray, sample_index):
    from click.testing import CliRunner

    from qa.cli import main
    from tests.helpers import copy_index

    index_dir = copy_index(sample_index, tmp_path / "index")
    args = ["build", "--corpus", str(SAMPLE_CORPUS), "--index", str(index_dir), "--ray", "auto"]
    result = CliRunner().invoke(main, args, env={"QA_MODEL": load_index(index_dir).manifest.model})
    assert result.exit_code == 0, result.output
    assert "Indexed 5 articles" in result.output and "kept 5" in result.output
