"""Reranking ("hybrid+rerank"): only the fused head is reordered, passage vectors are cached, a reranker is
configured by name or folder. The built-in sentence reranker runs on the hash embedder (fast)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa import retrieve
from qa.index.embed import resolve_model_path
from qa.search.options import SearchOptions
from qa.search.rerank import (
    BiEncoderReranker,
    SentenceReranker,
    create_reranker,
    get_reranker,
    is_cross_encoder,
)
from qa.text import sentence_spans
from tests.helpers import QUESTIONS

CRUISE = QUESTIONS[0][0]


class CountingEncoder:
    """Bag-of-letters vectors, counting how many texts it was asked to encode."""

    def __init__(self) -> None:
        self.encoded = 0

    def vector(self, text: str) -> np.ndarray:
        v = np.array([text.lower().count(c) for c in "abcdefghijklmnopqrstuvwxyz"], dtype=np.float32) + 1e-3
        return v / np.linalg.norm(v)

    def encode(self, texts) -> np.ndarray:
        self.encoded += len(texts)
        return np.stack([self.vector(t) for t in texts])


def test_passage_vectors_are_encoded_once_and_scores_are_cosines():
    encoder = CountingEncoder()
    reranker = BiEncoderReranker("letters", encoder.vector, encoder.encode)
    passages = ["aaaa bbb", "zzzz yyy", "aaaa bbb"]
    scores = reranker.score("aaab", passages)
    assert encoder.encoded == 2  # the repeated passage once
    assert scores[0] == pytest.approx(scores[2]) and scores[0] > scores[1]
    np.testing.assert_allclose(scores[0], encoder.vector("aaab") @ encoder.vector("aaaa bbb"), rtol=1e-5)
    reranker.score("zzz", passages)
    assert encoder.encoded == 2  # cached
    assert len(reranker.score("q", [])) == 0


def test_a_bi_encoder_cache_folder_survives_a_restart(tmp_path):
    first = CountingEncoder()
    reranker = BiEncoderReranker("letters", first.vector, first.encode, tmp_path / "cache")
    reranker.score("abc", ["one passage", "another passage"])
    reranker.save()
    second = CountingEncoder()
    again = BiEncoderReranker("letters", second.vector, second.encode, tmp_path / "cache")
    again.score("abc", ["one passage", "another passage"])
    assert second.encoded == 0


def test_the_sentence_reranker_scores_a_passage_by_its_best_sentence():
    encoder = CountingEncoder()
    reranker = SentenceReranker(BiEncoderReranker("letters", encoder.vector, encoder.encode))
    passage = "Zzz yyy zzz. Aaaa bbbb aaaa. Qqq www."
    per_sentence = reranker.sentence_scores("aaaa bbbb", [passage])[0]
    assert len(per_sentence) == len(sentence_spans(passage)) == 3
    assert int(np.argmax(per_sentence)) == 1
    assert reranker.score("aaaa bbbb", [passage])[0] == pytest.approx(per_sentence.max())


def test_cross_encoder_folders_are_told_by_their_architecture(tmp_path):
    (tmp_path / "cross").mkdir()
    (tmp_path / "cross" / "config.json").write_text(json.dumps({"architectures": ["BertForSequenceClassification"]}))
    (tmp_path / "bi").mkdir()
    (tmp_path / "bi" / "config.json").write_text(json.dumps({"architectures": ["BertModel"]}))
    (tmp_path / "none").mkdir()
    assert is_cross_encoder(tmp_path / "cross")
    assert not is_cross_encoder(tmp_path / "bi") and not is_cross_encoder(tmp_path / "none")


def test_reranker_specs(hash_embedder):
    with pytest.raises(ValueError, match="needs the index's embedder"):
        create_reranker("sentences")
    with pytest.raises(ValueError, match="QA_RERANKER"):
        create_reranker("/no/such/folder")
    assert isinstance(create_reranker("sentences", hash_embedder), SentenceReranker)
    assert get_reranker("sentences", hash_embedder) is get_reranker("sentences", hash_embedder)


def test_an_unknown_reranker_says_how_to_configure_one(hash_index):
    with pytest.raises(ValueError, match="QA_RERANKER"):
        retrieve(CRUISE, index_dir=hash_index, mode="hybrid+rerank", reranker="/no/such/folder")


def test_reranking_reorders_only_the_head(hash_retriever):
    retriever = hash_retriever
    fused = retriever.rank(CRUISE, options=SearchOptions(k=12, mode="hybrid"))
    reranked = retriever.rank(
        CRUISE, options=SearchOptions(k=12, mode="hybrid+rerank", rerank_depth=5, rerank_weight=1.0)
    )
    head = {cid for cid, _ in fused[:5]}
    assert {cid for cid, _ in reranked[:5]} == head  # the reranker only reorders the fused top-N
    assert [cid for cid, _ in reranked[5:]] == [cid for cid, _ in fused[5:]]
    # with full weight the head follows the reranker's own scores
    reranker = get_reranker("sentences", retriever.embedder)
    index = retriever.index
    texts = [f"{index.articles[int(index.chunk_rows[c][0])]['title']}\n{index.chunk_text(c)}" for c, _ in reranked[:5]]
    own = list(reranker.score(CRUISE, texts))
    assert own == sorted(own, reverse=True)


def test_reranked_search_still_answers_and_highlights(hash_index):
    top = retrieve(CRUISE, k=3, index_dir=hash_index, mode="hybrid+rerank")[0]
    assert top.article_id == QUESTIONS[0][1]
    assert top.text[top.highlight_start : top.highlight_end] == top.highlight


def test_a_sentence_transformers_folder_works_as_a_reranker(sample_index, monkeypatch):  # real model: slow
    folder = resolve_model_path("all-MiniLM-L6-v2")
    assert not is_cross_encoder(folder)
    reranker = create_reranker(str(folder))
    scores = reranker.score(CRUISE, ["Four warships launched 26 cruise missiles.", "The weather was mild."])
    assert scores[0] > scores[1]
    monkeypatch.setenv("QA_RERANKER", str(folder))
    top = retrieve(CRUISE, k=1, index_dir=sample_index, mode="hybrid+rerank")[0]
    assert top.article_id == QUESTIONS[0][1]
