"""Settings, read from the environment once, overridable per call."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# Everything runs offline: never let a library reach for a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env_path(name: str, default: str) -> Path:
    value = os.environ.get(name)
    if value:
        return Path(value).expanduser()
    return PROJECT_ROOT / default


def default_corpus_dir() -> Path:
    """`QA_CORPUS_DIR`, else the bundled sample corpus."""
    return _env_path("QA_CORPUS_DIR", "corpus")


def default_index_dir() -> Path:
    """`QA_INDEX_DIR`, else `index/` in the project."""
    return _env_path("QA_INDEX_DIR", "index")


def default_cache_dir() -> Path:
    """`QA_CACHE_DIR`, else `.qa-cache/` in the project (evaluation indexes, cached embeddings)."""
    return _env_path("QA_CACHE_DIR", ".qa-cache")


INDEX_TYPES = ("auto", "flat", "hnsw", "ivf")
FLAT_MAX_CHUNKS = 50_000


@dataclass(frozen=True)
class IndexConfig:
    """How the vector index is built and searched, and whether near-duplicate articles are folded."""

    index_type: str = field(default_factory=lambda: os.environ.get("QA_INDEX_TYPE", "auto"))
    flat_max_chunks: int = FLAT_MAX_CHUNKS  # "auto" picks flat up to this many chunks, hnsw above
    hnsw_m: int = 32
    ef_construction: int = 40
    ef_search: int = 256  # recall@10 vs exact at 1M: 0.949 with 128, 0.980 with 256 (bench/results.md)
    ivf_nprobe: int = 32
    dedup_threshold: float | None = 0.5  # MinHash Jaccard for a syndicated copy; None keeps every copy

    def validate(self) -> IndexConfig:
        if self.index_type not in INDEX_TYPES:
            raise ValueError(f"index type must be one of {', '.join(INDEX_TYPES)}, not {self.index_type!r}")
        return self


@dataclass(frozen=True)
class ChunkingConfig:
    """How articles are cut into chunks; recorded in the manifest."""

    max_tokens: int = 200  # per chunk, title included; must not exceed the model's limit
    overlap_tokens: int = 40  # trailing sentences repeated at the start of the next chunk
    with_title: bool = True  # embed "title. chunk" so a passage keeps its context
    # a chunk at least half full ends at a paragraph break rather than start a paragraph it cannot finish: on
    # SQuAD articles read whole (news-like; `Chunker`), the top highlight holds the answer 0.751 -> 0.767 (dev)
    paragraphs: bool = True


@dataclass(frozen=True)
class LexicalConfig:
    """BM25's term-frequency saturation (k1) and length normalisation (b); recorded in the manifest.

    A low k1 lets one mention of a rare word count nearly as much as several: the fused score divides BM25 by
    its best hit, so repeats would otherwise outweigh covering more of the question. Fused with the dense score
    (weight 0.7), SciFact train nDCG@10 / SQuAD dev fused top-1 (`train/bm25_grid.py`): k1 1.5 (bm25s's
    default) 0.7389 / 0.8175, 0.9 0.7435 / 0.8233, 0.6 0.7473 / 0.8242, 0.4 0.7486 / 0.8268, 0.3 0.7478 /
    0.8286; at k1 0.4, b from 0.4 to 0.9 moves either by at most 0.002.
    """

    k1: float = 0.4
    b: float = 0.75


@dataclass(frozen=True)
class BuildConfig:
    # the fast encoder: all-MiniLM-L6-v2 as fused int8 ONNX (qa/index/onnx_export.py); "all-MiniLM-L6-v2": torch
    model: str = field(default_factory=lambda: os.environ.get("QA_MODEL", "all-MiniLM-L6-v2-tuned-onnx-int8"))
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    batch_size: int = 64
    index: IndexConfig = field(default_factory=IndexConfig)  # vector index type, near-duplicate folding
    lexical: LexicalConfig = field(default_factory=LexicalConfig)  # BM25 parameters
