"""Tune how the reader is used, on the SQuAD dev split (written by `python -m train.answers_data --write`).

    nice .venv/bin/python -m train.reader_tune [--dataset .qa-cache/squad/dev] [--depth 5]

For each question the product's default search returns its top `depth` passages; the reader reads each.
Printed: top-1 passage accuracy, highlight holds an answer and span F1 for
- the lexical highlight and span models (no reader),
- the reader on the top passage (its span, the sentence holding it as highlight),
- the top passage chosen by (1 - w) * fused + w * reader margin, both min-max scaled over the head (the
  `reader` reranker's mix), for several w,
and the no-answer margin's distribution on right and wrong top passages (for `answers.NO_ANSWER_MARGIN`).
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.api import get_embedder
from qa.eval import build_config, cached_index, load_dataset
from qa.search.answer_metrics import f1_score, holds_answer
from qa.search.answers import READER_ENV, sentence_around
from qa.search.options import SearchOptions
from qa.search.reader import get_reader
from qa.search.retriever import Retriever, min_max

WEIGHTS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, default=Path(".qa-cache/squad/dev"))
    parser.add_argument("--depth", type=int, default=5)
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions (0: all)")
    args = parser.parse_args(argv)
    dataset = load_dataset(args.dataset, "test")
    config = build_config()
    embedder = get_embedder(config.model)
    retriever = Retriever.open(cached_index(dataset, config, embedder=embedder), embedder)
    reader = get_reader()
    options = replace(SearchOptions(), k=args.depth)
    qids = [q for q in dataset.queries if dataset.answers.get(q)][: args.limit or None]
    lexical = np.zeros(3)
    top_reader = np.zeros(3)
    mixed = {w: np.zeros(3) for w in WEIGHTS}
    margins: dict[bool, list[float]] = {True: [], False: []}
    t0 = time.time()
    for qid in qids:
        golds, question = dataset.answers[qid], dataset.queries[qid]
        os.environ[READER_ENV] = "off"
        passages = retriever.search(question, options=replace(options, k=1))[:1]
        os.environ.pop(READER_ENV)
        if not passages:
            continue
        p = passages[0]
        right = dataset.qrels[qid].get(p.article_id, 0) > 0
        lexical += [right, holds_answer(p.highlight, golds), f1_score(p.answer, golds)]
        head = retriever.search(question, options=options)
        readings = [reader.read(question, h.text) for h in head]
        outcomes = []
        for h, r in zip(head, readings, strict=True):
            a, b = sentence_around(h.text, r.start, r.end)
            right_passage = dataset.qrels[qid].get(h.article_id, 0) > 0
            outcomes.append([right_passage, holds_answer(h.text[a:b], golds), f1_score(h.text[r.start : r.end], golds)])
        top_reader += outcomes[0]
        margins[bool(outcomes[0][0])].append(readings[0].margin)
        fused = min_max(np.array([h.score for h in head]))
        read = min_max(np.array([r.margin for r in readings]))
        for w in WEIGHTS:
            mixed[w] += outcomes[int(np.argmax((1 - w) * fused + w * read))]
    n = len(qids)
    print(f"{n} questions, {time.time() - t0:.0f} s")
    print("| | top-1 | highlight holds answer | span F1 |\n|---|---:|---:|---:|")
    print("| lexical models | " + " | ".join(f"{v / n:.3f}" for v in lexical) + " |")
    print("| reader, top passage | " + " | ".join(f"{v / n:.3f}" for v in top_reader) + " |")
    for w, v in mixed.items():
        print(f"| reader rerank of {args.depth}, w={w} | " + " | ".join(f"{x / n:.3f}" for x in v) + " |")
    for right, values in margins.items():
        qs = np.percentile(values, [5, 10, 25, 50]) if values else []
        print(f"margin, top passage {'right' if right else 'wrong'} ({len(values)}): p5/p10/p25/p50 {np.round(qs, 2)}")


if __name__ == "__main__":
    main()
