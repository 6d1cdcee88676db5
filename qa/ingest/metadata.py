"""Title, publication date and publisher of a scraped text page.

- **Title**: the headline is a short, title-like line shortly before the article body that is not
  furniture and shares words with the body. Each candidate line is scored by a small logistic model
  (weights in ``models/boilerplate.json``, trained by ``train/boilerplate.py``) and the best one wins.
- **Date**: a date printed on a short line near the headline or the byline (or after "Published",
  "Updated", "Posted"), never one from a list in the body or from the page's comments; a year-less date
  takes its year from another date or a copyright line of the page.
- **Publisher**: see `qa.ingest.publisher`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from .boilerplate import FURNITURE_WORDS, STOP_WORDS, WORD, Line, LineModel, default_model
from .dates import parse_date

TITLE_FEATURES = (
    "before_body",
    "log_distance",
    "log_words",
    "capital_share",
    "ends_punct",
    "furniture_share",
    "date_like",
    "byline",
    "body_overlap",
    "lead_overlap",
    "repeats",
    "p_body",
    "position",
    "separator",
    "question",
    "just_before_body",
    "within_3_before_body",
    "within_8_before_body",
    "meta_follows",
    "long",
    "ends_period",
    "after_short_line",
    "title_case",
    "credit_words",
    "shaped",
    "standfirst_follows",
    "log_shaped_to_body",
    "stop_share",
    "echoed",
    "log_shaped_since_header",
    "first_related",
)
_CREDIT = re.compile(r"\b(?:photo|photograph|image|getty|reuters|ap|afp|credit|courtesy|illustration|file)\b|/", re.I)
_BREADCRUMB = re.compile(r"\s+(?:»|>>|>|/|›|→)\s+")
_BYLINE = re.compile(r"^(?:by|written by|posted by|author|words by)\b", re.IGNORECASE)


def is_byline(text: str) -> bool:
    """A byline ("By ...", "Written by ...", "Author: ..."): never a headline, never a publisher."""
    return bool(_BYLINE.match(text))


def _content_words(text: str) -> list[str]:
    return [w for w in (t.lower() for t in WORD.findall(text)) if w not in STOP_WORDS and len(w) > 2]


def headline_text(text: str) -> str:
    """A headline without the breadcrumb trail printed before it ("Home » Recipes » Focaccia")."""
    text = re.sub(r"^(?:you are here|share all sharing options for)\s*:\s*", "", text, flags=re.IGNORECASE)
    parts = _BREADCRUMB.split(text)
    if len(parts) >= 3 or (len(parts) == 2 and parts[0].lower() in {"home", "news", "blog"}):
        return parts[-1]
    return text


def _key(text: str) -> str:
    return " ".join(t.lower() for t in WORD.findall(text))


def headline_shaped(text: str) -> bool:
    """A line shaped like a headline: 4-20 words, no final period, few furniture words, not a date or byline."""
    toks = WORD.findall(text)
    if not 4 <= len(toks) <= 20 or text.endswith(".") or len(text) > 200 or _BYLINE.match(text):
        return False
    return sum(t.lower() in FURNITURE_WORDS for t in toks) <= len(toks) / 5 and parse_date(text) is None


def _standfirst(text: str, than: int) -> bool:
    """A line that reads like a standfirst under a headline of `than` words: longer, a phrase or a sentence."""
    toks = WORD.findall(text)
    return than + 2 <= len(toks) <= 60 and not _BYLINE.match(text) and not _CREDIT.search(text)


def title_candidates(lines: Sequence[Line], p: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Indices of the lines that could be the headline, and one row of `TITLE_FEATURES` for each."""
    n = len(lines)
    if not n:
        return [], np.zeros((0, len(TITLE_FEATURES)))
    body_idx = np.nonzero(p >= 0.5)[0]
    first = int(body_idx[0]) if len(body_idx) else 0
    body_words = Counter(w for i in body_idx for w in _content_words(lines[i].text))
    lead = set(w for i in body_idx[:3] for w in _content_words(lines[i].text))
    keys = [_key(line.text) for line in lines]  # "Headline –" repeats "Headline"
    counts = Counter(keys)
    idx, rows = [], []
    last = min(n, first + 12)  # candidates end 8 lines into the body; a byline or date may follow them
    shaped = [headline_shaped(headline_text(x.text)) for x in lines[: last + 1]]
    related = []  # title-shaped lines about the article (sharing words with its lead), in page order
    for j, is_shaped in enumerate(shaped):
        if is_shaped:
            content = _content_words(headline_text(lines[j].text))
            shared = sum(w in lead for w in content)
            if shared >= 2 and shared >= 0.4 * len(content):
                related.append(j)
    meta_line = [(len(x.text) < 120 and bool(parse_date(x.text))) or bool(_BYLINE.match(x.text)) for x in lines[:last]]
    for i, line in enumerate(lines):
        text = headline_text(line.text)
        toks = WORD.findall(text)
        if not 2 <= len(toks) <= 30 or len(text) > 250:
            continue
        if i > first + 8:
            break
        content = _content_words(text)
        lower = [t.lower() for t in toks]
        before = i < first
        nxt = next((j for j in range(i + 1, min(n, i + 4)) if keys[j] != keys[i]), i + 1)  # a repeat skipped
        rows.append(
            (
                float(before),
                math.log1p(abs(first - i)),
                math.log1p(len(toks)),
                sum(t[0].isupper() for t in toks) / len(toks),
                float(text[-1] in ".!,;:"),
                sum(t in FURNITURE_WORDS for t in lower) / len(toks),
                float(parse_date(text) is not None),
                float(bool(_BYLINE.match(text))),
                sum(w in body_words for w in content) / len(content) if content else 0.0,
                sum(w in lead for w in content) / len(content) if content else 0.0,
                float(counts[keys[i]] > 1),
                float(p[i]),
                i / max(n - 1, 1),
                float("|" in text or " - " in text or " – " in text),
                float(text.endswith("?")),
                float(first - i == 1),
                float(0 < first - i <= 3),
                float(0 < first - i <= 8),
                float(any(meta_line[i + 1 : i + 4])),
                float(len(toks) > 15),
                float(text.endswith(".")),
                float(i > 0 and len(lines[i - 1].text.split()) <= 3),
                float(len(toks) >= 3 and sum(t[0].isupper() for t in toks) / len(toks) > 0.7),
                float(bool(_CREDIT.search(text))),
                float(shaped[i]),
                float(nxt < n and _standfirst(lines[nxt].text, len(toks))),
                math.log1p(sum(shaped[j] and keys[j] != keys[i] for j in range(i + 1, first))),
                sum(t in STOP_WORDS for t in lower) / len(toks),
                float(keys[i] in keys[max(0, i - 3) : i] + keys[i + 1 : i + 4]),  # printed twice: <title> and <h1>
                math.log1p(sum(shaped[j] and keys[j] != keys[i] for j in range(max(0, first - 8), i))),
                # the headline is the first line about the article; a subtitle, standfirst or caption follows it
                float(bool(related) and keys[related[0]] == keys[i]),
            )
        )
        idx.append(i)
    return idx, np.array(rows, dtype=float).reshape(-1, len(TITLE_FEATURES))


def find_title(lines: Sequence[Line], p: np.ndarray, model: LineModel | None = None) -> int | None:
    """Index of the headline line, or None."""
    idx, X = title_candidates(lines, p)
    m = (model or default_model()).title
    if not idx or not m:
        return None
    scores = ((X - m["mean"]) / m["scale"]) @ m["coef"]
    return idx[int(np.argmax(scores))]


_DATE_CUE = re.compile(
    r"\b(?:published|updated|posted|last modified|first published|date|written|created)\b", re.IGNORECASE
)
_YEAR = re.compile(r"\b(19[89]\d|20[0-4]\d)\b")


def find_date(lines: Sequence[Line], p: np.ndarray, title_at: int | None) -> str | None:
    """The publication date: a date line near the headline or the start of the body."""
    n = len(lines)
    if not n:
        return None
    body_idx = np.nonzero(p >= 0.5)[0]
    first = int(body_idx[0]) if len(body_idx) else 0
    last = int(body_idx[-1]) if len(body_idx) else n - 1
    anchor = title_at if title_at is not None else first
    best: tuple[float, str] | None = None
    for i, line in enumerate(lines):
        text = line.text
        if len(text) > 200:
            continue
        found = parse_date(text)
        if not found:
            continue
        date = found[0]
        n_words = len(text.split())
        cue = bool(_DATE_CUE.search(text))
        if i > last + 2 and not cue:
            continue
        if n_words > 14 and not cue:
            continue
        if p[i] >= 0.5 and i > first + 1 and not cue:
            continue  # a date inside the body ("June 17 -- Bridgestone Arena") is not the publication date
        cost = abs(i - anchor) + (0 if cue else 2) + (0 if len(date) == 10 else 3) + n_words / 10
        if i > first + 3:
            cost += 10
        if best is None or cost < best[0]:
            best = (cost, date)
    if best is None:
        return None
    date = best[1]
    if len(date) != 10:  # a year-less date: the page's year, when it states one
        years = Counter(y for line in lines for y in _YEAR.findall(line.text) if len(line.text) <= 200)
        if years:
            parsed = parse_date(f"{date} {years.most_common(1)[0][0]}")
            if parsed and len(parsed[0]) == 10:
                return parsed[0]
    return date
