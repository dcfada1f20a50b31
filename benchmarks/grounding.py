"""Before/after of grounded planning: the same suite planned by a baseline commit and by this tree,
in one run, scored with the same (current) metrics.

    python -m benchmarks.grounding --baseline 41ad0a5 --llm local:smollm2 --llm local:gemma3
    python -m benchmarks.grounding --llm local:smollm2          # this tree only (no baseline)
    python -m benchmarks.grounding --quick                      # one case, 1 scene, SmolLM2, this tree only

Each side runs `videodrafter eval` in its own process (the baseline from a temporary git worktree,
same virtualenv), one LLM at a time, baseline first, so both see the same machine load. Prints a
table and writes benchmarks/results/grounding-<time>.json. Timings are noisy on a shared machine:
compare the two columns of one run only. ``--quick`` plans one case of the suite (one scene, one
planning round) with the embedded SmolLM2 on this tree alone: a check that the benchmark still runs,
not a measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml
from rich.console import Console
from rich.table import Table

from videodrafter.evals.cases import load_suite, resolve_suite_path
from videodrafter.evals.script_metrics import script_metrics
from videodrafter.script import VideoScript
from videodrafter.text_embedding import embed_texts

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
QUICK = {"cases": 1, "scenes": 1, "llms": ["local:smollm2"], "environment": {"VIDEODRAFTER_PLAN_MAX_ATTEMPTS": "1"}}
"""The quick mode: the suite's first case at one scene, planned by SmolLM2 in one round, on this tree only."""


def _eval(tree: Path, suite: Path, llm: str, output: Path, environment: dict[str, str] | None = None) -> dict:
    """One `videodrafter eval` run of ``tree``'s code (``environment``: extra variables); its report.json."""
    environment = {**os.environ, **(environment or {}), "PYTHONPATH": str(tree)}
    command = [sys.executable, "-m", "videodrafter", "eval", "--suite", str(suite), "--llm", llm, "--prompts", "v1", "--output", str(output)]
    subprocess.run(command, cwd=tree, env=environment, check=True, stdout=subprocess.DEVNULL)
    return json.loads((output / "report.json").read_text())


def score(results: list[dict]) -> dict[str, float]:
    """The current metrics (evals.script_metrics) over one side's scripts; invalid scripts count as failures.

    Name consistency is the side's own figure: it counts repair notes, whose wording changed.
    """
    rows: dict[str, list[float]] = {}
    for result in results:
        rows.setdefault("seconds", []).append(result["metrics"]["seconds"])
        rows.setdefault("valid", []).append(float(result["script"] is not None))
        if result["script"] is None:
            continue
        script = VideoScript.model_validate(result["script"])
        metrics = script_metrics(
            script, attempts=result["metrics"]["attempts"], notes=result["notes"], min_scenes=1, max_scenes=20,
            event_embeddings=embed_texts([scene.event for scene in script.scenes]), expected_common=[],
            seconds=result["metrics"]["seconds"], llm_calls=0, tokens_in=0, tokens_out=0,
        ).model_dump()
        metrics["entity_consistency"] = result["metrics"]["entity_consistency"]
        for key in ("cast_found", "grounded_names", "characters_meet", "meta_text", "entity_consistency",
                    "near_duplicate_events", "camera_distinct", "camera_entropy", "scenes"):
            if metrics[key] is not None:
                rows.setdefault(key, []).append(float(metrics[key]))
    return {key: float(np.mean(values)) for key, values in rows.items()}


ROWS = [
    ("valid", "valid scripts", "{:.0%}"),
    ("cast_found", "prompt's cast found", "{:.0%}"),
    ("grounded_names", "names of real or prompt words", "{:.0%}"),
    ("entity_consistency", "entity names consistent", "{:.0%}"),
    ("characters_meet", "characters share a scene (2-3 characters)", "{:.0%}"),
    ("meta_text", "descriptions with meta text", "{:.0%}"),
    ("near_duplicate_events", "near-duplicate event pairs per case", "{:.2f}"),
    ("camera_distinct", "distinct camera moves", "{:.2f}"),
    ("scenes", "scenes per script", "{:.2f}"),
    ("seconds", "seconds per script", "{:.1f}"),
]


def quick_suite(suite_file: Path, folder: Path, *, cases: int, scenes: int) -> Path:
    """A copy of the suite with its first ``cases`` cases at ``scenes`` scenes (photo paths made absolute)."""
    suite = load_suite(str(suite_file))
    chosen = []
    for case in suite.cases[:cases]:
        data = case.model_dump(mode="json")
        data["scenes"] = scenes
        data["photos"] = {name: str(path) for name, path in case.photos.items()}  # load_suite resolved them
        chosen.append(data)
    target = folder / f"{suite.name}-quick.yaml"
    target.write_text(yaml.safe_dump({"description": f"{suite.name}, first {cases} case(s), {scenes} scenes", "cases": chosen}))
    return target


def run(suite_name: str, llms: list[str], folder: Path, *, baseline: str | None = None, quick: bool = False) -> dict:
    """Score each LLM's scripts on each side ('before': ``baseline``'s code, if given; 'after': this tree)."""
    suite_file = resolve_suite_path(suite_name).resolve()  # the current suite, also for the baseline's code
    if quick:
        suite_file = quick_suite(suite_file, folder, cases=QUICK["cases"], scenes=QUICK["scenes"])
    suite = load_suite(str(suite_file))
    scores: dict[str, dict[str, dict[str, float]]] = {}
    base_tree = folder / "baseline"
    if baseline:
        subprocess.run(["git", "worktree", "add", "--detach", str(base_tree), baseline], cwd=ROOT, check=True, capture_output=True)
    try:
        for llm in llms:
            for side, tree in ((("before", base_tree),) if baseline else ()) + (("after", ROOT),):
                output = folder / f"{side}-{llm.replace(':', '-').replace('/', '-')}"
                report = _eval(tree, suite_file, llm, output, QUICK["environment"] if quick else None)
                scores.setdefault(llm, {})[side] = score(report["results"])
    finally:
        if baseline:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, check=False, capture_output=True)
    return {"baseline": baseline, "suite": suite.name, "cases": len(suite.cases), "llms": llms, "quick": quick, "scores": scores}


def render(document: dict) -> Table:
    sides = ["before", "after"] if document["baseline"] else ["after"]
    llms = document["llms"]
    scores = document["scores"]
    against = f"baseline {document['baseline']}" if document["baseline"] else "this tree only"
    table = Table(title=f"grounded planning, suite {document['suite']} ({document['cases']} cases), {against}")
    table.add_column("metric")
    for llm in llms:
        for side in sides:
            table.add_column(f"{llm} {side}")
    for key, label, pattern in ROWS:
        cells = []
        for llm in llms:
            for side in sides:
                value = scores[llm][side].get(key)
                cells.append("–" if value is None else pattern.format(value))
        table.add_row(label, *cells)
    if document["baseline"]:
        for llm in llms:
            before, after = scores[llm]["before"]["seconds"], scores[llm]["after"]["seconds"]
            table.caption = (table.caption or "") + f"{llm}: after/before time {after / before:.2f}×  "
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=None, help="git commit or ref of the code before (none: this tree only)")
    parser.add_argument("--llm", action="append", default=None, help="LLM spec (repeatable; default local:smollm2 and local:gemma3, quick: local:smollm2)")
    parser.add_argument("--suite", default="genres", help="suite name or .yaml path (default genres; quick: smoke)")
    parser.add_argument("--quick", action="store_true", help="one case at one scene, one planning round, SmolLM2: checks that the benchmark runs")
    parser.add_argument("--output", type=Path, default=None, help="JSON file (default: benchmarks/results/grounding-<time>.json)")
    args = parser.parse_args(argv)
    llms = args.llm or (QUICK["llms"] if args.quick else ["local:smollm2", "local:gemma3"])
    suite = "smoke" if args.quick and args.suite == parser.get_default("suite") else args.suite
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="grounding-") as folder:
        document = run(suite, llms, Path(folder), baseline=args.baseline, quick=args.quick)
    document["seconds"] = time.perf_counter() - started
    Console().print(render(document))
    output = args.output or RESULTS / f"grounding-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2))
    Console().print(f"wrote {output}")


if __name__ == "__main__":
    main()
