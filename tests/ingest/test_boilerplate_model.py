# ruff: noqa: E501 - the scraped page keeps its long lines
"""The packaged line model: reproducible from the shared pages, small, and it cleans an unseen scrape."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa.ingest.boilerplate import FEATURES, MODEL_PATH, LineModel, body_mask, default_model, page_lines
from qa.ingest.clean import clean_page
from tests.helpers import ROOT

DATA = ROOT.parent / "shared" / "eval" / "boilerplate"

SCRAPE = """Skip to main content
Menu
Home
News
Politics
Business
Sport
Subscribe
Sign in

Harbour bridge will close to cars next spring after engineers find rusted supports

By Jane Doe

June 2, 2021

The city council voted on Tuesday to close the old harbour bridge to cars from next spring, after a survey found that two of its steel supports had rusted through.

Engineers told the council that the supports could not be repaired and that the bridge would need to be replaced within three years, at a cost of about forty million pounds.

Buses, bicycles and pedestrians will still be allowed to cross until the new bridge opens, the council said, and a ferry will run at rush hour from April.

"We cannot take risks with a structure that carries twenty thousand people a day," the council leader said at the meeting.

Share this article
Facebook
Twitter
Email

Related stories
Council approves new cycle lanes
Ferry fares to rise in April

Sign up for our newsletter
Privacy policy
Terms and conditions
Cookie settings

3 Comments

Leave a Reply Cancel reply

Mark Jones says:
June 2, 2021 at 3:14 pm
This bridge has been falling apart for years and everyone in town knew it, the council only acts when forced to do so.

Reply

© 2021 Harbour Gazette Ltd. All rights reserved.
"""


def test_model_file_is_small_and_matches_the_features():
    assert MODEL_PATH.stat().st_size < 20_000
    saved = _packaged()
    assert tuple(saved["features"]) == FEATURES
    assert saved["title"] and saved["publisher"]


def test_an_unseen_scrape_keeps_the_story_and_drops_menus_footer_and_comments():
    page = clean_page(SCRAPE)
    for kept in ("rusted through", "forty million pounds", "ferry will run at rush hour", "twenty thousand people"):
        assert kept in page.text
    for dropped in ("Skip to main content", "Subscribe", "Share this article", "Related stories", "newsletter",
                    "Privacy policy", "Leave a Reply", "falling apart for years", "All rights reserved"):  # fmt: skip
        assert dropped not in page.text, dropped
    assert page.title == "Harbour bridge will close to cars next spring after engineers find rusted supports"
    assert page.published == "2021-06-02"
    assert page.source == "Harbour Gazette"


def test_body_mask_keeps_a_short_list_inside_the_story_but_not_menus_around_it():
    lines = page_lines("Home\n\nNews\n\nA long first paragraph of the story.\n\n1 cup flour\n\n2 eggs\n\nA last one.")
    p = np.array([0.05, 0.05, 0.9, 0.3, 0.3, 0.9])
    assert body_mask(lines, p).tolist() == [False, False, True, True, True, True]


def test_a_model_with_other_features_is_refused():
    saved = _packaged()
    saved["features"] = saved["features"][:-1]
    with pytest.raises(ValueError, match=r"train/boilerplate\.py"):
        LineModel.from_dict(saved)


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "truth.jsonl").exists(), reason="the shared development pages are not here")
def test_training_reproduces_the_packaged_model(tmp_path):
    from train.boilerplate import main

    out = tmp_path / "model.json"
    assert main(["--data", str(DATA), "--out", str(out)]) == 0
    _assert_same_model(json.loads(out.read_text()), _packaged())
    assert default_model() == default_model()  # loaded once


def _assert_same_model(got, packaged, path: str = "model") -> None:
    """Same features, sources and line count, and weights equal up to the last digits a different CPU or
    BLAS build rounds differently (CI's retrain differed from the packaged file by 2e-5 at most, while any
    change to the features or the data moves weights by far more than 1e-3)."""
    if isinstance(packaged, dict):
        assert got.keys() == packaged.keys(), path
        for key in packaged:
            _assert_same_model(got[key], packaged[key], f"{path}.{key}")
    elif isinstance(packaged, list):
        assert len(got) == len(packaged), path
        for i, (a, b) in enumerate(zip(got, packaged, strict=True)):
            _assert_same_model(a, b, f"{path}[{i}]")
    elif isinstance(packaged, float):
        assert got == pytest.approx(packaged, abs=1e-3), path
    else:
        assert got == packaged, path


def test_the_model_comparison_tolerates_rounding_but_not_a_different_model():
    packaged = _packaged()
    rounded = _packaged()
    rounded["stage2_model"]["coef"][3] += 2e-5
    _assert_same_model(rounded, packaged)

    def move_a_weight(model):
        model["stage2_model"]["coef"][3] += 0.01

    def drop_a_feature(model):
        model["features"].pop()

    def count_another_line(model):
        model["lines"] += 1

    for change in (move_a_weight, drop_a_feature, count_another_line):
        changed = _packaged()
        change(changed)
        with pytest.raises(AssertionError):
            _assert_same_model(changed, packaged)


def _packaged() -> dict:
    """A fresh copy of the packaged model's JSON."""
    return json.loads(MODEL_PATH.read_text(encoding="utf-8"))


def test_the_listwise_headline_fit_learns_the_order_within_each_page():
    from train.boilerplate import _fit_softmax

    # the right line is the longest of its page, but pages differ in how long all their lines are
    rng = np.random.default_rng(0)
    pages = []
    for offset in (0.0, 5.0, 10.0, 15.0):
        x = np.c_[offset + rng.permutation(6).astype(float), rng.normal(size=6)]
        pages.append((x, (x[:, 0] == x[:, 0].max()).astype(float)))
    m = _fit_softmax(pages, C=1.0)
    assert m["coef"][0] > 0 and abs(m["coef"][1]) < m["coef"][0]
    for x, labels in pages:
        scores = ((x - m["mean"]) / m["scale"]) @ m["coef"]
        assert labels[int(np.argmax(scores))] == 1.0
