"""Exports (Markdown, CSV, JSON, the ?q= link) and time named in a question, through `answer` on a real index."""

from __future__ import annotations

import csv
import io
import json

from qa.records import Passage
from qa.web.export import passages_csv, passages_json, question_link, reply_markdown
from qa.web.reply import Reply, answer


def passage(**changes) -> Passage:
    text = "Intro words. They fired 26 cruise missiles [at] *targets*. More words."
    start = text.index("They")
    end = text.index(" More")
    values = dict(
        text=text,
        score=0.7,
        title="Strike <b>report</b>",
        source="Daily",
        published="2018-04-12",
        path="a/story.txt",
        article_id="a/story.txt",
        chunk_id=3,
        highlight=text[start:end],
        highlight_start=start,
        highlight_end=end,
    )
    return Passage(**{**values, **changes})


def test_markdown_cites_each_source_and_keeps_article_text_inert():
    reply = Reply("How many missiles?", [passage(), passage(url="https://example.com/x", title="Second")])
    md = reply_markdown(reply)
    assert md.startswith("**Q:** How many missiles?\n\n")
    assert "**A:** They fired 26 cruise missiles \\[at\\] \\*targets\\*. [1]" in md
    assert "1. **Strike \\<b\\>report\\</b\\>** — Daily, 2018-04-12 — `a/story.txt`" in md
    assert "2. **Second** — Daily, 2018-04-12 — <https://example.com/x>" in md
    assert "   > They fired 26 cruise missiles \\[at\\] \\*targets\\*." in md
    assert "Nothing" in reply_markdown(Reply("q", notice="Nothing found."))


def test_csv_and_json_hold_every_passage_and_defuse_formulas():
    reply = Reply("q", [passage(), passage(title='=HYPERLINK("http://evil")')])
    rows = list(csv.DictReader(io.StringIO(passages_csv(reply))))
    assert [r["rank"] for r in rows] == ["1", "2"] and rows[0]["file"] == "a/story.txt"
    assert rows[1]["title"].startswith("'=")
    data = json.loads(passages_json(reply))
    assert data["question"] == "q" and len(data["passages"]) == 2 and "path" not in data["passages"][0]


def test_question_link_is_relative_and_encoded():
    assert question_link("Who  said it?  &x=1") == "?q=Who%20said%20it%3F%20%26x%3D1"


def test_a_named_month_limits_the_search_and_the_reply_says_so(hash_index):
    reply = answer("What did the Kremlin say about the communication channel in April 2018?", index_dir=hash_index)
    assert reply.passages and reply.when == "Searched only articles from April 2018, as the question asks."
    assert all(p.published.startswith("2018-04") for p in reply.passages)
    plain = answer("What did the Kremlin say about the communication channel?", index_dir=hash_index)
    assert plain.when is None and any(not (p.published or "").startswith("2018-04") for p in plain.passages)


def test_a_date_range_set_by_the_user_wins_and_an_empty_month_falls_back(hash_index):
    form = {"date_from": "2017-01-01", "date_to": "2017-12-31"}
    reply = answer("What did the Kremlin say in April 2018?", None, form, index_dir=hash_index)
    assert reply.when is None and all(p.published.startswith("2017") for p in reply.passages)
    empty = answer("What did the Kremlin say in March 2031?", index_dir=hash_index)
    assert empty.passages and empty.when == "No article from March 2031 matches, so these passages are from any date."
