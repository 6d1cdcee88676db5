"""Train the learned reranker (qa/search/models/rerank.json) on SQuAD train articles and SciFact train.

    nice .venv/bin/python -m train.rerank [--collect]

First run (or --collect): retrieves the fused top passages of every query of each set through the product's
Retriever (default hybrid options, one passage per article) and stores their raw scores and texts under
.qa-cache/rerank-data/. Then fits a logistic regression (each set weighted equally), and reports top-1 on
the SQuAD dev and test splits and nDCG@10 on SciFact test, before (fused order) and after. Tune on SQuAD dev
only; test figures are reported, not tuned on.
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
from pathlib import Path

import numpy as np

from qa.config import default_cache_dir
from qa.search.features import QuestionInfo
from qa.search.learned_rerank import DEPTH, passage_features
from qa.search.linear import MODEL_DIR, LinearModel

from .answers_data import SEED

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
SETS = {  # name -> (BEIR folder, qrels split, role)
    # 30 seeded train articles (python -m train.answers_data --write .qa-cache/squad writes train/dev/test;
    # train30 is written by write_train30 below): indexing all 400 train articles is ~17k paragraphs to embed.
    "squad-train30": (default_cache_dir() / "squad" / "train30", "test", "train"),
    "scifact-train": (SHARED / "scifact", "train", "train"),
    "squad-dev": (default_cache_dir() / "squad" / "dev", "test", "dev"),
    "squad-test": (default_cache_dir() / "squad" / "test", "test", "test"),
    "scifact-test": (SHARED / "scifact", "test", "test"),
}
CS = (0.01, 0.1, 1.0)


class _QueryMemo:
    """The embedder, remembering query vectors (rank and the features ask for the same question)."""

    def __init__(self, embedder) -> None:
        self.embedder, self.memo = embedder, {}
        self.model_name = embedder.model_name

    def encode_query(self, text: str) -> np.ndarray:
        if text not in self.memo:
            self.memo[text] = self.embedder.encode_query(text)
        return self.memo[text]

    def __getattr__(self, name):
        return getattr(self.embedder, name)


def collect(name: str, folder: Path, split: str, depth: int = 100) -> list[dict]:
    """Per query: the fused top `depth` (one chunk per article) with dense, BM25, fused, text, title, labels."""
    from qa.eval import load_dataset
    from qa.search.options import SearchOptions

    from .eval_index import open_retriever

    dataset = load_dataset(folder, split)
    retriever = open_retriever(dataset)
    embedder = retriever.embedder
    memo = _QueryMemo(embedder)
    texts = list(dataset.queries.values())
    memo.memo.update(zip(texts, embedder.encode(texts), strict=True))  # batched: far faster than one by one
    retriever.embedder = memo
    index = retriever.index
    options = SearchOptions(k=depth, per_article=True)
    out = []
    started = time.time()
    for n, (qid, text) in enumerate(dataset.queries.items()):
        ranked = retriever.rank(text, options=options)
        if not ranked:
            continue
        vector = memo.encode_query(text)
        ids = np.array([cid for cid, _ in ranked], dtype=np.int64)
        dense = index.dense.reconstruct_batch(ids) @ vector
        bm25 = index.lexical.scores(text)
        top = float(bm25.max()) or 1.0
        head = ranked[:DEPTH]
        arts = [index.chunk_article(cid) for cid, _ in ranked]
        out.append(
            {
                "qid": qid,
                "question": text,
                "doc_ids": [a["article_id"] for a in arts],
                "fused": [s for _, s in ranked],
                "dense": [float(v) for v in dense],
                "lexical": [float(bm25[cid]) / top for cid, _ in ranked],
                "texts": [index.chunk_text(cid) for cid, _ in head],
                "titles": [a.get("title", "") for a in arts[:DEPTH]],
                "qrels": dataset.qrels[qid],
            }
        )
        if n % 500 == 0:
            print(f"  {name}: {n}/{len(dataset.queries)} {time.time() - started:.0f}s", flush=True)
    return out


def write_train30(seed: int = SEED) -> Path:
    """The 30 seeded SQuAD train articles as a BEIR folder (what the shipped model was trained on)."""
    import random

    from .answers_data import Split, load_splits, write_beir

    train = load_splits()["train"]
    articles = sorted(random.Random(seed).sample(train.articles, 30))
    sub = Split("train30", articles)
    sub.paragraphs = {p: v for p, v in train.paragraphs.items() if v[0] in set(articles)}
    sub.questions = [q for q in train.questions if q.pid in sub.paragraphs]
    return write_beir(sub, SETS["squad-train30"][0])


def load_sets(refresh: bool) -> dict[str, list[dict]]:
    folder = default_cache_dir() / "rerank-data"
    folder.mkdir(parents=True, exist_ok=True)
    data = {}
    for name, (beir, split, _) in SETS.items():
        path = folder / f"{name}.pkl"
        if refresh or not path.exists():
            if name == "squad-train30" and not (beir / "corpus.jsonl").exists():
                write_train30()
            if not (beir / "corpus.jsonl").exists():
                print(f"skip {name}: {beir} missing (python -m train.answers_data --write .qa-cache/squad)")
                continue
            with open(path, "wb") as fh:
                pickle.dump(collect(name, beir, split), fh)
        with open(path, "rb") as fh:
            data[name] = pickle.load(fh)
    return data


def featurise(records: list[dict]) -> list[tuple[list[dict[str, float]], list[int]]]:
    out = []
    for r in records:
        n = len(r["texts"])
        q = QuestionInfo(r["question"])
        rows = passage_features(q, r["texts"], r["titles"], r["dense"][:n], r["lexical"][:n], r["fused"][:n])
        labels = [int(r["qrels"].get(d, 0) > 0) for d in r["doc_ids"][:n]]
        out.append((rows, labels))
    return out


def fit(groups: list[list[tuple[list[dict], list[int]]]], c: float) -> LinearModel:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    rows, y, w = [], [], []
    for group in groups:
        weight = 1.0 / max(len(group), 1)
        for rs, labels in group:
            rows += rs
            y += labels
            w += [weight] * len(rs)
    vec = DictVectorizer(sparse=False)
    x = vec.fit_transform(rows)
    scaler = StandardScaler().fit(x)
    lr = LogisticRegression(C=c, max_iter=3000, random_state=SEED)
    lr.fit(scaler.transform(x), np.array(y), sample_weight=np.array(w) * len(w))
    names = list(vec.get_feature_names_out())
    return LinearModel.from_fit(names, lr.coef_[0], lr.intercept_[0], scaler.mean_, scaler.scale_, {"C": c})


def reorder(records, feats, model: LinearModel | None) -> dict[str, dict[str, float]]:
    """A run (query -> doc -> score) with the head reordered by `model` (fused order when None)."""
    run = {}
    for r, (rows, _) in zip(records, feats, strict=True):
        n = len(rows)
        order = list(range(n))
        if model is not None:
            scores = model.scores(rows)
            order = sorted(range(n), key=lambda i: -scores[i])
        docs = [r["doc_ids"][i] for i in order] + r["doc_ids"][n:]
        run[r["qid"]] = {d: float(len(docs) - k) for k, d in enumerate(docs)}
    return run


def metrics(records, feats, model) -> dict[str, float]:
    from qa.eval import score_run

    run = reorder(records, feats, model)
    qrels = {r["qid"]: r["qrels"] for r in records}
    top1 = np.mean([qrels[q].get(max(docs, key=docs.get), 0) > 0 for q, docs in run.items()])
    return {"top1": round(float(top1), 4), "ndcg@10": round(score_run(qrels, run)["ndcg@10"], 4)}


def main(refresh: bool, out: Path | None, drop: tuple[str, ...] = (), with_scifact: bool = False) -> dict:
    data = load_sets(refresh)
    feats = {name: featurise(records) for name, records in data.items()}
    if drop:
        feats = {
            n: [([{k: v for k, v in r.items() if not k.startswith(drop)} for r in rs], ls) for rs, ls in f]
            for n, f in feats.items()
        }
    # SciFact train in the mix costs SQuAD top-1 and still loses on SciFact test (see the README): off by default.
    train = [feats[n] for n, (_, _, role) in SETS.items() if role == "train" and n in feats]
    if not with_scifact:
        train = [feats["squad-train30"]]
    report: dict = {"before": {n: metrics(data[n], feats[n], None) for n in data}}
    tuned = []
    for c in CS:
        model = fit(train, c)
        tuned.append((metrics(data["squad-dev"], feats["squad-dev"], model)["top1"], c, model))
        print(f"C={c}: squad-dev {tuned[-1][0]}", flush=True)
    _, c, model = max(tuned, key=lambda t: t[0])
    report["C"] = c
    report["after"] = {n: metrics(data[n], feats[n], model) for n in data}
    model.meta.update({"after": report["after"], "before": report["before"]})
    if out:
        model.save(out)
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--collect", action="store_true", help="retrieve again even when stored data exists")
    parser.add_argument("--drop", nargs="*", default=[], help="feature name prefixes to leave out (ablation)")
    parser.add_argument("--with-scifact", action="store_true", help="also train on SciFact train (equal weight)")
    parser.add_argument("--out", type=Path, default=MODEL_DIR / "rerank.json")
    args = parser.parse_args()
    main(args.collect, args.out, tuple(args.drop), args.with_scifact)
