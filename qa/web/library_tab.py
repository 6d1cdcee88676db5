"""The Library tab: add articles (upload), the indexed articles (searchable, sortable), articles per month,
the skipped files and why, read an article, remove one (moved to `removed/`, never deleted)."""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr

from ..api import get_retriever
from ..index.manifest import Manifest
from ..index.store import IndexNotFoundError, IndexStoreError
from .building import update_index
from .chat_tab import ChatTab, publishers
from .library import (
    COLUMNS,
    LibraryEntry,
    RemoveError,
    articles_in_file,
    beside_corpus,
    library_entries,
    library_table,
    remove_file,
    removed_dir,
    skipped_files,
    undated_count,
)
from .render import ARTICLE_CHARS, esc, index_summary, pretty_date
from .reply import hide_paths
from .timeline import months_frame
from .uploads import UploadOutcome, UploadPolicy, UploadRefused, accepted_list, save_uploads

log = logging.getLogger(__name__)


def _load(index_dir: Path) -> tuple[list[LibraryEntry], Manifest | None]:
    try:
        index = get_retriever(index_dir).index
    except (IndexNotFoundError, IndexStoreError):
        return [], None
    return library_entries(index), index.manifest


def _skipped_html(manifest: Manifest | None) -> str:
    skipped = skipped_files(manifest)
    if not skipped:
        return "<div class='qa-muted'>No file was skipped.</div>"
    items = "".join(f"<li><code>{esc(path)}</code> — {esc(reason)}</li>" for path, reason in skipped)
    return f"<ul class='qa-skipped'>{items}</ul>"


def _summary_html(entries: list[LibraryEntry], manifest: Manifest | None) -> str:
    if manifest is None:
        return "<div class='qa-notice qa-error'>There is no index yet: add articles or rebuild the index.</div>"
    n_skipped = len(manifest.skipped)
    undated = undated_count(entries)
    parts = [
        f"<b>{len(entries):,}</b> article{'s' if len(entries) != 1 else ''}",
        f"<b>{manifest.n_chunks:,}</b> passages",
        f"{undated} undated" if undated else "",
        f"{n_skipped} skipped file{'s' if n_skipped != 1 else ''}" if n_skipped else "",
    ]
    return "<div class='qa-library-summary'>" + " · ".join(p for p in parts if p) + "</div>"


def _outcome_html(outcome: UploadOutcome, report_lines: list[str], skipped: dict[str, str], counts: dict) -> str:
    rows = []
    for rel in outcome.saved:
        if rel in skipped:
            reason = esc(skipped[rel])
            rows.append(f"<li class='qa-skip'><code>{esc(rel)}</code> was saved but not indexed: {reason}</li>")
        elif counts.get(rel):
            n = counts[rel]
            rows.append(f"<li class='qa-added'>Added <code>{esc(rel)}</code> ({n} article{'s' if n != 1 else ''})</li>")
        else:
            rows.append(
                f"<li class='qa-skip'><code>{esc(rel)}</code> was saved; its article is already in the library "
                "(a copy of another article)</li>"
            )
    for name, rel in outcome.unchanged:
        rows.append(f"<li class='qa-skip'>{esc(name)}: already in the library as <code>{esc(rel)}</code></li>")
    for name, reason in outcome.refused:
        rows.append(f"<li class='qa-refused'>Refused <b>{esc(name)}</b>: {esc(reason)}</li>")
    extra = "".join(f"<div class='qa-muted'>{esc(line)}</div>" for line in report_lines)
    return f"<div class='qa-upload-result'><ul>{''.join(rows)}</ul>{extra}</div>"


def build_library_tab(demo: gr.Blocks, corpus_dir: Path, index_dir: Path, policy: UploadPolicy, chat: ChatTab) -> None:
    """Lay out the library inside the current Tab and wire its events."""

    def views(query: str = ""):
        entries, manifest = _load(index_dir)
        frame = months_frame(entries)
        if frame.empty:
            frame.loc[0] = ["", 0]
        return (
            _summary_html(entries, manifest),
            gr.update(value=library_table(entries, query)),
            gr.update(value=frame, visible=bool(entries), y_lim=[0, max(4, int(frame["articles"].max() or 0) + 1)]),
            _skipped_html(manifest),
        )

    def index_views():
        return index_summary(corpus_dir, index_dir), gr.update(choices=publishers(index_dir))

    def upload_state():
        refusal = policy.refusal()
        if refusal:
            return gr.update(visible=False), gr.update(visible=False), f"<div class='qa-notice'>{esc(refusal)}</div>"
        return gr.update(visible=True), gr.update(visible=True), ""

    def add(files, query, progress=gr.Progress()):  # noqa: B008
        refusal = policy.refusal()
        if refusal:  # checked here too: the page's state is not to be trusted
            return f"<div class='qa-notice qa-error'>{esc(refusal)}</div>", gr.update(), *views(query), *index_views()
        paths = [Path(f) for f in (files or [])]
        if not paths:
            msg = "<div class='qa-notice qa-error'>Choose files first.</div>"
            return msg, gr.update(), *views(query), *index_views()
        progress(0.0, desc="Checking the files")
        try:
            outcome = save_uploads(paths, corpus_dir)
        except UploadRefused as exc:
            outcome = UploadOutcome(refused=[("the upload", str(exc))])
        finally:
            for p in paths:  # Gradio's temporary copies: nothing of the upload stays outside the corpus
                p.unlink(missing_ok=True)
        lines, skipped, counts = [], {}, {}
        if outcome.saved:
            try:
                report = update_index(corpus_dir, index_dir, progress, first=0.05)
                for s in report.skipped:
                    path = s.path.split(":")[0].split("#")[0]
                    skipped.setdefault(path, s.reason)
                entries, _ = _load(index_dir)
                for e in entries:
                    counts[e.path] = counts.get(e.path, 0) + 1
                lines.append(f"{report.summary()}. The chat now uses the new index.")
            except (OSError, ValueError, IndexStoreError) as exc:
                lines.append(f"The index was not updated: {hide_paths(exc, corpus_dir, index_dir)}")
            except Exception:
                log.exception("index update after upload failed")
                lines.append("The index was not updated: an unexpected error.")
        return _outcome_html(outcome, lines, skipped, counts), gr.update(value=None), *views(query), *index_views()

    def open_article(evt: gr.SelectData):
        row = evt.row_value or []
        article_id = str(row[-1]) if row else ""
        try:
            article = get_retriever(index_dir).article(article_id)
        except (KeyError, IndexStoreError):
            return (
                "<div class='qa-notice qa-error'>That article is no longer in the index.</div>",
                "",
                gr.update(visible=False),
                gr.update(visible=False),
            )
        text = article["text"]
        body = esc(text[:ARTICLE_CHARS]) + ("\n\n<em>… cut here.</em>" if len(text) > ARTICLE_CHARS else "")
        meta = " · ".join(
            esc(x) for x in (article.get("source"), pretty_date(article.get("published")), article.get("path")) if x
        )
        url = article.get("url") or ""
        link = (
            f" · <a href='{esc(url)}' target='_blank' rel='noopener noreferrer'>{esc(url)}</a>"
            if url.startswith(("http://", "https://"))
            else ""
        )
        title = esc(article.get("title") or article.get("path"))
        html = (
            f"<div class='qa-reader'><h3 class='qa-reader-title'>{title}</h3>"
            f"<div class='qa-meta'>{meta}{link}</div><div class='qa-article-text qa-reader-text'>{body}</div></div>"
        )
        return html, article_id, gr.update(visible=bool(article.get("path"))), gr.update(visible=False)

    def ask_remove(article_id: str):
        entries, _ = _load(index_dir)
        entry = next((e for e in entries if e.article_id == article_id), None)
        if entry is None:
            return gr.update(visible=False), "<div class='qa-notice qa-error'>Choose an article first.</div>"
        others = len(articles_in_file(entries, entry.path)) - 1
        also = f" It holds {others} other article{'s' if others != 1 else ''}, removed with it." if others else ""
        where = beside_corpus(corpus_dir, removed_dir(corpus_dir))
        return gr.update(visible=True), (
            f"<div class='qa-confirm-text'>Remove <b>{esc(entry.title)}</b>? Its file <code>{esc(entry.path)}</code> "
            f"is moved out of the corpus folder into <code>{esc(where)}/</code> (not deleted) and the index is "
            f"updated.{esc(also)}</div>"
        )

    def remove(article_id: str, query: str, progress=gr.Progress()):  # noqa: B008
        entries, _ = _load(index_dir)
        entry = next((e for e in entries if e.article_id == article_id), None)
        hide = gr.update(visible=False)
        if entry is None:
            msg = "<div class='qa-notice qa-error'>That article is no longer in the index.</div>"
            return msg, hide, hide, "", "", *views(query), *index_views()
        try:
            target = remove_file(corpus_dir, entry.path)
            report = update_index(corpus_dir, index_dir, progress)
            msg = (
                f"<div class='qa-notice qa-removed'>Removed <b>{esc(entry.title)}</b>: moved to "
                f"<code>{esc(beside_corpus(corpus_dir, target))}</code>. {esc(report.summary())}.</div>"
            )
        except RemoveError as exc:
            msg = f"<div class='qa-notice qa-error'>Not removed: {esc(exc)}</div>"
        except (OSError, ValueError, IndexStoreError) as exc:
            msg = f"<div class='qa-notice qa-error'>{esc(hide_paths(exc, corpus_dir, index_dir))}</div>"
        except Exception:
            log.exception("removing %s failed", article_id)
            msg = "<div class='qa-notice qa-error'>The article was not removed: an unexpected error.</div>"
        return msg, hide, hide, "", "", *views(query), *index_views()

    gr.HTML(
        "<div class='qa-muted'>Every article the chat answers from. Click a row to read the article; "
        "sort or filter a column from its ⋮ menu.</div>"
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=480):
            summary = gr.HTML(elem_id="library-summary")
            search = gr.Textbox(
                placeholder="Search titles, publishers, dates, files…",
                show_label=False,
                elem_id="library-search",
                container=False,
            )
            table = gr.Dataframe(
                headers=COLUMNS,
                datatype=["str", "str", "str", "str", "number", "str"],
                interactive=False,
                wrap=True,
                max_height=520,
                column_widths=["34%", "15%", "13%", "24%", "14%", "0%"],  # ID: hidden by the CSS
                elem_id="library-table",
            )
            reader = gr.HTML(elem_id="article-reader")
            selected = gr.State("")
            remove_button = gr.Button(
                "Remove this article…", visible=False, variant="secondary", size="sm", elem_id="remove"
            )
            with gr.Column(visible=False, variant="panel", elem_id="confirm-remove") as confirm:
                confirm_text = gr.HTML()
                with gr.Row():
                    yes = gr.Button("Yes, move it to removed/", variant="stop", size="sm", elem_id="confirm-yes")
                    no = gr.Button("Cancel", size="sm", elem_id="confirm-no")
            removed_msg = gr.HTML(elem_id="remove-result")
        with gr.Column(scale=2, min_width=320):
            with gr.Accordion("Add articles", open=True, elem_id="add-articles"):
                off = policy.refusal()  # set again on load: `launch` tells the policy where the server listens
                notice = f"<div class='qa-notice'>{esc(off)}</div>" if off else ""
                upload_notice = gr.HTML(notice, elem_id="upload-notice")
                files = gr.File(
                    file_count="multiple",
                    label="Article files, or a .zip of them",
                    elem_id="upload-files",
                    height=180,
                    visible=off is None,
                )
                gr.HTML(f"<div class='qa-muted'>Read: {esc(accepted_list())}.</div>", elem_id="upload-formats")
                add_button = gr.Button("Add to the library", variant="primary", elem_id="upload", visible=off is None)
                upload_result = gr.HTML(elem_id="upload-result")
            months = gr.BarPlot(
                x="month",
                y="articles",
                label="Articles per month",
                x_title="Month",
                y_title="Articles",
                height=220,
                x_label_angle=-45,
                elem_id="per-month",
            )
            with gr.Accordion("Skipped files", open=False, elem_id="skipped"):
                skipped = gr.HTML(elem_id="skipped-files")

    view_outputs = [summary, table, months, skipped]
    index_outputs = [chat.info, chat.sources]
    search.change(views, search, view_outputs, api_visibility="private", queue=False)
    add_button.click(
        add,
        [files, search],
        [upload_result, files, *view_outputs, *index_outputs],
        api_visibility="private",
        concurrency_limit=1,
        concurrency_id="rebuild",
        show_progress_on=[upload_result],
    )
    table.select(open_article, None, [reader, selected, remove_button, confirm], api_visibility="private")
    remove_button.click(ask_remove, selected, [confirm, confirm_text], api_visibility="private", queue=False)
    no.click(lambda: gr.update(visible=False), None, confirm, api_visibility="private", queue=False)
    yes.click(
        remove,
        [selected, search],
        [removed_msg, confirm, remove_button, reader, selected, *view_outputs, *index_outputs],
        api_visibility="private",
        concurrency_limit=1,
        concurrency_id="rebuild",
        show_progress_on=[removed_msg],
    )
    demo.load(views, search, view_outputs, api_visibility="private")
    demo.load(upload_state, None, [files, add_button, upload_notice], api_visibility="private", queue=False)
