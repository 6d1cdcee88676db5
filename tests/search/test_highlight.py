"""The highlight: the sentence of a passage that best answers the question, as a span of the passage."""

from __future__ import annotations

import pytest

from qa.search.highlight import best_sentence, score_sentences
from qa.text import sentence_spans

TEXT = (
    "Russia's navy fired missiles at targets in Syria. "
    "The warships fired 26 missiles on Wednesday. "
    "Officials in Moscow declined to comment."
)


def _best(question: str, text: str = TEXT) -> str:
    start, end = best_sentence(question, text)
    return text[start:end]


def test_highlight_prefers_the_sentence_of_the_asked_answer_type():
    assert _best("How many missiles did the warships fire?") == "The warships fired 26 missiles on Wednesday."


def test_when_questions_prefer_a_sentence_with_a_date():
    text = "The summit in Geneva was planned for months by the leaders. The leaders met in Geneva on Monday, April 10."
    assert _best("When did the leaders meet in Geneva?", text) == "The leaders met in Geneva on Monday, April 10."


def test_the_sentence_covering_the_question_wins():
    assert _best("Did officials in Moscow comment?") == "Officials in Moscow declined to comment."


def test_every_sentence_is_scored_in_order_as_a_span_of_the_text():
    scored = score_sentences("Moscow officials", TEXT)
    assert [(start, end) for _, start, end in scored] == sentence_spans(TEXT)


def test_nothing_in_common_gives_the_first_sentence_and_empty_text_the_whole_span():
    assert _best("zebra giraffe") == "Russia's navy fired missiles at targets in Syria."
    assert best_sentence("anything", "") == (0, 0)


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("How many cruise missiles did the Russian warships fire?", True),
        ("who won the election", True),
        ("The election was won by a landslide?", True),
        ("0-dimensional biomaterials show inductive properties.", False),
        ("cruise missiles Caspian Sea", False),
        ("Whoever wins, markets fall.", False),
    ],
)
def test_questions_are_told_from_claims_and_keywords(text, asked):
    from qa.search.features import is_question

    assert is_question(text) is asked
