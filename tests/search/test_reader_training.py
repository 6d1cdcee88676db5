"""The reader's ranking stage (train/reader_rank.py) trains on the windows the product reads and on the margin
the product orders by, and every stage draws new questions."""

from __future__ import annotations

import random

import numpy as np
import pytest

from qa.search.reader import MAX_ANSWER_TOKENS, best_span, get_reader

from .test_reader import CRUISE_TEXT

QUESTION = "How many cruise missiles did the warships fire?"


@pytest.mark.parametrize("max_tokens", [64, 128])
def test_training_windows_are_the_windows_the_product_reads(monkeypatch, max_tokens):
    from train.reader_rank import _tokenizer, read_window

    filler = " ".join(f"Paragraph {i} talks about the harbour, the weather and the market." for i in range(30))
    text = f"{filler} {CRUISE_TEXT} {filler}"
    focus = text.index("Four warships")
    reader = get_reader()
    fed = {}

    class Session:  # records what the reader feeds its model
        def run(self, _, feed):
            fed.update(feed)
            return [np.zeros((1, feed["input_ids"].shape[1], 384), dtype=np.float32)]

    monkeypatch.setattr(reader, "session", Session())
    monkeypatch.setattr(reader, "_recent", {})
    reader.scores(QUESTION, text, focus=focus, max_tokens=max_tokens)
    answer = (text.index("26 cruise"), text.index("26 cruise") + 2)
    window = read_window(_tokenizer(), QUESTION, text, focus, max_tokens, answer)
    assert window.ids == fed["input_ids"][0].tolist() and window.types == fed["token_type_ids"][0].tolist()
    assert len(window.ids) == max_tokens
    a, b = window.context
    assert a <= window.start <= window.end < b
    # the answer's tokens are the answer's characters
    assert text[window.offsets[window.start][0] : window.offsets[window.end][1]] == "26"
    # an answer outside the window gives no example
    assert read_window(_tokenizer(), QUESTION, text, 0, max_tokens, answer) is None


def test_the_trained_margin_is_the_margin_the_product_orders_by():
    import torch

    from train.reader import Example
    from train.reader_rank import margins

    rng = np.random.default_rng(3)
    n = 40
    batch = [Example([0] * n, [0] * n, (5, 40), 0, 0, []), Example([0] * n, [0] * n, (9, 30), 0, 0, [])]
    start, end = rng.normal(size=(2, n)) * 3, rng.normal(size=(2, n)) * 3
    got = margins(torch.tensor(start), torch.tensor(end), batch).numpy()
    for k, e in enumerate(batch):
        a, b = e.context
        _, _, best = best_span(start[k, a:b], end[k, a:b])  # the product's span search, MAX_ANSWER_TOKENS long
        assert got[k] == pytest.approx(best - (start[k, 0] + end[k, 0]))
    assert MAX_ANSWER_TOKENS < 25  # the check above covers spans cut by the length limit


def test_each_stage_draws_new_questions_and_repeats_the_earlier_draws():
    from train.answers_data import Question
    from train.reader import stage_questions

    pool = [Question(f"q{i}", "?", "p", ["a"], [0]) for i in range(1000)]
    first = stage_questions(pool, [100], random.Random(11))
    again = stage_questions(pool, [100, 50], random.Random(11))
    rng = random.Random(11)
    assert rng.sample(pool, 100) == first
    assert len(again) == 50 and not {q.qid for q in again} & {q.qid for q in first}
    assert stage_questions(pool, [100, 50], random.Random(11)) == again


def _split():
    from train.answers_data import Question, Split

    paragraphs = {
        "p1": ("Navy", "Four warships in the Caspian Sea fired 26 cruise missiles at targets in Syria."),
        "p2": ("Navy", "The warships sailed from Astrakhan; cruise missiles were loaded in port."),
        "p3": ("Navy", "Reports of 26 missiles were repeated by the ministry."),
        "p4": ("Harbour", "The harbour master counted warships leaving the port at dawn."),
    }
    question = Question("q1", QUESTION, "p1", ["26"], [paragraphs["p1"][1].index("26")])
    return Split("train", ["Harbour", "Navy"], paragraphs, [question]), question


def test_retrieved_negatives_are_the_first_stage_passages_without_the_answer():
    from train.reader_rank import NEGATIVES, Grouper

    split, question = _split()
    texts = {pid: text for pid, (_, text) in split.paragraphs.items()}
    head = [("p1", texts["p1"]), ("p4", texts["p4"]), ("p3", texts["p3"]), ("p2", texts["p2"])]
    retrieved = Grouper(split, {"q1": head}).negatives(question)
    # the gold paragraph's chunks and any chunk holding an answer are not negatives; the fused order is kept
    assert retrieved == [texts["p4"], texts["p2"]] and len(retrieved) <= NEGATIVES
    # without retrieval: the same article's paragraphs that do not hold the answer
    assert Grouper(split).negatives(question) == [texts["p2"]]
    group = Grouper(split, {"q1": head}).group(question, 64)
    assert len(group) == 3 and group[0].start > 0 and all(e.start == e.end == 0 for e in group[1:])


@pytest.mark.slow
def test_retrieved_heads_are_the_fused_top_chunks_of_the_split_index(tmp_path, monkeypatch):
    import json

    from train.reader_rank import retrieved_heads

    split, question = _split()
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "split"
    (data / "qrels").mkdir(parents=True)
    with open(data / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for pid, (title, text) in split.paragraphs.items():
            fh.write(json.dumps({"_id": pid, "title": title, "text": text}) + "\n")
    (data / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": question.text}) + "\n", encoding="utf-8")
    (data / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\tp1\t1\n", encoding="utf-8")
    heads = retrieved_heads(data, [question], 3)
    assert heads["q1"][0][0] == "p1" and len(heads["q1"]) == 3
    assert all(text == split.paragraphs[pid][1] for pid, text in heads["q1"])


def test_the_tuning_script_sorts_each_highlight_miss_into_one_cause(capsys):
    from qa.search.reader import MAX_TOKENS
    from train.reader_tune import print_misses

    def row(fused, right, highlight_ok, in_window=True, in_text=True):
        reading = (0.0, highlight_ok, 0.0)  # (margin, highlight holds an answer, span F1), the same in every window
        return {"fused": fused, "right": right, "in_window": in_window, "in_text": in_text, MAX_TOKENS: reading,
                **{tokens: reading for tokens in (96, 64)}}  # fmt: skip

    data = [
        [row(1.0, True, True), row(0.5, False, False)],  # right and highlighted
        [row(1.0, False, False), row(0.9, True, True)],  # the fused gap outweighs equal margins: wrong on top
        [row(1.0, True, False)],  # another sentence of the window chosen
        [row(1.0, True, False, in_window=False)],  # the answer's sentence was not read
        [row(1.0, True, False, in_window=False, in_text=False)],  # the gold is not in the text as written
    ]
    print_misses(data, MAX_TOKENS)
    out = capsys.readouterr().out
    for cause in ("holds an answer", "wrong passage on top", "in the window, other sentence", "outside the window",
                  "not in the text as written"):  # fmt: skip
        assert f"{cause} 0.200" in out, out
