"""Before/after of grounded planning: the same suite planned by a baseline commit and by this tree,
in one run, scored with the same (current) metrics.

    python -m benchmarks.grounding --baseline 41ad0a5 --llm local:smollm2 --llm local:gemma3

Each side runs `videodrafter eval` in its own process (the baseline from a temporary git worktree,
same virtualenv), one LLM at a time, baseline first, so both see the same machine load. Prints a
table and writes benchmarks/results/grounding-<time>.json. Timings are noisy on a shared machine:
compare the two columns of one run only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from videodrafter.evals.cases import load_suite
from videodrafter.evals.script_metrics import script_metrics
from videodrafter.script import VideoScript
from videodrafter.text_embedding import embed_texts

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"


def _eval(tree: Path, suite: Path, llm: str, output: Path) -> dict:
    """One `videodrafter eval` run of ``tree``'s code; its report.json."""
    environment = {**os.environ, "PYTHONPATH": str(tree)}
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="git commit or ref of the code before")
    parser.add_argument("--llm", action="append", default=None)
    parser.add_argument("--suite", default="genres")
    args = parser.parse_args()
    llms = args.llm or ["local:smollm2", "local:gemma3"]
    suite = load_suite(args.suite)
    suite_file = ROOT / "evals" / "suites" / f"{suite.name}.yaml"
    scores: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="grounding-") as folder:
        base_tree = Path(folder) / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", str(base_tree), args.baseline], cwd=ROOT, check=True, capture_output=True)
        try:
            for llm in llms:
                for side, tree in (("before", base_tree), ("after", ROOT)):
                    report = _eval(tree, suite_file, llm, Path(folder) / f"{side}-{llm.replace(':', '-')}")
                    scores.setdefault(llm, {})[side] = score(report["results"])
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, check=False, capture_output=True)
    table = Table(title=f"grounded planning, suite {suite.name} ({len(suite.cases)} cases), baseline {args.baseline}")
    table.add_column("metric")
    for llm in llms:
        table.add_column(f"{llm} before")
        table.add_column(f"{llm} after")
    for key, label, pattern in ROWS:
        cells = []
        for llm in llms:
            for side in ("before", "after"):
                value = scores[llm][side].get(key)
                cells.append("–" if value is None else pattern.format(value))
        table.add_row(label, *cells)
    for llm in llms:
        before, after = scores[llm]["before"]["seconds"], scores[llm]["after"]["seconds"]
        table.caption = (table.caption or "") + f"{llm}: after/before time {after / before:.2f}×  "
    Console().print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    output = RESULTS / f"grounding-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.json"
    output.write_text(json.dumps({"baseline": args.baseline, "suite": suite.name, "scores": scores}, indent=2))
    Console().print(f"wrote {output}")


if __name__ == "__main__":
    main()
