"""Upload safety without a browser: who may upload, names, zip checks, limits, and writes only inside the corpus."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from qa.web.uploads import (
    UPLOADS,
    UploadLimits,
    UploadPolicy,
    accepted_suffixes,
    is_loopback,
    safe_name,
    save_uploads,
    uploads_enabled_by_env,
)

from .articles import BAKERY, FESTIVAL, zip_bomb, zip_bytes


def tree(folder: Path) -> set[str]:
    """Every path under `folder` (files, folders, links), relative."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


@pytest.fixture
def place(tmp_path):
    """(corpus folder, folder of files to upload) inside a sandbox whose other contents must not change."""
    corpus = tmp_path / "sandbox" / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "old.txt").write_text("An old article\n\nIt was here before.\n")
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    return corpus, incoming


def upload(incoming: Path, name: str, data: bytes | str) -> Path:
    path = incoming / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_policy_needs_the_flag_and_a_sign_in_beyond_loopback(monkeypatch):
    assert "--allow-uploads" in UploadPolicy(allowed=False).refusal()
    assert UploadPolicy(allowed=True, host="127.0.0.1").refusal() is None
    assert UploadPolicy(allowed=True, host="localhost").refusal() is None
    beyond = UploadPolicy(allowed=True, host="0.0.0.0").refusal()
    assert beyond and "QA_AUTH" in beyond
    assert UploadPolicy(allowed=True, host="0.0.0.0", auth=True).refusal() is None
    assert is_loopback("::1") and not is_loopback("192.168.1.4")
    monkeypatch.setenv("QA_ALLOW_UPLOADS", "1")
    assert uploads_enabled_by_env()
    monkeypatch.setenv("QA_ALLOW_UPLOADS", "")
    assert not uploads_enabled_by_env()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Windows\\evil.txt", "evil.txt"),
        ("Café news (1).md", "Cafe-news-1.md"),
        ("...", "article"),
        (".hidden.txt", "hidden.txt"),
        ("a b\x00c.txt", "a-b-c.txt"),
    ],
)
def test_safe_name_keeps_one_plain_component(given, expected):
    assert safe_name(given) == expected


def test_article_file_is_saved_under_uploads_with_a_safe_name(place):
    corpus, incoming = place
    outcome = save_uploads([upload(incoming, "bakery.txt", BAKERY)], corpus, names=["../bakery story.txt"])
    assert outcome.saved == [f"{UPLOADS}/bakery-story.txt"] and not outcome.refused
    assert (corpus / UPLOADS / "bakery-story.txt").read_text() == BAKERY
    again = save_uploads([upload(incoming, "bakery.txt", BAKERY)], corpus, names=["bakery story.txt"])
    assert again.saved == [] and again.unchanged == [("bakery story.txt", f"{UPLOADS}/bakery-story.txt")]
    other = save_uploads([upload(incoming, "b.txt", BAKERY + "More.\n")], corpus, names=["bakery story.txt"])
    assert other.saved == [f"{UPLOADS}/bakery-story-2.txt"]  # never overwrites


def test_zip_of_articles_is_unpacked_into_its_own_folder(place):
    corpus, incoming = place
    members = {**FESTIVAL, "__MACOSX/._x.txt": "junk", "photo.jpg": b"\xff\xd8\xff"}
    outcome = save_uploads([upload(incoming, "Vardo festival.zip", zip_bytes(members))], corpus)
    assert sorted(outcome.saved) == [f"{UPLOADS}/Vardo-festival/{name}" for name in sorted(FESTIVAL)]
    assert outcome.refused == [("Vardo festival.zip: photo.jpg", pytest.approx(outcome.refused[0][1]))]
    assert "supported" in outcome.refused[0][1]


@pytest.mark.parametrize(
    ("zip_data", "message"),
    [
        (zip_bytes({"../evil.txt": "climbs out"}), "climbs out of its folder"),
        (zip_bytes({"ok.txt": "fine", "a/../../evil.txt": "climbs out"}), "climbs out of its folder"),
        (zip_bytes({"/tmp/qa-evil-absolute.txt": "absolute"}), "absolute path"),
        (zip_bytes({"ok.txt": "fine"}, symlinks={"link.txt": "/etc/passwd"}), "symbolic link"),
        (zip_bomb(), "zip bomb"),
        (b"PK\x03\x04 not really a zip", "not a readable zip"),
    ],
)
def test_hostile_zip_is_refused_whole_and_writes_nothing(place, zip_data, message):
    corpus, incoming = place
    hostile = upload(incoming, "hostile.zip", zip_data)
    before = tree(corpus.parent.parent)
    outcome = save_uploads([hostile], corpus)
    assert outcome.saved == []
    assert len(outcome.refused) == 1 and message in outcome.refused[0][1], outcome.refused
    assert tree(corpus.parent.parent) - before <= {"sandbox/corpus/uploads"}  # at most the empty folder
    assert not Path("/tmp/qa-evil-absolute.txt").exists()


def test_unsupported_type_is_refused_with_the_supported_list(place):
    corpus, incoming = place
    outcome = save_uploads([upload(incoming, "report.pdf", b"%PDF-1.4")], corpus)
    ((name, reason),) = outcome.refused
    assert name == "report.pdf" and "not read" in reason
    assert all(suffix in reason for suffix in accepted_suffixes())
    assert not (corpus / UPLOADS).exists() or not any((corpus / UPLOADS).iterdir())


def test_limits_per_file_per_upload_and_count(place):
    corpus, incoming = place
    limits = UploadLimits(max_file_bytes=1000, max_total_bytes=1500, max_files=3)
    big = upload(incoming, "big.txt", "x" * 1001)
    assert "over the" in save_uploads([big], corpus, limits).refused[0][1]
    two = [upload(incoming, f"{n}.txt", "y" * 800) for n in "ab"]
    outcome = save_uploads(two, corpus, limits)
    assert outcome.saved == [f"{UPLOADS}/a.txt"] and "limit in all" in outcome.refused[0][1]
    many = zip_bytes({f"{n}.txt": "z" for n in range(5)})
    assert "more than the 3" in save_uploads([upload(incoming, "many.zip", many)], corpus, limits).refused[0][1]
    assert "empty" in save_uploads([upload(incoming, "empty.txt", b"")], corpus, limits).refused[0][1]


def test_a_symlinked_uploads_folder_is_not_followed(place, tmp_path):
    corpus, incoming = place
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, corpus / UPLOADS)
    outcome = save_uploads([upload(incoming, "bakery.txt", BAKERY)], corpus)
    assert outcome.saved == [] and "symlink" in outcome.refused[0][1]
    assert list(outside.iterdir()) == []


def test_zip_member_lying_about_its_size_is_refused(place):
    corpus, incoming = place
    data = bytearray(zip_bytes({"a.txt": "A" * 5000}))
    # Shrink the declared size in the central directory (offset 24 of its entry): the reader must stop there.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")
    outcome = save_uploads([upload(incoming, "liar.zip", bytes(data))], corpus)
    assert outcome.saved == [] and outcome.refused
    assert not (corpus / UPLOADS / "liar").exists() or not any((corpus / UPLOADS / "liar").iterdir())
    with zipfile.ZipFile(incoming / "liar.zip") as zf:
        assert zf.infolist()[0].file_size == 100


def test_gzip_articles_are_accepted_only_around_a_readable_format(place):
    corpus, incoming = place
    import gzip

    good = upload(incoming, "crawl.warc.gz", gzip.compress(b"WARC/1.0\r\n"))
    bad = upload(incoming, "tool.exe.gz", gzip.compress(b"MZ"))
    outcome = save_uploads([good, bad], corpus)
    assert outcome.saved == [f"{UPLOADS}/crawl.warc.gz"]
    assert outcome.refused[0][0] == "tool.exe.gz" and ".warc.gz" in outcome.refused[0][1]


def test_launch_turns_uploads_off_beyond_loopback_without_sign_in(tmp_path, monkeypatch):
    from qa.web.app import build_app, launch

    monkeypatch.delenv("QA_ALLOW_UPLOADS", raising=False)
    assert build_app(tmp_path, tmp_path / "index").upload_policy.refusal() is not None  # off by default
    demo = build_app(tmp_path, tmp_path / "index", allow_uploads=True)
    launched = {}
    monkeypatch.setattr(demo, "launch", lambda **kwargs: launched.update(kwargs))
    launch(demo, host="0.0.0.0", port=1)
    assert "QA_AUTH" in demo.upload_policy.refusal()
    assert launched["max_file_size"] == UploadLimits().max_total_bytes
    launch(demo, host="0.0.0.0", port=1, auth=("user", "secret"))
    assert demo.upload_policy.refusal() is None
    launch(demo, host="127.0.0.1", port=1)
    assert demo.upload_policy.refusal() is None
