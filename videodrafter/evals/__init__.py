"""Prompt-engineering evals: suites of cases, script and visual metrics, side-by-side reports."""
