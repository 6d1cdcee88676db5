"""Offline question answering over news archives: extractive answers with their sources.

The names below load on first use (PEP 562), so a command imports only what it needs: `qa ask` never
loads the build pipeline, ingestion, torch, gradio or ray.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import get_retriever, retrieve
    from .index.build import build_index
    from .index.pipeline import BuildReport
    from .records import Article, Chunk, Passage
    from .search.options import SearchOptions

_EXPORTS = {
    "get_retriever": ".api",
    "retrieve": ".api",
    "build_index": ".index.build",
    "BuildReport": ".index.pipeline",
    "Article": ".records",
    "Chunk": ".records",
    "Passage": ".records",
    "SearchOptions": ".search.options",
}
__all__ = ["Article", "BuildReport", "Chunk", "Passage", "SearchOptions", "build_index", "get_retriever", "retrieve"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
