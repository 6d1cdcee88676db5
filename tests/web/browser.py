"""Helpers for the browser tests (fixtures `browser` and `page` are in tests/web/conftest.py).

Pages are waited on with `load` and then on elements (a Gradio page never reaches `networkidle`).
"""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANSWER_TIMEOUT_MS = 120_000  # a generous ceiling on a shared 2-core machine, not a speed requirement


def open_app(page, url: str, auth: tuple[str, str] | None = None) -> None:
    page.goto(url, wait_until="load")
    if auth:
        page.locator("input[type=password]").wait_for()
        page.locator("input[type=text], input[name=username]").first.fill(auth[0])
        page.locator("input[type=password]").fill(auth[1])
        page.keyboard.press("Enter")
    page.locator("#question textarea").wait_for()


def ask(page, question: str):
    """Ask `question` with the Ask button; return the newest reply (an answer or a notice) once it is shown."""
    before = page.locator("#chat .qa-answer, #chat .qa-notice").count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    page.wait_for_function(
        f"document.querySelectorAll('#chat .qa-answer, #chat .qa-notice').length > {before}",
        timeout=ANSWER_TIMEOUT_MS,
    )
    page.wait_for_function(  # the page has brought the new turn into view
        "() => { const t = document.querySelectorAll('#chat .qa-turn');"
        " return t.length > 0 && t[t.length - 1].className === window.__qaTurn; }"
    )
    return page.locator("#chat .qa-answer, #chat .qa-notice").last


def latest_answer(page):
    return page.locator("#chat .qa-answer").last


def latest_cards(page):
    """Source cards of the newest answer (the answer block is followed by its cards in the same message)."""
    return latest_answer(page).locator("xpath=following-sibling::div[contains(@class, 'qa-card')]")
