"""The short answer and the learned reranker through `retrieve` on the real sample index."""

from __future__ import annotations

import pytest

from qa import retrieve
from tests.helpers import QUESTIONS

CRUISE = QUESTIONS[0][0]


@pytest.mark.slow
def test_the_cruise_missile_question_gets_its_number_as_the_short_answer(sample_index):
    top = retrieve(CRUISE, k=5, index_dir=sample_index)[0]
    assert top.answer in ("26", "26 cruise missiles")
    assert top.text[top.answer_start : top.answer_end] == top.answer
    assert top.highlight_start <= top.answer_start < top.answer_end <= top.highlight_end
    assert {"answer", "answer_start", "answer_end"} <= set(top.to_dict())


@pytest.mark.slow
def test_every_passage_has_a_consistent_answer_span(sample_index):
    for question, _, _ in QUESTIONS:
        for p in retrieve(question, k=5, index_dir=sample_index):
            assert p.text[p.answer_start : p.answer_end] == p.answer
            assert p.highlight_start <= p.answer_start <= p.answer_end <= p.highlight_end


@pytest.mark.slow
@pytest.mark.parametrize(("question", "article_id", "words"), QUESTIONS)
def test_the_learned_reranker_answers_the_seed_questions(sample_index, question, article_id, words):
    top = retrieve(question, k=3, index_dir=sample_index, mode="hybrid+rerank", reranker="learned")[0]
    assert top.article_id == article_id
    assert words in top.highlight
