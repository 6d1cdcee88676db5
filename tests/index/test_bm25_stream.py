"""BM25 built batch by batch (`StreamingBM25`) scores exactly as bm25s does over all the texts at once."""

from __future__ import annotations

import numpy as np
import pytest

from qa.index.bm25_stream import StreamingBM25
from qa.index.lexical import LexicalIndex
from qa.index.store import load_index
from qa.text import sentence_spans

QUERIES = ["Russian cruise missiles Caspian", "Interfax senator", "chemical attack Douma", "unknownword", ""]


def _streamed(texts: list[str], batch: int) -> LexicalIndex:
    streamed = StreamingBM25()
    for start in range(0, len(texts), batch):
        streamed.add(texts[start : start + batch])
    return streamed.finish()


def test_streaming_bm25_scores_equal_bm25s(hash_index):
    index = load_index(hash_index)
    texts = [index.chunk_text(i) for i in range(index.n_chunks)]
    texts += [index.article_text(0)[a:b] for a, b in sentence_spans(index.article_text(0))] + ["", "the of and"]
    reference = LexicalIndex.build(texts)
    lexical = _streamed(texts, 7)
    for query in QUERIES:
        np.testing.assert_allclose(lexical.scores(query), reference.scores(query), atol=1e-6)
    assert lexical.idf(["russia", "missil"]) == reference.idf(["russia", "missil"])


@pytest.mark.parametrize("batch", [1, 3, 1000])
def test_batch_boundaries_do_not_change_the_scores(batch):
    texts = [f"Story {i}: the port of town{i % 4} closed after a storm of force {i}." for i in range(20)]
    one_go = _streamed(texts, len(texts))
    batched = _streamed(texts, batch)
    for query in ("port storm", "town2", "force 7"):
        np.testing.assert_allclose(batched.scores(query), one_go.scores(query), atol=1e-6)


def test_empty_batches_add_nothing():
    streamed = StreamingBM25()
    streamed.add([])
    streamed.add(["ferry terminal opens", "storm closes ports"])
    streamed.add([])
    assert streamed.n_docs == 2
    scores = streamed.finish().scores("ferry")
    assert scores.shape == (2,) and scores[0] > 0 and scores[1] == 0


def test_finished_index_survives_save_and_load(tmp_path):
    lexical = _streamed(["ferry terminal opens", "storm closes ports", "ferry strike"], 2)
    lexical.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    np.testing.assert_allclose(loaded.scores("ferry storm"), lexical.scores("ferry storm"))
