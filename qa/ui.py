"""The Gradio chat: a thin layer over `qa.retrieve`.

Article text is data: it is HTML-escaped and Markdown-escaped before it reaches the page.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

from . import config as _config  # noqa: F401  (offline settings before gradio loads)
from .api import get_retriever, retrieve
from .config import default_corpus_dir, default_index_dir
from .records import Passage
from .store import IndexError_, IndexNotFoundError

EXAMPLES = [
    "How many cruise missiles did the Russian warships fire?",
    "Which Russian senator said Russia will not intercept US missiles?",
    "What did Dmitry Peskov say about the military communication channel?",
    "Why did Russia say it is free to deliver S-300 missiles to Syria?",
    "Are Syrian forces using Russian-built drones?",
]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def escape(text: str) -> str:
    """Text shown as-is: no HTML, no Markdown, no links."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=True))


def passage_to_api(passage: Passage) -> dict[str, Any]:
    """A passage as JSON for API callers ("path" is named "file": gradio_client downloads "path" keys)."""
    data = passage.to_dict()
    data["file"] = data.pop("path")
    return data


def render_answer(passages: list[Passage]) -> str:
    """Markdown for the chat: the short answer, then one card per passage."""
    if not passages:
        return "I found no passage that answers this. Try other words, or rebuild the index if articles changed."
    best = passages[0]
    lines = [f"**Answer:** {escape(best.highlight)}", ""]
    for rank, p in enumerate(passages, 1):
        meta = " · ".join(escape(x) for x in (p.source, p.published or "") if x)
        lines.append(f"**{rank}. {escape(p.title)}**  ")
        lines.append(f"{meta}{' · ' if meta else ''}relevance {max(p.score, 0):.0%} · `{html.escape(p.path)}`")
        before = escape(p.text[: p.highlight_start])
        after = escape(p.text[p.highlight_end :])
        lines.append(f"> {before}<mark>{escape(p.highlight)}</mark>{after}")
        lines.append("")
    return "\n".join(lines)


def _user_turns(history: list[Any]) -> list[str]:
    turns = []
    for message in history or []:
        role = message.get("role") if isinstance(message, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if role == "user" and isinstance(content, str):
            turns.append(content)
    return turns


def chat(message: str, history: list[Any], k: int = 5, per_article: bool = False) -> str:
    """One chat turn: retrieval over the served index, rendered as Markdown. Never raises."""
    try:
        passages = retrieve(message, k=int(k), history=_user_turns(history), per_article=bool(per_article))
    except ValueError as exc:
        return str(exc)
    except IndexNotFoundError:
        return "There is no index yet. Build one with `qa build` (or `make run`), then ask again."
    except IndexError_ as exc:
        return f"The index cannot be used: {escape(str(exc))}"
    except Exception as exc:
        return f"Something went wrong answering this ({escape(type(exc).__name__)}). Please try again."
    return render_answer(passages)


def retrieve_api(question: str, k: int = 5, history: list[str] | None = None) -> list[dict[str, Any]]:
    """API endpoint /retrieve: the passages as a JSON list."""
    return [passage_to_api(p) for p in retrieve(question, k=int(k), history=history or None)]


def build_app(index_dir: Path | None = None):
    import gradio as gr

    if index_dir is not None:
        os.environ["QA_INDEX_DIR"] = str(index_dir)
    with gr.Blocks(title="News QA") as demo:
        gr.Markdown("# News QA\nAsk about the news archive. Answers are passages from the articles, with sources.")
        with gr.Row():
            k = gr.Slider(1, 10, value=5, step=1, label="Passages")
            per_article = gr.Checkbox(value=False, label="One passage per article")
        gr.ChatInterface(
            chat,
            additional_inputs=[k, per_article],
            examples=[[q, 5, False] for q in EXAMPLES],
            api_name="chat",
            chatbot=gr.Chatbot(height=560, label="Answers"),
        )
        gr.api(retrieve_api, api_name="retrieve")
    return demo


def ensure_index(corpus_dir: Path, index_dir: Path) -> None:
    """Build the index when it is missing or stale, printing progress."""
    from .build import build_index, index_status
    from .cli import _ProgressPrinter

    status = index_status(corpus_dir, index_dir)
    if status == "fresh":
        return
    print(f"Index is {status}; building it from {corpus_dir} ...", flush=True)
    progress = _ProgressPrinter()
    report = build_index(corpus_dir, index_dir, on_progress=progress)
    progress.close()
    print(report.summary(), flush=True)


def serve(
    host: str = "127.0.0.1", port: int = 7860, corpus_dir: Path | None = None, index_dir: Path | None = None
) -> None:
    corpus_dir = Path(corpus_dir or default_corpus_dir())
    index_dir = Path(index_dir or default_index_dir())
    ensure_index(corpus_dir, index_dir)
    get_retriever(index_dir)  # load the model and index before the first question
    demo = build_app(index_dir)
    demo.queue(default_concurrency_limit=4, max_size=64)
    demo.launch(server_name=host, server_port=port, show_error=False)
