"""The product's retriever over a BEIR dataset's evaluation index, for the training and tuning scripts."""

from __future__ import annotations

from qa.api import get_embedder
from qa.eval import Dataset, build_config, cached_index
from qa.search.retriever import Retriever


def open_retriever(dataset: Dataset, model: str | None = None) -> Retriever:
    """A retriever over `dataset`'s index with the product's build settings (another embedding `model` if given)
    and shared embedder (the index is built on first use and cached, as `qa eval` does)."""
    config = build_config(model)
    embedder = get_embedder(config.model)
    return Retriever.open(cached_index(dataset, config, embedder=embedder), embedder)
