"""Take an answer away: as Markdown with its citations, its passages as CSV or JSON, and a link that asks it."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import quote

from .reply import Reply, passage_to_api

CSV_FIELDS = ["rank", "title", "source", "published", "file", "url", "score", "highlight", "text"]


def _md_text(text: str) -> str:
    """Text for Markdown: one line, Markdown's special characters escaped so article text stays text."""
    flat = " ".join(str(text or "").split())
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", flat)


def question_link(question: str) -> str:
    """The page's relative link that opens the chat and asks `question`."""
    return "?q=" + quote(" ".join((question or "").split()), safe="")


def reply_markdown(reply: Reply) -> str:
    """The answer, then numbered citations: each source with the sentence it answers with, quoted."""
    if not reply.passages:
        return f"**Q:** {_md_text(reply.question)}\n\n{_md_text(reply.notice or '')}\n"
    lines = [f"**Q:** {_md_text(reply.question)}", ""]
    short = getattr(reply.passages[0], "answer", None)
    lines += [f"**A:** {f'**{_md_text(short)}** — ' if short else ''}{_md_text(reply.answer)} [1]", ""]
    if getattr(reply, "when", None):
        lines += [f"_{_md_text(reply.when)}_", ""]
    lines += ["**Sources**", ""]
    for rank, p in enumerate(reply.passages, 1):
        where = p.url or p.path
        origin = ", ".join(_md_text(x) for x in (p.source, p.published) if x)
        link = f"<{where}>" if re.match(r"https?://", where or "") else f"`{(where or '').replace('`', '')}`"
        lines.append(f"{rank}. **{_md_text(p.title or where)}** — {origin}{' — ' if origin else ''}{link}")
        lines.append(f"   > {_md_text(p.highlight)}")  # the sentence cited; the CSV and JSON have the passages
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def passages_csv(reply: Reply) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for rank, p in enumerate(reply.passages, 1):
        row = passage_to_api(p)
        # A cell starting with = + - @ is a formula in spreadsheets: quote it as text.
        clean = {k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@\t\r" else v) for k, v in row.items()}
        writer.writerow({"rank": rank, **clean})
    return out.getvalue()


def passages_json(reply: Reply) -> str:
    data = {
        "question": reply.question,
        "answer": reply.answer,
        "when": getattr(reply, "when", None),
        "passages": [passage_to_api(p) for p in reply.passages],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)
