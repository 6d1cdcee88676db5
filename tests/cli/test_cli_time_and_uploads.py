"""CLI flags of issue 13: `qa ask --prefer-recent [--half-life DAYS]` and `qa serve --allow-uploads`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from qa.cli import main, serve

QUESTION = "Which Russian senator said Russia will not intercept US missiles?"


def test_ask_prefer_recent_reorders_by_date(hash_index, monkeypatch):
    # the decay of fused scores (the reader, which may keep an old article that answers first, is off)
    monkeypatch.setenv("QA_READER", "off")
    runner = CliRunner()
    plain = json.loads(runner.invoke(main, ["ask", QUESTION, "--json", "--index", str(hash_index)]).output)
    result = runner.invoke(
        main, ["ask", QUESTION, "--json", "--prefer-recent", "--half-life", "1", "--index", str(hash_index)]
    )
    assert result.exit_code == 0, result.output
    recent = json.loads(result.output)
    assert plain[0]["published"] == "2017-04-10" and recent[0]["published"] > plain[0]["published"]
    bad = runner.invoke(main, ["ask", QUESTION, "--prefer-recent", "--half-life", "0", "--index", str(hash_index)])
    assert bad.exit_code != 0


def test_serve_has_an_allow_uploads_flag_off_by_default():
    option = next(p for p in serve.params if p.name == "allow_uploads")
    assert option.is_flag and not option.default
