"""Follow-up questions: an incomplete question is searched with the earlier turns, a self-contained one alone."""

from __future__ import annotations

import pytest

from qa import retrieve
from qa.search.followup import MAX_TURNS, expand_query, looks_incomplete
from tests.helpers import QUESTIONS

SENATOR = "Which Russian senator said Russia will not intercept US missiles?"
AGENCY = "Which news agency did he speak to?"


@pytest.mark.parametrize(
    ("question", "incomplete"),
    [
        (AGENCY, True),
        ("What about the drones?", True),
        ("And why?", True),
        ("What did they say about it?", True),
        ("What did Peskov say about it?", False),  # names its own subject
        (SENATOR, False),
        ("How many cruise missiles were fired?", False),
    ],
)
def test_looks_incomplete(question, incomplete):
    assert looks_incomplete(question) is incomplete


def test_the_latest_turn_counts_most():
    expanded = expand_query(AGENCY, ["What did Peskov say about the channel?", SENATOR])
    assert expanded.count("senator") > expanded.count("Peskov")
    assert looks_incomplete(AGENCY)


def test_a_self_contained_question_or_no_history_is_left_alone():
    assert expand_query(SENATOR, ["What did Peskov say?"]) == SENATOR
    assert expand_query(AGENCY, None) == AGENCY
    assert expand_query(AGENCY, ["", "   "]) == AGENCY  # blank turns are no context


def test_only_the_last_turns_are_used():
    history = [f"Question about topic{i}?" for i in range(MAX_TURNS + 2)]
    expanded = expand_query(AGENCY, history)
    assert expanded.startswith(AGENCY)
    assert "topic0" not in expanded and "topic1" not in expanded
    assert all(f"topic{i}" in expanded for i in range(2, MAX_TURNS + 2))


def test_a_follow_up_finds_the_article_of_the_earlier_question(hash_index):
    passages = retrieve(AGENCY, k=3, history=[SENATOR], index_dir=hash_index)
    assert passages[0].article_id == "002_b7d55dfd4cdbabc3.txt"
    assert "Interfax" in passages[0].highlight


@pytest.mark.parametrize(("question", "article_id", "answer"), QUESTIONS)
def test_history_never_changes_a_self_contained_question(hash_index, question, article_id, answer):
    history = ["What did Peskov say about the phone call?", "And the drones?", SENATOR]
    assert not looks_incomplete(question)
    with_history = retrieve(question, k=5, history=history, index_dir=hash_index)
    without = retrieve(question, k=5, index_dir=hash_index)
    assert [(p.chunk_id, p.score) for p in with_history] == [(p.chunk_id, p.score) for p in without]
