"""Small articles the web tests upload: one stand-alone, three from different months about the same festival."""

from __future__ import annotations

import io
import zipfile

BAKERY = (
    "Longyearbyen bakery sells the northernmost cinnamon buns in the world\n\n"
    "From – Svalbard Posten\n\n"
    "February 6, 2019\n\n"
    "The Fruene bakery in Longyearbyen bakes cinnamon buns every morning for miners and polar researchers.\n"
    "Its baker, Ingrid Solstad, says the secret is cardamom flown in from Tromso every second week.\n"
    "The bakery sold 31,000 cinnamon buns last winter, more than ten for every inhabitant of the town.\n"
)
BAKERY_TITLE = "Longyearbyen bakery sells the northernmost cinnamon buns in the world"

FESTIVAL = {
    "festival-january.txt": (
        "Vardo harbour festival draws a record crowd of visitors\n\n"
        "From – Finnmark Dagblad\n\n"
        "January 19, 2019\n\n"
        "The Vardo harbour festival drew a record crowd: 4,200 visitors came to the harbour festival this winter.\n"
        "Visitors to the harbour festival watched fishing boats decorated with lanterns sail past the fortress.\n"
        "Organisers said the festival had never had so many visitors in January.\n"
    ),
    "festival-march.txt": (
        "Rowing race on a frozen morning in Vardo\n\n"
        "From – Finnmark Dagblad\n\n"
        "March 16, 2019\n\n"
        "About 1,800 people came to the spring edition of the event in Vardo, where fishermen raced rowing "
        "boats across the harbour before breakfast.\n"
        "The winning crew, three brothers from Kiberg, crossed the harbour in four minutes.\n"
    ),
    "festival-may.txt": (
        "Storm ends the Vardo harbour festival early\n\n"
        "From – Finnmark Dagblad\n\n"
        "May 11, 2019\n\n"
        "A storm from the Barents Sea ended the Vardo harbour festival a day early.\n"
        "Around 900 visitors left before the final concert, and the fishing boats stayed tied up in the harbour.\n"
    ),
}
MARCH_TITLE = "Rowing race on a frozen morning in Vardo"
MARCH_QUESTION = "How many visitors came to the Vardo harbour festival in March 2019?"


def zip_bytes(members: dict[str, bytes | str], *, symlinks: dict[str, str] | None = None) -> bytes:
    """A zip holding `members` (name -> content) and optional symlink entries (name -> target)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16) | 0x20
            zf.writestr(info, target)
    return out.getvalue()


def zip_bomb() -> bytes:
    """A small zip whose one member unpacks to 15 MB of zeros (a ratio of about 1000)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.txt", b"0" * (15 * 2**20))
    return out.getvalue()
