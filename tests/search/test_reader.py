"""The extractive reader: the packaged weights, the span search, the window over long passages, the fallback."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa.search import answers
from qa.search.features import QuestionInfo
from qa.search.reader import (
    MAX_ANSWER_TOKENS,
    WEIGHTS,
    ReaderScores,
    ReaderUnavailable,
    Reading,
    best_span,
    describe,
    get_reader,
)
from qa.search.span_reader import FLOOR, available, reader_features

CRUISE_TEXT = (
    "The Russian defence ministry said on Wednesday that its navy had joined the campaign. "
    "Four warships in the Caspian Sea fired 26 cruise missiles at 11 targets in Syria, it said. "
    "The missiles flew about 1,500 km over Iran and Iraq before striking."
)


def test_the_packaged_weights_are_small_and_come_with_their_training_record():
    assert WEIGHTS.is_file() and WEIGHTS.stat().st_size < 12_000_000
    record = describe()
    assert record["seed"] and record["questions"] >= 5000
    assert record["dev"]["f1"] >= 0.4, record  # the reader reads: dev F1 on gold paragraphs
    with np.load(WEIGHTS) as weights:
        assert any(k.endswith("::q") and weights[k].dtype == np.int8 for k in weights.files)
        assert weights["head.weight"].shape == (2, 384)


def test_best_span_takes_the_highest_start_plus_end_within_the_length_limit():
    start = np.array([0.0, 5.0, 0.0, 0.0, 1.0])
    end = np.array([0.0, 0.0, 1.0, 4.0, 0.0])
    assert best_span(start, end)[:2] == (1, 3)
    assert best_span(start, end)[2] == pytest.approx(9.0)
    # an end before its start is never taken
    assert best_span(np.array([0.0, 3.0]), np.array([5.0, 0.0]))[:2] == (0, 0)
    # nor one farther than MAX_ANSWER_TOKENS from its start
    n = MAX_ANSWER_TOKENS + 5
    start, end = np.zeros(n), np.zeros(n)
    start[0], end[-1], end[2] = 10.0, 10.0, 1.0
    assert best_span(start, end)[:2] == (0, 2)


def test_reader_features_say_where_a_candidate_stands_against_the_readers_span():
    scores = ReaderScores(Reading(10, 20, 5.0, 1.0), {0: 1.0, 10: 3.0, 12: 0.5}, {15: 1.0, 20: 2.0})
    exact = reader_features(10, 20, scores)
    assert exact["rd_exact"] == 1.0 and exact["rd_start"] == exact["rd_end"] == 0.0
    inside = reader_features(12, 15, scores)
    assert inside["rd_inside"] == 1.0 and inside["rd_start"] == -2.5 and inside["rd_end"] == -1.0
    covers = reader_features(0, 25, scores)  # no token ends at 25: the floor
    assert covers["rd_covers"] == 1.0 and covers["rd_end"] == FLOOR
    assert reader_features(30, 40, scores)["rd_apart"] == 1.0


def test_the_span_model_that_reads_the_readers_scores_is_packaged_and_weighs_them():
    from qa.search.linear import load_model

    assert available()
    weights = load_model("answer_span_reader").weights
    assert weights["rd_sum"] + weights.get("rd_start", 0) + weights.get("rd_end", 0) > 0


@pytest.mark.slow
def test_the_reader_marks_the_number_asked_for():
    reading = get_reader().read("How many cruise missiles did the warships fire?", CRUISE_TEXT)
    answer = CRUISE_TEXT[reading.start : reading.end]
    assert answer in ("26", "26 cruise missiles")
    assert reading.margin > 0


@pytest.mark.slow
def test_the_reader_says_a_passage_without_the_answer_holds_none():
    text = "The weather in Lisbon was mild this week. Tourists crowded the old town's cafes and the river front."
    with_answer = get_reader().read("How many cruise missiles did the warships fire?", CRUISE_TEXT)
    without = get_reader().read("How many cruise missiles did the warships fire?", text)
    assert without.margin < with_answer.margin


@pytest.mark.slow
def test_a_long_passage_is_read_in_a_window_around_the_focus():
    filler = " ".join(f"Paragraph {i} talks about the harbour, the weather and the market." for i in range(60))
    text = f"{filler} {CRUISE_TEXT} {filler}"
    at = text.index("Four warships")
    reading = get_reader().read("How many cruise missiles did the warships fire?", text, focus=at)
    # the passage is ~1,600 tokens: only a window around the focus can hold the answer's sentence
    assert at <= reading.start < reading.end <= at + 100 and "26" in text[reading.start : reading.end]


@pytest.mark.slow
def test_locate_answer_highlights_the_sentence_that_holds_the_readers_answer():
    q = QuestionInfo("How many cruise missiles did the warships fire?")
    h_start, h_end, answer, a_start, a_end = answers.locate_answer(q, CRUISE_TEXT)
    assert answer in ("26", "26 cruise missiles") and CRUISE_TEXT[a_start:a_end] == answer
    assert CRUISE_TEXT[h_start:h_end].startswith("Four warships") and h_start <= a_start < a_end <= h_end


def test_without_the_reader_answers_fall_back_to_the_lexical_models(monkeypatch, caplog):
    def missing():
        raise ReaderUnavailable("no reader weights")

    monkeypatch.setattr(answers, "get_reader", missing)
    monkeypatch.setattr(answers, "_READER_MISSING", False)
    q = QuestionInfo("How many cruise missiles did the warships fire?")
    h_start, h_end, answer, a_start, a_end = answers.locate_answer(q, CRUISE_TEXT)
    assert CRUISE_TEXT[h_start:h_end].startswith("Four warships")
    assert answer and CRUISE_TEXT[a_start:a_end] == answer and "26" in answer
    assert "lexical span model" in caplog.text


def test_missing_weights_give_a_clear_error(tmp_path):
    with pytest.raises(ReaderUnavailable, match=r"train\.reader"):
        get_reader(tmp_path / "reader.npz")


def test_the_training_script_writes_int8_rows_that_restore_the_weights():
    from qa.index.tuned import quantize_rows

    rng = np.random.default_rng(0)
    w = rng.normal(size=(8, 16)).astype(np.float32)
    name = "encoder.encoder.layer.5.output.dense.weight"
    q = quantize_rows({name: w, "head.bias": np.ones(2, np.float32)})
    restored = q[f"{name}::q"] * q[f"{name}::scale"]
    assert np.abs(restored - w).max() <= np.abs(w).max(axis=1).max() / 127 / 2 + 1e-6
    assert q["head.bias"].dtype == np.float32
    assert json.loads(WEIGHTS.with_suffix(".json").read_text())["windows"] > 0


@pytest.mark.slow
def test_a_passage_read_again_for_the_same_question_is_not_read_twice():
    reader = get_reader()
    first = reader.scores("How many cruise missiles did the warships fire?", CRUISE_TEXT)
    assert reader.scores("How many cruise missiles did the warships fire?", CRUISE_TEXT) is first
    assert reader.scores("Where did the missiles fly?", CRUISE_TEXT) is not first


def test_a_long_question_leaves_room_for_the_passage_in_a_short_window():
    question = "How many cruise missiles did the Russian warships fire? " * 40
    for tokens in (64, 128):
        reading = get_reader().read(question, CRUISE_TEXT, max_tokens=tokens)
        assert reading is not None and reading.end > reading.start


@pytest.mark.slow
def test_a_search_reads_each_passage_once_and_ranks_its_sentences_once(sample_retriever, monkeypatch):
    """The head's top passage is read and its best sentence found once for ordering and for its answer."""
    import qa.search.highlight as highlight
    from qa.search.options import SearchOptions

    reader = get_reader()
    runs, ranked = _record_runs(reader, monkeypatch), []
    learned = highlight.learned_scores
    monkeypatch.setattr(
        highlight, "learned_scores", lambda q, text, dense: ranked.append(text) or learned(q, text, dense)
    )
    passages = sample_retriever.search(
        "How many cruise missiles did the Russian warships fire?", options=SearchOptions(k=5)
    )
    assert passages[0].answer.startswith("26")
    # the head (up to two) each read once: the top passage's reading for the order gives its answer
    assert 1 <= len(runs) <= 2 and len(set(runs)) == len(runs)
    assert sorted(ranked) == sorted({p.text for p in passages})  # each passage's sentences ranked once


@pytest.mark.slow
def test_forget_drops_the_recent_readings_so_the_next_read_runs_the_network(monkeypatch):
    reader = get_reader()
    runs = _record_runs(reader, monkeypatch)
    question = "How many cruise missiles did the Russian warships fire?"
    first = reader.scores(question, CRUISE_TEXT)
    assert reader.scores(question, CRUISE_TEXT) is first and len(runs) == 1  # reused
    reader.forget()
    again = reader.scores(question, CRUISE_TEXT)
    assert len(runs) == 2 and again is not first and again.reading == first.reading


def _record_runs(reader, monkeypatch) -> list[tuple[int, ...]]:
    """The input ids of each network run of `reader` from now on (none of its earlier readings kept)."""
    runs: list[tuple[int, ...]] = []
    session = reader.session

    class Recording:
        def run(self, names, feed):
            runs.append(tuple(feed["input_ids"][0].tolist()))
            return session.run(names, feed)

    monkeypatch.setattr(reader, "session", Recording())
    monkeypatch.setattr(reader, "_recent", {})
    return runs
