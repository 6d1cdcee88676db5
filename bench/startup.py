"""A fresh `qa ask` process against importing torch + sentence-transformers, and a build's peak memory.

Everything runs as subprocesses of the venv's interpreter, so the figures include interpreter start-up
and imports, exactly what a user waits for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .encoder import make_corpus

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "How many cruise missiles did the Russian warships fire?"
HEAVY = ("torch", "sentence_transformers", "transformers", "gradio", "ray")


def _env(model: str | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("QA_MODEL", None)
    if model:
        env["QA_MODEL"] = model
    return env


def _wall(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - started


def _peak_rss_mb(qa_args: list[str], env: dict[str, str]) -> float:
    """Peak resident memory (VmHWM) of a fresh process running `qa *qa_args`, in MB. Read by the process
    itself at exit: a parent's `ru_maxrss` would report the parent's own peak, which Linux carries over."""
    code = (
        "import atexit, sys\n"
        "def report():\n"
        "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "    print('VMHWM_KB', hwm, file=sys.stderr, flush=True)\n"
        "atexit.register(report)\n"
        f"from qa.cli import main\nmain({qa_args!r})\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=1800)
    line = next((x for x in result.stderr.splitlines() if x.startswith("VMHWM_KB")), None)
    if result.returncode or line is None:
        raise RuntimeError(f"qa {' '.join(qa_args)} failed ({result.returncode}): {result.stderr[-1000:]}")
    return int(line.split()[1]) / 1024


def imported_heavy_modules(index_dir: Path) -> list[str]:
    """Which of torch / sentence-transformers / transformers / gradio / ray a `qa ask` imports."""
    code = (
        "import sys; from qa.cli import main\n"
        f"try:\n    main(['ask', {QUESTION!r}, '--index', {str(index_dir)!r}])\n"
        "except SystemExit:\n    pass\n"
        f"print('HEAVY', ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=600)
    line = next((x for x in result.stdout.splitlines() if x.startswith("HEAVY")), "HEAVY ?")
    return [m for m in line.split(" ", 1)[1].split(",") if m]


def startup(models: list[str], runs: int, n_docs: int) -> dict[str, dict[str, float]]:
    """Per model: median wall seconds of `qa ask` as a fresh process on a sample-corpus index built with
    it, the heavy modules it imported, and the peak memory of `qa build` of `n_docs` SciFact abstracts;
    plus (key "imports") the median time of `python -c "import torch, sentence_transformers"`."""
    work = Path(tempfile.mkdtemp(prefix="qa-bench-startup-"))
    qa = str(Path(sys.executable).parent / "qa")
    try:
        corpus = make_corpus(work / "scifact", n_docs)
        out: dict[str, dict[str, float]] = {}
        asks = {m: [qa, "ask", QUESTION, "--index", str(work / f"index-{m}")] for m in models}
        for model in models:
            subprocess.run(
                [qa, "build", "--corpus", str(ROOT / "corpus"), "--index", str(work / f"index-{model}")],
                env=_env(model),
                check=True,
                capture_output=True,
                timeout=1800,
            )
            out[model] = {"heavy_imports": imported_heavy_modules(work / f"index-{model}")}  # type: ignore[dict-item]
            _wall(asks[model], _env())  # warm the page cache
        walls: dict[str, list[float]] = {m: [] for m in [*models, "imports"]}
        for _ in range(runs):  # interleaved, so each kind sees the same machine load
            for model in models:
                walls[model].append(_wall(asks[model], _env()))
            walls["imports"].append(_wall([sys.executable, "-c", "import torch, sentence_transformers"], _env()))
        for model in models:
            out[model]["ask_s"] = float(np.median(walls[model]))
            out[model]["ask_over_imports"] = float(np.median(np.array(walls[model]) / np.array(walls["imports"])))
        out["imports"] = {"torch_st_s": float(np.median(walls["imports"]))}
        for model in models:
            mem = ["build", "--full", "--corpus", str(corpus), "--index", str(work / f"mem-{model}")]
            out[model]["build_peak_mb"] = _peak_rss_mb(mem, _env(model))
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)
