"""The Chat tab: questions and answers, search options, the sources' timeline, the Index panel, exports.

A `?q=...` link opens the page and asks its question.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from ..api import get_retriever
from ..index.store import IndexStoreError
from .building import update_index
from .export import passages_csv, passages_json, question_link, reply_markdown
from .render import esc, index_summary, render_question, render_reply
from .reply import Reply, answer, hide_paths
from .timeline import sources_frame, undated_sources

log = logging.getLogger(__name__)

PLACEHOLDER = (
    "<div class='qa-empty-state'><h2>Ask the news archive</h2>"
    "<p>Answers are sentences quoted from the articles, with their sources.<br>"
    "Follow-up questions use the conversation. Name a time (“in April 2018”) to search only then.</p></div>"
)


def publishers(index_dir: Path) -> list[str]:
    try:
        return get_retriever(index_dir).sources()
    except Exception:  # no index yet, or a broken one: the Index panel says which
        return []


def user_questions(history: Sequence[str] | None) -> list[str]:
    return [q for q in history or [] if isinstance(q, str)]


@dataclass
class ChatTab:
    """The chat's components other parts of the page update (after an upload or a removal)."""

    info: gr.HTML
    sources: gr.Dropdown


def _timeline_update(reply: Reply):
    frame = sources_frame(reply.passages)
    if frame.empty:
        return gr.update(visible=False, value=frame)
    undated = undated_sources(reply.passages)
    caption = f"{undated} undated source{'s' if undated != 1 else ''} not shown." if undated else None
    return gr.update(visible=True, value=frame, caption=caption)


def _export_updates(reply: Reply, folder: Path, turn: str):
    if not reply.passages:
        hidden = gr.update(visible=False)
        return gr.update(value="", visible=False), hidden, hidden, gr.update(value="", visible=False)
    csv_path, json_path = folder / f"passages-{turn}.csv", folder / f"passages-{turn}.json"
    csv_path.write_text(passages_csv(reply), encoding="utf-8")
    json_path.write_text(passages_json(reply), encoding="utf-8")
    link = question_link(reply.question)
    link_html = (
        f"<div class='qa-link-row'>Link that asks this question: "
        f"<a id='question-link' href='{esc(link)}' target='_blank' rel='noopener'>{esc(link)}</a></div>"
    )
    return (
        gr.update(value=reply_markdown(reply), visible=True),
        gr.update(value=str(csv_path), visible=True),
        gr.update(value=str(json_path), visible=True),
        gr.update(value=link_html, visible=True),
    )


def build_chat_tab(demo: gr.Blocks, corpus_dir: Path, index_dir: Path, examples, scroll_js: str) -> ChatTab:
    """Lay out the chat inside the current Tab and wire its events."""
    export_dir = Path(tempfile.mkdtemp(prefix="newsqa-export-"))  # the downloads; Gradio serves them

    def ask(question: str, shown: list, questions: list, k, sources, date_from, date_to, per_article, *extra):
        """One chat turn: the question bubble, the answer with its source cards, its timeline and exports."""
        history = user_questions(questions)
        form = {"k": k, "sources": sources, "date_from": date_from, "date_to": date_to, "per_article": per_article}
        if extra:
            form["prefer_recent"] = extra[0]
        reply = answer(question, history, form, corpus_dir=corpus_dir, index_dir=index_dir, with_articles=True)
        shown = list(shown or [])
        turn = uuid.uuid4().hex[:12]  # marks this turn for the scroll script
        if (question or "").strip():
            shown.append({"role": "user", "content": render_question(question, turn)})
            shown.append({"role": "assistant", "content": render_reply(reply)})
        else:
            shown.append({"role": "assistant", "content": f"<div class='qa-turn t{turn}'>{render_reply(reply)}</div>"})
        if reply.passages or not reply.error:
            questions = [*user_questions(questions), question]
        return shown, questions, "", _timeline_update(reply), *_export_updates(reply, export_dir, turn)

    def rebuild(progress=gr.Progress()):  # noqa: B008  (gradio injects the tracker through the default)
        try:
            report = update_index(corpus_dir, index_dir, progress)
            message = f"<div class='qa-notice'>{esc(report.summary())}. The chat now uses the new index.</div>"
        except (OSError, ValueError, IndexStoreError) as exc:
            message = (
                "<div class='qa-notice qa-error'>The index was not rebuilt: "
                f"{esc(hide_paths(exc, corpus_dir, index_dir))}</div>"
            )
        except Exception:
            log.exception("rebuild failed")
            message = "<div class='qa-notice qa-error'>The index was not rebuilt: an unexpected error.</div>"
        return message + index_summary(corpus_dir, index_dir), gr.update(choices=publishers(index_dir))

    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            chatbot = gr.Chatbot(
                elem_id="chat",
                show_label=False,
                height=640,
                autoscroll=False,  # the scroll script shows the start of each answer instead
                render_markdown=False,  # messages are HTML we build from escaped text
                sanitize_html=True,
                allow_tags=False,
                latex_delimiters=[],
                placeholder=PLACEHOLDER,
                examples=examples,
                feedback_options=None,
                buttons=[],  # "copy" would copy the message's HTML source: see "Take this answer with you"
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
            with gr.Accordion("Take this answer with you", open=False, elem_id="export"):
                markdown = gr.Textbox(
                    label="The answer with its sources, as Markdown",
                    lines=6,
                    max_lines=14,
                    interactive=False,
                    buttons=["copy"],
                    visible=False,
                    elem_id="export-md",
                )
                with gr.Row():
                    csv_button = gr.DownloadButton(
                        "Download passages (CSV)", visible=False, size="sm", elem_id="download-csv"
                    )
                    json_button = gr.DownloadButton(
                        "Download passages (JSON)", visible=False, size="sm", elem_id="download-json"
                    )
                link = gr.HTML("", visible=False, elem_id="question-link-row")
        with gr.Column(scale=1, min_width=300):
            timeline = gr.ScatterPlot(
                x="date",
                y="relevance",
                color="publisher",
                tooltip=["title", "publisher", "date", "source"],
                label="Sources by date",
                x_title=" ",  # the dates say it
                y_title="Relevance %",
                y_lim=[0, 100],
                x_axis_format="%-d %b %Y",
                height=210,
                visible=False,
                elem_id="timeline",
            )
            with gr.Accordion("Search options", open=True):
                k = gr.Slider(1, 10, value=5, step=1, label="Passages", elem_id="k")
                sources = gr.Dropdown(
                    choices=publishers(index_dir),
                    value=[],
                    multiselect=True,
                    label="Publishers",
                    info="Empty: all publishers",
                    elem_id="publishers",
                )
                with gr.Row():
                    date_from = gr.Textbox(label="From", placeholder="YYYY-MM-DD", elem_id="date-from", min_width=100)
                    date_to = gr.Textbox(label="To", placeholder="YYYY-MM-DD", elem_id="date-to", min_width=100)
                per_article = gr.Checkbox(value=False, label="One passage per article", elem_id="per-article")
                recent = _prefer_recent_checkbox()
            with gr.Accordion("Index", open=True):
                info = gr.HTML(index_summary(corpus_dir, index_dir), elem_id="index-info")
                rebuild_button = gr.Button("Rebuild index", elem_id="rebuild", variant="secondary")

    inputs = [question, chatbot, questions_state := gr.State([]), k, sources, date_from, date_to, per_article]
    if recent is not None:
        inputs.append(recent)
    outputs = [chatbot, questions_state, question, timeline, markdown, csv_button, json_button, link]
    for trigger in (question.submit, ask_button.click):
        trigger(ask, inputs, outputs, api_visibility="private", concurrency_id="chat").then(None, js=scroll_js)

    def pick_example(evt: gr.SelectData) -> str:
        return evt.value["text"]

    chatbot.example_select(pick_example, None, question, api_visibility="private", queue=False).then(
        ask, inputs, outputs, api_visibility="private", concurrency_id="chat"
    ).then(None, js=scroll_js)

    def new_chat():
        hidden = gr.update(visible=False)
        return [], [], "", hidden, gr.update(value="", visible=False), hidden, hidden, gr.update(visible=False)

    clear.click(new_chat, None, outputs, api_visibility="private", queue=False)
    chatbot.clear(lambda: [], None, questions_state, api_visibility="private", queue=False)
    rebuild_button.click(
        rebuild,
        None,
        [info, sources],
        api_visibility="private",
        concurrency_limit=1,
        concurrency_id="rebuild",
        show_progress_on=[info],
    )

    def refresh():
        return index_summary(corpus_dir, index_dir), gr.update(choices=publishers(index_dir))

    def from_link(request: gr.Request):
        """The question of a `?q=...` link (left alone without one: the user may be typing already)."""
        params = getattr(request, "query_params", None) or {}
        linked = " ".join(str(params.get("q") or "").split())[:2000]
        return (linked, linked) if linked else (gr.update(), "")

    def ask_from_link(linked: str, *rest):
        if not linked:
            return (gr.update(),) * len(outputs)
        return ask(linked, *rest)

    link_question = gr.State("")
    demo.load(refresh, None, [info, sources], api_visibility="private")
    demo.load(from_link, None, [question, link_question], api_visibility="private", queue=False).then(
        ask_from_link, [link_question, *inputs[1:]], outputs, api_visibility="private", concurrency_id="chat"
    ).then(None, js=scroll_js)
    return ChatTab(info=info, sources=sources)


def _prefer_recent_checkbox() -> gr.Checkbox | None:
    """ "Prefer recent articles", when the search options offer it (SearchOptions.prefer_recent)."""
    from ..search.options import FIELD_NAMES

    if "prefer_recent" not in FIELD_NAMES:
        return None
    return gr.Checkbox(
        value=False,
        label="Prefer recent articles",
        info="Newer articles rank higher: one a year older than the newest counts three quarters",
        elem_id="prefer-recent",
    )
