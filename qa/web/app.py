"""The Gradio page: the Chat and Library tabs, plus the /chat and /retrieve APIs.

A thin layer: every answer comes from `qa.web.reply.answer` (i.e. `qa.retrieve`), every index update from
`qa.index.build.build_index` (`qa.web.building`). The tabs are `qa.web.chat_tab` and `qa.web.library_tab`.
Process start-up (index check, sign-in and queue settings) is `qa.cli`'s.
"""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr

from ..config import PROJECT_ROOT, default_corpus_dir, default_index_dir
from .chat_tab import build_chat_tab
from .library_tab import build_library_tab
from .reply import Reply, answer, passage_to_api, reply_to_api
from .uploads import UploadLimits, UploadPolicy, uploads_enabled_by_env

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
EXAMPLES = [
    "How many cruise missiles did the Russian warships fire?",
    "Which Russian senator said Russia will not intercept US missiles?",
    "What did Dmitry Peskov say about the military communication channel?",
    "Are Syrian forces using Russian-built drones?",
]
SAMPLE_CORPUS = PROJECT_ROOT / "corpus"


def static_text(name: str) -> str:
    """A file of `static/`; `//` comment lines are dropped (Gradio's `js=` takes a bare function)."""
    text = (STATIC / name).read_text(encoding="utf-8")
    if name.endswith(".js"):
        text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    return text


CSS = static_text("style.css")
SCROLL_TO_LATEST_JS = static_text("scroll_to_latest.js")


def _is_sample_corpus(corpus_dir: Path) -> bool:
    try:
        return Path(corpus_dir).resolve() == SAMPLE_CORPUS.resolve() or (
            sorted(p.name for p in Path(corpus_dir).iterdir()) == sorted(p.name for p in SAMPLE_CORPUS.iterdir())
        )
    except OSError:
        return False


def build_app(corpus_dir: Path | None = None, index_dir: Path | None = None, *, allow_uploads: bool | None = None):
    """The Blocks app: the Chat and Library tabs, and the /chat and /retrieve APIs.

    `allow_uploads` (default: `QA_ALLOW_UPLOADS`) lets the Library tab add articles; `launch` turns it off
    again when the server listens beyond 127.0.0.1 without a sign-in.
    """
    corpus_dir = Path(corpus_dir or default_corpus_dir())
    index_dir = Path(index_dir or default_index_dir())
    examples = [{"text": q} for q in EXAMPLES] if _is_sample_corpus(corpus_dir) else None
    policy = UploadPolicy(allowed=uploads_enabled_by_env() if allow_uploads is None else allow_uploads)

    def search(question, history, k, sources, date_from, date_to, per_article, prefer_recent=False) -> Reply:
        """`answer` over this app's corpus and index, with the form's options (checked by `SearchOptions`)."""
        form = {"k": k, "sources": sources, "date_from": date_from, "date_to": date_to, "per_article": per_article}
        if prefer_recent:
            form["prefer_recent"] = True
        return answer(question, history, form, corpus_dir=corpus_dir, index_dir=index_dir)

    def chat_api(
        question: str,
        history: list[str] | None = None,
        k: int = 5,
        sources: list[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        per_article: bool = False,
        prefer_recent: bool = False,
    ) -> dict:
        """The answer to `question` (a follow-up of the questions in `history`) with its passages."""
        return reply_to_api(search(question, history, k, sources, date_from, date_to, per_article, prefer_recent))

    def retrieve_api(
        question: str,
        k: int = 5,
        history: list[str] | None = None,
        sources: list[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        per_article: bool = False,
        prefer_recent: bool = False,
    ) -> list[dict]:
        """The `k` passages that best answer `question`, as a JSON list (each passage's file is in "file")."""
        reply = search(question, history, k, sources, date_from, date_to, per_article, prefer_recent)
        if reply.error:
            raise gr.Error(reply.notice or "failed", print_exception=False)
        return [passage_to_api(p) for p in reply.passages]

    with gr.Blocks(title="News QA", fill_width=False) as demo:
        gr.HTML(
            "<div class='qa-header'><h1>News QA</h1><p>Questions answered from your news archive, offline. "
            "Every answer is quoted from an article and shows its sources.</p></div>"
        )
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Chat", id="chat-tab", elem_id="chat-tab"):
                chat = build_chat_tab(demo, corpus_dir, index_dir, examples, SCROLL_TO_LATEST_JS)
            with gr.Tab("Library", id="library-tab", elem_id="library-tab"):
                build_library_tab(demo, corpus_dir, index_dir, policy, chat)
        gr.api(chat_api, api_name="chat", concurrency_id="chat")
        gr.api(retrieve_api, api_name="retrieve", concurrency_id="chat")
    demo.upload_policy = policy
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
    """Queue and serve `demo`: at most `concurrency` questions at once, `max_queue` waiting, optional sign-in.

    Uploads (when the app allows them) stay off unless the server listens on loopback or signs users in.
    """
    policy = getattr(demo, "upload_policy", None)
    if policy is not None:
        policy.host, policy.auth = host, auth is not None
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
        max_file_size=UploadLimits().max_total_bytes,  # Gradio's own upload route refuses bigger files
    )
