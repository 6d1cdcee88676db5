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
