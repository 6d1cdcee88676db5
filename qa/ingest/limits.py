"""Size limits of ingestion."""

MAX_FILE_BYTES = 64 * 1024 * 1024  # a .json file is parsed whole
# One article (a .txt/.md/.html file, one JSON/JSONL record, one WARC record, or a compressed file's content)
# larger than this is no news article (a log, a dump, a book): it is skipped with the reason rather than
# tying up the build for an hour.
MAX_ARTICLE_BYTES = 10 * 1024 * 1024
