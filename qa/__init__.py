"""Offline question answering over news archives: extractive answers with their sources."""

from .api import get_retriever, retrieve
from .index.build import build_index
from .index.pipeline import BuildReport
from .records import Article, Chunk, Passage
from .search.options import SearchOptions

__all__ = ["Article", "BuildReport", "Chunk", "Passage", "SearchOptions", "build_index", "get_retriever", "retrieve"]
__version__ = "0.1.0"
