"""Resolve follow-up questions against the conversation, without a language model.

A follow-up such as "Which news agency did he speak to?" leans on earlier turns for its subject.
When the current question looks incomplete (a pronoun or demonstrative with no named subject of its
own), the earlier questions are added to the query, most recent first, weighted by recency.
Self-contained questions are left alone so history can never make them worse.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_ANAPHORA = re.compile(
    r"\b(?:he|him|his|she|her|hers|they|them|their|theirs|it|its|this|that|these|those|there|"
    r"the (?:same|former|latter)|the (?:article|story|report|country|city|group|agency|president|minister))\b",
    re.IGNORECASE,
)
_ELLIPSIS = re.compile(r"^\s*(?:and|what about|how about|also|why|when|where|who else|what else)\b", re.IGNORECASE)
_PROPER_NOUN = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][a-zA-Z-]{2,}")
MAX_TURNS = 3


def looks_incomplete(question: str) -> bool:
    """True when the question needs earlier turns to be understood."""
    has_anaphora = bool(_ANAPHORA.search(question)) or bool(_ELLIPSIS.match(question))
    names_subject = bool(_PROPER_NOUN.search(question.strip()))
    short = len(question.split()) <= 4
    return (has_anaphora and not names_subject) or (short and bool(_ELLIPSIS.match(question)))


def expand_query(question: str, history: Sequence[str] | None) -> str:
    """The query to search for: the question itself, or the question plus recent turns."""
    turns = [h.strip() for h in (history or []) if h and h.strip()]
    if not turns or not looks_incomplete(question):
        return question
    # The question counts most; the latest earlier turn next; older turns fade out.
    recent = list(reversed(turns[-MAX_TURNS:]))
    parts = [question, question] + [turn for i, turn in enumerate(recent) for _ in range(max(1, 2 - i))]
    return " ".join(parts)
