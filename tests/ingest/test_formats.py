"""Web archives, gzip-compressed files of every type and crawler JSON (news-please) read into articles."""

from __future__ import annotations

import json

from qa.ingest.files import iter_corpus_files, load_articles
from tests.ingest.pages import BODY_A, BODY_B, gz, html_page, warc_bytes

PAGE_A = html_page("Harbour bridge to close to cars", BODY_A, date="2021-05-30")
PAGE_B = html_page("Northport beat the leaders", BODY_B)  # no date in the page: the capture date is used


def _archive(tmp_path, name="crawl.warc.gz", gzipped=True):
    records = [
        ("request", "https://gazette.example/harbour", b"GET /harbour HTTP/1.1\r\n\r\n", ""),
        ("response", "https://gazette.example/harbour", PAGE_A.encode(), "text/html; charset=utf-8"),
        ("response", "https://gazette.example/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png"),
        ("response", "https://gazette.example/app.js", b"var x = 1;", "application/javascript"),
        ("metadata", "https://gazette.example/harbour", b"via: crawler", ""),
        ("response", "https://sport.example/northport", PAGE_B.encode(), "text/html"),
    ]
    (tmp_path / name).write_bytes(warc_bytes(records, gzipped=gzipped))


def test_warc_gz_gives_one_article_per_html_response_with_its_url(tmp_path):
    _archive(tmp_path)
    articles, skipped = load_articles(tmp_path)
    assert skipped == []
    assert [a.url for a in articles] == ["https://gazette.example/harbour", "https://sport.example/northport"]
    assert all(a.path == "crawl.warc.gz" for a in articles)
    assert len({a.article_id for a in articles}) == 2
    harbour, northport = articles
    assert "steel supports had rusted through" in harbour.text
    assert harbour.title == "Harbour bridge to close to cars"
    assert harbour.published == "2021-05-30"  # the page's own date
    assert northport.published == "2021-06-02"  # no date in the page: the capture date
    assert "eleven matches without a loss" in northport.text


def test_plain_warc_is_read_too(tmp_path):
    _archive(tmp_path, "crawl.warc", gzipped=False)
    articles, skipped = load_articles(tmp_path)
    assert skipped == [] and len(articles) == 2


def test_gzipped_files_read_like_their_plain_forms(tmp_path):
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    plain.mkdir()
    packed.mkdir()
    txt = f"Harbour bridge to close to cars\n\nMay 30, 2021\n\n{BODY_A}\n"
    jsonl = "\n".join(
        json.dumps({"title": t, "text": b, "date": "2021-05-30", "url": u})
        for t, b, u in (("Bridge", BODY_A, "https://a.example/1"), ("Match", BODY_B, "https://a.example/2"))
    )
    files = {"a.txt": txt, "b.html": PAGE_A, "c.jsonl": jsonl, "d.json": json.dumps({"title": "Match", "body": BODY_B})}
    for name, content in files.items():
        (plain / name).write_text(content, encoding="utf-8")
        (packed / f"{name}.gz").write_bytes(gz(content.encode()))
    got_plain, skipped_plain = load_articles(plain)
    got_packed, skipped_packed = load_articles(packed)
    assert skipped_plain == [] and skipped_packed == []
    assert len(got_plain) == 5

    def strip(a):
        d = a.to_dict()
        d.pop("path")
        d.pop("article_id")
        return d

    assert [strip(a) for a in got_packed] == [strip(a) for a in got_plain]
    assert [a.article_id for a in got_packed][2:4] == ["c.jsonl.gz:1", "c.jsonl.gz:2"]


def test_unsupported_gz_is_not_an_article_file(tmp_path):
    (tmp_path / "backup.tar.gz").write_bytes(gz(b"not an article"))
    (tmp_path / "notes.txt.gz").write_bytes(gz(BODY_A.encode()))
    assert [p.name for p in iter_corpus_files(tmp_path)] == ["notes.txt.gz"]


def test_news_please_records(tmp_path):
    record = {
        "authors": ["Jane Doe"],
        "date_download": "2021-06-03 08:00:00",
        "date_modify": None,
        "date_publish": "2021-05-30 17:45:00",
        "description": "The harbour bridge will close to cars.",
        "filename": "https%3A%2F%2Fgazette.example%2Fharbour.json",
        "image_url": "https://gazette.example/bridge.jpg",
        "language": "en",
        "localpath": None,
        "maintext": BODY_A,
        "source_domain": "gazette.example",
        "title": "Harbour bridge to close to cars",
        "title_page": None,
        "title_rss": None,
        "url": "https://gazette.example/harbour",
    }
    (tmp_path / "np.json").write_text(json.dumps(record), encoding="utf-8")
    (tmp_path / "np.jsonl").write_text(
        json.dumps({"headline": "Northport beat the leaders", "maintext": BODY_B, "date_publish": "2021-06-01"}) + "\n",
        encoding="utf-8",
    )
    articles, skipped = load_articles(tmp_path)
    assert skipped == []
    by_id = {a.article_id: a for a in articles}
    a = by_id["np.json"]
    assert (a.title, a.source, a.published, a.url) == (
        "Harbour bridge to close to cars",
        "gazette.example",
        "2021-05-30",
        "https://gazette.example/harbour",
    )
    assert a.text.startswith("The city council voted")
    assert "rusted through" in a.text  # maintext, not the description
    b = by_id["np.jsonl:1"]
    assert (b.title, b.published) == ("Northport beat the leaders", "2021-06-01")


def test_json_text_is_classified_only_when_it_looks_like_a_whole_scraped_page(tmp_path):
    clean = "Bridge to close\n\nIt will close in spring.\n\nBuses may still cross.\n\nA ferry starts in April."
    scraped = "\n\n".join(
        ["Home", "News", "Sport", "Weather", "Sign in", "Subscribe", BODY_A, BODY_B, "Share", "Tweet", "Email"]
    )
    (tmp_path / "feed.jsonl").write_text(
        json.dumps({"title": "Short", "text": clean}) + "\n" + json.dumps({"title": "Page", "text": scraped}) + "\n",
        encoding="utf-8",
    )
    (short, page), skipped = load_articles(tmp_path)
    assert skipped == []
    assert short.text == clean  # an extracted article, short lines and all, is left whole
    assert "rusted through" in page.text and "eleven matches" in page.text
    assert "Subscribe" not in page.text and "Weather" not in page.text
