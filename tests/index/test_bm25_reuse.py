"""An incremental build's BM25 takes unchanged chunks' term counts from the served version: same scores."""

from __future__ import annotations

import numpy as np

from qa.index.bm25_stream import StreamingBM25, TermCounts
from qa.index.lexical import LexicalIndex
from tests.helpers import QUESTIONS, SAMPLE_CORPUS

TEXTS = [p for path in sorted(SAMPLE_CORPUS.iterdir()) for p in path.read_text(encoding="utf-8").split("\n\n") if p]
QUERIES = [q for q, _, _ in QUESTIONS] + ["Caspian Caspian missiles", "glacier tunnel", "zebra", ""]


def _stream(texts, batch=5, reuse=None, previous=None) -> LexicalIndex:
    bm25 = StreamingBM25()
    for start in range(0, len(texts), batch):
        part = {i - start: d for i, d in (reuse or {}).items() if start <= i < start + batch}
        bm25.add(texts[start : start + batch], reuse=part, previous=previous)
    return bm25.finish()


def test_reused_counts_give_the_scores_of_tokenizing_everything(tmp_path):
    old = TEXTS[:30]
    _stream(old).save(tmp_path / "v1")
    previous = TermCounts.load(tmp_path / "v1")
    assert previous is not None and len(previous.doc_ptr) == 31
    # the new version: old documents 5-29 kept (moved to the front), 0-4 removed, new ones after them
    new = [*old[5:], "A glacier museum opened in Tromso with an ice tunnel 140 metres long.", *TEXTS[30:40]]
    reuse = {i: i + 5 for i in range(25)}
    blanked = ["" if i in reuse else t for i, t in enumerate(new)]  # reused texts are never read
    reused = _stream(blanked, reuse=reuse, previous=previous)
    full = _stream(new)
    reference = LexicalIndex.build(new)
    for query in QUERIES:
        np.testing.assert_array_equal(reused.scores(query), full.scores(query))
        np.testing.assert_allclose(reused.scores(query), reference.scores(query), atol=1e-6)
    # and the counts it saves are reusable again
    reused.save(tmp_path / "v2")
    again = _stream([""] * len(new), reuse={i: i for i in range(len(new))}, previous=TermCounts.load(tmp_path / "v2"))
    for query in QUERIES:
        np.testing.assert_array_equal(again.scores(query), full.scores(query))


def test_an_index_without_counts_has_none(tmp_path):
    LexicalIndex.build(TEXTS[:5]).save(tmp_path / "bm25")
    assert TermCounts.load(tmp_path / "bm25") is None
