"""BM25 over the chunks: stemmed, stop-word-free terms; scores, IDF and a save/load round trip."""

from __future__ import annotations

import numpy as np
import pytest

from qa.index.lexical import LexicalIndex, stem_words

DOCS = [
    "Russian warships fired cruise missiles at targets in Syria.",
    "The senator said Russia will not intercept American missiles.",
    "The harbour festival drew a record crowd of visitors.",
    "",
]


@pytest.fixture(scope="module")
def lexical() -> LexicalIndex:
    return LexicalIndex.build(DOCS)


def test_terms_are_stemmed_lowercased_and_stop_words_dropped():
    assert stem_words("The Warships are FIRING missiles") == ["warship", "fire", "missil"]
    assert stem_words("missile") == stem_words("missiles") == stem_words("Missiles")
    assert stem_words("firing") == stem_words("fired")
    assert stem_words("the of and") == []


def test_scores_rank_the_documents_that_hold_the_terms(lexical):
    scores = lexical.scores("cruise missiles")
    assert scores.shape == (len(DOCS),) and scores.dtype == np.float32
    assert scores[0] > scores[1] > 0  # both say "missiles"; only the first says "cruise"
    assert scores[2] == scores[3] == 0


def test_unknown_or_stop_words_score_zero_everywhere(lexical):
    assert not lexical.scores("zebra giraffe").any()
    assert not lexical.scores("the of and").any()
    assert not lexical.scores("").any()


def test_idf_is_higher_for_rarer_terms_and_zero_for_unknown_ones(lexical):
    idf = lexical.idf(stem_words("missiles harbour zebra"))
    missile, harbour, zebra = (idf[t] for t in stem_words("missiles harbour zebra"))
    assert harbour > missile > 0  # "harbour" is in one document, "missiles" in two
    assert zebra == 0.0


def test_save_and_load_round_trip(lexical, tmp_path):
    lexical.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    for query in ("cruise missiles", "harbour crowd", "senator Russia", "zebra"):
        np.testing.assert_allclose(loaded.scores(query), lexical.scores(query))
    assert loaded.idf(["missil"]) == lexical.idf(["missil"])


def test_the_compiled_loop_adds_the_same_scores_as_numpy(tmp_path):
    pytest.importorskip("numba")
    from qa.index.lexical import SavedBM25

    texts = [f"Story {i}: the port of town{i % 7} closed after storm {i % 3} near the river." for i in range(300)]
    LexicalIndex.build(texts).save(tmp_path / "bm25")
    saved = SavedBM25(tmp_path / "bm25")
    assert not saved.compiled  # a small index adds with numpy and never loads numba
    for query in ("port storm river", "town3 closed", "unknownword", ""):
        ids = [saved.vocab_dict[t] for t in stem_words(query) if t in saved.vocab_dict]
        plain = saved.get_scores(ids, compiled=False)
        np.testing.assert_array_equal(saved.get_scores(ids, compiled=True), plain)  # same additions, same order
        assert plain.dtype == np.float32 and len(plain) == 300
    assert saved.get_scores([saved.vocab_dict["port"]], compiled=True).max() > 0


@pytest.mark.parametrize("n", [1, 7, 100])
def test_the_compiled_top_n_finds_the_n_highest_scores(n, monkeypatch):
    pytest.importorskip("numba")
    import qa.index.lexical as lexical

    scores = np.random.default_rng(n).random(5_000).astype(np.float32)
    scores[::3] = 0.0
    expected = set(np.argsort(-scores, kind="stable")[:n].tolist())
    monkeypatch.setattr(lexical, "COMPILED_MIN_DOCS", 1_000)  # use the compiled pass at this size
    assert set(lexical.top_documents(scores, n).tolist()) == expected
    monkeypatch.setattr(lexical, "COMPILED_MIN_DOCS", 10**9)  # numpy's argpartition
    assert set(lexical.top_documents(scores, n).tolist()) == expected
    assert sorted(lexical.top_documents(scores, 6_000).tolist()) == list(range(5_000))  # n beyond the scores
