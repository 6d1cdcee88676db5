"""What ingestion reports: a file or record it cannot read (`IngestError`), and what it skipped (`Skipped`)."""

from __future__ import annotations

from dataclasses import dataclass


class IngestError(Exception):
    """A file that cannot be turned into articles; the message says why."""


@dataclass(frozen=True)
class Skipped:
    path: str  # the file relative to the corpus, plus ":<line>", "#<index>" or "@<record>" for one record
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"
