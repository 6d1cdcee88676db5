"""Cleaning a scraped page: clutter lines go, the story stays once, title, publisher and date come from the page
unless the caller gives them."""

from __future__ import annotations

import pytest
from hypothesis import given

from qa.ingest.clean import MAX_TITLE_CHARS, clean_page, is_clutter
from qa.text import clean_unicode, normalize_space
from tests.helpers import ANY_TEXT, PROFILE

FIRST = (
    "The harbour authority opened a new ferry terminal on Tuesday after three years of building work, officials said."
)
SECOND = "Officials said the terminal would handle two million passengers a year and cut waiting times by half for all."
PAGE = f"""Skip to main content
Home | World | Politics
Harbour authority opens new ferry terminal in the north
From – SkyNews
April 10, 2017
{FIRST}
Advertisement
{SECOND}
Share this article
{FIRST}
Leave a Comment
"""


def test_the_story_is_kept_once_and_the_clutter_removed():
    page = clean_page(PAGE)
    assert page.text == f"{FIRST}\n\n{SECOND}"
    for clutter in ("Skip to main content", "Advertisement", "Share this", "Leave a Comment", "Home | World"):
        assert clutter not in page.text


def test_title_publisher_and_date_come_from_the_page():
    page = clean_page(PAGE)
    assert (page.title, page.source, page.published) == (
        "Harbour authority opens new ferry terminal in the north",
        "SkyNews",
        "2017-04-10",
    )


def test_metadata_given_by_the_caller_wins():
    page = clean_page(PAGE, title="Given title", source="Given Press", published="2020-01-01")
    assert (page.title, page.source, page.published) == ("Given title", "Given Press", "2020-01-01")
    assert FIRST in page.text


def test_a_long_title_is_capped():
    body = "The council approved plans for a new bridge at a late meeting on Thursday, councillors said tonight."
    page = clean_page(body, title="Bridge " * 100)
    assert 0 < len(page.title) <= MAX_TITLE_CHARS
    assert page.title.startswith("Bridge Bridge")


@pytest.mark.parametrize(
    ("line", "clutter"),
    [
        ("Advertisement", True),
        ("  Skip to main content ", True),
        ("Leave a Comment", True),
        ("Image: Reuters", True),
        ("The minister said the plan was approved.", False),
        ("Advertisement revenue fell by a third last year, the company said.", False),
    ],
)
def test_is_clutter(line, clutter):
    assert is_clutter(line) is clutter


def test_a_page_of_nothing_but_clutter_has_no_text():
    assert clean_page("").text == ""
    assert clean_page("Advertisement\nPrint\nSkip to main content\n").text == ""


@PROFILE
@given(ANY_TEXT)
def test_clean_page_never_fails_and_keeps_only_input_words(raw):
    page = clean_page(clean_unicode(raw))
    source_words = set(normalize_space(clean_unicode(raw)).split())
    for word in page.text.split():
        assert word in source_words or any(word in w for w in source_words)
    assert "\n\n\n" not in page.text and page.text == page.text.strip()
    assert len(page.title) <= 300 and len(page.source) <= 60
