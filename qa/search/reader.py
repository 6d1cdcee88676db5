"""The extractive reader: the answer phrase of a passage, read by a small cross-encoder trained here.

all-MiniLM-L6-v2 (the index's own packaged model) with a start/end head, fine-tuned on SQuAD train articles
by `train/reader.py`. The fine-tuned top layers and the head ship in `qa/search/models/reader.npz` (int8, one
scale per output row); at first use they are merged with the packaged weights into a model folder in the
cache, which `qa.index.onnx_export` turns into the same fused int8 ONNX file the fast encoder uses. Reading
then needs only onnxruntime and `tokenizers`: ``[CLS] question [SEP] passage [SEP]`` in, one start and one
end score per token out; the answer is the best span of at most `MAX_ANSWER_TOKENS` tokens, and the
``[CLS]`` score says how strongly the reader thinks the passage holds no answer.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import default_cache_dir
from ..index.tuned import file_key, merged_folder, read_tensors, split_head

WEIGHTS = Path(__file__).resolve().parent / "models" / "reader.npz"
# Question + passage tokens read at once; a longer passage is read in a window that starts a third of the
# window before `focus` (the learned best sentence). On SQuAD dev top passages a 128-token window beats the
# whole passage (up to 256): highlight holds the answer 0.696 vs 0.686, span F1 0.524 vs 0.508, at half the
# cost (train/reader_tune.py).
MAX_TOKENS = 128
# The reader's span is held to about the size of the phrase model's candidates (7 words, span.MAX_WORDS): a
# longer one only tells where the answer is, and its far edge misleads (start at one number, end at another).
# SQuAD dev (800 questions, gold paragraph), span F1 through span_reader: 30 tokens 0.563, 20 0.570, 15 0.569,
# 12 0.570, 10 0.570, 8 0.570 (3% of gold answers are longer than 12 tokens). The sample corpus's answers are
# sensitive to it: 10-11 move the S-300 question's highlight to a "no moral obligations" sentence, 13 and more
# answer the cruise question with "Four" (warships) instead of "26".
MAX_ANSWER_TOKENS = 12
RECENT = 32  # readings kept for a second look (the head's top passage is read again for its answer)
BASE_MODEL = "all-MiniLM-L6-v2"


class ReaderUnavailable(RuntimeError):
    """The reader's weights, base model or runtime is missing; callers fall back to the lexical models."""


@dataclass(frozen=True)
class Reading:
    """The reader's best span in the passage (character offsets), its score and the no-answer score."""

    start: int
    end: int
    score: float
    null: float

    @property
    def margin(self) -> float:
        """How much more the reader believes the span than that the passage holds no answer."""
        return self.score - self.null


def read_weights(weights: Path = WEIGHTS) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(fine-tuned layers, head) from the weights file, int8 rows dequantised; layer names as in the file
    ("encoder.encoder.layer.N..."), head names without their "head." prefix."""
    return split_head(read_tensors(weights))


def model_folder(weights: Path = WEIGHTS, cache_dir: Path | None = None) -> Path:
    """The merged model folder (packaged weights + fine-tuned layers + head.npz), made once per weights file."""
    if not weights.is_file():
        raise ReaderUnavailable(f"no reader weights at {weights} (run: python -m train.reader)")
    folder = (cache_dir or default_cache_dir()) / "reader" / file_key(weights)
    return merged_folder(weights, folder, add=False, prefix="encoder.")


@dataclass(frozen=True)
class ReaderScores:
    """A reading with the reader's start score of each token start and end score of each token end
    (character offsets in the passage); spans the reader did not see (outside its window) are absent."""

    reading: Reading
    starts: dict[int, float]
    ends: dict[int, float]


@dataclass(frozen=True)
class Window:
    """What the reader reads of a passage: ``[CLS] question [SEP] passage tokens lo .. lo + budget [SEP]``."""

    ids: list[int]
    types: list[int]
    first: int  # position of the first passage token in `ids`
    offsets: list[tuple[int, int]]  # the characters of each passage token read


def load_tokenizer(folder: Path):
    """The model folder's `tokenizers` tokenizer, untruncated and unpadded (windows are cut by `encode_window`)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def encode_window(tokenizer, question: str, text: str, focus: int, max_tokens: int) -> Window | None:
    """The window of `max_tokens` (question included) read of `text`: a passage too long for it is read from a
    third of the window before the `focus` character. None when the text has no tokens."""
    # a long question keeps at most half the window (64 tokens), so the passage always has room
    q_ids = tokenizer.encode(question, add_special_tokens=False).ids[: min(64, max_tokens // 2)]
    passage = tokenizer.encode(text, add_special_tokens=False)
    if not passage.ids:
        return None
    budget = max_tokens - len(q_ids) - 3
    lo = 0
    if len(passage.ids) > budget:
        at = next((i for i, (a, _) in enumerate(passage.offsets) if a >= focus), 0)
        lo = max(0, min(at - budget // 3, len(passage.ids) - budget))
    p_ids = passage.ids[lo : lo + budget]
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    first = len(q_ids) + 2
    ids = [cls, *q_ids, sep, *p_ids, sep]
    types = [0] * first + [1] * (len(p_ids) + 1)
    return Window(ids, types, first, list(passage.offsets[lo : lo + budget]))


class Reader:
    """Reads one passage for one question (onnxruntime, int8); thread-safe."""

    def __init__(self, folder: Path, onnx_file: Path) -> None:
        from ..index.onnx_encoder import configured_threads, cpu_session

        self.session = cpu_session(onnx_file, configured_threads(), spinning=True)
        self.tokenizer = load_tokenizer(folder)
        self._recent: dict[tuple[str, str, int, int], ReaderScores] = {}  # the last RECENT readings, oldest first
        self._lock = threading.Lock()
        with np.load(folder / "head.npz") as head:
            self.weight, self.bias = head["weight"].astype(np.float32), head["bias"].astype(np.float32)

    def forget(self) -> None:
        """Drop the recent readings, so that the next read runs the network (a timed read, say)."""
        with self._lock:
            self._recent.clear()

    def read(self, question: str, text: str, focus: int = 0, max_tokens: int = MAX_TOKENS) -> Reading | None:
        """The best answer span of `text` for `question`, or None when the text has no tokens."""
        scores = self.scores(question, text, focus, max_tokens)
        return scores.reading if scores else None

    def scores(self, question: str, text: str, focus: int = 0, max_tokens: int = MAX_TOKENS) -> ReaderScores | None:
        """The reading of `text` (in a window of `max_tokens` with the question) with every token's start and
        end score, or None when the text has no tokens."""
        key = (question, text, focus, max_tokens)
        with self._lock:
            if key in self._recent:  # read just now to order the head: the top passage is read again for its answer
                return self._recent[key]
        window = encode_window(self.tokenizer, question, text, focus, max_tokens)
        if window is None:
            return None
        ids, first, p_offsets = window.ids, window.first, window.offsets
        feed = {
            "input_ids": np.array([ids], dtype=np.int64),
            "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
            "token_type_ids": np.array([window.types], dtype=np.int64),
        }
        hidden = self.session.run(None, feed)[0][0]
        logits = hidden @ self.weight.T + self.bias
        start, end = logits[:, 0], logits[:, 1]
        last = first + len(p_offsets)
        start, end, null = start[first:last], end[first:last], float(start[0] + end[0])
        i, j, score = best_span(start, end)
        starts: dict[int, float] = {}
        ends: dict[int, float] = {}
        for (a, b), s, e in zip(p_offsets, start.tolist(), end.tolist(), strict=True):
            starts[a] = max(s, starts.get(a, s))
            ends[b] = max(e, ends.get(b, e))
        result = ReaderScores(Reading(p_offsets[i][0], p_offsets[j][1], score, null), starts, ends)
        with self._lock:
            self._recent[key] = result
            while len(self._recent) > RECENT:
                self._recent.pop(next(iter(self._recent)))
        return result


def best_span(start: np.ndarray, end: np.ndarray) -> tuple[int, int, float]:
    """(first, last, score): the token pair with the highest start + end score, last - first < MAX_ANSWER_TOKENS."""
    n = len(start)
    # scores[i, k] = start[i] + end[i + k]; positions past the end are -inf
    padded = np.concatenate([end, np.full(MAX_ANSWER_TOKENS, -np.inf, dtype=end.dtype)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, MAX_ANSWER_TOKENS)[:n]
    scores = start[:, None] + windows
    i, k = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return int(i), int(i + k), float(scores[i, k])


_LOCK = threading.Lock()
_READERS: dict[Path, Reader | ReaderUnavailable] = {}


def get_reader(weights: Path = WEIGHTS) -> Reader:
    """The packaged reader, made ready once per process (the first call may export the ONNX file)."""
    with _LOCK:
        cached = _READERS.get(weights)
        if cached is None:
            try:
                from ..index.onnx_export import ExportError, ensure_onnx

                folder = model_folder(weights)
                cached = Reader(folder, ensure_onnx(folder, cache_dir=folder))
            except (ImportError, OSError, ExportError, ReaderUnavailable) as exc:
                cached = exc if isinstance(exc, ReaderUnavailable) else ReaderUnavailable(str(exc))
            _READERS[weights] = cached
    if isinstance(cached, ReaderUnavailable):
        raise cached
    return cached


def describe(weights: Path = WEIGHTS) -> dict:
    """The training record written beside the weights (questions, windows, dev exact match and F1)."""
    try:
        return json.loads(weights.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
