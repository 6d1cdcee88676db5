"""The Gradio page: chat, search options and the Index panel, plus the /chat and /retrieve APIs.

A thin layer: every answer comes from `qa.web.reply.answer` (i.e. `qa.retrieve`), every rebuild from
`qa.index.build.build_index`. Process start-up (index check, sign-in and queue settings) is `qa.cli`'s.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from pathlib import Path

import gradio as gr

from ..api import get_embedder, get_retriever
from ..config import PROJECT_ROOT, BuildConfig, default_corpus_dir, default_index_dir
from ..index.store import IndexStoreError
from .render import esc, index_summary, render_question, render_reply
from .reply import Reply, answer, hide_paths, passage_to_api, reply_to_api

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
EXAMPLES = [
    "How many cruise missiles did the Russian warships fire?",
    "Which Russian senator said Russia will not intercept US missiles?",
    "What did Dmitry Peskov say about the military communication channel?",
    "Are Syrian forces using Russian-built drones?",
]
SAMPLE_CORPUS = PROJECT_ROOT / "corpus"

BUILD_STAGES = {  # qa.index.build's progress stage -> (label, start, end) as fractions of the whole build
    "read": ("Reading articles", 0.0, 0.05),
    "embed": ("Chunking and embedding articles", 0.05, 0.9),
    "index": ("Writing the index", 0.9, 1.0),
}


def static_text(name: str) -> str:
    """A file of `static/`; `//` comment lines are dropped (Gradio's `js=` takes a bare function)."""
    text = (STATIC / name).read_text(encoding="utf-8")
    if name.endswith(".js"):
        text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    return text


CSS = static_text("style.css")
SCROLL_TO_LATEST_JS = static_text("scroll_to_latest.js")


def _publishers(index_dir: Path) -> list[str]:
    try:
        return get_retriever(index_dir).sources()
    except Exception:  # no index yet, or a broken one: the Index panel says which
        return []


def _is_sample_corpus(corpus_dir: Path) -> bool:
    try:
        return Path(corpus_dir).resolve() == SAMPLE_CORPUS.resolve() or (
            sorted(p.name for p in Path(corpus_dir).iterdir()) == sorted(p.name for p in SAMPLE_CORPUS.iterdir())
        )
    except OSError:
        return False


def _user_questions(history: Sequence[str] | None) -> list[str]:
    return [q for q in history or [] if isinstance(q, str)]


def build_app(corpus_dir: Path | None = None, index_dir: Path | None = None):
    """The Blocks app: chat, search options, Index panel with rebuild, and the /chat and /retrieve APIs."""
    corpus_dir = Path(corpus_dir or default_corpus_dir())
    index_dir = Path(index_dir or default_index_dir())
    examples = [{"text": q} for q in EXAMPLES] if _is_sample_corpus(corpus_dir) else None
    placeholder = (
        "<div class='qa-empty-state'><h2>Ask the news archive</h2>"
        "<p>Answers are sentences quoted from the articles, with their sources.<br>"
        "Follow-up questions use the conversation.</p></div>"
    )

    def search(question, history, k, sources, date_from, date_to, per_article, with_articles=False) -> Reply:
        """`answer` over this app's corpus and index, with the form's options (checked by `SearchOptions`)."""
        form = {"k": k, "sources": sources, "date_from": date_from, "date_to": date_to, "per_article": per_article}
        return answer(question, history, form, corpus_dir=corpus_dir, index_dir=index_dir, with_articles=with_articles)

    def ask(question: str, shown: list, questions: list, k, sources, date_from, date_to, per_article):
        """One chat turn: the question bubble and the answer with its source cards."""
        history = _user_questions(questions)
        reply = search(question, history, k, sources, date_from, date_to, per_article, with_articles=True)
        shown = list(shown or [])
        turn = uuid.uuid4().hex[:12]  # marks this turn for SCROLL_TO_LATEST_JS
        if (question or "").strip():
            shown.append({"role": "user", "content": render_question(question, turn)})
            shown.append({"role": "assistant", "content": render_reply(reply)})
        else:
            shown.append({"role": "assistant", "content": f"<div class='qa-turn t{turn}'>{render_reply(reply)}</div>"})
        if reply.passages or not reply.error:
            questions = [*_user_questions(questions), question]
        return shown, questions, ""

    def rebuild(progress=gr.Progress()):  # noqa: B008  (gradio injects the tracker through the default)
        from ..index.build import build_index

        def on_progress(stage: str, done: int, total: int) -> None:
            label, lo, hi = BUILD_STAGES.get(stage, (stage, 0.0, 1.0))
            progress(lo + (hi - lo) * (done / max(total, 1)), desc=label)

        progress(0.0, desc="Starting")
        try:
            report = build_index(
                corpus_dir, index_dir, embedder=get_embedder(BuildConfig().model), on_progress=on_progress
            )
            message = f"<div class='qa-notice'>{esc(report.summary())}. The chat now uses the new index.</div>"
        except (OSError, ValueError, IndexStoreError) as exc:
            message = (
                "<div class='qa-notice qa-error'>The index was not rebuilt: "
                f"{esc(hide_paths(exc, corpus_dir, index_dir))}</div>"
            )
        except Exception:
            log.exception("rebuild failed")
            message = "<div class='qa-notice qa-error'>The index was not rebuilt: an unexpected error.</div>"
        return message + index_summary(corpus_dir, index_dir), gr.update(choices=_publishers(index_dir))

    def refresh():
        return index_summary(corpus_dir, index_dir), gr.update(choices=_publishers(index_dir))

    def chat_api(
        question: str,
        history: list[str] | None = None,
        k: int = 5,
        sources: list[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        per_article: bool = False,
    ) -> dict:
        """The answer to `question` (a follow-up of the questions in `history`) with its passages."""
        return reply_to_api(search(question, history, k, sources, date_from, date_to, per_article))

    def retrieve_api(
        question: str,
        k: int = 5,
        history: list[str] | None = None,
        sources: list[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        per_article: bool = False,
    ) -> list[dict]:
        """The `k` passages that best answer `question`, as a JSON list (each passage's file is in "file")."""
        reply = search(question, history, k, sources, date_from, date_to, per_article)
        if reply.error:
            raise gr.Error(reply.notice or "failed", print_exception=False)
        return [passage_to_api(p) for p in reply.passages]

    with gr.Blocks(title="News QA", fill_width=False) as demo:
        gr.HTML(
            "<div class='qa-header'><h1>News QA</h1><p>Questions answered from your news archive, offline. "
            "Every answer is quoted from an article and shows its sources.</p></div>"
        )
        questions = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chatbot = gr.Chatbot(
                    elem_id="chat",
                    show_label=False,
                    height=680,
                    autoscroll=False,  # SCROLL_TO_LATEST_JS shows the start of each answer instead
                    render_markdown=False,  # messages are HTML we build from escaped text
                    sanitize_html=True,
                    allow_tags=False,
                    latex_delimiters=[],
                    placeholder=placeholder,
                    examples=examples,
                    feedback_options=None,
                    buttons=[],  # "copy" would copy the message's HTML source
                    layout="panel",
                )
                with gr.Row():
                    question = gr.Textbox(
                        elem_id="question",
                        show_label=False,
                        placeholder="Ask a question about the news…",
                        lines=1,
                        max_lines=4,
                        autofocus=True,
                        scale=6,
                        container=False,
                    )
                    ask_button = gr.Button("Ask", elem_id="ask", variant="primary", scale=1, min_width=80)
                    clear = gr.Button("New chat", elem_id="new-chat", scale=1, min_width=110)
            with gr.Column(scale=1, min_width=280):
                with gr.Accordion("Search options", open=True):
                    k = gr.Slider(1, 10, value=5, step=1, label="Passages", elem_id="k")
                    sources = gr.Dropdown(
                        choices=_publishers(index_dir),
                        value=[],
                        multiselect=True,
                        label="Publishers",
                        info="Empty: all publishers",
                        elem_id="publishers",
                    )
                    with gr.Row():
                        date_from = gr.Textbox(
                            label="From", placeholder="YYYY-MM-DD", elem_id="date-from", min_width=100
                        )
                        date_to = gr.Textbox(label="To", placeholder="YYYY-MM-DD", elem_id="date-to", min_width=100)
                    per_article = gr.Checkbox(value=False, label="One passage per article", elem_id="per-article")
                with gr.Accordion("Index", open=True):
                    info = gr.HTML(index_summary(corpus_dir, index_dir), elem_id="index-info")
                    rebuild_button = gr.Button("Rebuild index", elem_id="rebuild", variant="secondary")

        inputs = [question, chatbot, questions, k, sources, date_from, date_to, per_article]
        outputs = [chatbot, questions, question]
        for trigger in (question.submit, ask_button.click):
            trigger(ask, inputs, outputs, api_visibility="private", concurrency_id="chat").then(
                None, js=SCROLL_TO_LATEST_JS
            )

        def pick_example(evt: gr.SelectData) -> str:
            return evt.value["text"]

        chatbot.example_select(pick_example, None, question, api_visibility="private", queue=False).then(
            ask, inputs, outputs, api_visibility="private", concurrency_id="chat"
        ).then(None, js=SCROLL_TO_LATEST_JS)
        clear.click(lambda: ([], [], ""), None, outputs, api_visibility="private", queue=False)
        chatbot.clear(lambda: [], None, questions, api_visibility="private", queue=False)
        rebuild_button.click(
            rebuild,
            None,
            [info, sources],
            api_visibility="private",
            concurrency_limit=1,
            concurrency_id="rebuild",
            show_progress_on=[info],
        )
        demo.load(refresh, None, [info, sources], api_visibility="private")
        gr.api(chat_api, api_name="chat", concurrency_id="chat")
        gr.api(retrieve_api, api_name="retrieve", concurrency_id="chat")
    return demo


def launch(
    demo: gr.Blocks,
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    auth: tuple[str, str] | None = None,
    concurrency: int = 4,
    max_queue: int = 64,
    block: bool = True,
):
    """Queue and serve `demo`: at most `concurrency` questions at once, `max_queue` waiting, optional sign-in."""
    demo.queue(default_concurrency_limit=concurrency, max_size=max_queue)
    return demo.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="News QA: sign in" if auth else None,
        show_error=False,
        prevent_thread_lock=not block,
        css=CSS,
        theme=gr.themes.Soft(
            primary_hue="indigo",
            font=["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "sans-serif"],
            font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
        ),
        footer_links=["api"],
    )
