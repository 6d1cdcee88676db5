"""Load and rebuild-while-serving against the real app (`qa serve` on 127.0.0.1): 50 concurrent clients get
correct answers with no error, and a CLI rebuild during questions swaps the index without a failed request.

Latency figures are printed (run with -s), never asserted."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import GLACIER_ARTICLE as NEW_ARTICLE
from tests.helpers import GLACIER_QUESTION as NEW_QUESTION
from tests.helpers import ROOT, SAMPLE_CORPUS, copy_index, running_app

CLIENTS = 50
LOAD_SECONDS = 20
QUESTIONS = [  # (question, words its best passage must contain)
    ("How many cruise missiles did the Russian warships fire?", "cruise missiles"),
    ("Which Russian senator said Russia will not intercept US missiles?", "Ozerov"),
    ("Are Syrian forces using Russian-built drones?", "drones"),
    ("What did Dmitry Peskov say about the military communication channel?", "Peskov"),
]


@pytest.fixture(scope="module")
def own_app(tmp_path_factory, sample_index) -> Iterator[tuple[str, Path, Path]]:
    """(URL, corpus, index) of a real app of its own: these tests rebuild its index."""
    root = tmp_path_factory.mktemp("load-app")
    corpus = Path(shutil.copytree(SAMPLE_CORPUS, root / "corpus"))
    index = copy_index(sample_index, root / "index")
    with running_app(corpus, index) as url:
        yield url, corpus, index


# gradio_client's plain HTTP calls (joining the queue, fetching the config) use httpx's 5 s default, which a
# browser does not have: with 50 clients on a 2-core AVX2 machine (~4 answers/s, answers after 9-14 s) the join
# itself timed out. The server must answer every question correctly; how long a client waits is not asserted.
CLIENT_TIMEOUT_S = 120


def _client(url: str):
    from gradio_client import Client

    return Client(url, download_files=False, verbose=False, httpx_kwargs={"timeout": CLIENT_TIMEOUT_S})


def _ask(client, question: str) -> dict:
    return client.predict(question, [], 3, api_name="/chat")


def _hammer(url: str, seconds: float, clients: int, record: list, stop: threading.Event | None = None) -> None:
    """`clients` threads, each with its own client, asking questions in turn until time is up (or `stop`)."""
    deadline = time.monotonic() + seconds

    def worker(n: int) -> None:
        client = _client(url)
        i = n
        while time.monotonic() < deadline and not (stop and stop.is_set()):
            question, expected = QUESTIONS[i % len(QUESTIONS)]
            started = time.monotonic()
            try:
                result = _ask(client, question)
                ok = not result["error"] and expected in result["passages"][0]["text"]
                record.append((time.monotonic() - started, ok, None if ok else str(result)[:300]))
            except Exception as exc:  # counted, reported below
                record.append((time.monotonic() - started, False, f"{type(exc).__name__}: {exc}"))
            i += 1

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))


@pytest.mark.slow
def test_fifty_concurrent_clients_get_correct_answers(own_app):
    url, _corpus, _index = own_app
    record: list[tuple[float, bool, str | None]] = []
    _hammer(url, LOAD_SECONDS, CLIENTS, record)
    latencies = np.array([r[0] for r in record])
    errors = [r[2] for r in record if not r[1]]
    print(
        f"\nload: {CLIENTS} clients for {LOAD_SECONDS} s: {len(record)} answers, {len(errors)} errors, "
        f"{len(record) / LOAD_SECONDS:.1f} answers/s, latency p50 {np.percentile(latencies, 50):.2f} s, "
        f"p95 {np.percentile(latencies, 95):.2f} s, max {latencies.max():.2f} s"
    )
    assert len(record) >= CLIENTS
    assert not errors, errors[:5]


@pytest.mark.slow
def test_rebuild_while_serving_loses_no_request(own_app):
    url, corpus, index = own_app
    (corpus / "glacier-museum.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    client = _client(url)
    question, expected = NEW_QUESTION
    assert expected not in str(_ask(client, question)["passages"][:1])  # the old index does not know it
    record: list[tuple[float, bool, str | None]] = []
    stop = threading.Event()
    askers = threading.Thread(target=_hammer, args=(url, 600, 8, record, stop))
    askers.start()
    try:
        command = [sys.executable, "-m", "qa.cli", "build", "--corpus", str(corpus), "--index", str(index)]
        built = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
        time.sleep(2)  # questions keep coming after the swap
    finally:
        stop.set()
        askers.join()
    assert built.returncode == 0, built.stderr[-2000:]
    errors = [r[2] for r in record if not r[1]]
    print(f"\nrebuild while serving: {len(record)} answers during the rebuild, {len(errors)} errors")
    assert record and not errors, errors[:5]
    result = _ask(client, question)
    assert expected in result["passages"][0]["text"], result
