"""Teach the reader to rank: a later training stage of qa/search/models/reader.npz with a listwise loss.

    nice .venv/bin/python -m train.reader_rank --init qa/search/models/reader.npz [--questions 5000]

The product orders a question's top passages by fused score + w * the reader's answer margin (best span score
minus the no-answer score). Stages 1-3 (`train.reader`) teach spans and "no answer" one window at a time; this
stage also reads, for each new training question, its gold paragraph and (up to) three passages that do not
hold the answer (the paragraphs of the same article that share the most weighted words with it, or with
`--retrieved` the first-stage's top chunks over the split's index), each in the window the product reads (the
question and `max_tokens` tokens around the learned best sentence; `--windows`, by default 128 or 64 tokens, as
the top and the second passage are read), and adds a softmax cross-entropy over the group's margins with the gold
paragraph as the right one to the span loss. Its questions are new: drawn after those of the stages that
`--init`'s record (reader.json) lists. Seeded: the same data give the same file. Dev: span EM / F1 on gold
paragraphs (as `train.reader`) and how often the gold paragraph's margin is the group's highest.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from qa.index.lexical import stem_words
from qa.index.tuned import quantize_rows
from qa.search.features import QuestionInfo
from qa.search.highlight import best_sentence
from qa.search.reader import MAX_ANSWER_TOKENS, encode_window, load_tokenizer

from .answers import split_idf
from .answers_data import SEED, Question, Split, load_splits
from .reader import (
    OUT,
    Example,
    ReaderNet,
    _tensors,
    add_network_options,
    dev_scores,
    stage_questions,
    torch_setup,
)

NEGATIVES = 3
WINDOWS = (128, 64)  # the top passage's read and the others' (reader.MAX_TOKENS, answers.RANK_TOKENS)
GROUPS_PER_BATCH = 8


def _tokenizer():
    from qa.index.embed import resolve_model_path

    return load_tokenizer(Path(resolve_model_path("all-MiniLM-L6-v2")))


def read_window(tok, question: str, text: str, focus: int, max_tokens: int, answer: tuple[int, int] | None):
    """The window `Reader.scores` reads (`encode_window`) as a training example, with the answer's tokens.

    Returns None when the answer is given but falls outside the window (or the text has no tokens)."""
    window = encode_window(tok, question, text, focus, max_tokens)
    if window is None:
        return None
    offsets, first = window.offsets, window.first
    start = end = 0
    if answer is not None:
        a, b = answer
        inside = [i for i, (x, y) in enumerate(offsets) if y > a and x < b]
        if not inside or offsets[0][0] > a or offsets[-1][1] < b:
            return None
        start, end = first + inside[0], first + inside[-1]
    context = (first, first + len(offsets))
    return Example(window.ids, window.types, context, start, end, [(0, 0)] * first + offsets)


class Grouper:
    """Builds a question's group of windows: the gold paragraph first, then its negatives (`negatives`)."""

    def __init__(self, split: Split, retrieved: dict[str, list[tuple[str, str]]] | None = None) -> None:
        self.split = split
        self.retrieved = retrieved  # qid -> fused top (paragraph id, chunk text), or None: same-article negatives
        self.tok = _tokenizer()
        self.by_article: dict[str, list[str]] = {}
        for pid, (title, _) in split.paragraphs.items():
            self.by_article.setdefault(title, []).append(pid)
        self.terms = {pid: set(stem_words(text)) for pid, (_, text) in split.paragraphs.items()}
        self.idf = split_idf(split)

    def group(self, q: Question, max_tokens: int) -> list[Example] | None:
        _, text = self.split.paragraphs[q.pid]
        info = QuestionInfo(q.text, self.idf)
        answer = (q.starts[0], q.starts[0] + len(q.answers[0]))
        focus, _ = best_sentence(info, text)
        gold = read_window(self.tok, q.text, text, focus, max_tokens, answer)
        if gold is None:  # the product's window misses the answer: centre it on the answer instead
            gold = read_window(self.tok, q.text, text, answer[0], max_tokens, answer)
        if gold is None:
            return None
        group = [gold]
        for other in self.negatives(q):
            group.append(read_window(self.tok, q.text, other, best_sentence(info, other)[0], max_tokens, None))
        return group if len(group) > 1 else None

    def negatives(self, q: Question) -> list[str]:
        """Up to NEGATIVES texts without an answer: the first-stage's top chunks of other paragraphs (what the
        product's reader must order), or the same article's paragraphs sharing the most weighted words."""

        def answerless(text: str) -> bool:
            return not any(a.lower() in text.lower() for a in q.answers)

        if self.retrieved is not None:
            hits = [text for pid, text in self.retrieved.get(q.qid, []) if pid != q.pid and answerless(text)]
            return hits[:NEGATIVES]
        others = [p for p in self.by_article[self.split.paragraphs[q.pid][0]] if p != q.pid]
        others = [p for p in others if answerless(self.split.paragraphs[p][1])]
        qterms = set(stem_words(q.text))
        weight = {p: sum(self.idf.get(t, 0.0) for t in qterms if t in self.terms[p]) for p in others}
        return [self.split.paragraphs[p][1] for p in sorted(others, key=lambda p: (-weight[p], p))[:NEGATIVES]]


def retrieved_heads(split_dir: Path, questions: list[Question], depth: int) -> dict[str, list[tuple[str, str]]]:
    """qid -> the fused top `depth` (paragraph id, chunk text) over the index of the split written at `split_dir`
    (`train.answers_data --write`), the reader's reordering off: the passages the product's reader orders."""
    from dataclasses import replace

    from qa.eval import load_dataset
    from qa.search.options import SearchOptions

    from .eval_index import open_retriever

    retriever = open_retriever(load_dataset(split_dir, "test"))
    index, options = retriever.index, replace(SearchOptions(), k=depth, read_depth=0)
    out = {}
    for q in questions:
        ranked = retriever.rank(q.text, options=options)
        out[q.qid] = [(index.chunk_article(cid)["article_id"], index.chunk_text(cid)) for cid, _ in ranked]
    return out


def margins(start, end, batch: list[Example]):
    """Each window's answer margin: best span (length < MAX_ANSWER_TOKENS, inside the passage) minus no-answer."""
    import torch

    n = start.shape[1]
    i = torch.arange(n, device=start.device)
    length = i[None, :] - i[:, None]
    span_ok = (length >= 0) & (length < MAX_ANSWER_TOKENS)
    inside = torch.zeros(len(batch), n, dtype=torch.bool, device=start.device)
    for k, e in enumerate(batch):
        inside[k, e.context[0] : e.context[1]] = True
    valid = span_ok[None] & inside[:, :, None] & inside[:, None, :]
    spans = (start[:, :, None] + end[:, None, :]).masked_fill(~valid, -1e4)
    return spans.flatten(1).max(dim=1).values - (start[:, 0] + end[:, 0])


def train(net: ReaderNet, groups: list[list[Example]], lr: float, rank_weight: float, seed: int) -> None:
    import torch

    rng = random.Random(seed)
    order = list(range(len(groups)))
    rng.shuffle(order)
    batches = [[groups[i] for i in order[k : k + GROUPS_PER_BATCH]] for k in range(0, len(order), GROUPS_PER_BATCH)]
    params = net.trainable()
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    steps = len(batches)
    warmup = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    net.encoder.train()
    t0, running = time.time(), None
    for step, batch_groups in enumerate(batches, 1):
        flat = [e for g in batch_groups for e in g]
        start, end = net.logits(*_tensors(flat))
        span = (
            torch.nn.functional.cross_entropy(start, net.tensor([e.start for e in flat]))
            + torch.nn.functional.cross_entropy(end, net.tensor([e.end for e in flat]))
        ) / 2
        m = margins(start, end, flat)
        rank, k = 0.0, 0
        for g in batch_groups:  # the gold paragraph is each group's first window
            rank = rank + torch.nn.functional.cross_entropy(m[k : k + len(g)][None], net.tensor([0]))
            k += len(g)
        loss = span + rank_weight * rank / len(batch_groups)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 20 == 0 or step == steps:
            rate = step * GROUPS_PER_BATCH / (time.time() - t0)
            print(f"step {step}/{steps} loss {running:.3f} {rate:.1f} groups/s {time.time() - t0:.0f} s", flush=True)
    net.encoder.eval()


def rank_accuracy(net: ReaderNet, groups: list[list[Example]]) -> float:
    """Share of groups whose gold paragraph has the highest margin."""
    import torch

    right = 0
    with torch.inference_mode():
        for g in groups:
            start, end = net.logits(*_tensors(g))
            right += int(torch.argmax(margins(start, end, g)).item() == 0)
    return right / max(1, len(groups))


def make_groups(
    grouper: Grouper, questions: list[Question], rng: random.Random, windows: tuple[int, ...] = WINDOWS
) -> list[list[Example]]:
    groups = []
    for q in questions:
        g = grouper.group(q, rng.choice(windows))
        if g:
            groups.append(g)
    return groups


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--init", type=Path, default=OUT, help="the reader.npz to start from")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--rank-weight", type=float, default=1.0)
    parser.add_argument("--dev-questions", type=int, default=500)
    parser.add_argument(
        "--windows", default=",".join(map(str, WINDOWS)), help="token windows a group is read in, one drawn per group"
    )
    add_network_options(parser)
    parser.add_argument(
        "--retrieved",
        type=Path,
        help="negatives from the fused top chunks over this split's index (e.g. .qa-cache/squad/train) instead "
        "of the same article's paragraphs",
    )
    args = parser.parse_args(argv)
    windows = tuple(int(w) for w in args.windows.split(","))
    torch_setup(args.device)
    rng = random.Random(SEED)
    splits = load_splits()
    previous = json.loads(args.init.with_suffix(".json").read_text())
    earlier = [stage["questions"] for stage in previous.get("stages", [])]
    train_qs = stage_questions(splits["train"].questions, [*earlier, args.questions], rng)
    t0 = time.time()
    retrieved = retrieved_heads(args.retrieved, train_qs, NEGATIVES + 2) if args.retrieved else None
    groups = make_groups(Grouper(splits["train"], retrieved), train_qs, rng, windows)
    print(f"{len(train_qs)} questions -> {len(groups)} groups ({time.time() - t0:.0f} s)", flush=True)
    dev_qs = random.Random(SEED).sample(splits["dev"].questions, args.dev_questions)
    dev_groups = make_groups(Grouper(splits["dev"]), dev_qs, random.Random(SEED))
    net = ReaderNet(SEED, args.frozen_layers, args.device)
    net.load(args.init)
    before = {"rank_accuracy": rank_accuracy(net, dev_groups)}
    print(f"dev before: {before}", flush=True)
    train(net, groups, args.lr, args.rank_weight, SEED)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **quantize_rows(net.state()))
    scores = {**dev_scores(net, splits["dev"], dev_qs), "rank_accuracy": rank_accuracy(net, dev_groups)}
    stage = {
        "stage": len(earlier) + 1,
        "kind": "listwise",
        "questions": len(train_qs),
        "groups": len(groups),
        "negatives": NEGATIVES,
        "negatives_from": "fused top chunks" if args.retrieved else "same article",
        "windows": list(windows),
        "lr": args.lr,
        "rank_weight": args.rank_weight,
        "frozen_layers": args.frozen_layers,
        "device": args.device,
        "dev_rank_accuracy_before": before["rank_accuracy"],
        "seconds": round(time.time() - t0),
    }
    meta = {**previous, "questions": previous.get("questions", 0) + len(train_qs),
            "stages": [*previous.get("stages", []), stage], "dev": scores}  # fmt: skip
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(meta), flush=True)


if __name__ == "__main__":
    main()
