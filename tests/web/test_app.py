"""The app's API (`/chat`, `/retrieve`) through `gradio_client` against the real server, and its rendering."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from qa.cli import auth_from_env
from qa.records import Passage
from qa.search.options import parse_date_bound as date_bound
from qa.web.render import render_reply
from qa.web.reply import Reply, answer, reply_to_api
from tests.helpers import ROOT, copy_index

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


@pytest.mark.slow
def test_questions_during_a_rebuild_are_answered_from_the_old_index(tmp_path, sample_index, corpus_copy, embedder):
    import threading

    from qa.index.build import build_index

    index = copy_index(sample_index, tmp_path / "index")
    (corpus_copy / "glacier-orchestra.txt").write_text(
        "Ice orchestra plays inside a Norwegian glacier\n\nMusicians carved violins from glacier ice and played "
        "a concert inside the glacier cave.\n",
        encoding="utf-8",
    )
    question = "What were the violins of the ice orchestra made of?"
    writing, release = threading.Event(), threading.Event()

    def hold_before_publishing(stage: str, done: int, total: int) -> None:
        if stage == "index" and done == 0:  # everything is embedded; the new version is not published yet
            writing.set()
            release.wait(120)

    kwargs = {"embedder": embedder, "on_progress": hold_before_publishing}
    build = threading.Thread(target=build_index, args=(corpus_copy, index), kwargs=kwargs)
    build.start()
    try:
        assert writing.wait(300), "the build never reached its last stage"
        during = answer(question, corpus_dir=corpus_copy, index_dir=index)
    finally:
        release.set()
        build.join()
    after = answer(question, corpus_dir=corpus_copy, index_dir=index)
    assert during.passages and not during.error
    assert "Ice orchestra plays inside a Norwegian glacier" not in {p.title for p in during.passages}
    assert after.passages[0].title == "Ice orchestra plays inside a Norwegian glacier"


def _passage(text: str, highlight: str, **fields) -> Passage:
    start = text.index(highlight)
    base = dict(title="T", source="S", published="2019-03-03", path="a.txt", article_id="a.txt", chunk_id=0)
    base.update(fields)
    return Passage(
        text=text, score=0.5, highlight=highlight, highlight_start=start, highlight_end=start + len(highlight), **base
    )


def test_rendered_reply_escapes_every_article_string():
    evil = '<script>alert(1)</script> <img src=x onerror="alert(1)"> [x](javascript:alert(1)) **b**'
    p = _passage(
        "Before. " + evil + " After.",
        evil,
        title="<b>title</b>",
        source="<i>pub</i>",
        published="<u>when</u>",
        path="javascript:alert(1)",
        url="javascript:alert(1)",
        also_in=["<s>other</s>"],
    )
    page = render_reply(Reply(question="q", passages=[p]))
    for raw in ("<script", "<img", "<b>", "<i>", "<u>", "<s>", 'href="javascript'):
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "**b**" in page
    assert page.count("<mark>") == 1


def test_long_passage_collapses_around_the_answer():
    text = " ".join(f"Filler sentence number {i}." for i in range(60))
    p = _passage(text, "Filler sentence number 30.")
    page = render_reply(Reply(question="q", passages=[p]))
    snippet = re.search(r"<span class='qa-snippet'>(.*?)</span>", page, re.S)[1]
    assert "<mark>Filler sentence number 30.</mark>" in snippet
    assert "number 0." not in snippet and "number 59." not in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "Filler sentence number 0." in page  # the whole passage is one click away


def test_question_without_an_index_says_how_to_build_one(tmp_path):
    reply = answer("What happened?", corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    assert reply.error and not reply.passages
    assert "no index yet" in reply.answer and "qa build --corpus corpus --index index" in reply.answer
    assert reply_to_api(reply)["error"] is True


def test_date_bounds_accept_partial_dates_and_reject_others():
    assert date_bound("2017") == "2017-01-01" and date_bound("2017", end=True) == "2017-12-31"
    assert date_bound("2016-02", end=True) == "2016-02-29" and date_bound(" 2018-4-5 ") == "2018-04-05"
    assert date_bound("") is None
    for bad in ("April 2018", "2018-13", "2018-02-30"):
        for end in (False, True):
            with pytest.raises(ValueError, match="is not a date"):
                date_bound(bad, end=end)


def test_auth_from_env():
    assert auth_from_env("") is None
    assert auth_from_env("reader:pass:word") == ("reader", "pass:word")
    with pytest.raises(ValueError):
        auth_from_env("no-password")
