"""`index_status`: fresh, stale or missing, judged from file sizes and times first, bytes only when needed;
and the build's fingerprint, hashed from the bytes ingestion reads, equals one taken by reading the folder."""

from __future__ import annotations

import os

import numpy as np
import pytest

import qa.index.build as build
from qa.index.build import corpus_fingerprint, index_status
from qa.index.store import load_index
from tests.helpers import build_hash_index, hash_config


def _never_read(path):
    raise AssertionError(f"{path} was read")


def test_the_build_fingerprint_is_the_folder_fingerprint(corpus_copy, tmp_path):
    (corpus_copy / "feed.jsonl").write_text('{"text": "One record. Two sentences."}\n', encoding="utf-8")
    build_hash_index(corpus_copy, tmp_path / "index")
    assert load_index(tmp_path / "index").manifest.corpus_fingerprint == corpus_fingerprint(corpus_copy)


def test_status_reads_no_byte_of_an_unchanged_corpus(corpus_copy, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    assert index_status(corpus_copy, index_dir, hash_config()) == "missing"
    build_hash_index(corpus_copy, index_dir)
    monkeypatch.setattr(build, "file_digest", _never_read)
    assert index_status(corpus_copy, index_dir, hash_config()) == "fresh"
    assert index_status(corpus_copy, index_dir, hash_config(), compare_bytes=False) == "fresh"


def test_a_touched_file_is_fresh_by_its_bytes_and_an_edited_one_is_stale(corpus_copy, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    build_hash_index(corpus_copy, index_dir)
    article = sorted(corpus_copy.iterdir())[0]
    stamp = article.stat().st_mtime_ns + 5_000_000_000
    os.utime(article, ns=(stamp, stamp))
    assert index_status(corpus_copy, index_dir, hash_config()) == "fresh"  # same bytes
    assert index_status(corpus_copy, index_dir, hash_config(), compare_bytes=False) == "stale"  # a build will tell
    article.write_text(article.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    assert index_status(corpus_copy, index_dir, hash_config()) == "stale"


@pytest.mark.parametrize("change", ["model", "chunking"])
def test_other_settings_make_the_index_stale(corpus_copy, tmp_path, change):
    from dataclasses import replace

    from qa.config import ChunkingConfig

    build_hash_index(corpus_copy, tmp_path / "index")
    config = hash_config()
    config = (
        replace(config, model="all-MiniLM-L6-v2")
        if change == "model"
        else replace(config, chunking=ChunkingConfig(max_tokens=120, overlap_tokens=20))
    )
    assert index_status(corpus_copy, tmp_path / "index", config) == "stale"


def test_other_bm25_parameters_make_the_index_stale_and_the_update_rescores_without_embedding(corpus_copy, tmp_path):
    from dataclasses import replace

    from qa.config import LexicalConfig
    from qa.index.lexical import LexicalIndex
    from qa.text import embedding_text

    index_dir = tmp_path / "index"
    build_hash_index(corpus_copy, index_dir)
    assert load_index(index_dir).manifest.bm25 == {"k1": LexicalConfig().k1, "b": LexicalConfig().b}
    before = load_index(index_dir).lexical.scores("Russian cruise missiles fired")
    saturating = replace(hash_config(), lexical=LexicalConfig(k1=1.5, b=0.75))
    assert index_status(corpus_copy, index_dir, saturating) == "stale"

    report = build_hash_index(corpus_copy, index_dir, saturating)
    assert report.manifest.update["mode"] == "incremental" and report.manifest.update["embedded_chunks"] == 0
    assert index_status(corpus_copy, index_dir, saturating) == "fresh"
    index = load_index(index_dir)
    assert index.manifest.bm25 == {"k1": 1.5, "b": 0.75}
    texts = [
        embedding_text(index.chunk_article(c).get("title", ""), index.chunk_text(c)) for c in range(index.n_chunks)
    ]
    reference = LexicalIndex.build(texts, LexicalConfig(k1=1.5, b=0.75))
    after = index.lexical.scores("Russian cruise missiles fired")
    np.testing.assert_allclose(after, reference.scores("Russian cruise missiles fired"), atol=1e-5)
    assert not np.allclose(after, before)  # the parameters reached the scores
