"""Bad questions get a clear message or a sensible answer, never a traceback: through `qa.retrieve`,
the `qa ask` command, the app's answer function and the running app's /chat API."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qa.api import retrieve
from qa.cli import main as qa_cli
from qa.web.render import render_reply
from qa.web.reply import answer

# name -> (question, what it must get: "refused" = a clear message, "answered" = passages)
BAD_QUESTIONS: dict[str, tuple[object, str]] = {
    "empty": ("", "refused"),
    "whitespace": ("   \n\t  \r\n ", "refused"),
    "only punctuation": ("?!?... ;;; --- ()[]{} «»", "refused"),
    "only emoji": ("🚀🚀🔥 👍🏽", "refused"),
    "only control characters": ("\x00\x07\x1b\x7f\u200b\u202e", "refused"),
    "10,000 characters": ("How many cruise missiles were fired? " * 270, "answered"),
    "10,000 characters, no spaces": ("x" * 10_000, "answered"),
    "control characters inside": ("How many\x00 cruise\x1b[31m missiles\x07 were fired?\r\n", "answered"),
    "Arabic": ("كم عدد صواريخ كروز التي أطلقتها السفن الحربية الروسية؟", "answered"),
    "Russian": ("Сколько крылатых ракет выпустили российские военные корабли?", "answered"),
    "Chinese": ("俄罗斯军舰发射了多少枚巡航导弹？", "answered"),
    "emoji with words": ("🚀 How many cruise missiles 🚀 did the warships fire? 🔥", "answered"),
    "lone surrogate": ("cruise missiles \ud800 fired", "answered"),
    "markup": ("<script>alert(1)</script> cruise missiles", "answered"),
    "SQL-ish": ("'; DROP TABLE articles; -- missiles", "answered"),
    "format string": ("{0} %s %(x)s {__class__} missiles", "answered"),
}
IDS = list(BAD_QUESTIONS)
CASES = [BAD_QUESTIONS[name] for name in IDS]


@pytest.mark.parametrize(("question", "expected"), CASES, ids=IDS)
def test_retrieve(hash_index, question, expected):
    if expected == "refused":
        with pytest.raises(ValueError, match=r"question (is empty|has no words)"):
            retrieve(question, index_dir=hash_index)
        return
    passages = retrieve(question, k=3, index_dir=hash_index)
    assert 1 <= len(passages) <= 3
    for p in passages:
        assert p.text and p.highlight == p.text[p.highlight_start : p.highlight_end]
    if "missiles" in str(question) and "x" * 100 not in str(question):
        assert any("missile" in p.text.lower() for p in passages)


@pytest.mark.parametrize("question", [None, 42, ["a list"], b"bytes"], ids=["None", "int", "list", "bytes"])
def test_retrieve_refuses_non_text_with_a_type_error(hash_index, question):
    with pytest.raises(TypeError, match="question must be a string"):
        retrieve(question, index_dir=hash_index)


@pytest.mark.parametrize(("question", "expected"), CASES, ids=IDS)
def test_cli_ask(hash_index, question, expected):
    question = str(question).replace("\x00", "")  # a command line cannot carry NUL
    if "\ud800" in question:
        pytest.skip("a command line cannot carry a lone surrogate")
    result = CliRunner().invoke(qa_cli, ["ask", question, "--index", str(hash_index), "--json", "-k", "3"])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if expected == "refused" or not question.strip():
        assert result.exit_code == 1
        assert "Error:" in result.output and "question" in result.output
    else:
        assert result.exit_code == 0, result.output
        assert len(json.loads(result.output)) >= 1


@pytest.mark.parametrize(("question", "expected"), CASES, ids=IDS)
def test_app_answer_and_rendering(hash_index, question, expected):
    reply = answer(question, ["an earlier \x00 question", "", "🚀"], index_dir=hash_index)
    html = render_reply(reply)
    assert html
    if expected == "refused":
        assert reply.error and not reply.passages
        assert "question" in (reply.notice or "")
    else:
        assert reply.passages and not reply.error
    assert "Traceback" not in html and "<script>" not in html


@pytest.mark.slow
def test_running_app_chat_api(app_url):
    """The same questions through the real server's /chat endpoint: every call returns, none errors."""
    from gradio_client import Client

    client = Client(app_url, download_files=False, verbose=False)
    for name, (question, expected) in BAD_QUESTIONS.items():
        if "\ud800" in str(question):
            continue  # JSON over HTTP cannot carry a lone surrogate either
        result = client.predict(question, [], 3, api_name="/chat")
        assert isinstance(result, dict), name
        if expected == "refused":
            assert result["error"] and "question" in result["notice"], (name, result)
        else:
            assert result["passages"] and not result["error"], (name, result)
