"""The Library tab and time in a real browser (Chromium + Playwright) against the real `qa serve`.

One app with uploads on (`QA_ALLOW_UPLOADS=1`) serves a copy of the sample corpus; the tests add, read and
remove articles through the page and check the answers, the files in the corpus folder and `removed/`, and
that nothing is written anywhere else. Screenshots of each state go to test-artifacts/library-*.png.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.helpers import SAMPLE_CORPUS, copy_index, running_app

from .articles import BAKERY, BAKERY_TITLE, FESTIVAL, MARCH_QUESTION, MARCH_TITLE, zip_bomb, zip_bytes
from .browser import ANSWER_TIMEOUT_MS, ask, latest_answer, latest_cards, open_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DRONES_TITLE_WORDS = "Russian-built drones"
TITLE_CELLS = "#library-table [role=gridcell][data-col='0']"  # the Title column of Gradio's virtual grid


@pytest.fixture(scope="module")
def library_app(tmp_path_factory, sample_index) -> Iterator[tuple[str, Path, Path]]:
    """(URL, corpus folder, sandbox root) of an app with uploads on, over a copy of the sample corpus.

    The sandbox root holds the corpus, the index and Gradio's temporary folder; `removed/` appears beside
    the corpus. Tests change it.
    """
    root = tmp_path_factory.mktemp("library-app")
    corpus = Path(shutil.copytree(SAMPLE_CORPUS, root / "corpus"))
    index = copy_index(sample_index, root / "index")
    env = {"QA_ALLOW_UPLOADS": "1", "GRADIO_TEMP_DIR": str(root / "gradio-tmp")}
    with running_app(corpus, index, env=env) as url:
        yield url, corpus, root


def open_library(page) -> None:
    page.get_by_role("tab", name="Library").click()
    page.locator("#library-table").wait_for()


def open_chat(page) -> None:
    page.get_by_role("tab", name="Chat").click()
    page.locator("#question textarea").wait_for()


def upload(page, paths: list[Path]) -> str:
    """Choose `paths` in the Add articles box, press Add, and return the result once it is shown."""
    page.locator("#upload-files input[type=file]").set_input_files([str(p) for p in paths])
    page.wait_for_function(  # Gradio has received every file (it lists them once uploaded)
        "n => document.querySelectorAll('#upload-files tr.file').length === n", arg=len(paths)
    )
    page.locator("#upload").click()
    result = page.locator("#upload-result .qa-upload-result")
    result.wait_for(timeout=ANSWER_TIMEOUT_MS)
    return result.inner_text()


def library_titles(page) -> list[str]:
    return [t.strip() for t in page.locator(TITLE_CELLS).all_inner_texts()]


def wait_for_title(page, title: str, present: bool = True) -> None:
    """Wait until the library table lists (or no longer lists) `title`."""
    page.wait_for_function(
        "([sel, title, present]) => { const cells = [...document.querySelectorAll(sel)];"
        " return cells.some(c => c.innerText.trim() === title) === present; }",
        arg=[TITLE_CELLS, title, present],
        timeout=ANSWER_TIMEOUT_MS,
    )


def wait_for_rows(page, predicate: str) -> None:
    """Wait until the number of rows the library table shows satisfies the JS `predicate`."""
    page.wait_for_function(
        f"([sel]) => ({predicate})(document.querySelectorAll(sel).length)", arg=[TITLE_CELLS], timeout=ANSWER_TIMEOUT_MS
    )


def files_outside(root: Path) -> dict[str, bytes]:
    """Files under the sandbox root (Gradio's temporary folder included) that are neither in the corpus, the
    index nor `removed/`, with their contents."""
    keep = ("corpus/", "index/", "removed/")
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.relative_to(root).as_posix().startswith(keep)
    }


def test_upload_an_article_see_it_listed_and_ask_about_it(page, library_app, tmp_path, artifacts_dir):
    url, corpus, root = library_app
    open_app(page, url)
    open_library(page)
    assert BAKERY_TITLE not in library_titles(page)
    article = tmp_path / "bakery.txt"
    article.write_text(BAKERY, encoding="utf-8")
    unreadable = tmp_path / "scan.txt"  # a supported type the build cannot read: saved, then reported skipped
    unreadable.write_bytes(b"\x00\x01binary\x00" * 50)
    result = upload(page, [article, unreadable])
    assert "Added uploads/bakery.txt (1 article)" in result
    assert "uploads/scan.txt was saved but not indexed: binary file" in result
    assert "The chat now uses the new index" in result
    assert (corpus / "uploads" / "bakery.txt").read_text(encoding="utf-8") == BAKERY
    wait_for_title(page, BAKERY_TITLE)
    page.locator("#skipped").get_by_text("Skipped files").click()
    skipped = page.locator("#skipped-files")
    skipped.get_by_text("uploads/scan.txt").wait_for()
    assert "binary file" in skipped.inner_text()
    page.screenshot(path=str(artifacts_dir / "library-uploaded.png"), full_page=True)

    open_chat(page)
    ask(page, "Which bakery sells the northernmost cinnamon buns?")
    first = latest_cards(page).first
    assert first.locator(".qa-title").inner_text() == BAKERY_TITLE
    assert first.locator(".qa-file").inner_text() == "uploads/bakery.txt"
    assert "Fruene" in latest_answer(page).locator(".qa-answer-text").inner_text()
    leftovers = [name for name, data in files_outside(root).items() if data == BAKERY.encode()]
    assert leftovers == [], "Gradio's temporary copies of an upload are removed once it is saved"
    assert page.off_host_requests == []


def test_upload_a_zip_of_three_and_ask_about_a_month(page, library_app, tmp_path, artifacts_dir):
    url, corpus, _root = library_app
    archive = tmp_path / "Vardo festival.zip"
    archive.write_bytes(zip_bytes(FESTIVAL))
    open_app(page, url)
    open_library(page)
    result = upload(page, [archive])
    for name in FESTIVAL:
        assert f"Added uploads/Vardo-festival/{name} (1 article)" in result
        assert (corpus / "uploads" / "Vardo-festival" / name).is_file()
    wait_for_title(page, MARCH_TITLE)
    # Newest first by default; a column's menu sorts it.
    dates = [d for d in page.locator("#library-table [role=gridcell][data-col='2']").all_inner_texts() if d[:2] == "20"]
    assert dates[0] == "2019-05-11" and dates == sorted(dates, reverse=True), dates
    titles = library_titles(page)
    first = min(titles, key=str.lower)
    assert titles[0] != first  # newest first is not alphabetical here, so the sort has something to do
    header = page.locator("#library-table [role=columnheader]").first
    header.hover()
    header.locator(".cell-menu-button").click(force=True)
    page.get_by_text("Sort ascending").click()
    page.wait_for_function(
        "([sel, first]) => document.querySelector(sel).innerText.trim() === first", arg=[TITLE_CELLS, first]
    )
    per_month = page.locator("#per-month")
    per_month.locator("svg, canvas").first.wait_for()
    page.screenshot(path=str(artifacts_dir / "library-zip-added.png"), full_page=True)

    # The January article matches the words best; the month in the question picks March's.
    open_chat(page)
    ask(page, MARCH_QUESTION)
    assert "Searched only articles from March 2019" in page.locator("#chat .qa-when").last.inner_text()
    cards = latest_cards(page)
    assert cards.first.locator(".qa-title").inner_text() == MARCH_TITLE
    assert set(cards.locator(".qa-date").all_inner_texts()) == {"16 March 2019"}
    assert "1,800" in latest_answer(page).locator(".qa-answer-text").inner_text()

    # The timeline beside the sources shows when they were published.
    timeline = page.locator("#timeline")
    timeline.locator("svg, canvas").first.wait_for()
    assert timeline.is_visible()
    page.mouse.move(0, 0)
    page.screenshot(path=str(artifacts_dir / "library-month-question.png"))

    # Without the month the best-matching (January) article comes first: the range did the work.
    ask(page, "How many visitors came to the Vardo harbour festival?")
    assert latest_cards(page).first.locator(".qa-title").inner_text() != MARCH_TITLE

    # A year: every source is from 2019, and the timeline spreads them over the months (the README's picture).
    ask(page, "How many visitors came to the Vardo harbour festival in 2019?")
    assert "Searched only articles from 2019" in page.locator("#chat .qa-when").last.inner_text()
    dates = latest_cards(page).locator(".qa-date").all_inner_texts()
    assert len(dates) >= 3 and all(d.endswith("2019") for d in dates)
    page.mouse.move(0, 0)
    page.screenshot(path=str(artifacts_dir / "library-year-question.png"))


def test_read_and_remove_an_article(page, library_app, artifacts_dir):
    url, corpus, root = library_app
    drones = next(p for p in corpus.glob("004_*.txt"))
    open_app(page, url)
    ask(page, "Are Syrian government forces using Russian-built drones?")
    title = latest_cards(page).first.locator(".qa-title").inner_text()
    assert latest_cards(page).first.locator(".qa-file").inner_text() == drones.name

    open_library(page)
    page.locator("#library-search input, #library-search textarea").first.fill("unilateral airstrikes")
    wait_for_rows(page, "n => n === 1")  # the search narrowed the table to the one article
    page.locator(TITLE_CELLS).filter(has_text=title).first.click()
    reader = page.locator("#article-reader .qa-reader")
    reader.wait_for()
    assert DRONES_TITLE_WORDS in reader.inner_text()
    page.locator("#remove").click()
    page.locator("#confirm-yes").wait_for()
    assert "removed/" in page.locator("#confirm-remove").first.inner_text()
    page.screenshot(path=str(artifacts_dir / "library-confirm-remove.png"), full_page=True)
    page.locator("#confirm-no").click()  # Cancel keeps it
    page.locator("#confirm-yes").wait_for(state="hidden")
    assert drones.exists()

    page.locator("#remove").click()
    page.locator("#confirm-yes").click()
    page.locator("#remove-result .qa-removed").wait_for(timeout=ANSWER_TIMEOUT_MS)
    moved = root / "removed" / "corpus" / drones.name
    assert moved.is_file() and not drones.exists()
    assert f"removed/corpus/{drones.name}" in page.locator("#remove-result").inner_text()
    page.locator("#library-search input, #library-search textarea").first.fill("")
    wait_for_rows(page, "n => n > 1")  # every article again
    assert title not in library_titles(page)
    page.screenshot(path=str(artifacts_dir / "library-removed.png"), full_page=True)

    open_chat(page)
    ask(page, "Are Syrian government forces using Russian-built drones?")
    assert title not in latest_cards(page).locator(".qa-title").all_inner_texts()
    assert drones.name not in latest_cards(page).locator(".qa-file").all_inner_texts()


def test_hostile_uploads_are_refused_and_nothing_is_written_outside(page, library_app, tmp_path, artifacts_dir):
    url, corpus, root = library_app
    hostile = {
        "slip.zip": zip_bytes({"../../escaped.txt": "climbs out"}),
        "absolute.zip": zip_bytes({"/tmp/qa-browser-absolute.txt": "absolute"}),
        "link.zip": zip_bytes({"ok.txt": "fine"}, symlinks={"passwd.txt": "/etc/passwd"}),
        "bomb.zip": zip_bomb(),
        "report.pdf": b"%PDF-1.4 not an article",
    }
    for name, data in hostile.items():
        (tmp_path / name).write_bytes(data)
    uploads_before = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*"))
    outside_before = files_outside(root)
    open_app(page, url)
    open_library(page)
    result = upload(page, [tmp_path / name for name in hostile])
    assert "Refused slip.zip: it holds a file whose path climbs out of its folder" in result
    assert "Refused absolute.zip: it holds a file with an absolute path" in result
    assert "Refused link.zip: it holds a symbolic link" in result
    assert "Refused bomb.zip:" in result and "zip bomb" in result
    assert "Refused report.pdf: this type of file is not read; supported: .htm, .html, .json, .jsonl" in result
    assert "Added" not in result
    page.screenshot(path=str(artifacts_dir / "library-hostile-refused.png"), full_page=True)
    assert sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*")) == uploads_before
    new_outside = {name: data for name, data in files_outside(root).items() if name not in outside_before}
    assert not [name for name, data in new_outside.items() if data in hostile.values()], new_outside.keys()
    assert not [name for name in new_outside if not name.startswith("gradio-tmp/")], new_outside.keys()
    assert not (root / "escaped.txt").exists() and not (root.parent / "escaped.txt").exists()
    assert not Path("/tmp/qa-browser-absolute.txt").exists()


def test_uploads_are_off_unless_allowed(page, app_url):
    open_app(page, app_url)
    open_library(page)
    notice = page.locator("#upload-notice")
    notice.get_by_text("Adding articles from the page is off").wait_for()
    assert "--allow-uploads" in notice.inner_text()
    assert not page.locator("#upload").is_visible()
    assert not page.locator("#upload-files").is_visible()


def test_question_link_asks_and_the_answer_can_be_taken_away(page, app_url, artifacts_dir):
    question = "How many cruise missiles did the Russian warships fire?"
    page.goto(app_url + "?q=" + quote(question), wait_until="load")
    page.locator("#chat .qa-answer").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert question in page.locator("#chat .qa-question").first.inner_text()
    assert "26 cruise missiles" in latest_answer(page).locator(".qa-answer-text").inner_text()

    page.locator("#export").get_by_text("Take this answer with you").click()
    markdown = page.locator("#export-md textarea").input_value()
    assert markdown.startswith(f"**Q:** {question}")
    answer_line = next(line for line in markdown.splitlines() if line.startswith("**A:** "))
    assert "Four Russian warships" in answer_line and "26 cruise missiles" in answer_line
    assert "1. **" in markdown and "`001_777249522e6c8631.txt`" in markdown
    link = page.locator("#question-link")
    assert link.get_attribute("href") == "?q=" + quote(question, safe="")
    page.screenshot(path=str(artifacts_dir / "library-export.png"), full_page=True)

    with page.expect_download() as download:
        page.locator("#download-csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert len(rows) == 5 and rows[0]["title"] == latest_cards(page).first.locator(".qa-title").inner_text()
    assert "26 cruise missiles" in rows[0]["highlight"] and rows[0]["file"] == "001_777249522e6c8631.txt"
    with page.expect_download() as download:
        page.locator("#download-json").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["question"] == question and len(data["passages"]) == 5
    assert page.off_host_requests == []
