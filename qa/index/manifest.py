"""`Manifest`: what an index version records about how it was built, typed, with its JSON form.

Build writes it, loading checks it, the web page and `python -m bench` read it. Keys written by a newer
build that this version does not know are kept in `extra` and written back unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

FORMAT_VERSION = 1


@dataclass
class Manifest:
    """One index version's record: settings its vectors depend on, its contents, and how it was built."""

    model: str
    dimension: int
    # the encoder that made the vectors (qa.index.embed.Embedder.describe): name, backend, precision and,
    # for the ONNX one, its recipe and file hash; queries always use `model`'s encoder
    encoder: dict[str, Any] = field(default_factory=dict)
    chunking: dict[str, Any] = field(default_factory=dict)  # ChunkingConfig as a dict
    max_seq_length: int | None = None
    index_type: str = "flat"  # flat | hnsw | ivf (qa/index/dense.py)
    index_params: dict[str, Any] = field(default_factory=dict)
    metric: str = "inner_product"
    lexical: str = "bm25s"
    bm25: dict[str, Any] = field(default_factory=dict)  # LexicalConfig as a dict (empty: bm25s's k1 1.5, b 0.75)
    corpus_dir: str | None = None
    corpus_fingerprint: str | None = None  # every file's path and bytes
    corpus_files: str | None = None  # every file's path, size and modification time (checked without reading)
    n_articles: int = 0
    n_chunks: int = 0
    dedup: dict[str, Any] = field(default_factory=dict)  # method, threshold, copies, folded
    update: dict[str, Any] = field(default_factory=dict)  # full or incremental, and what was reused
    skipped: list[str] = field(default_factory=list)  # "path: reason" of each file or record not indexed
    built_at: str = ""
    build_seconds: float | None = None
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know (kept as they are)

    def settings(self) -> dict[str, Any]:
        """What the vectors depend on: an index built with other settings is re-embedded in full."""
        return {"model": self.model, "chunking": self.chunking}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        return {"format_version": data.pop("format_version"), **data, **extra}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """A manifest from its JSON form; a missing model or dimension is a `KeyError`."""
        known = {f.name for f in fields(cls)} - {"extra"}
        values = {k: v for k, v in data.items() if k in known}
        values["extra"] = {k: v for k, v in data.items() if k not in known}
        if "model" not in values or "dimension" not in values:
            raise KeyError("model" if "model" not in values else "dimension")
        return cls(**values)
