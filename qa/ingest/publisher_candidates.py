"""Where a scraped page names its own site: the phrases that could be the publisher, and what the page does
with each of them.

A site prints its name in its furniture, in forms that hold on any site:

- a copyright line names the holder: "© 2019 The Seattle Times | Privacy", "Reddit Inc © 2020",
  "Some rights reserved 2017-2023 by Heartland Newsfeed, a subsidiary of …" (the holder, as printed);
- menus and prompts name it after a cue or before one: "More from Kotaku", "Subscribe to our St. Lucia
  Times Newsletter", "Thanks for contributing an answer to German Language Stack Exchange!", "Gothamist is
  funded by …", "The Balance is part of the Dotdash Meredith publishing family";
- a masthead is a short line of its own at the top ("Plant Care Today"), a logo's alt text often printed
  twice ("InStyle InStyle");
- a domain ("Salon.com", "washingtonpost.com", "redtri.com") spells the name without spaces, so a
  phrase whose words make the domain ("Washington Post", "Red Tricycle") is the site's name.

`candidate_phrases` lists the phrases one line offers and how; `qa.ingest.publisher` gathers them over
the page, describes each for the ranker and picks one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .boilerplate import FURNITURE_WORDS, STOP_WORDS

OUTLET = re.compile(
    r"\b(?:news|times|post|press|herald|tribune|journal|daily|telegraph|gazette|magazine|blog|review|observer|"
    r"guardian|independent|chronicle|standard|wire|media|radio|tv|today|weekly|globe|mail|star|sun|express)\b",
    re.IGNORECASE,
)
COPYRIGHT = re.compile(r"©|\(c\)|\bcopyright\b|\b(?:some|all) rights reserved\b", re.IGNORECASE)
_COPY_MARK = re.compile(
    r"©|\(c\)|\bcopyright(?:ed)?\b|\b(?:some|all) rights reserved\b\.?|[®™]"
    r"|\b(?:19|20)\d\d\b(?:\s*[-–—]\s*(?:(?:19|20)\d\d)?)?|(?<![\w.])0(?![\w.])",
    re.IGNORECASE,
)
_SEGMENT = re.compile(r"\s*(?:[|·•♦,;:]|\s[–—-]\s|(?<!\b[A-Z][a-z])(?<!\b[A-Z])\.(?:\s|$)|\s[–—-]$|^[–—-]\s)\s*")
# Cues that put the site's name after them ("More from X") or before them ("X Newsletter").
_CUE_BEFORE = re.compile(
    r"^(?:more from|more|about|follow|search|explore|join|contact|welcome to|subscribe to(?: our| the)?|"
    r"sign up for(?: the| our)?|log ?in (?:with|to)|new to|get|get the most out of|support|learn about|inside|"
    r"write for|why you can trust|work at|the latest from|want more|download the|visit|meet|"
    r"thank you for (?:visiting|reading|signing up (?:to|for)|subscribing to)|"
    r"thanks for (?:contributing an answer to|reading|visiting|subscribing to)|"
    r"how do i whitelist|advertise (?:with|on)|from)\s+(?P<name>.{2,60}?)[\s!?.:»›>]*$",
    re.IGNORECASE,
)
_CUE_AFTER = re.compile(
    r"^(?P<name>.{2,60}?)\s+(?:newsletters?|homepage|home page|on (?:facebook|twitter|instagram|youtube|linkedin)|"
    r"facebook|twitter|instagram|youtube|podcasts?|staff|services|navigation|store|shop|community|"
    r"logo|app|account|video|editors?|team|daily|today|weekly)[\s!?.:]*$",
    re.IGNORECASE,
)
# A furniture sentence about the site itself: "Gothamist is funded by …", "CityLab is committed to …".
_SELF = re.compile(
    r"^(?P<name>(?:[\w'’&.⇒-]+\s+){0,5}?[\w'’&.⇒-]+)\s+(?:is|are|uses|would like|earns?|participates|may earn)\b",
)
_PART_OF = re.compile(r"\b(?:is|are) (?:a |an )?(?:part of|member of|subsidiary of|owned by|published by)\b", re.I)
_HEAD_SPLIT = re.compile(r"\s+(?:\||–|—|-|::|·|•|»)\s+")
DOMAIN = re.compile(
    r"(?<![\w@.])(?:https?://)?(?:www\.|m\.)?(?P<stem>[a-z0-9][a-z0-9-]{1,40})\.(?:com|org|net|co\.uk|com\.au|news|"
    r"co|io|tv|info|ca|de|fm)\b(?!\.\w)",
    re.IGNORECASE,
)
_TRAIL_CORP = re.compile(
    r"[\s,]+(?:inc|llc|ltd|limited|corp|corporation|co|gmbh|plc|s\.a|pty|l\.l\.c|a/s|ab|ag|bv|nv|sa)\.?$", re.IGNORECASE
)
_CORP_WORD = re.compile(
    r"\b(?:media|group|network|networks|company|corporation|foundation|holdings|publishing|enterprises|"
    r"communications|international|partners|inc|llc|ltd|plc)\b",
    re.IGNORECASE,
)
_LEADING_JUNK = re.compile(r"^(?:(?:toggle|skip|open|close|main)\s+)?(?:navigation|menu|to content)\s+", re.I)


def tidy_name(name: str) -> str:
    """A name without the legal suffix and stray punctuation ("Salon.com, LLC" -> "Salon.com")."""
    name = " ".join(name.replace("®", " ").replace("™", " ").split())
    name = re.split(r"(?<!\b[A-Z][a-z])(?<!\b[A-Z])\.\s+", name, maxsplit=1)[0]
    name = name.strip(" .,:;-–—'’\"“”()[]|")
    for _ in range(2):
        name = _TRAIL_CORP.sub("", name).strip(" .,:;-–—'’\"“”()[]|")
    name = re.sub(r"^(?:by|the site|from)\s+", "", name, flags=re.IGNORECASE)
    return re.sub(r"(?<=\w)['’]s$", "", name)  # a possessive names the owner: "GitLab’s" -> "GitLab"


_LOWER_OK = frozenset("of and the for on & - a at in to de du la le by".split())  # noqa: SIM905


def looks_like_name(phrase: str) -> bool:
    """Capitalised words (a few connectors between them), or one lower-case token ("topicseed")."""
    words = phrase.split()
    if len(words) <= 1:
        return bool(words)
    capital = [w[:1].isupper() or w[:1].isdigit() for w in words]
    return capital[0] and all(c or w.lower() in _LOWER_OK for c, w in zip(capital, words, strict=True))


def undouble(text: str) -> str:
    """A logo's alt text printed next to its caption: "InStyle InStyle" -> "InStyle"."""
    words = text.split()
    half = len(words) // 2
    if len(words) % 2 == 0 and half and [w.lower() for w in words[:half]] == [w.lower() for w in words[half:]]:
        return " ".join(words[:half])
    return text


def squash(name: str) -> str:
    """Letters and digits only, lower case: how a domain spells a name."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def spells_domain(name: str, stems: set[str]) -> bool:
    """Whether a domain spells the name: "Salon" ~ salon.com, "The Atlantic" ~ theatlantic.com,
    "Red Tricycle" ~ redtri.com (a prefix of each word, in order)."""
    flat = squash(name)
    if len(flat) < 2:
        return False
    if flat in stems or flat.removeprefix("the") in stems:
        return True
    words = [squash(w) for w in name.split()]
    words = [w for w in words if w]
    if len(words) < 2:
        return False
    if words[0] == "the":
        words = words[1:]
    return any(_prefix_spelling(words, stem) or _prefix_spelling(["the", *words], stem) for stem in stems)


def _prefix_spelling(words: list[str], stem: str) -> bool:
    if not words:
        return not stem
    if not stem:
        return False
    first = words[0]
    return any(stem.startswith(first[:k]) and _prefix_spelling(words[1:], stem[k:]) for k in range(len(first), 0, -1))


def copyright_holders(text: str) -> list[str]:
    """The holder(s) a copyright line names, as printed: the first two segments once marks and years go."""
    if not COPYRIGHT.search(text):
        return []
    stripped = _COPY_MARK.sub(" | ", text)
    out = []
    for seg in _SEGMENT.split(stripped):
        seg = tidy_name(seg)
        words = seg.split()
        while len(words) > 1 and is_generic(words[-1]) and not OUTLET.fullmatch(words[-1]):
            words.pop()  # "Elavegan.com Privacy Policy"
        seg = " ".join(words)
        if not seg or not any(c.isalpha() for c in seg):
            continue
        out.append(seg)
        if len(out) == 2:
            break
    return out


GENERIC = frozenset(
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
    latest health review paper today's schedule tip send categories industry purpose other opinion skip jump main
    content""".split()  # noqa: SIM905
)


def norm_name(name: str) -> str:
    """A name as the comparison sees it: lower case, words only."""
    return " ".join(re.sub(r"[^\w]+", " ", name.lower()).split())


def is_generic(name: str) -> bool:
    words = [w.lower().replace("’", "'").strip(".'") for w in name.split()]
    return all(w in GENERIC or w in STOP_WORDS or w in FURNITURE_WORDS or w.isdigit() for w in words)


def trim_generic(span: str) -> str:
    """A capitalised span without the menu words around the name ("Like Atlas Obscura" -> "Atlas Obscura")."""
    words = span.split()
    while words and is_generic(words[0]):
        if words[0] in ("The", "THE") and len(words) > 1 and not is_generic(words[1]):
            break  # "The Seattle Times" keeps its article
        words.pop(0)
    while words and is_generic(words[-1]) and not (len(words) > 1 and OUTLET.fullmatch(words[-1])):
        words.pop()
    return " ".join(words)


@dataclass
class Mention:
    """What a page does with one candidate name."""

    forms: dict[str, int] = field(default_factory=dict)  # spelling -> count
    kinds: dict[str, int] = field(default_factory=dict)  # how it was found -> count
    first: int = 1 << 30
    last: int = -1

    def add(self, form: str, kind: str, at: int) -> None:
        self.forms[form] = self.forms.get(form, 0) + 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        self.first = min(self.first, at)
        self.last = max(self.last, at)

    @property
    def name(self) -> str:
        return max(self.forms, key=lambda f: (not f.isupper(), self.forms[f], f))


def candidate_phrases(text: str) -> list[tuple[str, str]]:
    """(phrase, kind) pairs one furniture line offers; `kind` says how the line names it."""
    out: list[tuple[str, str]] = []
    clean = undouble(_LEADING_JUNK.sub("", text))
    words = clean.split()
    copyright_line = bool(COPYRIGHT.search(clean))
    if (
        1 <= len(words) <= 6
        and len(clean) <= 60
        and not copyright_line
        and not re.search(r"[/,]|[.:!?](?:\s|$)", clean)
    ):
        name = undouble(trim_generic(clean))
        if looks_like_name(name):
            out.append((name, "standalone"))
    for holder_rank, holder in enumerate(copyright_holders(text)):
        out.append((holder, "holder" if holder_rank == 0 else "holder2"))
    for pattern, kind in ((_CUE_BEFORE, "cue"), (_CUE_AFTER, "cue")):
        m = pattern.match(clean)
        name = trim_generic(m.group("name")) if m else ""
        if name and len(name.split()) <= 6 and looks_like_name(name):
            out.append((name, kind))
    m = _SELF.match(clean)
    if m and len(clean.split()) > len(m.group("name").split()) + 1 and looks_like_name(m.group("name")):
        out.append((m.group("name"), "self"))
        if _PART_OF.search(clean):
            out.append((m.group("name"), "has_parent"))
    parts = _HEAD_SPLIT.split(clean)
    if len(parts) >= 2 and not copyright_line:
        for part in (parts[0], parts[-1]):
            if 1 <= len(part.split()) <= 6 and looks_like_name(part):
                out.append((part, "split"))
    return out


def domain_stems(lines: Sequence[str]) -> tuple[set[str], list[str]]:
    """The domains a page prints (lower-case stems), and the printed stems ("TheAtlantic") of those that
    name the site rather than a link: in a copyright line, on a short line, or printed twice."""
    stems, seen, printed = set(), {}, []
    for text in lines:
        for m in DOMAIN.finditer(text):
            stem = m.group("stem")
            stems.add(stem.lower())
            if COPYRIGHT.search(text) or len(text.split()) <= 4 or stem.lower() in seen:
                printed.append(stem)
            seen[stem.lower()] = stem
    return stems, list(dict.fromkeys(printed))


def is_corporate(name: str) -> bool:
    return bool(_CORP_WORD.search(name))
