"""Bad archives and compressed files are skipped with a message naming the file and record; the rest is read."""

from __future__ import annotations

import gzip
import json

import qa.ingest.files as files
from qa.ingest.files import load_articles
from tests.ingest.pages import BODY_A, BODY_B, gz, html_page, warc_bytes

PAGES = [
    ("response", f"https://gazette.example/{i}", html_page(f"Story number {i} of the day", body).encode(), "text/html")
    for i, body in enumerate([BODY_A, BODY_B, BODY_A.replace("Tuesday", "Friday"), BODY_B.replace("eleven", "nine")])
]


def _good(tmp_path):
    (tmp_path / "good.txt").write_text(f"A good story\n\n{BODY_B}", encoding="utf-8")


def test_truncated_warc_keeps_the_records_before_the_break(tmp_path):
    _good(tmp_path)
    data = warc_bytes(PAGES, gzipped=True)
    whole = warc_bytes(PAGES[:2], gzipped=True)
    (tmp_path / "cut.warc.gz").write_bytes(data[: len(whole) + 200])  # breaks inside the third page's record
    articles, skipped = load_articles(tmp_path)
    urls = sorted(a.url or a.path for a in articles)
    assert urls == ["good.txt", "https://gazette.example/0", "https://gazette.example/1"]
    assert len(skipped) == 1
    assert skipped[0].path.startswith("cut.warc.gz@")
    assert "truncated or damaged" in skipped[0].reason


def test_truncated_plain_warc(tmp_path):
    _good(tmp_path)
    data = warc_bytes(PAGES, gzipped=False)
    (tmp_path / "cut.warc").write_bytes(data[: len(data) - 300])
    articles, skipped = load_articles(tmp_path)
    assert "good.txt" in {a.path for a in articles}
    assert len([a for a in articles if a.path == "cut.warc"]) == 3
    assert [s.path for s in skipped] == ["cut.warc@5"]  # warcinfo + 3 pages read, the 4th page cut


def test_warc_without_html_records_is_named(tmp_path):
    _good(tmp_path)
    records = [("response", "https://gazette.example/logo.png", b"\x89PNG" + bytes(32), "image/png")]
    (tmp_path / "images.warc.gz").write_bytes(warc_bytes(records))
    articles, skipped = load_articles(tmp_path)
    assert [a.path for a in articles] == ["good.txt"]
    assert [s.path for s in skipped] == ["images.warc.gz"]
    assert "no HTML response records" in skipped[0].reason


def test_truncated_gzip_is_skipped_and_the_rest_read(tmp_path):
    _good(tmp_path)
    data = gz(f"A story\n\n{BODY_A}".encode() * 50)
    (tmp_path / "cut.txt.gz").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.html.gz").write_bytes(b"\x1f\x8b\x08\x00garbage that is not deflate")
    articles, skipped = load_articles(tmp_path)
    assert [a.path for a in articles] == ["good.txt"]
    reasons = {s.path: s.reason for s in skipped}
    assert "truncated" in reasons["cut.txt.gz"]
    assert "damaged" in reasons["junk.html.gz"]


def test_truncated_jsonl_gz_keeps_the_lines_before_the_break(tmp_path):
    lines = [json.dumps({"title": f"Story {i}", "text": BODY_A + f" Item {i}."}) for i in range(400)]
    data = gz("\n".join(lines).encode())
    (tmp_path / "feed.jsonl.gz").write_bytes(data[: int(len(data) * 0.6)])
    articles, skipped = load_articles(tmp_path)
    assert 100 < len(articles) < 400
    assert [a.article_id for a in articles] == [f"feed.jsonl.gz:{i}" for i in range(1, len(articles) + 1)]
    assert len(skipped) == 1 and skipped[0].path.startswith("feed.jsonl.gz:")
    assert "truncated" in skipped[0].reason


def test_compressed_file_expanding_past_the_article_limit_stops_and_is_skipped(tmp_path, monkeypatch):
    limit = files.MAX_ARTICLE_BYTES
    _good(tmp_path)
    bomb = gzip.compress(b"x" * (limit + 4096), compresslevel=9)
    assert len(bomb) < limit // 100  # a small file on disk
    (tmp_path / "bomb.txt.gz").write_bytes(bomb)
    line_bomb = gzip.compress(
        json.dumps({"text": BODY_A}).encode() + b"\n" + b'{"text": "' + b"y" * (limit + 10) + b'"}\n'
        + json.dumps({"text": BODY_B}).encode() + b"\n"
    )  # fmt: skip
    (tmp_path / "feed.jsonl.gz").write_bytes(line_bomb)
    articles, skipped = load_articles(tmp_path)
    assert sorted(a.article_id for a in articles) == ["feed.jsonl.gz:1", "feed.jsonl.gz:3", "good.txt"]
    reasons = {s.path: s.reason for s in skipped}
    assert "article size limit" in reasons["bomb.txt.gz"]
    assert "article size limit" in reasons["feed.jsonl.gz:2"]
