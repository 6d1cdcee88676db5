"""The app's API (`/chat`, `/retrieve`) through `gradio_client` against the real server (slow). Rendering is
tested in test_render.py, the reply model in test_reply.py."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from tests.helpers import ROOT

QUESTION = "How many cruise missiles did the Russian warships fire?"


def client_for(url: str, auth: tuple[str, str] | None = None):
    from gradio_client import Client

    return Client(url, auth=auth, verbose=False)


@pytest.mark.slow
def test_retrieve_endpoint_returns_passages_as_json(app_url):
    passages = client_for(app_url).predict(QUESTION, 3, api_name="/retrieve")
    assert len(passages) == 3
    best = passages[0]
    assert best["file"] == "001_777249522e6c8631.txt" and "path" not in best
    assert best["title"] == "Russian firepower backs Assad attack"
    assert "26 cruise missiles" in best["highlight"]
    assert best["text"][best["highlight_start"] : best["highlight_end"]] == best["highlight"]
    assert [p["score"] for p in passages] == sorted((p["score"] for p in passages), reverse=True)


@pytest.mark.slow
def test_retrieve_endpoint_applies_filters_and_reports_bad_input(app_url):
    client = client_for(app_url)
    passages = client.predict(question=QUESTION, k=5, sources=["Sputnik News"], api_name="/retrieve")
    assert passages and {p["source"] for p in passages} == {"Sputnik News"}
    dated = client.predict(question=QUESTION, date_from="2017-01-01", date_to="2017-12", api_name="/retrieve")
    assert dated and all("2017-01-01" <= p["published"] <= "2017-12-31" for p in dated)
    with pytest.raises(Exception, match="The question is empty"):
        client.predict(question="   ", api_name="/retrieve")


@pytest.mark.slow
def test_chat_endpoint_answers_follow_ups_and_explains_problems(app_url):
    client = client_for(app_url)
    reply = client.predict(
        "Which news agency did he speak to?",
        ["Which Russian senator said Russia will not intercept US missiles?"],
        api_name="/chat",
    )
    assert not reply["error"] and "Interfax" in reply["answer"]
    assert reply["passages"][0]["file"] == "002_b7d55dfd4cdbabc3.txt"
    empty = client.predict("", api_name="/chat")
    assert empty["error"] and empty["passages"] == [] and "empty" in empty["answer"]


def _readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- section: app -->")[1].split("<!-- /section: app -->")[0]
    return re.search(r"```python\n(.*?)```", section, re.S)[1]


@pytest.mark.slow
def test_readme_gradio_client_example_runs(app_url):
    code = _readme_example().replace("http://127.0.0.1:7860/", app_url)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    printed = out.getvalue()
    assert "Russian firepower backs Assad attack" in printed and "26 cruise missiles" in printed
    assert "Interfax" in printed


@pytest.mark.slow
def test_basic_auth_from_environment_guards_the_api(guarded_app):
    url, _corpus, auth = guarded_app
    with pytest.raises(Exception):  # noqa: B017  (gradio_client raises a plain ValueError or an HTTP error)
        client_for(url).predict(QUESTION, 1, api_name="/retrieve")
    with pytest.raises(Exception):  # noqa: B017
        client_for(url, auth=(auth[0], "wrong")).predict(QUESTION, 1, api_name="/retrieve")
    passages = client_for(url, auth=auth).predict(QUESTION, 1, api_name="/retrieve")
    assert passages[0]["title"] == "Russian firepower backs Assad attack"
