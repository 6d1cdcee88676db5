"""Security: article content never becomes markup or script in the page; no input reaches files outside
the configured corpus; the server binds 127.0.0.1 by default; no absolute paths leak into the page."""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

from qa.records import Passage
from qa.web.render import render_card, render_question, render_reply
from qa.web.reply import Reply, answer
from tests.helpers import ROOT, copy_index

# Each vector goes into every field that comes from an article (title, publisher, text, answer, path, URL).
VECTORS = [
    "<script>window.__xss=1</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "<iframe src='https://evil.example/'></iframe>",
    "<svg onload=alert(1)><circle/></svg>",
    '" onmouseover="alert(1)" x="',
    "' onfocus='alert(1)' autofocus '",
    "<object data=evil.swf></object><embed src=evil.swf>",
    "<style>body{display:none}</style><link rel=stylesheet href=//evil.example/x.css>",
    "<base href='//evil.example/'><meta http-equiv=refresh content='0;url=//evil.example'>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "</div></details><script>alert(1)</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
]
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "style", "link", "base", "meta", "svg", "math", "img", "form"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def _check_inert(html: str) -> None:
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in DANGEROUS_TAGS, (tag, html[:500])
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                assert (value or "").strip().lower().startswith(("https://", "http://")), (tag, name, value)


def _passage(payload: str, url: str | None) -> Passage:
    text = f"Before {payload} the answer sentence {payload}. After {payload}."
    start = text.index("the answer")
    return Passage(
        text=text,
        score=0.5,
        title=f"Title {payload}",
        source=f"Source {payload}",
        published=f"2017-04-10{payload}",
        path=f"dir/{payload}.txt",
        article_id=f"id{payload}",
        chunk_id=0,
        highlight=text[start : text.index(".", start) + 1],
        highlight_start=start,
        highlight_end=text.index(".", start) + 1,
        url=url,
        also_in=[f"Other {payload}"],
    )


@pytest.mark.parametrize("payload", VECTORS)
@pytest.mark.parametrize("url", [None, "javascript:alert(1)", "https://example.com/a?b=<script>"], ids=str)
def test_rendering_keeps_article_content_inert(payload, url):
    passage = _passage(payload, url if url != "javascript:alert(1)" else payload if "javascript" in payload else url)
    long = _passage(payload * 40, url)  # the collapsed "whole passage" form
    article = f"Article text {payload} " * 5 + passage.text
    passage.start, passage.end = article.index(passage.text), article.index(passage.text) + len(passage.text)
    reply = Reply(question=payload, passages=[passage, long], articles={passage.article_id: article})
    for html in (render_reply(reply), render_card(1, passage, article), render_question(payload, payload)):
        _check_inert(html)
    _check_inert(render_reply(Reply(question=payload, notice=f"Nothing for {payload}", error=True)))


@pytest.mark.parametrize(
    "attack",
    [
        {"sources": ["../../../../etc/passwd"]},
        {"date_from": "../../../../etc/passwd"},
        {"question": "../../../../../../etc/passwd"},
        {"question": "file:///etc/passwd"},
        {"history": ["/etc/passwd", "../../../.."]},
    ],
    ids=lambda a: next(iter(a)),
)
def test_no_input_reads_files_outside_the_index(hash_index, attack):
    question = attack.pop("question", "How many cruise missiles were fired?")
    reply = answer(question, attack.pop("history", None), attack, index_dir=hash_index)
    assert "root:" not in json.dumps(reply.__dict__, default=str)


def _get(url: str, data: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


@pytest.mark.slow
@pytest.mark.parametrize(
    "route",
    [
        "gradio_api/file=/etc/passwd",
        "gradio_api/file=../../../../etc/passwd",
        "file=/etc/passwd",
        "gradio_api/file=" + str(ROOT / "pyproject.toml"),
        "gradio_api/file=%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "static/../../../../etc/passwd",
        "assets/..%2f..%2f..%2f..%2fetc/passwd",
    ],
)
def test_server_serves_no_file_outside_its_assets(app_url, route):
    status, body = _get(app_url + route)
    assert "root:x:0" not in body and "[project]" not in body, (status, body[:200])


@pytest.mark.slow
def test_rebuild_action_takes_no_input(app_url):
    """The page's rebuild event has no inputs: it can only rebuild the configured corpus into the configured index."""
    _status, body = _get(app_url + "config")
    config = json.loads(body)
    by_id = {c["id"]: c for c in config["components"]}
    rebuild_buttons = [c["id"] for c in config["components"] if c.get("props", {}).get("value") == "Rebuild index"]
    assert rebuild_buttons
    rebuild_events = [d for d in config["dependencies"] if any(t[0] in rebuild_buttons for t in d["targets"])]
    assert rebuild_events and all(d["inputs"] == [] for d in rebuild_events)
    # No input component is a path picker; the one file input is the Library's upload box (files the browser
    # sends, checked and saved under <corpus>/uploads/ by qa.web.uploads, and only when uploads are allowed).
    for dependency in config["dependencies"]:
        for component_id in dependency["inputs"]:
            component = by_id[component_id]
            assert component["type"] not in ("fileexplorer", "uploadbutton", "image")
            if component["type"] == "file":
                assert component["props"].get("elem_id") == "upload-files"
                assert component["props"].get("visible") is False  # this app was not started with uploads on


@pytest.mark.slow
def test_no_absolute_path_leaks_into_the_page_or_the_api(app_url, sample_index):
    from gradio_client import Client

    private = [str(ROOT), str(sample_index.parent.parent), "/tmp/", "/root", "/home/"]
    pages = [_get(app_url + route)[1] for route in ("", "config", "gradio_api/info")]
    client = Client(app_url, download_files=False, verbose=False)
    pages.append(json.dumps(client.predict("How many cruise missiles were fired?", [], 5, api_name="/chat")))
    pages.append(json.dumps(client.predict("", [], 5, api_name="/chat")))
    pages.append(json.dumps(client.predict("How many cruise missiles were fired?", 5, api_name="/retrieve")))
    for text in pages:
        for secret in private:
            assert secret not in text, (secret, text[max(0, text.find(secret) - 200) : text.find(secret) + 200])


@pytest.mark.parametrize("fault", ["missing", "damaged"])
def test_index_notices_name_no_absolute_path(tmp_path, hash_index, monkeypatch, fault):
    monkeypatch.chdir(tmp_path)
    index = tmp_path / "index"
    if fault == "damaged":
        copy_index(hash_index, index)
        (index / "current" / "dense.faiss").write_bytes(b"broken")
    reply = answer("How many cruise missiles were fired?", corpus_dir=tmp_path / "corpus", index_dir=index)
    assert reply.error and "qa build" in reply.notice
    assert str(tmp_path) not in reply.notice, reply.notice


def test_server_binds_loopback_by_default():
    import inspect

    from qa.cli import serve, serve_app
    from qa.web.app import launch

    host = next(p for p in serve.params if p.name == "host")
    assert host.default == "127.0.0.1"
    assert inspect.signature(serve_app).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(launch).parameters["host"].default == "127.0.0.1"
    assert "HOST ?= 127.0.0.1" in (ROOT / "Makefile").read_text()


def _outside_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout.split()
    except OSError:
        return None
    return next((a for a in out if "." in a and not a.startswith("127.")), None)


@pytest.mark.slow
def test_app_is_not_reachable_from_other_interfaces(app_url):
    address = _outside_address()
    if not address:
        pytest.skip("this machine has no non-loopback address")
    port = int(app_url.rstrip("/").rsplit(":", 1)[1])
    with socket.socket() as sock, pytest.raises(OSError):
        sock.settimeout(3)
        sock.connect((address, port))


def test_passwords_are_not_in_the_source_tree():
    for path in [*ROOT.joinpath("qa").rglob("*.py"), ROOT / "app.py", ROOT / "Makefile"]:
        text = Path(path).read_text(encoding="utf-8", errors="replace").lower()
        assert "password=" not in text.replace(" ", "") or "environ" in text, path
