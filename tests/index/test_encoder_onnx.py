"""The fast encoder: all-MiniLM-L6-v2 exported from the packaged weights to fused int8 ONNX.

Checks behaviour, not speed: the file is made once, verified by hash and made again when damaged;
its vectors are close to the float32 model's on real text and do not depend on batching; the query
path needs no torch.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from qa.index.embed import FAST_MODEL, FLOAT_MODEL, Embedder, resolve_model_path
from qa.index.onnx_encoder import buckets
from qa.index.onnx_export import RECIPE, ensure_onnx, file_sha256, is_valid, onnx_path, read_sidecar
from tests.helpers import QUESTIONS, ROOT, SAMPLE_CORPUS

pytestmark = pytest.mark.slow  # the real model (and, the first time, an export with torch)


def _sample_texts() -> list[str]:
    """Real news text: the sample corpus's paragraphs, long and short, and the sample questions."""
    paragraphs = []
    for path in sorted(SAMPLE_CORPUS.iterdir()):
        paragraphs += [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if len(p.strip()) > 40]
    long = " ".join(paragraphs)[:4000]  # past the model's 256 tokens: cut as sentence-transformers cuts
    return [*paragraphs[:40], long, "A short one.", *[q for q, _, _ in QUESTIONS]]


TEXTS = _sample_texts()


@pytest.fixture(scope="module")
def fast() -> Embedder:
    return Embedder(FAST_MODEL)


@pytest.fixture(scope="module")
def float32() -> Embedder:
    return Embedder(FLOAT_MODEL)


def test_vectors_are_close_to_float32_on_real_text(fast, float32):
    quantised, full = fast.encode(TEXTS), float32.encode(TEXTS)
    assert quantised.dtype == np.float32 and quantised.shape == full.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(quantised, axis=1), 1.0, atol=1e-5)
    cosines = (quantised * full).sum(axis=1)
    assert cosines.min() > 0.98 and cosines.mean() > 0.99, cosines
    # the ranking of passages for each question is the float32 one at the top
    questions, passages = len(QUESTIONS), slice(0, 40)
    for q in range(1, questions + 1):
        assert np.argmax(full[passages] @ full[-q]) == np.argmax(quantised[passages] @ quantised[-q])


def test_a_vector_does_not_depend_on_its_batch(fast):
    together = fast.encode(TEXTS)
    alone = np.stack([fast.encode_query(t) for t in TEXTS[:12]])
    np.testing.assert_array_equal(together[:12], alone)
    reversed_ = fast.encode(TEXTS[::-1])[::-1]
    np.testing.assert_array_equal(together, reversed_)


def test_tokens_and_limits_match_the_float_model(fast, float32):
    assert fast.backend == "onnx" and float32.backend == "torch"
    assert fast.dimension == float32.dimension and fast.max_tokens == float32.max_tokens
    assert fast.count_tokens(TEXTS) == float32.count_tokens(TEXTS)


def test_the_file_is_verified_by_hash_and_made_again_when_damaged(tmp_path):
    model_dir = resolve_model_path(FLOAT_MODEL)
    path = ensure_onnx(model_dir, tmp_path)
    info = read_sidecar(path)
    assert path == onnx_path(model_dir, tmp_path) and info["recipe"] == RECIPE
    assert info["sha256"] == file_sha256(path) and is_valid(path, model_dir)
    assert info["fusions"]["Attention"] == 6 and info["fusions"]["SkipLayerNormalization"] == 12
    good = path.read_bytes()
    with open(path, "r+b") as fh:  # flip bytes in the middle of the weights
        fh.seek(len(good) // 2)
        fh.write(b"\0garbage\0")
    assert not is_valid(path, model_dir)
    assert ensure_onnx(model_dir, tmp_path) == path and is_valid(path, model_dir)
    assert path.read_bytes() == good  # the same recipe makes the same file
    sidecar = path.with_suffix(".json")
    sidecar.write_text(json.dumps({**info, "recipe": "an older recipe"}), encoding="utf-8")
    assert not is_valid(path, model_dir)  # made by another recipe: made again
    ensure_onnx(model_dir, tmp_path)
    assert read_sidecar(path)["recipe"] == RECIPE


def test_describe_records_the_file_and_its_hash(fast):
    info = fast.describe()
    assert info["name"] == FAST_MODEL and info["backend"] == "onnx" and info["precision"] == "int8"
    assert info["recipe"] == RECIPE and len(info["sha256"]) == 64


def test_encoding_needs_no_torch(fast):
    fast.encode(["warm"])  # the file exists now: loading it must not import torch
    code = (
        "import sys; from qa.index.embed import Embedder, FAST_MODEL; "
        "v = Embedder(FAST_MODEL).encode_query('Which senator spoke?'); "
        "print(v.shape, [m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.stdout.strip() == "(384,) []", out.stderr[-2000:]


def test_buckets_group_similar_lengths_within_the_token_budget():
    lengths = [5, 200, 7, 190, 6, 180]
    groups = buckets(lengths, max_tokens=400)
    assert sorted(i for g in groups for i in g) == list(range(6))
    assert all(len(g) * lengths[g[0]] <= 400 or len(g) == 1 for g in groups)
    assert groups[0][0] == 1  # longest first


def test_questions_are_encoded_while_a_build_encodes(fast):
    expected = fast.encode_query(QUESTIONS[0][0])
    with ThreadPoolExecutor(3) as pool:
        bulk = pool.submit(fast.encode, TEXTS * 4)
        asked = [pool.submit(fast.encode_query, QUESTIONS[0][0]) for _ in range(8)]
        for future in asked:
            np.testing.assert_array_equal(future.result(), expected)
        np.testing.assert_array_equal(bulk.result()[: len(TEXTS)], fast.encode(TEXTS))


def test_each_index_is_queried_with_the_encoder_that_built_it(sample_index, tmp_path, fast):
    from qa.api import get_retriever
    from qa.index.build import build_index
    from qa.index.store import load_index

    old = load_index(sample_index).manifest  # built with float32 torch (tests/conftest.py)
    assert old.model == FLOAT_MODEL and old.encoder["precision"] == "float32"
    assert get_retriever(sample_index).embedder.backend == "torch"
    build_index(SAMPLE_CORPUS, tmp_path / "fast", embedder=fast)
    new = load_index(tmp_path / "fast").manifest
    assert new.model == FAST_MODEL and new.encoder["sha256"] == fast.describe()["sha256"]
    retriever = get_retriever(tmp_path / "fast")
    assert retriever.embedder.model_name == FAST_MODEL and retriever.embedder.backend == "onnx"
    question, article_id, answer = QUESTIONS[0]
    passages = retriever.search(question)
    assert passages[0].article_id == article_id and answer in passages[0].highlight


def test_qa_ask_on_a_fast_index_imports_no_torch_gradio_or_ray(tmp_path, fast):
    from qa.index.build import build_index

    build_index(SAMPLE_CORPUS, tmp_path / "index", embedder=fast)
    code = (
        "import sys\nfrom qa.cli import main\n"
        f"try:\n    main(['ask', {QUESTIONS[0][0]!r}, '--index', {str(tmp_path / 'index')!r}])\n"
        "except SystemExit:\n    pass\n"
        "print('HEAVY', [m for m in ('torch', 'sentence_transformers', 'transformers', 'gradio', 'ray', 'bm25s') "
        "if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert QUESTIONS[0][2] in out.stdout and "HEAVY []" in out.stdout, out.stdout[-2000:] + out.stderr[-2000:]
