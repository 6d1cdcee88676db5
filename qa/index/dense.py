"""Which FAISS index a build makes (by corpus size, or as configured) and how it is searched.

- ``flat``: exact inner-product search. Cost grows linearly: about 65 ns per vector and query on this
  2-core machine when idle (100k vectors 6.5 ms, 1M 56 ms), so it is the default up to
  `FLAT_MAX_CHUNKS` chunks, where a query still costs about 3 ms of the 20 ms budget.
- ``hnsw``: HNSW graph over the full float32 vectors (HNSW32: 1M vectors p50 0.13 ms, built in about
  2 minutes, ~1.8 GB). The default above `FLAT_MAX_CHUNKS`. `ef_search` is set at load.
- ``ivf``: inverted lists over k-means cells (IVF, nlist = 4 sqrt(n)), searched with `nprobe` cells.
  Smaller build time than HNSW, slower queries; a direct map is made at load for `reconstruct`.

Flat and HNSW vectors are memory-mapped from the index file (`IO_FLAG_MMAP_IFC`), so replicas on
one machine share the page cache and a cold start reads only what queries touch.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..config import IndexConfig

ADD_BATCH = 65_536  # vectors added to FAISS at a time, so a memory-mapped source is never copied whole


def choose_index_type(n_chunks: int, config: IndexConfig) -> str:
    """The configured index type, or for "auto" exact search up to `flat_max_chunks` and HNSW above."""
    config.validate()
    if config.index_type != "auto":
        return config.index_type
    return "flat" if n_chunks <= config.flat_max_chunks else "hnsw"


def index_params(kind: str, n_chunks: int, config: IndexConfig) -> dict[str, Any]:
    """What the manifest records about the vector index: its FAISS factory string and parameters."""
    if kind == "flat":
        return {"factory": "Flat"}
    if kind == "hnsw":
        return {
            "factory": f"HNSW{config.hnsw_m},Flat",
            "ef_construction": config.ef_construction,
            "ef_search": config.ef_search,
        }
    if kind == "ivf":
        nlist = max(1, min(int(4 * math.sqrt(n_chunks)), n_chunks // 39 or 1))  # >= 39 training points a cell
        return {"factory": f"IVF{nlist},Flat", "nlist": nlist, "nprobe": min(config.ivf_nprobe, nlist)}
    raise ValueError(f"unknown index type {kind!r}")


def build_dense(vectors: np.ndarray, kind: str, params: dict[str, Any]) -> Any:
    """A FAISS inner-product index of `vectors` (n x d float32, may be memory-mapped), added in batches."""
    import faiss

    n, dim = vectors.shape
    index = faiss.index_factory(dim, params["factory"], faiss.METRIC_INNER_PRODUCT)
    if kind == "hnsw":
        index.hnsw.efConstruction = params["ef_construction"]
    if not index.is_trained:
        sample = np.random.default_rng(0).choice(n, size=min(n, params["nlist"] * 256), replace=False)
        index.train(np.ascontiguousarray(vectors[np.sort(sample)]))
    for start in range(0, n, ADD_BATCH):
        index.add(np.ascontiguousarray(vectors[start : start + ADD_BATCH], dtype=np.float32))
    return index


def configure_search(index: Any, params: dict[str, Any]) -> Any:
    """Set search-time parameters from the manifest's `index_params` (env `QA_EF_SEARCH` / `QA_NPROBE` win)."""
    import faiss

    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = int(os.environ.get("QA_EF_SEARCH") or params.get("ef_search", IndexConfig.ef_search))
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = int(os.environ.get("QA_NPROBE") or params.get("nprobe", 32))
        ivf.make_direct_map()  # reconstruct() of lexical-only candidates needs it
    return index


def read_dense(path: Path, params: dict[str, Any]) -> Any:
    """Load a vector index, memory-mapping flat storage where FAISS can, and set its search parameters."""
    import faiss

    index = configure_search(faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC), params)
    _read_ahead(path)
    return index


def _read_ahead(path: Path) -> None:
    """Ask the kernel to page the memory-mapped vectors in now, in the background: the first searches of a
    cold 1M-chunk HNSW index otherwise take ~0.5 s each in page faults (bench/results.md)."""
    if not hasattr(os, "posix_fadvise"):
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
    finally:
        os.close(fd)
