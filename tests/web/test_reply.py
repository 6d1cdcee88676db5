"""The reply model behind the chat and the API: answers, notices instead of errors, form values checked,
and questions answered from the old index while a rebuild runs (on the hash-embedder index: fast)."""

from __future__ import annotations

import pytest

from qa.search.options import SearchOptions
from qa.web.reply import answer, form_options, reply_to_api
from tests.helpers import QUESTIONS, build_hash_index, copy_index

CRUISE = QUESTIONS[0][0]


def test_question_without_an_index_says_how_to_build_one(tmp_path):
    reply = answer("What happened?", corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    assert reply.error and not reply.passages
    assert "no index yet" in reply.answer and "qa build --corpus corpus --index index" in reply.answer
    assert reply_to_api(reply)["error"] is True


def test_an_answer_has_the_short_answer_first_and_the_passages(hash_index):
    reply = answer(CRUISE, index_dir=hash_index, with_articles=True)
    assert not reply.error and reply.passages
    assert reply.answer == reply.passages[0].highlight and "26 cruise missiles" in reply.answer
    assert set(reply.articles) == {p.article_id for p in reply.passages}
    api = reply_to_api(reply)
    assert api["error"] is False and api["answer"] == reply.answer
    assert len(api["passages"]) == len(reply.passages) and "path" not in api["passages"][0]


def test_form_values_become_search_options():
    assert form_options({}) == SearchOptions()
    options = form_options({"k": 3.0, "sources": ["SkyNews"], "date_from": "", "date_to": "2017", "per_article": 1})
    assert (options.k, options.sources, options.date_from, options.date_to, options.per_article) == (
        3,
        ("SkyNews",),
        None,
        "2017-12-31",
        True,
    )
    with pytest.raises(ValueError, match="unknown search option"):
        form_options({"colour": "blue"})
    with pytest.raises(ValueError, match="k must be"):
        form_options({"k": "many"})


@pytest.mark.parametrize(
    ("form", "notice"),
    [({"date_to": "April 2017"}, "is not a date"), ({"k": "many"}, "k must be"), ({"colour": "x"}, "unknown")],
)
def test_a_bad_form_value_is_a_notice_not_an_exception(hash_index, form, notice):
    reply = answer(CRUISE, options=form, index_dir=hash_index)
    assert reply.error and not reply.passages and notice in reply.notice


def test_filters_that_match_nothing_say_so(hash_index):
    reply = answer(CRUISE, options={"sources": ["No Such Publisher"]}, index_dir=hash_index)
    assert not reply.error and not reply.passages
    assert "current filters" in reply.notice


@pytest.mark.slow
def test_questions_during_a_rebuild_are_answered_from_the_old_index(tmp_path, hash_index, corpus_copy):
    import threading

    index = copy_index(hash_index, tmp_path / "index")
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

    kwargs = {"on_progress": hold_before_publishing}
    build = threading.Thread(target=build_hash_index, args=(corpus_copy, index), kwargs=kwargs)
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
