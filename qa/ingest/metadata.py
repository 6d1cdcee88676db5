"""Title, publication date and publisher of a scraped text page.

- **Title**: the headline is a short, title-like line shortly before the article body that is not
  furniture and shares words with the body. Each candidate line is scored by a small logistic model
  (weights in ``models/boilerplate.json``, trained by ``train/boilerplate.py``) and the best one wins.
- **Date**: a date printed on a short line near the headline or the byline (or after "Published",
  "Updated", "Posted"), never one from a list in the body or from the page's comments; a year-less date
  takes its year from another date or a copyright line of the page.
- **Publisher**: the site's name as the page's furniture prints it ("© 2019 The New York Times Company",
  "Follow Lifehacker", "Search LA Weekly", "About eHow", "The Verge homepage"), the name printed most
  often in such places wins.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from .boilerplate import _FURNITURE, _STOP, _WORD, Line, LineModel, default_model
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
)
_BREADCRUMB = re.compile(r"\s+(?:»|>>|>|/|›|→)\s+")
_BYLINE = re.compile(r"^(?:by|written by|posted by|author|words by)\b", re.IGNORECASE)


def _content_words(text: str) -> list[str]:
    return [w for w in (t.lower() for t in _WORD.findall(text)) if w not in _STOP and len(w) > 2]


def headline_text(text: str) -> str:
    """A headline without the breadcrumb trail printed before it ("Home » Recipes » Focaccia")."""
    text = re.sub(r"^(?:you are here|share all sharing options for)\s*:\s*", "", text, flags=re.IGNORECASE)
    parts = _BREADCRUMB.split(text)
    if len(parts) >= 3 or (len(parts) == 2 and parts[0].lower() in {"home", "news", "blog"}):
        return parts[-1]
    return text


def title_candidates(lines: Sequence[Line], p: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Indices of the lines that could be the headline, and one row of `TITLE_FEATURES` for each."""
    n = len(lines)
    if not n:
        return [], np.zeros((0, len(TITLE_FEATURES)))
    body_idx = np.nonzero(p >= 0.5)[0]
    first = int(body_idx[0]) if len(body_idx) else 0
    body_words = Counter(w for i in body_idx for w in _content_words(lines[i].text))
    lead = set(w for i in body_idx[:3] for w in _content_words(lines[i].text))
    counts = Counter(line.text.lower() for line in lines)
    idx, rows = [], []
    meta_line = [(bool(parse_date(x.text)) and len(x.text) < 120) or bool(_BYLINE.match(x.text)) for x in lines]
    for i, line in enumerate(lines):
        text = headline_text(line.text)
        toks = _WORD.findall(text)
        if not 2 <= len(toks) <= 30 or len(text) > 250:
            continue
        if i > first + 8:
            break
        content = _content_words(text)
        lower = [t.lower() for t in toks]
        before = i < first
        rows.append(
            (
                float(before),
                math.log1p(abs(first - i)),
                math.log1p(len(toks)),
                sum(t[0].isupper() for t in toks) / len(toks),
                float(text[-1] in ".!,;:"),
                sum(t in _FURNITURE for t in lower) / len(toks),
                float(parse_date(text) is not None),
                float(bool(_BYLINE.match(text))),
                sum(w in body_words for w in content) / len(content) if content else 0.0,
                sum(w in lead for w in content) / len(content) if content else 0.0,
                float(counts[text.lower()] > 1),
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


_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b", re.IGNORECASE)
_CUE = re.compile(
    r"^(?:follow|search|about|subscribe to|welcome to|support|contact|advertise (?:with|on)|new to|get|sign up for)\s"
    r"|\s(?:homepage|home page|main menu|navigation|logo|newsletters?|daily|store)\W*$"
    r"|(?:contributing an answer to|the latest from|why you can trust|is published by|powered by)\s"
    r"|^(?:from|source|via)\s*[:–—-]\s",
    re.IGNORECASE,
)
_EXPLICIT = re.compile(r"^(?:from|source|via)\s*[:–—-]\s*(?P<name>\S.{0,58})$", re.IGNORECASE)
_DOMAIN = re.compile(r"\b(?:www\.|m\.)?(?P<name>[a-z][a-z0-9-]{1,40})\.(?:com|org|net|co\.uk|com\.au|news|co)\b", re.I)
# Capitalised words, joined by a few lower-case connectors: "The Seattle Times", "Atlas Obscura", "CityLab".
_CAP_WORD = r"(?:[A-Z][\w'’&.®⇒-]*|[0-9]+[A-Za-z][\w]*)"
_CAP_SPAN = re.compile(rf"{_CAP_WORD}(?:\s+(?:(?:of|and|the|for|on|&|-)\s+)?{_CAP_WORD}){{0,4}}")
_GENERIC = frozenset(
    """home news world politics business sports sport tech technology science health entertainment opinion
    culture lifestyle travel food style arts books video videos photos search menu subscribe login about contact
    privacy terms more latest popular share email print us me this our the you your my it its comments reply
    advertisement newsletter newsletters follow followed following read related tags category categories edition
    international u.s. uk local national weather markets economy magazine blog podcast podcasts live events
    shop store jobs careers help faq sitemap accessibility cookie cookies settings policy use conditions
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december today yesterday go back top next previous all rights reserved by
    image photo picture credit getty images reuters ap afp posted updated published copyright i we he she they
    what how why when where who new free more most top best view watch listen sign up in out log see also
    read more click here leave comment cancel post go""".split()  # noqa: SIM905
)


def _tidy(name: str) -> str:
    name = re.split(r"\s+(?:\||·|•|–|—|-)\s+|\.\s+All\b", name, maxsplit=1)[0]
    name = re.sub(r"[\s,]+(?:Inc|LLC|Ltd|Limited|Corp|Corporation|Co|GmbH|plc|S\.A)\.?$", "", name)
    return name.strip(" .,:;-®'’")


def _generic(name: str) -> bool:
    words = [w.lower().strip(".'’") for w in name.split()]
    return all(w in _GENERIC or w in _STOP or w in _FURNITURE or w.isdigit() for w in words)


def find_publisher(lines: Sequence[Line], p: np.ndarray) -> str:
    """The site's name as its furniture prints it, or "" when the page does not say.

    Each capitalised name found in a furniture line (not article text) scores the lines that hold it,
    more for a copyright line or a cue ("Follow X", "X homepage", "About X"); "From – X" wins outright.
    """
    furniture = [
        line.text
        for i, line in enumerate(lines)
        if len(line.text) <= 200 and (p[i] < 0.5 or len(line.text.split()) <= 8)
    ]
    for text in furniture:
        explicit = _EXPLICIT.match(text)
        if explicit and len(text.split()) <= 8:
            return _tidy(explicit.group("name"))
    scores: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    spelled: dict[str, Counter[str]] = {}
    standalone = Counter(t.strip(" .:!").lower() for t in furniture)
    for i, text in enumerate(dict.fromkeys(furniture)):  # each distinct line once
        bonus = 2.0 if _COPYRIGHT.search(text) else 1.0 if _CUE.search(text) else 0.0
        names = {_trim_generic(m.group(0)) for m in _CAP_SPAN.finditer(text)}
        if bonus:
            names |= {m.group(0).removeprefix("www.").removeprefix("m.") for m in _DOMAIN.finditer(text)}
        for name in {_tidy(n) for n in names}:
            if not 2 <= len(name) <= 50 or _generic(name) or len(name.split()) > 5:
                continue
            key = name.lower()
            first_seen.setdefault(key, i)
            spelled.setdefault(key, Counter())[name] += 1
            scores[key] += (1.0 if text.strip(" .:!").lower() != key else 0.0) + bonus
    for key in scores:
        scores[key] += 0.5 * min(standalone[key], 2)
    if not scores:
        return ""
    best = max(scores, key=lambda k: (scores[k], -first_seen[k]))
    if scores[best] < 2.0:
        return ""
    forms = spelled[best]
    return max(forms, key=lambda f: (not f.isupper(), forms[f]))


def _trim_generic(span: str) -> str:
    """A capitalised span without the menu words around the name ("Like Atlas Obscura" -> "Atlas Obscura")."""
    words = span.split()
    while words and _generic(words[0]):
        words.pop(0)
    while words and _generic(words[-1]):
        words.pop()
    return " ".join(words)
