"""Tell a scraped page's article lines from its furniture (menus, footers, cookie notices, comments).

A naive scrape saves every block of a page as a line. Each line is described by signals that hold on
any site, not by a site's exact words:

- text density: words, characters, stop-word share, sentence punctuation, commas, capitalised words,
  digits, link-like separators (``|``, ``»``), a small furniture vocabulary (share, subscribe, cookie…);
- context: the same signals averaged over the neighbouring lines (as jusText smooths between blocks),
  runs of one- and two-word lines, the position in the page;
- where the densest run of prose is: the article body is usually one contiguous run, so each line gets
  its distance to the best-scoring run (a maximum-sum segment of "prose minus furniture");
- comment sections: a line after a comment header ("Leave a reply", "12 comments") that follows the run.

Two logistic models are stacked: the first scores lines from these signals, the second adds the first's
scores of the neighbouring lines and the maximum-sum run of those scores (context smoothing). Their
weights are in ``models/boilerplate.json``, written by ``train/boilerplate.py`` from the shared
development pages (fixed seeds, reproducible; ``tests/ingest/test_boilerplate_model.py`` checks it).
Inference needs only numpy.

Lines that recur across many files of the same site (a corpus-level signal) are handled by
``qa.ingest.recurrence``, before this model sees the page.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).with_name("models") / "boilerplate.json"

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having
    he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
    nor not now of off on once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too under until up very
    was we were what when where which while who whom why will with would you your yours yourself yourselves
    also said says may might must shall one two it's i'm we're they're don't""".split()  # noqa: SIM905
)
# Words that mark page furniture on any site (menus, sharing, accounts, legal, ads, comments).
FURNITURE_WORDS = frozenset(
    """share shares shared tweet pin email print facebook twitter linkedin instagram youtube whatsapp reddit
    pinterest telegram subscribe subscribed subscription subscriptions newsletter newsletters sign login log
    logout register account cookie cookies privacy policy terms conditions copyright rights reserved
    advertisement advertise advertising ads sponsored promoted menu home search skip navigation contact
    about careers faq help feedback reply replies comment comments commenting follow followers like likes
    related recommended trending popular read watch listen podcast podcasts video videos photos gallery tags
    tagged category categories archive archives previous next older newer page more loading download app
    apps rss sitemap donate support membership premium offer free trial cancel close toggle accept settings
    preferences permalink posted edit opens tab window""".split()  # noqa: SIM905
)
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_SENT_END = re.compile(r"[.!?…][\"'”’)\]]*(?:\s|$)")
_SEPARATORS = re.compile(r"[|•·»«►▸→/]|\s-\s")
_URLISH = re.compile(r"https?://|www\.|\.com\b|\.org\b|@\w|\b\S+@\S+\.\w+")
_DATEISH = re.compile(
    r"\b(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"[a-z]*\.?\s+\d{1,2}\b|\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)",
    re.IGNORECASE,
)
_TIMEISH = re.compile(r"\b\d{1,2}:\d{2}\s*(?:am|pm)?\b|\b(?:\d+|an?)\s+(?:minutes?|hours?|days?)\s+ago\b", re.I)
# A header that opens a comment section or a reader-reply form.
_COMMENT_HEAD = re.compile(
    r"^(?:\d+\s+)?(?:comments?|responses?|replies|reader comments|discussion|conversation)\b.{0,30}$"
    r"|^(?:leave|post|add|write|join)\s+(?:a|your|the)\s+(?:comment|reply|response|discussion|conversation)"
    r"|^(?:\d+|one|no)\s+(?:thoughts?|comments?|responses?|replies)\s+(?:on|to)\b"
    r"|\bcomments? (?:are|is) closed\b|^show comments|^view comments|^load comments",
    re.IGNORECASE,
)
_COMMENT_LINE = re.compile(r"\b(?:says|said|wrote):?$|^reply$|^report$|\breply\b.{0,3}$|\bsays:", re.IGNORECASE)
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|\ball rights reserved\b", re.IGNORECASE)
_BULLET = re.compile(r"^(?:[-*•–—►▪◦]\s|\d{1,2}[.)]\s)")

FEATURES = (
    "log_words",
    "log_chars",
    "stop_share",
    "ends_sentence",
    "sentences_per_word",
    "commas_per_word",
    "capital_share",
    "digit_share",
    "all_caps",
    "bullet",
    "separators",
    "furniture_share",
    "furniture_any",
    "date_like",
    "time_like",
    "url_like",
    "comment_head",
    "comment_line",
    "copyright",
    "one_or_two_words",
    "up_to_four_words",
    "long_line",
    "in_block",
    "position",
    "win2_log_words",
    "win5_log_words",
    "win3_short_share",
    "win2_stop_share",
    "win2_furniture",
    "prev_log_words",
    "next_log_words",
    "in_run",
    "run_distance",
    "before_run",
    "after_run",
    "after_comment_head",
    "repeated_in_page",
)
STAGE2 = ("p", "p_prev", "p_next", "p_win2", "p_win5", "p_in_run", "p_run_distance", "p_after_run", "p_before_run")


@dataclass(frozen=True)
class Line:
    text: str
    block_lines: int  # how many lines its block (lines between blank lines) has


def page_lines(raw: str) -> list[Line]:
    """The non-empty lines of a scraped page, each with the size of its block."""
    out: list[Line] = []
    for block in re.split(r"\n[ \t]*\n", raw):
        lines = [" ".join(x.split()) for x in block.split("\n")]
        lines = [x for x in lines if x]
        out.extend(Line(x, len(lines)) for x in lines)
    return out


def _window_mean(values: np.ndarray, radius: int) -> np.ndarray:
    if not len(values):
        return values
    padded = np.concatenate([np.full(radius, values[0]), values, np.full(radius, values[-1])])
    kernel = np.ones(2 * radius + 1) / (2 * radius + 1)
    return np.convolve(padded, kernel, mode="valid")


def best_run(scores: np.ndarray) -> tuple[int, int]:
    """[start, end) of the contiguous run of lines with the largest sum of `scores` (Kadane)."""
    best, best_span, current, start = -math.inf, (0, 0), 0.0, 0
    for i, s in enumerate(scores):
        if current <= 0:
            current, start = 0.0, i
        current += s
        if current > best:
            best, best_span = current, (start, i + 1)
    return best_span


def _run_features(scores: np.ndarray) -> np.ndarray:
    n = len(scores)
    start, end = best_run(scores)
    idx = np.arange(n)
    inside = (idx >= start) & (idx < end)
    distance = np.where(idx < start, start - idx, np.where(idx >= end, idx - end + 1, 0))
    return np.stack(
        [inside.astype(float), np.log1p(distance), (idx < start).astype(float), (idx >= end).astype(float)], axis=1
    )


def line_features(lines: list[Line]) -> np.ndarray:
    """One row of `FEATURES` per line."""
    n = len(lines)
    if not n:
        return np.zeros((0, len(FEATURES)))
    local = np.zeros((n, 23))
    seen: dict[str, int] = {}
    repeated = np.zeros(n)
    for i, line in enumerate(lines):
        text = line.text
        toks = WORD.findall(text)
        n_words = len(toks)
        lower = [t.lower() for t in toks]
        n_stop = sum(t in STOP_WORDS for t in lower)
        n_furn = sum(t in FURNITURE_WORDS for t in lower)
        local[i] = (
            math.log1p(n_words),
            math.log1p(len(text)),
            n_stop / n_words if n_words else 0.0,
            float(text[-1] in '.!?…"”’)' if text else 0),
            len(_SENT_END.findall(text)) / max(n_words, 1),
            text.count(",") / max(n_words, 1),
            sum(t[0].isupper() for t in toks) / n_words if n_words else 0.0,
            sum(map(str.isdigit, text)) / max(len(text), 1),
            float(text.upper() == text and sum(map(str.isalpha, text)) > 3),  # all capitals (checked first: rare)
            float(bool(_BULLET.match(text))),
            min(len(_SEPARATORS.findall(text)), 5) / 5,
            n_furn / n_words if n_words else 0.0,
            float(n_furn > 0),
            float(bool(_DATEISH.search(text)) and n_words <= 12),
            float(bool(_TIMEISH.search(text)) and n_words <= 12),
            float(bool(_URLISH.search(text))),
            float(bool(_COMMENT_HEAD.search(text)) and n_words <= 12),
            float(bool(_COMMENT_LINE.search(text)) and n_words <= 12),
            float(bool(_COPYRIGHT.search(text)) and n_words <= 40),
            float(n_words <= 2),
            float(n_words <= 4),
            float(n_words >= 30),
            float(line.block_lines > 1),
        )
        key = text.lower()
        if n_words >= 1:
            if key in seen:
                repeated[i] = 1.0
                repeated[seen[key]] = 1.0
            else:
                seen[key] = i
    log_words, stop = local[:, 0], local[:, 2]
    short = local[:, 19]
    prose = np.minimum(log_words, 4.0) * (stop >= 0.2) * (1 - local[:, 11]) - 1.5 * (log_words < math.log1p(8)) - 1.0
    run = _run_features(prose)
    comment_head = local[:, 16]
    after_comment = np.zeros(n)
    start, _ = best_run(prose)
    heads = np.nonzero(comment_head)[0]
    heads = heads[heads >= max(start, 1)]
    if len(heads):
        after_comment[heads[0] :] = 1.0
    position = np.arange(n) / max(n - 1, 1)
    prev_words = np.concatenate([[0.0], log_words[:-1]])
    next_words = np.concatenate([log_words[1:], [0.0]])
    context = np.stack(
        [
            position,
            _window_mean(log_words, 2),
            _window_mean(log_words, 5),
            _window_mean(short, 3),
            _window_mean(stop, 2),
            _window_mean(local[:, 12], 2),
            prev_words,
            next_words,
        ],
        axis=1,
    )
    return np.concatenate([local, context, run, after_comment[:, None], repeated[:, None]], axis=1)


def stage2_features(p: np.ndarray) -> np.ndarray:
    """Context of the first model's scores: neighbours, window means and the best run of likely-body lines."""
    if not len(p):
        return np.zeros((0, len(STAGE2)))
    prev = np.concatenate([[0.0], p[:-1]])
    nxt = np.concatenate([p[1:], [0.0]])
    run = _run_features(p - 0.5)
    return np.stack(
        [p, prev, nxt, _window_mean(p, 2), _window_mean(p, 5), run[:, 0], run[:, 1], run[:, 3], run[:, 2]], axis=1
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


@dataclass(frozen=True)
class LineModel:
    """Two stacked logistic models (weights from ``train/boilerplate.py``)."""

    mean1: np.ndarray
    scale1: np.ndarray
    coef1: np.ndarray
    bias1: float
    mean2: np.ndarray
    scale2: np.ndarray
    coef2: np.ndarray
    bias2: float
    threshold: float = 0.5
    title: dict | None = None  # the headline ranker of qa.ingest.metadata: mean, scale, coef, bias
    publisher: dict | None = None  # the publisher ranker of qa.ingest.publisher

    @classmethod
    def from_dict(cls, d: dict) -> LineModel:
        if tuple(d["features"]) != FEATURES or tuple(d["stage2"]) != STAGE2:
            raise ValueError("boilerplate model was trained on other features: run train/boilerplate.py")
        s1, s2 = d["stage1"], d["stage2_model"]
        arr = np.asarray
        return cls(
            arr(s1["mean"]), arr(s1["scale"]), arr(s1["coef"]), float(s1["bias"]),
            arr(s2["mean"]), arr(s2["scale"]), arr(s2["coef"]), float(s2["bias"]),
            float(d.get("threshold", 0.5)),
            _ranker(d.get("title")),
            _ranker(d.get("publisher")),
        )  # fmt: skip

    def stage1(self, features: np.ndarray) -> np.ndarray:
        return _sigmoid(((features - self.mean1) / self.scale1) @ self.coef1 + self.bias1)

    def predict(self, lines: list[Line]) -> np.ndarray:
        """Probability that each line is article text."""
        if not lines:
            return np.zeros(0)
        p1 = self.stage1(line_features(lines))
        return _sigmoid(((stage2_features(p1) - self.mean2) / self.scale2) @ self.coef2 + self.bias2)


def _ranker(d: dict | None) -> dict | None:
    return {k: (np.asarray(v) if isinstance(v, list) else v) for k, v in d.items()} if d else None


@lru_cache(maxsize=1)
def default_model() -> LineModel:
    return LineModel.from_dict(json.loads(MODEL_PATH.read_text(encoding="utf-8")))


def looks_scraped(lines: list[Line]) -> bool:
    """Whether text looks like a page saved line by line (menus and all) rather than an extracted article:
    many lines, and a good share of them one to four words long."""
    short = sum(len(line.text.split()) <= 4 for line in lines)
    return len(lines) >= 8 and short >= 0.3 * len(lines)


MAX_GAP = 6  # lines between two article lines that are kept as part of the article ...
GAP_FLOOR = 0.1  # ... unless the model gives a line less than this


def body_mask(lines: list[Line], p: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """True for the lines that are article text: the likely ones, and the gaps between them.

    A short run of lines between two article lines (a list of tour dates, a meal plan's "Breakfast: …"
    items, a table's rows, day names as sub-headings) is kept too unless its lines use furniture words
    ("Advertisement", "Share this", "Related stories") or the model is sure they are furniture: lists
    look like menus line by line, but a menu does not sit in the middle of the story.
    """
    keep = p >= threshold
    kept = np.nonzero(keep)[0]
    for a, b in itertools.pairwise(kept):
        if 1 < b - a <= MAX_GAP + 1:
            for i in range(a + 1, b):
                toks = [t.lower() for t in WORD.findall(lines[i].text)]
                furniture = any(t in FURNITURE_WORDS for t in toks) or _COMMENT_HEAD.search(lines[i].text)
                keep[i] = p[i] >= GAP_FLOOR and not furniture
    return keep
