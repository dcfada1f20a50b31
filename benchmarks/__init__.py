"""Benchmarks: `python -m benchmarks.run` prints a table and writes JSON under benchmarks/results/."""
