"""Rendering a reply as HTML: article strings escaped, the answer marked, long passages collapsed around it."""

from __future__ import annotations

import re

from qa.records import Passage
from qa.web.render import pretty_date, render_question, render_reply
from qa.web.reply import Reply


def _passage(text: str, highlight: str, **fields) -> Passage:
    start = text.index(highlight)
    base = dict(title="T", source="S", published="2019-03-03", path="a.txt", article_id="a.txt", chunk_id=0)
    base.update(fields)
    return Passage(
        text=text, score=0.5, highlight=highlight, highlight_start=start, highlight_end=start + len(highlight), **base
    )


def test_rendered_reply_escapes_every_article_string():
    evil = '<script>alert(1)</script> <img src=x onerror="alert(1)"> [x](javascript:alert(1)) **b**'
    p = _passage(
        "Before. " + evil + " After.",
        evil,
        title="<b>title</b>",
        source="<i>pub</i>",
        published="<u>when</u>",
        path="javascript:alert(1)",
        url="javascript:alert(1)",
        also_in=["<s>other</s>"],
    )
    page = render_reply(Reply(question="q", passages=[p]))
    for raw in ("<script", "<img", "<b>", "<i>", "<u>", "<s>", 'href="javascript'):
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "**b**" in page
    assert page.count("<mark>") == 1


def test_long_passage_collapses_around_the_answer():
    text = " ".join(f"Filler sentence number {i}." for i in range(60))
    p = _passage(text, "Filler sentence number 30.")
    page = render_reply(Reply(question="q", passages=[p]))
    snippet = re.search(r"<span class='qa-snippet'>(.*?)</span>", page, re.S)[1]
    assert "<mark>Filler sentence number 30.</mark>" in snippet
    assert "number 0." not in snippet and "number 59." not in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "Filler sentence number 0." in page  # the whole passage is one click away


def test_a_notice_is_shown_instead_of_passages():
    page = render_reply(Reply(question="q", notice="No passage <b>matches</b>.", error=False))
    assert "No passage &lt;b&gt;matches&lt;/b&gt;." in page
    assert "<mark>" not in page


def test_the_question_is_shown_escaped():
    page = render_question("<i>Who</i> fired?")
    assert "&lt;i&gt;Who&lt;/i&gt; fired?" in page and "<i>" not in page


def test_full_dates_are_written_out_and_partial_ones_kept():
    assert pretty_date("2017-04-10") == "10 April 2017"
    assert pretty_date("Thursday, October 31") == "Thursday, October 31"
    assert pretty_date("2017-02-30") == "2017-02-30"  # not a real day: shown as it is
    assert pretty_date(None) == ""
