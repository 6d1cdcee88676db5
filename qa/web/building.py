"""Updating the index from the page (rebuild, upload, remove): one incremental build with a progress bar.

Questions asked meanwhile are answered from the served index; `qa.api.get_retriever` picks the new
version up as soon as the build publishes it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..api import get_embedder
from ..config import BuildConfig
from ..index.build import BuildReport, build_index

BUILD_STAGES = {  # qa.index.build's progress stage -> (label, start, end) as fractions of the whole build
    "read": ("Reading articles", 0.0, 0.05),
    "embed": ("Chunking and embedding articles", 0.05, 0.9),
    "index": ("Writing the index", 0.9, 1.0),
}


def update_index(
    corpus_dir: Path, index_dir: Path, progress: Callable[..., object] | None = None, *, first: float = 0.0
) -> BuildReport:
    """Bring the index up to date with the corpus folder (only new and changed articles are embedded).

    `progress(fraction, desc=...)` is Gradio's tracker; the build's stages fill [first, 1].
    """
    report = progress or (lambda fraction, desc=None: None)

    def on_progress(stage: str, done: int, total: int) -> None:
        label, lo, hi = BUILD_STAGES.get(stage, (stage, 0.0, 1.0))
        fraction = lo + (hi - lo) * (done / max(total, 1))
        report(first + (1 - first) * fraction, desc=label)

    report(first, desc="Starting")
    return build_index(corpus_dir, index_dir, embedder=get_embedder(BuildConfig().model), on_progress=on_progress)
