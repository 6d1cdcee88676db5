"""Property-based tests: any text, however odd, chunks into valid spans.

Chunks must fit the model (title included, as embedded), map back to the article text exactly, and
together cover every word of it. Checked with the model's tokenizer (the hash embedder counts with it) and
with the fast word counter. The text strategies are in tests/helpers.py.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.config import ChunkingConfig
from qa.index.chunking import Chunker, whitespace_token_counter
from qa.index.pipeline import SPECIAL_TOKENS
from qa.ingest.clean import clean_page
from qa.records import Article
from qa.text import clean_unicode, embedding_text
from tests.helpers import ANY_TEXT, PROFILE, TITLES


def check_chunks(text: str, title: str, count, config: ChunkingConfig) -> None:
    """Chunks fit `max_tokens` with their title (a title over half of it leaves the text half), map back, cover."""
    title_tokens = count([title + "\n"])[0] if title and config.with_title else 0
    limit = max(config.max_tokens, title_tokens + config.max_tokens // 2)
    article = Article(article_id="a", text=text, title=title)
    chunks = Chunker(count, config).chunk(article, first_id=7)
    if text.strip():
        assert chunks
    assert [c.chunk_id for c in chunks] == list(range(7, 7 + len(chunks)))
    for chunk in chunks:
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert chunk.text == text[chunk.start : chunk.end]
        embedded = embedding_text(title, chunk.text, config.with_title)
        assert count([embedded])[0] <= limit, (len(embedded), count([embedded])[0])
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


CONFIGS = st.sampled_from(
    [
        ChunkingConfig(),
        ChunkingConfig(paragraphs=False),
        ChunkingConfig(max_tokens=64, overlap_tokens=16),
        ChunkingConfig(40, 0),
    ]
)


@PROFILE
@given(text=ANY_TEXT, title=TITLES, config=CONFIGS)
def test_chunks_fit_and_map_back_with_a_word_counter(text, title, config):
    check_chunks(text, title, whitespace_token_counter, config)


@pytest.fixture(scope="module")
def count_tokens(hash_embedder):
    return hash_embedder.count_tokens  # the model's own tokenizer (tests/index/test_chunking.py checks it is)


@pytest.fixture(scope="module")
def model_limit(hash_embedder) -> int:
    return hash_embedder.max_tokens - SPECIAL_TOKENS


@pytest.mark.slow
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(text=ANY_TEXT, title=TITLES)
def test_chunks_fit_the_real_tokenizer_and_map_back(count_tokens, model_limit, text, title):
    config = ChunkingConfig()
    page = clean_page(clean_unicode(text), title=title)
    check_chunks(page.text or text, page.title, count_tokens, config)
    # what ingestion produces always fits the model: a capped title plus at most max_tokens of text
    if page.text:
        for chunk in Chunker(count_tokens, config).chunk(Article("a", page.text, page.title)):
            assert count_tokens([embedding_text(page.title, chunk.text)])[0] <= model_limit


@pytest.mark.slow
def test_a_two_megabyte_line_chunks_within_the_limit(count_tokens):
    text = "Harbour news: " + "ferry passengers wait at the quay " * 60_000
    check_chunks(text[:2_000_000], "Ferry delays", count_tokens, ChunkingConfig())


@pytest.mark.slow
def test_a_long_run_without_spaces_chunks_within_the_limit(count_tokens):
    text = "Data: " + "QUJDRA+/=" * 20_000  # base64-like, no spaces
    check_chunks(text, "Blob", count_tokens, ChunkingConfig())
