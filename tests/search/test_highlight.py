"""The highlight: the sentence of a passage that best answers the question."""

from __future__ import annotations

from qa.search.highlight import best_sentence, score_sentences

TEXT = (
    "Russia's navy fired missiles at targets in Syria. "
    "The warships fired 26 missiles on Wednesday. "
    "Officials in Moscow declined to comment."
)


def _best(question: str, text: str = TEXT, **kwargs) -> str:
    start, end = best_sentence(question, text, **kwargs)
    return text[start:end]


def test_highlight_prefers_the_sentence_of_the_asked_answer_type():
    assert _best("How many missiles did the warships fire?") == "The warships fired 26 missiles on Wednesday."


def test_when_questions_prefer_a_sentence_with_a_date():
    text = "The summit was planned for months. Leaders met in Geneva on Monday, April 10."
    assert _best("When did the leaders meet in Geneva?", text) == "Leaders met in Geneva on Monday, April 10."


def test_the_sentence_covering_the_question_wins_and_spans_map_back():
    assert _best("Did officials in Moscow comment?") == "Officials in Moscow declined to comment."
    for _score, start, end in score_sentences("Moscow officials", TEXT):
        assert TEXT[start:end].strip() == TEXT[start:end] and TEXT[start:end]


def test_rare_terms_count_more_through_idf():
    text = "The minister spoke about the budget. The minister spoke about Interfax."
    question = "minister Interfax budget"
    assert _best(question, text, idf={"minist": 0.1, "interfax": 5.0, "budget": 0.5}).endswith("Interfax.")
    assert _best(question, text, idf={"minist": 0.1, "interfax": 0.5, "budget": 5.0}).endswith("budget.")


def test_dense_sentence_scores_are_added_when_given():
    question = "Did officials comment?"
    assert _best(question) == "Officials in Moscow declined to comment."
    assert _best(question, dense_scores=[0.0, 5.0, 0.0]) == "The warships fired 26 missiles on Wednesday."
    assert _best(question, dense_scores=[5.0]) == "Officials in Moscow declined to comment."  # wrong length: ignored


def test_nothing_in_common_gives_the_first_sentence_and_empty_text_the_whole_span():
    assert _best("zebra giraffe") == "Russia's navy fired missiles at targets in Syria."
    assert best_sentence("anything", "") == (0, 0)
