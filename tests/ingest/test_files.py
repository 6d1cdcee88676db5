"""Ingestion of every format, and clean-up and metadata of the real sample articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.ingest.files import iter_corpus_files, load_articles
from tests.helpers import SAMPLE_CORPUS

CLUTTER = [
    "Skip to main content",
    "Exit mobile version",
    "Leave a Comment",
    "You must be logged in",
    "Join the GlobalSecurity.org mailing list",
    "UNITED24",
    "Donate today",
    "Fighting fund",
    "You've Raised",
    "Become a supporter",
    "OWNED BY OUR READERS",
    "Image: ",
    "More from Russia",
    "From – SkyNews",
    ":: Assad",
]


@pytest.fixture(scope="module")
def sample_articles():
    articles, skipped = load_articles(SAMPLE_CORPUS)
    assert skipped == []
    return {a.article_id: a for a in articles}


def test_sample_corpus_has_five_articles_with_stable_ids(sample_articles):
    assert sorted(sample_articles) == sorted(p.name for p in SAMPLE_CORPUS.glob("*.txt"))
    assert all(a.path == a.article_id for a in sample_articles.values())


@pytest.mark.parametrize("phrase", CLUTTER)
def test_page_clutter_is_removed(sample_articles, phrase):
    for article in sample_articles.values():
        assert phrase not in article.text, f"{phrase!r} left in {article.article_id}"


def test_titles_publishers_and_dates_are_extracted(sample_articles):
    a = sample_articles
    assert a["000_f62e0eef9fe49492.txt"].source == "SkyNews"
    assert a["000_f62e0eef9fe49492.txt"].published == "Thursday, October 31"
    assert a["001_777249522e6c8631.txt"].title == "Russian firepower backs Assad attack"
    assert a["002_b7d55dfd4cdbabc3.txt"].title == "Russia Says It Will Not Attempt To Shoot Down Further US Missiles"
    assert a["002_b7d55dfd4cdbabc3.txt"].published == "2017-04-10"
    assert a["003_b0192b87f9e4af6e.txt"].title == "Russia-US Military Communication Channel in Syria Open – Kremlin"
    assert a["003_b0192b87f9e4af6e.txt"].source == "Sputnik News"
    assert a["003_b0192b87f9e4af6e.txt"].published == "2018-04-12"
    assert a["004_9e67022e0d172f8c.txt"].title == "Putin reportedly prepared to launch unilateral airstrikes in Syria"
    assert a["004_9e67022e0d172f8c.txt"].source == "MEE"
    # the dateline prefix "MEE – " is metadata, not story text
    assert not a["004_9e67022e0d172f8c.txt"].text.startswith("MEE")


def test_title_is_not_repeated_in_the_text(sample_articles):
    for article in sample_articles.values():
        if not article.title.endswith("…"):
            assert not article.text.startswith(article.title), article.article_id


def test_repeated_paragraph_is_indexed_once(sample_articles):
    text = sample_articles["002_b7d55dfd4cdbabc3.txt"].text
    assert text.count("told the news agency Interfax") == 1
    assert text.count("will not attempt to intercept any American missiles") == 1
    raw = (SAMPLE_CORPUS / "002_b7d55dfd4cdbabc3.txt").read_text()
    assert raw.count("told the news agency Interfax") == 2


def test_story_text_is_kept(sample_articles):
    assert "26 cruise missiles" in sample_articles["001_777249522e6c8631.txt"].text
    assert "Dmitry Peskov" in sample_articles["003_b0192b87f9e4af6e.txt"].text


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


BODY = (
    "The central bank raised interest rates by half a point on Tuesday, its third rise this year. "
    "Officials said inflation remained far above the target and that more rises were likely."
)


def test_every_format_is_read_recursively(tmp_path):
    _write(tmp_path / "a.txt", f"Bank raises rates again\n\nMarch 3, 2021\n\n{BODY}")
    _write(tmp_path / "nested" / "b.md", f"# Markdown headline about rates\n\n{BODY}")
    _write(
        tmp_path / "c.html",
        "<html><head><title>HTML rates story</title></head><body><nav>Skip to main content</nav>"
        f"<article><h1>HTML rates story</h1><p>{BODY}</p><p>{BODY.replace('Tuesday', 'Monday')}</p></article>"
        "</body></html>",
    )
    _write(
        tmp_path / "d.json",
        json.dumps({"title": "JSON rates story", "body": BODY, "url": "https://example.com/d", "date": "2021-03-04"}),
    )
    _write(
        tmp_path / "e.jsonl",
        json.dumps({"headline": "First JSONL story", "text": BODY, "source": "Reuters"})
        + "\n\n"
        + json.dumps({"title": "Second JSONL story", "content": BODY, "publisher": "AP"})
        + "\n",
    )
    _write(tmp_path / "ignored.csv", "not,an,article")
    articles, skipped = load_articles(tmp_path)
    by_id = {a.article_id: a for a in articles}
    assert skipped == []
    assert sorted(by_id) == ["a.txt", "c.html", "d.json", "e.jsonl:1", "e.jsonl:3", "nested/b.md"]
    assert by_id["a.txt"].title == "Bank raises rates again"
    assert by_id["a.txt"].published == "2021-03-03"
    assert by_id["nested/b.md"].title.endswith("Markdown headline about rates")
    assert by_id["c.html"].title == "HTML rates story"
    assert "Skip to main content" not in by_id["c.html"].text
    assert "third rise this year" in by_id["c.html"].text
    assert by_id["d.json"].url == "https://example.com/d"
    assert by_id["d.json"].published == "2021-03-04"
    assert by_id["e.jsonl:1"].source == "Reuters"
    assert by_id["e.jsonl:3"].source == "AP"
    assert by_id["e.jsonl:3"].path == "e.jsonl"


def test_bad_records_are_skipped_with_reasons_and_good_ones_kept(tmp_path):
    _write(tmp_path / "good.txt", BODY)
    _write(tmp_path / "bad.json", "{not json")
    _write(tmp_path / "mixed.jsonl", json.dumps({"text": BODY}) + "\n{broken\n" + json.dumps({"title": "no text"}))
    articles, skipped = load_articles(tmp_path)
    assert sorted(a.article_id for a in articles) == ["good.txt", "mixed.jsonl:1"]
    reasons = {s.path: s.reason for s in skipped}
    assert set(reasons) == {"bad.json", "mixed.jsonl:2", "mixed.jsonl:3"}
    assert "invalid JSON" in reasons["bad.json"]
    assert "text" in reasons["mixed.jsonl:3"]


def test_hidden_files_and_other_suffixes_are_ignored(tmp_path):
    _write(tmp_path / ".hidden.txt", BODY)
    _write(tmp_path / ".git" / "x.txt", BODY)
    _write(tmp_path / "notes.pdf", BODY)
    assert list(iter_corpus_files(tmp_path)) == []


def test_missing_corpus_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="corpus folder not found"):
        load_articles(tmp_path / "nope")
