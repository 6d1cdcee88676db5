"""The `qa` command: build an index, ask questions, serve the chat."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from .config import default_cache_dir, default_corpus_dir, default_index_dir

# The app's queue: how many questions run at once (retrieval is CPU-bound and releases the GIL in FAISS and
# the encoder) and how many may wait before new ones are turned away with "queue full".
DEFAULT_CONCURRENCY = 4
DEFAULT_MAX_QUEUE = 64
STAGE_LABELS = {"read": "Reading articles", "chunk": "Chunking", "embed": "Embedding chunks", "index": "Writing index"}


def _corpus_option(f):
    return click.option(
        "--corpus",
        "corpus_dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Folder of articles [env QA_CORPUS_DIR; default corpus/]",
    )(f)


def _index_option(f):
    return click.option(
        "--index",
        "index_dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Index folder [env QA_INDEX_DIR; default index/]",
    )(f)


class ProgressPrinter:
    """Click progress bars, one per pipeline stage."""

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=STAGE_LABELS.get(stage, stage), file=sys.stderr)
            self.bar.__enter__()
        if self.bar is not None and done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _fail(message: str) -> None:
    raise click.ClickException(message)


@click.group()
@click.version_option(package_name="newsqa")
def main() -> None:
    """Offline question answering over a folder of news articles."""


@main.command()
@_corpus_option
@_index_option
@click.option("--if-stale", is_flag=True, help="Do nothing when the index is up to date.")
@click.option("--full", is_flag=True, help="Embed every article again, not only new or changed ones.")
@click.option(
    "--index-type",
    type=click.Choice(["auto", "flat", "hnsw", "ivf"]),
    default=None,
    help="Vector index: auto (exact flat up to 50k chunks, HNSW above), flat, hnsw or ivf [env QA_INDEX_TYPE]",
)
@click.option(
    "--ray",
    "ray_address",
    metavar="ADDRESS",
    default=None,
    help="Embed as a Ray Data job on the cluster at ADDRESS (auto: the running one, else a local one); "
    "needs pip install 'newsqa[ray]'",
)
def build(
    corpus_dir: Path | None,
    index_dir: Path | None,
    if_stale: bool,
    full: bool,
    index_type: str | None,
    ray_address: str | None,
) -> None:
    """Index a folder of articles (.txt .md .html .json .jsonl); on an existing index, update it."""
    from .config import BuildConfig, IndexConfig
    from .index.build import build_index, index_status
    from .index.embed import ModelNotFoundError
    from .index.pipeline import EmptyCorpusError
    from .index.store import IndexStoreError

    corpus_dir = corpus_dir or default_corpus_dir()
    index_dir = index_dir or default_index_dir()
    if if_stale and not full and index_status(corpus_dir, index_dir, compare_bytes=False) == "fresh":
        click.echo(f"Index at {index_dir} is up to date.")
        return
    progress = ProgressPrinter()
    try:
        config = BuildConfig(index=IndexConfig(index_type=index_type)) if index_type else None
        if ray_address:
            from .distributed import build_index_ray

            report = build_index_ray(
                corpus_dir, index_dir, config, address=ray_address, full=full, on_progress=progress
            )
        else:
            report = build_index(corpus_dir, index_dir, config=config, on_progress=progress, full=full)
    except (
        OSError,  # a missing corpus, an unwritable index folder, a full disk: the served index is untouched
        EmptyCorpusError,
        ModelNotFoundError,
        IndexStoreError,
        ValueError,
        RuntimeError,  # --ray without Ray installed, or a cluster that cannot be reached
    ) as exc:
        progress.close()
        _fail(str(exc))
    progress.close()
    click.echo(report.summary())
    for skipped in report.skipped:
        click.echo(f"  skipped {skipped}", err=True)
    for folded in report.folded:
        click.echo(f"  folded {folded}")
    click.echo(f"Index: {index_dir}")


@main.command()
@click.argument("question")
@click.option("-k", "k", type=click.IntRange(1, 100), default=5, show_default=True, help="Passages to return.")
@click.option("--json", "as_json", is_flag=True, help="Print the passages as JSON with all their fields.")
@click.option(
    "--mode", type=click.Choice(["dense", "lexical", "hybrid", "hybrid+rerank"]), default=None, help="Retrieval mode."
)
@click.option("--per-article", is_flag=True, help="At most one passage per article.")
@click.option("--prefer-recent", is_flag=True, help="Rank newer articles higher (time decay from the newest article).")
@click.option(
    "--half-life",
    "half_life",
    type=click.FloatRange(min=1),
    default=None,
    metavar="DAYS",
    help="With --prefer-recent: an article this many days older weighs 3/4 [default: 365].",
)
@_index_option
def ask(
    question: str,
    k: int,
    as_json: bool,
    mode: str | None,
    per_article: bool,
    prefer_recent: bool,
    half_life: float | None,
    index_dir: Path | None,
) -> None:
    """Answer QUESTION with the most relevant passages and their sources."""
    from .api import retrieve
    from .index.store import IndexStoreError

    overrides: dict[str, object] = {"per_article": per_article, "prefer_recent": prefer_recent}
    if half_life:
        overrides["half_life_days"] = half_life
    if mode:
        overrides["mode"] = mode
    try:
        passages = retrieve(question, k=k, index_dir=index_dir, **overrides)
    except (ValueError, IndexStoreError) as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in passages], indent=2, ensure_ascii=False))
        return
    if not passages:
        click.echo("No passage found.")
    for rank, p in enumerate(passages, 1):
        meta = " · ".join(x for x in (p.source, p.published or "", p.url or p.path) if x)
        click.secho(f"{rank}. {p.title}", bold=True)
        click.echo(f"   {meta}   score {p.score:.3f}")
        if p.answer:
            click.echo("   Short answer: " + click.style(p.answer, fg="green", bold=True))
        click.echo("   Answer: " + click.style(p.highlight, fg="yellow", bold=True))
        before, after = p.text[: p.highlight_start], p.text[p.highlight_end :]
        passage = before + click.style(p.highlight, fg="yellow", bold=True) + after
        click.echo("   " + passage.replace("\n\n", "\n   "))
        click.echo()


def _parse_setting(value: str) -> tuple[str, object]:
    name, _, raw = value.partition("=")
    if not name or not _:
        raise click.BadParameter(f"expected NAME=VALUE, not {value!r}")
    try:
        return name.strip(), json.loads(raw)
    except json.JSONDecodeError:
        return name.strip(), raw


@main.command("eval")
@click.option(
    "--dataset",
    "dataset_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv",
)
@click.option("--split", default="test", show_default=True, help="Which qrels file to score.")
@click.option("--mode", "modes", multiple=True, help="Mode(s) to evaluate [default: all].")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line, one per mode.")
@click.option("--model", default=None, help="Embedding model [default: QA_MODEL or all-MiniLM-L6-v2-tuned-onnx-int8].")
@click.option("--chunk-tokens", type=int, default=None, help="Chunk size in tokens [default: the build's].")
@click.option("--overlap-tokens", type=int, default=None, help="Chunk overlap in tokens [default: the build's].")
@click.option(
    "--chunk-paragraphs/--no-chunk-paragraphs",
    default=None,
    help="A chunk at least half full ends before a paragraph it cannot finish [default: the build's].",
)
@click.option("--set", "settings", multiple=True, help="Override a search option, e.g. --set fusion=rrf.")
def eval_(
    dataset_dir: Path,
    split: str,
    modes: tuple[str, ...],
    as_json: bool,
    model: str | None,
    chunk_tokens: int | None,
    overlap_tokens: int | None,
    chunk_paragraphs: bool | None,
    settings: tuple[str, ...],
) -> None:
    """Measure retrieval quality (nDCG@10, Recall@10/100, MRR@10, latency) on a BEIR dataset."""
    from .api import get_embedder
    from .eval import build_config, cached_index, evaluate_modes, format_table, load_dataset
    from .search.options import MODES
    from .search.retriever import Retriever

    unknown = [m for m in modes if m not in MODES]
    if unknown:
        _fail(f"unknown mode {', '.join(unknown)}: use {', '.join(MODES)}")
    try:
        dataset = load_dataset(dataset_dir, split)
        config = build_config(model, chunk_tokens, overlap_tokens, chunk_paragraphs)
        embedder = get_embedder(config.model)
        progress = ProgressPrinter()
        index_dir = cached_index(dataset, config, embedder=embedder, on_progress=progress)
        progress.close()
        retriever = Retriever.open(index_dir, embedder)
        retriever.rerank_cache_dir = default_cache_dir() / "rerank"
        overrides = dict(map(_parse_setting, settings))
        results = evaluate_modes(retriever, dataset, modes or MODES, overrides, default_build=config == build_config())
    except (FileNotFoundError, ValueError, TypeError) as exc:
        _fail(str(exc))
    if as_json:
        for result in results:
            click.echo(json.dumps(result.row()))
        return
    click.echo(
        f"{dataset.name} ({split}: {len(dataset.queries)} queries, {len(dataset.articles)} documents), "
        f"model {config.model}, chunks of {config.chunking.max_tokens} tokens; * = the default configuration"
    )
    click.echo(format_table(results))


def auth_from_env(value: str | None = None) -> tuple[str, str] | None:
    """Basic-auth credentials from `QA_AUTH="user:password"`; None when unset."""
    value = os.environ.get("QA_AUTH", "") if value is None else value
    if not value.strip():
        return None
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise ValueError('QA_AUTH must look like "user:password"')
    return user.strip(), password


def queue_settings() -> tuple[int, int]:
    """(concurrency, max queue size) from `QA_CONCURRENCY` and `QA_MAX_QUEUE`."""
    return (
        int(os.environ.get("QA_CONCURRENCY") or DEFAULT_CONCURRENCY),
        int(os.environ.get("QA_MAX_QUEUE") or DEFAULT_MAX_QUEUE),
    )


def ensure_index(corpus_dir: Path, index_dir: Path) -> None:
    """Build the index when it is missing or stale, printing progress."""
    from .index.build import build_index, index_status

    status = index_status(corpus_dir, index_dir, compare_bytes=False)
    if status == "fresh":
        return
    print(f"Index is {status}; building it from {corpus_dir} ...", flush=True)
    progress = ProgressPrinter()
    try:
        report = build_index(corpus_dir, index_dir, on_progress=progress)
    finally:
        progress.close()
    print(report.summary(), flush=True)


def serve_app(
    host: str = "127.0.0.1",
    port: int = 7860,
    corpus_dir: Path | None = None,
    index_dir: Path | None = None,
    allow_uploads: bool | None = None,
) -> None:
    """Build the index if needed, load it and the model, and serve the chat until interrupted."""
    from .api import retrieve
    from .web.app import build_app, launch

    corpus_dir = Path(corpus_dir or default_corpus_dir())
    index_dir = Path(index_dir or default_index_dir())
    auth = auth_from_env()  # a malformed QA_AUTH fails before anything slow
    concurrency, max_queue = queue_settings()
    try:
        ensure_index(corpus_dir, index_dir)
        retrieve("warm up", k=1, index_dir=index_dir)  # load the index and the model before the first question
    except Exception as exc:  # serve anyway: the page says what is wrong and offers "Rebuild index"
        print(f"warning: the index is not ready: {exc}", flush=True)
    demo = build_app(corpus_dir, index_dir, allow_uploads=allow_uploads)
    launch(demo, host=host, port=port, auth=auth, concurrency=concurrency, max_queue=max_queue)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="QA_HOST", help="Interface to bind.")
@click.option("--port", default=7860, show_default=True, type=int, envvar="QA_PORT")
@_corpus_option
@_index_option
@click.option(
    "--allow-uploads",
    is_flag=True,
    default=None,
    help="Let the page add articles to the corpus folder [env QA_ALLOW_UPLOADS=1]; beyond 127.0.0.1 only with QA_AUTH.",
)
def serve(host: str, port: int, corpus_dir: Path | None, index_dir: Path | None, allow_uploads: bool | None) -> None:
    """Serve the chat in the browser (builds the index first if it is missing or stale)."""
    try:
        serve_app(host=host, port=port, corpus_dir=corpus_dir, index_dir=index_dir, allow_uploads=allow_uploads or None)
    except ValueError as exc:  # a malformed QA_AUTH or queue setting
        _fail(str(exc))


if __name__ == "__main__":  # pragma: no cover
    main()
