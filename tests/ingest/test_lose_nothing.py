"""Cases found on real pages where cleaning lost article text; each must keep it."""

from __future__ import annotations

from qa.index.dedup import NearDuplicates
from qa.ingest.clean import clean_page
from qa.ingest.files import load_articles
from tests.ingest.pages import html_page

MEAL_PLAN = """Seven-day meal plan for a busy week

By Dana Lee, March 3, 2021

Planning meals ahead saves time and money, and it keeps the week's shopping list short and predictable for the family.

Monday

Breakfast: Greek yogurt with honey, walnuts and fresh blueberries from the market stall

Lunch: Lentil soup with a slice of wholegrain bread and a green salad on the side

Dinner: Baked salmon with roasted potatoes and steamed broccoli, served with lemon

Tuesday

Breakfast: Greek yogurt with honey, walnuts and fresh blueberries from the market stall

Lunch: Lentil soup with a slice of wholegrain bread and a green salad on the side

Dinner: Chicken stir-fry with peppers, snap peas and brown rice, finished with sesame

Wednesday

Breakfast: Greek yogurt with honey, walnuts and fresh blueberries from the market stall

Lunch: Leftover chicken stir-fry with peppers and brown rice, packed the night before

Dinner: Baked salmon with roasted potatoes and steamed broccoli, served with lemon

Cook the soup on Sunday evening and keep it in the fridge: it lasts for three days and tastes better on the second.
"""

TOUR = """Band announces summer tour across the South

Posted on April 2, 2019

The band will play twelve cities this summer, starting in Nashville in the middle of June and ending in Texas in July.

Tickets go on sale on Friday morning through the venues' own box offices, the band's manager said on Tuesday.

June 17 -- Bridgestone Arena, Nashville, TN

June 19 -- Thompson-Boling Arena, Knoxville, TN

June 21 -- State Farm Arena, Atlanta, GA

July 2 -- Toyota Center, Houston, TX

The tour is the band's first in five years, after the singer's recovery from an operation on her vocal cords.
"""


def test_repeated_list_items_are_kept():
    page = clean_page(MEAL_PLAN)
    assert page.text.count("Breakfast: Greek yogurt with honey") == 3
    assert page.text.count("Lunch: Lentil soup") == 2
    assert page.text.count("Dinner: Baked salmon") == 2
    assert "Cook the soup on Sunday evening" in page.text


def test_a_paragraph_printed_twice_is_kept_once():
    para = (
        "The head of the committee said the armed forces would not attempt to intercept any missiles if "
        "another strike was ordered, according to the news agency."
    )
    other = "A second paragraph of the story with enough words to be prose text."
    raw = f"Headline of the story\n\n{para}\n\n{other}\n\n{para}\n"
    assert clean_page(raw).text.count("would not attempt to intercept") == 1


def test_body_lines_that_start_with_a_date_are_kept_and_not_the_publication_date():
    page = clean_page(TOUR)
    for venue in ("Bridgestone Arena", "Thompson-Boling Arena", "State Farm Arena", "Toyota Center"):
        assert venue in page.text
    assert "June 17 -- Bridgestone Arena, Nashville, TN" in page.text
    assert page.published == "2019-04-02"


def test_html_tables_are_kept_as_text_rows(tmp_path):
    table = (
        "<table><tr><th>Candidate</th><th>Party</th><th>Votes</th></tr>"
        "<tr><td>Maria Lopez</td><td>Green</td><td>12,345</td></tr>"
        "<tr><td>John Smith</td><td>Blue</td><td>9,876</td></tr></table>"
    )
    body = (
        "The county published the final results of the mayoral election on Monday evening. "
        "Turnout was the highest in twenty years, the election office said in a statement"
    )
    (tmp_path / "results.html").write_text(html_page("Lopez wins the mayoral race", body, extra=table))
    (article,), skipped = load_articles(tmp_path)
    assert skipped == []
    assert "Maria Lopez | Green | 12,345" in article.text
    assert "John Smith | Blue | 9,876" in article.text
    assert "|---" not in article.text


FURNITURE = """Skip to content
Home
World
Politics
Business
Sport
Culture
Subscribe
Sign in
Search

{title}

By Staff Reporter

{body}

Related stories
Most read
Privacy policy
Terms of use
Cookie settings
Contact us
Advertise with us
Follow us on Facebook
Follow us on Twitter
Sign up for our daily newsletter and get the top stories of the day in your inbox every morning.
We use cookies to improve your experience on our site and to show you relevant advertising.
By continuing to browse you agree to our use of cookies as described in our cookie policy.
Leave a comment
Comments are moderated and may take a while to appear below this story.
© 2021 The Harbour Gazette Ltd. All rights reserved. Registered in England and Wales.
"""

STORY_1 = (
    "The city council voted on Tuesday to close the old harbour bridge to cars from next spring. "
    "Engineers found that two of its steel supports had rusted through and could not be repaired. "
    "Buses and bicycles will still be allowed across until a new bridge opens in three years."
)
STORY_2 = (
    "A late goal from the visiting captain gave Northport a two-one win over the league leaders. "
    "The defeat ends a run of eleven matches without a loss for the home side this season. "
    "The manager said the team would rest three players before the cup match on Saturday."
)


def test_two_articles_of_one_site_are_not_folded_because_of_their_furniture(tmp_path):
    pages = (("a.txt", "Harbour bridge to close", STORY_1), ("b.txt", "Northport beat leaders", STORY_2))
    for name, title, story in pages:
        body = "\n\n".join(s.strip() + "." for s in story.split(". ") if s.strip("."))
        (tmp_path / name).write_text(FURNITURE.format(title=title, body=body), encoding="utf-8")
    articles, skipped = load_articles(tmp_path)
    assert skipped == [] and len(articles) == 2
    for article in articles:
        assert "cookies" not in article.text and "newsletter" not in article.text
    dedup = NearDuplicates()
    assert dedup.match(0, articles[0].text)[0] is None
    assert dedup.match(1, articles[1].text)[0] is None  # different stories: not a syndicated copy
    # the raw pages, furniture and all, would have been folded: most of their shingles are the furniture's
    raw = NearDuplicates()
    raw.match(0, (tmp_path / "a.txt").read_text())
    assert raw.match(1, (tmp_path / "b.txt").read_text())[0] == 0
