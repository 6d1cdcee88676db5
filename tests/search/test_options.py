"""`SearchOptions`, the one contract of every caller: modes and fusion as enums, dates parsed when made."""

from __future__ import annotations

import pytest

from qa.search.options import MODES, Fusion, Mode, SearchOptions, options_from
from qa.search.options import parse_date_bound as date_bound


def test_date_bounds_accept_partial_dates_and_reject_others():
    assert date_bound("2017") == "2017-01-01" and date_bound("2017", end=True) == "2017-12-31"
    assert date_bound("2016-02", end=True) == "2016-02-29" and date_bound(" 2018-4-5 ") == "2018-04-05"
    assert date_bound("") is None
    for bad in ("April 2018", "2018-13", "2018-02-30"):
        for end in (False, True):
            with pytest.raises(ValueError, match="is not a date"):
                date_bound(bad, end=end)


def test_partial_dates_become_the_first_or_last_day_of_the_range():
    options = SearchOptions(date_from="2017-04", date_to="2017")
    assert (options.date_from, options.date_to) == ("2017-04-01", "2017-12-31")
    with pytest.raises(ValueError, match="empty"):
        SearchOptions(date_from="2018", date_to="2017-06")


def test_modes_and_fusion_are_enums_and_a_bad_value_names_the_accepted_ones():
    options = SearchOptions(mode="lexical", fusion="rrf")
    assert options.mode is Mode.LEXICAL and options.fusion is Fusion.RRF
    assert set(MODES) == {"dense", "lexical", "hybrid", "hybrid+rerank"}
    with pytest.raises(ValueError, match="hybrid\\+rerank"):
        SearchOptions(mode="psychic")
    with pytest.raises(ValueError, match="rrf"):
        SearchOptions(fusion="average")


@pytest.mark.parametrize(
    "bad",
    [
        {"k": 0},
        {"k": True},
        {"k": 2.5},
        {"dense_weight": 1.5},
        {"rrf_k": 0},
        {"read_depth": -1},
        {"read_depth": True},
        {"read_weight": -0.1},
    ],
)
def test_numbers_out_of_range_are_refused(bad):
    with pytest.raises(ValueError):
        SearchOptions(**bad)


def test_sources_are_a_tuple_of_names_and_filters_are_noticed():
    assert SearchOptions(sources="SkyNews").sources == ("SkyNews",)
    assert SearchOptions(sources=[" SkyNews ", "", None]).sources == ("SkyNews",)
    assert not SearchOptions().filtered
    assert SearchOptions(per_article=True).filtered and SearchOptions(date_to="2017").filtered


def test_overrides_are_checked_by_name():
    assert options_from(3, mode="dense") == SearchOptions(k=3, mode="dense")
    with pytest.raises(ValueError, match="unknown search option colour"):
        options_from(3, colour="blue")
