"""The chat in a real browser: Debian's Chromium driven by Playwright against the real `qa serve`.

Pages are waited on with `load` and then on elements (a Gradio page never reaches `networkidle`).
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import pytest

from .browser import ANSWER_TIMEOUT_MS, ask, latest_answer, latest_cards, open_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_question_shows_short_answer_source_card_and_whole_article(page, app_url, artifacts_dir):
    open_app(page, app_url)
    page.get_by_text("Ask the news archive").wait_for()
    assert page.get_by_text("How many cruise missiles did the Russian warships fire?").first.is_visible()
    page.screenshot(path=str(artifacts_dir / "browser-empty-chat.png"))

    ask(page, "How many cruise missiles did the Russian warships fire?")
    answer = latest_answer(page)
    assert "26 cruise missiles" in answer.locator(".qa-answer-text").inner_text()
    cards = latest_cards(page)
    assert cards.count() == 5
    first = cards.first
    assert first.locator(".qa-title").inner_text() == "Russian firepower backs Assad attack"
    assert first.locator(".qa-file").inner_text() == "001_777249522e6c8631.txt"
    assert first.locator(".qa-score").inner_text().strip().endswith("%")
    assert "26 cruise missiles" in first.locator(".qa-snippet mark").inner_text()
    page.mouse.move(0, 0)  # no hover effects in the picture (it is also the README's docs/screenshot.png)
    page.screenshot(path=str(artifacts_dir / "browser-answer.png"))

    # A long passage is collapsed to a window around the answer; it expands to the whole passage.
    passage = first.locator(".qa-passage")
    assert not first.locator(".qa-full").is_visible()
    passage.locator("summary").click()
    assert first.locator(".qa-full").is_visible()
    assert "26 cruise missiles" in first.locator(".qa-full mark").inner_text()

    # "Show the whole article" opens the article with the passage in it.
    first.locator(".qa-article summary").click()
    article = first.locator(".qa-article-text")
    article.wait_for(state="visible")
    text = article.inner_text()
    assert "26 cruise missiles" in text and len(text) > len(first.locator(".qa-full").inner_text())
    page.screenshot(path=str(artifacts_dir / "browser-whole-article.png"))
    assert page.off_host_requests == [], "the page must work offline"


def test_follow_up_question_uses_the_conversation(page, app_url, artifacts_dir):
    open_app(page, app_url)
    ask(page, "Which Russian senator said Russia will not intercept US missiles?")
    assert "Ozerov" in latest_answer(page).inner_text()
    ask(page, "Which news agency did he speak to?")
    assert "Interfax" in latest_answer(page).locator(".qa-answer-text").inner_text()
    page.screenshot(path=str(artifacts_dir / "browser-follow-up.png"))

    # "New chat" forgets the conversation.
    page.locator("#new-chat").click()
    page.get_by_text("Ask the news archive").wait_for()
    assert page.locator("#chat .qa-answer").count() == 0


def test_example_question_and_filters_apply_to_the_next_question(page, app_url, artifacts_dir):
    open_app(page, app_url)
    page.get_by_text("Are Syrian forces using Russian-built drones?").first.click()
    page.locator("#chat .qa-answer").first.wait_for()
    assert "drones" in latest_answer(page).locator(".qa-answer-text").inner_text()

    page.locator("#publishers input").click()
    page.get_by_role("option", name="Sputnik News").click()
    page.keyboard.press("Escape")
    page.locator("#per-article input").check()
    ask(page, "What did the Kremlin say about missiles?")
    cards = latest_cards(page)
    assert cards.count() == 1  # one article from Sputnik News, one passage per article
    assert cards.first.locator(".qa-source").inner_text() == "Sputnik News"
    page.screenshot(path=str(artifacts_dir / "browser-filtered.png"))

    page.locator("#date-from textarea, #date-from input").first.fill("2030-01-01")
    reply = ask(page, "What did the Kremlin say about missiles?")
    assert "No passage in the archive matches this question with the current filters" in reply.inner_text()

    page.locator("#date-from textarea, #date-from input").first.fill("April 2018")
    reply = ask(page, "What did the Kremlin say about missiles?")
    assert "is not a date" in reply.inner_text()


def test_empty_question_gets_a_message_not_an_error(page, app_url):
    open_app(page, app_url)
    reply = ask(page, "   ")
    assert "The question is empty" in reply.inner_text()
    assert page.locator("text=Traceback").count() == 0


def test_article_markup_is_shown_as_text_and_never_runs(page, guarded_app, artifacts_dir):
    url, _corpus, auth = guarded_app
    open_app(page, url, auth=auth)
    ask(page, "What did the lighthouse keepers of Vardo write on the door about the penguin?")
    cards = latest_cards(page)
    titles = cards.locator(".qa-title").all_inner_texts()
    assert "Lighthouse keepers of Vardo adopt a penguin named Script" in titles
    card = cards.nth(titles.index("Lighthouse keepers of Vardo adopt a penguin named Script"))
    card.locator(".qa-article summary").click()
    article = card.locator(".qa-article-text")
    article.wait_for(state="visible")
    text = article.inner_text()
    assert "<script>window.__xss=1</script>" in text
    assert '<img src=x onerror="window.__xss=1">' in text
    assert "[a link](javascript:window.__xss=1)" in text
    assert "**bold words**" in text
    page.screenshot(path=str(artifacts_dir / "browser-markup-as-text.png"))
    chat = page.locator("#chat")
    assert chat.locator("script, img, iframe, a[href^='javascript']").count() == 0
    assert chat.locator("strong, b").filter(has_text="bold words").count() == 0
    assert page.evaluate("() => window.__xss") is None


def test_rebuild_from_the_ui_serves_the_new_index_without_restart(page, guarded_app, artifacts_dir):
    url, corpus, auth = guarded_app
    open_app(page, url, auth=auth)
    info = page.locator("#index-info")
    articles_before = int(info.locator("dt:text-is('Articles') + dd").inner_text().replace(",", ""))
    (corpus / "glacier-orchestra.txt").write_text(
        "Ice orchestra plays inside a Norwegian glacier\n\nTromso Daily\n\nJanuary 12, 2020\n\n"
        "Musicians carved violins and a cello from glacier ice and played a concert inside the glacier cave.\n"
        "The ice instruments had to be kept at minus five degrees so that they would not crack.\n",
        encoding="utf-8",
    )
    page.locator("#rebuild").click()
    page.get_by_text("The chat now uses the new index").wait_for(timeout=ANSWER_TIMEOUT_MS)
    page.screenshot(path=str(artifacts_dir / "browser-rebuilt.png"))
    articles_after = int(info.locator("dt:text-is('Articles') + dd").inner_text().replace(",", ""))
    assert articles_after == articles_before + 1

    ask(page, "What were the violins of the ice orchestra made of?")
    title = latest_cards(page).first.locator(".qa-title").inner_text()
    assert title == "Ice orchestra plays inside a Norwegian glacier"
    assert "glacier ice" in latest_answer(page).locator(".qa-answer-text").inner_text()
