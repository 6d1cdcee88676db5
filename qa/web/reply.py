"""The reply model: one question answered through `qa.retrieve`, failures turned into messages a person can act on."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..api import get_retriever, retrieve
from ..config import default_corpus_dir, default_index_dir
from ..index.store import IndexNotFoundError, IndexStoreError
from ..records import Passage
from ..search.options import FIELD_NAMES, SearchOptions
from ..search.when import TimeRange, newest_date, time_range

log = logging.getLogger(__name__)

# The search options the page offers ("prefer recent" once SearchOptions has it).
FORM_FIELDS = ("k", "sources", "date_from", "date_to", "per_article") + (
    ("prefer_recent",) if "prefer_recent" in FIELD_NAMES else ()
)


@dataclass
class Reply:
    """What one question gets: the passages, or a notice saying why there are none."""

    question: str
    passages: list[Passage] = field(default_factory=list)
    notice: str | None = None  # a message for the user instead of (or besides) passages
    error: bool = False  # the notice reports a problem rather than an empty result
    articles: dict[str, str] = field(default_factory=dict)  # article_id -> full clean text
    when: str | None = None  # the date range the question named and how it was used, said in the reply
    time_range: TimeRange | None = None  # that range, when the passages are limited to it

    @property
    def answer(self) -> str:
        """The short answer: the best highlighted sentence, else the notice."""
        return self.passages[0].highlight if self.passages else (self.notice or "")


def shown_path(path: Path) -> str:
    """`path` relative to the working folder when it is inside it, else its name: no absolute path in the page."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return Path(path).name or "."


def hide_paths(message: object, *folders: Path) -> str:
    """`message` with the absolute paths of `folders` replaced by their shown form (see `shown_path`)."""
    text = str(message)
    for folder in folders:
        for form in sorted({str(Path(folder).resolve()), str(folder)}, key=len, reverse=True):
            if form not in (".", ""):
                text = text.replace(form, shown_path(folder))
    return text


def no_index_message(corpus_dir: Path, index_dir: Path) -> str:
    return (
        "There is no index yet, so there is nothing to search. Press “Rebuild index” in the Index panel, "
        f"or run: qa build --corpus {shown_path(corpus_dir)} --index {shown_path(index_dir)}"
    )


def form_options(form: Mapping[str, object]) -> SearchOptions:
    """`SearchOptions` from the page's (or an API caller's) form values; blank values keep the defaults."""
    unknown = set(form) - set(FORM_FIELDS)
    if unknown:
        raise ValueError(f"unknown search option {', '.join(sorted(unknown))}; known: {', '.join(FORM_FIELDS)}")
    values: dict[str, Any] = {name: value for name, value in form.items() if value not in (None, "")}
    if "k" in values:
        try:
            values["k"] = int(values["k"])  # sliders send floats
        except (TypeError, ValueError):
            raise ValueError(f"k must be a whole number, not {values['k']!r}") from None
    values["per_article"] = bool(values.get("per_article", False))
    if "prefer_recent" in values:
        values["prefer_recent"] = bool(values["prefer_recent"])
    return SearchOptions(**values)


def answer(
    question: str,
    history: Sequence[str] | None = None,
    options: SearchOptions | Mapping[str, object] | None = None,
    *,
    corpus_dir: Path | None = None,
    index_dir: Path | None = None,
    with_articles: bool = False,
    detect_time: bool = True,
) -> Reply:
    """Answer `question` (follow-ups resolved against the earlier questions in `history`). Never raises.

    `options` is a `SearchOptions`, or form values (`FORM_FIELDS`) checked here: a bad value becomes the notice.
    With `detect_time`, a question that names a time ("in April 2018", "last October") and no date range set
    is searched within that time (see `qa.search.when`), and `reply.when` says so.
    """
    corpus_dir = Path(corpus_dir or default_corpus_dir())
    index_dir = Path(index_dir or default_index_dir())
    reply = Reply(question=question or "")
    opts = SearchOptions()
    try:
        opts = options if isinstance(options, SearchOptions) else form_options(options or {})
        earlier = [h for h in history or [] if isinstance(h, str) and h.strip()]
        named = None
        if detect_time and not (opts.date_from or opts.date_to):
            named = time_range(question or "", index_newest(index_dir))
        if named:
            timed = opts.with_(date_from=named.date_from, date_to=named.date_to)
            reply.passages = retrieve(question or "", history=earlier, index_dir=index_dir, options=timed)
            if reply.passages:
                reply.time_range = named
                reply.when = f"Searched only articles {range_phrase(named)}, as the question asks."
            else:
                reply.passages = retrieve(question or "", history=earlier, index_dir=index_dir, options=opts)
                reply.when = f"No article {range_phrase(named)} matches, so these passages are from any date."
        else:
            reply.passages = retrieve(question or "", history=earlier, index_dir=index_dir, options=opts)
        if with_articles:
            retriever = get_retriever(index_dir)
            for p in reply.passages:
                if p.article_id not in reply.articles:
                    reply.articles[p.article_id] = retriever.article(p.article_id)["text"]
    except (ValueError, TypeError) as exc:
        reply.notice, reply.error = str(exc), True
    except IndexNotFoundError:
        reply.notice, reply.error = no_index_message(corpus_dir, index_dir), True
    except IndexStoreError as exc:
        reply.notice, reply.error = f"The index cannot be used: {hide_paths(exc, corpus_dir, index_dir)}", True
    except Exception:
        log.exception("answering %r failed", question)
        reply.notice, reply.error = "Something went wrong while answering. Please try again.", True
    if not reply.passages and not reply.error:
        filtered = bool(opts.sources or opts.date_from or opts.date_to)
        reply.notice = "No passage in the archive matches this question" + (
            " with the current filters. Try fewer publishers or a wider date range." if filtered else "."
        )
    return reply


def index_newest(index_dir: Path) -> date | None:
    """The date of the newest article of the served index ("last October" is counted from it)."""
    retriever = get_retriever(index_dir)
    newest = getattr(retriever, "newest", None)  # cached per index version by the retriever
    if newest is not None or hasattr(retriever, "newest"):
        return newest
    return newest_date([a.get("published") for a in retriever.index.articles])


def range_phrase(named: TimeRange) -> str:
    """ "from April 2018", "since March 2018", "before 2017"."""
    first = named.label.split()[0].lower()
    open_ended = first in ("since", "after", "from", "before", "until", "till", "by")
    return named.label if open_ended else f"from {named.label}"


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
        "when": reply.when,
    }
