"""SQuAD (../shared/eval/squad-train) split by article into train / dev / test, with a fixed seed.

Every paragraph of an article lands in the same split, so no test question is asked of a paragraph whose
article was seen in training. `split_articles(seed=11)` always gives the same 400 / 20 / 22 articles.
"""

from __future__ import annotations

import csv
import json
import os
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

# The shared SQuAD train set beside the checkout; QA_SQUAD_DIR points elsewhere (a device machine's unpacked copy).
SQUAD_DIR = Path(
    os.environ.get("QA_SQUAD_DIR") or Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "squad-train"
)
SEED = 11
N_DEV, N_TEST = 20, 22


@dataclass
class Question:
    qid: str
    text: str
    pid: str
    answers: list[str]
    starts: list[int]


@dataclass
class Split:
    name: str
    articles: list[str]
    paragraphs: dict[str, tuple[str, str]] = field(default_factory=dict)  # pid -> (title, text)
    questions: list[Question] = field(default_factory=list)


def _jsonl(path: Path):
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_splits(directory: Path = SQUAD_DIR, seed: int = SEED) -> dict[str, Split]:
    """{"train", "dev", "test"} -> Split; articles shuffled with `seed`, test first, then dev, the rest train."""
    corpus = {d["_id"]: (d.get("title") or "", d["text"]) for d in _jsonl(directory / "corpus.jsonl")}
    titles = sorted({title for title, _ in corpus.values()})
    random.Random(seed).shuffle(titles)
    names = {"test": titles[:N_TEST], "dev": titles[N_TEST : N_TEST + N_DEV], "train": titles[N_TEST + N_DEV :]}
    split_of = {t: name for name, ts in names.items() for t in ts}
    splits = {name: Split(name, sorted(ts)) for name, ts in names.items()}
    for pid, (title, text) in corpus.items():
        splits[split_of[title]].paragraphs[pid] = (title, text)
    queries = {q["_id"]: q["text"] for q in _jsonl(directory / "queries.jsonl")}
    answers = {a["_id"]: a for a in _jsonl(directory / "answers.jsonl")}
    with open(directory / "qrels" / "train.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 3 or row[0] not in queries or row[1] not in corpus:
                continue
            a = answers.get(row[0])
            if not a:
                continue
            split = splits[split_of[corpus[row[1]][0]]]
            split.questions.append(Question(row[0], queries[row[0]], row[1], a["answers"], a["answer_starts"]))
    for split in splits.values():
        split.questions.sort(key=lambda q: int(q.qid[1:]) if q.qid[1:].isdigit() else q.qid)
    return splits


def display_title(title: str) -> str:
    """An article's title as the evaluation corpus (and so the index) holds it: SQuAD writes "Super_Bowl_50"."""
    return title.replace("_", " ")


def write_beir(split: Split, folder: Path) -> Path:
    """The split as a BEIR folder with `answers.jsonl`, for `qa eval --dataset FOLDER --split test`."""
    documents = {pid: (display_title(title), text) for pid, (title, text) in split.paragraphs.items()}
    return _write_beir(folder, documents, split.questions, {q.qid: q.pid for q in split.questions})


def write_beir_articles(split: Split, folder: Path) -> Path:
    """The split with each article as one document, its paragraphs joined by blank lines as a news archive holds
    an article: the answers are read from chunks of a long text (a question's relevant document is its article)."""
    article_ids: dict[str, str] = {}
    paragraphs: dict[str, list[str]] = {}
    offsets: dict[str, int] = {}  # pid -> where its paragraph starts in the article's text
    for pid, (title, text) in split.paragraphs.items():
        article_ids.setdefault(title, f"a{len(article_ids)}")
        earlier = paragraphs.setdefault(title, [])
        offsets[pid] = sum(len(t) + 2 for t in earlier)
        earlier.append(text)
    documents = {article_ids[t]: (display_title(t), "\n\n".join(texts)) for t, texts in paragraphs.items()}
    questions = [replace(q, starts=[start + offsets[q.pid] for start in q.starts]) for q in split.questions]
    relevant = {q.qid: article_ids[split.paragraphs[q.pid][0]] for q in questions}
    return _write_beir(folder, documents, questions, relevant)


def _write_beir(
    folder: Path, documents: dict[str, tuple[str, str]], questions: list[Question], relevant: dict[str, str]
) -> Path:
    folder = Path(folder)
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for doc_id, (title, text) in documents.items():
            fh.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as fh:
        for q in questions:
            fh.write(json.dumps({"_id": q.qid, "text": q.text}) + "\n")
    with open(folder / "answers.jsonl", "w", encoding="utf-8") as fh:
        for q in questions:
            fh.write(json.dumps({"_id": q.qid, "answers": q.answers, "answer_starts": q.starts}) + "\n")
    rows = ["query-id\tcorpus-id\tscore"] + [f"{q.qid}\t{relevant[q.qid]}\t1" for q in questions]
    (folder / "qrels" / "test.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--write", type=Path, help="write each split as a BEIR folder under this folder (and NAME-articles)"
    )
    args = parser.parse_args()
    for s in load_splits().values():
        print(s.name, len(s.articles), "articles", len(s.paragraphs), "paragraphs", len(s.questions), "questions")
        if args.write:
            print("  ->", write_beir(s, args.write / s.name))
            print("  ->", write_beir_articles(s, args.write / f"{s.name}-articles"), "(whole articles)")
