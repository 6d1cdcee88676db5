"""Tune how the reader is used, on the SQuAD dev split (written by `python -m train.answers_data --write`).

    nice .venv/bin/python -m train.reader_tune [--dataset .qa-cache/squad/dev] [--limit 1200]

For each question (a seeded sample of `--limit`) the fused top `--depth` passages (the reader's reordering off)
are read in windows of 256, 128, 96 and 64 tokens (question included) around each passage's learned best
sentence. Printed, as top-1 passage accuracy / highlight holds an answer / span F1 of the reader's own span:
- the lexical highlight of the fused top passage, and the reader on it for each window (`reader.MAX_TOKENS`);
- the head reordered by fused + w * answer margin (`SearchOptions.read_depth`, `read_weight`), the top
  passage's margin from the answer window and the others' from each window (`answers.RANK_TOKENS`);
- the same with passages skipped that cannot win under a margin bound (`answers.MAX_MARGIN`), and reads a question;
- the `reader` reranker's min-max mix (half fused, half margin) for comparison;
the no-answer margin on right and wrong top passages, and what each floor would cost (for
`answers.NO_ANSWER_MARGIN`); and where the default's highlight goes wrong: a wrong passage on top, the right one
with the answer in the reader's window but another sentence chosen, the answer outside the window, or not in the
passage's text as written (SQuAD's gold is "Helmholtz" where the text says "Helmholtz's").
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.eval import load_dataset
from qa.search.answer_metrics import f1_score, holds_answer
from qa.search.answers import MAX_MARGIN, RANK_TOKENS, READER_ENV, sentence_around
from qa.search.options import SearchOptions
from qa.search.reader import MAX_TOKENS, get_reader
from qa.search.retriever import min_max
from qa.text import sentence_spans

from .eval_index import open_retriever

WINDOWS = (256, 128, 96, 64)
WEIGHTS = (0.01, 0.02, 0.03)
BOUNDS = (8.0, 12.0, 16.0)
NO_ANSWER_FLOORS = (-8.0, -6.0, -4.0, -2.0)


def collect(dataset_dir: Path, depth: int, limit: int) -> list[list[dict]]:
    """Per question, per head passage: fused score, right article, lexical highlight, and each window's reading."""
    dataset = load_dataset(dataset_dir, "test")
    retriever = open_retriever(dataset)
    reader = get_reader()
    options = replace(SearchOptions(), k=depth, read_depth=0)
    qids = [q for q in dataset.queries if dataset.answers.get(q)]
    rng = np.random.default_rng(0)
    qids = [qids[i] for i in sorted(rng.choice(len(qids), min(limit, len(qids)), replace=False))]
    out = []
    os.environ[READER_ENV] = "off"  # the lexical highlight, and the learned best sentence as each window's focus
    for qid in qids:
        golds, question = dataset.answers[qid], dataset.queries[qid]
        rows = []
        for p in retriever.search(question, options=options):
            row = {"fused": p.score, "right": dataset.qrels[qid].get(p.article_id, 0) > 0}
            row["lexical"] = holds_answer(p.highlight, golds)
            row["in_text"] = holds_answer(p.text, golds)
            for tokens in WINDOWS:
                scores = reader.scores(question, p.text, focus=p.highlight_start, max_tokens=tokens)
                r = scores.reading
                a, b = sentence_around(p.text, r.start, r.end)
                row[tokens] = (r.margin, holds_answer(p.text[a:b], golds), f1_score(p.text[r.start : r.end], golds))
                if tokens == MAX_TOKENS:  # is a sentence holding the answer (partly) inside the window read?
                    lo, hi = min(scores.starts), max(scores.ends)
                    row["in_window"] = any(
                        holds_answer(p.text[x:y], golds) for x, y in sentence_spans(p.text) if x < hi and y > lo
                    )
            rows.append(row)
        if rows:
            out.append(rows)
    os.environ.pop(READER_ENV)
    return out


def outcome(row: dict, tokens: int) -> np.ndarray:
    return np.array([row["right"], row[tokens][1], row[tokens][2]], dtype=float)


def reorder(rows: list[dict], depth: int, w: float, top: int, others: int, bound: float | None) -> tuple[int, int]:
    """(chosen place, passages read): fused + w * margin over the head, reading best first under the bound."""
    best, chosen, reads = -np.inf, 0, 0
    for place, row in enumerate(rows[:depth]):
        if bound is not None and row["fused"] + w * bound <= best:
            break
        reads += 1
        score = row["fused"] + w * row[top if place == 0 else others][0]
        if score > best:
            best, chosen = score, place
    return chosen, reads


def print_misses(data: list[list[dict]], answer: int) -> None:
    """Where the default's highlight goes wrong, as shares: the head ordered as `SearchOptions` orders it by
    default, the passages below the top one read in the second's window (`answers.RANK_TOKENS`)."""
    defaults = SearchOptions()
    counts = {"highlight holds an answer": 0, "wrong passage on top": 0, "answer in the window, other sentence": 0,
              "answer outside the window": 0, "answer not in the text as written": 0}  # fmt: skip
    for rows in data:
        row = rows[reorder(rows, defaults.read_depth, defaults.read_weight, answer, RANK_TOKENS[0], MAX_MARGIN)[0]]
        if row[answer][1]:
            counts["highlight holds an answer"] += 1
        elif not row["right"]:
            counts["wrong passage on top"] += 1
        elif row["in_window"]:
            counts["answer in the window, other sentence"] += 1
        else:
            counts["answer outside the window" if row["in_text"] else "answer not in the text as written"] += 1
    print("where the highlight goes wrong: " + ", ".join(f"{k} {v / len(data):.3f}" for k, v in counts.items()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, default=Path(".qa-cache/squad/dev"))
    parser.add_argument("--depth", type=int, default=5)
    parser.add_argument("--limit", type=int, default=1200, help="questions sampled (seed 0)")
    args = parser.parse_args(argv)
    t0 = time.time()
    data = collect(args.dataset, args.depth, args.limit)
    n = len(data)
    print(f"{n} questions, {time.time() - t0:.0f} s\n")

    def line(name: str, total: np.ndarray, extra: str = "") -> None:
        print(f"| {name} | " + " | ".join(f"{v / n:.3f}" for v in total) + f" |{extra}")

    print("| | top-1 | highlight holds answer | span F1 | |\n|---|---:|---:|---:|---|")
    line("lexical highlight, fused top", sum(np.array([r[0]["right"], r[0]["lexical"], 0.0]) for r in data))
    for tokens in WINDOWS:
        line(f"reader on the fused top, window {tokens}", sum(outcome(r[0], tokens) for r in data))
    answer = MAX_TOKENS  # the window the top passage is read in for its answer (and `in_window` is measured in)
    for depth in range(2, args.depth + 1):
        for w in WEIGHTS:
            for others in WINDOWS:
                total = sum(outcome(r[reorder(r, depth, w, answer, others, None)[0]], answer) for r in data)
                line(f"depth {depth}, w {w}, others read in {others}", total)
    for bound in BOUNDS:
        for depth in (3, args.depth):
            picks = [reorder(r, depth, 0.02, answer, 96, bound) for r in data]
            total = sum(outcome(r[k], answer) for r, (k, _) in zip(data, picks, strict=True))
            reads = f" {np.mean([p[1] for p in picks]):.2f} reads"
            line(f"depth {depth}, w 0.02, others 96, bound {bound}", total, reads)
    for depth in (3, args.depth):
        total = np.zeros(3)
        for rows in data:
            head = rows[:depth]
            fused, margins = np.array([r["fused"] for r in head]), np.array([r[answer][0] for r in head])
            mixed = 0.5 * min_max(fused) + 0.5 * min_max(margins)
            total += outcome(head[int(np.argmax(mixed))], answer)
        line(f"`reader` reranker mix, depth {depth}", total)
    for floor in NO_ANSWER_FLOORS:  # the answer is "" below this margin: span F1 lost, right / wrong tops blanked
        low = [r[0] for r in data if r[0][answer][0] < floor]
        lost = sum(r[answer][2] for r in low) / n
        wrong = sum(not r["right"] for r in low)
        print(f"no answer below margin {floor}: span F1 -{lost:.4f}, {len(low) - wrong} right / {wrong} wrong tops")
    print_misses(data, answer)
    for right in (True, False):
        values = [r[0][answer][0] for r in data if r[0]["right"] == right]
        qs = np.percentile(values, [5, 10, 25, 50, 99]) if values else []
        which = "right" if right else "wrong"
        print(f"margin, top passage {which} ({len(values)}): p5/p10/p25/p50/p99 {np.round(qs, 2)}")


if __name__ == "__main__":
    main()
