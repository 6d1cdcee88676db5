"""The benchmark runs end to end at a tiny size and writes its table (figures only: nothing is timed here)."""

from __future__ import annotations

import pytest

from bench.__main__ import main


@pytest.mark.slow
def test_bench_quick_run_writes_the_table(tmp_path, capsys):
    out = tmp_path / "results.md"
    assert (
        main(
            [
                "--quick",
                "--sizes",
                "2k",
                "--docs",
                "2",
                "--queries",
                "5",
                "--cache",
                str(tmp_path / "cache"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    table = out.read_text(encoding="utf-8")
    measures = (
        "pipeline / raw encoder",
        "raw / float32 raw",
        "`qa build` / float32 raw",
        "query encoding p50",
        "`qa ask` fresh process",
        "`qa ask` / the torch imports",
        "`retrieve` hybrid",
        "resident MB",
        "synthetic",
        "CPU: ",
        "reader read, 128 tokens",
    )
    for measure in measures:
        assert measure in table
    assert "| 2k |" in table
    assert "wrote" in capsys.readouterr().out
