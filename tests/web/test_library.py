"""The library's plain logic: rows from a real index, search, months, skipped files, and removal by moving."""

from __future__ import annotations

import os

import pytest

from qa.web.library import (
    LibraryEntry,
    RemoveError,
    library_entries,
    library_table,
    per_month,
    remove_file,
    removed_dir,
    skipped_files,
)


def entry(title: str, published: str, path: str = "a.txt") -> LibraryEntry:
    return LibraryEntry(path, title, "Pub", published, path, path, 1, 0)


def test_entries_of_a_real_index_count_passages(sample_retriever):
    index = sample_retriever.index
    entries = library_entries(index)
    assert len(entries) == len(index.articles)
    assert sum(e.passages for e in entries) == index.n_chunks
    assert all(e.passages >= 1 for e in entries)
    assert {e.path for e in entries} == {a["path"] for a in index.articles}


def test_table_is_newest_first_and_searchable():
    entries = [entry("Old story", "2016-05-01"), entry("New story", "2019-03-02"), entry("Undated story", "")]
    assert [row[0] for row in library_table(entries)] == ["New story", "Old story", "Undated story"]
    assert [row[0] for row in library_table(entries, "new STORY")] == ["New story"]
    assert [row[0] for row in library_table(entries, "2016")] == ["Old story"]
    assert library_table(entries, "nothing like it") == []


def test_per_month_counts_every_month_between_first_and_last():
    entries = [entry("a", "2018-11-03"), entry("b", "2019-01-20"), entry("c", "2019-01-02"), entry("d", "")]
    assert per_month(entries) == [("2018-11", 1), ("2018-12", 0), ("2019-01", 2)]
    assert per_month([entry("x", "")]) == []


def test_skipped_files_split_path_and_reason(sample_retriever):
    manifest = sample_retriever.index.manifest
    manifest_like = type("M", (), {"skipped": ["bad.json: invalid JSON (x at line 1 column 2)", "odd"]})()
    assert skipped_files(manifest_like) == [("bad.json", "invalid JSON (x at line 1 column 2)"), ("odd", "")]
    assert skipped_files(None) == []
    assert isinstance(skipped_files(manifest), list)


def test_remove_moves_the_file_beside_the_corpus_never_deletes(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "uploads").mkdir(parents=True)
    (corpus / "uploads" / "story.txt").write_text("one")
    target = remove_file(corpus, "uploads/story.txt")
    assert (
        target
        == removed_dir(corpus) / "uploads" / "story.txt"
        == tmp_path / "removed" / "corpus" / "uploads" / "story.txt"
    )
    assert target.read_text() == "one" and not (corpus / "uploads" / "story.txt").exists()
    (corpus / "uploads" / "story.txt").write_text("two")  # the same name again: the first removal is kept
    second = remove_file(corpus, "uploads/story.txt")
    assert second != target and second.read_text() == "two" and target.read_text() == "one"


@pytest.mark.parametrize("rel", ["../outside.txt", "missing.txt", "https://example.com/a", "", "link.txt", "sub"])
def test_remove_refuses_anything_but_a_file_inside_the_corpus(tmp_path, rel):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (tmp_path / "outside.txt").write_text("keep me")
    os.symlink(tmp_path / "outside.txt", corpus / "link.txt")
    with pytest.raises(RemoveError):
        remove_file(corpus, rel)
    assert (tmp_path / "outside.txt").read_text() == "keep me"
    assert not (tmp_path / "removed").exists()
