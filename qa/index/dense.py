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

Incremental HNSW (`update_hnsw`): an update adds the new chunks' vectors to the served graph instead
of building a new one. The graph becomes an `IndexIDMap2` whose ids are the new version's chunk ids;
vectors of removed or changed chunks stay in the graph as deleted nodes with ids from `n_chunks` up
(the manifest's `index_params["deleted"]`), and searches skip them with an `IDSelectorRange(0,
n_chunks)` (`LiveIndex`). When deleted nodes would exceed `MAX_DELETED` of the graph, the build makes a
fresh graph instead.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..config import IndexConfig

ADD_BATCH = 65_536  # vectors added to FAISS at a time, so a memory-mapped source is never copied whole
MAX_DELETED = 0.2  # an update that would leave more deleted nodes than this in the graph rebuilds it


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

    if isinstance(index, faiss.IndexIDMap2):  # an updated HNSW graph
        index = LiveIndex(index, int(params.get("deleted", 0)))
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = int(os.environ.get("QA_EF_SEARCH") or params.get("ef_search", IndexConfig.ef_search))
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = int(os.environ.get("QA_NPROBE") or params.get("nprobe", 32))
        ivf.make_direct_map()  # reconstruct() of lexical-only candidates needs it
    return index


class LiveIndex:
    """An updated HNSW graph (`IndexIDMap2`): `ntotal` counts the live chunks and searches skip deleted nodes."""

    def __init__(self, index: Any, deleted: int) -> None:
        import faiss

        self.index = index
        self.ntotal = int(index.ntotal) - deleted
        self.d = index.d
        self.hnsw = faiss.downcast_index(index.index).hnsw
        self._live = faiss.IDSelectorRange(0, self.ntotal)

    def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        params = faiss.SearchParametersHNSW(sel=self._live, efSearch=self.hnsw.efSearch)
        return self.index.search(x, k, params=params)

    def reconstruct_batch(self, ids: np.ndarray) -> np.ndarray:
        return np.stack([self.index.reconstruct(int(i)) for i in ids]) if len(ids) else np.zeros((0, self.d), "f4")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.index, name)


def update_hnsw(
    path: Path,
    params: dict[str, Any],
    moved: Sequence[tuple[int, int, int]],
    new_ids: np.ndarray,
    new_vectors: np.ndarray,
    n_chunks: int,
) -> tuple[Any, dict[str, Any]] | None:
    """The served HNSW graph at `path` updated for a new version of `n_chunks` chunks, or None (rebuild).

    `moved` holds (old first chunk, old end chunk, new first chunk) for each span of kept chunks; every
    other old chunk is deleted. `new_vectors` (in the order of `new_ids`, the new chunk ids) are added.
    Returns the index to write and its `index_params` (with the count of deleted nodes).
    """
    import faiss

    old = faiss.read_index(str(path))  # read in full: it is modified
    if isinstance(old, faiss.IndexIDMap2):
        graph = old
        ids = faiss.vector_to_array(graph.id_map)
    elif isinstance(faiss.downcast_index(old), faiss.IndexHNSW):  # a graph from a full build: give it ids
        graph = faiss.IndexIDMap2(faiss.IndexHNSWFlat(old.d, 4, faiss.METRIC_INNER_PRODUCT))
        graph.index, graph.ntotal = old, old.ntotal
        graph.referenced_objects = [old]
        ids = np.arange(old.ntotal, dtype=np.int64)
    else:
        return None
    n_old = int(graph.ntotal) - int(params.get("deleted", 0))
    old_to_new = np.full(n_old, -1, dtype=np.int64)
    for lo, hi, start in moved:
        old_to_new[lo:hi] = np.arange(start, start + hi - lo)
    live = ids < n_old
    remapped = np.full(len(ids), -1, dtype=np.int64)
    remapped[live] = old_to_new[ids[live]]
    deleted = remapped < 0
    n_deleted = int(deleted.sum())
    if n_deleted > MAX_DELETED * (len(ids) + len(new_ids)) or len(ids) - n_deleted + len(new_ids) != n_chunks:
        return None
    remapped[deleted] = n_chunks + np.arange(n_deleted)
    faiss.copy_array_to_vector(remapped, graph.id_map)
    graph.construct_rev_map()
    for start in range(0, len(new_ids), ADD_BATCH):
        batch = np.ascontiguousarray(new_vectors[start : start + ADD_BATCH], dtype=np.float32)
        graph.add_with_ids(batch, np.ascontiguousarray(new_ids[start : start + ADD_BATCH], dtype=np.int64))
    return graph, {**params, "deleted": n_deleted}


def build_or_update(
    vectors: np.ndarray,
    kind: str,
    params: dict[str, Any],
    served: tuple[Path, str, dict[str, Any]] | None = None,
    moved: Sequence[tuple[int, int, int]] = (),
    new_ids: np.ndarray | None = None,
) -> tuple[Any, dict[str, Any], str]:
    """The vector index of a new version: the served HNSW graph updated (see `update_hnsw`) when the
    served version (`served`: its file, type and parameters) has a graph of the same settings, else a
    new index. Returns the index, its parameters and "updated graph" or "new graph"."""
    if served is not None and new_ids is not None and kind == "hnsw" and served[1] == "hnsw":
        same = all(served[2].get(k) == params.get(k) for k in ("factory", "ef_construction"))
        if same and served[0].is_file():
            updated = update_hnsw(served[0], served[2], moved, new_ids, vectors[new_ids], len(vectors))
            if updated is not None:
                return (*updated, "updated graph")
    return build_dense(vectors, kind, params), params, "new graph"


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
