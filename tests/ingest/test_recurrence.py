"""A site's furniture from line recurrence across its files, and the same cleaning in incremental and full builds."""

from __future__ import annotations

from qa.index.store import load_index
from qa.ingest.files import load_articles
from qa.ingest.recurrence import SiteLines
from tests.helpers import build_hash_index

MENU = "Home\n\nWorld\n\nPolitics\n\nSport\n\nSubscribe to the Harbour Gazette\n\n"
FOOTER = (
    "\n\nWe use cookies to give you the best experience on our website and to show you relevant adverts.\n\n"
    "Sign up for our morning briefing and get the day's top stories from the harbour in your inbox.\n\n"
    "© 2021 Harbour Gazette. All rights reserved.\n"
)
STORIES = {
    "bridge": (
        "Harbour bridge to close to cars",
        "The city council voted on Tuesday to close the old harbour bridge to cars from next spring.\n\n"
        "Engineers found that two of its steel supports had rusted through and could not be repaired.",
    ),
    "match": (
        "Northport beat the league leaders",
        "A late goal from the visiting captain gave Northport a two-one win over the league leaders.\n\n"
        "The defeat ends a run of eleven matches without a loss for the home side this season.",
    ),
    "ferry": (
        "Ferry fares to rise in April",
        "Ferry fares across the estuary will rise by a tenth in April, the operator said on Monday.\n\n"
        "The company blamed the price of fuel and said season tickets would not change this year.",
    ),
}


def _page(name: str) -> str:
    title, body = STORIES[name]
    return f"{MENU}{title}\n\n{body}{FOOTER}"


def test_lines_in_half_of_a_folders_files_are_its_furniture(tmp_path):
    stats = SiteLines()
    for i in range(4):
        stats.add(f"gazette/{i}.txt", ["Home", "Sign up for our briefing", f"Story line {i}"])
    stats.add("other/0.txt", ["Home", "Another site's story"])
    furniture = stats.furniture("gazette/0.txt")
    assert furniture("home") and furniture("Sign up  for our briefing")
    assert not furniture("Story line 0")
    assert stats.furniture("other/0.txt") is None  # one file: nothing recurs


def test_two_copies_of_one_story_are_not_emptied(tmp_path):
    site = tmp_path / "gazette"
    site.mkdir()
    for name in ("a.txt", "b.txt"):
        (site / name).write_text(_page("bridge"), encoding="utf-8")  # every line recurs: a wire story twice
    articles, skipped = load_articles(tmp_path)
    assert skipped == [] and len(articles) == 2
    assert all("rusted through" in a.text for a in articles)


def texts(path):
    index = load_index(path)
    return {m["article_id"]: index.article_text(i) for i, m in enumerate(index.articles)}


def test_incremental_build_cleans_like_a_full_build_when_site_statistics_change(tmp_path):
    corpus = tmp_path / "corpus"
    site = corpus / "gazette"
    site.mkdir(parents=True)
    (site / "bridge.txt").write_text(_page("bridge"), encoding="utf-8")
    index_dir = tmp_path / "index"
    build_hash_index(corpus, index_dir)
    assert "cookies" in texts(index_dir)["gazette/bridge.txt"]  # one page: its footer does not recur yet
    # more pages of the same site: the footer lines now recur, so they are furniture of bridge.txt too
    (site / "match.txt").write_text(_page("match"), encoding="utf-8")
    (site / "ferry.txt").write_text(_page("ferry"), encoding="utf-8")
    incremental = build_hash_index(corpus, index_dir)
    assert incremental.manifest.update["mode"] == "incremental"
    full = build_hash_index(corpus, tmp_path / "full", full=True)
    got, want = texts(index_dir), texts(tmp_path / "full")
    assert got == want
    assert "rusted through" in got["gazette/bridge.txt"]
    assert "cookies" not in got["gazette/bridge.txt"]
    assert full.n_chunks == incremental.n_chunks
