"""Index faults: a damaged, missing, foreign or unwritable index gives a clear message with the rebuild
command (through `qa.retrieve`, `qa ask` and the app), and a build that cannot finish leaves the
previous index served and answering."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.api import retrieve
from qa.cli import main as qa_cli
from qa.index.build import build_index
from qa.index.store import IndexStoreError, load_index
from qa.web.reply import answer
from tests.helpers import SAMPLE_CORPUS, as_unprivileged, build_hash_index, copy_index

QUESTION = "How many cruise missiles did the Russian warships fire?"


def _current(index: Path) -> Path:
    return (index / "current").resolve()


def _truncate_faiss(index: Path) -> None:
    path = _current(index) / "dense.faiss"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


def _garble_faiss(index: Path) -> None:
    path = _current(index) / "dense.faiss"
    data = bytearray(path.read_bytes())
    data[: len(data) // 2] = bytes(i * 37 % 251 for i in range(len(data) // 2))
    path.write_bytes(bytes(data))


def _empty_faiss(index: Path) -> None:
    (_current(index) / "dense.faiss").write_bytes(b"")


def _remove(name: str) -> Callable[[Path], None]:
    def remove(index: Path) -> None:
        target = _current(index) / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()

    return remove


def _truncate_text(index: Path) -> None:
    (_current(index) / "articles.jsonl").write_text('{"article_id": "cut', encoding="utf-8")


def _edit_manifest(**changes: object) -> Callable[[Path], None]:
    def edit(index: Path) -> None:
        path = _current(index) / "manifest.json"
        manifest = json.loads(path.read_text())
        manifest.update(changes)
        path.write_text(json.dumps(manifest))

    return edit


def _garble_manifest(index: Path) -> None:
    (_current(index) / "manifest.json").write_text("{not json", encoding="utf-8")


def _dangling_current(index: Path) -> None:
    shutil.rmtree(_current(index))


FAULTS: dict[str, Callable[[Path], None]] = {
    "truncated FAISS file": _truncate_faiss,
    "corrupted FAISS file": _garble_faiss,
    "empty FAISS file": _empty_faiss,
    "missing FAISS file": _remove("dense.faiss"),
    "missing metadata file": _remove("articles.jsonl"),
    "truncated metadata file": _truncate_text,
    "missing chunk table": _remove("chunks.npy"),
    "missing lexical index": _remove("lexical"),
    "missing manifest": _remove("manifest.json"),
    "unreadable manifest": _garble_manifest,
    "manifest of another format version": _edit_manifest(format_version=99),
    "manifest of another model": _edit_manifest(model="some-other-model"),
    "manifest of another dimension": _edit_manifest(dimension=768),
    "current link to a deleted version": _dangling_current,
}


@pytest.fixture
def damaged(request, tmp_path, hash_index) -> Path:
    index = copy_index(hash_index, tmp_path / "index")
    FAULTS[request.param](index)
    return index


@pytest.mark.parametrize("damaged", list(FAULTS), indirect=True)
def test_damaged_index_gives_a_clear_message_and_the_way_out(damaged):
    with pytest.raises(IndexStoreError) as caught:
        retrieve(QUESTION, index_dir=damaged)
    assert "qa build" in str(caught.value)

    result = CliRunner().invoke(qa_cli, ["ask", QUESTION, "--index", str(damaged)])
    assert result.exit_code == 1, result.output
    assert "Error:" in result.output and "qa build" in result.output
    assert "Traceback" not in result.output

    reply = answer(QUESTION, index_dir=damaged)
    assert reply.error and not reply.passages
    assert "qa build" in (reply.notice or "") or "Rebuild index" in (reply.notice or "")


@pytest.mark.parametrize("damaged", ["truncated FAISS file", "manifest of another model"], indirect=True)
def test_rebuilding_a_damaged_index_fixes_it(damaged):
    build_hash_index(SAMPLE_CORPUS, damaged, full=True)
    assert "cruise missiles" in retrieve(QUESTION, index_dir=damaged)[0].text


def test_configured_model_differs_from_the_index(hash_index, tmp_path):
    index = copy_index(hash_index, tmp_path / "index")
    with pytest.raises(IndexStoreError, match="qa build"):
        load_index(index, expected_model="all-MiniLM-L6-v2-int8")


def _answers(index: Path) -> bool:
    return "cruise missiles" in retrieve(QUESTION, index_dir=index)[0].text


@pytest.mark.slow
def test_read_only_index_folder(sample_index, tmp_path):
    """A build into a folder it cannot write fails with a clear message; the index there still answers."""
    index = copy_index(sample_index, tmp_path / "index")
    before = os.readlink(index / "current")
    for path in (index, index / "versions"):
        path.chmod(0o555)
    try:
        command = [sys.executable, "-m", "qa.cli", "build", "--corpus", str(SAMPLE_CORPUS), "--index", str(index)]
        done = subprocess.run(as_unprivileged(command), capture_output=True, text=True, timeout=600)
    finally:
        for path in (index, index / "versions"):
            path.chmod(0o755)
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: permissions do not apply")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Error:" in done.stderr and "Permission denied" in done.stderr
    assert "Traceback" not in done.stderr
    assert os.readlink(index / "current") == before
    assert _answers(index)


def _bigger_corpus(tmp_path: Path) -> Path:
    corpus = Path(shutil.copytree(SAMPLE_CORPUS, tmp_path / "corpus"))
    for i in range(40):
        (corpus / f"extra-{i}.txt").write_text(
            f"Dock workers strike number {i}\n\n"
            + f"Dock workers at port {i} went on strike over pay on Monday, union leaders said. " * 40,
            encoding="utf-8",
        )
    return corpus


@pytest.fixture
def small_disk(tmp_path, sample_index) -> Path:
    """A folder on a real 300 KB tmpfs holding a copy of the sample index: room for it, not for a bigger one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.decode().strip()}); see the fault-injection test")
    try:
        yield copy_index(sample_index, mount / "index")
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
def test_full_disk_during_a_build_keeps_the_previous_index(small_disk, tmp_path, embedder):
    index = small_disk
    before = os.readlink(index / "current")
    corpus = _bigger_corpus(tmp_path)
    with pytest.raises(OSError, match="No space left"):
        build_index(corpus, index, embedder=embedder, full=True)
    assert os.readlink(index / "current") == before
    assert not list((index / "versions").glob(".tmp-*")), "the partial build was not cleaned up"
    assert _answers(index)
    result = CliRunner().invoke(qa_cli, ["build", "--corpus", str(corpus), "--index", str(index), "--full"])
    assert result.exit_code == 1 and "No space left" in result.output, result.output
    assert "Traceback" not in result.output
    assert _answers(index)


@pytest.mark.slow
def test_write_error_during_a_build_keeps_the_previous_index(sample_index, tmp_path, embedder, monkeypatch):
    """Fault injection where no tmpfs can be mounted: the FAISS write fails with ENOSPC."""
    import errno

    import faiss

    index = copy_index(sample_index, tmp_path / "index")
    before = os.readlink(index / "current")

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(faiss, "write_index", no_space)
    with pytest.raises(OSError, match="No space left"):
        build_index(SAMPLE_CORPUS, index, embedder=embedder, full=True)
    assert os.readlink(index / "current") == before
    assert not list((index / "versions").glob(".tmp-*"))
    result = CliRunner().invoke(qa_cli, ["build", "--corpus", str(SAMPLE_CORPUS), "--index", str(index), "--full"])
    assert result.exit_code == 1 and "No space left" in result.output, result.output
    monkeypatch.undo()
    assert _answers(index)
