"""Eval reports: a side-by-side markdown table, the full JSON, and an HTML page with per-case drill-down."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

from videodrafter.evals.call_traces import LLMCall
from videodrafter.evals.runner import CaseResult, EvalReport, aggregate
from videodrafter.evals.visual_metrics import PAPER_SCENE_CONSISTENCY
from videodrafter.media.files import write_text_atomic

HIGHER, LOWER = "higher", "lower"
ROWS = [
    ("valid", "valid scripts", "{:.0%}", HIGHER),
    ("retries", "retries per case", "{:.2f}", LOWER),
    ("scene_count_ok", "scene count within bounds", "{:.0%}", HIGHER),
    ("entity_consistency", "entity names consistent", "{:.0%}", HIGHER),
    ("name_repairs", "names repaired per case", "{:.2f}", LOWER),
    ("common_entities", "common entities", "{:.2f}", HIGHER),
    ("expected_common_found", "expected recurring entities found", "{:.0%}", HIGHER),
    ("cast_found", "prompt's cast found", "{:.0%}", HIGHER),
    ("grounded_names", "names of real or prompt words", "{:.0%}", HIGHER),
    ("characters_meet", "characters share a scene", "{:.0%}", HIGHER),
    ("meta_text", "descriptions with meta text", "{:.0%}", LOWER),
    ("stranger_lines", "lines telling of a stranger", "{:.2f}", LOWER),
    ("first_person_lines", "first-person lines", "{:.2f}", LOWER),
    ("cut_lines", "lines cut mid-sentence", "{:.2f}", LOWER),
    ("invented_words", "lines with an invented word or name", "{:.2f}", LOWER),
    ("retold_lines", "planner lines retold by the last check", "{:.2f}", LOWER),
    ("max_event_similarity", "max event similarity (MiniLM)", "{:.2f}", LOWER),
    ("near_duplicate_events", "near-duplicate event pairs", "{:.2f}", LOWER),
    ("camera_distinct", "distinct camera moves", "{:.2f}", HIGHER),
    ("camera_entropy", "camera entropy (bits)", "{:.2f}", HIGHER),
    ("coherence", "coherence (judge, 1-5)", "{:.2f}", HIGHER),
    ("seconds", "seconds per case", "{:.1f}", LOWER),
    ("llm_calls", "LLM calls per case", "{:.1f}", LOWER),
    ("tokens_out", "output tokens per case", "{:.0f}", None),
    ("tokens_out_per_s", "output tokens / s", "{:.0f}", HIGHER),
    ("clipsim", "CLIPSIM", "{:.3f}", HIGHER),
    ("fg_sim", "FG-SIM", "{:.3f}", HIGHER),
    ("bg_sim", "BG-SIM", "{:.3f}", HIGHER),
    ("scene_consistency", "scene consistency", "{:.3f}", HIGHER),
    ("frame_consistency", "frame consistency", "{:.3f}", HIGHER),
    ("critic_pass_rate", "critic pass rate (scene verdicts)", "{:.0%}", HIGHER),
    ("regenerations_per_scene", "regenerations per scene", "{:.2f}", LOWER),
    ("clips_redone", "clips redone per case", "{:.2f}", LOWER),
]
"""(metric, label, format, which direction is better); None: neither (a cost one may trade)."""
ARROW = {HIGHER: " ↑", LOWER: " ↓", None: ""}


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _cell(value: float | None, pattern: str) -> str:
    return "–" if _missing(value) else pattern.format(value)


def _best(values: list[float | None], pattern: str, better: str | None) -> set[int]:
    """Columns holding the best value as printed (a difference the rounding hides is no difference)."""
    shown = {index: float(pattern.format(value).rstrip("%")) for index, value in enumerate(values) if not _missing(value)}
    if better is None or len(shown) < 2 or len(set(shown.values())) < 2:
        return set()
    target = (max if better == HIGHER else min)(shown.values())
    return {index for index, value in shown.items() if value == target}


def summary_rows(report: EvalReport) -> tuple[list[str], list[tuple[str, list[tuple[str, bool]]]]]:
    """Column names, then per metric its label (with ↑/↓) and the cells, each marked if it is the best."""
    table = aggregate(report)
    variants = [variant for variant in report.variants() if variant in table]
    rows = []
    for key, label, pattern, better in ROWS:
        if not any(key in table[variant] for variant in variants):
            continue
        values = [table[variant].get(key) for variant in variants]
        best = _best(values, pattern, better)
        cells = []
        for index, (variant, value) in enumerate(zip(variants, values, strict=True)):
            text = _cell(value, pattern)
            spread = table[variant].get(f"{key}_sd")
            if spread is not None and not _missing(value):
                text += f" ± {pattern.format(spread)}"
            cells.append((text, index in best))
        rows.append((label + ARROW[better], cells))
    return [f"{llm} · {prompt_set}" for llm, prompt_set in variants], rows


def markdown_table(report: EvalReport) -> str:
    """Variants side by side; ↑/↓ say which direction is better, the best value of a row is bold."""
    columns, rows = summary_rows(report)
    lines = ["| metric | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for label, cells in rows:
        lines.append(f"| {label} | " + " | ".join(f"**{text}**" if best else text for text, best in cells) + " |")
    return "\n".join(lines)


def failed_cases(report: EvalReport, limit: int = 600) -> str:
    """Each failed case with its error and the start of what the LLM wrote."""
    blocks = []
    for result in report.results:
        if result.metrics.valid:
            continue
        written = result.llm_output.strip()[:limit] or "(nothing: the LLM was not reached or wrote no text)"
        again = f" · run {result.repeat + 1}" if report.config.repeats > 1 else ""
        blocks.append(f"- **{result.case_id}** · {result.llm} · {result.prompt_set}{again}: {result.metrics.error}\n\n```text\n{written}\n```")
    return "\n".join(blocks)


def beside_the_paper(report: EvalReport) -> list[str]:
    """Scene consistency (× 100) of the rendered cases beside the VideoDrafter paper's table; empty without renders."""
    table = aggregate(report)
    ours = {f"{llm} · {prompt_set}": values["scene_consistency"] for (llm, prompt_set), values in table.items() if not _missing(values.get("scene_consistency"))}
    if not ours:
        return []
    measured = "CLIP" if report.config.clip_model else "the run's image embedder (its own feature space: compare across engines, not with the paper)"
    lines = [
        "## Scene consistency beside the paper",
        "",
        f"Engine: {report.config.engine}; measured with {measured}. The paper's numbers are CLIP similarities × 100.",
        "",
        "| | scene consistency ↑ |",
        "|---|---|",
    ]
    lines += [f"| paper: {name} | {value:.1f} |" for name, value in PAPER_SCENE_CONSISTENCY.items()]
    lines += [f"| ours: {variant} | {100 * value:.1f} |" for variant, value in ours.items()]
    return [*lines, ""]


def cache_line(report: EvalReport) -> str:
    """How many answers came from the answer cache; empty when none did."""
    cached, calls = report.cache_counts()
    if not cached:
        return ""
    return (
        f"{cached} of {calls} LLM answers came from the answer cache ({report.config.cache_dir}); their seconds and tokens "
        "are those measured when they were written. Run with --no-cache to ask the LLM again."
    )


def markdown_report(report: EvalReport) -> str:
    config = report.config
    repeats = f" × {config.repeats} runs (latency: mean ± sd over runs)" if config.repeats > 1 else ""
    failures = failed_cases(report)
    return "\n".join(
        [
            f"# Eval: {config.suite}",
            "",
            report.suite_description,
            "",
            (
                f"{len({r.case_id for r in report.results})} cases × {len(config.llms)} LLM(s) × "
                f"{len(config.prompt_sets)} prompt set(s){repeats}, seed {config.seed}, {report.seconds:.0f} s in all. "
                "↑ higher is better, ↓ lower is better; the best value of a row is bold."
            ),
            "",
            markdown_table(report),
            "",
            *([cache_line(report), ""] if cache_line(report) else []),
            *beside_the_paper(report),
            *(["## Failed cases: what the LLM wrote", "", failures, ""] if failures else []),
            "Versions: " + ", ".join(f"{name} {value}" for name, value in report.versions.items()),
            "",
        ]
    )


def _metric_text(value) -> str:
    """Per-case values to three significant digits (0.6666666 reads 0.667)."""
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _html_call(number: int, call: LLMCall) -> str:
    """One LLM call, collapsed: its summary line, then the messages, the raw answer and what came back."""
    escape = html.escape
    facts = [call.role, f"{call.seconds:.1f} s", f"{call.tokens_in} → {call.tokens_out} tokens"]
    facts += [call.response_format] if call.response_format else []
    facts += ["from the cache"] if call.cached else []
    facts += ["rejected"] if call.feedback else []
    facts += ["error"] if call.error else []
    messages = "".join(f"<p class='role'>{escape(message.role)}</p><pre>{escape(message.content)}</pre>" for message in call.messages)
    parameters = f"<p>parameters: {escape(json.dumps(call.parameters))}</p>" if call.parameters else ""
    answer = f"<p class='role'>answer</p><pre>{escape(call.answer or '(no text)')}</pre>"
    feedback = f"<p class='role'>sent back by the checker</p><pre>{escape(call.feedback)}</pre>" if call.feedback else ""
    error = f"<p class='role'>error</p><pre>{escape(call.error)}</pre>" if call.error else ""
    return (
        f"<details class='call'><summary>call {number} · {escape(' · '.join(facts))}</summary>"
        f"{parameters}{messages}{answer}{feedback}{error}</details>"
    )


def _html_trace(result: CaseResult) -> str:
    """The case's LLM calls and the checker's problems, collapsed under one line."""
    if not result.calls and not result.problems:
        return ""
    cached = f", {result.cached_calls} from the cache" if result.cached_calls else ""
    calls = "".join(_html_call(number, call) for number, call in enumerate(result.calls, start=1))
    problems = "".join(f"<li><pre>{html.escape(problem)}</pre></li>" for problem in result.problems)
    problems = f"<p>Problems sent back to the LLM:</p><ol>{problems}</ol>" if problems else ""
    return f"<details class='trace'><summary>LLM calls ({len(result.calls)}{cached})</summary>{problems}{calls}</details>"


def html_report(report: EvalReport) -> str:
    escape = html.escape
    cases = []
    for result in report.results:
        metrics = "".join(f"<tr><th>{escape(k)}</th><td>{escape(_metric_text(v))}</td></tr>" for k, v in result.metrics.model_dump().items())
        if result.visual:
            metrics += "".join(f"<tr><th>{escape(k)}</th><td>{v:.3f}</td></tr>" for k, v in result.visual.model_dump().items())
        scenes = ""
        if result.script is not None:
            rows = "".join(
                f"<tr><td>{number}</td><td>{escape(scene.event)}</td><td>{escape(scene.action)}</td>"
                f"<td>{escape(', '.join(scene.foreground))}</td><td>{escape(scene.background)}</td><td>{escape(scene.camera.label())}</td></tr>"
                for number, scene in enumerate(result.script.scenes, start=1)
            )
            entities = "".join(f"<li><b>{escape(e.name)}</b> ({e.kind.value}): {escape(e.description)}</li>" for e in result.script.entities)
            scenes = f"<table class='scenes'><tr><th>#</th><th>event</th><th>action</th><th>foreground</th><th>background</th><th>camera</th></tr>{rows}</table><ul>{entities}</ul>"
        notes = "".join(f"<li>{escape(note)}</li>" for note in result.notes)
        status = "ok" if result.metrics.valid else f"failed: {escape(result.metrics.error)}"
        status += " · cached" if result.cached_calls else ""
        if not result.metrics.valid:
            notes += f"<li>What the LLM wrote last:<pre>{escape(result.llm_output or '(no text)')}</pre></li>"
        cases.append(
            f"<details><summary><b>{escape(result.case_id)}</b> · {escape(result.llm)} · {escape(result.prompt_set)} · {status}</summary>"
            f"<table class='metrics'>{metrics}</table>{scenes}<ul class='notes'>{notes}</ul>"
            f"{'<p>judge: ' + escape(result.judge_reason) + '</p>' if result.judge_reason else ''}{_html_trace(result)}</details>"
        )
    columns, rows = summary_rows(report)
    table = "<tr><th>metric</th>" + "".join(f"<th>{escape(column)}</th>" for column in columns) + "</tr>" + "".join(
        f"<tr><th>{escape(label)}</th>" + "".join(f"<td{' class=best' if best else ''}>{escape(text)}</td>" for text, best in cells) + "</tr>"
        for label, cells in rows
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Eval {escape(report.config.suite)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}table{{border-collapse:collapse;margin:.5em 0}}td,th{{border:1px solid #ccc;padding:.25em .5em;text-align:left}}details{{margin:.4em 0}}summary{{cursor:pointer}}td.best{{font-weight:bold;background:#e6f4ea}}pre{{white-space:pre-wrap;background:#f6f6f6;padding:.5em}}details.trace,details.call{{margin-left:1em}}p.role{{margin:.3em 0 0;font-weight:bold}}</style>
</head><body><h1>Eval: {escape(report.config.suite)}</h1><p>{escape(report.suite_description)}</p>
<h2>Side by side</h2><p>↑ higher is better, ↓ lower is better; the best value of a row is highlighted.</p><table>{table}</table><p>{escape(cache_line(report))}</p><h2>Cases</h2>{''.join(cases)}
<h2>Reproduce</h2><pre>{escape(json.dumps({"config": report.config.model_dump(mode="json"), "versions": report.versions, "prompt_sets": report.prompt_set_hashes}, indent=2))}</pre></body></html>"""


def write_reports(report: EvalReport, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": folder / "report.md", "json": folder / "report.json", "html": folder / "report.html"}
    write_text_atomic(paths["markdown"], markdown_report(report))
    write_text_atomic(paths["json"], report.model_dump_json(indent=2))
    write_text_atomic(paths["html"], html_report(report))
    return paths
