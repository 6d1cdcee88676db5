"""Learned answer selection: the packaged sentence and span models, their features and metrics."""

from __future__ import annotations

import json

import pytest

from qa.search.answer_metrics import exact_match, f1_score, holds_answer, normalize_answer
from qa.search.answers import answer_sentence
from qa.search.features import QuestionInfo, question_type, sentence_features
from qa.search.linear import MODEL_DIR, LinearModel, load_model
from qa.search.span import answer_span, candidates

CRUISE = "How many cruise missiles did the Russian warships fire?"
TEXT = (
    "Russia's defence ministry released a video of the launch. "
    "Four Russian warships in the Caspian Sea fired 26 cruise missiles at 11 targets in Syria on Wednesday. "
    "The missiles flew over Iran and Iraq."
)


def _answer(question: str, text: str = TEXT) -> str:
    q = QuestionInfo(question)
    start, end, _ = answer_sentence(q, text)
    answer, a, b = answer_span(q, text, start, end)
    assert text[a:b] == answer and start <= a <= b <= end
    return answer


def test_question_types():
    assert question_type(CRUISE) == "how_many"
    assert question_type("When did the leaders meet?") == "when"
    assert question_type("In what year was it built?") == "when"
    assert question_type("Who told Interfax?") == "who"
    assert question_type("Where did the warships sail?") == "where"
    assert question_type("How much did the deal cost?") == "how_much"
    assert question_type("What percentage voted yes?") == "percent"


def test_packaged_models_load_and_are_small_json():
    for name in ("answer_sentence", "answer_span", "answer_span_reader"):
        path = MODEL_DIR / f"{name}.json"
        assert path.stat().st_size < 400_000
        json.loads(path.read_text())
    assert load_model("answer_sentence", "lexical").weights
    assert load_model("answer_sentence", "dense").weights["dense"] > 0
    assert load_model("answer_span").weights


def test_the_cruise_missile_answer_is_the_number():
    assert _answer(CRUISE) in ("26", "26 cruise missiles")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When did the warships fire cruise missiles at Syria?", "Wednesday"),
        ("Where were the Russian warships?", "Syria"),
        ("How many targets did the missiles hit in Syria?", "11"),
    ],
)
def test_the_answer_has_the_asked_type(question, expected):
    assert expected in _answer(question)


def test_an_answer_never_only_repeats_the_question():
    q = QuestionInfo(CRUISE)
    for start, end, _ in candidates(q, TEXT):
        words = {w.lower() for w in TEXT[start:end].split()}
        assert not words <= {"cruise", "missiles", "russian", "warships", "fire", "fired"}


def test_the_answer_sentence_holds_the_answer_not_only_the_question_words():
    text = "The foundation has long supported the city's hospital. The foundation gave $4 million to the hospital."
    q = QuestionInfo("How much did the foundation give to the hospital?")
    start, end, _ = answer_sentence(q, text)
    assert "$4 million" in text[start:end]
    assert answer_span(q, text, start, end)[0] == "$4 million"


def test_sentence_features_are_relative_to_the_passage_and_take_dense_scores():
    q = QuestionInfo(CRUISE)
    rows = sentence_features(q, ["Warships fired cruise missiles.", "Nothing here."], dense=[0.8, 0.1])
    assert rows[0]["idf_cov"] > rows[1]["idf_cov"] and rows[1]["idf_cov_gap"] > 0
    assert rows[0]["dense_gap"] == 0 and rows[1]["dense_gap"] == pytest.approx(0.7)
    assert rows[0]["is_best_idf"] == 1.0


def test_linear_model_folds_standardisation_into_weights():
    model = LinearModel.from_fit(["a", "b"], [2.0, -1.0], 0.5, mean=[1.0, 0.0], scale=[2.0, 1.0])
    x = {"a": 3.0, "b": 1.0}
    assert model.score(x) == pytest.approx(0.5 + 2.0 * (3.0 - 1.0) / 2.0 - 1.0 * 1.0)
    again = LinearModel.from_json(json.loads(json.dumps(model.to_json())))
    assert again.score(x) == pytest.approx(model.score(x))


def test_squad_metrics():
    assert normalize_answer("The  Main Building.") == "main building"
    assert exact_match("the Main Building", ["Main Building"]) == 1.0
    assert f1_score("26 cruise missiles", ["26"]) == pytest.approx(0.5)
    assert f1_score("nothing", ["26"]) == 0.0
    assert holds_answer("They fired 26 missiles.", ["26"]) == 1.0
    assert holds_answer("They fired 260 missiles.", ["26"]) == 0.0


@pytest.mark.slow
def test_same_seed_same_model_file():
    answers = pytest.importorskip("train.answers")
    from train.answers_data import SQUAD_DIR

    if not (SQUAD_DIR / "corpus.jsonl").exists():
        pytest.skip("the shared SQuAD data is not here")
    first = answers.fit_lexical(40, 1.0).to_json()
    second = answers.fit_lexical(40, 1.0).to_json()
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert answers.fit_lexical(40, 1.0, seed=12).to_json() != first


def test_a_squad_split_is_written_as_paragraphs_and_as_whole_articles(tmp_path):
    from qa.eval import load_dataset
    from train.answers_data import Question, Split, write_beir, write_beir_articles

    paragraphs = {
        "p1": ("Super_Bowl_50", "The game was played on February 7, 2016."),
        "p2": ("Harbour", "The harbour master counted 12 warships."),
        "p3": ("Super_Bowl_50", "The Broncos won 24 to 10."),
    }
    questions = [
        Question("q1", "Who won?", "p3", ["The Broncos"], [0]),
        Question("q2", "How many?", "p2", ["12"], [27]),
    ]
    split = Split("dev", ["Harbour", "Super_Bowl_50"], paragraphs, questions)
    by_paragraph = load_dataset(write_beir(split, tmp_path / "dev"))
    assert [a.article_id for a in by_paragraph.articles] == ["p1", "p2", "p3"]
    assert by_paragraph.qrels == {"q1": {"p3": 1}, "q2": {"p2": 1}}
    whole = load_dataset(write_beir_articles(split, tmp_path / "dev-articles"))
    assert [(a.title, a.text) for a in whole.articles] == [
        ("Super Bowl 50", "The game was played on February 7, 2016.\n\nThe Broncos won 24 to 10."),
        ("Harbour", "The harbour master counted 12 warships."),
    ]
    first = whole.articles[0].article_id
    assert whole.qrels["q1"] == {first: 1} and first not in whole.qrels["q2"]
    assert whole.answers == {"q1": ["The Broncos"], "q2": ["12"]}
    # the answers' offsets point into the article's text, as they pointed into the paragraph's
    written = [json.loads(line) for line in (tmp_path / "dev-articles" / "answers.jsonl").read_text().splitlines()]
    for row in written:
        text = whole.articles[0].text if row["_id"] == "q1" else whole.articles[1].text
        assert text[row["answer_starts"][0] :].startswith(row["answers"][0])
