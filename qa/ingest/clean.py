"""Turn a scraped page's text into clean paragraphs plus title, publisher and date.

Scraped news pages carry clutter around the story: navigation ("Skip to main content"), donation
drives, comment prompts, mailing-list prompts, image captions, related-story links. This module
removes it line by line and pulls the metadata the page prints (title, "From – SkyNews", dates).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..text import normalize_space, sentence_spans
from .boilerplate import LineModel, body_mask, default_model, looks_scraped, page_lines
from .dates import parse_date
from .metadata import find_date, find_title, headline_text
from .publisher import find_publisher

# Lines that are page furniture, never story text (matched against the whole stripped line).
_CLUTTER_LINE = re.compile(
    r"""^(?:
        skip\ to\ (?:main\ )?content | exit\ mobile\ version | leave\ a\ (?:comment|reply)
      | you\ must\ be\ logged\ in\ to\ post\ a\ comment\.? | \d+\ comments? | comments?
      | (?:join|subscribe\ to|sign\ up\ (?:for|to))\ .{0,60}(?:mailing\ list|newsletter)s?\.?
      | (?:image|photo|picture|video|caption|credit|photograph)\ ?(?:credit)?\ ?:.*
      | more\ from\ [\w\ ]{1,30} | related(?:\ (?:articles?|stories|posts|news))?:?
      | read\ more:?.{0,120} | advertisement | share\ (?:this|on)\b.{0,40} | follow\ us\b.{0,60}
      | owned\ by\ our\ readers | become\ a\ (?:supporter|member|subscriber)
      | fighting\ fund | donate(?:\ today|\ now)?!? | support\ (?:us|our\ journalism)\b.{0,80}
      | you'?ve\ raised:?.{0,20} | we\ need:?.{0,20} | \d+\ days?\ remaining
      | .{0,40}\bmake\ a\ charitable\ donation\b.{0,80}
      | we'?re\ a\ reader-owned\ co-operative\b.*
      | ::\ .{0,160}
      | print | email | tweet | whatsapp | facebook | twitter | copyright\b.{0,120} | ©.{0,120}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# "From – SkyNews", "Source: Reuters", "By Reuters" as its own line.
_PUBLISHER_LINE = re.compile(r"^(?:from|source|via)\s*[:–—-]\s*(?P<name>.{2,60})$", re.IGNORECASE)
# "MEE – Syrian government forces ..." : an outlet's short name as a dateline prefix.
_PUBLISHER_PREFIX = re.compile(r"^(?P<name>[A-Z][A-Za-z.&]{1,11}(?: [A-Z][A-Za-z.&]{1,11}){0,2}) [–—] (?=\S)")
_OUTLET_WORDS = re.compile(
    r"\b(?:news|times|post|press|agency|herald|guardian|tribune|journal|daily|telegraph|gazette|"
    r"reuters|afp|bbc|cnn|tass|interfax|sputnik|al jazeera|bloomberg|associated press|mirror|express)\b",
    re.IGNORECASE,
)
# Section labels such as "Weapons of Mass Destruction (WMD)".
_SECTION_LABEL = re.compile(r"^[\w ,&'-]{3,60}\([A-Z]{2,6}\)$")


@dataclass
class CleanPage:
    title: str
    source: str
    published: str | None
    text: str  # clean paragraphs joined by blank lines


# A line that is mostly a date: the date plus at most a few words such as "Written by" or "(updated …)".
_MAX_DATE_LINE_EXTRA_WORDS = 4
_TIME_WORD = re.compile(r"^\d{1,2}[:.]\d{2}(?:[ap]\.?m\.?)?$|^\d{1,2}$", re.IGNORECASE)
_DATELINE_WORDS = frozenset(
    """written by posted published updated last modified on at am pm a.m p.m gmt utc bst cet cest edt est pdt pst
    et pt ist aest date time first""".split()  # noqa: SIM905
)
# A date line is short; longer lines are never searched (date patterns are slow on megabyte lines).
_MAX_DATE_LINE_CHARS = 200


def _date_line(line: str) -> str | None:
    if len(line) > _MAX_DATE_LINE_CHARS:
        return None
    found = parse_date(line)
    if not found:
        return None
    date, start, end = found
    rest = re.sub(r"\(.*?\)|[,|–—-]", " ", line[:start] + " " + line[end:])
    rest_words = [w for w in rest.split() if not parse_date(w) and not _TIME_WORD.match(w)]
    if len(rest_words) > _MAX_DATE_LINE_EXTRA_WORDS:
        return None
    # "April 10, 2017, Written by" is a dateline; "June 17 -- Bridgestone Arena, Nashville, TN" is a tour list
    if not line.lower().startswith("by ") and any(w.lower().strip(".:") not in _DATELINE_WORDS for w in rest_words):
        return None
    return date


def is_clutter(line: str) -> bool:
    return bool(_CLUTTER_LINE.match(line.strip()))


MAX_TITLE_CHARS = 200  # titles are embedded with every chunk: a long one would crowd out the text
_MAX_HEADLINE_CHARS = 300  # 25 words of normal length; a line of three giant "words" is no headline


def _is_headline(line: str) -> bool:
    n_words = len(line.split())
    return (
        3 <= n_words <= 25
        and len(line) <= _MAX_HEADLINE_CHARS
        and not line.endswith((".", ":", '?"', ".”"))
        and not _SECTION_LABEL.match(line)
    )


def _is_body(line: str) -> bool:
    return len(line.split()) >= 16 and line.rstrip()[-1:] in '.!?"”’)'


def _short_title(text: str, limit: int = 100) -> str:
    spans = sentence_spans(text)
    first = text[spans[0][0] : spans[0][1]] if spans else text
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "…"


def clean_page(
    raw: str,
    title: str = "",
    source: str = "",
    published: str | None = None,
    *,
    scraped: bool | None = True,
    furniture: Callable[[str], bool] | None = None,
    model: LineModel | None = None,
) -> CleanPage:
    """Clean a page's text; metadata given by the caller (e.g. from JSON or HTML) wins.

    `scraped` text (a page saved line by line, with its menus and footers) first goes through the line
    classifier of `qa.ingest.boilerplate`, and title, date and publisher are read from the whole page
    (`qa.ingest.metadata`); text an extractor already cleaned (trafilatura's output) skips that step, and
    `scraped=None` decides by the text's shape (`looks_scraped`).
    `furniture` tells the lines that recur across the files of the same site (`qa.ingest.recurrence`).
    """
    if scraped or (scraped is None and looks_scraped(page_lines(raw))):
        raw, title, source, published = _classify_lines(raw, title, source, published, furniture, model)
    lines = [normalize_space(line) for line in raw.split("\n")]
    paragraphs: list[str] = []
    in_header = True  # before the first body paragraph, headline/date/publisher lines are metadata
    for line in lines:
        if not line or is_clutter(line):
            continue
        if in_header:
            publisher = _PUBLISHER_LINE.match(line)
            if publisher and len(line.split()) <= 8:
                source = source or publisher.group("name").strip(" .")
                continue
            date = _date_line(line)
            if date:
                published = published or date
                continue
            if _SECTION_LABEL.match(line):
                continue
            if len(line.split()) <= 4 and len(line) <= 60 and _OUTLET_WORDS.search(line) and not line.endswith("."):
                source = source or line
                continue
            if not title and _is_headline(line):
                title = line
                continue
            if title and line.rstrip(" –—-:") == title:
                continue  # the headline repeated (some sites print it twice)
            if _is_body(line):
                in_header = False
                prefix = _PUBLISHER_PREFIX.match(line)
                if prefix:
                    source = source or prefix.group("name")
                    line = line[prefix.end() :]
        paragraphs.append(line)
    paragraphs = _drop_repeats(paragraphs)
    text = "\n\n".join(paragraphs)
    if not title and text:
        title = _short_title(text)
    if len(title) > MAX_TITLE_CHARS:  # e.g. a JSON "title" holding a whole paragraph
        title = _short_title(title, MAX_TITLE_CHARS)
    return CleanPage(title=title, source=source, published=published, text=text)


_MIN_PROSE_WORDS = 10  # a page without one line this long after removing its site's furniture has no story


def _classify_lines(raw, title, source, published, furniture, model):
    """Keep the article lines of a scraped page; fill in metadata the caller did not give."""
    lines = page_lines(raw)
    if not lines:
        return raw, title, source, published
    if furniture is not None:
        own = [line for line in lines if not furniture(line.text)]
        if any(len(line.text.split()) >= _MIN_PROSE_WORDS for line in own):  # else: copies of one story
            lines = own
    model = model or default_model()
    p = model.predict(lines)
    keep = body_mask(lines, p, model.threshold)
    if not keep.any():  # a short story among much furniture: its most article-like prose lines
        keep = (p >= p.max() / 2) & np.array([len(line.text.split()) >= _MIN_PROSE_WORDS for line in lines])
    if not keep.any():
        return raw, title, source, published  # nothing looks like an article: leave it to the rules
    title_at = find_title(lines, p, model)
    if not title and title_at is not None:
        title = headline_text(lines[title_at].text)
    published = published or find_date(lines, p, title_at)
    source = source or find_publisher(lines, p, model, title_at)
    kept = [line.text for i, line in enumerate(lines) if keep[i] and i != title_at]
    return "\n\n".join(kept), title, source, published


def _drop_repeats(paragraphs: list[str]) -> list[str]:
    """Remove repeated paragraphs and sentences: scraped pages often print a paragraph twice.

    A prose sentence (at least `_MIN_REPEAT_WORDS` words) is dropped when an earlier sentence of the
    article equals it or makes up most of it (e.g. "The Moscow Times reports the head of …" repeating
    "The head of …"). List items ("Breakfast: …" for each day of a meal plan) and short lines are never
    dropped: their words legitimately recur.
    """
    seen = _SeenSentences()
    kept_paragraphs: list[str] = []
    for para in paragraphs:
        list_item = bool(_LIST_ITEM.match(para)) or len(para.split()) < _MIN_REPEAT_WORDS
        kept = []
        for start, end in sentence_spans(para):
            sentence = para[start:end]
            key = sentence.lower()
            if not list_item and len(key) >= _MIN_REPEAT_CHARS and len(key.split()) >= _MIN_REPEAT_WORDS:
                if seen.repeats(key):
                    continue
                seen.add(key)
            kept.append(sentence)
        if kept:
            kept_paragraphs.append(" ".join(kept))
    return kept_paragraphs


_MIN_REPEAT_CHARS = 40  # shorter sentences ("He said no.") may legitimately recur
_MIN_REPEAT_WORDS = 12  # a repeated prose sentence; shorter lines (menu items, scores, recipe steps) may recur
# A list item ("Breakfast: oatmeal with berries", "- 2 eggs", "3. Stir well") legitimately repeats its words.
_LIST_ITEM = re.compile(r"^(?:[-*•–—►▪◦]\s|\d{1,2}[.)]\s|[\w'’ &/-]{1,30}:\s)")
_REPEAT_SHARE = 0.7  # an earlier sentence making up this much of a longer one repeats it
_TAIL = int(_MIN_REPEAT_CHARS * _REPEAT_SHARE)  # every earlier sentence that can repeat is at least this long


class _SeenSentences:
    """Earlier sentences, indexed by their last `_TAIL` characters so finding a repeat stays linear.

    An earlier sentence that occurs inside a new one also has its tail inside it, so looking up every
    `_TAIL`-character window of the new sentence finds all candidates (comparing against every earlier
    sentence was quadratic: minutes for a long page).
    """

    def __init__(self) -> None:
        self.exact: set[str] = set()
        self.by_tail: dict[str, list[str]] = {}
        self.longest = 0

    def add(self, sentence: str) -> None:
        self.exact.add(sentence)
        self.longest = max(self.longest, len(sentence))
        if len(sentence) >= _TAIL:
            self.by_tail.setdefault(sentence[-_TAIL:], []).append(sentence)

    def repeats(self, sentence: str) -> bool:
        if sentence in self.exact:
            return True
        shortest = max(_TAIL, math.ceil(_REPEAT_SHARE * len(sentence)))
        if self.longest < shortest:
            return False
        for end in range(shortest, len(sentence) + 1):  # a long enough earlier sentence ends past `shortest`
            for earlier in self.by_tail.get(sentence[end - _TAIL : end], ()):
                if len(earlier) >= _REPEAT_SHARE * len(sentence) and earlier in sentence:
                    return True
        return False
