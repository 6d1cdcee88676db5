"""Adding articles from the page, safely: who may upload, what is accepted, and where it is written.

Uploaded files are saved into `<corpus>/uploads/` under made-safe names and nowhere else: every target is
resolved and checked to lie inside the corpus folder, written under a hidden temporary name (the build skips
hidden files) and renamed into place, and never overwrites a file. A `.zip` is opened only after every member
has been checked: one member with a `../` or absolute path, a symlink, encryption, a compression ratio that
explodes (a zip bomb) or a total past the limits refuses the whole zip, with the reason. Plain Python, no
Gradio: the page (`qa.web.library_tab`) calls `save_uploads` and then the incremental build.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import stat
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..ingest.files import SUFFIXES

UPLOADS = "uploads"  # the corpus subfolder that uploads go to
ZIP = ".zip"
MAX_NAME_CHARS = 100
_CHUNK = 1 << 16


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name) or default)
    except ValueError:
        return default


@dataclass(frozen=True)
class UploadLimits:
    """How much one upload may bring: per file, in all (zip members unpacked), and how many files."""

    max_file_bytes: int = field(default_factory=lambda: _env_int("QA_UPLOAD_MAX_FILE_MB", 20) * 2**20)
    max_total_bytes: int = field(default_factory=lambda: _env_int("QA_UPLOAD_MAX_TOTAL_MB", 100) * 2**20)
    max_files: int = field(default_factory=lambda: _env_int("QA_UPLOAD_MAX_FILES", 500))
    max_zip_ratio: int = 100  # uncompressed / compressed size of a zip member; text rarely passes 20


GZ = ".gz"


def article_suffixes() -> tuple[str, ...]:
    """The file endings the build reads (taken from the ingest layer, so new formats appear by themselves);
    when it reads gzip, each of them may also end in `.gz`."""
    return tuple(sorted(s for s in SUFFIXES if s != GZ))


def accepted_suffixes() -> tuple[str, ...]:
    """What may be uploaded: the article formats and `.zip` archives of them."""
    return (*article_suffixes(), ZIP)


def accepted_list(with_zip: bool = True) -> str:
    text = ", ".join(article_suffixes())
    if GZ in SUFFIXES:
        text += ", each also gzip-compressed (.gz, e.g. .warc.gz)"
    return text + (", and .zip of them" if with_zip else "")


def _suffix_of(name: str, suffixes: Iterable[str]) -> str | None:
    lower = name.lower()
    return next((s for s in sorted(suffixes, key=len, reverse=True) if lower.endswith(s)), None)


def article_suffix(name: str) -> str | None:
    """The article format of file `name` (".txt", ".warc.gz", ...), or None when the build does not read it."""
    lower = name.lower()
    gz = lower.endswith(GZ) and GZ in SUFFIXES
    suffix = _suffix_of(lower[: -len(GZ)] if gz else lower, article_suffixes())
    return None if suffix is None else suffix + (GZ if gz else "")


def upload_suffix(name: str) -> str | None:
    """What an uploaded file is: ".zip", an article format, or None (refused)."""
    return ZIP if name.lower().endswith(ZIP) else article_suffix(name)


# --- who may upload ------------------------------------------------------------------------------------


def uploads_enabled_by_env() -> bool:
    return os.environ.get("QA_ALLOW_UPLOADS", "").strip().lower() in ("1", "true", "yes", "on")


def is_loopback(host: str | None) -> bool:
    host = (host or "").strip().strip("[]")
    if host in ("", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class UploadPolicy:
    """Whether this server accepts uploads. `launch` fills in where it listens and whether sign-in is on."""

    allowed: bool = False  # --allow-uploads or QA_ALLOW_UPLOADS=1
    host: str = "127.0.0.1"
    auth: bool = False

    def refusal(self) -> str | None:
        """Why uploads are off, or None when they are on."""
        if not self.allowed:
            return (
                "Adding articles from the page is off. Start the server with --allow-uploads "
                "(or QA_ALLOW_UPLOADS=1) to turn it on."
            )
        if not is_loopback(self.host) and not self.auth:
            return (
                f"Adding articles is off: this server listens on {self.host} without a sign-in. "
                'Set QA_AUTH="user:password" to turn it on for other machines.'
            )
        return None


# --- names ---------------------------------------------------------------------------------------------


def safe_name(name: str, default: str = "article") -> str:
    """A file name that is safe on any file system: the last path component, letters, digits, `._-` only."""
    base = re.split(r"[\\/]", str(name))[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-_ .")
    base = re.sub(r"-{2,}", "-", base)
    stem, suffix = _split_suffix(base)
    stem = stem.strip("-_ .")
    base = f"{stem}{suffix}" if stem else ""
    if not base or set(base) <= {"."}:
        base = default
    if len(base) > MAX_NAME_CHARS:
        suffix = upload_suffix(base) or ""
        base = base[: MAX_NAME_CHARS - len(suffix)].rstrip("-_.") + suffix
    return base


# --- the outcome ---------------------------------------------------------------------------------------


@dataclass
class UploadOutcome:
    """What happened to each uploaded file: saved (corpus-relative paths) or refused/skipped with why."""

    saved: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (uploaded name, reason)
    unchanged: list[tuple[str, str]] = field(default_factory=list)  # (uploaded name, the identical file)

    def refuse(self, name: str, reason: str) -> None:
        self.refused.append((name, reason))


class UploadRefused(ValueError):
    """A whole upload (or a whole zip) that is not accepted; the message says why."""


# --- writing inside the corpus only --------------------------------------------------------------------


class CorpusWriter:
    """Writes new files under `<corpus>/uploads/`, checking every target stays inside the corpus folder."""

    def __init__(self, corpus_dir: Path) -> None:
        self.corpus = Path(corpus_dir).resolve(strict=True)
        self.root = self.corpus / UPLOADS

    def _inside(self, path: Path) -> Path:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.corpus) or resolved == self.corpus:
            raise UploadRefused(f"{path.name}: the target would lie outside the corpus folder")
        return resolved

    def folder(self, *parts: str) -> Path:
        """`uploads/<parts>`, created if needed; a symlink anywhere on the way is refused."""
        folder = self.root
        for part in ("", *parts):
            folder = folder / part if part else folder
            if folder.is_symlink():
                raise UploadRefused(f"{folder.relative_to(self.corpus)} is a symlink: uploads will not follow it")
            self._inside(folder)
            folder.mkdir(exist_ok=True)
            if not folder.is_dir():
                raise UploadRefused(f"{folder.relative_to(self.corpus)} exists and is not a folder")
        return folder

    def write(self, folder: Path, name: str, data: bytes) -> tuple[str, bool]:
        """Save `data` as `folder/name` (or `name-2`, `-3`... when taken). (corpus-relative path, is new).

        An identical file already there is not written again.
        """
        stem, suffix = _split_suffix(name)
        digest = hashlib.sha256(data).digest()
        for n in range(1, 1000):
            target = folder / (name if n == 1 else f"{stem}-{n}{suffix}")
            self._inside(target.parent)
            if target.is_symlink():
                continue
            if target.exists():
                if target.is_file() and hashlib.sha256(target.read_bytes()).digest() == digest:
                    return target.relative_to(self.corpus).as_posix(), False
                continue
            tmp = folder / f".{target.name}.part-{os.getpid()}"
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(tmp, flags, 0o644)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                if target.exists() or target.is_symlink():  # taken meanwhile
                    tmp.unlink()
                    continue
                os.rename(tmp, target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            return target.relative_to(self.corpus).as_posix(), True
        raise UploadRefused(f"{name}: too many files with this name already")


def _split_suffix(name: str) -> tuple[str, str]:
    suffix = upload_suffix(name) or Path(name).suffix
    return name[: len(name) - len(suffix)], suffix


# --- checking and unpacking ----------------------------------------------------------------------------


def _is_symlink_member(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return stat.S_ISLNK(mode)


def _member_parts(name: str) -> list[str]:
    return [p for p in re.split(r"[\\/]", name) if p not in ("", ".")]


def check_zip(zf: zipfile.ZipFile, limits: UploadLimits, budget_bytes: int) -> list[zipfile.ZipInfo]:
    """The members to unpack, after checking them all; any hostile member raises `UploadRefused`."""
    infos = zf.infolist()
    if len(infos) > limits.max_files:
        raise UploadRefused(f"it holds {len(infos)} files, more than the {limits.max_files} allowed in one upload")
    total = 0
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
            raise UploadRefused(f"it holds a file with an absolute path ({name!r})")
        if ".." in re.split(r"[\\/]", name):
            raise UploadRefused(f"it holds a file whose path climbs out of its folder ({name!r})")
        if _is_symlink_member(info):
            raise UploadRefused(f"it holds a symbolic link ({name!r})")
        if info.flag_bits & 0x1:
            raise UploadRefused(f"it holds an encrypted file ({name!r})")
        if info.is_dir():
            continue
        if info.file_size > limits.max_zip_ratio * max(info.compress_size, 1) and info.file_size > 1 << 20:
            raise UploadRefused(
                f"{name!r} would unpack {info.file_size // max(info.compress_size, 1):,} times larger than it is "
                "packed (a zip bomb?)"
            )
        if info.file_size > limits.max_file_bytes:
            raise UploadRefused(
                f"{name!r} unpacks to {_mb(info.file_size)}, over the {_mb(limits.max_file_bytes)} limit"
            )
        total += info.file_size
        if total > budget_bytes:
            raise UploadRefused(f"it unpacks to more than the {_mb(limits.max_total_bytes)} allowed in one upload")
    return [i for i in infos if not i.is_dir()]


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, never more than its declared size (a lying header is a refused zip)."""
    out = bytearray()
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                out += chunk
                if len(out) > info.file_size:
                    raise UploadRefused(f"{info.filename!r} unpacks to more than its header says (a zip bomb?)")
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, RuntimeError) as exc:
        raise UploadRefused(f"{info.filename!r} cannot be unpacked: the zip is damaged ({exc})") from None
    return bytes(out)


def save_uploads(
    files: Iterable[Path | str], corpus_dir: Path, limits: UploadLimits | None = None, *, names: list[str] | None = None
) -> UploadOutcome:
    """Check and save uploaded files (article files or zips of them) into `<corpus>/uploads/`.

    `names` are the names the user gave the files (default: each file's own name). Returns what was saved
    and what was refused and why; a refused file writes nothing.
    """
    limits = limits or UploadLimits()
    paths = [Path(f) for f in files]
    names = names or [p.name for p in paths]
    outcome = UploadOutcome()
    if len(paths) > limits.max_files:
        raise UploadRefused(f"{len(paths)} files at once: at most {limits.max_files} per upload")
    writer = CorpusWriter(corpus_dir)
    budget = limits.max_total_bytes
    accepted = accepted_list()
    for path, name in zip(paths, names, strict=True):
        try:
            size = path.stat().st_size
            suffix = upload_suffix(name)
            if suffix is None:
                raise UploadRefused(f"this type of file is not read; supported: {accepted}")
            if size > (limits.max_total_bytes if suffix == ZIP else limits.max_file_bytes):
                limit = limits.max_total_bytes if suffix == ZIP else limits.max_file_bytes
                raise UploadRefused(f"it is {_mb(size)}, over the {_mb(limit)} limit")
            if size == 0:
                raise UploadRefused("it is empty")
            if suffix == ZIP:
                budget -= _save_zip(path, name, writer, limits, budget, outcome)
            else:
                if size > budget:
                    raise UploadRefused(f"the upload is over the {_mb(limits.max_total_bytes)} limit in all")
                rel, new = writer.write(writer.folder(), safe_name(name), path.read_bytes())
                budget -= size
                (outcome.saved.append(rel) if new else outcome.unchanged.append((name, rel)))
        except UploadRefused as exc:
            outcome.refuse(name, str(exc))
        except OSError as exc:
            outcome.refuse(name, f"it could not be saved ({exc.strerror or type(exc).__name__})")
    return outcome


def _save_zip(
    path: Path, name: str, writer: CorpusWriter, limits: UploadLimits, budget: int, outcome: UploadOutcome
) -> int:
    """Unpack a checked zip into `uploads/<zip name>/`; returns the bytes written."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadRefused(f"it is not a readable zip ({exc})") from None
    with zf:
        members = check_zip(zf, limits, budget)
        supported = accepted_list(with_zip=False)
        wanted = []
        for info in members:
            parts = _member_parts(info.filename)
            label = f"{name}: {info.filename}"
            if any(p.startswith(".") or p == "__MACOSX" for p in parts):
                continue  # hidden files and macOS resource forks: not articles, not worth a line
            if article_suffix(parts[-1]) is None:
                outcome.refuse(label, f"this type of file is not read; supported: {supported}")
                continue
            wanted.append((info, parts, label))
        if not wanted:
            raise UploadRefused(f"it holds no article files; supported inside a zip: {supported}")
        data = [(info, parts, label, _read_member(zf, info)) for info, parts, label in wanted]  # all read first
    folder_name = safe_name(_split_suffix(name)[0], default="zip")
    written = 0
    for _info, parts, label, content in data:
        folder = writer.folder(folder_name, *(safe_name(p, default="folder") for p in parts[:-1]))
        rel, new = writer.write(folder, safe_name(parts[-1]), content)
        written += len(content)
        (outcome.saved.append(rel) if new else outcome.unchanged.append((label, rel)))
    return written


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size < 10 * 2**20 else f"{size // 2**20} MB"
