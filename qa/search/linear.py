"""A linear scorer over named features, stored as JSON (no pickle): what the learned answer models are."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

MODEL_DIR = Path(__file__).resolve().parent / "models"


class LinearModel:
    """score(x) = bias + sum(weight[name] * x[name]); standardisation is folded into the weights."""

    def __init__(self, weights: Mapping[str, float], bias: float, meta: Mapping | None = None) -> None:
        self.weights = dict(weights)
        self.bias = float(bias)
        self.meta = dict(meta or {})

    def score(self, row: Mapping[str, float]) -> float:
        w = self.weights
        return self.bias + sum(w.get(name, 0.0) * value for name, value in row.items())

    def scores(self, rows: Sequence[Mapping[str, float]]) -> list[float]:
        return [self.score(r) for r in rows]

    @classmethod
    def from_fit(cls, names: Sequence[str], coef, intercept: float, mean, scale, meta=None) -> LinearModel:
        """Fold a StandardScaler (mean, scale) + LogisticRegression (coef, intercept) into plain weights."""
        weights, bias = {}, float(intercept)
        for name, c, m, s in zip(names, coef, mean, scale, strict=True):
            s = float(s) or 1.0
            weights[name] = round(float(c) / s, 6)
            bias -= float(c) * float(m) / s
        return cls({k: v for k, v in weights.items() if v != 0.0}, round(bias, 6), meta)

    def to_json(self) -> dict:
        return {"meta": self.meta, "bias": self.bias, "weights": dict(sorted(self.weights.items()))}

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=1, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, data: Mapping) -> LinearModel:
        return cls(data["weights"], data["bias"], data.get("meta"))


@lru_cache(maxsize=16)
def load_model(name: str, variant: str | None = None) -> LinearModel:
    """A packaged model from qa/search/models/<name>.json (a file may hold several variants by key)."""
    data = json.loads((MODEL_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return LinearModel.from_json(data[variant] if variant else data)


@lru_cache(maxsize=16)
def has_variant(name: str, variant: str) -> bool:
    data = json.loads((MODEL_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return variant in data
