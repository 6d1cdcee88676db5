"""`python -m bench [--sizes 10k,100k,1m] [--quick]`: print the scale figures and write bench/results.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from qa.index.embed import FAST_MODEL, FLOAT_MODEL, Embedder

from .cpu import cpu_info
from .encoder import query_encoding, scifact_ndcg, throughput
from .incremental import update_cost
from .latency import query_latency, recall_at_10, resident_memory
from .startup import startup
from .synthetic import build_synthetic

# The torch float32 encoder is the reference column: every ratio is to it, measured in the same run.
FLOAT32, INT8, FAST = FLOAT_MODEL, "all-MiniLM-L6-v2-int8", FAST_MODEL
# p50 at 100k: 20 ms (issue 5), 25 ms since issue 11 (the reader reads the top passage, ~8 ms)
GOALS = {"p50": {100_000: 25.0, 1_000_000: 30.0}, "p95": {100_000: 40.0}}


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
    parser.add_argument(
        "--skip", default="", help="comma list of parts to skip: throughput,query,startup,latency,memory,recall"
    )
    parser.add_argument("--incremental", type=int, default=0, help="articles of the one-changed-article update [skip]")
    parser.add_argument("--model", default=FAST, help=f"encoder of the latency and memory runs [{FAST}]")
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

    encoders = [FLOAT32, INT8, FAST]
    if "throughput" not in skip:
        result = throughput(encoders, n_docs, runs)
        for model, r in result.items():
            size = f"{r['n_chunks']:,}"
            row(f"indexing: `qa build` pipeline, {model} (chunks/s)", size, f"{r['pipeline_chunks_s']:.1f}")
            row(f"indexing: raw `Embedder.encode`, {model} (chunks/s)", size, f"{r['raw_chunks_s']:.1f}")
            ratio = r["pipeline_over_raw"]
            met = verdict(ratio, 0.9, True)
            row(f"indexing: pipeline / raw encoder, {model}", size, f"{ratio:.2f}x", ">= 0.9x", met)
            gops = r["raw_chunks_s"] * r["gops_per_chunk"]
            peak = cpu_info().peak_gops
            peaks = ", ".join(f"{gops / peak[p]:.0%} of the {p} peak {peak[p]:.0f}" for p in peak)
            row(f"  raw encoder GOP/s, {model} ({r['gops_per_chunk']:.2f} GOP a chunk)", size, f"{gops:.0f}", peaks)
        for model in encoders[1:]:
            raw, pipe = result[model]["raw_over_reference_raw"], result[model]["pipeline_over_reference_raw"]
            row(f"encoder: {model} raw / float32 raw", "", f"{raw:.2f}x")
            goal = 2.5 if model == FAST else None
            met = verdict(pipe, goal, True)
            row(f"indexing: {model} `qa build` / float32 raw", "", f"{pipe:.2f}x", ">= 2.5x" if goal else "", met)
    if "query" not in skip:
        for model, q in query_encoding(encoders, n_queries, runs).items():
            goal = 4.0 if model == FAST else None
            met = verdict(q["p50"], goal)
            row(f"query encoding p50 (ms), {model}", "", f"{q['p50']:.2f}", "<= 4" if goal else "", met)
            row(f"query encoding p95 (ms), {model}", "", f"{q['p95']:.2f}")
    if "startup" not in skip:
        start = startup([FLOAT32, FAST], runs, n_docs)
        imports = start.pop("imports")["torch_st_s"]
        row("`python -c 'import torch, sentence_transformers'` (s)", "", f"{imports:.2f}")
        for model, r in start.items():
            goal = model == FAST
            row(
                f"`qa ask` fresh process, {model} index (s)",
                "sample",
                f"{r['ask_s']:.2f}",
                "<= 1.5" if goal else "",
                verdict(r["ask_s"], 1.5 if goal else None),
            )
            row(
                f"`qa ask` / the torch imports, {model}",
                "sample",
                f"{r['ask_over_imports']:.2f}x",
                "<= 0.35x" if goal else "",
                verdict(r["ask_over_imports"], 0.35 if goal else None),
            )
            row(f"  heavy modules `qa ask` imports, {model}", "", ",".join(r["heavy_imports"]) or "none")
            row(f"`qa build` peak resident MB (whole process), {model}", f"{n_docs} docs", f"{r['build_peak_mb']:.0f}")
    if args.incremental:
        inc = update_cost(args.incremental, args.model)
        size = f"{args.incremental:,} articles"
        row(f"incremental: full build, {inc['n_chunks']:,} chunks, HNSW (s)", size, f"{inc['full_s']:.0f}")
        row(
            f"  of which embedding at {inc['encoder_chunks_s']:.0f} chunks/s (s)",
            size,
            f"{inc['full_s'] - inc['pipeline_s']:.0f}",
        )
        row(
            f"incremental: one article changed ({inc['embedded_chunks']} chunks embedded) (s)",
            size,
            f"{inc['update_s']:.1f}",
        )
        row("  of which CPU seconds (all threads)", size, f"{inc['update_cpu_s']:.1f}")
        besides = inc["update_s"] - inc["embed_changed_s"]
        row("  besides embedding the changed article (s)", size, f"{besides:.1f}", "<= 5", verdict(besides, 5.0))
        met = verdict(inc["update_over_full"], 0.05)
        row("incremental: update / full build", size, f"{inc['update_over_full']:.1%}", "<= 5%", met)
    if args.scifact:
        scores = {m: scifact_ndcg(m) for m in (FLOAT32, FAST)}
        for model, by_mode in scores.items():
            for mode, score in by_mode.items():
                row(f"SciFact test nDCG@10, {mode}, {model}", "5,183 docs", f"{score:.4f}")
        for mode in scores[FLOAT32]:
            gap = scores[FAST][mode] - scores[FLOAT32][mode]
            row(f"SciFact nDCG@10 {mode}: {FAST} - float32", "", f"{gap:+.4f}", ">= -0.005", verdict(-gap, 0.005))

    embedder = Embedder(args.model)
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
            memory = resident_memory(index_dir, args.model, n_queries=min(n_queries, 50))
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
        f"CPU: {cpu_info().describe()}. Times compare only between runs on the same kind of CPU (bench/cpu.py).",
        "",
        "Latency, memory and recall use **synthetic** indexes (made-up Zipf-distributed text and low-rank "
        "Gaussian-mixture vectors, written in the real index format, see bench/synthetic.py); questions are "
        "six words of a random indexed chunk and are encoded by the real model (`--model`). Indexing throughput "
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
