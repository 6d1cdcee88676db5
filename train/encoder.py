"""Fine-tune the index's encoder for retrieval (qa/index/models/encoder.npz) on SciFact train + SQuAD, on the CPU.

    nice .venv/bin/python -m train.encoder [--epochs 2] [--lr 2e-5] [--squad 2000] [--holdout]

all-MiniLM-L6-v2 (the packaged weights) is trained as a bi-encoder: each SciFact train claim against its cited
abstract's best chunk (the chunk the product's fused ranking puts highest), with the other claims' chunks of
the batch and one hard negative each (a chunk drawn from the claim's fused top `--negatives` that belongs to
no cited abstract) as the wrong answers: a softmax over cosine x 20, as sentence-transformers'
MultipleNegativesRankingLoss. The chunks are those of the product's SciFact evaluation index, embedded as the
index embeds them (title + text, up to 256 tokens), and ranked with the packaged int8 encoder. `--squad` SQuAD
train-split questions (a new half each epoch, one per paragraph) are mixed in, in batches of their own, each
against its paragraph with an answerless paragraph of the same article as its hard negative, so the encoder
learns questions as well as claims (SQuAD dev fused top-1: packaged 0.8268, SciFact alone 0.8289, with 2,000
SQuAD questions 0.8329; dense only 0.718 / 0.719 / 0.744; held-out claims 0.7578 -> 0.7699 with them).

`--holdout` trains on a seeded 80% of the claims and reports nDCG@10 of the fused ranking on the other 20%
(over the chunks that ranked in their fused top 40 or belong to a cited abstract, each embedded by the int8
ONNX file the product would make): how the epochs and learning rate were chosen. Without it every train
claim is used and the file is written. The file holds each tensor's change from the packaged weights (the word
embeddings only for the rows training moved), int8 rows with one scale each; `qa.index.tuned` adds them to the
packaged weights. Seeded sampling and initialisation, deterministic kernels on 2 threads: same data, same file.
`qa eval --dataset ../shared/eval/scifact --split test` reports the product's figure.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from qa.config import LexicalConfig
from qa.eval import load_dataset, score_run
from qa.index.embed import FAST_MODEL
from qa.index.tuned import BASE_MODEL, ENCODER_WEIGHTS, quantize_rows
from qa.text import embedding_text

from .bm25_grid import Prepared, lexical_scores, prepare, ranks_run, top_articles
from .rerank import SETS

SEED = 7
QUERY_TOKENS, PASSAGE_TOKENS = 64, 256
SCALE = 20.0  # cosine x 20: MultipleNegativesRankingLoss's default
DENSE_WEIGHT = 0.7  # the product's fusion (qa.config), for mining and for the holdout figure
ROW_MOVED = 1e-4  # a word-embedding row is shipped when training moved it by more than this (relative norm)
POOL = 40


def fused_scores(prepared: Prepared, dense: np.ndarray) -> np.ndarray:
    """Queries x chunks: the product's fusion of `dense` cosines with BM25 over the best BM25 score."""
    lexical = LexicalConfig()
    return DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * lexical_scores(prepared, lexical.k1, lexical.b)


def ndcg(prepared: Prepared, fused: np.ndarray, rows: list[int]) -> float:
    """nDCG@10 of `rows`' queries, articles ranked by their best chunk (as the product ranks them)."""
    qids = [list(prepared.dataset.queries)[i] for i in rows]
    run = {qid: ranks_run(top_articles(prepared, fused[i])) for qid, i in zip(qids, rows, strict=True)}
    return round(score_run({qid: prepared.dataset.qrels[qid] for qid in qids}, run)["ndcg@10"], 4)


def gold_chunks(prepared: Prepared, row: int) -> list[np.ndarray]:
    """The chunks of each article cited for query `row`."""
    position = {a: i for i, a in enumerate(prepared.article_ids)}
    cited = prepared.dataset.qrels[list(prepared.dataset.queries)[row]]
    return [np.flatnonzero(prepared.chunk_article == position[d]) for d in cited if d in position]


Pair = tuple[str, str, list[str]]  # (query, its passage, hard negative passages)


def triples(prepared: Prepared, fused: np.ndarray, rows: list[int], negatives: int) -> list[tuple[int, int, list[int]]]:
    """(query row, best chunk of a cited article, hard negative chunks) for each cited article of each row."""
    out = []
    for i in rows:
        cited = gold_chunks(prepared, i)
        cited_articles = {int(prepared.chunk_article[c[0]]) for c in cited}
        ranked = np.argsort(-fused[i])[: negatives * 4]
        wrong = [int(c) for c in ranked if int(prepared.chunk_article[c]) not in cited_articles][:negatives]
        out.extend((i, int(chunks[np.argmax(fused[i][chunks])]), wrong) for chunks in cited)
    return out


def scifact_pairs(prepared: Prepared, triples_: list[tuple[int, int, list[int]]]) -> list[Pair]:
    """The `triples` as texts: (claim, cited chunk as embedded, hard negative chunks)."""
    queries = list(prepared.dataset.queries.values())
    return [(queries[i], prepared.texts[p], [prepared.texts[n] for n in wrong]) for i, p, wrong in triples_]


def squad_pairs(n: int, seed: int = SEED) -> list[Pair]:
    """`n` SQuAD train-split questions (one per paragraph, seeded) with their paragraph and, as hard negatives,
    the same article's paragraphs without the answer that share the most IDF-weighted words with the question
    (`train.reader_rank`'s negatives); passages as the index embeds them (title + text)."""
    from .answers_data import display_title, load_splits
    from .reader_rank import Grouper

    split = load_splits()["train"]
    grouper = Grouper(split)
    questions = list(split.questions)
    random.Random(seed).shuffle(questions)
    seen: set[str] = set()
    out: list[Pair] = []
    for q in questions:
        if len(out) == n:
            break
        if q.pid in seen:
            continue
        seen.add(q.pid)
        title, text = split.paragraphs[q.pid]
        title = display_title(title)
        wrong = [embedding_text(title, other) for other in grouper.negatives(q)]
        if wrong:
            out.append((q.text, embedding_text(title, text), wrong))
    return out


class BiEncoder:
    """The packaged model with mean pooling, trained with in-batch and hard negatives."""

    def __init__(self) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        from qa.index.embed import resolve_model_path

        self.torch = torch
        self.path = resolve_model_path(BASE_MODEL)
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.path))
        self.model = AutoModel.from_pretrained(str(self.path))

    def embed(self, texts: list[str], max_tokens: int):
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=max_tokens, return_tensors="pt")
        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return self.torch.nn.functional.normalize(pooled, dim=-1)

    def changes(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """(each tensor's change from the packaged weights, the word-embedding rows worth shipping)."""
        from safetensors.numpy import load_file

        base = load_file(str(self.path / "model.safetensors"))
        tuned = {k: v.detach().numpy() for k, v in self.model.state_dict().items() if k in base}
        changes = {k: (tuned[k] - base[k]).astype(np.float32) for k in tuned}
        words = "embeddings.word_embeddings.weight"
        moved = np.linalg.norm(changes[words], axis=1) > ROW_MOVED * np.linalg.norm(base[words], axis=1)
        return changes, {words: np.flatnonzero(moved)}


def fit(net: BiEncoder, data: list[Pair], extra: list[Pair], args: argparse.Namespace) -> list[float]:
    """Train `net` on `data` (every epoch) and `extra` (a new share each epoch, in batches of their own: in-batch
    negatives stay in their domain); the mean loss of each epoch."""
    torch = net.torch
    rng, mix = random.Random(SEED), random.Random(SEED + 1)
    optimizer = torch.optim.AdamW(net.model.parameters(), lr=args.lr, weight_decay=0.01)
    size = args.batch_size
    share = len(extra) // args.epochs
    per_epoch = (len(data) + size - 1) // size + (share + size - 1) // size
    steps = args.epochs * per_epoch
    warm = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    losses = []
    for epoch in range(args.epochs):
        net.model.train()
        rng.shuffle(data)
        batches = [data[at : at + size] for at in range(0, len(data), size)]
        mine = extra[epoch * share : (epoch + 1) * share]
        if mine:
            batches += [mine[at : at + size] for at in range(0, len(mine), size)]
            mix.shuffle(batches)
        total, started = 0.0, time.time()
        for batch in batches:
            q = net.embed([query for query, _, _ in batch], QUERY_TOKENS)
            passages = [p for _, p, _ in batch] + [rng.choice(n) for _, _, n in batch]
            logits = SCALE * q @ net.embed(passages, PASSAGE_TOKENS).T
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            total += loss.item()
        losses.append(round(total / per_epoch, 4))
        print(f"epoch {epoch + 1}: loss {losses[-1]} ({time.time() - started:.0f} s)", flush=True)
    return losses


def holdout_ndcg(weights: Path, prepared: Prepared, fused: np.ndarray, rows: list[int]) -> tuple[float, float]:
    """(packaged, tuned) nDCG@10 of held-out `rows` over their candidate chunks, the tuned model embedding
    through the product's path (merged folder, int8 ONNX)."""
    from qa.index.onnx_encoder import OnnxEncoder
    from qa.index.onnx_export import ensure_onnx
    from qa.index.tuned import model_dir

    pool = sorted({int(c) for i in rows for c in np.argsort(-fused[i])[:POOL]}
                  | {int(c) for i in rows for chunks in gold_chunks(prepared, i) for c in chunks})  # fmt: skip
    outside = np.full(fused.shape[1], -100.0, dtype=np.float32)
    outside[pool] = 0.0
    with tempfile.TemporaryDirectory() as cache:
        folder = model_dir(weights, Path(cache))
        encoder = OnnxEncoder(ensure_onnx(folder, cache_dir=folder), folder, per_text=True)
        chunks = encoder.embed([prepared.texts[c] for c in pool])
        questions = encoder.embed([list(prepared.dataset.queries.values())[i] for i in rows])
    dense = np.zeros_like(prepared.dense)
    dense[np.ix_(rows, pool)] = questions @ chunks.T
    return ndcg(prepared, fused + outside, rows), ndcg(prepared, fused_scores(prepared, dense) + outside, rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--negatives", type=int, default=20, help="hard negatives are drawn from this fused top")
    parser.add_argument("--squad", type=int, default=2000, help="SQuAD train-split questions mixed in, over all epochs")
    parser.add_argument("--holdout", action="store_true", help="train on 80%% of the claims, report the rest")
    parser.add_argument("--out", type=Path, default=ENCODER_WEIGHTS)
    args = parser.parse_args(argv)
    from .reader import torch_setup

    torch_setup("cpu")
    net = BiEncoder()
    net.torch.manual_seed(SEED)
    started = time.time()
    folder, split, _ = SETS["scifact-train"]
    prepared = prepare(load_dataset(folder, split), FAST_MODEL)  # mined with the packaged encoder, always
    fused = fused_scores(prepared, prepared.dense)
    rows = list(range(len(prepared.dataset.queries)))
    random.Random(SEED).shuffle(rows)
    held = sorted(rows[: len(rows) // 5]) if args.holdout else []
    trained = sorted(set(rows) - set(held))
    data = triples(prepared, fused, trained, args.negatives)
    print(f"{len(trained)} claims -> {len(data)} (claim, abstract) pairs", flush=True)
    extra = squad_pairs(args.squad) if args.squad else []
    print(f"+ {len(extra)} SQuAD (question, paragraph) pairs", flush=True)
    losses = fit(net, scifact_pairs(prepared, data), extra, args)
    changes, rows_kept = net.changes()
    out = Path(tempfile.mkdtemp(prefix="encoder-holdout-")) / "encoder.npz" if args.holdout else args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **quantize_rows(changes, rows_kept))
    record = {"seed": SEED, "data": "SciFact train" + (" + SQuAD train split" if extra else ""),
              "claims": len(trained), "pairs": len(data), "squad_pairs": len(extra),
              "epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size, "negatives": args.negatives,
              "losses": losses, "word_rows": int(sum(len(r) for r in rows_kept.values())),
              "seconds": round(time.time() - started)}  # fmt: skip
    if held:
        packaged, tuned = holdout_ndcg(out, prepared, fused, held)
        record["holdout_ndcg@10"] = {"packaged": packaged, "tuned": tuned}
    else:
        out.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(record), "->", out, flush=True)


if __name__ == "__main__":
    main()
