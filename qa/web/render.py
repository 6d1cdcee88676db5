"""HTML for the chat: the answer, source cards, the Index panel. Article text is data, never markup.

Every string that comes from an article or the index goes through `esc` (html.escape) before it is placed
in the page, so `<script>`, tags or Markdown in an article show as the literal text.
"""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

from ..api import get_retriever
from ..index.store import IndexNotFoundError, IndexStoreError
from ..records import Passage
from .reply import Reply, hide_paths, no_index_message, shown_path

SNIPPET_CHARS = 480  # passages longer than this show a window around the answer, expandable to the whole
CONTEXT_CHARS = 170  # characters of context either side of the answer sentence in that window
ARTICLE_CHARS = 30_000  # "show the whole article" shows at most this much (the file has the rest)


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def marked(text: str, start: int, end: int, answer: tuple[int, int] | None = None) -> str:
    """`text` escaped, with [start, end) wrapped in <mark> (and the `answer` span inside it in <strong>)."""
    return f"{esc(text[:start])}<mark>{_bold(text, start, end, answer)}</mark>{esc(text[end:])}"


def answer_span(p: Passage) -> tuple[int, int] | None:
    """The short answer's span in `p.text` when the passage has one inside its highlighted sentence."""
    start, end = getattr(p, "answer_start", None), getattr(p, "answer_end", None)
    if not getattr(p, "answer", None) or not isinstance(start, int) or not isinstance(end, int):
        return None
    return (start, end) if p.highlight_start <= start < end <= p.highlight_end else None


def _bold(text: str, start: int, end: int, answer: tuple[int, int] | None) -> str:
    """text[start:end] escaped, with the `answer` span (inside it) in <strong>."""
    if not answer:
        return esc(text[start:end])
    a, b = answer
    return f"{esc(text[start:a])}<strong class='qa-short'>{esc(text[a:b])}</strong>{esc(text[b:end])}"


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
    sentence = _bold(p.text, p.highlight_start, p.highlight_end, answer_span(p))
    return f"{esc(flat(before.split()))} <mark>{sentence}</mark> {esc(flat(after.split()))}"


def pretty_date(published: str | None) -> str:
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
    meta.append(f"<span class='qa-date'>{esc(pretty_date(p.published))}</span>" if p.published else "")
    meta.append(_link(p))
    meta_html = "<span class='qa-dot'>·</span>".join(m for m in meta if m)
    if len(p.text) > SNIPPET_CHARS:
        passage = (
            "<details class='qa-passage qa-long'>"
            f"<summary><span class='qa-snippet'>{_snippet(p)}</span>"
            "<span class='qa-more'>Show the whole passage</span></summary>"
            f"<div class='qa-full'>{marked(p.text, p.highlight_start, p.highlight_end, answer_span(p))}</div></details>"
        )
    else:
        passage = f"<div class='qa-passage'>{marked(p.text, p.highlight_start, p.highlight_end, answer_span(p))}</div>"
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
    when = f"<div class='qa-when'>{esc(reply.when)}</div>" if getattr(reply, "when", None) else ""
    if not reply.passages:
        kind = "qa-error" if reply.error else "qa-empty"
        return f"{when}<div class='qa-notice {kind}'>{esc(reply.notice)}</div>"
    best = reply.passages[0]
    span = answer_span(best)
    short = f"<div class='qa-answer-short'>{esc(best.answer)}</div>" if span else ""
    origin = " · ".join(esc(x) for x in (best.title, best.source, pretty_date(best.published)) if x)
    cards = "".join(render_card(rank, p, reply.articles.get(p.article_id)) for rank, p in enumerate(reply.passages, 1))
    n = len(reply.passages)
    return (
        f"{when}<div class='qa-answer'><div class='qa-answer-label'>Answer</div>"
        f"{short}<div class='qa-answer-text'>{_bold(best.text, best.highlight_start, best.highlight_end, span)}</div>"
        f"<div class='qa-answer-origin'>{origin}</div></div>"
        f"<div class='qa-sources-label'>{n} source{'s' if n != 1 else ''}</div>{cards}"
    )


def render_question(question: str, turn: str = "") -> str:
    return f"<div class='qa-question qa-turn t{esc(turn)}'>{esc(question)}</div>"


def index_summary(corpus_dir: Path, index_dir: Path) -> str:
    """The Index panel: what is loaded and how it was built (HTML, every value escaped)."""
    try:
        manifest = get_retriever(index_dir).index.manifest
    except IndexNotFoundError:
        return f"<div class='qa-notice qa-error'>{esc(no_index_message(corpus_dir, index_dir))}</div>"
    except IndexStoreError as exc:
        return f"<div class='qa-notice qa-error'>{esc(hide_paths(exc, corpus_dir, index_dir))}</div>"
    built = manifest.built_at.replace("T", " ").replace("Z", " UTC")
    seconds = manifest.build_seconds
    rows = [
        ("Articles", f"{manifest.n_articles:,}"),
        ("Passages", f"{manifest.n_chunks:,}"),
        ("Model", manifest.model),
        ("Built", built + (f" in {seconds:.1f} s" if isinstance(seconds, (int, float)) else "")),
        ("Corpus", shown_path(corpus_dir)),
        ("Index", shown_path(index_dir)),
    ]
    skipped = manifest.skipped
    if skipped:
        rows.append(("Skipped", f"{len(skipped)} unreadable file{'s' if len(skipped) != 1 else ''}"))
    body = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    return f"<dl class='qa-index'>{body}</dl>"
