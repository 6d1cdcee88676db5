"""`python -m bench [--sizes 10k,100k,1m] [--quick]`: print the scale figures and write bench/results.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from qa.index.embed import Embedder

from .encoder import scifact_dense_ndcg, throughput
from .latency import query_latency, recall_at_10, resident_memory
from .synthetic import build_synthetic

FLOAT32, INT8 = "all-MiniLM-L6-v2", "all-MiniLM-L6-v2-int8"
GOALS = {"p50": {100_000: 20.0, 1_000_000: 30.0}, "p95": {100_000: 40.0}}


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k" if n >= 1000 else str(n)


def synthetic_index(cache: Path, n: int) -> Path:
    """The synthetic index of `n` chunks under `cache`, built once and reused."""
    index_dir = cache / f"synthetic-{n}"
    if not (index_dir / "current").exists():
        print(f"building a synthetic index of {n:,} chunks in {index_dir} ...", flush=True)
        print(json.dumps(build_synthetic(index_dir, n).to_dict()), flush=True)
    return index_dir


def verdict(value: float, goal: float | None, higher_is_better: bool = False) -> str:
    if goal is None:
        return ""
    return "met" if (value >= goal if higher_is_better else value <= goal) else "**not met**"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", default="10k,100k,1m", help="synthetic index sizes in chunks")
    parser.add_argument("--quick", action="store_true", help="few docs, queries and runs, no rerank (a smoke run)")
    parser.add_argument("--runs", type=int, default=None, help="repetitions; figures are medians [3, quick 1]")
    parser.add_argument("--queries", type=int, default=None, help="questions per latency run [100, quick 10]")
    parser.add_argument("--docs", type=int, default=None, help="articles for the throughput run [300, quick 8]")
    parser.add_argument("--scifact", action="store_true", help="also SciFact dense nDCG@10 per encoder (slow)")
    parser.add_argument("--skip", default="", help="comma list of parts to skip: throughput,latency,memory,recall")
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("QA_BENCH_CACHE", "/tmp/qa-bench")))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results.md")
    args = parser.parse_args(argv)
    runs = args.runs or (1 if args.quick else 3)
    n_queries = args.queries or (10 if args.quick else 100)
    n_docs = args.docs or (8 if args.quick else 300)
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    rows: list[tuple[str, str, str, str, str]] = []  # measure, size, value, goal, verdict
    started, load_before = time.time(), os.getloadavg()[0]

    def row(measure: str, size: str, value: str, goal: str = "", met: str = "") -> None:
        rows.append((measure, size, value, goal, met))
        print(f"{measure:55s} {size:>6s}  {value:>22s}  {goal:>10s} {met}", flush=True)
        write_table(args, rows, runs, n_queries, load_before, time.time() - started)  # a partial run keeps its rows

    if "throughput" not in skip:
        result = throughput([FLOAT32, INT8], n_docs, runs)
        for model, r in result.items():
            size = f"{r['n_chunks']:,}"
            row(f"indexing: `qa build` pipeline, {model} (chunks/s)", size, f"{r['pipeline_chunks_s']:.1f}")
            row(f"indexing: raw `Embedder.encode`, {model} (chunks/s)", size, f"{r['raw_chunks_s']:.1f}")
            ratio = r["pipeline_over_raw"]
            met = verdict(ratio, 0.9, True)
            row(f"indexing: pipeline / raw encoder, {model}", size, f"{ratio:.2f}x", ">= 0.9x", met)
        speedup = result[INT8].get("raw_speedup")
        if speedup:
            row("encoder: int8 / float32 raw throughput", "", f"{speedup:.2f}x", ">= 2x", verdict(speedup, 2.0, True))
    if args.scifact:
        scores = {m: scifact_dense_ndcg(m) for m in (FLOAT32, INT8)}
        for model, score in scores.items():
            row(f"SciFact test nDCG@10, dense only, {model}", "5,183 docs", f"{score:.4f}")
        gap = abs(scores[INT8] - scores[FLOAT32])
        row("SciFact nDCG@10 |int8 - float32|", "", f"{gap:.4f}", "<= 0.005", verdict(gap, 0.005))

    embedder = Embedder(FLOAT32)
    for n in sizes:
        index_dir = synthetic_index(args.cache, n)
        size = label(n)
        if "latency" not in skip:
            latency = query_latency(index_dir, embedder, n_queries, runs, rerank=not args.quick)
            for name, value in latency.items():
                ps = ("p50", "p95") if name.startswith("hybrid") else ("p50",)
                for p in ps:
                    goal = GOALS[p].get(n) if name == "hybrid" else None
                    is_search = name.startswith("hybrid")
                    measure = f"latency {p} (ms): `retrieve` {name}" if is_search else f"  part {p}: {name}"
                    row(measure, size, f"{value[p]:.1f}", f"<= {goal:.0f}" if goal else "", verdict(value[p], goal))
        if "memory" not in skip:
            memory = resident_memory(index_dir, FLOAT32, n_queries=min(n_queries, 50))
            per_1000 = memory["rss_bytes_per_1000"] / 1e6
            met = verdict(per_1000, 4)
            row("memory: resident MB per 1,000 chunks (model excluded)", size, f"{per_1000:.2f}", "<= 4", met)
            row("  index on disk, MB per 1,000 chunks", size, f"{memory['disk_bytes_per_1000'] / 1e6:.2f}")
        if "recall" not in skip and n >= 100_000:
            recall = recall_at_10(index_dir)
            goal = 0.95 if n >= 1_000_000 else None
            row(
                "recall@10 of the approximate index vs exact",
                size,
                f"{recall:.3f}",
                ">= 0.95" if goal else "",
                verdict(recall, goal, True),
            )

    write_table(args, rows, runs, n_queries, load_before, time.time() - started)
    print(f"\nwrote {args.out}")
    return 0


def write_table(args, rows, runs: int, n_queries: int, load_before: float, seconds: float) -> None:
    command = "python -m bench " + " ".join(sys.argv[1:])
    lines = [
        "# Scale benchmark",
        "",
        f"`{command.strip()}` on {platform.node() or 'this machine'}: {os.cpu_count()} CPU cores, "
        f"{time.strftime('%Y-%m-%d %H:%M')}, {seconds / 60:.0f} min; load average {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end (the machine is shared: higher than the core count means the "
        "figures are inflated). Figures are medians of "
        f"{runs} run(s); latency over {n_queries} questions a run (rerank: a quarter of them).",
        "",
        "Latency, memory and recall use **synthetic** indexes (made-up Zipf-distributed text and low-rank "
        "Gaussian-mixture vectors, written in the real index format, see bench/synthetic.py); questions are "
        "six words of a random indexed chunk and are encoded by the real float32 model. Indexing throughput "
        "uses real text (SciFact abstracts) and the real encoders.",
        "",
        "| measure | size | value | goal | |",
        "|---|---|---|---|---|",
        *[f"| {' | '.join(r)} |" for r in rows],
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
