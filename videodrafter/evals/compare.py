"""Two earlier eval reports of one suite, side by side, with each change marked better or worse."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from videodrafter.errors import InputError
from videodrafter.evals.reports import ARROW, HIGHER, ROWS, _cell, _missing
from videodrafter.evals.runner import EvalReport, aggregate


def load_report(folder: Path) -> EvalReport:
    """The report.json of an eval report folder (or the file itself)."""
    path = folder / "report.json" if folder.is_dir() else folder
    if not path.is_file():
        raise InputError(f"There is no eval report at {folder}.", "Give a folder written by `videodrafter eval` (it holds report.json).")
    try:
        return EvalReport.model_validate_json(path.read_text())
    except (ValidationError, ValueError) as error:
        raise InputError(f"{path} is not an eval report ({str(error).splitlines()[0]}).", "Give a folder written by `videodrafter eval`.") from error


def _change(before: float | None, after: float | None, pattern: str, better: str | None) -> str:
    """The difference as printed, with ▲ (better) or ▼ (worse) where the metric has a better direction."""
    if _missing(before) or _missing(after):
        return "–"
    shown_before, shown_after = (float(pattern.format(value).rstrip("%")) for value in (before, after))
    if shown_before == shown_after:
        return "="
    delta = after - before
    text = ("+" if delta > 0 else "−") + pattern.format(abs(delta))
    if better is None:
        return text
    improved = (delta > 0) == (better == HIGHER)
    return f"{text} {'▲ better' if improved else '▼ worse'}"


def compare_reports(first: EvalReport, second: EvalReport, names: tuple[str, str] = ("A", "B")) -> str:
    """A markdown table: per metric, each variant's value in A and B and the change from A to B.

    Variants (LLM · prompt set) found in both are paired; with none in common (v1 in A, v2 in B)
    they are paired in order, so two single-variant reports always compare.
    """
    if first.config.suite != second.config.suite:
        raise InputError(
            f"The reports are of different suites ({first.config.suite}, {second.config.suite}).",
            "Compare two reports of the same suite.",
        )
    table_a, table_b = aggregate(first), aggregate(second)
    common = [variant for variant in first.variants() if variant in table_a and variant in table_b]
    pairs = [(variant, variant) for variant in common] or list(
        zip([v for v in first.variants() if v in table_a], [v for v in second.variants() if v in table_b], strict=False)
    )
    if not pairs:
        raise InputError("The reports have no results to compare.", "Run the eval again: one of the reports is empty.")
    name_a, name_b = (f"{name} ({report.config.engine})" if report.config.engine else name for name, report in zip(names, (first, second), strict=True))
    header = ["metric"]
    for variant_a, variant_b in pairs:
        label_a, label_b = " · ".join(variant_a), " · ".join(variant_b)
        header += [f"{name_a}: {label_a}", f"{name_b}: {label_b}", "change"]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---|" * (len(header) - 1)]
    for key, label, pattern, better in ROWS:
        if not any(key in table_a[a] or key in table_b[b] for a, b in pairs):
            continue
        cells = []
        for variant_a, variant_b in pairs:
            before, after = table_a[variant_a].get(key), table_b[variant_b].get(key)
            cells += [_cell(before, pattern), _cell(after, pattern), _change(before, after, pattern, better)]
        lines.append(f"| {label}{ARROW[better]} | " + " | ".join(cells) + " |")
    cases_a, cases_b = {r.case_id for r in first.results}, {r.case_id for r in second.results}
    note = "" if cases_a == cases_b else f"\n\nNote: the reports ran different cases ({len(cases_a)} and {len(cases_b)}); the suite changed in between."
    return "\n".join(lines) + note
