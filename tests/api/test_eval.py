"""`qa eval` on a tiny BEIR dataset written by the test, through the real build, model and retriever."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.eval import ANSWER_METRICS, METRICS, load_dataset, score_run
from qa.search.options import MODES

DOCS = {
    "d1": ("Cruise missiles", "Four warships in the Caspian Sea launched 26 cruise missiles at targets in Syria."),
    "d2": ("Senator on missiles", "Senator Viktor Ozerov told Interfax that Russia will not intercept US missiles."),
    "d3": ("Kremlin channel", "Dmitry Peskov said the military communication channel with the US is active."),
    "d4": ("Drones", "Syrian government forces confirmed they use Russian-built drones to bomb sites."),
    "d5": ("Chemistry", "Water boils at 100 degrees Celsius at sea level pressure."),
    "d6": ("Football", "The home team won the cup final after a penalty shoot-out."),
    "d7": ("Gardening", "Tomatoes need full sun and regular watering to ripen."),
    "d8": ("Astronomy", "Jupiter is the largest planet of the solar system."),
}
QUERIES = {
    "q1": ("How many cruise missiles did the warships launch?", "d1"),
    "q2": ("Which news agency did the senator speak to?", "d2"),
    "q3": ("Is the military channel between Moscow and Washington active?", "d3"),
    "q4": ("At what temperature does water boil?", "d5"),
    "q5": ("What is the biggest planet?", "d8"),
}


def write_beir(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for doc_id, (title, text) in DOCS.items():
            fh.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as fh:
        for qid, (text, _) in QUERIES.items():
            fh.write(json.dumps({"_id": qid, "text": text}) + "\n")
        fh.write(json.dumps({"_id": "unjudged", "text": "not in the qrels"}) + "\n")
    lines = ["query-id\tcorpus-id\tscore"] + [f"{qid}\t{doc}\t1" for qid, (_, doc) in QUERIES.items()]
    (folder / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def beir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    return write_beir(tmp_path / "tiny")


def test_load_dataset_keeps_judged_queries_and_every_document(beir):
    dataset = load_dataset(beir)
    assert set(dataset.queries) == set(QUERIES)
    assert [a.article_id for a in dataset.articles] == list(DOCS)
    assert dataset.qrels["q1"] == {"d1": 1}
    with pytest.raises(FileNotFoundError, match=r"train\.tsv"):
        load_dataset(beir, "train")


@pytest.mark.slow  # ranx compiles its numba metrics on first use: 5-20 s on this machine
def test_metrics_come_from_ranx_and_missing_results_score_zero():
    qrels = {"a": {"x": 1}, "b": {"y": 1}}
    scores = score_run(qrels, {"a": {"z": 2.0, "x": 1.0}})  # x at rank 2; nothing for b
    assert scores["mrr@10"] == pytest.approx(0.25)
    assert scores["recall@10"] == pytest.approx(0.5)


@pytest.mark.slow
def test_qa_eval_prints_every_mode_as_json_then_as_a_table_from_the_cache(beir, embedder):
    runner = CliRunner()
    result = runner.invoke(main, ["eval", "--dataset", str(beir), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [r["mode"] for r in rows] == list(MODES)
    assert sum(r["default"] for r in rows) == 1
    for row in rows:
        assert set(row) == {"mode", "default", *METRICS, "p50_ms", "p95_ms"}
        assert all(0.0 <= row[m] <= 1.0 for m in METRICS)
        assert row["recall@100"] == 1.0  # 8 documents: every relevant one is retrieved
        assert row["p95_ms"] >= row["p50_ms"] >= 0  # a lexical query on 8 documents can round to 0.0 ms
    by_mode = {r["mode"]: r for r in rows}
    assert by_mode["hybrid"]["ndcg@10"] >= 0.8

    cache = Path(beir).parent / "cache" / "eval"
    built = sorted(p.name for p in cache.glob("*/versions/*"))
    table = runner.invoke(main, ["eval", "--dataset", str(beir), "--mode", "lexical", "--mode", "hybrid"])
    assert table.exit_code == 0, table.output
    assert sorted(p.name for p in cache.glob("*/versions/*")) == built  # the cached index was reused
    lines = table.output.splitlines()
    assert lines[1].startswith("| mode | nDCG@10 | R@10 | R@100 | MRR@10 | p50 ms | p95 ms |")
    assert [line.split("|")[1].strip().rstrip(" *") for line in lines[3:]] == ["lexical", "hybrid"]
    # other chunking settings are another index (the tiny documents have no paragraph breaks: same results)
    flat = runner.invoke(main, ["eval", "--dataset", str(beir), "--mode", "lexical", "--no-chunk-paragraphs"])
    assert flat.exit_code == 0, flat.output
    assert len(list(cache.glob("*/versions/*"))) == len(built) + 1
    lexical_rows = [
        [line.split("|")[:6] for line in out.splitlines() if line.startswith("| lexical")]
        for out in (flat.output, table.output)
    ]
    assert lexical_rows[0] == lexical_rows[1]  # same metrics (latencies aside)
    # the default search options over another build are not the default configuration
    other = runner.invoke(main, ["eval", "--dataset", str(beir), "--mode", "hybrid", "--json", "--chunk-tokens", "120"])
    assert other.exit_code == 0, other.output
    assert [json.loads(line)["default"] for line in other.output.splitlines() if line.startswith("{")] == [False]


def test_qa_eval_rejects_an_unknown_mode_and_a_folder_that_is_not_beir(beir, tmp_path):
    runner = CliRunner()
    bad_mode = runner.invoke(main, ["eval", "--dataset", str(beir), "--mode", "psychic"])
    assert bad_mode.exit_code != 0 and "unknown mode" in bad_mode.output
    empty = tmp_path / "empty"
    empty.mkdir()
    not_beir = runner.invoke(main, ["eval", "--dataset", str(empty)])
    assert not_beir.exit_code != 0 and "corpus.jsonl" in not_beir.output


@pytest.mark.slow
def test_qa_eval_scores_answers_when_the_dataset_has_them(beir, embedder):
    answers = {"q1": ["26"], "q2": ["Interfax"], "q4": ["100 degrees Celsius"], "q5": ["Jupiter"]}
    with open(beir / "answers.jsonl", "w", encoding="utf-8") as fh:
        for qid, texts in answers.items():
            fh.write(json.dumps({"_id": qid, "answers": texts}) + "\n")
    dataset = load_dataset(beir)
    assert dataset.answers == answers  # q3 has no answer: only the four are scored
    result = CliRunner().invoke(main, ["eval", "--dataset", str(beir), "--mode", "hybrid", "--json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.output.splitlines()[-1])
    assert set(ANSWER_METRICS) <= set(row)
    assert row["top1"] == 1.0 and row["highlight_holds"] == 1.0  # one-sentence documents, each found first
    assert 0.0 < row["span_f1"] <= 1.0 and row["span_em"] <= row["span_f1"]
    table = CliRunner().invoke(main, ["eval", "--dataset", str(beir), "--mode", "hybrid"])
    assert "span F1" in table.output.splitlines()[1]
