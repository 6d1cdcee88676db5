"""Typed records that flow through the pipeline: Article -> Chunk -> Passage."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Article:
    """One news article after ingestion and clean-up."""

    article_id: str  # stable: path relative to the corpus, plus ":<line>" for jsonl records
    text: str  # clean text, paragraphs separated by blank lines
    title: str = ""
    source: str = ""  # publisher, e.g. "Sputnik News"
    published: str | None = None  # ISO date (YYYY-MM-DD) or a partial date as printed
    url: str | None = None
    path: str = ""  # file path relative to the corpus root

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Chunk:
    """A span of an article's clean text, small enough for the embedding model."""

    chunk_id: int  # position in the index
    article_id: str
    start: int  # character span [start, end) in Article.text
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Passage:
    """A retrieved chunk with its source, as returned by `qa.retrieve`."""

    text: str
    score: float
    title: str
    source: str
    published: str | None
    path: str  # the article's file, relative to the corpus folder (its web address is `url`)
    article_id: str
    chunk_id: int
    highlight: str  # the sentence of `text` that best answers the question
    highlight_start: int = 0  # character span of `highlight` inside `text`
    highlight_end: int = 0
    answer: str = ""  # the short answer inside the highlight ("" when nothing fits)
    answer_start: int = 0  # character span of `answer` inside `text`
    answer_end: int = 0
    url: str | None = None
    start: int = 0  # character span of `text` inside the article's clean text
    end: int = 0
    also_in: list[str] = field(default_factory=list)  # other publishers of the same story

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
