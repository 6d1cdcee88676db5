"""Retrieval quality on the real sample index: fusion, reranking, highlighting, diversity, follow-ups."""

from __future__ import annotations

import shutil

import pytest

from qa import retrieve
from qa.index.build import build_index
from qa.index.embed import resolve_model_path
from qa.search.followup import expand_query, looks_incomplete
from qa.search.highlight import best_sentence
from qa.search.options import MODES, SearchOptions
from qa.search.rerank import create_reranker, get_reranker, is_cross_encoder
from qa.text import embedding_text, normalize_space, sentence_spans
from tests.helpers import QUESTIONS

CRUISE = QUESTIONS[0][0]
SENATOR = "Which Russian senator said Russia will not intercept US missiles?"
AGENCY = "Which news agency did he speak to?"
INTERFAX = "002_b7d55dfd4cdbabc3.txt"


def _ranked_texts(retriever, question: str, **options) -> list[str]:
    ranked = retriever.rank(question, options=SearchOptions(**options))
    return [normalize_space(retriever.index.chunk_text(cid)).lower() for cid, _ in ranked]


@pytest.mark.parametrize("fusion", ["mix", "rrf"])
@pytest.mark.parametrize("mode", MODES)
def test_every_mode_and_fusion_ranks_each_chunk_once_best_first(sample_retriever, mode, fusion):
    ranked = sample_retriever.rank(CRUISE, options=SearchOptions(k=20, mode=mode, fusion=fusion))
    chunk_ids = [cid for cid, _ in ranked]
    scores = [score for _, score in ranked]
    assert len(set(chunk_ids)) == len(chunk_ids)
    assert scores == sorted(scores, reverse=True)
    texts = _ranked_texts(sample_retriever, CRUISE, k=20, mode=mode, fusion=fusion)
    assert len(set(texts)) == len(texts)
    index = sample_retriever.index
    assert index.articles[int(index.chunk_rows[chunk_ids[0]][0])]["article_id"] == QUESTIONS[0][1]


def test_rrf_puts_a_chunk_both_retrievers_rank_first_on_top(sample_retriever):
    """The chunk that dense and lexical search both rank first must lead the fused list."""
    dense = sample_retriever.rank(CRUISE, options=SearchOptions(k=1, mode="dense"))[0][0]
    lexical = sample_retriever.rank(CRUISE, options=SearchOptions(k=1, mode="lexical"))[0][0]
    assert dense == lexical
    fused = sample_retriever.rank(CRUISE, options=SearchOptions(k=3, mode="hybrid", fusion="rrf"))
    assert fused[0][0] == dense
    assert fused[0][1] == pytest.approx(2 / (SearchOptions().rrf_k + 1))


@pytest.mark.parametrize(("question", "article_id", "answer"), QUESTIONS)
def test_hybrid_rrf_and_reranked_modes_answer_the_sample_questions(sample_index, question, article_id, answer):
    for options in ({"fusion": "rrf"}, {"fusion": "mix"}, {"mode": "hybrid+rerank"}):
        top = retrieve(question, k=3, index_dir=sample_index, **options)[0]
        assert top.article_id == article_id, options
        assert answer in top.highlight, options


def test_reranking_reorders_only_the_head_and_changes_the_order(sample_retriever):
    fused = sample_retriever.rank(CRUISE, options=SearchOptions(k=30, mode="hybrid"))
    reranked = sample_retriever.rank(
        CRUISE, options=SearchOptions(k=30, mode="hybrid+rerank", rerank_depth=10, rerank_weight=1.0)
    )
    head = {cid for cid, _ in fused[:10]}
    assert {cid for cid, _ in reranked[:10]} == head  # the reranker only reorders the fused top-N
    assert [cid for cid, _ in reranked[10:]] == [cid for cid, _ in fused[10:]]
    # with full weight the head follows the reranker's own scores exactly
    reranker = get_reranker("sentences", sample_retriever.embedder)
    index = sample_retriever.index
    texts = [
        embedding_text(index.articles[int(index.chunk_rows[c][0])]["title"], index.chunk_text(c)) for c, _ in reranked
    ]
    texts = texts[:10]
    own = list(reranker.score(CRUISE, texts))
    assert own == sorted(own, reverse=True)


def test_a_sentence_transformers_folder_works_as_a_reranker(sample_index, tmp_path, monkeypatch):
    folder = resolve_model_path("all-MiniLM-L6-v2")
    assert not is_cross_encoder(folder)
    reranker = create_reranker(str(folder))
    scores = reranker.score(CRUISE, ["Four warships launched 26 cruise missiles.", "The weather was mild."])
    assert scores[0] > scores[1]
    monkeypatch.setenv("QA_RERANKER", str(folder))
    top = retrieve(CRUISE, k=1, index_dir=sample_index, mode="hybrid+rerank")[0]
    assert top.article_id == QUESTIONS[0][1]


def test_an_unknown_reranker_says_how_to_configure_one(sample_index):
    with pytest.raises(ValueError, match="QA_RERANKER"):
        retrieve(CRUISE, index_dir=sample_index, mode="hybrid+rerank", reranker="/no/such/folder")


def test_the_highlight_is_the_answering_sentence_not_the_first(sample_index):
    top = retrieve(CRUISE, k=1, index_dir=sample_index)[0]
    assert "26 cruise missiles" in top.highlight
    first_start, first_end = sentence_spans(top.text)[0]
    assert (top.highlight_start, top.highlight_end) != (first_start, first_end)
    assert top.text[top.highlight_start : top.highlight_end] == top.highlight


def test_highlight_prefers_the_sentence_of_the_asked_answer_type():
    text = "Russia's navy fired missiles at targets in Syria. The warships fired 26 missiles on Wednesday."
    start, end = best_sentence("How many missiles did the warships fire?", text)
    assert text[start:end] == "The warships fired 26 missiles on Wednesday."


def test_no_two_passages_share_a_text_even_when_the_corpus_holds_a_story_twice(corpus_copy, tmp_path, embedder):
    source = corpus_copy / "001_777249522e6c8631.txt"
    shutil.copy(source, corpus_copy / "001_copy.txt")
    index_dir = tmp_path / "index"
    build_index(corpus_copy, index_dir, embedder=embedder)
    for mode in ("dense", "lexical", "hybrid"):
        passages = retrieve(CRUISE, k=8, index_dir=index_dir, mode=mode)
        texts = [normalize_space(p.text).lower() for p in passages]
        assert len(set(texts)) == len(texts), mode
        assert {p.article_id for p in passages[:2]} & {"001_777249522e6c8631.txt", "001_copy.txt"}


def test_per_article_keeps_one_passage_per_article(sample_index):
    everything = retrieve("Russia Syria missiles", k=10, index_dir=sample_index)
    assert len({p.article_id for p in everything}) < len(everything)  # several chunks of some article
    one_each = retrieve("Russia Syria missiles", k=10, index_dir=sample_index, per_article=True)
    ids = [p.article_id for p in one_each]
    assert len(ids) == len(set(ids)) == 5


def test_a_follow_up_is_resolved_against_the_earlier_question(sample_index):
    alone = retrieve(AGENCY, k=3, index_dir=sample_index)
    assert "Interfax" not in alone[0].text  # without the conversation the question is ambiguous
    passages = retrieve(AGENCY, k=3, history=[SENATOR], index_dir=sample_index)
    assert passages[0].article_id == INTERFAX
    assert "Interfax" in passages[0].highlight


def test_the_latest_turn_counts_most():
    expanded = expand_query(AGENCY, ["What did Peskov say about the channel?", SENATOR])
    assert expanded.count("senator") > expanded.count("Peskov")
    assert looks_incomplete(AGENCY)


@pytest.mark.parametrize(("question", "article_id", "answer"), QUESTIONS)
def test_history_never_changes_a_self_contained_question(sample_index, question, article_id, answer):
    history = ["What did Peskov say about the phone call?", "And the drones?", SENATOR]
    assert not looks_incomplete(question)
    with_history = retrieve(question, k=5, history=history, index_dir=sample_index)
    without = retrieve(question, k=5, index_dir=sample_index)
    assert [(p.chunk_id, p.score) for p in with_history] == [(p.chunk_id, p.score) for p in without]
