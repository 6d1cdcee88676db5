"""The publisher of a text scrape: read from the copyright holder, cue phrases, sentences about the site and
printed domains, never from a hard-coded list of sites."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qa.ingest.boilerplate import default_model, page_lines
from qa.ingest.clean import clean_page
from qa.ingest.publisher import PUBLISHER_FEATURES, publisher_candidates, without_com
from qa.ingest.publisher_candidates import candidate_phrases, copyright_holders, spells_domain, tidy_name

STORY = (
    "The county board voted on Monday to reopen the old mill road to lorries after a year of repairs, "
    "officials said, ending a detour that added twenty minutes to deliveries.",
    "Engineers replaced two culverts and resurfaced a mile of the road, at a cost of about three million "
    "dollars, and the board said the work came in under budget.",
    "Residents who live along the detour said they were glad to see the heavy traffic go back to the road "
    "that was built for it, and asked for a lower speed limit near the school.",
)


def scrape(footer: str) -> str:
    menu = "Skip to content\n\nHome\n\nNews\n\nSports\n\nOpinion\n\nSubscribe\n\n"
    head = "Mill road reopens to lorries after a year of repairs\n\nBy Ann Lee\n\nMarch 3, 2019\n\n"
    tail = "\n\nShare this article\n\nFacebook\n\nTwitter\n\nRelated stories\n\nPrivacy policy\n\nTerms of use\n\n"
    return menu + head + "\n\n".join(STORY) + tail + footer


@pytest.mark.parametrize(
    ("line", "holder"),
    [
        ("© 2019 Example Media Inc. All rights reserved.", "Example Media"),
        ("Copyright © 2019 The Seattle Times | Privacy statement | Terms of service", "The Seattle Times"),
        ("Reddit Inc © 2020. All rights reserved", "Reddit"),
        ("Some rights reserved 2017-2023 by Heartland Newsfeed, a subsidiary partnership", "Heartland Newsfeed"),
        ("Copyright © 2019 Salon.com, LLC. Reproduction of material is prohibited.", "Salon.com"),
        ("© NOW Grenada. All Rights Reserved. Published by Aqua Design Inc.", "NOW Grenada"),
        ("© Copyright 2006 - 2024 Spiceworks Inc.", "Spiceworks"),
        ("Copyright © 2023 · Elavegan.com Privacy Policy · Disclosure", "Elavegan.com"),
        ("© St. Lucia Times News. All rights reserved.", "St. Lucia Times News"),
    ],
)
def test_the_copyright_line_names_its_holder(line, holder):
    assert copyright_holders(line)[0] == holder


def test_a_line_without_a_copyright_mark_names_no_holder():
    assert copyright_holders("Example Media is hiring reporters") == []


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("More from Kotaku", ("Kotaku", "cue")),
        ("Sign up for the CityLab Daily newsletter", ("CityLab Daily", "cue")),
        ("Thanks for visiting German Language Stack Exchange!", ("German Language Stack Exchange", "cue")),
        ("Gothamist is funded by sponsors and member donations", ("Gothamist", "self")),
        ("The Balance is part of the Dotdash Meredith publishing family.", ("The Balance", "has_parent")),
        ("InStyle InStyle", ("InStyle", "standalone")),
        ("Toggle navigation FlowFX", ("FlowFX", "standalone")),
    ],
)  # fmt: skip
def test_furniture_lines_offer_the_name_they_print(line, found):
    assert found in candidate_phrases(line)


def test_prose_and_menus_offer_no_standalone_name():
    assert not [p for p, kind in candidate_phrases("This is a sentence about the weather.") if kind == "standalone"]
    assert not [p for p, kind in candidate_phrases("Policy / advocacy / Open culture") if kind == "standalone"]


def test_a_domain_spells_the_name_it_stands_for():
    assert spells_domain("Washington Post", {"washingtonpost"})
    assert spells_domain("The Atlantic", {"theatlantic"})
    assert spells_domain("Red Tricycle", {"redtri"})
    assert spells_domain("New York Times", {"nytimes"})
    assert not spells_domain("Explore HelloGiggles", {"hellogiggles"})
    assert not spells_domain("Red Tricycle", {"redtricycles"})


def test_a_scrape_takes_its_publisher_from_the_copyright_footer():
    page = clean_page(scrape("© 2019 Mill Valley Ledger. All rights reserved."))
    assert page.source == "Mill Valley Ledger"
    assert "county board voted" in page.text


def test_a_legal_suffix_is_not_part_of_the_name():
    page = clean_page(scrape("© 2019 Example Media Inc. All rights reserved."))
    assert page.source == "Example Media"


def test_a_site_named_by_its_furniture_beats_its_parent_company():
    footer = (
        "More from The Valley Ledger\n\nSubscribe to The Valley Ledger newsletter\n\n"
        "The Valley Ledger is part of Northern Media Group.\n\n© 2019 Northern Media Group LLC. All rights reserved."
    )
    assert clean_page(scrape(footer)).source == "The Valley Ledger"


def test_a_possessive_names_the_owner():
    assert tidy_name("GitLab’s") == "GitLab"
    assert tidy_name("Kotaku's") == "Kotaku"
    assert tidy_name("Boots") == "Boots"


def test_the_long_form_of_an_outlet_name_beats_its_short_form():
    footer = (
        "Harbour News\n\nHarbour\n\nHarbour Home\n\nHarbour Sport\n\nMore from Harbour News\n\n"
        "© 2020 Harbour. All rights reserved."
    )
    assert clean_page(scrape(footer)).source == "Harbour News"


def test_every_mention_of_a_candidate_is_counted_once_per_distinct_line():
    raw = scrape(
        "More from Mill Valley Ledger\n\nMill Valley Ledger\n\n© 2019 Mill Valley Ledger. All rights reserved."
    )
    lines = page_lines(raw)
    p = default_model().predict(lines)
    names, X = publisher_candidates(lines, p)
    row = X[names.index("Mill Valley Ledger")]
    assert row[PUBLISHER_FEATURES.index("log_lines")] == pytest.approx(math.log1p(3))
    assert row[PUBLISHER_FEATURES.index("copyright_mention")] == 1.0


def test_a_site_named_only_by_its_com_domain_is_named_without_it():
    page = clean_page(scrape("Copyright © 2021 Greenleafkitchen.com. All rights reserved."))
    assert page.source == "Greenleafkitchen"
    assert without_com("Elavegan.com") == "Elavegan"
    assert without_com("Phys.org") == "Phys.org"  # other suffixes are often part of the name
    assert without_com("LWN.net") == "LWN.net"
    assert without_com("The Valley Ledger") == "The Valley Ledger"


def test_the_name_printed_first_on_a_line_of_its_own_is_the_logo():
    # the masthead at the top of the page, and only the parent company in the copyright footer
    raw = "Valley Ledger\n\n" + scrape("© 2020 Northern Media Group. All rights reserved.")
    lines = page_lines(raw)
    names, X = publisher_candidates(lines, default_model().predict(lines))
    logo = {name: row[PUBLISHER_FEATURES.index("logo")] for name, row in zip(names, X, strict=True)}
    assert logo["Valley Ledger"] == 1.0 and sum(logo.values()) == 1.0
    assert clean_page(raw).source == "Valley Ledger"


def test_a_skip_link_is_not_a_name():
    raw = "SKIP TO MAIN CONTENT\n\nValley Ledger\n\n" + scrape("© 2020 Northern Media Group. All rights reserved.")
    lines = page_lines(raw)
    names, X = publisher_candidates(lines, default_model().predict(lines))
    assert not [name for name in names if "content" in name.lower()]
    assert names[int(np.argmax(X[:, PUBLISHER_FEATURES.index("logo")]))] == "Valley Ledger"
    assert candidate_phrases("Jump to main content") == []


def test_an_outlet_name_is_linked_to_its_forms_without_article_and_outlet_word():
    # "The Harbour Times" (the copyright holder) and "Harbour Times" (the store) are two forms of one name
    raw = scrape("Harbour Times Store\n\nCopyright © 2019 The Harbour Times | Privacy statement")
    lines = page_lines(raw)
    names, X = publisher_candidates(lines, default_model().predict(lines))
    row = dict(zip(names, X, strict=True))
    assert row["The Harbour Times"][PUBLISHER_FEATURES.index("outlet_form")] == 1.0
    assert row["Harbour Times"][PUBLISHER_FEATURES.index("has_outlet_form")] == 1.0


def test_the_words_that_spell_a_printed_domain_are_a_candidate():
    # "Business" is a menu word, so the masthead alone would be trimmed to "Jargons"
    raw = scrape("Business Jargons\n\nCite: businessjargons.com\n\n© 2019 businessjargons.com")
    lines = page_lines(raw)
    names, _ = publisher_candidates(lines, default_model().predict(lines))
    assert "Business Jargons" in names
