"""The query path's BM25 (no bm25s import): the same terms and the same scores as bm25s."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from qa.index.lexical import LexicalIndex, SavedBM25, stem_words
from tests.helpers import QUESTIONS, ROOT, SAMPLE_CORPUS

TEXTS = [p for path in sorted(SAMPLE_CORPUS.iterdir()) for p in path.read_text(encoding="utf-8").split("\n\n") if p]


def _bm25s_terms(text: str) -> list[str]:
    from qa.index.lexical import tokenize  # bm25s.tokenize

    tokenized = tokenize([text])
    inverse = {i: t for t, i in tokenized.vocab.items()}
    return [inverse[i] for i in tokenized.ids[0]] if tokenized.ids else []


def test_terms_are_bm25s_terms_on_real_text():
    for text in [*TEXTS, *[q for q, _, _ in QUESTIONS], "", "The of AND", "Ünïcode naïve café's 2017-04-10"]:
        assert stem_words(text) == _bm25s_terms(text), text


@given(st.text(max_size=200))
def test_terms_are_bm25s_terms_on_any_text(text):
    assert stem_words(text) == _bm25s_terms(text)


def test_saved_scores_equal_bm25s_scores_exactly(tmp_path):
    import bm25s

    index = LexicalIndex.build(TEXTS)
    index.save(tmp_path / "bm25")
    ours = LexicalIndex.load(tmp_path / "bm25")
    theirs = LexicalIndex(bm25s.BM25.load(str(tmp_path / "bm25"), mmap=True))
    assert isinstance(ours.bm25, SavedBM25)
    for question in [q for q, _, _ in QUESTIONS] + ["missiles missiles Syria", "zebra", ""]:
        a, b = ours.scores(question), theirs.scores(question)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert ours.idf(["missil", "syria", "zebra"]) == theirs.idf(["missil", "syria", "zebra"])


def test_querying_a_saved_index_does_not_import_bm25s(tmp_path):
    LexicalIndex.build(TEXTS).save(tmp_path / "bm25")
    code = (
        "import sys; from qa.index.lexical import LexicalIndex; "
        f"s = LexicalIndex.load({str(tmp_path / 'bm25')!r}).scores('cruise missiles'); "
        "print(int((s > 0).sum()) > 0, [m for m in ('bm25s', 'numba', 'scipy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip() == "True []", out.stderr[-2000:]
