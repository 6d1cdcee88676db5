"""The tuned encoder: all-MiniLM-L6-v2 fine-tuned here for retrieval, shipped as changes to the packaged weights.

The weight-file format round-trips; the shipped file is small, adds exactly its changes to the packaged weights
and leaves the rest alone; the model it makes stays close to the packaged one and answers the sample questions
through a real index.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa.index import tuned as tuned_module
from qa.index.embed import FAST_MODEL, TUNED_MODEL, Embedder, ModelNotFoundError, model_identity, resolve_model_path
from qa.index.tuned import ENCODER_WEIGHTS, merged_folder, model_dir, quantize_rows, read_tensors
from tests.helpers import QUESTIONS, SAMPLE_CORPUS

WORDS = "embeddings.word_embeddings.weight"


def test_int8_rows_restore_the_tensors_and_only_the_rows_kept(tmp_path):
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(6, 8)).astype(np.float32)
    vector = rng.normal(size=8).astype(np.float32)
    saved = quantize_rows({"m": matrix, "words": matrix, "v": vector}, rows={"words": np.array([1, 4])})
    assert saved["m::q"].dtype == np.int8 and saved["v"].dtype == np.float32
    path = tmp_path / "w.npz"
    np.savez_compressed(path, **saved)
    restored = read_tensors(path)
    step = np.abs(matrix).max(axis=1, keepdims=True) / 127
    assert np.all(np.abs(restored["m"] - matrix) <= step / 2 + 1e-7)
    np.testing.assert_array_equal(restored["v"], vector)
    assert restored["words"].shape == matrix.shape
    assert np.all(restored["words"][[0, 2, 3, 5]] == 0)
    assert np.all(np.abs(restored["words"][[1, 4]] - matrix[[1, 4]]) <= step[[1, 4]] / 2 + 1e-7)


def test_the_shipped_file_is_small_and_records_its_training():
    # ~18 MB: the SQuAD questions move 22k word-embedding rows (SciFact alone moved 10k, 14 MB)
    assert ENCODER_WEIGHTS.stat().st_size < 20 * 2**20
    record = json.loads(ENCODER_WEIGHTS.with_suffix(".json").read_text(encoding="utf-8"))
    assert record["pairs"] > 0 and record["epochs"] >= 1 and record["data"].startswith("SciFact train")
    assert record["squad_pairs"] > 0


def test_missing_weights_say_how_to_make_them(tmp_path):
    with pytest.raises(ModelNotFoundError, match=r"train\.encoder"):
        model_dir(tmp_path / "encoder.npz", tmp_path)


def test_a_merged_folder_is_made_once(tmp_path):
    empty, unknown = tmp_path / "empty.npz", tmp_path / "unknown.npz"
    np.savez(empty)
    np.savez(unknown, **quantize_rows({"no.such.weight": np.zeros(1)}))
    folder = merged_folder(empty, tmp_path / "m", add=True)
    made = (folder / "model.safetensors").stat().st_mtime_ns
    assert merged_folder(unknown, folder, add=True) == folder  # not made again
    assert merged_folder(tmp_path / "gone.npz", folder, add=True) == folder  # nor its weight file read
    assert (folder / "model.safetensors").stat().st_mtime_ns == made
    with pytest.raises(ModelNotFoundError, match=r"no\.such\.weight"):
        merged_folder(unknown, tmp_path / "other", add=True)


def test_caches_tell_a_retrained_encoder_from_the_shipped_one(monkeypatch, tmp_path):
    assert model_identity(FAST_MODEL) == FAST_MODEL
    shipped = model_identity(TUNED_MODEL)
    assert shipped.startswith(f"{TUNED_MODEL}@")
    retrained = tmp_path / "encoder.npz"
    retrained.write_bytes(b"other weights")
    monkeypatch.setattr(tuned_module, "ENCODER_WEIGHTS", retrained)
    assert model_identity(TUNED_MODEL) not in (shipped, TUNED_MODEL)


@pytest.mark.slow
def test_the_tuned_weights_are_the_packaged_ones_plus_the_shipped_changes(tmp_path):
    from safetensors.numpy import load_file

    changes = read_tensors(ENCODER_WEIGHTS)
    base = load_file(str(resolve_model_path("all-MiniLM-L6-v2") / "model.safetensors"))
    tuned = load_file(str(model_dir(ENCODER_WEIGHTS, tmp_path) / "model.safetensors"))
    assert sorted(tuned) == sorted(base)
    layer = "encoder.layer.5.output.dense.weight"
    assert 0 < np.abs(changes[layer]).max() < 0.05 * np.abs(base[layer]).max()  # fine-tuned, not retrained
    for name in (layer, WORDS, "embeddings.LayerNorm.weight"):
        np.testing.assert_allclose(tuned[name], base[name] + changes[name], atol=1e-6)
    untouched = np.flatnonzero(~changes[WORDS].any(axis=1))
    assert 0 < len(untouched) < len(changes[WORDS])  # only the rows training moved are shipped
    np.testing.assert_array_equal(tuned[WORDS][untouched], base[WORDS][untouched])


@pytest.mark.slow
def test_the_tuned_encoder_stays_close_to_the_packaged_one_and_answers_the_sample_questions(tmp_path):
    from qa.api import get_retriever
    from qa.index.build import build_index
    from qa.index.store import load_index

    tuned, packaged = Embedder(TUNED_MODEL), Embedder(FAST_MODEL)
    questions = [q for q, _, _ in QUESTIONS]
    cosines = np.sum(tuned.encode(questions) * packaged.encode(questions), axis=1)
    assert np.all(cosines > 0.9) and np.all(cosines < 0.9999), cosines  # a change, not another model
    build_index(SAMPLE_CORPUS, tmp_path / "tuned", embedder=tuned)
    manifest = load_index(tmp_path / "tuned").manifest
    assert manifest.model == TUNED_MODEL and manifest.encoder["backend"] == "onnx"
    assert manifest.encoder["weights"] == model_identity(TUNED_MODEL)  # a retrained file re-embeds the index
    retriever = get_retriever(tmp_path / "tuned")
    assert retriever.embedder.model_name == TUNED_MODEL
    for question, article_id, answer in QUESTIONS:
        passages = retriever.search(question)
        assert passages[0].article_id == article_id, question
        assert answer in passages[0].highlight, question
