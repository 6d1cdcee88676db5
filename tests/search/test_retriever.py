"""`qa.retrieve` on a real index of the sample corpus: right articles, full passages, clear errors."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner

from qa import Passage, retrieve
from qa.cli import main
from qa.index.store import MANIFEST, IndexMismatchError, IndexNotFoundError, load_index, resolve_version
from tests.helpers import QUESTIONS  # (question, article that answers it, words of the answer)


@pytest.mark.parametrize(("question", "article_id", "answer"), QUESTIONS)
def test_the_right_article_comes_first(sample_index, question, article_id, answer):
    passages = retrieve(question, k=5, index_dir=sample_index)
    assert passages[0].article_id == article_id
    assert answer in passages[0].highlight
    assert passages[0].highlight in passages[0].text


def test_passages_carry_their_sources(sample_index):
    passages = retrieve(QUESTIONS[0][0], k=5, index_dir=sample_index)
    assert 1 <= len(passages) <= 5
    assert all(isinstance(p, Passage) for p in passages)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    top = passages[0]
    assert top.title == "Russian firepower backs Assad attack"
    assert top.path == "001_777249522e6c8631.txt"
    assert top.text[top.highlight_start : top.highlight_end] == top.highlight
    assert len({p.chunk_id for p in passages}) == len(passages)
    sky = retrieve("Lavrov S-300 moral obligations", k=1, index_dir=sample_index)[0]
    assert (sky.source, sky.published) == ("SkyNews", "Thursday, October 31")


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "?!"])
def test_empty_questions_raise_a_readable_value_error(sample_index, question):
    with pytest.raises(ValueError, match="question"):
        retrieve(question, index_dir=sample_index)


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexNotFoundError, match="qa build"):
        retrieve("anything", index_dir=tmp_path / "none")


def test_concurrent_calls_from_many_threads_agree(sample_index):
    questions = [q for q, _, _ in QUESTIONS] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda q: retrieve(q, k=3, index_dir=sample_index)[0].article_id, questions))
    assert results == [a for _, a, _ in QUESTIONS] * 4


def test_manifest_of_another_format_or_model_is_refused(sample_index, tmp_path, monkeypatch):
    copy = tmp_path / "index"
    shutil.copytree(resolve_version(sample_index), copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    monkeypatch.setenv("QA_MODEL", "some-other-model")
    with pytest.raises(IndexMismatchError, match="all-MiniLM-L6-v2"):
        retrieve("missiles", index_dir=copy)
    monkeypatch.delenv("QA_MODEL")
    (copy / MANIFEST).write_text(json.dumps({**manifest, "format_version": 999}))
    with pytest.raises(IndexMismatchError, match="qa build --full"):
        load_index(copy)


def test_cli_ask_json_prints_every_field(sample_index):
    result = CliRunner().invoke(main, ["ask", QUESTIONS[0][0], "-k", "2", "--json", "--index", str(sample_index)])
    assert result.exit_code == 0, result.output
    passages = json.loads(result.output)
    assert len(passages) == 2
    assert set(Passage.__dataclass_fields__) <= set(passages[0])
    assert "26 cruise missiles" in passages[0]["highlight"]


def test_cli_ask_human_output_shows_source_and_answer(sample_index):
    result = CliRunner().invoke(main, ["ask", QUESTIONS[0][0], "-k", "1", "--index", str(sample_index)])
    assert result.exit_code == 0, result.output
    assert "Russian firepower backs Assad attack" in result.output
    assert "Answer: Four Russian warships" in result.output


def test_cli_errors_are_messages_not_tracebacks(sample_index, tmp_path):
    empty = CliRunner().invoke(main, ["ask", "  ", "--index", str(sample_index)])
    assert empty.exit_code != 0 and "question is empty" in empty.output
    missing = CliRunner().invoke(main, ["build", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i")])
    assert missing.exit_code != 0 and "corpus folder not found" in missing.output
    assert "Traceback" not in empty.output + missing.output


def test_a_new_version_that_does_not_load_leaves_the_last_good_index_serving(sample_index, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(sample_index, index_dir, symlinks=True)
    question, article_id, _ = QUESTIONS[0]
    assert retrieve(question, index_dir=index_dir)[0].article_id == article_id
    # publish a damaged version by hand: a manifest and nothing else
    broken = index_dir / "versions" / "broken"
    broken.mkdir()
    shutil.copy(resolve_version(index_dir) / MANIFEST, broken / MANIFEST)
    (index_dir / "current").unlink()
    (index_dir / "current").symlink_to("versions/broken")
    assert retrieve(question, index_dir=index_dir)[0].article_id == article_id
