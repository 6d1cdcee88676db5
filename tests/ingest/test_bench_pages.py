"""`python -m bench.pages` scores cleaned pages with the data set's own scorer (smoke run on a few pages)."""

from __future__ import annotations

import pytest

from tests.helpers import ROOT

DATA = ROOT.parent / "shared" / "eval" / "boilerplate"


@pytest.mark.skipif(not (DATA / "truth.jsonl").exists(), reason="the shared development pages are not here")
def test_bench_pages_prints_the_table_next_to_the_raw_baseline(capsys, tmp_path):
    from bench.pages import main

    assert main(["--data", str(DATA), "--limit", "4", "--no-html", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| token F1, mean" in out and "raw txt" in out and "product txt" in out
    assert "pages/s of CPU time" in out
    assert len(list((tmp_path / "txt").glob("*.json"))) == 8
