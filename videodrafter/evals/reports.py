"""Eval reports: a side-by-side markdown table, the full JSON, and an HTML page with per-case drill-down."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

from videodrafter.evals.runner import EvalReport, aggregate
from videodrafter.media.files import write_text_atomic

ROWS = [
    ("valid", "valid scripts", "{:.0%}"),
    ("retries", "retries per case", "{:.2f}"),
    ("scene_count_ok", "scene count within bounds", "{:.0%}"),
    ("entity_consistency", "entity names consistent", "{:.0%}"),
    ("name_repairs", "names repaired per case", "{:.2f}"),
    ("common_entities", "common entities", "{:.2f}"),
    ("expected_common_found", "expected recurring entities found", "{:.0%}"),
    ("cast_found", "prompt's cast found", "{:.0%}"),
    ("grounded_names", "names of real or prompt words", "{:.0%}"),
    ("characters_meet", "characters share a scene", "{:.0%}"),
    ("meta_text", "descriptions with meta text", "{:.0%}"),
    ("max_event_similarity", "max event similarity (MiniLM)", "{:.2f}"),
    ("near_duplicate_events", "near-duplicate event pairs", "{:.2f}"),
    ("camera_distinct", "distinct camera moves", "{:.2f}"),
    ("camera_entropy", "camera entropy (bits)", "{:.2f}"),
    ("coherence", "coherence (judge, 1-5)", "{:.2f}"),
    ("seconds", "seconds per case", "{:.1f}"),
    ("llm_calls", "LLM calls per case", "{:.1f}"),
    ("tokens_out", "output tokens per case", "{:.0f}"),
    ("tokens_out_per_s", "output tokens / s", "{:.0f}"),
    ("clipsim", "CLIPSIM", "{:.3f}"),
    ("fg_sim", "FG-SIM", "{:.3f}"),
    ("bg_sim", "BG-SIM", "{:.3f}"),
    ("scene_consistency", "scene consistency", "{:.3f}"),
    ("frame_consistency", "frame consistency", "{:.3f}"),
]


def _cell(value: float | None, pattern: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return pattern.format(value)


def markdown_table(report: EvalReport) -> str:
    table = aggregate(report)
    variants = [variant for variant in report.variants() if variant in table]
    header = "| metric | " + " | ".join(f"{llm} · {prompt_set}" for llm, prompt_set in variants) + " |"
    lines = [header, "|---|" + "---|" * len(variants)]
    for key, label, pattern in ROWS:
        if not any(key in table[variant] for variant in variants):
            continue
        lines.append(f"| {label} | " + " | ".join(_cell(table[variant].get(key), pattern) for variant in variants) + " |")
    return "\n".join(lines)


def markdown_report(report: EvalReport) -> str:
    config = report.config
    return "\n".join(
        [
            f"# Eval: {config.suite}",
            "",
            report.suite_description,
            "",
            (
                f"{len({r.case_id for r in report.results})} cases × {len(config.llms)} LLM(s) × "
                f"{len(config.prompt_sets)} prompt set(s), seed {config.seed}, {report.seconds:.0f} s in all."
            ),
            "",
            markdown_table(report),
            "",
            "Versions: " + ", ".join(f"{name} {value}" for name, value in report.versions.items()),
            "",
        ]
    )


def html_report(report: EvalReport) -> str:
    escape = html.escape
    cases = []
    for result in report.results:
        metrics = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in result.metrics.model_dump().items())
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
        cases.append(
            f"<details><summary><b>{escape(result.case_id)}</b> · {escape(result.llm)} · {escape(result.prompt_set)} · {status}</summary>"
            f"<table class='metrics'>{metrics}</table>{scenes}<ul class='notes'>{notes}</ul>"
            f"{'<p>judge: ' + escape(result.judge_reason) + '</p>' if result.judge_reason else ''}</details>"
        )
    summary = markdown_table(report)
    summary_rows = [line.strip("|").split("|") for line in summary.splitlines() if not line.startswith("|---")]
    table = "".join(
        "<tr>" + "".join(f"<{'th' if index == 0 else 'td'}>{escape(cell.strip())}</{'th' if index == 0 else 'td'}>" for cell in row) + "</tr>"
        for index, row in enumerate(summary_rows)
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Eval {escape(report.config.suite)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}table{{border-collapse:collapse;margin:.5em 0}}td,th{{border:1px solid #ccc;padding:.25em .5em;text-align:left}}details{{margin:.4em 0}}summary{{cursor:pointer}}</style>
</head><body><h1>Eval: {escape(report.config.suite)}</h1><p>{escape(report.suite_description)}</p>
<h2>Side by side</h2><table>{table}</table><h2>Cases</h2>{''.join(cases)}
<h2>Reproduce</h2><pre>{escape(json.dumps({"config": report.config.model_dump(mode="json"), "versions": report.versions, "prompt_sets": report.prompt_set_hashes}, indent=2))}</pre></body></html>"""


def write_reports(report: EvalReport, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": folder / "report.md", "json": folder / "report.json", "html": folder / "report.html"}
    write_text_atomic(paths["markdown"], markdown_report(report))
    write_text_atomic(paths["json"], report.model_dump_json(indent=2))
    write_text_atomic(paths["html"], html_report(report))
    return paths
