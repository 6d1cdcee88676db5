"""Syndicated copies: near-duplicate detection on realistic cases, and one indexed copy with "also published by"."""

from __future__ import annotations

import itertools
import json
import re

import pytest

from qa.index.dedup import DEFAULT_THRESHOLD, NearDuplicates, Signature
from qa.index.store import load_index
from qa.ingest.files import load_articles
from qa.search.retriever import Retriever
from tests.helpers import SAMPLE_CORPUS, build_hash_index, copy_index

WIRE = "002_b7d55dfd4cdbabc3.txt"  # "Russia Says It Will Not Attempt To Shoot Down Further US Missiles"
OTHER = "000_f62e0eef9fe49492.txt"  # Lavrov on "red lines"


def _paragraphs(name: str) -> list[str]:
    return [p for p in (SAMPLE_CORPUS / name).read_text(encoding="utf-8").split("\n\n") if p.strip()]


def with_boilerplate(text: str) -> str:
    """The same story inside another site's page furniture."""
    return (
        "Skip to main content\n\nHome | World | Politics | Business | Sport\n\nSubscribe to our newsletter\n\n"
        + text
        + "\n\nShare this article on Facebook Twitter WhatsApp\n\nRead more: Trump weighs new sanctions on Moscow"
        "\n\nCopyright 2017 Global Wire Network. All rights reserved. This material may not be published, "
        "broadcast, rewritten or redistributed.\n"
    )


def lightly_edited(paragraphs: list[str]) -> str:
    """A wire copy as another desk runs it: new headline, a few phrases changed, the last paragraph cut."""
    text = "\n\n".join(["Moscow won't shoot down US missiles, senator says", *paragraphs[1:-1]])
    for old, new in [
        ("Washington orders", "the US launches"),
        ("Interfax", "the Interfax news agency"),
        ("On Monday", "Speaking on Monday"),
        ("terrorism", "terrorists"),
        ("said", "stated"),
    ]:
        text = text.replace(old, new, 1)
    return text


def rewritten(paragraphs: list[str]) -> str:
    """The same facts retold: a function word changed in nearly every phrase (not a copy)."""
    swap = {"the": "this", "a": "one", "of": "from", "that": "which", "was": "is", "had": "has", "in": "at"}
    body = [re.sub(r"\b(the|a|of|that|was|had|in)\b", lambda m: swap[m.group(1)], p) for p in paragraphs[1:]]
    return "\n\n".join(["Lavrov: Russia told Washington of red lines before strikes", *body])


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, str]:
    """Clean text (after ingestion, as the build sees it) of the sample articles and of each case."""
    corpus = tmp_path_factory.mktemp("dedup-cases")
    wire = (SAMPLE_CORPUS / WIRE).read_text(encoding="utf-8")
    files = {
        "exact.txt": wire,
        "boilerplate.txt": with_boilerplate(wire),
        "edited.txt": lightly_edited(_paragraphs(WIRE)),
        "rewritten.txt": rewritten(_paragraphs(OTHER)),
    }
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    for path in SAMPLE_CORPUS.iterdir():
        (corpus / path.name).write_bytes(path.read_bytes())
    articles, skipped = load_articles(corpus)
    assert not skipped
    return {a.article_id: a.text for a in articles}


@pytest.mark.parametrize(("case", "low", "high"), [("exact.txt", 1.0, 1.0), ("boilerplate.txt", 0.8, 1.0)])
def test_copies_of_a_wire_story_are_near_duplicates(cases, case, low, high):
    assert low <= Signature.of(cases[case]).jaccard(Signature.of(cases[WIRE])) <= high


def test_a_lightly_edited_copy_is_above_the_threshold_and_a_rewrite_below():
    edited = Signature.of(lightly_edited(_paragraphs(WIRE))).jaccard(Signature.of("\n\n".join(_paragraphs(WIRE))))
    assert edited >= DEFAULT_THRESHOLD + 0.05
    retold = Signature.of(rewritten(_paragraphs(OTHER))).jaccard(Signature.of("\n\n".join(_paragraphs(OTHER))))
    assert retold <= DEFAULT_THRESHOLD - 0.1


def test_different_stories_on_the_same_topic_are_not_duplicates(cases):
    sample = [name for name in cases if name[:3].isdigit()]
    assert len(sample) == 5
    for a, b in itertools.combinations(sample, 2):
        assert Signature.of(cases[a]).jaccard(Signature.of(cases[b])) < 0.05, (a, b)


def test_near_duplicates_keep_the_first_copy(cases):
    finder = NearDuplicates()
    order = [WIRE, "exact.txt", "boilerplate.txt", "edited.txt", OTHER, "rewritten.txt"]
    found = [finder.match(i, cases[name])[0] for i, name in enumerate(order)]
    assert found == [None, 0, 0, 0, None, None]
    assert NearDuplicates().match(0, "")[0] is None  # nothing to compare: never a duplicate
    signature = Signature.of(cases[WIRE])
    assert Signature.from_row(signature.to_row()).jaccard(signature) == 1.0
    assert finder.match(9, "unrelated text", signature=signature)[0] == 0  # a stored signature stands for the text


def test_build_indexes_one_copy_and_lists_the_others_as_also_published_by(
    hash_index, hash_embedder, corpus_copy, tmp_path
):
    wire = (SAMPLE_CORPUS / WIRE).read_text(encoding="utf-8")
    records = [
        {"title": "Russia will not shoot down US missiles", "text": with_boilerplate(wire), "source": "Daily Planet"},
        {"text": lightly_edited(_paragraphs(WIRE)), "source": "Gotham Gazette", "url": "https://gazette.example/a"},
    ]
    (corpus_copy / "syndicated.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    index_dir = copy_index(hash_index, tmp_path / "index")
    report = build_hash_index(corpus_copy, index_dir)
    assert report.n_articles == 5  # the five different sample stories all stay; the two copies are folded
    assert report.manifest.dedup["copies"] == 2
    # the build says what it folded, into what, and why
    assert [(f.article_id, f.into) for f in report.folded] == [
        ("syndicated.jsonl:1", WIRE),
        ("syndicated.jsonl:2", WIRE),
    ]
    assert all(DEFAULT_THRESHOLD <= f.similarity <= 1.0 for f in report.folded)
    assert str(report.folded[0]).startswith(f"syndicated.jsonl:1 into {WIRE} (same story: ")
    assert report.manifest.update["embedded_chunks"] == 0

    index = load_index(index_dir)
    wire_meta = next(a for a in index.articles if a["article_id"] == WIRE)
    assert wire_meta["also_in"] == ["Daily Planet", "Gotham Gazette"]
    assert [c["article_id"] for c in wire_meta["copies"]] == ["syndicated.jsonl:1", "syndicated.jsonl:2"]
    assert all(DEFAULT_THRESHOLD <= c["similarity"] <= 1.0 for c in wire_meta["copies"])
    assert all("also_in" not in a for a in index.articles if a["article_id"] != WIRE)

    passages = Retriever(index, hash_embedder).search(
        "Which Russian senator said Russia will not intercept US missiles?"
    )
    top = passages[0]
    assert top.article_id == WIRE and top.also_in == ["Daily Planet", "Gotham Gazette"]
    assert not [p for p in passages if p.article_id.startswith("syndicated")]
