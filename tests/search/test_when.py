"""Time in questions (qa.search.when): the range a question names, relative to the newest article; recency decay."""

from __future__ import annotations

from datetime import date

import pytest

from qa.search.when import newest_date, recency_weight, time_range

NEWEST = date(2018, 5, 20)


@pytest.mark.parametrize(
    ("question", "bounds"),
    [
        ("What did the Kremlin say in April 2018?", ("2018-04-01", "2018-04-30")),
        ("What happened in 2017 in Syria?", ("2017-01-01", "2017-12-31")),
        ("What happened last October?", ("2017-10-01", "2017-10-31")),
        ("What happened last April?", ("2018-04-01", "2018-04-30")),  # said in May 2018: the April just gone
        ("What happened in April?", ("2018-04-01", "2018-04-30")),
        ("Who spoke on April 10, 2017?", ("2017-04-10", "2017-04-10")),
        ("Who spoke on 10 April 2017?", ("2017-04-10", "2017-04-10")),
        ("Strikes since March 2018", ("2018-03-01", None)),
        ("Talks before 2017", (None, "2016-12-31")),
        ("What happened last year?", ("2017-01-01", "2017-12-31")),
        ("What happened this month?", ("2018-05-01", "2018-05-31")),
        ("what about february 2016", ("2016-02-01", "2016-02-29")),
    ],
)
def test_named_times_become_date_ranges(question, bounds):
    found = time_range(question, NEWEST)
    assert found is not None and (found.date_from, found.date_to) == bounds, found


@pytest.mark.parametrize(
    "question",
    ["May I ask about Syria?", "How many of the 737 MAX were grounded?", "What is 2 + 2?", "February 30, 2018"],
)
def test_questions_without_a_time_have_no_range(question):
    assert time_range(question, NEWEST) is None


def test_relative_times_need_the_newest_article():
    assert time_range("What happened last October?", None) is None
    assert time_range("What happened in April 2018?", None).date_from == "2018-04-01"


def test_newest_date_and_recency_weight():
    assert newest_date(["2017-04-10", None, "2018-04", "2018-04-12", "Thursday"]) == date(2018, 4, 12)
    assert recency_weight("2018-05-20", NEWEST, 365) == 1.0
    assert recency_weight("2017-05-20", NEWEST, 365) == pytest.approx(0.75)
    assert recency_weight(None, NEWEST, 365) == pytest.approx(0.75)
    assert recency_weight("2010-01-01", NEWEST, 365) > 0.5
    assert recency_weight("2010-01-01", None, 365) == 1.0
