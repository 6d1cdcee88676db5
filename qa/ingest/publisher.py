"""The publisher of a scraped text page: the site's name as its own furniture prints it.

"From – SkyNews" or "Source: Reuters" on a short line is taken as it is. Otherwise every capitalised
name in the page's furniture lines (not article text) is a candidate - with the menu words around it
trimmed ("Like Atlas Obscura" -> "Atlas Obscura") - and so is a site domain in a copyright or cue line
("Thank you for visiting nature.com"). Each candidate is described by where the page prints it: in a
copyright line ("© 2019 The New York Times Company"), after a cue ("Follow Lifehacker", "Search LA
Weekly", "About eHow", "The Verge homepage"), on a line of its own (a masthead), in how many distinct
lines, at the top or the bottom of the page, in a byline (a person, not a site). A small logistic
ranker (weights in ``models/boilerplate.json``, trained by ``train/boilerplate.py``) picks the best.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from .boilerplate import FURNITURE_WORDS, STOP_WORDS, Line, LineModel, default_model

PUBLISHER_FEATURES = (
    "log_lines",
    "copyright_lines",
    "cue_lines",
    "standalone",
    "n_words",
    "all_caps",
    "top",
    "bottom",
    "log_body_mentions",
    "domain",
    "byline",
    "outlet_word",
    "single_word",
    "first_position",
    "camel_case",
    "inside_longer",
    "holds_shorter",
    "log_chars",
)
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b", re.IGNORECASE)
_CUE = re.compile(
    r"^(?:follow|search|about|subscribe to|welcome to|support|contact|advertise (?:with|on)|new to|get|sign up for)\s"
    r"|\s(?:homepage|home page|main menu|navigation|logo|newsletters?|daily|store)\W*$"
    r"|(?:contributing an answer to|the latest from|why you can trust|is published by|powered by|visiting)\s",
    re.IGNORECASE,
)
_EXPLICIT = re.compile(r"^(?:from|source|via)\s*[:–—-]\s*(?P<name>\S.{0,58})$", re.IGNORECASE)
_DOMAIN = re.compile(r"\b(?:www\.|m\.)?[a-z][a-z0-9-]{1,40}\.(?:com|org|net|co\.uk|com\.au|news|co|io)\b", re.I)
_BYLINE = re.compile(r"^(?:by|written by|posted by|author)\b", re.IGNORECASE)
_OUTLET = re.compile(
    r"\b(?:news|times|post|press|herald|tribune|journal|daily|telegraph|gazette|magazine|blog|review|observer|"
    r"guardian|independent|chronicle|standard|wire|media|radio|tv|today|weekly|globe|mail|star|sun|express)\b",
    re.IGNORECASE,
)
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
    september october november december jan feb mar apr jun jul aug sep sept oct nov dec today yesterday go back
    top next previous all rights reserved by image photo picture credit getty images posted updated published
    copyright i we he she they what how why when where who new free most best view watch listen sign up in out
    log see also click here leave comment cancel post inc llc ltd get join like become order download try visit
    welcome thanks thank meet explore discover browse powered proudly designed developed hosted breaking local
    latest health review paper today's schedule tip send categories industry purpose other opinion""".split()  # noqa: SIM905
)


def _tidy(name: str) -> str:
    name = re.split(r"\s+(?:\||·|•|–|—|-)\s+|(?<!\b[A-Z][a-z])\.\s+", name, maxsplit=1)[0]
    name = re.sub(r"[\s,]+(?:Inc|LLC|Ltd|Limited|Corp|Corporation|Co|GmbH|plc|S\.A)\.?$", "", name)
    return name.strip(" .,:;-®'’")


def _generic(name: str) -> bool:
    words = [w.lower().replace("’", "'").strip(".'") for w in name.split()]
    return all(w in _GENERIC or w in STOP_WORDS or w in FURNITURE_WORDS or w.isdigit() for w in words)


def _trim_generic(span: str) -> str:
    """A capitalised span without the menu words around the name ("Like Atlas Obscura" -> "Atlas Obscura")."""
    words = span.split()
    while words and _generic(words[0]):
        if words[0] in ("The", "THE") and len(words) > 1 and not _generic(words[1]):
            break  # "The Seattle Times" keeps its article
        words.pop(0)
    while words and _generic(words[-1]) and not (len(words) > 1 and _OUTLET.fullmatch(words[-1])):
        words.pop()
    return " ".join(words)


def publisher_candidates(lines: Sequence[Line], p: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Candidate names (as the page spells them most often) and one row of `PUBLISHER_FEATURES` each."""
    n = len(lines)
    furniture = [
        (i, line.text)
        for i, line in enumerate(lines)
        if len(line.text) <= 200 and (p[i] < 0.5 or len(line.text.split()) <= 8)
    ]
    stats: dict[str, Counter] = {}
    spelled: dict[str, Counter[str]] = {}
    standalone = Counter(t.strip(" .:!").lower() for _, t in furniture)
    for i, text in dict((t, (i, t)) for i, t in reversed(furniture)).values():  # each distinct line once
        copyright_line, cue = bool(_COPYRIGHT.search(text)), bool(_CUE.search(text))
        names = {_trim_generic(m.group(0)) for m in _CAP_SPAN.finditer(text)}
        domains = {m.group(0).lower().removeprefix("www.").removeprefix("m.") for m in _DOMAIN.finditer(text)}
        for name in sorted({_tidy(x) for x in names} | (domains if copyright_line or cue else set())):
            if not 2 <= len(name) <= 50 or _generic(name) or len(name.split()) > 5:
                continue
            key = name.lower()
            st = stats.setdefault(key, Counter())
            spelled.setdefault(key, Counter())[name] += 1
            st["lines"] += 1
            st["copyright"] += copyright_line
            st["cue"] += cue
            st["byline"] += bool(_BYLINE.match(text))
            st["domain"] = float(name in domains)
            st["first"] = min(st.get("first", n), i)
            st["last"] = max(st.get("last", 0), i)
    if not stats:
        return [], np.zeros((0, len(PUBLISHER_FEATURES)))
    body = " ".join(line.text.lower() for i, line in enumerate(lines) if p[i] >= 0.5)
    names, rows = [], []
    for key, st in stats.items():
        forms = spelled[key]
        name = max(forms, key=lambda f: (not f.isupper(), forms[f], f))
        words = name.split()
        rows.append(
            (
                math.log1p(st["lines"]),
                min(st["copyright"], 3),
                min(st["cue"], 3),
                min(standalone[key], 3),
                len(words),
                float(name.isupper()),
                float(st["first"] < 0.15 * n),
                float(st["last"] > 0.85 * n),
                math.log1p(body.count(key)),
                st["domain"],
                min(st["byline"], 2),
                float(bool(_OUTLET.search(name))),
                float(len(words) == 1),
                st["first"] / max(n - 1, 1),
                float(any(re.search(r"[a-z][A-Z]", w) for w in words)),
            )
        )
        names.append(name)
    keys = [n.lower().split() for n in names]
    lines_of = [r[0] for r in rows]
    by_key = {" ".join(k): lines_of[j] for j, k in enumerate(keys)}
    inside_of: dict[str, float] = {}  # a name -> the most lines of a longer name holding it
    holds_of = []
    for j, words in enumerate(keys):  # "BBC" inside "BBC News": a fragment of a longer name, or its short form
        parts = {" ".join(words[a:b]) for a in range(len(words)) for b in range(a + 1, len(words) + 1)}
        parts.discard(" ".join(words))
        holds_of.append(max((by_key[x] for x in parts if x in by_key), default=0.0))
        for x in parts:
            inside_of[x] = max(inside_of.get(x, 0.0), lines_of[j])
    extra = [
        (inside_of.get(" ".join(words), 0.0), holds_of[j], math.log1p(len(" ".join(words))))
        for j, words in enumerate(keys)
    ]
    return names, np.concatenate([np.array(rows, dtype=float), np.array(extra, dtype=float)], axis=1)


def find_publisher(
    lines: Sequence[Line], p: np.ndarray, model: LineModel | None = None, title_at: int | None = None
) -> str:
    """The site's name as its furniture prints it, or "" when the page does not say."""
    for i, line in enumerate(lines):
        explicit = _EXPLICIT.match(line.text)
        if explicit and len(line.text.split()) <= 8 and p[i] < 0.5:
            return _tidy(explicit.group("name"))
    near = lines[max(0, title_at - 2) : title_at + 3] if title_at is not None else []
    for line in near:  # a masthead by the headline: "Sputnik News"
        text = line.text
        words = text.split()
        if len(words) > 4 or len(text) > 60 or not _OUTLET.search(text) or re.search(r"[|:›»/\d]|[a-z][A-Z]", text):
            continue
        own = [w for w in words if not _OUTLET.fullmatch(w)]  # "Sputnik" of "Sputnik News"
        if own and not _generic(" ".join(own)) and all(w[0].isupper() for w in words):
            return _tidy(text)
    m = (model or default_model()).publisher
    names, X = publisher_candidates(lines, p)
    if not names or not m:
        return ""
    scores = ((X - m["mean"]) / m["scale"]) @ m["coef"] + m["bias"]
    best = int(np.argmax(scores))
    return names[best] if scores[best] > m.get("min_score", -math.inf) else ""
