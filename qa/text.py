"""Small text utilities shared by ingestion, chunking and highlighting."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# Abbreviations after which a period does not end a sentence (lower-cased, without the period); dotted ones
# ("U.S.", "e.g.", "p.m.") are initialisms, below.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof gen sen rep gov lt col sgt capt cmdr adm maj st jr sr vs etc inc ltd co
    corp no nos fig jan feb mar apr jun jul aug sep sept oct nov dec mt ft approx dept est rev
    hon pres""".split()  # noqa: SIM905
)

# A sentence ends at . ! ? (plus closing quotes/brackets) followed by space and a likely sentence start.
_BOUNDARY = re.compile(r"""([.!?…]+["'”’)\]]*)(\s+)(?=["'“‘(\[]?[A-Z0-9À-ÖØ-Þ])""")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Quoted speech longer than this may be split inside the quotes (an unclosed quote must not swallow a paragraph).
MAX_QUOTE_CHARS = 600
# After a closing quote, a short "Name said." belongs to the quotation: “Why now?” Smith asked. (Not "He added
# that ...", which is a sentence of its own.)
_ATTRIBUTION = re.compile(
    r"(?!(?:He|She|They|It|We|I|You|This|That|There)\s)(?:[A-Z][\w.'’-]*\s+){1,4}"
    r"(?:said|says|asked|asks|told|added|adds|wrote|writes|replied|explained|recalled|noted|continued|insisted|"
    r"argued|warned|declared|tweeted)\b[^.!?]{0,40}[.!?]"
)
_WORD = re.compile(r"\w+", re.UNICODE)


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace to one space and strip the ends."""
    return " ".join(text.split())


def clean_unicode(text: str) -> str:
    """NFC-normalise and drop control characters except newlines and tabs."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    # Most lines are printable as they are: only the others are checked character by character.
    return "\n".join(
        line if line.replace("\t", " ").isprintable() else _drop_controls(line) for line in text.split("\n")
    )


def _drop_controls(line: str) -> str:
    return "".join(ch for ch in line if ch == "\t" or unicodedata.category(ch)[0] != "C")


def _ends_with_abbreviation(text: str, period_at: int) -> bool:
    start = period_at
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    token = text[start:period_at].lower().lstrip("\"'“‘([")
    if token in _ABBREVIATIONS:
        return True
    # Initials, single ("J. Smith") or dotted ("J.K. Rowling", "F.B.I. agents"; "h.w" without its last period),
    # do not end a sentence: splitting a name loses the answer, merging a sentence that really ends with one keeps it.
    return all(len(letter) == 1 and letter.isalpha() for letter in token.split("."))


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Character spans of the sentences in text[start:end], whitespace trimmed.

    Paragraph breaks always end a sentence. Spans index into `text`.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    # Walk paragraphs by position so the spans stay absolute.
    para_bounds = []
    cursor = start
    for match in PARAGRAPH_BREAK.finditer(text, start, end):
        para_bounds.append((cursor, match.start()))
        cursor = match.end()
    para_bounds.append((cursor, end))
    for p_start, p_end in para_bounds:
        pos = counted = p_start
        straight = 0  # straight double quotes in text[pos:counted], counted once each (linear)
        for match in _BOUNDARY.finditer(text, p_start, p_end):
            period_at = match.start(1)
            if text[period_at] == "." and _ends_with_abbreviation(text, period_at):
                continue
            straight += text.count('"', counted, match.end(1))
            counted = match.end(1)
            if _inside_quote(text, pos, counted, straight % 2 == 1):
                continue  # "We will not. That is not our mandate," he said: one sentence with its speaker
            if text[counted - 1] in '"”' and _ATTRIBUTION.match(text, match.end(2), p_end):
                continue
            spans.append((pos, counted))
            pos = counted = match.end(2)
            straight = 0
        spans.append((pos, p_end))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s[1] > s[0]]


def _inside_quote(text: str, start: int, end: int, straight_open: bool) -> bool:
    """True when text[start:end] (a sentence so far) ends inside a quotation that opened within MAX_QUOTE_CHARS:
    a curly one not closed yet, or a straight one (`straight_open`: an odd number of them since `start`).

    Searches only the last MAX_QUOTE_CHARS characters, so a long run of unclosed quotes stays linear.
    """
    lo = max(start, end - MAX_QUOTE_CHARS)
    opened = text.rfind("“", lo, end)
    if opened != -1 and text.find("”", opened, end) == -1:
        return True
    return straight_open and text.rfind('"', lo, end) != -1


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, in order."""
    return [text[a:b] for a, b in sentence_spans(text)]


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return [w.lower() for w in _WORD.findall(text)]


def word_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Spans of whitespace-separated tokens in text[start:end]."""
    for match in re.finditer(r"\S+", text[start:end]):
        yield start + match.start(), start + match.end()


def embedding_text(title: str, chunk_text: str, with_title: bool = True) -> str:
    """What the embedder sees for a chunk: the article title gives a passage its context."""
    return f"{title}\n{chunk_text}" if with_title and title else chunk_text
