"""`qa.retrieve` and `get_retriever`: options checked at the edge, errors that say what to do, thread safety,
reloading after a rebuild and keeping the last good index (on the hash-embedder index: fast)."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from qa import retrieve
from qa.api import get_embedder, get_retriever
from qa.index.store import MANIFEST, IndexMismatchError, IndexNotFoundError, load_index, resolve_version
from tests.helpers import GLACIER_ARTICLE, GLACIER_QUESTION, QUESTIONS, HashEmbedder, build_hash_index, copy_index


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexNotFoundError, match="qa build"):
        retrieve("anything", index_dir=tmp_path / "none")


def test_k_and_options_are_applied(hash_index):
    assert len(retrieve(QUESTIONS[0][0], k=2, index_dir=hash_index)) == 2
    lexical = retrieve(QUESTIONS[0][0], k=3, index_dir=hash_index, mode="lexical")
    assert lexical[0].score > 1  # raw BM25 scores of a rare phrase, not fused ones (at most 1)
    assert [p.chunk_id for p in lexical] != [p.chunk_id for p in retrieve(QUESTIONS[0][0], k=3, index_dir=hash_index)]
    assert len({p.article_id for p in retrieve("Russia", k=5, index_dir=hash_index, per_article=True)}) == 5


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"mode": "psychic"}, "mode must be one of"),
        ({"fusion": "average"}, "fusion must be one of"),
        ({"date_to": "April 2017"}, "is not a date"),
        ({"date_from": "2018", "date_to": "2017"}, "date range is empty"),
        ({"colour": "blue"}, "unknown search option"),
        ({"k": 0}, "k must be"),
    ],
)
def test_a_bad_option_is_a_value_error_that_says_what_is_accepted(hash_index, options, message):
    k = options.pop("k", 5)
    with pytest.raises(ValueError, match=message):
        retrieve(QUESTIONS[0][0], k=k, index_dir=hash_index, **options)


def test_a_year_as_date_to_keeps_that_year(hash_index):
    passages = retrieve("Russia missiles", k=10, index_dir=hash_index, date_to="2017")
    assert "2017-04-10" in {p.published for p in passages}
    assert "2018-04-12" not in {p.published for p in passages}


def test_concurrent_calls_from_many_threads_agree(hash_index):
    questions = [q for q, _, _ in QUESTIONS] * 4
    alone = {q: retrieve(q, k=3, index_dir=hash_index)[0].chunk_id for q, _, _ in QUESTIONS}
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda q: retrieve(q, k=3, index_dir=hash_index)[0].chunk_id, questions))
    assert results == [alone[q] for q in questions]


def test_one_retriever_per_index_and_one_embedder_per_model(hash_index, hash_embedder):
    assert get_retriever(hash_index) is get_retriever(hash_index)
    assert get_retriever(hash_index).embedder is hash_embedder  # the registered embedder serves its indexes
    assert get_embedder(HashEmbedder.model_name) is hash_embedder
    assert get_embedder("all-MiniLM-L6-v2") is get_embedder("all-MiniLM-L6-v2")  # shared, loaded lazily


def test_a_rebuilt_index_is_reloaded_without_a_restart(hash_index, corpus_copy, tmp_path):
    index_dir = copy_index(hash_index, tmp_path / "index")
    question, answer = GLACIER_QUESTION
    before = get_retriever(index_dir)
    assert answer not in retrieve(question, k=1, index_dir=index_dir)[0].text
    (corpus_copy / "glacier-museum.txt").write_text(GLACIER_ARTICLE, encoding="utf-8")
    build_hash_index(corpus_copy, index_dir)
    assert get_retriever(index_dir) is not before
    assert answer in retrieve(question, k=1, index_dir=index_dir)[0].text


def test_manifest_of_another_format_or_model_is_refused(hash_index, tmp_path, monkeypatch):
    copy = tmp_path / "index"
    shutil.copytree(resolve_version(hash_index), copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    monkeypatch.setenv("QA_MODEL", "some-other-model")
    with pytest.raises(IndexMismatchError, match=HashEmbedder.model_name):
        retrieve("missiles", index_dir=copy)
    monkeypatch.delenv("QA_MODEL")
    (copy / MANIFEST).write_text(json.dumps({**manifest, "format_version": 999}))
    with pytest.raises(IndexMismatchError, match="qa build --full"):
        load_index(copy)


def test_an_index_whose_model_is_not_installed_is_refused_at_load(hash_index, tmp_path):
    copy = tmp_path / "index"
    shutil.copytree(resolve_version(hash_index), copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    (copy / MANIFEST).write_text(json.dumps({**manifest, "model": "no-such-model"}))
    with pytest.raises(IndexMismatchError, match="qa build"):
        retrieve("missiles", index_dir=copy)


def test_a_new_version_that_does_not_load_leaves_the_last_good_index_serving(hash_index, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(hash_index, index_dir, symlinks=True)
    question, article_id, _ = QUESTIONS[0]
    assert retrieve(question, index_dir=index_dir)[0].article_id == article_id
    # publish a damaged version by hand: a manifest and nothing else
    broken = index_dir / "versions" / "broken"
    broken.mkdir()
    shutil.copy(resolve_version(index_dir) / MANIFEST, broken / MANIFEST)
    (index_dir / "current").unlink()
    (index_dir / "current").symlink_to("versions/broken")
    assert retrieve(question, index_dir=index_dir)[0].article_id == article_id
