"""Search a loaded index: dense (FAISS) and lexical (BM25) candidates, fused, filtered, de-duplicated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from ..index.embed import Embedder
from ..index.lexical import stem_words, top_documents
from ..index.store import IndexData, load_index
from ..records import Passage
from ..text import embedding_text, normalize_space
from .answers import MAX_MARGIN, locate_answer, read_tokens, reading_margin
from .features import QuestionInfo, is_question
from .followup import expand_query
from .options import Fusion, Mode, SearchOptions
from .rerank import get_reranker
from .when import newest_date, recency_weight

ANSWER_DEPTH = 1  # passages that get a short answer: the top one (the span work is the costly part)
MAX_QUESTION_CHARS = 2000  # longer questions are cut: no one asks that much, and encoding it costs


def validate_question(question: object) -> str:
    if not isinstance(question, str):
        raise TypeError(f"question must be a string, not {type(question).__name__}")
    cleaned = normalize_space("".join(ch if ch.isprintable() else " " for ch in question))
    if not cleaned:
        raise ValueError("The question is empty: type a question about the news articles.")
    if not any(ch.isalnum() for ch in cleaned):
        raise ValueError("The question has no words in it: type a question about the news articles.")
    return cleaned[:MAX_QUESTION_CHARS]


class Retriever:
    """Answers questions from one loaded index. Thread-safe for concurrent `search` calls."""

    def __init__(self, index: IndexData, embedder: Embedder) -> None:
        if embedder.model_name != index.manifest.model:
            raise ValueError(f"embedder {embedder.model_name!r} does not match the index's {index.manifest.model!r}")
        self.index = index
        self.embedder = embedder
        self.rerank_cache_dir: Path | None = None  # where rerankers keep passage vectors (memory when None)

    @classmethod
    def open(cls, index_dir: Path, embedder: Embedder | None = None) -> Retriever:
        index = load_index(index_dir, expected_model=embedder.model_name if embedder else None)
        return cls(index, embedder or Embedder(index.manifest.model))

    @property
    def version(self) -> str:
        return self.index.path.name

    def search(
        self, question: str, history: list[str] | None = None, options: SearchOptions | None = None
    ) -> list[Passage]:
        """The best passages for `question` (a follow-up is resolved against `history`), best first."""
        options = options or SearchOptions()
        question = validate_question(question)
        info = self._question_info(question)  # for the reader's reordering and every passage: they share it
        ranked = self._rank(expand_query(question, history), options, info)
        # The sentence reranker has already embedded these passages' sentences: let them help pick the highlight.
        # One call for all passages, so the question is encoded once.
        reranker = get_reranker(options.reranker, self.embedder) if options.mode is Mode.HYBRID_RERANK else None
        sentence_scores = getattr(reranker, "sentence_scores", None)
        per_passage = (
            sentence_scores(question, [self.index.chunk_text(cid) for cid, _ in ranked])
            if sentence_scores and ranked
            else [None] * len(ranked)
        )
        return [
            self._passage(cid, score, info, dense, span=i < ANSWER_DEPTH)
            for i, ((cid, score), dense) in enumerate(zip(ranked, per_passage, strict=True))
        ]

    def rank(
        self, question: str, history: list[str] | None = None, options: SearchOptions | None = None
    ) -> list[tuple[int, float]]:
        """(chunk id, score) of the top `options.k` chunks after fusion, reranking, filters and dedup."""
        question = validate_question(question)
        return self._rank(expand_query(question, history), options or SearchOptions(), self._question_info(question))

    def _question_info(self, question: str) -> QuestionInfo:
        """What the reader and the answer models need of the question, with this index's IDF."""
        return QuestionInfo(question, self.index.lexical.idf(stem_words(question)))

    def _rank(self, query: str, options: SearchOptions, info: QuestionInfo) -> list[tuple[int, float]]:
        n_chunks = self.index.n_chunks
        if n_chunks == 0:
            return []
        n_candidates = min(n_chunks, options.candidates * (10 if options.filtered else 1))

        scores = self._scores(query, options, n_candidates)
        if options.prefer_recent:
            scores = self._decay(scores, options.half_life_days)
        order = sorted(scores, key=lambda cid: scores[cid], reverse=True)
        if options.mode is Mode.HYBRID_RERANK:
            head = self._select(order, replace(options, per_article=False), options.rerank_depth)
            scores = self._rerank(query, head, scores, options)
            order = sorted(scores, key=lambda cid: scores[cid], reverse=True)
        reading = (
            options.mode is Mode.HYBRID
            and options.fusion is Fusion.MIX
            and options.read_depth > 1
            and is_question(info.text)  # the reader answers questions: a claim or keywords keep the fused order
        )
        picked = self._select(order, options, max(options.k, options.read_depth) if reading else options.k)
        ranked = [(cid, scores[cid]) for cid in picked]
        if reading:  # the reader reorders the head, however few passages are asked for
            ranked = self._read_order(info, ranked, options)
        return ranked[: options.k]

    def _read_order(
        self, info: QuestionInfo, ranked: list[tuple[int, float]], options: SearchOptions
    ) -> list[tuple[int, float]]:
        """The first `read_depth` chunks reordered by fused score + read_weight * the reader's answer margin.

        Chunks are read best first; one whose fused score cannot beat the best so far even with the largest
        margin the reader gives is not read, nor any after it (they follow the read ones in fused order). With
        "prefer recent" the margin is decayed as the fused score was ((fused + w * margin) * recency weight),
        so an old article is not read back to the top. The reordered chunks swap places only: each position
        keeps its fused score, so scores still fall down the list. Unchanged without the reader.
        """
        read: dict[int, float] = {}
        best = -np.inf
        for place, (cid, score) in enumerate(ranked[: options.read_depth]):
            weight = options.read_weight
            if options.prefer_recent:
                weight *= self._recency(int(self.index.chunk_rows[cid][0]), options.half_life_days)
            if score + weight * MAX_MARGIN <= best:
                break
            # the top passage is read as its answer will be (the reading is reused), the others more briefly
            margin = reading_margin(info, self.index.chunk_text(cid), read_tokens(place))
            if margin is None:  # no reader: fused order
                return ranked
            read[cid] = score + weight * margin
            best = max(best, read[cid])
        head = sorted(read, key=lambda cid: read[cid], reverse=True)
        places = [score for _, score in ranked[: len(head)]]
        return list(zip(head, places, strict=True)) + ranked[len(head) :]

    @cached_property
    def newest(self) -> date | None:
        """The date of the newest article: "prefer recent" and "last October" count from it."""
        return newest_date([a.get("published") for a in self.index.articles])

    @cached_property
    def _span_days(self) -> float | None:
        """Days from the oldest to the newest dated article (how old an undated article counts)."""
        oldest = newest_date([a.get("published") for a in self.index.articles], oldest=True)
        return float((self.newest - oldest).days) if oldest and self.newest else None

    def _recency(self, article: int, half_life_days: float) -> float:
        """The article's "prefer recent" weight (1 for the newest article)."""
        published = self.index.articles[article].get("published")
        return recency_weight(published, self.newest, half_life_days, self._span_days)

    def _decay(self, scores: dict[int, float], half_life_days: float) -> dict[int, float]:
        """Prefer recent: each score times its article's recency weight (1 for the newest article)."""
        weights: dict[int, float] = {}
        out = {}
        for cid, score in scores.items():
            article = int(self.index.chunk_rows[cid][0])
            if article not in weights:
                weights[article] = self._recency(article, half_life_days)
            out[cid] = score * weights[article] if score >= 0 else score / weights[article]
        return out

    def _select(self, order: list[int], options: SearchOptions, limit: int) -> list[int]:
        """The first `limit` chunks of `order` that pass the filters, without repeated text (or article)."""
        picked: list[int] = []
        seen_texts: set[str] = set()
        seen_articles: set[int] = set()
        for cid in order:
            article_idx = int(self.index.chunk_rows[cid][0])
            if not self._passes_filters(article_idx, options):
                continue
            if options.per_article and article_idx in seen_articles:
                continue
            key = normalize_space(self.index.chunk_text(cid)).lower()
            if key in seen_texts:  # the same text twice (e.g. a story the corpus holds twice)
                continue
            seen_texts.add(key)
            seen_articles.add(article_idx)
            picked.append(cid)
            if len(picked) == limit:
                break
        return picked

    def _rerank(
        self, query: str, head: list[int], scores: dict[int, float], options: SearchOptions
    ) -> dict[int, float]:
        """Rescore the `head` chunks: (1 - w) * fused + w * reranker, both min-max scaled over the head.

        Chunks below the head keep their fused order, shifted below the head's lowest possible score.
        """
        if len(head) < 2:
            return scores
        reranker = get_reranker(options.reranker, self.embedder, self.rerank_cache_dir)
        titles = [self.index.articles[int(self.index.chunk_rows[cid][0])].get("title", "") for cid in head]
        texts = [embedding_text(t, self.index.chunk_text(cid)) for t, cid in zip(titles, head, strict=True)]
        fused = min_max(np.array([scores[cid] for cid in head]))
        low, high = min(scores[cid] for cid in head), max(scores[cid] for cid in head)
        spread = (high - low) or 1.0
        score_head = getattr(reranker, "score_head", None)
        if score_head is not None:  # the learned reranker reads the head's own fused and BM25 scores
            bm25 = self.index.lexical.scores(query)
            top = float(bm25.max()) or 1.0
            weight = options.dense_weight if options.fusion is Fusion.MIX else None
            raw = score_head(
                query,
                [self.index.chunk_text(cid) for cid in head],
                titles,
                [scores[cid] for cid in head],
                [float(bm25[cid]) / top for cid in head],
                weight,
            )
        else:
            raw = reranker.score(query, texts)
        reranked = min_max(np.asarray(raw, dtype=np.float64))
        w = 1.0 if score_head is not None else options.rerank_weight  # the learned model already weighs fusion
        out = {cid: -1.0 - (high - s) / spread for cid, s in scores.items()}  # below the head, same order
        out.update({cid: (1 - w) * f + w * r for cid, f, r in zip(head, fused, reranked, strict=True)})
        return out

    def _scores(self, query: str, options: SearchOptions, n: int) -> dict[int, float]:
        """Fused score of each candidate chunk."""
        dense: dict[int, float] = {}
        lexical: dict[int, float] = {}
        vector = self.embedder.encode_query(query) if options.mode is not Mode.LEXICAL else None
        if vector is not None:
            # One query is searched fastest on one thread (10 ms vs 13 ms at 100k here, far less under load);
            # the setting is per calling thread, so concurrent requests and builds are unaffected.
            faiss.omp_set_num_threads(1)
            sims, ids = self.index.dense.search(vector.reshape(1, -1), n)
            dense = {int(i): float(s) for i, s in zip(ids[0], sims[0], strict=True) if i >= 0}
        all_scores = None
        if options.mode is not Mode.DENSE:
            all_scores = self.index.lexical.scores(query)  # every chunk, once per query
            top = top_documents(all_scores, n)
            lexical = {int(i): float(all_scores[i]) for i in top if all_scores[i] > 0}
        if options.mode is Mode.DENSE:
            return dense
        if options.mode is Mode.LEXICAL:
            return lexical
        if options.fusion is Fusion.RRF:
            return _rrf([dense, lexical], options.rrf_k)
        return self._mix(vector, dense, all_scores, lexical, options.dense_weight)

    def _mix(
        self,
        vector: np.ndarray,
        dense: dict[int, float],
        all_lexical: np.ndarray,
        lexical: dict[int, float],
        weight: float,
    ) -> dict[int, float]:
        """weight * cosine + (1 - weight) * BM25 / best BM25, over the union of both candidate lists."""
        ids = sorted(set(dense) | set(lexical))
        missing = [i for i in ids if i not in dense]
        if missing:  # exact cosine for lexical-only candidates
            vectors = self.index.dense.reconstruct_batch(np.array(missing, dtype=np.int64))
            dense.update({i: float(v @ vector) for i, v in zip(missing, vectors, strict=True)})
        if len(lexical) < len(ids):
            lexical = {i: float(all_lexical[i]) for i in ids}
        top_lexical = max(lexical.values(), default=0.0) or 1.0
        return {i: weight * dense[i] + (1 - weight) * lexical[i] / top_lexical for i in ids}

    def _passes_filters(self, article_idx: int, options: SearchOptions) -> bool:
        meta = self.index.articles[article_idx]
        if options.sources and (meta.get("source") or "").lower() not in {s.lower() for s in options.sources}:
            return False
        if options.date_from or options.date_to:
            published = meta.get("published") or ""
            if len(published) != 10 or not published[:4].isdigit():
                return False
            if options.date_from and published < options.date_from:
                return False
            if options.date_to and published > options.date_to:
                return False
        return True

    def _passage(
        self,
        chunk_id: int,
        score: float,
        question: QuestionInfo,
        dense_scores: Sequence[float] | None = None,
        span: bool = True,
    ) -> Passage:
        article_idx, start, end = (int(v) for v in self.index.chunk_rows[chunk_id])
        meta = self.index.articles[article_idx]
        text = self.index.article_text(article_idx)[start:end]
        h_start, h_end, answer, a_start, a_end = locate_answer(question, text, dense_scores, span=span)
        return Passage(
            text=text,
            score=round(float(score), 4),
            title=meta.get("title", ""),
            source=meta.get("source", ""),
            published=meta.get("published"),
            path=meta.get("path", ""),
            article_id=meta["article_id"],
            chunk_id=chunk_id,
            highlight=text[h_start:h_end],
            highlight_start=h_start,
            highlight_end=h_end,
            answer=answer,
            answer_start=a_start,
            answer_end=a_end,
            url=meta.get("url"),
            start=start,
            end=end,
            also_in=list(meta.get("also_in", [])),
        )

    def article(self, article_id: str) -> dict:
        """Metadata and full clean text of one article (for "show the whole article")."""
        position = self.index.article_positions.get(article_id)
        if position is None:
            raise KeyError(f"no article {article_id!r} in the index")
        return {**self.index.articles[position], "text": self.index.article_text(position)}

    def sources(self) -> list[str]:
        """The publishers in the index, sorted."""
        return sorted({a.get("source") for a in self.index.articles if a.get("source")})


def min_max(values: np.ndarray) -> np.ndarray:
    """Scaled to [0, 1] over the values given (all ones when they are all equal): how reranking mixes scores."""
    spread = float(values.max() - values.min()) if len(values) else 0.0
    return (values - values.min()) / spread if spread > 0 else np.ones_like(values)


def _rrf(rankings: list[dict[int, float]], k: int) -> dict[int, float]:
    fused: dict[int, float] = {}
    for scores in rankings:
        for rank, cid in enumerate(sorted(scores, key=lambda c: scores[c], reverse=True)):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (k + rank + 1)
    return fused
