"""`qa build` lists the syndicated copies it folded, into which article and why."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qa.cli import main

STORY = (
    "The harbour authority opened a new ferry terminal on Tuesday after three years of building work. "
    "Officials said the terminal would handle two million passengers a year and cut queues at the port. "
    "The old terminal will be turned into a market hall, the city's planning office said on Monday."
)


@pytest.mark.slow
def test_qa_build_names_each_folded_copy_and_the_reason(tmp_path, embedder):  # the real model embeds: slow
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a-ferry.txt").write_text(f"Ferry terminal opens\n\nMarch 3, 2021\n\n{STORY}", encoding="utf-8")
    copy = {"title": "New ferry terminal", "text": STORY.replace("Tuesday", "Tuesday morning"), "source": "Wire"}
    (corpus / "b-wire.jsonl").write_text(json.dumps(copy) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--corpus", str(corpus), "--index", str(tmp_path / "index")])
    assert result.exit_code == 0, result.output
    assert "1 syndicated copies folded" in result.output
    assert "folded b-wire.jsonl:1 into a-ferry.txt (same story: " in result.output
