"""Chunks fit the real model's token limit, keep their spans, overlap a little, and never truncate."""

from __future__ import annotations

import itertools

import pytest

from qa.build import SPECIAL_TOKENS
from qa.chunking import Chunker, embedding_text
from qa.config import ChunkingConfig
from qa.ingest import load_articles
from qa.records import Article

from .conftest import SAMPLE_CORPUS


def _token_len(embedder, text: str) -> int:
    return len(embedder.model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])


@pytest.mark.parametrize("max_tokens", [64, 200])
def test_sample_chunks_fit_the_model_and_map_back(embedder, max_tokens):
    config = ChunkingConfig(max_tokens=max_tokens, overlap_tokens=max_tokens // 5)
    chunker = Chunker(embedder.count_tokens, config)
    articles, _ = load_articles(SAMPLE_CORPUS)
    for article in articles:
        chunks = chunker.chunk(article)
        assert chunks, article.article_id
        for chunk in chunks:
            assert chunk.text == article.text[chunk.start : chunk.end]
            assert chunk.article_id == article.article_id
            n_tokens = _token_len(embedder, embedding_text(article.title, chunk.text))
            assert n_tokens <= max_tokens + SPECIAL_TOKENS <= embedder.max_tokens
        # together the chunks cover every sentence of the article
        covered = set()
        for chunk in chunks:
            covered.update(range(chunk.start, chunk.end))
        assert all(i in covered for i, ch in enumerate(article.text) if not ch.isspace())


def test_consecutive_chunks_overlap_by_whole_sentences(embedder):
    chunker = Chunker(embedder.count_tokens, ChunkingConfig(max_tokens=80, overlap_tokens=30))
    article = next(a for a in load_articles(SAMPLE_CORPUS)[0] if a.article_id.startswith("001"))
    chunks = chunker.chunk(article)
    assert len(chunks) >= 3
    overlapping = [b.start < a.end for a, b in itertools.pairwise(chunks)]
    assert any(overlapping)
    assert all(b.start > a.start for a, b in itertools.pairwise(chunks))  # always moves forward


def test_a_sentence_longer_than_the_limit_is_split_not_truncated(embedder):
    long_sentence = " ".join(f"word{i} pneumonoultramicroscopicsilicovolcanoconiosis" for i in range(300)) + "."
    article = Article(article_id="long", text=long_sentence, title="A title")
    chunks = Chunker(embedder.count_tokens, ChunkingConfig(max_tokens=100, overlap_tokens=10)).chunk(article)
    assert len(chunks) > 5
    assert "".join(c.text for c in chunks).replace(" ", "") == long_sentence.replace(" ", "")
    for chunk in chunks:
        assert _token_len(embedder, embedding_text("A title", chunk.text)) <= 100 + SPECIAL_TOKENS


def test_a_single_huge_token_is_cut_by_characters(embedder):
    blob = "x" * 5000
    chunks = Chunker(embedder.count_tokens, ChunkingConfig(max_tokens=50, overlap_tokens=5)).chunk(
        Article(article_id="blob", text=blob)
    )
    assert "".join(c.text for c in chunks) == blob
    assert all(_token_len(embedder, c.text) <= 50 + SPECIAL_TOKENS for c in chunks)


def test_overlap_must_be_small():
    with pytest.raises(ValueError, match="overlap"):
        Chunker(lambda texts: [1] * len(texts), ChunkingConfig(max_tokens=100, overlap_tokens=60))
