"""The headline of a text scrape: the title-shaped line before the body, not the standfirst under it, the
caption before the first paragraph or the site's furniture above it."""

from __future__ import annotations

import numpy as np

from qa.ingest.boilerplate import page_lines
from qa.ingest.clean import clean_page
from qa.ingest.metadata import TITLE_FEATURES, headline_shaped, title_candidates

MENU = "Skip to content\n\nHome\n\nNews\n\nSports\n\nOpinion\n\nSubscribe\n\nSearch\n\n"
BODY = (
    "The county board voted on Monday to reopen the old mill road to lorries after a year of repairs, officials "
    "said, ending a detour that added twenty minutes to deliveries for the farms along the river.",
    "Engineers replaced two culverts and resurfaced a mile of the road, at a cost of about three million dollars, "
    "and the board said the work came in under budget and two weeks early.",
    "Residents who live along the detour said they were glad to see the heavy traffic go back to the road that "
    "was built for it, and asked the board for a lower speed limit near the school.",
)
FOOTER = "\n\nShare this article\n\nFacebook\n\nTwitter\n\nRelated stories\n\nPrivacy policy\n\nTerms of use\n"


def test_a_line_shaped_like_a_headline():
    assert headline_shaped("Mill road reopens to lorries after a year of repairs")
    assert not headline_shaped("The board voted on Monday.")  # a sentence ends with a period
    assert not headline_shaped("By Ann Lee")  # a byline
    assert not headline_shaped("Share on Facebook and Twitter by email")  # furniture words
    assert not headline_shaped("March 3, 2019 at 10:15 am")  # a date


def test_the_headline_is_not_the_standfirst_printed_under_it():
    head = (
        "Mill road reopens to lorries after a year of repairs\n\n"
        "The county's main freight route is back after culvert works that cost three million dollars\n\n"
        "By Ann Lee\n\nMarch 3, 2019\n\n"
    )
    page = clean_page(MENU + head + "\n\n".join(BODY) + FOOTER)
    assert page.title == "Mill road reopens to lorries after a year of repairs"


def test_a_headline_printed_twice_is_the_headline():
    head = (
        "Mill road reopens to lorries after a year of repairs\n\n"
        "Mill road reopens to lorries after a year of repairs –\n\n"
        "Lorries are back on the mill road after repairs to two culverts\n\n"
    )
    page = clean_page(head + "\n\n".join(BODY))
    assert page.title == "Mill road reopens to lorries after a year of repairs"


def test_title_shaped_lines_between_a_candidate_and_the_body_are_counted():
    raw = MENU + "Mill road reopens to lorries\n\nA subtitle about the culvert repairs here\n\n" + "\n\n".join(BODY)
    lines = page_lines(raw)
    p = np.array([0.0] * (len(lines) - len(BODY)) + [1.0] * len(BODY))
    idx, X = title_candidates(lines, p)
    col = TITLE_FEATURES.index("log_shaped_to_body")
    by_text = {lines[i].text: row[col] for i, row in zip(idx, X, strict=True)}
    assert by_text["Mill road reopens to lorries"] > 0  # the subtitle sits between it and the body
    assert by_text["A subtitle about the culvert repairs here"] == 0


def test_the_headline_is_the_first_line_about_the_article_not_the_subtitle_under_its_date():
    # the headline, its date and reading time, then a subtitle that repeats the lead's words just above the body
    head = (
        "Mill road is open again\n\nMarch 3, 2019\n\n2 min. read\n\n"
        "The county board reopened the old mill road to lorries after repairs\n\nShare\n\n"
    )
    raw = MENU + head + "\n\n".join(BODY) + FOOTER
    assert clean_page(raw).title == "Mill road is open again"
    lines = page_lines(raw)
    p = np.array([0.0] * (len(lines) - len(BODY) - 6) + [1.0] * len(BODY) + [0.0] * 6)
    idx, X = title_candidates(lines, p)
    col = TITLE_FEATURES.index("first_related")
    first = {lines[i].text: row[col] for i, row in zip(idx, X, strict=True)}
    assert first["Mill road is open again"] == 1.0  # shares "mill" and "road" with the lead, and comes first
    assert first["The county board reopened the old mill road to lorries after repairs"] == 0.0
