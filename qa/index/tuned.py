"""Models fine-tuned here, shipped as small weight files on top of the packaged all-MiniLM-L6-v2.

A weight file is an ``.npz`` of tensors by parameter name: a matrix as ``name::q`` (int8) and ``name::scale``
(float32, one per row), optionally ``name::rows`` (the only rows it holds; the others are zero), a vector as
``name`` (float32); ``head.*`` tensors belong to a head beside the model. `merged_folder` applies such tensors to the packaged weights once, into a model folder in
the cache that `qa.index.onnx_export` turns into the fused int8 ONNX file the packaged model gets.

The tuned encoder (`model_dir`) is the index's model fine-tuned for retrieval by `train/encoder.py`; its file
``qa/index/models/encoder.npz`` holds each tensor's *change* from the packaged weights (the word embeddings only
for the rows training moved), so int8 rounding costs a small fraction of the change, not of the weight.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np

from ..config import default_cache_dir
from .embed import ModelNotFoundError

BASE_MODEL = "all-MiniLM-L6-v2"
ENCODER_WEIGHTS = Path(__file__).resolve().parent / "models" / "encoder.npz"


class TunedModelUnavailable(ModelNotFoundError):
    """A fine-tuned model's weight file or its base model is missing."""


def quantize_rows(tensors: dict[str, np.ndarray], rows: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """`tensors` in the weight-file layout: matrices int8 with one scale per row (only `rows[name]` where
    given), vectors float32. Names starting with "head." stay float32 whole."""
    out: dict[str, np.ndarray] = {}
    for name, tensor in tensors.items():
        if tensor.ndim != 2 or name.startswith("head."):
            out[name] = tensor.astype(np.float32)
            continue
        kept = (rows or {}).get(name)
        matrix = tensor if kept is None else tensor[kept]
        scale = np.maximum(np.abs(matrix).max(axis=1, keepdims=True), 1e-8) / 127.0
        out[f"{name}::q"] = np.clip(np.round(matrix / scale), -127, 127).astype(np.int8)
        out[f"{name}::scale"] = scale.astype(np.float32)
        if kept is not None:
            out[f"{name}::rows"] = np.asarray(kept, dtype=np.int32)
            out[f"{name}::shape"] = np.asarray(tensor.shape, dtype=np.int64)
    return out


def read_tensors(weights: Path) -> dict[str, np.ndarray]:
    """The tensors of a weight file, int8 rows dequantised (rows a file does not hold are zero)."""
    tensors: dict[str, np.ndarray] = {}
    with np.load(weights) as saved:
        for key in saved.files:
            name, _, part = key.partition("::")
            if part and part != "q":
                continue
            if not part:
                tensors[name] = saved[key]
                continue
            matrix = saved[key].astype(np.float32) * saved[f"{name}::scale"]
            if f"{name}::rows" in saved.files:
                full = np.zeros(tuple(saved[f"{name}::shape"]), dtype=np.float32)
                full[saved[f"{name}::rows"]] = matrix
                matrix = full
            tensors[name] = matrix
    return tensors


def file_key(weights: Path) -> str:
    """A short content hash of a weight file: its merged folder's name (hashed once per file version)."""
    stat = weights.stat()
    return _content_key(str(weights.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _content_key(path: str, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def split_head(tensors: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(the model's tensors, the head's tensors without their "head." prefix)."""
    head = {name.removeprefix("head."): value for name, value in tensors.items() if name.startswith("head.")}
    return {name: value for name, value in tensors.items() if not name.startswith("head.")}, head


def merged_folder(weights: Path, folder: Path, *, add: bool, prefix: str = "") -> Path:
    """`folder`: the packaged model folder with the weight file's tensors (named as the packaged weights after
    `prefix`) added to its weights (`add`) or replacing them, and its "head." tensors in `head.npz`. Made once
    and atomically: a finished folder is returned without reading the weight file."""
    from safetensors.numpy import load_file, save_file

    from .embed import resolve_model_path

    if folder.is_dir():
        return folder
    changes, head = split_head(read_tensors(weights))
    base = Path(resolve_model_path(BASE_MODEL))
    merged = load_file(str(base / "model.safetensors"))
    for name, change in changes.items():
        name = name.removeprefix(prefix)
        if name not in merged:
            raise TunedModelUnavailable(f"{name} is not a weight of {BASE_MODEL}")
        merged[name] = merged[name] + change if add else change.astype(merged[name].dtype)
    tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(base, tmp, ignore=shutil.ignore_patterns("onnx", "model.safetensors", "pytorch_model.bin"))
    save_file({k: np.ascontiguousarray(v) for k, v in merged.items()}, str(tmp / "model.safetensors"))
    if head:
        np.savez(tmp / "head.npz", **head)
    try:
        os.replace(tmp, folder)
    except OSError:  # another process made it first
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def model_dir(weights: Path = ENCODER_WEIGHTS, cache_dir: Path | None = None) -> Path:
    """The tuned encoder's sentence-transformers folder (packaged weights + the shipped changes)."""
    if not weights.is_file():
        raise TunedModelUnavailable(f"no tuned encoder weights at {weights} (run: python -m train.encoder)")
    folder = (cache_dir or default_cache_dir()) / "encoders" / f"tuned-{file_key(weights)}"
    return merged_folder(weights, folder, add=True)
