"""The Python entry point: `retrieve(question, k, history)` over the default (or a given) index.

The index loads lazily on first use and is reloaded when a build publishes a new version, so a
running app picks up a rebuilt index without a restart. Calls may come from many threads.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from .config import default_index_dir
from .index.embed import Embedder, ModelNotFoundError, resolve_model_path
from .index.store import IndexData, IndexMismatchError, IndexStoreError, current_version_id, load_index
from .records import Passage
from .search.options import SearchOptions, options_from
from .search.retriever import Retriever

_lock = threading.Lock()
_retrievers: dict[str, tuple[str | None, Retriever]] = {}
_failed_versions: dict[str, str | None] = {}  # a published version that would not load, per index folder
log = logging.getLogger(__name__)
_embedders: dict[str, Embedder] = {}
_registered: set[str] = set()  # models of `register_embedder`


def get_embedder(model: str) -> Embedder:
    """One shared embedder per model name (loading a model takes seconds and memory)."""
    with _lock:
        if model not in _embedders:
            _embedders[model] = Embedder(model)
        return _embedders[model]


def register_embedder(embedder) -> None:
    """Use `embedder` for every index whose manifest names `embedder.model_name` (e.g. a test embedder)."""
    with _lock:
        _embedders[embedder.model_name] = embedder
        _registered.add(embedder.model_name)


def check_model_installed(index: IndexData, index_dir: Path) -> None:
    """Fail when the index loads but its model is not installed (found now, not at the first question)."""
    if index.manifest.model in _registered:
        return
    try:
        resolve_model_path(index.manifest.model)
    except ModelNotFoundError as exc:
        raise IndexMismatchError(
            f"index at {index_dir} cannot be searched: {exc}; or rebuild it with: qa build --full"
        ) from exc


def get_retriever(index_dir: Path | str | None = None) -> Retriever:
    """The retriever for `index_dir` (default: `QA_INDEX_DIR` or `index/`), reloaded if rebuilt."""
    index_dir = Path(index_dir or default_index_dir())
    key = str(index_dir.resolve())
    version = current_version_id(index_dir)
    cached = _retrievers.get(key)
    if cached and (cached[0] == version or _failed_versions.get(key) == version):
        return cached[1]
    with _lock:
        cached = _retrievers.get(key)
        if cached and (cached[0] == version or _failed_versions.get(key) == version):
            return cached[1]
        try:
            # An explicitly configured model must match the index's; otherwise use the index's own model.
            index = load_index(index_dir, expected_model=os.environ.get("QA_MODEL") or None)
            check_model_installed(index, index_dir)
        except IndexStoreError as exc:
            if cached is None:
                raise
            # Keep answering from the last good index rather than failing every question.
            _failed_versions[key] = version
            log.error("keeping the previous index of %s: the new version does not load (%s)", index_dir, exc)
            return cached[1]
        model = index.manifest.model
        embedder = _embedders.get(model) or _embedders.setdefault(model, Embedder(model))
        retriever = Retriever(index, embedder)
        _retrievers[key] = (version, retriever)
        return retriever


def retrieve(
    question: str,
    k: int = 5,
    history: list[str] | None = None,
    *,
    index_dir: Path | str | None = None,
    options: SearchOptions | None = None,
    **overrides: object,
) -> list[Passage]:
    """The `k` passages that best answer `question`, best first.

    `history` holds the earlier questions of the same conversation, oldest first; follow-ups such as
    "Which agency did he speak to?" are resolved against it. Keyword `overrides` set any
    `SearchOptions` field (mode, per_article, sources, date_from, date_to, ...).
    Raises ValueError for an empty question and `qa.store.IndexNotFoundError` when no index exists.
    """
    opts = options if options is not None else options_from(k, **overrides)
    return get_retriever(index_dir).search(question, history=history, options=opts)
