"""Bad corpus input: every bad file is skipped with a clear reason naming it, the good files still get indexed.

The "zoo" corpus holds one good article and one of each kind of bad input. Ingestion runs in a child
process; when the tests run as root (where chmod 000 does not stop reads) the child drops the
capabilities that let root ignore file permissions, so the unreadable file really is unreadable.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import main as qa_cli
from qa.index.build import build_index
from qa.index.pipeline import EmptyCorpusError
from qa.ingest.files import MAX_ARTICLE_BYTES, load_articles
from tests.helpers import as_unprivileged, build_hash_index

GOOD = (
    "Harbour authority opens new ferry terminal\n\nMarch 3, 2021\n\n"
    "The harbour authority opened a new ferry terminal on Tuesday after three years of building work. "
    "Officials said the terminal would handle two million passengers a year and cut waiting times by half."
)
BIG = 50 * 1024 * 1024


def _story(place: str, thing: str, number: str) -> str:
    """A distinct small article (distinct, so near-duplicate folding keeps each one)."""
    return (
        f"{place} council approves {thing}\n\nMay 5, 2020\n\n"
        f"The council of {place} approved plans for {thing} at a late meeting on Thursday. "
        f"Councillors said the project would cost {number} and open within two years, despite objections."
    )


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _text(text: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    return lambda path: path.write_bytes(text.encode(encoding))


def _big_text(path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        line = "A perfectly ordinary sentence about the weather in the harbour town today.\n"
        fh.write(line * (BIG // len(line) + 1))


def _big_jsonl_record(path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"title": "Good JSONL record", "text": GOOD}) + "\n")
        fh.write(json.dumps({"text": "word " * (BIG // 5)}) + "\n")
        fh.write(json.dumps({"title": "Another good record", "text": GOOD.replace("ferry", "cargo")}) + "\n")


def _symlink(target: str) -> Callable[[Path], None]:
    return lambda path: path.symlink_to(target)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _unreadable(path: Path) -> None:
    path.write_text(GOOD, encoding="utf-8")
    path.chmod(0)


def _unreadable_folder(path: Path) -> None:
    path.mkdir()
    (path / "inside.txt").write_text(GOOD, encoding="utf-8")
    path.chmod(0)


def _folder_loop(path: Path) -> None:
    path.mkdir()
    (path / "up").symlink_to("..")


# name in the corpus, how to make it, words the skip reason must contain (None: it must be read fine)
ZOO: list[tuple[str, Callable[[Path], None], str | None]] = [
    ("empty.txt", _bytes(b""), "empty file"),
    ("blank.md", _bytes(b"  \n\n\t \n"), "empty file"),
    ("empty.jsonl", _bytes(b"\n\n"), "empty file"),
    ("binary-nul.txt", _bytes(bytes(range(256)) * 40), "binary"),
    ("binary-noise.txt", _bytes(bytes(b % 255 + 1 for b in range(0, 8000 * 7, 7))), "binary"),
    ("png-renamed.html", _bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(4000)), "binary"),
    ("latin1.txt", _text(_story("Besançon", "a café quarter", "nine million euros"), "latin-1"), None),
    ("utf16-bom.txt", _text(_story("Düsseldorf", "an Ünïcode museum", "four million euros"), "utf-16"), None),
    ("utf8-bom.txt", _text("\ufeff" + _story("Leeds", "a tram line", "two billion pounds")), None),
    ("huge-50mb.txt", _big_text, "over the 10 MB limit"),
    ("huge-record.jsonl", _big_jsonl_record, "over the 10 MB limit"),
    # huge single lines (a 2 MB line is chunked in test_properties; these stay small enough to embed quickly)
    ("one-long-line.txt", _text("Harbour news " + "ferry passengers wait " * 1_500), None),
    ("one-long-word.txt", _text("Harbour news " + "x" * 300_000), None),
    ("malformed.json", _text('{"title": "cut off", "text": "The ferry'), "invalid JSON"),
    ("nested-deep.json", _text("[" * 100_000 + "]" * 100_000), "invalid JSON"),
    ("not-an-object.json", _text("[1, 2, 3]"), "expected a JSON object"),
    ("no-text.jsonl", _text(json.dumps({"title": "only a title"}) + "\n"), "none of the text fields"),
    ("bad-line.jsonl", _text('{"text": "The ferry\n{broken\n'), "invalid JSON"),
    ("number-text.jsonl", _text(json.dumps({"text": 5}) + "\n"), "none of the text fields"),
    ("nobody.html", _text("<html><head><title>Only a title</title></head></html>"), "no article text"),
    ("only-clutter.txt", _text("Skip to main content\nAdvertisement\nPrint\nEmail\n"), "no article text"),
    ("loop.txt", _symlink("loop.txt"), "symlink loop"),
    ("dangling.txt", _symlink("no-such-file.txt"), "broken symlink"),
    ("outside.txt", _symlink("/etc/passwd"), "outside the corpus folder"),
    ("pipe.txt", _fifo, "not a regular file"),
    ("unreadable.txt", _unreadable, "cannot read it (Permission denied)"),
    ("locked", _unreadable_folder, "folder not readable"),
    ("loopdir", _folder_loop, "symlinked folder, not followed"),
]


def make_zoo(corpus: Path) -> Path:
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / "good.txt").write_text(GOOD, encoding="utf-8")
    for name, make, _reason in ZOO:
        make(corpus / name)
    return corpus


INGEST = """
import json, sys
from qa.ingest.files import load_articles
articles, skipped = load_articles(sys.argv[1])
result = {"articles": {a.article_id: a.text for a in articles}, "skipped": {s.path: s.reason for s in skipped}}
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def zoo(tmp_path_factory) -> tuple[Path, dict[str, str], dict[str, str]]:
    """(corpus, {article id: text}, {skipped path: reason}) of the zoo, ingested by an unprivileged child."""
    corpus = make_zoo(tmp_path_factory.mktemp("zoo") / "corpus")
    done = subprocess.run(
        as_unprivileged([sys.executable, "-c", INGEST, str(corpus)]), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    yield corpus, result["articles"], result["skipped"]
    for path in (corpus / "locked", corpus / "unreadable.txt"):
        path.chmod(0o755)  # let pytest clean up


@pytest.mark.parametrize(("name", "reason"), [(n, r) for n, _, r in ZOO if r], ids=[n for n, _, r in ZOO if r])
def test_each_bad_input_is_skipped_with_a_reason_naming_it(zoo, name, reason):
    _corpus, _articles, skipped = zoo
    matching = {path: why for path, why in skipped.items() if re.split(r"[:#/]", path)[0] == name}
    assert matching, f"{name} was not reported as skipped; skipped: {skipped}"
    assert any(reason in why for why in matching.values()), matching


@pytest.mark.parametrize("name", [n for n, _, r in ZOO if r is None])
def test_odd_but_valid_files_are_read(zoo, name):
    _corpus, articles, skipped = zoo
    assert name in articles, skipped.get(name)
    assert "harbour" in articles[name].lower() or "council" in articles[name]


def test_the_good_files_survive_every_bad_one(zoo):
    _corpus, articles, _skipped = zoo
    assert "good.txt" in articles
    assert {"huge-record.jsonl:1", "huge-record.jsonl:3"} <= set(articles)  # the lines around the big one
    assert "café" in articles["latin1.txt"] and "Ünïcode" in articles["utf16-bom.txt"]
    assert "Besançon" in articles["latin1.txt"] and "Düsseldorf" in articles["utf16-bom.txt"]
    assert not articles["utf8-bom.txt"].startswith("\ufeff")
    assert "root:" not in "".join(articles.values())  # nothing from /etc/passwd


def test_bad_jsonl_lines_are_skipped_one_by_one(tmp_path):
    lines = [json.dumps({"text": GOOD}), "{broken", "[1]", '"just a string"', json.dumps({"text": GOOD + " Again."})]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    articles, skipped = load_articles(tmp_path)
    assert [a.article_id for a in articles] == ["feed.jsonl:1", "feed.jsonl:5"]
    assert [s.path for s in skipped] == ["feed.jsonl:2", "feed.jsonl:3", "feed.jsonl:4"]


def test_article_limit_is_well_above_any_news_story():
    assert MAX_ARTICLE_BYTES >= 5 * 2**20  # a long feature is ~100 KB; only dumps and logs hit this


@pytest.mark.slow
def test_cli_build_reports_every_skipped_file_and_indexes_the_rest(tmp_path):
    """`qa build` over the zoo: exit 0, each bad file listed with its reason, the good articles answer."""
    corpus = make_zoo(tmp_path / "corpus" / "zoo").parent
    index = tmp_path / "index"
    command = [sys.executable, "-m", "qa.cli", "build", "--corpus", str(corpus), "--index", str(index)]
    try:
        done = subprocess.run(as_unprivileged(command), capture_output=True, text=True, timeout=600)
    finally:
        for path in (corpus / "zoo" / "locked", corpus / "zoo" / "unreadable.txt"):
            path.chmod(0o755)
    assert done.returncode == 0, done.stderr[-3000:]
    output = done.stdout + done.stderr
    assert f"skipped {len(_skipped_lines(output))}" in output
    for name in [n for n, _, r in ZOO if r]:
        assert f"zoo/{name}" in output, f"{name} missing from the build output"
    manifest = json.loads((index / "current" / "manifest.json").read_text())
    assert len(manifest["skipped"]) == len(_skipped_lines(output))
    folded = (manifest.get("dedup") or {}).get("copies", 0)  # syndicated copies are folded into one article
    assert manifest["n_articles"] + folded >= 3 + len([n for n, _, r in ZOO if r is None])
    question = ["ask", "How many passengers will the new ferry terminal handle?", "--index", str(index), "--json"]
    answer = CliRunner().invoke(qa_cli, question)
    assert answer.exit_code == 0, answer.output
    assert "two million passengers" in json.loads(answer.output)[0]["text"]


def _skipped_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip().startswith("skipped ")]


def test_build_report_lists_what_was_skipped(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(GOOD, encoding="utf-8")
    (corpus / "bad.json").write_text("{oops", encoding="utf-8")
    (corpus / "empty.txt").write_bytes(b"")
    report = build_hash_index(corpus, tmp_path / "index")
    assert report.n_articles == 1
    assert sorted(s.path for s in report.skipped) == ["bad.json", "empty.txt"]
    assert "skipped 2" in report.summary() and "bad.json" in report.summary()
    assert sorted(report.manifest.skipped) == [
        "bad.json: invalid JSON (Expecting property name enclosed in double quotes at line 1 column 2)",
        "empty.txt: empty file",
    ]


@pytest.mark.slow  # `qa build` loads the model before it finds the corpus empty
def test_empty_corpus_folder_is_a_clear_error(tmp_path):
    (tmp_path / "corpus").mkdir()
    with pytest.raises(EmptyCorpusError, match="no readable articles"):
        build_index(tmp_path / "corpus", tmp_path / "index")
    result = CliRunner().invoke(qa_cli, ["build", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "i")])
    assert result.exit_code == 1
    assert "no readable articles" in result.output and "Traceback" not in result.output


@pytest.mark.slow  # `qa build` loads the model before it finds the corpus empty
def test_corpus_of_only_bad_files_names_them(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "bad.json").write_text("{", encoding="utf-8")
    result = CliRunner().invoke(qa_cli, ["build", "--corpus", str(corpus), "--index", str(tmp_path / "index")])
    assert result.exit_code == 1
    assert "no readable articles" in result.output
    assert "empty.txt: empty file" in result.output and "bad.json: invalid JSON" in result.output


def test_missing_corpus_folder_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(qa_cli, ["build", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i")])
    assert result.exit_code != 0
    assert "not found" in result.output or "does not exist" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(FileNotFoundError, match="corpus folder not found"):
        build_index(tmp_path / "nope", tmp_path / "index")
