"""Crash safety: `qa build` killed with SIGKILL at random moments always leaves a loadable, correct index;
a second build while one runs is refused by the lock instead of corrupting anything."""

from __future__ import annotations

import fcntl
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.api import retrieve
from qa.cli import main as qa_cli
from qa.index.build import build_index
from qa.index.store import BuildLockedError, load_index
from tests.helpers import GLACIER_ARTICLE as NEW_ARTICLE
from tests.helpers import GLACIER_QUESTION as NEW_QUESTION
from tests.helpers import ROOT, copy_index

TRIALS = 10
OLD_QUESTION = ("How many cruise missiles did the Russian warships fire?", "cruise missiles")


def _build_command(corpus: Path, index: Path) -> list[str]:
    return [sys.executable, "-m", "qa.cli", "build", "--corpus", str(corpus), "--index", str(index), "--full"]


def _check_served(index: Path) -> str:
    """The served index loads and answers the old question; returns its version name."""
    data = load_index(index)
    question, expected = OLD_QUESTION
    assert expected in retrieve(question, k=3, index_dir=index)[0].text
    if data.manifest.n_articles == 6:  # the new build got published: it answers the new question too
        question, expected = NEW_QUESTION
        assert expected in retrieve(question, k=3, index_dir=index)[0].text
    return data.path.name


@pytest.mark.slow
def test_sigkill_at_random_points_never_breaks_the_served_index(tmp_path, corpus_copy, sample_index):
    index = copy_index(sample_index, tmp_path / "index")
    (corpus_copy / "glacier-museum.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    rng = random.Random(int(os.environ.get("CRASH_SEED", "6")))
    # Time one complete build, so that kills land anywhere in it (start-up, reading, embedding, publishing).
    started = time.monotonic()
    subprocess.run(_build_command(corpus_copy, index), cwd=ROOT, check=True, capture_output=True, timeout=600)
    full = time.monotonic() - started
    versions = {_check_served(index)}
    outcomes = []
    for _ in range(TRIALS):
        delay = rng.uniform(0.2, full * 1.1)
        build = subprocess.Popen(
            _build_command(corpus_copy, index), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        build.send_signal(signal.SIGKILL)
        code = build.wait()
        versions.add(_check_served(index))
        outcomes.append(f"{delay:.1f}s:{'killed' if code == -signal.SIGKILL else 'finished'}")
    print(f"build takes {full:.1f} s; trials: {', '.join(outcomes)}; versions served: {len(versions)}")
    # A later build cleans up what the killed ones left and publishes normally.
    subprocess.run(_build_command(corpus_copy, index), cwd=ROOT, check=True, capture_output=True, timeout=600)
    _check_served(index)
    leftovers = [p.name for p in (index / "versions").iterdir() if p.name.startswith(".tmp-")]
    assert not leftovers, leftovers
    assert sum("killed" in o for o in outcomes) >= TRIALS // 2


def _lock_is_held(index: Path) -> bool:
    with open(index / ".lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


@pytest.mark.slow
def test_a_second_build_is_refused_while_one_runs(tmp_path, corpus_copy, sample_index, embedder):
    index = copy_index(sample_index, tmp_path / "index")
    (corpus_copy / "glacier-museum.txt").write_text(NEW_ARTICLE * 3, encoding="utf-8")
    before = os.readlink(index / "current")
    first = subprocess.Popen(
        _build_command(corpus_copy, index), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 300
        while not _lock_is_held(index):
            assert first.poll() is None, f"the first build ended before taking the lock: {first.stderr.read()}"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with pytest.raises(BuildLockedError, match="another build"):
            build_index(corpus_copy, index, embedder=embedder, full=True)
        result = CliRunner().invoke(qa_cli, ["build", "--corpus", str(corpus_copy), "--index", str(index)])
        assert result.exit_code == 1 and "another build" in result.output, result.output
        assert os.readlink(index / "current") == before or first.poll() is not None
    finally:
        first.wait(timeout=600)
    assert first.returncode == 0
    _check_served(index)
