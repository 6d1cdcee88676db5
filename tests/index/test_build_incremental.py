"""Incremental builds: only new or changed articles are embedded, an HNSW graph is updated in place and BM25
reuses the served term counts, and the result equals a full rebuild; the manifest records the encoder."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from qa.config import BuildConfig, ChunkingConfig, IndexConfig
from qa.index.bm25_stream import TermCounts
from qa.index.dense import LiveIndex
from qa.index.store import load_index
from qa.search.options import SearchOptions
from qa.search.retriever import Retriever
from tests.helpers import build_hash_index, copy_index

HNSW = replace(BuildConfig(), index=IndexConfig(index_type="hnsw"))
QUESTIONS = [
    "How many cruise missiles did the Russian warships fire?",
    "Which Russian senator said Russia will not intercept US missiles?",
    "What did Lavrov say about red lines?",
    "Where did the storm close the ports?",
    "Are Syrian forces using Russian-built drones?",
    "What did Dmitry Peskov say about the military communication channel?",
]
NEW_ARTICLE = """Storm closes Baltic ports

Baltic Courier

Heavy storms closed the ports of Riga and Klaipeda on Tuesday, stranding dozens of ferries.
"""


def _edit(corpus, delete: bool = True) -> None:
    """Add one article, change one, and (unless `delete` is false) delete one."""
    (corpus / "new-storm.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    changed = corpus / "002_b7d55dfd4cdbabc3.txt"
    changed.write_text(changed.read_text(encoding="utf-8").replace("Interfax", "the TASS agency"), encoding="utf-8")
    if delete:
        (corpus / "003_b0192b87f9e4af6e.txt").unlink()


def _assert_same_results(a: Retriever, b: Retriever, score_atol: float = 1e-4 + 1e-5) -> None:
    """Same passages in the same order, scores within `score_atol`; raw dense scores within 1e-5 (every id a
    live chunk) and BM25 scores equal."""
    assert [m["article_id"] for m in a.index.articles] == [m["article_id"] for m in b.index.articles]
    np.testing.assert_array_equal(a.index.chunk_rows, b.index.chunk_rows)
    for question in QUESTIONS:
        query = a.embedder.encode_query(question).reshape(1, -1)
        sims_a, ids_a = a.index.dense.search(query, a.index.n_chunks)
        sims_b = b.index.dense.search(query, b.index.n_chunks)[0]
        np.testing.assert_allclose(sims_a, sims_b, atol=1e-5)
        assert ids_a.min() >= 0 and ids_a.max() < a.index.n_chunks
        np.testing.assert_array_equal(a.index.lexical.scores(question), b.index.lexical.scores(question))
        for mode in ("dense", "lexical", "hybrid"):
            options = SearchOptions(k=5, mode=mode)
            got = a.search(question, options=options)
            want = b.search(question, options=options)
            assert [(p.article_id, p.start, p.end, p.text) for p in got] == [
                (p.article_id, p.start, p.end, p.text) for p in want
            ]
            np.testing.assert_allclose([p.score for p in got], [p.score for p in want], atol=score_atol)


def test_add_change_delete_embeds_only_what_changed_and_equals_a_full_rebuild(
    hash_index, hash_embedder, corpus_copy, tmp_path
):
    index_dir = copy_index(hash_index, tmp_path / "incremental")
    _edit(corpus_copy)
    report = build_hash_index(corpus_copy, index_dir)
    update = report.manifest.update
    assert update["mode"] == "incremental"
    assert (update["embedded_articles"], update["reused_articles"], update["removed_articles"]) == (2, 3, 1)
    assert "embedded 2 new or changed articles, kept 3, dropped 1" in report.summary()

    full = build_hash_index(corpus_copy, tmp_path / "full", full=True)
    assert full.manifest.update["mode"] == "full"
    assert full.manifest.update["embedded_articles"] == 5
    _assert_same_results(
        Retriever(load_index(index_dir), hash_embedder), Retriever(load_index(tmp_path / "full"), hash_embedder)
    )

    again = build_hash_index(corpus_copy, index_dir)  # nothing changed: nothing embedded
    assert again.manifest.update["embedded_chunks"] == 0
    assert again.n_chunks == full.n_chunks


def test_full_flag_and_changed_chunking_embed_everything(hash_index, corpus_copy, tmp_path):
    index_dir = copy_index(hash_index, tmp_path / "index")
    n_articles = len(load_index(hash_index).articles)
    forced = build_hash_index(corpus_copy, index_dir, full=True)
    assert forced.manifest.update | {"reason": None} == {
        "mode": "full",
        "reason": None,
        "reused_articles": 0,
        "embedded_articles": n_articles,
        "reused_chunks": 0,
        "embedded_chunks": forced.n_chunks,
        "removed_articles": 0,
        "dense": "new graph",
    }
    config = replace(BuildConfig(), chunking=ChunkingConfig(max_tokens=120, overlap_tokens=20))
    rechunked = build_hash_index(corpus_copy, index_dir, config=config)
    assert rechunked.manifest.update["mode"] == "full"
    assert "chunking" in rechunked.manifest.update["reason"]
    assert rechunked.n_chunks > forced.n_chunks


def test_an_hnsw_update_adds_to_the_served_graph_and_equals_a_full_rebuild(corpus_copy, hash_embedder, tmp_path):
    index_dir = tmp_path / "index"
    first = build_hash_index(corpus_copy, index_dir, config=HNSW)
    assert first.manifest.index_type == "hnsw" and first.manifest.update["dense"] == "new graph"
    assert TermCounts.load(load_index(index_dir).path / "lexical") is not None
    served = copy_index(index_dir, tmp_path / "served")
    _edit(corpus_copy, delete=False)
    update = build_hash_index(corpus_copy, index_dir, config=HNSW)
    assert update.manifest.update["mode"] == "incremental"
    assert update.manifest.update["dense"] == "updated graph"
    deleted = update.manifest.index_params["deleted"]
    assert deleted == load_index(served).chunk_rows[:, 0].tolist().count(2)  # the changed article's old chunks
    updated = load_index(index_dir)
    assert isinstance(updated.dense, LiveIndex) and updated.dense.ntotal == update.n_chunks
    build_hash_index(corpus_copy, tmp_path / "full", config=HNSW, full=True)
    _assert_same_results(
        Retriever(updated, hash_embedder), Retriever(load_index(tmp_path / "full"), hash_embedder), score_atol=1e-4
    )
    # an update of the updated graph: one more article, nothing removed
    (corpus_copy / "new-ferry.txt").write_text(NEW_ARTICLE.replace("Riga", "Tallinn"), encoding="utf-8")
    again = build_hash_index(corpus_copy, index_dir, config=HNSW)
    assert again.manifest.update["dense"] == "updated graph" and again.manifest.index_params["deleted"] == deleted
    build_hash_index(corpus_copy, tmp_path / "full2", config=HNSW, full=True)
    _assert_same_results(
        Retriever(load_index(index_dir), hash_embedder),
        Retriever(load_index(tmp_path / "full2"), hash_embedder),
        score_atol=1e-4,
    )
    # removing a whole article leaves more than 20% of the small graph deleted: a new graph is built
    (corpus_copy / "003_b0192b87f9e4af6e.txt").unlink()
    third = build_hash_index(corpus_copy, index_dir, config=HNSW)
    assert third.manifest.update["dense"] == "new graph" and "deleted" not in third.manifest.index_params
    build_hash_index(corpus_copy, tmp_path / "full3", config=HNSW, full=True)
    _assert_same_results(
        Retriever(load_index(index_dir), hash_embedder),
        Retriever(load_index(tmp_path / "full3"), hash_embedder),
        score_atol=1e-4,
    )


def test_the_manifest_records_the_encoder(hash_index):
    manifest = load_index(hash_index).manifest
    assert manifest.encoder["name"] == manifest.model


class _Described:
    """The hash embedder, described as an encoder trained here whose weights file is `weights`."""

    def __init__(self, embedder, weights: str) -> None:
        self.embedder, self.weights = embedder, weights

    def __getattr__(self, name: str):
        return getattr(self.embedder, name)

    def describe(self) -> dict[str, str]:
        return {"name": self.embedder.model_name, "weights": self.weights}


def test_a_retrained_encoder_under_the_same_name_re_embeds_everything(corpus_copy, hash_embedder, tmp_path):
    from qa.index.build import build_index
    from tests.helpers import hash_config

    def build(weights: str):
        return build_index(
            corpus_copy, tmp_path / "index", config=hash_config(), embedder=_Described(hash_embedder, weights)
        )

    build("model@1")
    _edit(corpus_copy, delete=False)
    same = build("model@1")
    assert same.manifest.update["mode"] == "incremental" and same.manifest.update["reused_articles"] > 0
    retrained = build("model@2")
    assert retrained.manifest.update["mode"] == "full" and "model weights" in retrained.manifest.update["reason"]
    assert retrained.manifest.encoder["weights"] == "model@2"
