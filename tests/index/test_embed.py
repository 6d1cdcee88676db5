"""The int8 ONNX encoder: loads offline from its wheel, agrees with float32, and retrieves the same answers."""

from __future__ import annotations

import numpy as np
import pytest

from qa.api import get_embedder, retrieve
from qa.config import BuildConfig
from qa.index.build import build_index
from qa.index.embed import Embedder, ModelNotFoundError
from qa.index.store import IndexMismatchError, load_index
from tests.helpers import QUESTIONS, SAMPLE_CORPUS

INT8 = "all-MiniLM-L6-v2-int8"
SENTENCES = [
    "Russian warships in the Caspian Sea fired 26 cruise missiles at targets in Syria.",
    "The Kremlin said the military communication channel with the US remains open.",
    "Drones built in Russia were seen over government-held areas.",
    "A short one.",
    *[q for q, _, _ in QUESTIONS],
]


@pytest.fixture(scope="module")
def int8() -> Embedder:
    return get_embedder(INT8)


@pytest.fixture(scope="module")
def int8_index(tmp_path_factory, int8):
    index_dir = tmp_path_factory.mktemp("int8-index")
    build_index(SAMPLE_CORPUS, index_dir, config=BuildConfig(model=INT8), embedder=int8)
    return index_dir


def test_int8_loads_offline_with_the_float_models_shape(int8, embedder):
    assert int8.backend == "onnx" and embedder.backend == "torch"
    assert int8.dimension == embedder.dimension == 384
    assert int8.max_tokens == embedder.max_tokens
    assert int8.count_tokens(SENTENCES) == embedder.count_tokens(SENTENCES)


def test_int8_vectors_are_unit_length_and_close_to_float32(int8, embedder):
    quantised, full = int8.encode(SENTENCES), embedder.encode(SENTENCES)
    assert quantised.dtype == np.float32 and quantised.shape == full.shape
    np.testing.assert_allclose(np.linalg.norm(quantised, axis=1), 1.0, atol=1e-5)
    cosines = (quantised * full).sum(axis=1)
    assert cosines.min() > 0.98, cosines


@pytest.mark.slow
@pytest.mark.parametrize("name", [INT8, "all-MiniLM-L6-v2"])
def test_batching_longest_first_keeps_the_input_order(name):
    embedder = Embedder(name, batch_size=3)
    together = embedder.encode(SENTENCES)
    one_by_one = np.stack([embedder.encode_query(s) for s in SENTENCES])
    np.testing.assert_allclose(together, one_by_one, atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize(("question", "article_id", "answer"), QUESTIONS)
def test_int8_index_answers_the_sample_questions(int8_index, question, article_id, answer):
    passages = retrieve(question, k=5, index_dir=int8_index, mode="dense")
    assert passages[0].article_id == article_id
    passages = retrieve(question, k=5, index_dir=int8_index)
    assert passages[0].article_id == article_id
    assert answer in passages[0].highlight


@pytest.mark.slow
def test_the_manifest_names_the_encoder_and_the_other_encoder_is_refused(int8_index):
    assert load_index(int8_index).manifest.model == INT8
    with pytest.raises(IndexMismatchError, match=INT8):
        load_index(int8_index, expected_model="all-MiniLM-L6-v2")


def test_unknown_model_says_what_to_use():
    with pytest.raises(ModelNotFoundError, match=INT8):
        Embedder("no-such-model").encode(["x"])
