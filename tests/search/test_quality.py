"""Retrieval quality on the real model's index of the sample corpus: every mode answers the sample questions,
the highlight is the answering sentence, follow-ups resolve. (The logic of ranking, fusion, filters, reranking
and follow-ups is tested fast on the hash-embedder index in the other tests of tests/search/.)"""

from __future__ import annotations

import pytest

from qa import retrieve
from qa.search.options import SearchOptions
from qa.text import sentence_spans
from tests.helpers import QUESTIONS

CRUISE = QUESTIONS[0][0]
SENATOR = "Which Russian senator said Russia will not intercept US missiles?"
AGENCY = "Which news agency did he speak to?"
INTERFAX = "002_b7d55dfd4cdbabc3.txt"


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


def test_the_highlight_is_the_answering_sentence_not_the_first(sample_index):
    top = retrieve(CRUISE, k=1, index_dir=sample_index)[0]
    assert "26 cruise missiles" in top.highlight
    first_start, first_end = sentence_spans(top.text)[0]
    assert (top.highlight_start, top.highlight_end) != (first_start, first_end)
    assert top.text[top.highlight_start : top.highlight_end] == top.highlight


def test_a_follow_up_is_resolved_against_the_earlier_question(sample_index):
    alone = retrieve(AGENCY, k=3, index_dir=sample_index)
    assert "Interfax" not in alone[0].text  # without the conversation the question is ambiguous
    passages = retrieve(AGENCY, k=3, history=[SENATOR], index_dir=sample_index)
    assert passages[0].article_id == INTERFAX
    assert "Interfax" in passages[0].highlight
