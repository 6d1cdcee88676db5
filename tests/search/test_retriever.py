"""The retriever: the right articles on the real model, and the logic of ranking, fusion, filters and dedup
on the hash-embedder index (fast)."""

from __future__ import annotations

import shutil

import pytest

from qa import Passage, retrieve
from qa.search.answers import RANK_TOKENS, read_tokens
from qa.search.options import MODES, SearchOptions
from qa.search.reader import MAX_TOKENS
from qa.text import normalize_space
from tests.helpers import QUESTIONS, build_hash_index  # (question, article that answers it, words of the answer)

CRUISE = QUESTIONS[0][0]


@pytest.mark.parametrize(("question", "article_id", "answer"), QUESTIONS)
def test_the_right_article_comes_first(sample_index, question, article_id, answer):
    passages = retrieve(question, k=5, index_dir=sample_index)
    assert passages[0].article_id == article_id
    assert answer in passages[0].highlight
    assert passages[0].highlight in passages[0].text


def test_passages_carry_their_sources(hash_index):
    passages = retrieve(QUESTIONS[0][0], k=5, index_dir=hash_index)
    assert 1 <= len(passages) <= 5
    assert all(isinstance(p, Passage) for p in passages)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    top = passages[0]
    assert top.title == "Russian firepower backs Assad attack"
    assert top.path == "001_777249522e6c8631.txt"
    assert top.text[top.highlight_start : top.highlight_end] == top.highlight
    assert len({p.chunk_id for p in passages}) == len(passages)
    sky = retrieve("Lavrov S-300 moral obligations", k=1, index_dir=hash_index)[0]
    assert (sky.source, sky.published) == ("SkyNews", "Thursday, October 31")


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "?!"])
def test_empty_questions_raise_a_readable_value_error(hash_index, question):
    with pytest.raises(ValueError, match="question"):
        retrieve(question, index_dir=hash_index)


def _ranked_texts(retriever, question: str, **options) -> list[str]:
    ranked = retriever.rank(question, options=SearchOptions(**options))
    return [normalize_space(retriever.index.chunk_text(cid)).lower() for cid, _ in ranked]


@pytest.mark.parametrize("fusion", ["mix", "rrf"])
@pytest.mark.parametrize("mode", MODES)
def test_every_mode_and_fusion_ranks_each_chunk_once_best_first(hash_retriever, mode, fusion):
    ranked = hash_retriever.rank(CRUISE, options=SearchOptions(k=20, mode=mode, fusion=fusion))
    chunk_ids = [cid for cid, _ in ranked]
    scores = [score for _, score in ranked]
    assert len(set(chunk_ids)) == len(chunk_ids)
    assert scores == sorted(scores, reverse=True)
    texts = _ranked_texts(hash_retriever, CRUISE, k=20, mode=mode, fusion=fusion)
    assert len(set(texts)) == len(texts)
    index = hash_retriever.index
    assert index.articles[int(index.chunk_rows[chunk_ids[0]][0])]["article_id"] == QUESTIONS[0][1]


def test_rrf_scores_are_the_sum_of_reciprocal_ranks(hash_retriever):
    k = SearchOptions().rrf_k
    n = hash_retriever.index.n_chunks
    dense = [c for c, _ in hash_retriever.rank(CRUISE, options=SearchOptions(k=n, mode="dense"))]
    lexical = [c for c, _ in hash_retriever.rank(CRUISE, options=SearchOptions(k=n, mode="lexical"))]
    fused = hash_retriever.rank(CRUISE, options=SearchOptions(k=3, mode="hybrid", fusion="rrf"))
    for cid, score in fused:
        want = sum(1 / (k + ranks.index(cid) + 1) for ranks in (dense, lexical) if cid in ranks)
        assert score == pytest.approx(want)


def test_the_dense_weight_moves_mix_fusion_between_the_two_retrievers(hash_retriever):
    def top(**options):
        return [c for c, _ in hash_retriever.rank("Russia Syria missiles", options=SearchOptions(k=5, **options))]

    assert top(fusion="mix", dense_weight=1.0) == top(mode="dense")
    assert top(fusion="mix", dense_weight=0.0)[:1] == top(mode="lexical")[:1]


def test_no_two_passages_share_a_text_even_when_the_corpus_holds_a_story_twice(corpus_copy, tmp_path):
    source = corpus_copy / "001_777249522e6c8631.txt"
    shutil.copy(source, corpus_copy / "001_copy.txt")
    index_dir = tmp_path / "index"
    build_hash_index(corpus_copy, index_dir)
    for mode in ("dense", "lexical", "hybrid"):
        passages = retrieve(CRUISE, k=8, index_dir=index_dir, mode=mode)
        texts = [normalize_space(p.text).lower() for p in passages]
        assert len(set(texts)) == len(texts), mode
        assert {p.article_id for p in passages[:2]} & {"001_777249522e6c8631.txt", "001_copy.txt"}


def test_per_article_keeps_one_passage_per_article(hash_index):
    everything = retrieve("Russia Syria missiles", k=10, index_dir=hash_index)
    assert len({p.article_id for p in everything}) < len(everything)  # several chunks of some article
    one_each = retrieve("Russia Syria missiles", k=10, index_dir=hash_index, per_article=True)
    ids = [p.article_id for p in one_each]
    assert len(ids) == len(set(ids)) == 5


def test_publisher_and_date_filters_keep_only_matching_articles(hash_index, hash_retriever):
    question = "Russia Syria missiles"
    sources = hash_retriever.sources()
    assert "SkyNews" in sources and sources == sorted(sources)
    only_sky = retrieve(question, k=10, index_dir=hash_index, sources=["skynews"])
    assert only_sky and {p.source for p in only_sky} == {"SkyNews"}
    in_2017 = retrieve(question, k=10, index_dir=hash_index, date_from="2017", date_to="2017")
    assert in_2017 and {p.published for p in in_2017} == {"2017-04-10"}
    from_2018 = retrieve(question, k=10, index_dir=hash_index, date_from="2018-01")
    assert from_2018 and {p.published for p in from_2018} == {"2018-04-12"}


def test_the_whole_article_and_unknown_ids(hash_retriever):
    article = hash_retriever.article("002_b7d55dfd4cdbabc3.txt")
    assert article["title"].startswith("Russia Says It Will Not Attempt")
    assert "Interfax" in article["text"]
    with pytest.raises(KeyError, match="no article"):
        hash_retriever.article("no-such-article.txt")


def _margins_by_text(retriever, ranked, margins):
    """A stand-in reader: the margin of each ranked chunk's text, by position (calls are recorded)."""
    by_text = {retriever.index.chunk_text(cid): m for (cid, _), m in zip(ranked, margins, strict=False)}
    calls = []

    def reading_margin(info, text, max_tokens):
        calls.append((text, max_tokens))
        return by_text.get(text, 0.0)

    return reading_margin, calls


def test_the_reader_reorders_the_head_by_its_answer_margin(hash_retriever, monkeypatch):
    import qa.search.retriever as retriever_module

    before = hash_retriever.rank(CRUISE, options=SearchOptions(k=6, read_depth=0))
    fake, calls = _margins_by_text(hash_retriever, before, [0.0, 1.0, 9.0, 0.0, 0.0, 0.0])
    monkeypatch.setattr(retriever_module, "reading_margin", fake)
    after = hash_retriever.rank(CRUISE, options=SearchOptions(k=6, read_depth=3, read_weight=10.0))
    assert [cid for cid, _ in after] == [before[i][0] for i in (2, 1, 0, 3, 4, 5)]  # only the head moves
    assert [s for _, s in after] == [s for _, s in before]  # each place keeps its score: still best first
    # the top passage is read as its answer will be (that reading is reused), the others in shorter windows
    assert [tokens for _, tokens in calls] == [MAX_TOKENS, *RANK_TOKENS]
    # deeper places keep the last window
    assert [read_tokens(place) for place in range(5)] == [MAX_TOKENS, *RANK_TOKENS, RANK_TOKENS[-1], RANK_TOKENS[-1]]
    # one passage asked for: the reader still reads the head and the best answer comes first
    assert hash_retriever.rank(CRUISE, options=SearchOptions(k=1, read_depth=3, read_weight=10.0)) == after[:1]


def test_a_passage_that_cannot_win_is_not_read(hash_retriever, monkeypatch):
    import qa.search.retriever as retriever_module
    from qa.search.answers import MAX_MARGIN

    before = hash_retriever.rank(CRUISE, options=SearchOptions(k=5, read_depth=0))
    assert before[0][1] > before[1][1]
    fake, calls = _margins_by_text(hash_retriever, before, [MAX_MARGIN] * 5)
    monkeypatch.setattr(retriever_module, "reading_margin", fake)
    # the top passage reads as well as any can: no lower fused score can catch up
    assert hash_retriever.rank(CRUISE, options=SearchOptions(k=5, read_depth=5, read_weight=0.01)) == before
    assert len(calls) == 1


@pytest.mark.parametrize(
    "options",
    [SearchOptions(k=5, read_depth=1), SearchOptions(k=5, fusion="rrf"), SearchOptions(k=5, mode="dense")],
)
def test_the_head_is_read_only_in_hybrid_mix_search_with_a_read_depth(hash_retriever, monkeypatch, options):
    import qa.search.retriever as retriever_module

    calls = []
    monkeypatch.setattr(retriever_module, "reading_margin", lambda info, text, tokens: calls.append(text) or 5.0)
    hash_retriever.rank(CRUISE, options=options)
    assert calls == []


@pytest.mark.parametrize("query", ["Russian warships fired cruise missiles at Syria.", "cruise missiles Caspian"])
def test_claims_and_keywords_keep_the_fused_order(hash_retriever, monkeypatch, query):
    import qa.search.retriever as retriever_module

    calls = []
    monkeypatch.setattr(retriever_module, "reading_margin", lambda info, text, tokens: calls.append(text) or 5.0)
    hash_retriever.rank(query, options=SearchOptions(k=5, read_depth=3))
    assert calls == []
    hash_retriever.rank(f"Where did {query.rstrip('.')}?", options=SearchOptions(k=5, read_depth=3))
    assert calls


def test_without_the_reader_the_fused_order_stands(hash_retriever, monkeypatch):
    import qa.search.retriever as retriever_module

    before = hash_retriever.rank(CRUISE, options=SearchOptions(k=5, read_depth=0))
    monkeypatch.setattr(retriever_module, "reading_margin", lambda info, text, tokens: None)
    assert hash_retriever.rank(CRUISE, options=SearchOptions(k=5, read_depth=3)) == before


def test_with_prefer_recent_the_readers_margin_is_decayed_as_the_fused_score_is(hash_retriever, monkeypatch):
    import qa.search.retriever as retriever_module

    options = SearchOptions(k=5, read_depth=5, read_weight=0.1, prefer_recent=True, half_life_days=30)
    before = hash_retriever.rank(CRUISE, options=options.with_(read_depth=0))
    margins = [0.0, 1.0, 2.0, 3.0, 4.0]  # none so high that the bound skips a passage
    fake, _ = _margins_by_text(hash_retriever, before, margins)
    monkeypatch.setattr(retriever_module, "reading_margin", fake)
    weights = [hash_retriever._recency(int(hash_retriever.index.chunk_rows[cid][0]), 30) for cid, _ in before]
    assert len(set(weights)) > 1  # articles of different ages
    read = [s + 0.1 * w * m for (_, s), w, m in zip(before, weights, margins, strict=True)]
    expected = [before[i][0] for i in sorted(range(5), key=lambda i: -read[i])]
    assert [cid for cid, _ in hash_retriever.rank(CRUISE, options=options)] == expected
