"""Sentence-aware chunking within the embedding model's token limit.

Sentences are packed greedily into chunks of at most `max_tokens` tokens (title included when it is
embedded with the chunk), with the last sentences of a chunk repeated at the start of the next one
up to `overlap_tokens`. A sentence longer than the budget is split at word boundaries. No chunk is
ever longer than the model accepts, so nothing is silently truncated.

With `paragraphs` (the default) a chunk that is at least half full ends at a paragraph break instead of
starting a paragraph it cannot finish, so a passage rarely stops mid-paragraph and its sentences keep their
context. SQuAD articles read whole, as a news archive holds them (paragraphs joined by blank lines,
`qa.retrieve` defaults), top highlight holds an answer / span F1: dev (1,200 questions) 0.751 / 0.549 -> 0.767 /
0.555, test (4,314, `qa eval --dataset .qa-cache/squad/test-articles [--no-chunk-paragraphs]`) 0.767 / 0.572 ->
0.776 / 0.575 (README, "Paragraphs").
Text without paragraph breaks (SciFact's abstracts, SQuAD's single paragraphs) chunks exactly as before.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence

from ..config import ChunkingConfig
from ..records import Article, Chunk
from ..text import PARAGRAPH_BREAK, sentence_spans, word_spans

TokenCounter = Callable[[Sequence[str]], list[int]]

# A chunk is also capped in characters: the tokenizer maps any very long "word" (a 300 KB run without
# spaces) to one unknown token, so a token budget alone would let such a chunk grow without bound.
MAX_CHARS_PER_TOKEN = 8


def whitespace_token_counter(texts: Sequence[str]) -> list[int]:
    """A rough counter (about 1.3 tokens a word) for when no model tokenizer is at hand."""
    return [int(len(t.split()) * 1.3) + 1 for t in texts]


class Chunker:
    """Cuts articles into `Chunk`s whose embedding text fits `config.max_tokens`."""

    def __init__(self, count_tokens: TokenCounter, config: ChunkingConfig | None = None) -> None:
        self.count_tokens = count_tokens
        self.config = config or ChunkingConfig()
        if self.config.overlap_tokens >= self.config.max_tokens // 2:
            raise ValueError("overlap_tokens must be less than half of max_tokens")

    def chunk(self, article: Article, first_id: int = 0) -> list[Chunk]:
        text = article.text
        title_tokens = self.count_tokens([article.title + "\n"])[0] if self.config.with_title and article.title else 0
        # Keep room for the title, but never let a very long title starve the chunk text.
        budget = max(self.config.max_tokens - title_tokens, self.config.max_tokens // 2)
        max_chars = budget * MAX_CHARS_PER_TOKEN
        pieces = list(self._pieces(text, budget))
        counts = self.count_tokens([text[a:b] for a, b in pieces])
        paragraph_ends = _paragraph_ends(text, pieces) if self.config.paragraphs else None
        before = list(itertools.accumulate(counts, initial=0))  # tokens of pieces[:k]
        chunks: list[Chunk] = []
        i = 0
        while i < len(pieces):
            j, used = i, 0
            while j < len(pieces) and (
                j == i or (used + counts[j] <= budget and pieces[j][1] - pieces[i][0] <= max_chars)
            ):
                if (
                    paragraph_ends
                    and j > i
                    and paragraph_ends[j - 1] == j  # pieces[j] opens a paragraph
                    and used >= budget // 2
                    and used + before[paragraph_ends[j]] - before[j] > budget
                ):
                    break
                used += counts[j]
                j += 1
            start, end = pieces[i][0], pieces[j - 1][1]
            chunks.append(Chunk(first_id + len(chunks), article.article_id, start, end, text[start:end]))
            if j >= len(pieces):
                break
            # Start the next chunk with trailing sentences of this one, within the overlap budget.
            back, overlap = j, 0
            while back - 1 > i and overlap + counts[back - 1] <= self.config.overlap_tokens:
                back -= 1
                overlap += counts[back]
            i = back
        return chunks

    def _fits(self, text: str, start: int, end: int, budget: int) -> bool:
        return end - start <= budget * MAX_CHARS_PER_TOKEN and self.count_tokens([text[start:end]])[0] <= budget

    def _pieces(self, text: str, budget: int) -> Iterator[tuple[int, int]]:
        """Sentence spans, with any sentence over the budget split into word windows that fit."""
        spans = sentence_spans(text)
        counts = self.count_tokens([text[a:b] for a, b in spans])
        for (start, end), count in zip(spans, counts, strict=True):
            if count <= budget and end - start <= budget * MAX_CHARS_PER_TOKEN:
                yield start, end
            else:
                yield from self._split_long(text, start, end, budget)

    def _split_long(self, text: str, start: int, end: int, budget: int) -> Iterator[tuple[int, int]]:
        tokens = list(word_spans(text, start, end))
        i = 0
        while i < len(tokens):
            # Grow a window of words, then shrink it until it fits.
            n = max(1, budget // 2)
            while i + n < len(tokens) and self._fits(text, tokens[i][0], tokens[i + n][1], budget):
                n = min(len(tokens) - i, n * 2)
            n = min(n, len(tokens) - i)
            while n > 1 and not self._fits(text, tokens[i][0], tokens[i + n - 1][1], budget):
                n = max(1, int(n * 0.8))
            piece_end = tokens[i + n - 1][1]
            if n == 1 and not self._fits(text, tokens[i][0], piece_end, budget):
                # One "word" over the budget (a URL, a run of symbols): cut it by characters.
                yield from self._split_chars(text, tokens[i][0], piece_end, budget)
            else:
                yield tokens[i][0], piece_end
            i += n

    def _split_chars(self, text: str, start: int, end: int, budget: int) -> Iterator[tuple[int, int]]:
        while start < end:
            stop = min(end, start + budget * MAX_CHARS_PER_TOKEN)
            while stop - start > 1 and not self._fits(text, start, stop, budget):
                stop = start + (stop - start) * 3 // 4
            yield start, stop
            start = stop


def _paragraph_ends(text: str, pieces: Sequence[tuple[int, int]]) -> list[int]:
    """For each piece, the index of the first piece after its paragraph (a blank line between two pieces)."""
    ends = [len(pieces)] * len(pieces)
    for k in range(len(pieces) - 2, -1, -1):
        opens = PARAGRAPH_BREAK.search(text, pieces[k][1], pieces[k + 1][0]) is not None
        ends[k] = k + 1 if opens else ends[k + 1]
    return ends
