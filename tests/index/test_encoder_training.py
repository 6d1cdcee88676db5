"""The encoder's training data (train/encoder.py): SQuAD train-split questions mixed into SciFact's claims are
one per paragraph, with hard negatives from the same article that do not hold the answer, embedded as the
index embeds passages; the same seed draws the same pairs."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_squad_pairs_have_answerless_same_article_negatives():
    encoder = pytest.importorskip("train.encoder")
    from train.answers_data import SQUAD_DIR, load_splits

    if not (SQUAD_DIR / "corpus.jsonl").exists():
        pytest.skip("the shared SQuAD data is not here")
    pairs = encoder.squad_pairs(30)
    assert len(pairs) == 30
    assert len({passage for _, passage, _ in pairs}) == 30  # one question per paragraph: no in-batch duplicates
    split = load_splits()["train"]
    answers = {q.text: q.answers for q in split.questions}
    for question, passage, negatives in pairs:
        title = passage.split("\n", 1)[0]
        assert title and question in answers
        assert any(a in passage for a in answers[question])  # the positive holds the answer
        for negative in negatives:
            assert negative.split("\n", 1)[0] == title and negative != passage
            assert not any(a.lower() in negative.lower() for a in answers[question])
    assert encoder.squad_pairs(30) == pairs
    assert encoder.squad_pairs(30, seed=8) != pairs
