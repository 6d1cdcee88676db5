"""The publisher of a scraped text page: the site's name as its own furniture prints it.

"From – SkyNews" or "Source: Reuters" on a short line is taken as it is. Otherwise every phrase the
page's furniture offers as a name (`qa.ingest.publisher_candidates`: copyright holders, names after or
before a cue, sentences about the site, short lines of their own, the parts of a "Headline | Site" line,
capitalised spans with the menu words around them trimmed) is a candidate, described by what the page
does with it: how many furniture lines and body lines name it, whether a copyright line names it as
the holder, whether a printed domain spells it, whether it is a masthead at the top or also recurs at
the bottom, whether it sits in a byline (a person, not a site) or reads like a parent company. A small
logistic ranker (weights in ``models/boilerplate.json``, trained by ``train/boilerplate.py``) picks the best.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from .boilerplate import FURNITURE_WORDS, STOP_WORDS, WORD, Line, LineModel, default_model
from .metadata import is_byline
from .publisher_candidates import (
    COPYRIGHT,
    GENERIC,
    OUTLET,
    Mention,
    candidate_phrases,
    domain_stems,
    is_corporate,
    is_generic,
    norm_name,
    spells_domain,
    squash,
    tidy_name,
    trim_generic,
)

PUBLISHER_FEATURES = (
    "log_lines",
    "log_body_mentions",
    "holder",
    "holder2",
    "copyright_mention",
    "cue",
    "self",
    "has_parent",
    "standalone",
    "masthead",
    "split",
    "span_only",
    "before_title",
    "near_title",
    "top",
    "bottom",
    "header_and_footer",
    "first_position",
    "domain_spelled",
    "is_domain",
    "from_domain",
    "corporate",
    "byline",
    "outlet_word",
    "n_words",
    "single_word",
    "all_caps",
    "lower_case",
    "camel_case",
    "log_chars",
    "case_kept",
    "domain_form",
    "spelled_out_elsewhere",
    "inside_longer",
    "holds_shorter",
    "outlet_form",
    "has_outlet_form",
    "logo",
)
_EXPLICIT = re.compile(r"^(?:from|source|via)\s*[:–—-]\s*(?P<name>\S.{0,58})$", re.IGNORECASE)
# Capitalised words, joined by a few lower-case connectors: "The Seattle Times", "Atlas Obscura", "CityLab".
_CAP_WORD = r"(?:[A-Z][\w'’&.®⇒-]*|[0-9]+[A-Za-z][\w]*)"
_CAP_SPAN = re.compile(rf"{_CAP_WORD}(?:\s+(?:(?:of|and|the|for|on|&|-)\s+)?{_CAP_WORD}){{0,4}}")
_CONNECTORS = frozenset("of and the for on & - a at in to".split())  # noqa: SIM905


def _plausible(name: str) -> bool:
    words = name.split()
    if not 2 <= len(name) <= 60 or not 1 <= len(words) <= 6 or is_generic(name):
        return False
    if not any(c.isalpha() for c in name) or re.search(r"[@?!]|https?:|\d{1,2}:\d{2}", name):
        return False
    if any(_menu_run(w) for w in words):
        return False
    lower = [w for w in words if w[0].islower() and w.lower() not in _CONNECTORS]
    return len(words) == 1 or len(lower) * 2 <= len(words)


@lru_cache(maxsize=65536)
def _tidy_plausible(name: str) -> str:
    """The tidied name, or "" when it cannot be a site's name (pages repeat the same phrases: cached)."""
    name = tidy_name(name)
    return name if _plausible(name) else ""


_MENU_WORDS = (GENERIC | FURNITURE_WORDS) - STOP_WORDS


def _menu_run(word: str) -> bool:
    """Menu items run together by the scrape: "ShopSubscribe", "HealthScienceU.S."."""
    pieces = re.split(r"(?<=[a-z])(?=[A-Z])", word)
    return sum(len(x) > 2 and x.lower() in _MENU_WORDS for x in pieces) >= 2


def _merge_domains(mentions: dict[str, Mention], stems: set[str]) -> None:
    """A domain is another spelling of the name it spells: "washingtonpost.com" counts for "Washington Post"."""
    spelled = [key for key in mentions if len(key.split()) > 1 and not re.search(r"\b(?:com|org|net)$", key)]
    for key in list(mentions):
        flat = squash(key.removesuffix(" com").removesuffix(" org").removesuffix(" net"))
        printed_as_domain = key.endswith((" com", " org", " net")) or mentions[key].name.islower()
        if flat not in stems or len(key.split()) > 2 or not printed_as_domain:
            continue
        into = [
            other
            for other in spelled
            if other in mentions and other != key and spells_domain(mentions[other].name, {flat})
        ]
        if into:
            best = max(into, key=lambda k: sum(mentions[k].forms.values()))
            m, target = mentions.pop(key), mentions[best]
            for kind, c in m.kinds.items():
                target.kinds[kind] = target.kinds.get(kind, 0) + c
            target.kinds["from_domain"] = target.kinds.get("from_domain", 0) + 1
            target.first, target.last = min(target.first, m.first), max(target.last, m.last)


def _short_forms(key: str) -> set[str]:
    """A name's shorter forms without its article, its outlet word or both ("the seattle times" -> "seattle
    times", "seattle"; "bbc news" -> "bbc"): the short forms a page also prints."""
    words = key.split()
    forms = set()
    if len(words) > 1 and words[0] == "the":
        forms.add(" ".join(words[1:]))
    for form in [key, *forms]:
        w = form.split()
        if len(w) > 1 and OUTLET.fullmatch(w[-1]):
            forms.add(" ".join(w[:-1]))
    return forms


def _domain_phrases(text: str, stems: set[str], prefixes: set[str]) -> list[str]:
    """Runs of two to six words of a line, the first capitalised, that spell one of the page's domains exactly
    ("Business Jargons" for businessjargons.com); `prefixes` holds every prefix of the stems."""
    words = text.split()
    out = []
    for a, first in enumerate(words):
        if not first[:1].isupper():
            continue
        flat = ""
        for b in range(a, min(len(words), a + 6)):
            flat += squash(words[b])
            if b > a and flat in stems:
                out.append(" ".join(words[a : b + 1]))
            if flat not in prefixes:
                break
    return out


class _KeyIndex:
    """Candidate keys (normalised names) indexed by their first word, to find every key a line holds in
    one pass over the line's words rather than one search per key."""

    def __init__(self, keys) -> None:
        self.by_first: dict[str, list[tuple[str, list[str]]]] = {}
        for key in keys:
            words = key.split()
            self.by_first.setdefault(words[0], []).append((key, words))

    def count(self, texts) -> Counter[str]:
        """How often each key occurs in `texts` (each a list of normalised words)."""
        found: Counter[str] = Counter()
        for words in texts:
            for a, w in enumerate(words):
                for key, kw in self.by_first.get(w, ()):
                    if words[a : a + len(kw)] == kw:
                        found[key] += 1
        return found


def publisher_candidates(
    lines: Sequence[Line], p: np.ndarray, title_at: int | None = None
) -> tuple[list[str], np.ndarray]:
    """Candidate names (as the page spells them most often) and one row of `PUBLISHER_FEATURES` each."""
    n = len(lines)
    furniture = [
        (i, line.text)
        for i, line in enumerate(lines)
        if (len(line.text) <= 200 and (p[i] < 0.5 or len(line.text.split()) <= 8))
        or (len(line.text) <= 400 and COPYRIGHT.search(line.text))
    ]
    body_at = np.nonzero(p >= 0.5)[0]
    body_start = int(body_at[0]) if len(body_at) else 0
    body_end = int(body_at[-1]) if len(body_at) else n - 1
    head = title_at if title_at is not None else body_start
    mentions: dict[str, Mention] = {}
    standalone_at: dict[str, int] = {}  # a name printed as a line of its own -> its first such line

    def add(name: str, kind: str, at: int) -> None:
        name = _tidy_plausible(name)
        if name:
            key = norm_name(name)
            mentions.setdefault(key, Mention()).add(name, kind, at)
            if kind == "standalone":
                standalone_at[key] = min(at, standalone_at.get(key, at))

    for i, text in dict((t, (i, t)) for i, t in reversed(furniture)).values():  # each distinct line once
        for phrase, kind in candidate_phrases(text):
            add(phrase, kind, i)
        for m in _CAP_SPAN.finditer(text):
            add(trim_generic(m.group(0)), "span", i)
    distinct = list(dict.fromkeys(t for _, t in furniture))
    stems, printed = domain_stems(distinct)
    for stem in printed:
        add(stem, "from_domain", n)
    if stems:  # the words that spell a printed domain as the page prints them: "Business Jargons" (businessjargons.com)
        prefixes = {stem[:k] for stem in stems for k in range(1, len(stem) + 1)}
        for i, text in dict((t, (i, t)) for i, t in reversed(furniture)).values():
            for phrase in _domain_phrases(text, stems, prefixes):
                add(phrase, "span", i)
    _merge_domains(mentions, stems)
    if not mentions:
        return [], np.zeros((0, len(PUBLISHER_FEATURES)))
    index = _KeyIndex(mentions)
    normed = {t: norm_name(t).split() for t in distinct}
    count = index.count(normed.values())  # mentions in the furniture, each distinct line once
    in_copyright = index.count(normed[t] for t in distinct if COPYRIGHT.search(t))
    in_byline = index.count(normed[t] for t in distinct if is_byline(t))
    in_body = index.count(norm_name(lines[i].text).split() for i in body_at)
    firsts: dict[str, int] = {}
    lasts: dict[str, int] = {}
    for i, text in furniture:
        for key in index.count([normed[text]]):
            firsts.setdefault(key, i)
            lasts[key] = i
    names, rows = [], []
    for key, m in mentions.items():
        name = m.name
        words = name.split()
        k = m.kinds
        first = min(m.first, firsts.get(key, m.first))
        last = max(m.last if m.last < n else -1, lasts.get(key, -1))
        standalone = k.get("standalone", 0)
        rows.append(
            (
                math.log1p(count[key]),
                math.log1p(in_body[key]),
                min(k.get("holder", 0), 2),
                min(k.get("holder2", 0), 2),
                float(key in in_copyright),
                min(k.get("cue", 0), 3),
                min(k.get("self", 0), 2),
                min(k.get("has_parent", 0), 1),
                min(standalone, 3),
                float(standalone > 0 and (first < head or first < 0.1 * n)),
                min(k.get("split", 0), 2),
                float(set(k) == {"span"}),
                float(first < head),
                float(title_at is not None and abs(first - title_at) <= 2),
                float(first < 0.15 * n),
                float(last > 0.85 * n),
                float(first < body_start and last > body_end),
                min(first, n) / max(n - 1, 1),
                float(spells_domain(name, stems)),
                float(bool(re.search(r"\.(?:com|org|net|co|io|tv|news)\b", name, re.I))),
                float("from_domain" in k),
                float(is_corporate(name)),
                float(key in in_byline),
                float(bool(OUTLET.search(name))),
                min(len(words), 6),
                float(len(words) == 1),
                float(name.isupper() and len(name) > 3),
                float(name.islower()),
                float(any(re.search(r"[a-z][A-Z]", w) for w in words)),
                math.log1p(len(name)),
            )
        )
        names.append(name)
    keys = list(mentions)
    forms = {squash(key): key for key in keys if len(key.split()) > 1}
    inside_of: dict[str, float] = {}  # a name -> the share of its mentions inside a longer name
    holds_of = []
    for key in keys:  # "BBC" inside "BBC News": a fragment of a longer name, or its short form
        words = key.split()
        parts = {" ".join(words[a:b]) for a in range(len(words)) for b in range(a + 1, len(words) + 1)}
        parts.discard(key)
        holds_of.append(max((count[key] / max(count[x], 1) for x in parts if x in mentions), default=0.0))
        for x in parts:
            if x in mentions:
                inside_of[x] = max(inside_of.get(x, 0.0), count[key] / max(count[x], 1))
    exact = Counter(w for line in lines for w in WORD.findall(line.text))
    folded: Counter[str] = Counter()
    for w, c in exact.items():
        folded[w.lower()] += c
    outlet_form = {key: {short for short in _short_forms(key) if short in mentions} for key in keys}
    outlet_form = {key: shorts for key, shorts in outlet_form.items() if shorts}
    short_forms = set().union(*outlet_form.values())
    # the first name printed as a line of its own: the logo's text, ahead of menus and the parent company's footer
    logo = min(standalone_at, key=lambda k: (standalone_at[k], k)) if standalone_at else None
    extra = []
    for j, key in enumerate(keys):
        own = [w for w in WORD.findall(mentions[key].name) if w.lower() not in STOP_WORDS] or ["-"]
        case_kept = sum(exact[w] / max(folded[w.lower()], 1) for w in own) / len(own)
        domain_form = squash(key) in stems or squash(key.removesuffix(" com")) in stems
        spelled = domain_form and any(
            other != key and spells_domain(mentions[other].name, {squash(key.split()[0])}) for other in forms.values()
        )
        extra.append(
            (
                case_kept,
                float(domain_form),
                float(spelled),
                min(inside_of.get(key, 0.0), 1.0),
                min(holds_of[j], 1.0),
                float(key in outlet_form),
                float(key in short_forms),
                float(key == logo),
            )
        )
    return names, np.concatenate([np.array(rows, dtype=float), np.array(extra, dtype=float)], axis=1)


def find_publisher(
    lines: Sequence[Line], p: np.ndarray, model: LineModel | None = None, title_at: int | None = None
) -> str:
    """The site's name as its furniture prints it, or "" when the page does not say."""
    for i, line in enumerate(lines):
        explicit = _EXPLICIT.match(line.text)
        if explicit and len(line.text.split()) <= 8 and p[i] < 0.5:
            return tidy_name(explicit.group("name"))
    near = lines[max(0, title_at - 2) : title_at + 3] if title_at is not None else []
    for line in near:  # a masthead by the headline: "Sputnik News"
        text = line.text
        words = text.split()
        if len(words) > 4 or len(text) > 60 or not OUTLET.search(text) or re.search(r"[|:›»/\d]|[a-z][A-Z]", text):
            continue
        own = [w for w in words if not OUTLET.fullmatch(w)]  # "Sputnik" of "Sputnik News"
        if own and not is_generic(" ".join(own)) and all(w[0].isupper() for w in words):
            return tidy_name(text)
    m = (model or default_model()).publisher
    names, X = publisher_candidates(lines, p, title_at)
    if not names or not m:
        return ""
    scores = ((X - m["mean"]) / m["scale"]) @ m["coef"] + m["bias"]
    best = int(np.argmax(scores))
    if scores[best] <= m.get("min_score", -math.inf):
        return ""
    return without_com(names[best])


_COM_DOMAIN = re.compile(r"^(?P<name>[A-Za-z][\w-]*[A-Za-z0-9])\.com$", re.IGNORECASE)


def without_com(name: str) -> str:
    """A commercial site's name without its ".com" ("Elavegan.com" -> "Elavegan"): the page prints its domain
    where a name is wanted (a copyright line), and the site calls itself by the name. Other domains keep
    their suffix, which is often part of the name ("Phys.org", "LWN.net")."""
    m = _COM_DOMAIN.match(name)
    return m.group("name") if m else name
