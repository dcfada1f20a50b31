"""Run the CPU benchmarks, print one table, write JSON.

    python -m benchmarks.run                      # all
    python -m benchmarks.run --only overhead,edit # some

Timings are from one process on one machine; compare ratios within one run only.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.timing import TimedEngine, TimedFunctions, TimedSegmentation
from videodrafter.config import Settings
from videodrafter.engines.registry import get_engine
from videodrafter.resources import RESOURCES
from videodrafter.script import VideoScript

RESULTS = Path(__file__).parent / "results"
CAMERAS = ["left", "zoom in", "right", "up", "zoom out", "down"]


def bench_script(scenes: int, title: str = "bench", duration_s: float = 2.0) -> VideoScript:
    return VideoScript.model_validate(
        {
            "prompt": "a dog and a girl spend a day at the beach",
            "title": title,
            "entities": [
                {"id": "dog", "name": "brown dog", "kind": "foreground", "description": "a small brown dog"},
                {"id": "girl", "name": "girl", "kind": "foreground", "description": "a girl in a yellow dress"},
                {"id": "beach", "name": "beach", "kind": "background", "description": "a sunny beach"},
            ],
            "scenes": [
                {
                    "event": f"{title}: the dog and the girl, moment {index + 1}", "action": "they play",
                    "foreground": ["dog", "girl"] if index % 2 == 0 else ["dog"], "background": "beach",
                    "camera": {"direction": CAMERAS[index % len(CAMERAS)], "speed": "medium"}, "duration_s": duration_s,
                }
                for index in range(scenes)
            ],
        }
    )


def overhead(workdir: Path, engine_name: str = "tiny", scenes: int = 4) -> dict:
    """Wall time of a make on the tiny preset vs time inside model calls (pipelines + U²-Net)."""
    from videodrafter.graph.runner import start_run

    settings = Settings(engine=engine_name, runs_dir=workdir / f"overhead-{engine_name}")
    engine = TimedEngine(get_engine(settings))
    start_run("", settings, script=bench_script(scenes, "warm-up"), run_id="warm-up", engine=engine)  # loads models
    engine.seconds.clear()
    import videodrafter.tools.scenes as scenes_tool
    from videodrafter.tools import assembly

    encoding = TimedFunctions((scenes_tool, "encode_mp4"), (assembly, "concatenate_clips"))
    with TimedSegmentation() as segmentation, encoding:
        started = time.perf_counter()
        outcome = start_run("", settings, script=bench_script(scenes, "measured"), run_id="measured", engine=engine)
        wall = time.perf_counter() - started
    model = sum(engine.seconds.values()) + segmentation.seconds
    graph_seconds = json.loads((outcome.run_dir / "manifest.json").read_text())["seconds"]
    framework = wall - model - encoding.seconds
    return {
        "engine": engine_name, "scenes": scenes, "wall_s": wall, "model_s": model,
        "model_breakdown_s": {**engine.seconds, "u2net": segmentation.seconds}, "h264_encoding_s": encoding.seconds,
        "framework_s": framework, "framework_pct": 100 * framework / wall,
        "overhead_s": wall - model, "overhead_pct": 100 * (wall - model) / wall, "per_node_s": graph_seconds,
    }


def reuse(workdir: Path, scenes: int = 4) -> dict:
    """Pipelines load once per process: clips with the cached pipeline vs rebuilding it per scene."""
    from PIL import Image

    from videodrafter.engines import diffusers_engine
    from videodrafter.script import CameraMove

    settings = Settings(engine="tiny")
    engine = get_engine(settings)
    image = Image.new("RGB", (64, 64), (120, 160, 200))
    engine.scene_clip(image, "warm", CameraMove(), 9, seed=0, caption="")  # import + first build
    loads_before = RESOURCES.load_counts("diffusers").get("diffusers:tiny:video", 0)
    started = time.perf_counter()
    for index in range(scenes):
        engine.scene_clip(image, "reuse", CameraMove(direction="left"), 9, seed=index, caption="")
    reused = time.perf_counter() - started
    loads_reused = RESOURCES.load_counts("diffusers").get("diffusers:tiny:video", 0) - loads_before
    started = time.perf_counter()
    for index in range(scenes):
        diffusers_engine.release_pipelines()  # what a naive per-scene pipeline would do
        engine.scene_clip(image, "reload", CameraMove(direction="left"), 9, seed=index, caption="")
    reloaded = time.perf_counter() - started
    loads_reloaded = RESOURCES.load_counts("diffusers").get("diffusers:tiny:video", 0) - loads_before - loads_reused
    batch = batch_reuse(workdir)
    return {
        "scenes": scenes, "reused_s": reused, "reloaded_s": reloaded, "speedup": reloaded / reused,
        "loads_when_reused": loads_reused, "loads_when_reloaded": loads_reloaded, **batch,
    }


def batch_reuse(workdir: Path, items: int = 3) -> dict:
    from videodrafter.agent.batch import run_batch
    from videodrafter.agent.batch_items import BatchItem
    folder = workdir / "batch-reuse"
    folder.mkdir(parents=True, exist_ok=True)
    batch_items = []
    for index in range(items):
        path = folder / f"s{index}.json"
        path.write_text(bench_script(2, f"item {index}").model_dump_json())
        batch_items.append(BatchItem(id=f"i{index}", script=path))
    before_image = RESOURCES.load_counts("diffusers").get("diffusers:tiny:image", 0)
    before_u2net = sum(RESOURCES.load_counts("u2net").values())
    summary = run_batch(batch_items, Settings(engine="tiny", runs_dir=folder / "runs"), batch_id="reuse")
    return {
        "batch_items": items, "batch_done": summary.done,
        "image_pipeline_loads_across_batch": RESOURCES.load_counts("diffusers").get("diffusers:tiny:image", 0) - before_image,
        "u2net_loads_across_batch": sum(RESOURCES.load_counts("u2net").values()) - before_u2net,
    }


def edit_cost(workdir: Path, scenes: int = 6) -> dict:
    """Edit one scene of an N-scene run: time and which artifacts were made again."""
    from videodrafter.graph.runner import edit_run, start_run

    settings = Settings(runs_dir=workdir / "edit")
    started = time.perf_counter()
    first = start_run("", settings, script=bench_script(scenes, "edit"), run_id="edit")
    full = time.perf_counter() - started
    before = {path for path in first.run_dir.rglob("*") if path.suffix in (".png", ".mp4")}
    script = first.script.model_copy(deep=True)
    script.scenes[2].event = "the dog digs a hole instead"
    started = time.perf_counter()
    edit_run("edit", settings.runs_dir, script)
    edited = time.perf_counter() - started
    after = {path for path in first.run_dir.rglob("*") if path.suffix in (".png", ".mp4")}
    new = sorted(str(path.relative_to(first.run_dir)) for path in after - before)
    return {
        "scenes": scenes, "full_run_s": full, "edit_s": edited, "edit_vs_full": edited / full,
        "regenerated": new, "regenerated_scene_artifacts": [name for name in new if name.startswith(("scenes/", "clips/"))],
    }


def embedded_default(workdir: Path, scenes: int = 4) -> dict:
    """The offline main command (embedded SmolLM2 + animatic) for a 4-scene prompt."""
    from videodrafter.graph.runner import start_run

    settings = Settings(runs_dir=workdir / "embedded")
    started = time.perf_counter()
    outcome = start_run("a dog's day at the beach", settings, scenes=scenes, run_id="embedded")
    wall = time.perf_counter() - started
    usage = outcome.usage
    return {
        "scenes": scenes, "wall_s": wall, "llm_s": usage.seconds, "llm_calls": usage.calls,
        "tokens_in": usage.input_tokens, "tokens_out": usage.output_tokens,
        "tokens_out_per_s": usage.output_tokens / usage.seconds if usage.seconds else 0.0,
        "video_s": outcome.result.info.duration_s if outcome.result else 0.0,
    }


def batch_scaling(workdir: Path, items: int = 4) -> dict:
    """Items per minute on Ray with 1 and 2 workers (animatic scripts, no LLM)."""
    import ray

    from videodrafter.agent.batch import run_batch
    from videodrafter.agent.batch_items import BatchItem

    folder = workdir / "scaling"
    folder.mkdir(parents=True, exist_ok=True)
    batch_items = []
    for index in range(items):
        path = folder / f"s{index}.json"
        path.write_text(bench_script(3, f"scaling {index}", duration_s=3).model_dump_json())
        batch_items.append(BatchItem(id=f"i{index}", script=path))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        results = {}
        for workers in (1, 2):
            settings = Settings(runs_dir=folder / f"runs-{workers}")
            summary = run_batch(batch_items, settings, batch_id=f"w{workers}", executor="ray", workers=workers)
            results[workers] = {"seconds": summary.seconds, "items_per_min": 60 * summary.done / summary.seconds}
    finally:
        ray.shutdown()
    return {"items": items, "workers_1": results[1], "workers_2": results[2], "speedup_2_vs_1": results[2]["items_per_min"] / results[1]["items_per_min"]}


BENCHMARKS = {
    "overhead": overhead, "reuse": reuse, "edit": edit_cost, "embedded": embedded_default, "scaling": batch_scaling,
}


def summary_rows(results: dict) -> list[tuple[str, str, str]]:
    rows = []
    if "overhead" in results:
        r = results["overhead"]
        rows.append(("overhead", f"tiny preset, {r['scenes']} scenes", f"wall {r['wall_s']:.2f} s, in models {r['model_s']:.2f} s, H.264 encoding {r['h264_encoding_s']:.2f} s; framework (graph, checkpoints, hashing, files) {r['framework_pct']:.1f}% (goal ≤ 5%), everything but models {r['overhead_pct']:.1f}%"))
    if "reuse" in results:
        r = results["reuse"]
        rows.append(("reuse", f"{r['scenes']} clips", f"cached {r['reused_s']:.2f} s vs reload per scene {r['reloaded_s']:.2f} s: {r['speedup']:.1f}x; loads {r['loads_when_reused']} vs {r['loads_when_reloaded']}"))
        rows.append(("reuse (batch)", f"{r['batch_items']} items", f"image pipeline loads {r['image_pipeline_loads_across_batch']}, U²-Net loads {r['u2net_loads_across_batch']}"))
    if "edit" in results:
        r = results["edit"]
        rows.append(("edit cost", f"1 of {r['scenes']} scenes", f"{r['edit_s']:.2f} s vs full {r['full_run_s']:.2f} s; remade: {', '.join(r['regenerated_scene_artifacts'])}"))
    if "embedded" in results:
        r = results["embedded"]
        rows.append(("embedded default", f"{r['scenes']} scenes, smollm2 + animatic", f"{r['wall_s']:.1f} s total, LLM {r['llm_s']:.1f} s ({r['llm_calls']} calls, {r['tokens_out_per_s']:.0f} tok/s out)"))
    if "scaling" in results:
        r = results["scaling"]
        rows.append(("batch scaling", f"{r['items']} items on Ray", f"1 worker {r['workers_1']['items_per_min']:.1f}/min, 2 workers {r['workers_2']['items_per_min']:.1f}/min ({r['speedup_2_vs_1']:.2f}x)"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--output", type=Path, default=None, help="JSON file (default: benchmarks/results/<time>.json)")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    console = Console()
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="videodrafter-bench-") as folder:
        for name in chosen:
            with console.status(f"running {name}…"):
                results[name] = BENCHMARKS[name](Path(folder))
    table = Table(title="videodrafter benchmarks (one run, this machine)")
    for column in ("benchmark", "setup", "result"):
        table.add_column(column, overflow="fold")
    for row in summary_rows(results):
        table.add_row(*row)
    console.print(table)
    document = {
        "when": datetime.now(UTC).isoformat(), "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "results": results,
    }
    output = args.output or RESULTS / f"bench-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2, default=str))
    console.print(f"JSON: {output}")


if __name__ == "__main__":
    main()
