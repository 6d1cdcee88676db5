""" "Prefer recent" (SearchOptions.prefer_recent): time decay from the newest article, through `retrieve`."""

from __future__ import annotations

import pytest

from qa.api import retrieve
from qa.search.options import SearchOptions

QUESTION = "Which Russian senator said Russia will not intercept US missiles?"


def test_prefer_recent_lifts_newer_articles(hash_index):
    # the fused scores' decay alone (the reader, which may still put an old article that answers first, is off)
    plain = retrieve(QUESTION, k=5, index_dir=hash_index, read_depth=0)
    recent = retrieve(QUESTION, k=5, index_dir=hash_index, prefer_recent=True, half_life_days=1, read_depth=0)
    assert plain[0].published == "2017-04-10"  # the senator's article, a year older than the newest
    assert recent[0].published == max(p.published for p in recent if p.published and len(p.published) == 10)
    assert recent[0].article_id != plain[0].article_id
    assert {p.chunk_id for p in recent} <= {p.chunk_id for p in retrieve(QUESTION, k=100, index_dir=hash_index)}


def test_a_long_half_life_changes_little(hash_index):
    plain = retrieve(QUESTION, k=3, index_dir=hash_index)
    slow = retrieve(QUESTION, k=3, index_dir=hash_index, prefer_recent=True, half_life_days=100_000)
    assert [p.chunk_id for p in slow] == [p.chunk_id for p in plain]


def test_half_life_must_be_positive():
    with pytest.raises(ValueError, match="half_life_days"):
        SearchOptions(prefer_recent=True, half_life_days=0)
