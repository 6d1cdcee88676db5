"""Train the answer-sentence model (qa/search/models/answer_sentence.json) on SQuAD train articles.

    nice .venv/bin/python -m train.answers [--paragraphs 4000] [--dense]

Split by article with a fixed seed (train/answers_data.py); C is picked on dev; test is reported, never tuned on.
Labels: the sentence holding the first gold answer's start. Same seed and data, same file.
`--dense` adds the question/sentence cosine under the index's model (cached under .qa-cache/embeddings).
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections import Counter
from pathlib import Path

import numpy as np

from qa.search.features import QuestionInfo, sentence_features, terms
from qa.search.highlight import overlap_best_sentence
from qa.search.linear import MODEL_DIR, LinearModel
from qa.text import sentence_spans

from .answers_data import SEED, Question, Split, load_splits

CS = (0.03, 0.1, 0.3, 1.0, 3.0)


def split_idf(split: Split) -> dict[str, float]:
    """IDF over the split's paragraphs, the formula the lexical index uses."""
    df: Counter[str] = Counter()
    for _, text in split.paragraphs.values():
        df.update(set(terms(text)))
    n = len(split.paragraphs)
    return {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}


def sample_questions(split: Split, n_paragraphs: int | None, seed: int = SEED) -> list[Question]:
    pids = sorted(split.paragraphs)
    if n_paragraphs and n_paragraphs < len(pids):
        pids = sorted(random.Random(seed).sample(pids, n_paragraphs))
    keep = set(pids)
    return [q for q in split.questions if q.pid in keep]


class SentenceEncoder:
    """Question and sentence vectors under the serving model, cached on disk (each text encoded once)."""

    def __init__(self) -> None:
        from qa.config import default_cache_dir
        from qa.index.embed import Embedder
        from qa.index.embed_cache import CachedEmbedder

        embedder = Embedder()
        self.cached = CachedEmbedder(embedder, default_cache_dir() / "embeddings" / "answers-minilm")

    def encode(self, texts: list[str]) -> dict[str, np.ndarray]:
        unique = sorted(set(texts))
        vectors = self.cached.encode(unique)
        self.cached.save()
        return dict(zip(unique, vectors, strict=True))


def examples(
    split: Split, questions: list[Question], dense: dict[str, np.ndarray] | None = None
) -> list[tuple[list[dict[str, float]], int, Question, list[tuple[int, int]]]]:
    """(feature rows, gold sentence index, question, spans) per question whose answer lies in one sentence."""
    idf = split_idf(split)
    spans_of: dict[str, list[tuple[int, int]]] = {}
    out = []
    for q in questions:
        text = split.paragraphs[q.pid][1]
        spans = spans_of.setdefault(q.pid, sentence_spans(text))
        gold = next((i for i, (a, b) in enumerate(spans) if a <= q.starts[0] < b), None)
        if gold is None:
            continue
        sims = None
        if dense is not None:
            qv = dense[q.text]
            sims = [float(dense[text[a:b]] @ qv) for a, b in spans]
        rows = sentence_features(QuestionInfo(q.text, idf), [text[a:b] for a, b in spans], sims)
        out.append((rows, gold, q, spans))
    return out


def matrix(data, names: list[str] | None = None):
    rows = [r for rs, _, _, _ in data for r in rs]
    labels = [int(i == gold) for rs, gold, _, _ in data for i in range(len(rs))]
    names = names or sorted({k for r in rows for k in r})
    index = {n: j for j, n in enumerate(names)}
    x = np.zeros((len(rows), len(names)), dtype=np.float64)
    for i, r in enumerate(rows):
        for k, v in r.items():
            if k in index:
                x[i, index[k]] = v
    return x, np.array(labels), names


def fit(data, c: float, drop: tuple[str, ...] = ()) -> LinearModel:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x, y, names = matrix(data)
    keep = [j for j, n in enumerate(names) if not any(n.startswith(d) or f"*{d}" in n for d in drop)]
    x, names = x[:, keep], [names[j] for j in keep]
    scaler = StandardScaler().fit(x)
    lr = LogisticRegression(C=c, max_iter=2000, random_state=SEED).fit(scaler.transform(x), y)
    return LinearModel.from_fit(names, lr.coef_[0], lr.intercept_[0], scaler.mean_, scaler.scale_, {"C": c})


def accuracy(model: LinearModel, data) -> float:
    hits = 0
    for rows, gold, _, _ in data:
        scores = model.scores(rows)
        hits += int(int(np.argmax(scores)) == gold)
    return hits / max(len(data), 1)


def baseline_accuracy(split: Split, data) -> float:
    idf = split_idf(split)
    hits = 0
    for _, gold, q, spans in data:
        text = split.paragraphs[q.pid][1]
        hits += int(overlap_best_sentence(q.text, text, idf)[0] == spans[gold][0])
    return hits / max(len(data), 1)


def fit_lexical(n_paragraphs: int, c: float, seed: int = SEED) -> LinearModel:
    """The lexical sentence model fitted on `n_paragraphs` sampled training paragraphs (no evaluation)."""
    split = load_splits(seed=seed)["train"]
    return fit(examples(split, sample_questions(split, n_paragraphs, seed)), c, ("dense",))


def train(n_paragraphs: int, use_dense: bool, out: Path, ablate: bool) -> dict:
    splits = load_splits()
    started = time.time()
    questions = {name: sample_questions(s, n_paragraphs if name == "train" else None) for name, s in splits.items()}
    dense = None
    if use_dense:
        encoder = SentenceEncoder()
        texts = []
        for name, s in splits.items():
            for q in questions[name]:
                texts.append(q.text)
            for pid in {q.pid for q in questions[name]}:
                text = s.paragraphs[pid][1]
                texts.extend(text[a:b] for a, b in sentence_spans(text))
        dense = encoder.encode(texts)
        print(f"encoded {len(set(texts))} texts in {time.time() - started:.0f}s", flush=True)
    data = {name: examples(splits[name], questions[name], dense) for name in splits}
    print({k: len(v) for k, v in data.items()}, f"{time.time() - started:.0f}s", flush=True)
    variants = {"lexical": ("dense",)} if not use_dense else {"lexical": ("dense",), "dense": ()}
    report: dict = {"baseline_dev": baseline_accuracy(splits["dev"], data["dev"])}
    report["baseline_test"] = baseline_accuracy(splits["test"], data["test"])
    models = {}
    for variant, drop in variants.items():
        best = max(((accuracy(fit(data["train"], c, drop), data["dev"]), c) for c in CS), key=lambda t: t[0])
        model = fit(data["train"], best[1], drop)
        model.meta.update({"dev_accuracy": round(best[0], 4), "train_questions": len(data["train"])})
        models[variant] = model
        report[variant] = {"C": best[1], "dev": best[0], "test": accuracy(model, data["test"])}
        print(variant, report[variant], flush=True)
        if ablate:
            for group in ("idf_cov", "bigram", "*", "type=", "log_new", "new_frac", "position", "log_len", "dense"):
                if group in drop:
                    continue
                m = fit(data["train"], best[1], (*drop, group))
                print(f"  without {group!r}: dev {accuracy(m, data['dev']):.4f}", flush=True)
    if out:
        data_out = {k: m.to_json() for k, m in models.items()}
        if "dense" not in data_out and out.exists():  # keep a dense variant trained earlier
            import json

            data_out["dense"] = json.loads(out.read_text())["dense"]
        import json

        out.write_text(json.dumps(data_out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(report)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paragraphs", type=int, default=1500, help="training paragraphs sampled (seeded)")
    parser.add_argument("--dense", action="store_true", help="also train the variant with sentence cosines")
    parser.add_argument("--ablate", action="store_true", help="dev accuracy without each feature group")
    parser.add_argument("--out", type=Path, default=MODEL_DIR / "answer_sentence.json")
    args = parser.parse_args()
    train(args.paragraphs, args.dense, args.out, args.ablate)
