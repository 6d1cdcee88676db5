"""Train the answer-span model (qa/search/models/answer_span.json) on SQuAD train articles.

    nice .venv/bin/python -m train.answers_span [--paragraphs 3000]
    nice .venv/bin/python -m train.answers_span --reader --paragraphs 1500   # answer_span_reader.json

Candidates come from `qa.search.span.candidates` over the gold answer's sentence; a candidate is positive when
it equals a gold answer after SQuAD normalisation. C is picked on dev (span F1 in the gold sentence); test is
reported. Seeded sampling, deterministic solver: same data, same file.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

from qa.search.answer_metrics import exact_match, f1_score, normalize_answer
from qa.search.answers import answer_sentence
from qa.search.features import QuestionInfo
from qa.search.linear import MODEL_DIR, LinearModel
from qa.search.reader import get_reader
from qa.search.span import candidates
from qa.search.span_reader import scored_candidates
from qa.text import sentence_spans

from .answers import sample_questions, split_idf
from .answers_data import SEED, load_splits

CS = (0.01, 0.1, 1.0)
MIN_COUNT = 20


def build(split, questions, idf, predicted_sentence: bool = False, reader=None):
    """Per question: (candidate rows, labels, candidate texts, gold answers); with a `reader`, each candidate
    also carries the reader's scores for it (the reader reads the whole gold paragraph, as served)."""
    out = []
    spans_of = {}
    for q in questions:
        text = split.paragraphs[q.pid][1]
        info = QuestionInfo(q.text, idf)
        if predicted_sentence:
            a, b, _ = answer_sentence(info, text)
        else:
            spans = spans_of.setdefault(q.pid, sentence_spans(text))
            found = next(((a, b) for a, b in spans if a <= q.starts[0] < b), None)
            if found is None:
                continue
            a, b = found
        if reader is not None:
            scores = reader.scores(q.text, text, focus=a)
            cands = scored_candidates(info, text, a, b, scores, max_starts=None) if scores else []
            texts = [text[s:e] for s, e, _ in cands]
        else:
            sentence = text[a:b]
            cands = candidates(info, sentence, max_starts=None)  # every candidate (serving caps long sentences)
            texts = [sentence[s:e] for s, e, _ in cands]
        golds = {normalize_answer(g) for g in q.answers}
        labels = [int(normalize_answer(t) in golds) for t in texts]
        out.append(([r for _, _, r in cands], labels, texts, q.answers))
    return out


def fit(data, c: float) -> LinearModel:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    rows = [r for rs, labels, _, _ in data if any(labels) for r in rs]
    y = np.array([v for rs, labels, _, _ in data if any(labels) for v in labels])
    seen = Counter(k for r in rows for k in r)
    rows = [{k: v for k, v in r.items() if seen[k] >= MIN_COUNT} for r in rows]  # rare lexical features: noise
    vec = DictVectorizer(sparse=True)
    x = vec.fit_transform(rows)
    scaler = StandardScaler(with_mean=False).fit(x)
    lr = LogisticRegression(C=c, max_iter=3000, random_state=SEED).fit(scaler.transform(x), y)
    names = list(vec.get_feature_names_out())
    return LinearModel.from_fit(names, lr.coef_[0], lr.intercept_[0], np.zeros(len(names)), scaler.scale_, {"C": c})


def evaluate(model: LinearModel, data) -> dict[str, float]:
    em = f1 = 0.0
    for rows, _, texts, golds in data:
        if not rows:
            continue
        scores = model.scores(rows)
        best = texts[int(np.argmax(scores))]
        em += exact_match(best, golds)
        f1 += f1_score(best, golds)
    n = max(len(data), 1)
    return {"em": round(em / n, 4), "f1": round(f1 / n, 4)}


def main(n_paragraphs: int, out: Path | None, with_reader: bool = False) -> dict:
    started = time.time()
    splits = load_splits()
    reader = get_reader() if with_reader else None
    data, idfs = {}, {}
    for name, split in splits.items():
        idfs[name] = split_idf(split)
        questions = sample_questions(split, n_paragraphs if name == "train" else None)
        data[name] = build(split, questions, idfs[name], reader=reader)
    recall = {k: round(np.mean([any(labels) for _, labels, _, _ in v]), 4) for k, v in data.items()}
    print("candidate recall (gold in candidates)", recall, f"{time.time() - started:.0f}s", flush=True)
    results = [(evaluate(fit(data["train"], c), data["dev"]), c) for c in CS]
    for r, c in results:
        print(f"C={c}: dev {r}", flush=True)
    best_c = max(results, key=lambda t: t[0]["f1"])[1]
    model = fit(data["train"], best_c)
    report = {"C": best_c, "dev_gold_sentence": evaluate(model, data["dev"])}
    report["test_gold_sentence"] = evaluate(model, data["test"])
    model.meta.update({k: v for k, v in report.items() if k != "C"})
    if out:
        model.save(out)
        from qa.search.linear import load_model

        load_model.cache_clear()
    if with_reader:  # the reader picks the sentence when it is used
        print(json.dumps(report), flush=True)
        return report
    test = build(splits["test"], splits["test"].questions, idfs["test"], predicted_sentence=True)
    report["test_predicted_sentence_gold_paragraph"] = evaluate(model, test)
    print(json.dumps(report), flush=True)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paragraphs", type=int, default=2500, help="training paragraphs sampled (seeded)")
    parser.add_argument("--out", type=Path, help="default: qa/search/models/answer_span[_reader].json")
    parser.add_argument("--reader", action="store_true", help="the model that also reads the reader's scores")
    args = parser.parse_args()
    default = MODEL_DIR / ("answer_span_reader.json" if args.reader else "answer_span.json")
    main(args.paragraphs, args.out or default, args.reader)
