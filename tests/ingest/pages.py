"""Small realistic pages for the ingestion tests (no shared data needed)."""

from __future__ import annotations

import gzip
import io

BODY_A = (
    "The city council voted on Tuesday to close the old harbour bridge to cars from next spring. "
    "Engineers found that two of its steel supports had rusted through and could not be repaired."
)
BODY_B = (
    "A late goal from the visiting captain gave Northport a two-one win over the league leaders. "
    "The defeat ends a run of eleven matches without a loss for the home side this season."
)


def html_page(title: str, body: str, date: str | None = None, extra: str = "") -> str:
    meta = f'<meta property="article:published_time" content="{date}">' if date else ""
    paragraphs = "".join(f"<p>{s.strip()}.</p>" for s in body.split(". ") if s.strip(". "))
    return (
        f"<html><head><title>{title}</title>{meta}</head><body>"
        "<nav><ul><li>Home</li><li>News</li><li>Sport</li></ul></nav>"
        f"<article><h1>{title}</h1>{paragraphs}{extra}</article>"
        "<footer>© 2021 Harbour Gazette. All rights reserved.</footer></body></html>"
    )


def warc_bytes(records: list[tuple[str, str, bytes, str]], gzipped: bool = True) -> bytes:
    """A WARC of (type, url, payload, content type) records, each response with an HTTP header block."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzipped)
    writer.write_record(writer.create_warcinfo_record("test.warc", {"software": "tests"}))
    for rec_type, url, payload, ctype in records:
        if rec_type == "response":
            http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(payload),
                http_headers=http,
                warc_headers_dict={"WARC-Date": "2021-06-02T10:00:00Z"},
            )
        else:
            record = writer.create_warc_record(url, rec_type, payload=io.BytesIO(payload))
        writer.write_record(record)
    return out.getvalue()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)
