"""The Gradio chat: a thin layer over `qa.retrieve`, `qa.api.get_retriever` and `qa.index.build.build_index`.

Article text is data, never markup. Chat messages are rendered as HTML (Markdown rendering is off), and
every string that comes from an article or the index goes through `html.escape` before it is placed in
the page, so `<script>`, tags or Markdown in an article show as the literal text.
"""

from __future__ import annotations

import html
import logging
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr

from ..api import get_embedder, get_retriever, retrieve
from ..config import PROJECT_ROOT, BuildConfig, default_corpus_dir, default_index_dir
from ..index.store import IndexError_, IndexNotFoundError
from ..records import Passage

log = logging.getLogger(__name__)

EXAMPLES = [
    "How many cruise missiles did the Russian warships fire?",
    "Which Russian senator said Russia will not intercept US missiles?",
    "What did Dmitry Peskov say about the military communication channel?",
    "Are Syrian forces using Russian-built drones?",
]
SAMPLE_CORPUS = PROJECT_ROOT / "corpus"

SNIPPET_CHARS = 480  # passages longer than this show a window around the answer, expandable to the whole
CONTEXT_CHARS = 170  # characters of context either side of the answer sentence in that window
ARTICLE_CHARS = 30_000  # "show the whole article" shows at most this much (the file has the rest)

# The queue: how many questions run at once (retrieval is CPU-bound and releases the GIL in FAISS and
# torch) and how many may wait before new ones are turned away with "queue full".
DEFAULT_CONCURRENCY = 4
DEFAULT_MAX_QUEUE = 64

BUILD_STAGES = {  # qa.build's progress stage -> (label, start, end) as fractions of the whole build
    "read": ("Reading articles", 0.0, 0.05),
    "embed": ("Chunking and embedding articles", 0.05, 0.9),
    "index": ("Writing the index", 0.9, 1.0),
}


# ---------------------------------------------------------------------------------------------------------
# Answers: one call of `qa.retrieve`, its failures turned into messages a person can act on.


@dataclass
class Reply:
    """What one question gets: the passages, or a notice saying why there are none."""

    question: str
    passages: list[Passage] = field(default_factory=list)
    notice: str | None = None  # a message for the user instead of (or besides) passages
    error: bool = False  # the notice reports a problem rather than an empty result
    articles: dict[str, str] = field(default_factory=dict)  # article_id -> full clean text

    @property
    def answer(self) -> str:
        """The short answer: the best highlighted sentence, else the notice."""
        return self.passages[0].highlight if self.passages else (self.notice or "")


def date_bound(value: str | None, end: bool = False) -> str | None:
    """An ISO date from "YYYY-MM-DD", "YYYY-MM" or "YYYY" (a range end takes the last day); None if blank."""
    value = (value or "").strip()
    if not value:
        return None
    match = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", value)
    try:
        if not match:
            raise ValueError
        year, month, day = int(match[1]), match[2], match[3]
        if day is not None:
            return date(year, int(month), int(day)).isoformat()
        if month is not None:
            first = date(year, int(month), 1)
            month_end = date(year + int(month) // 12, int(month) % 12 + 1, 1).toordinal() - 1
            return (date.fromordinal(month_end) if end else first).isoformat()
        return date(year, 12, 31).isoformat() if end else date(year, 1, 1).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a date: use YYYY-MM-DD (or YYYY-MM, or YYYY).") from None


def no_index_message(corpus_dir: Path, index_dir: Path) -> str:
    return (
        "There is no index yet, so there is nothing to search. Press “Rebuild index” in the Index panel, "
        f"or run: qa build --corpus {_shown_path(corpus_dir)} --index {_shown_path(index_dir)}"
    )


def answer(
    question: str,
    history: Sequence[str] | None = None,
    *,
    k: int = 5,
    sources: Sequence[str] | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    per_article: bool = False,
    corpus_dir: Path | None = None,
    index_dir: Path | None = None,
    with_articles: bool = False,
) -> Reply:
    """Answer `question` (follow-ups resolved against the earlier questions in `history`). Never raises."""
    corpus_dir = Path(corpus_dir or default_corpus_dir())
    index_dir = Path(index_dir or default_index_dir())
    reply = Reply(question=question or "")
    try:
        options: dict[str, Any] = {"per_article": bool(per_article), "sources": tuple(sources or ())}
        options["date_from"] = date_bound(date_from)
        options["date_to"] = date_bound(date_to, end=True)
        reply.passages = retrieve(
            question or "", k=int(k), history=[h for h in history or [] if h.strip()], index_dir=index_dir, **options
        )
        if with_articles:
            retriever = get_retriever(index_dir)
            for p in reply.passages:
                if p.article_id not in reply.articles:
                    reply.articles[p.article_id] = retriever.article(p.article_id)["text"]
    except (ValueError, TypeError) as exc:
        reply.notice, reply.error = str(exc), True
    except IndexNotFoundError:
        reply.notice, reply.error = no_index_message(corpus_dir, index_dir), True
    except IndexError_ as exc:
        reply.notice, reply.error = f"The index cannot be used: {hide_paths(exc, corpus_dir, index_dir)}", True
    except Exception:
        log.exception("answering %r failed", question)
        reply.notice, reply.error = "Something went wrong while answering. Please try again.", True
    if not reply.passages and not reply.error:
        filtered = bool(sources or date_from or date_to)
        reply.notice = "No passage in the archive matches this question" + (
            " with the current filters. Try fewer publishers or a wider date range." if filtered else "."
        )
    return reply


def passage_to_api(passage: Passage) -> dict[str, Any]:
    """A passage as JSON for API callers ("path" is named "file": gradio_client downloads "path" keys)."""
    data = passage.to_dict()
    data["file"] = data.pop("path")
    return data


def reply_to_api(reply: Reply) -> dict[str, Any]:
    return {
        "answer": reply.answer,
        "passages": [passage_to_api(p) for p in reply.passages],
        "notice": reply.notice,
        "error": reply.error,
    }


# ---------------------------------------------------------------------------------------------------------
# Rendering. Every article-derived string goes through `esc` (html.escape): nothing from an article is markup.


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _marked(text: str, start: int, end: int) -> str:
    """`text` escaped, with [start, end) wrapped in <mark>."""
    return f"{esc(text[:start])}<mark>{esc(text[start:end])}</mark>{esc(text[end:])}"


def _snippet(p: Passage) -> str:
    """A window of the passage around the answer sentence, cut at word boundaries, on one line."""
    lo = max(0, p.highlight_start - CONTEXT_CHARS)
    hi = min(len(p.text), p.highlight_end + CONTEXT_CHARS)
    if lo > 0:
        lo = p.text.find(" ", lo) + 1 or lo
    if hi < len(p.text):
        cut = p.text.rfind(" ", p.highlight_end, hi)
        hi = cut if cut > 0 else hi
    before = ("…" if lo > 0 else "") + p.text[lo : p.highlight_start]
    after = p.text[p.highlight_end : hi] + ("…" if hi < len(p.text) else "")
    flat = " ".join
    return f"{esc(flat(before.split()))} <mark>{esc(p.highlight)}</mark> {esc(flat(after.split()))}"


def _pretty_date(published: str | None) -> str:
    if published and re.fullmatch(r"\d{4}-\d{2}-\d{2}", published):
        try:
            return date.fromisoformat(published).strftime("%-d %B %Y")
        except ValueError:
            pass
    return published or ""


def _link(p: Passage) -> str:
    url = p.url or (p.path if re.match(r"https?://", p.path or "") else None)
    if url and re.match(r"https?://", url):
        return f'<a class="qa-link" href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>'
    return f'<code class="qa-file">{esc(p.path)}</code>' if p.path else ""


def _article_html(p: Passage, text: str) -> str:
    """The whole article, with this passage shaded and its answer sentence marked."""
    start, end = p.start, p.end
    if text[start:end] != p.text:  # the index changed under us: show the article plainly
        start = end = 0
    cut = len(text) > ARTICLE_CHARS
    shown = text[:ARTICLE_CHARS]
    if start < end <= len(shown):
        hs, he = start + p.highlight_start, start + p.highlight_end
        body = (
            f"{esc(shown[:start])}<span class='qa-in-article'>{esc(shown[start:hs])}<mark>{esc(shown[hs:he])}"
            f"</mark>{esc(shown[he:end])}</span>{esc(shown[end:])}"
        )
    else:
        body = esc(shown)
    if cut:
        body += f"\n\n<em>… the article goes on; it is cut here at {ARTICLE_CHARS:,} characters.</em>"
    return (
        "<details class='qa-article'><summary>Show the whole article</summary>"
        f"<div class='qa-article-text'>{body}</div></details>"
    )


def render_card(rank: int, p: Passage, article_text: str | None = None) -> str:
    """One source card: title, publisher, date, relevance bar, passage with the answer marked, file or link."""
    pct = round(max(0.0, min(1.0, p.score)) * 100)
    meta = [f"<span class='qa-source'>{esc(p.source)}</span>" if p.source else ""]
    meta.append(f"<span class='qa-date'>{esc(_pretty_date(p.published))}</span>" if p.published else "")
    meta.append(_link(p))
    meta_html = "<span class='qa-dot'>·</span>".join(m for m in meta if m)
    if len(p.text) > SNIPPET_CHARS:
        passage = (
            "<details class='qa-passage qa-long'>"
            f"<summary><span class='qa-snippet'>{_snippet(p)}</span>"
            "<span class='qa-more'>Show the whole passage</span></summary>"
            f"<div class='qa-full'>{_marked(p.text, p.highlight_start, p.highlight_end)}</div></details>"
        )
    else:
        passage = f"<div class='qa-passage'>{_marked(p.text, p.highlight_start, p.highlight_end)}</div>"
    also = f"<div class='qa-also'>Also reported by {esc(', '.join(p.also_in))}</div>" if p.also_in else ""
    article = _article_html(p, article_text) if article_text else ""
    return (
        f"<div class='qa-card'>"
        f"<div class='qa-card-head'><span class='qa-rank'>{rank}</span>"
        f"<span class='qa-title'>{esc(p.title or p.path)}</span>"
        f"<span class='qa-score' title='relevance {p.score:.3f}'>"
        f"<span class='qa-bar'><span class='qa-bar-fill' style='width:{pct}%'></span></span>{pct}%</span></div>"
        f"<div class='qa-meta'>{meta_html}</div>{passage}{also}{article}</div>"
    )


def render_reply(reply: Reply) -> str:
    """The chat message for a reply: the short answer first, then one card per passage."""
    if not reply.passages:
        kind = "qa-error" if reply.error else "qa-empty"
        return f"<div class='qa-notice {kind}'>{esc(reply.notice)}</div>"
    best = reply.passages[0]
    origin = " · ".join(esc(x) for x in (best.title, best.source, _pretty_date(best.published)) if x)
    cards = "".join(render_card(rank, p, reply.articles.get(p.article_id)) for rank, p in enumerate(reply.passages, 1))
    n = len(reply.passages)
    return (
        f"<div class='qa-answer'><div class='qa-answer-label'>Answer</div>"
        f"<div class='qa-answer-text'>{esc(best.highlight)}</div>"
        f"<div class='qa-answer-origin'>{origin}</div></div>"
        f"<div class='qa-sources-label'>{n} source{'s' if n != 1 else ''}</div>{cards}"
    )


def render_question(question: str, turn: str = "") -> str:
    return f"<div class='qa-question qa-turn t{esc(turn)}'>{esc(question)}</div>"


def _shown_path(path: Path) -> str:
    """`path` relative to the working folder when it is inside it, else its name: no absolute path in the page."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return Path(path).name or "."


def hide_paths(message: object, *folders: Path) -> str:
    """`message` with the absolute paths of `folders` replaced by their shown form (see `_shown_path`)."""
    text = str(message)
    for folder in folders:
        for form in sorted({str(Path(folder).resolve()), str(folder)}, key=len, reverse=True):
            if form not in (".", ""):
                text = text.replace(form, _shown_path(folder))
    return text


def index_summary(corpus_dir: Path, index_dir: Path) -> str:
    """The Index panel: what is loaded and how it was built (HTML, every value escaped)."""
    try:
        manifest = get_retriever(index_dir).index.manifest
    except IndexNotFoundError:
        return f"<div class='qa-notice qa-error'>{esc(no_index_message(corpus_dir, index_dir))}</div>"
    except IndexError_ as exc:
        return f"<div class='qa-notice qa-error'>{esc(hide_paths(exc, corpus_dir, index_dir))}</div>"
    built = str(manifest.get("built_at", "")).replace("T", " ").replace("Z", " UTC")
    seconds = manifest.get("build_seconds")
    rows = [
        ("Articles", f"{manifest.get('n_articles', 0):,}"),
        ("Passages", f"{manifest.get('n_chunks', 0):,}"),
        ("Model", manifest.get("model", "")),
        ("Built", built + (f" in {seconds:.1f} s" if isinstance(seconds, (int, float)) else "")),
        ("Corpus", _shown_path(corpus_dir)),
        ("Index", _shown_path(index_dir)),
    ]
    skipped = manifest.get("skipped") or []
    if skipped:
        rows.append(("Skipped", f"{len(skipped)} unreadable file{'s' if len(skipped) != 1 else ''}"))
    body = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    return f"<dl class='qa-index'>{body}</dl>"


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


# ---------------------------------------------------------------------------------------------------------
# The app.

CSS = """
.qa-header h1 { font-size: 1.6rem; margin: 0; }
.qa-header p { margin: 2px 0 0; color: var(--body-text-color-subdued); }
.qa-question { white-space: pre-wrap; font-weight: 600; }
#chat .message-row.user-row { padding: 12px 16px 10px; }
.qa-answer { border-left: 4px solid var(--color-accent); padding: 6px 12px; margin-bottom: 12px;
  background: var(--background-fill-secondary); border-radius: 6px; }
.qa-answer-label, .qa-sources-label { font-size: .72rem; font-weight: 700; letter-spacing: .06em;
  text-transform: uppercase; color: var(--body-text-color-subdued); }
.qa-answer-text { font-size: 1.08rem; font-weight: 600; line-height: 1.45; margin: 2px 0; }
.qa-answer-origin { font-size: .85rem; color: var(--body-text-color-subdued); }
.qa-sources-label { margin: 4px 0 6px; }
.qa-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
  margin: 0 0 10px; background: var(--background-fill-primary); }
.qa-card-head { display: flex; align-items: baseline; gap: 8px; }
.qa-rank { flex: none; width: 1.5em; height: 1.5em; line-height: 1.5em; text-align: center; border-radius: 50%;
  background: var(--color-accent-soft); color: var(--color-accent); font-weight: 700; font-size: .8rem; }
.qa-title { flex: 1; font-weight: 650; line-height: 1.3; }
.qa-score { flex: none; display: inline-flex; align-items: center; gap: 6px; font-size: .8rem;
  color: var(--body-text-color-subdued); font-variant-numeric: tabular-nums; }
.qa-bar { display: inline-block; width: 64px; height: 6px; border-radius: 3px; overflow: hidden;
  background: var(--border-color-primary); }
.qa-bar-fill { display: block; height: 100%; background: var(--color-accent); }
.qa-meta { font-size: .82rem; color: var(--body-text-color-subdued); margin: 2px 0 6px 2.1em; }
.qa-dot { margin: 0 6px; }
.qa-file { font-size: .78rem; }
.qa-passage, .qa-article-text { white-space: pre-line; line-height: 1.5; font-size: .93rem; }
.qa-passage { margin-left: 2.1em; }
.qa-passage mark, .qa-article-text mark, .qa-answer mark { background: #fde68a; color: #1f2937;
  padding: 0 2px; border-radius: 3px; }
.qa-long summary { list-style: none; cursor: pointer; white-space: normal; }
.qa-long summary::-webkit-details-marker { display: none; }
.qa-long[open] .qa-snippet { display: none; }
.qa-more, .qa-article summary { display: inline-block; font-size: .8rem; color: var(--color-accent);
  cursor: pointer; margin-top: 4px; }
.qa-more { margin-left: 8px; }
.qa-long[open] .qa-more::before { content: "Hide the whole passage"; }
.qa-long[open] .qa-more { font-size: 0; }
.qa-long[open] .qa-more::before { font-size: .8rem; }
.qa-article { margin: 6px 0 0 2.1em; }
.qa-article[open] > summary { font-size: 0; }
.qa-article[open] > summary::before { content: "Hide the article"; font-size: .8rem; }
.qa-article-text { max-height: 420px; overflow-y: auto; padding: 8px 10px; margin-top: 4px;
  border-radius: 6px; background: var(--background-fill-secondary); }
.qa-in-article { background: var(--color-accent-soft); }
.qa-also { font-size: .8rem; margin: 4px 0 0 2.1em; color: var(--body-text-color-subdued); }
.qa-notice { padding: 8px 12px; border-radius: 6px; background: var(--background-fill-secondary); }
.qa-error { border-left: 4px solid #f59e0b; }
.qa-index { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; margin: 0; font-size: .85rem; }
.qa-index dt { color: var(--body-text-color-subdued); }
.qa-index dd { margin: 0; overflow-wrap: anywhere; }
.qa-empty-state { text-align: center; }
.qa-empty-state h2 { margin-bottom: 4px; }
"""


# After an answer arrives, bring its turn (the newest element with a `qa-turn` class, whose other class is
# a per-turn token) to the top of the chat, so the answer reads from its start. The chat renders
# asynchronously, so poll briefly for it. (The sanitiser keeps classes but drops data-* attributes.)
SCROLL_TO_LATEST_JS = """() => {
  let tries = 0;
  const poll = () => {
    const turns = document.querySelectorAll('#chat .qa-turn');
    const last = turns[turns.length - 1];
    if (last && last.className !== window.__qaTurn) {
      window.__qaTurn = last.className;
      const box = last.closest('.panel-wrap, .bubble-wrap');
      if (box) box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
    } else if (tries++ < 50) setTimeout(poll, 100);
  };
  poll();
}"""


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
        """`answer` over this app's corpus and index."""
        filters = {"sources": sources, "date_from": date_from, "date_to": date_to, "per_article": per_article}
        return answer(
            question, history, k=k, **filters, corpus_dir=corpus_dir, index_dir=index_dir, with_articles=with_articles
        )

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
        except (OSError, ValueError, IndexError_) as exc:
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


def auth_from_env(value: str | None = None) -> tuple[str, str] | None:
    """Basic-auth credentials from `QA_AUTH="user:password"`; None when unset."""
    value = os.environ.get("QA_AUTH", "") if value is None else value
    if not value.strip():
        return None
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise ValueError('QA_AUTH must look like "user:password"')
    return user.strip(), password


def queue_settings() -> tuple[int, int]:
    """(concurrency, max queue size) from `QA_CONCURRENCY` and `QA_MAX_QUEUE`."""
    return (
        int(os.environ.get("QA_CONCURRENCY") or DEFAULT_CONCURRENCY),
        int(os.environ.get("QA_MAX_QUEUE") or DEFAULT_MAX_QUEUE),
    )


def ensure_index(corpus_dir: Path, index_dir: Path) -> None:
    """Build the index when it is missing or stale, printing progress."""
    from ..cli import _ProgressPrinter
    from ..index.build import build_index, index_status

    status = index_status(corpus_dir, index_dir)
    if status == "fresh":
        return
    print(f"Index is {status}; building it from {corpus_dir} ...", flush=True)
    progress = _ProgressPrinter()
    try:
        report = build_index(corpus_dir, index_dir, on_progress=progress)
    finally:
        progress.close()
    print(report.summary(), flush=True)


def launch(demo, host: str = "127.0.0.1", port: int = 7860, block: bool = True):
    """Queue and serve `demo` with the project's settings (auth from QA_AUTH, queue from QA_CONCURRENCY...)."""
    concurrency, max_queue = queue_settings()
    demo.queue(default_concurrency_limit=concurrency, max_size=max_queue)
    auth = auth_from_env()
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


def serve(
    host: str = "127.0.0.1", port: int = 7860, corpus_dir: Path | None = None, index_dir: Path | None = None
) -> None:
    """Build the index if needed, load it, and serve the chat until interrupted."""
    corpus_dir = Path(corpus_dir or default_corpus_dir())
    index_dir = Path(index_dir or default_index_dir())
    auth_from_env()  # a malformed QA_AUTH fails before anything slow
    try:
        ensure_index(corpus_dir, index_dir)
        retrieve("warm up", k=1, index_dir=index_dir)  # load the index and the model before the first question
    except Exception as exc:  # serve anyway: the page says what is wrong and offers "Rebuild index"
        print(f"warning: the index is not ready: {exc}", flush=True)
    launch(build_app(corpus_dir, index_dir), host=host, port=port)
