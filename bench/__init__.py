"""Benchmarks for scale and speed: `python -m bench --help`. Figures are printed and written to
bench/results.md; nothing here asserts a time."""
