"""The `qa` command in-process (click's runner): ask, build, errors as messages, settings from the environment.

`qa ask` runs on the hash-embedder index (the registered test embedder serves it); `qa build` of a real
corpus embeds with the real model, so those tests are slow."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qa import Passage, retrieve
from qa.cli import DEFAULT_CONCURRENCY, DEFAULT_MAX_QUEUE, auth_from_env, main, queue_settings
from tests.helpers import QUESTIONS, HashEmbedder, copy_index

CRUISE = QUESTIONS[0][0]


def _run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_ask_json_prints_every_field(hash_index):
    result = _run("ask", CRUISE, "-k", "2", "--json", "--index", hash_index)
    assert result.exit_code == 0, result.output
    passages = json.loads(result.output)
    assert len(passages) == 2
    assert set(Passage.__dataclass_fields__) <= set(passages[0])
    assert "26 cruise missiles" in passages[0]["highlight"]


def test_ask_human_output_shows_source_and_answer(hash_index):
    result = _run("ask", CRUISE, "-k", "1", "--index", hash_index)
    assert result.exit_code == 0, result.output
    assert "Russian firepower backs Assad attack" in result.output
    assert "Answer: Four Russian warships" in result.output


def test_ask_mode_and_per_article_reach_the_retriever(hash_index):
    result = _run(
        "ask",
        "Russia Syria missiles",
        "-k",
        "10",
        "--per-article",
        "--mode",
        "lexical",
        "--json",
        "--index",
        hash_index,
    )
    assert result.exit_code == 0, result.output
    passages = json.loads(result.output)
    assert len({p["article_id"] for p in passages}) == len(passages) == 5
    lexical = retrieve("Russia Syria missiles", k=10, index_dir=hash_index, mode="lexical", per_article=True)
    assert [(p["chunk_id"], p["score"]) for p in passages] == [(p.chunk_id, p.score) for p in lexical]


def test_ask_rejects_bad_arguments_before_searching(hash_index):
    too_many = _run("ask", CRUISE, "-k", "500", "--index", hash_index)
    assert too_many.exit_code == 2 and "500" in too_many.output
    bad_mode = _run("ask", CRUISE, "--mode", "psychic", "--index", hash_index)
    assert bad_mode.exit_code == 2 and "psychic" in bad_mode.output


def test_errors_are_messages_not_tracebacks(hash_index, tmp_path):
    empty = _run("ask", "  ", "--index", hash_index)
    assert empty.exit_code != 0 and "question is empty" in empty.output
    no_index = _run("ask", CRUISE, "--index", tmp_path / "none")
    assert no_index.exit_code == 1 and "qa build" in no_index.output
    missing = _run("build", "--corpus", tmp_path / "nope", "--index", tmp_path / "i")
    assert missing.exit_code != 0 and "corpus folder not found" in missing.output
    assert "Traceback" not in empty.output + no_index.output + missing.output


def test_build_if_stale_leaves_a_fresh_index_alone(hash_index, tmp_path, monkeypatch):
    from tests.helpers import SAMPLE_CORPUS

    index_dir = copy_index(hash_index, tmp_path / "index")
    monkeypatch.setenv("QA_MODEL", HashEmbedder.model_name)  # the settings the index was built with
    before = (index_dir / "current").readlink()
    result = _run("build", "--if-stale", "--corpus", SAMPLE_CORPUS, "--index", index_dir)
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    assert (index_dir / "current").readlink() == before


def test_build_reports_what_it_indexed(tmp_path, embedder):  # the real model embeds: slow
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ferry.txt").write_text(
        "Ferry terminal opens\n\nMarch 3, 2021\n\nThe harbour authority opened a new ferry terminal on Tuesday "
        "after three years of building work, officials said at the opening ceremony.",
        encoding="utf-8",
    )
    (corpus / "bad.json").write_text("{oops", encoding="utf-8")
    result = _run("build", "--corpus", corpus, "--index", tmp_path / "index")
    assert result.exit_code == 0, result.output
    assert "Indexed 1 articles" in result.output and "skipped 1" in result.output
    assert "bad.json" in result.output


def test_auth_from_env():
    assert auth_from_env("") is None
    assert auth_from_env("reader:pass:word") == ("reader", "pass:word")
    with pytest.raises(ValueError):
        auth_from_env("no-password")


def test_auth_and_queue_settings_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("QA_CONCURRENCY", raising=False)
    monkeypatch.delenv("QA_MAX_QUEUE", raising=False)
    assert queue_settings() == (DEFAULT_CONCURRENCY, DEFAULT_MAX_QUEUE)
    monkeypatch.setenv("QA_CONCURRENCY", "2")
    monkeypatch.setenv("QA_MAX_QUEUE", "9")
    assert queue_settings() == (2, 9)
    monkeypatch.setenv("QA_AUTH", " reader :secret")
    assert auth_from_env() == ("reader", "secret")
    monkeypatch.setenv("QA_AUTH", "")
    assert auth_from_env() is None


def test_serve_refuses_a_malformed_auth_setting_before_building_an_index(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_AUTH", "no-password")
    result = _run("serve", "--corpus", tmp_path / "corpus", "--index", tmp_path / "index")
    assert result.exit_code == 1 and "QA_AUTH" in result.output
    assert not (tmp_path / "index").exists()
