"""Train the scraped-page line classifier (qa/ingest/boilerplate.py) from the shared development pages.

    python -m train.boilerplate [--data ../shared/eval/boilerplate] [--sources readability,trafilatura]
                                [--out qa/ingest/models/boilerplate.json]

Labels, one per non-empty line of ``txt/NNN.txt``:
- readability pages: a line is article text when it is a block of the gold body (or a part of one);
- trafilatura pages: a line holding a ``must_include`` string is article text, one holding a
  ``must_exclude`` or comment string is not, and the other lines take the label of trafilatura's own
  extraction of the same page's HTML (without comments) - a silver label, since those pages have no
  gold body.

The fit is deterministic (liblinear, fixed seed, pages in id order): the same data give the same
weights on one machine, and weights equal to 1e-3 on any (another CPU or BLAS build rounds the last digits
differently), which ``tests/ingest/test_boilerplate_model.py`` checks. ``--sources`` trains on one source so
that the other can be scored as held-out pages (``python -m bench.pages --model FILE``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.ingest.boilerplate import FEATURES, STAGE2, line_features, page_lines, stage2_features  # noqa: E402
from qa.ingest.metadata import TITLE_FEATURES  # noqa: E402
from qa.ingest.publisher import PUBLISHER_FEATURES  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "boilerplate"
DEFAULT_OUT = ROOT / "qa" / "ingest" / "models" / "boilerplate.json"
SEED = 20261122
MIN_PUBLISHER_PROB = 0.02
TITLE_C = 1.0  # the headline ranker: a stronger penalty (0.1, 0.3) scored no better on the other source
# ... averaged with a listwise fit of the same features (C=0.1: 0.03 scored worse on both sources, 0.3 and 1
# worse on the trafilatura pages when trained on the readability ones; see the README)
TITLE_LISTWISE_C = 0.1
# The publisher ranker has ~100 candidates a page, most of them menu words: a stronger penalty (C=0.3, not 1)
# scores better on the source it was not trained on (see the README's cross-source figures).
PUBLISHER_C = 0.3


def _flat(text: str) -> str:
    return " ".join(text.split())


def _source(truth: dict) -> str:
    return "readability" if truth["source_dataset"] == "mozilla/readability" else "trafilatura"


def _silver(html_path: Path) -> str:
    import trafilatura

    out = trafilatura.extract(html_path.read_bytes(), include_comments=False, include_tables=True)
    return out or ""


def page_labels(truth: dict, data: Path, lines) -> np.ndarray:
    texts = [line.text for line in lines]
    if truth.get("body"):
        blocks = {_flat(b) for b in truth["body"].split("\n\n") if b.strip()}
        body = _flat(truth["body"])
        return np.array([t in blocks or (len(t.split()) >= 4 and t in body) for t in texts], dtype=float)
    include = [_flat(s) for s in truth.get("must_include") or [] if s.strip()]
    exclude = [_flat(s) for s in (truth.get("must_exclude") or []) + (truth.get("comments") or []) if s.strip()]
    silver = _silver(data / "html" / f"{truth['id']}.html")
    silver_lines = {_flat(x) for x in silver.split("\n") if x.strip()}
    silver_flat = _flat(silver)
    labels = []
    for t in texts:
        if any(s in t or (len(t.split()) >= 4 and t in s) for s in include):
            labels.append(1.0)
        elif any(s in t for s in exclude):
            labels.append(0.0)
        else:
            labels.append(float(t in silver_lines or (len(t.split()) >= 4 and t in silver_flat)))
    return np.array(labels)


def load(data: Path, sources: set[str]):
    truths = [json.loads(x) for x in (data / "truth.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    X, y, groups, weights = [], [], [], []
    for g, t in enumerate(sorted(truths, key=lambda t: t["id"])):
        if _source(t) not in sources:
            continue
        lines = page_lines((data / "txt" / f"{t['id']}.txt").read_text(encoding="utf-8"))
        if not lines:
            continue
        X.append(line_features(lines))
        y.append(page_labels(t, data, lines))
        groups.append(np.full(len(lines), g))
        # each page counts about equally, and within a page a line counts by its words (token F1 is per page)
        n_words = np.array([len(x.text.split()) for x in lines], dtype=float)
        weights.append(np.log1p(n_words) / np.log1p(n_words).sum() * 100)
    return np.concatenate(X), np.concatenate(y), np.concatenate(groups), np.concatenate(weights)


def _fit(X, y, w, C=1.0):
    from sklearn.linear_model import LogisticRegression

    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=C, solver="liblinear", random_state=SEED, max_iter=1000)
    model.fit((X - mean) / scale, y, sample_weight=w)
    return {
        "mean": np.round(mean, 6).tolist(),
        "scale": np.round(scale, 6).tolist(),
        "coef": np.round(model.coef_[0], 6).tolist(),
        "bias": round(float(model.intercept_[0]), 6),
    }


def _fit_softmax(pages, C=1.0):
    """A listwise ranker (conditional logit): each page's candidates compete in one softmax, the right ones
    against the others, each page weighing the same; L2 penalty 1/C as in the logistic fits."""
    from scipy.optimize import minimize

    X = np.concatenate([f for f, _ in pages])
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    zs = [((f - mean) / scale, labels > 0) for f, labels in pages if (labels > 0).any()]
    n = len(zs)

    def loss(w):
        total, grad = 0.0, np.zeros_like(w)
        for z, pos in zs:
            s = z @ w
            top = s.max()
            e = np.exp(s - top)
            p_all = e / e.sum()
            p_pos = e[pos] / e[pos].sum()
            total -= np.log(e[pos].sum()) - np.log(e.sum())
            grad -= p_pos @ z[pos] - p_all @ z
        return total / n * 100 + 0.5 * w @ w / C, grad / n * 100 + w / C

    res = minimize(loss, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B")
    return {
        "mean": np.round(mean, 6).tolist(),
        "scale": np.round(scale, 6).tolist(),
        "coef": np.round(res.x, 6).tolist(),
        "bias": 0.0,
    }


def _predict(m, X):
    z = ((X - np.array(m["mean"])) / np.array(m["scale"])) @ np.array(m["coef"]) + m["bias"]
    return 1 / (1 + np.exp(-z))


def _score_module(data: Path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("boilerplate_score", data / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train_title(
    data: Path, sources: set[str], line_model: dict, listwise: bool = True, drop: frozenset[str] = frozenset()
) -> dict:
    """The headline ranker: candidate lines of each page, labelled by the scorer's own title match."""
    from qa.ingest.boilerplate import LineModel
    from qa.ingest.metadata import headline_text, title_candidates

    score = _score_module(data)
    model = LineModel.from_dict(line_model)
    truths = [json.loads(x) for x in (data / "truth.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    X, y, w = [], [], []
    for t in sorted(truths, key=lambda t: t["id"]):
        if _source(t) not in sources or not t.get("title"):
            continue
        lines = page_lines((data / "txt" / f"{t['id']}.txt").read_text(encoding="utf-8"))
        idx, feats = title_candidates(lines, model.predict(lines))
        feats[:, [i for i, name in enumerate(TITLE_FEATURES) if name in drop]] = 0.0
        labels = [
            score.fuzzy_match(headline_text(lines[i].text), [t["title"], *t.get("title_aliases", [])]) for i in idx
        ]
        if not any(labels):
            continue
        X.append(feats)
        y.append(np.array(labels, dtype=float))
        w.append(np.full(len(idx), 1.0 / len(idx)))
    if listwise:
        # the pointwise fit learns each line's own odds, the listwise one the order within a page (only a page's
        # best line is used); the mean of the two linear rankers is one linear ranker, steadier than either
        pointwise = _fit(np.concatenate(X), np.concatenate(y), np.concatenate(w) * 100, C=TITLE_C)
        pages = _fit_softmax(list(zip(X, y, strict=True)), C=TITLE_LISTWISE_C)
        pointwise["coef"] = [round((a + b) / 2, 6) for a, b in zip(pointwise["coef"], pages["coef"], strict=True)]
        return pointwise
    return _fit(np.concatenate(X), np.concatenate(y), np.concatenate(w) * 100, C=TITLE_C)


def train_publisher(data: Path, sources: set[str], line_model: dict, drop: frozenset[str] = frozenset()) -> dict:
    """The publisher ranker: candidate names of each page, labelled by the scorer's own publisher match."""
    from qa.ingest.boilerplate import LineModel
    from qa.ingest.metadata import find_title
    from qa.ingest.publisher import publisher_candidates

    score = _score_module(data)
    model = LineModel.from_dict(line_model)
    truths = [json.loads(x) for x in (data / "truth.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    X, y, w = [], [], []
    for t in sorted(truths, key=lambda t: t["id"]):
        if _source(t) not in sources or not t.get("publisher"):
            continue
        lines = page_lines((data / "txt" / f"{t['id']}.txt").read_text(encoding="utf-8"))
        p = model.predict(lines)
        names, feats = publisher_candidates(lines, p, find_title(lines, p, model))
        feats[:, [i for i, name in enumerate(PUBLISHER_FEATURES) if name in drop]] = 0.0
        labels = [score.fuzzy_match(n, [t["publisher"], *t.get("publisher_aliases", [])]) for n in names]
        if not any(labels):
            continue
        X.append(feats)
        y.append(np.array(labels, dtype=float))
        w.append(np.full(len(names), 1.0 / len(names)))
    return _fit(np.concatenate(X), np.concatenate(y), np.concatenate(w) * 100, C=PUBLISHER_C)


# Signal groups for ablation (`--drop`): each group's features are zeroed before fitting.
SIGNALS = {
    "density": (
        "log_words", "log_chars", "stop_share", "ends_sentence", "sentences_per_word", "commas_per_word",
        "capital_share", "digit_share", "all_caps", "bullet", "separators", "one_or_two_words", "up_to_four_words",
        "long_line", "in_block",
    ),
    "vocabulary": ("furniture_share", "furniture_any", "date_like", "time_like", "url_like", "copyright"),
    "comments": ("comment_head", "comment_line", "after_comment_head"),
    "context": (
        "position", "win2_log_words", "win5_log_words", "win3_short_share", "win2_stop_share", "win2_furniture",
        "prev_log_words", "next_log_words", "repeated_in_page",
    ),
    "run": ("in_run", "run_distance", "before_run", "after_run"),
    "smoothing": tuple(STAGE2[1:]),  # the second model's view of the neighbours' scores
}  # fmt: skip


def train(
    data: Path, sources: set[str], folds: int = 5, drop: frozenset[str] = frozenset(), title_listwise: bool = True
) -> dict:
    X, y, groups, w = load(data, sources)
    dropped = {name for group in drop & set(SIGNALS) for name in SIGNALS[group]}
    X[:, [i for i, name in enumerate(FEATURES) if name in dropped]] = 0.0
    stage1 = _fit(X, y, w)
    # the second model learns from out-of-fold first-stage scores, as it will see them on unseen pages
    fold_of = groups % folds
    p_oof = np.zeros(len(y))
    for f in range(folds):
        m = _fit(X[fold_of != f], y[fold_of != f], w[fold_of != f])
        p_oof[fold_of == f] = _predict(m, X[fold_of == f])
    X2 = np.concatenate([stage2_features(p_oof[groups == g]) for g in np.unique(groups)])
    X2[:, [i for i, name in enumerate(STAGE2) if name in dropped]] = 0.0
    y2 = np.concatenate([y[groups == g] for g in np.unique(groups)])
    w2 = np.concatenate([w[groups == g] for g in np.unique(groups)])
    stage2 = _fit(X2, y2, w2)
    model = {
        "trained_on": sorted(sources),
        "lines": len(y),
        "features": list(FEATURES),
        "stage2": list(STAGE2),
        "stage1": stage1,
        "stage2_model": stage2,
        "threshold": 0.5,
    }
    model["title_features"] = list(TITLE_FEATURES)
    model["title"] = train_title(data, sources, model, listwise=title_listwise, drop=drop)
    model["publisher_features"] = list(PUBLISHER_FEATURES)
    model["publisher"] = train_publisher(data, sources, model, drop=drop)
    # a name the ranker gives less than this probability is no answer: a wrong publisher misleads a filter
    model["publisher"]["min_score"] = round(math.log(MIN_PUBLISHER_PROB / (1 - MIN_PUBLISHER_PROB)), 6)
    return model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--sources", default="readability,trafilatura")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument(
        "--drop",
        default="",
        help=f"signal groups to leave out (ablation): {', '.join(SIGNALS)}, or headline / publisher ranker features "
        "by name (zeroed before the fit, so the ranker gives them no weight)",
    )
    ap.add_argument(
        "--title-ranker",
        choices=("mixed", "pointwise"),
        default="mixed",
        help="the headline ranker: the mean of a pointwise and a listwise fit (default), or the pointwise fit alone",
    )
    a = ap.parse_args(argv)
    drop = frozenset(g for g in a.drop.split(",") if g)
    unknown = drop - set(SIGNALS) - set(TITLE_FEATURES) - set(PUBLISHER_FEATURES)
    if unknown:
        ap.error(f"unknown signal group(s) or feature(s): {', '.join(sorted(unknown))}")
    model = train(a.data, set(a.sources.split(",")), drop=drop, title_listwise=a.title_ranker == "mixed")
    if a.title_ranker != "mixed":
        model["title_ranker"] = a.title_ranker
    if drop:
        model["dropped"] = sorted(drop)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {a.out} ({model['lines']} lines from {', '.join(model['trained_on'])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
