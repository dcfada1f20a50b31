"""Run the CPU benchmarks, print one table, write JSON.

    python -m benchmarks.run                      # all, at full size
    python -m benchmarks.run --only overhead,edit # some
    python -m benchmarks.run --quick              # all at tiny sizes: a check that every benchmark still runs

Timings are from one process on one machine; compare ratios within one run only. ``--quick`` numbers
say nothing about speed (one scene, small frames, one repeat): the mode is there so that an interface
change that breaks a benchmark shows up in the test suite (tests/test_benchmarks.py).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
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
QUICK_VIDEO = {"video_width": 160, "video_height": 96, "fps": 6.0}
"""Settings of the quick mode's animatic videos: small frames at a low frame rate."""


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


def overhead(workdir: Path, *, engine_name: str = "tiny", scenes: int = 4, video: dict | None = None) -> dict:
    """Wall time of a make on the tiny preset vs time inside model calls (pipelines + U²-Net).

    What is neither model nor framework is counted apart: H.264 encoding, the narration's speech
    (the narration step's time) and muxing the narration into the video (ffmpeg, loudness).
    """
    from videodrafter.audio import mixer
    from videodrafter.graph.runner import start_run
    from videodrafter.media import video as media_video

    settings = Settings(engine=engine_name, runs_dir=workdir / f"overhead-{engine_name}", **(video or {}))
    engine = TimedEngine(get_engine(settings))
    start_run("", settings, script=bench_script(scenes, "warm-up"), run_id="warm-up", engine=engine)  # loads models
    engine.seconds.clear()
    engine.calls.clear()
    encoding = TimedFunctions(media_video.encode_mp4, media_video.concatenate_clips)
    audio_mix = TimedFunctions(mixer.mux_narration)
    with TimedSegmentation() as segmentation, encoding, audio_mix:
        started = time.perf_counter()
        outcome = start_run("", settings, script=bench_script(scenes, "measured"), run_id="measured", engine=engine)
        wall = time.perf_counter() - started
    model = sum(engine.seconds.values()) + segmentation.seconds
    graph_seconds = json.loads((outcome.run_dir / "manifest.json").read_text())["seconds"]
    speech = graph_seconds.get("narration", 0.0)
    framework = wall - model - encoding.seconds - speech - audio_mix.seconds
    return {
        "engine": engine_name, "scenes": scenes, "voice": settings.voice, "wall_s": wall, "model_s": model,
        "model_breakdown_s": {**engine.seconds, "u2net": segmentation.seconds},
        "model_calls": {**engine.calls, "u2net": segmentation.calls}, "h264_encoding_s": encoding.seconds,
        "speech_s": speech, "audio_mix_s": audio_mix.seconds,
        "framework_s": framework, "framework_pct": 100 * framework / wall,
        "overhead_s": wall - model, "overhead_pct": 100 * (wall - model) / wall, "per_node_s": graph_seconds,
    }


def reuse(workdir: Path, *, scenes: int = 4, batch_items: int = 3, batch_scenes: int = 2) -> dict:
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
    batch = batch_reuse(workdir, items=batch_items, scenes=batch_scenes)
    return {
        "scenes": scenes, "reused_s": reused, "reloaded_s": reloaded, "speedup": reloaded / reused,
        "loads_when_reused": loads_reused, "loads_when_reloaded": loads_reloaded, **batch,
    }


def batch_reuse(workdir: Path, *, items: int = 3, scenes: int = 2) -> dict:
    from videodrafter.agent.batch import run_batch
    from videodrafter.agent.batch_items import BatchItem

    folder = workdir / "batch-reuse"
    folder.mkdir(parents=True, exist_ok=True)
    batch_items = []
    for index in range(items):
        path = folder / f"s{index}.json"
        path.write_text(bench_script(scenes, f"item {index}").model_dump_json())
        batch_items.append(BatchItem(id=f"i{index}", script=path))
    before_image = RESOURCES.load_counts("diffusers").get("diffusers:tiny:image", 0)
    before_u2net = sum(RESOURCES.load_counts("u2net").values())
    summary = run_batch(batch_items, Settings(engine="tiny", runs_dir=folder / "runs"), batch_id="reuse")
    return {
        "batch_items": items, "batch_done": summary.done,
        "image_pipeline_loads_across_batch": RESOURCES.load_counts("diffusers").get("diffusers:tiny:image", 0) - before_image,
        "u2net_loads_across_batch": sum(RESOURCES.load_counts("u2net").values()) - before_u2net,
    }


def edit_cost(workdir: Path, *, scenes: int = 6, video: dict | None = None) -> dict:
    """Edit one scene of an N-scene run: time and which artifacts were made again."""
    from videodrafter.graph.runner import edit_run, start_run

    settings = Settings(runs_dir=workdir / "edit", **(video or {}))
    started = time.perf_counter()
    first = start_run("", settings, script=bench_script(scenes, "edit"), run_id="edit")
    full = time.perf_counter() - started
    before = {path for path in first.run_dir.rglob("*") if path.suffix in (".png", ".mp4") and ".last." not in path.name}
    script = first.script.model_copy(deep=True)
    edited_scene = min(2, scenes - 1)  # the third scene, or the last of a shorter run
    script.scenes[edited_scene].event = "the dog digs a hole instead"
    started = time.perf_counter()
    edit_run("edit", settings.runs_dir, script)
    edited = time.perf_counter() - started
    after = {path for path in first.run_dir.rglob("*") if path.suffix in (".png", ".mp4") and ".last." not in path.name}
    new = sorted(str(path.relative_to(first.run_dir)) for path in after - before)
    return {
        "scenes": scenes, "edited_scene": edited_scene + 1, "full_run_s": full, "edit_s": edited, "edit_vs_full": edited / full,
        "regenerated": new, "regenerated_scene_artifacts": [name for name in new if name.startswith(("scenes/", "clips/"))],
    }


def _embedded_run(workdir: Path, scenes: int, video: dict | None, critique: bool, enrichment: str, label: str) -> dict:
    """One offline main command (embedded SmolLM2 + animatic), with the seconds of each stage. The
    LLM's kept prompt states live in ``workdir/llm-cache``: the first run there starts cold."""
    from videodrafter.graph.manifest import Manifest
    from videodrafter.graph.runner import start_run

    from videodrafter.llm.local_chat import prefix_states
    from videodrafter.resources import RESOURCES

    RESOURCES.release()  # every run loads its models, as a new `make` process does
    prefix_states.cache_clear()
    settings = Settings(
        runs_dir=workdir / f"embedded-{label}", cache_dir=workdir / "llm-cache", critique=critique, enrichment=enrichment, **(video or {})
    )
    started = time.perf_counter()
    outcome = start_run("a dog's day at the beach", settings, scenes=scenes, run_id="embedded")
    wall = time.perf_counter() - started
    usage = outcome.usage
    manifest = Manifest.read(outcome.run_dir / "manifest.json")
    return {
        "enrichment": enrichment, "wall_s": wall, "llm_s": usage.seconds, "llm_calls": usage.calls,
        "tokens_in": usage.input_tokens, "tokens_out": usage.output_tokens,
        "tokens_out_per_s": usage.output_tokens / usage.seconds if usage.seconds else 0.0,
        "video_s": outcome.result.info.duration_s if outcome.result else 0.0,
        "stage_s": {stage: round(seconds, 2) for stage, seconds in manifest.seconds.items()},
    }


def embedded_default(
    workdir: Path, *, scenes: int = 4, video: dict | None = None, critique: bool = True, compare: bool = True,
) -> dict:
    """The offline main command for a prompt, by default 4 scenes, as a user sees it after the first
    run (the few-shot prompt states kept). With ``compare`` it also runs, in the same minutes on the
    same machine: the very first run (no kept states: a fresh install), and the paper's enrichment
    dialogue (the embedded default before visual slots)."""
    cold = _embedded_run(workdir, scenes, video, critique, "auto", "cold") if compare else None
    row = {"scenes": scenes, "critique": critique, **_embedded_run(workdir, scenes, video, critique, "auto", "warm")}
    if not compare:
        return row
    return {**row, "first_run": cold, "before_dialogue": _embedded_run(workdir, scenes, video, critique, "dialogue", "dialogue")}


def batch_scaling(workdir: Path, *, items: int = 4, scenes: int = 3, duration_s: float = 3, video: dict | None = None) -> dict:
    """Items per minute on Ray with 1 and 2 workers (animatic scripts, no LLM)."""
    import ray

    from videodrafter.agent.batch import run_batch
    from videodrafter.agent.batch_items import BatchItem

    folder = workdir / "scaling"
    folder.mkdir(parents=True, exist_ok=True)
    batch_items = []
    for index in range(items):
        path = folder / f"s{index}.json"
        path.write_text(bench_script(scenes, f"scaling {index}", duration_s=duration_s).model_dump_json())
        batch_items.append(BatchItem(id=f"i{index}", script=path))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        results = {}
        for workers in (1, 2):
            settings = Settings(runs_dir=folder / f"runs-{workers}", **(video or {}))
            summary = run_batch(batch_items, settings, batch_id=f"w{workers}", executor="ray", workers=workers)
            results[workers] = {"seconds": summary.seconds, "done": summary.done, "items_per_min": 60 * summary.done / summary.seconds}
    finally:
        ray.shutdown()
    return {
        "items": items, "scenes_per_item": scenes, "workers_1": results[1], "workers_2": results[2],
        "speedup_2_vs_1": results[2]["items_per_min"] / results[1]["items_per_min"],
    }


BENCHMARKS: dict[str, Callable[..., dict]] = {
    "overhead": overhead, "reuse": reuse, "edit": edit_cost, "embedded": embedded_default, "scaling": batch_scaling,
}

QUICK: dict[str, dict] = {
    "overhead": {"scenes": 1, "video": QUICK_VIDEO},
    "reuse": {"scenes": 1, "batch_items": 1, "batch_scenes": 1},
    "edit": {"scenes": 2, "video": QUICK_VIDEO},
    # the real embedded LLM: one scene (no entity is common, so no enrichment) and no critique call
    "embedded": {"scenes": 1, "video": QUICK_VIDEO, "critique": False, "compare": False},
    "scaling": {"items": 2, "scenes": 1, "duration_s": 1, "video": QUICK_VIDEO},
}
"""Each benchmark's arguments in quick mode: tiny sizes, one repeat. Full mode uses the functions' defaults."""


def run_benchmarks(names: list[str], workdir: Path, *, quick: bool = False, on_start: Callable[[str], None] = lambda _name: None) -> dict:
    """Run the named benchmarks one after another in ``workdir``.

    Every name gets a row: the benchmark's figures plus ``benchmark_s`` (its own wall time), or
    ``error`` (with the traceback in ``traceback``) if it failed, so one broken benchmark does not
    lose the others' results.
    """
    results: dict = {}
    for name in names:
        on_start(name)
        started = time.perf_counter()
        try:
            row = BENCHMARKS[name](workdir, **(QUICK.get(name, {}) if quick else {}))
        except Exception as error:  # noqa: BLE001 - recorded, reported, and the exit status says so
            row = {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}
        results[name] = {**row, "benchmark_s": time.perf_counter() - started}
    return results


def summary_rows(results: dict) -> list[tuple[str, str, str]]:
    rows = []
    for name, r in results.items():
        if "error" in r:
            rows.append((name, "failed", r["error"]))
        elif "skipped" in r:
            rows.append((name, "skipped", r["skipped"]))
    ok = {name: r for name, r in results.items() if "error" not in r and "skipped" not in r}
    if "overhead" in ok:
        r = ok["overhead"]
        rows.append(("overhead", f"tiny preset, {r['scenes']} scenes", f"wall {r['wall_s']:.2f} s, in models {r['model_s']:.2f} s, H.264 encoding {r['h264_encoding_s']:.2f} s, narration (voice {r['voice']}) {r['speech_s']:.2f} s + mux {r['audio_mix_s']:.2f} s; framework (graph, checkpoints, hashing, files) {r['framework_pct']:.1f}% (goal ≤ 5%), everything but models {r['overhead_pct']:.1f}%"))
    if "reuse" in ok:
        r = ok["reuse"]
        rows.append(("reuse", f"{r['scenes']} clips", f"cached {r['reused_s']:.2f} s vs reload per scene {r['reloaded_s']:.2f} s: {r['speedup']:.1f}x; loads {r['loads_when_reused']} vs {r['loads_when_reloaded']}"))
        rows.append(("reuse (batch)", f"{r['batch_items']} items", f"image pipeline loads {r['image_pipeline_loads_across_batch']}, U²-Net loads {r['u2net_loads_across_batch']}"))
    if "edit" in ok:
        r = ok["edit"]
        rows.append(("edit cost", f"scene {r['edited_scene']} of {r['scenes']}", f"{r['edit_s']:.2f} s vs full {r['full_run_s']:.2f} s; remade: {', '.join(r['regenerated_scene_artifacts'])}"))
    if "embedded" in ok:
        r = ok["embedded"]
        critique = "" if r["critique"] else ", no critique"
        stages = ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in r["stage_s"].items())
        rows.append(("embedded default", f"{r['scenes']} scenes, smollm2 + animatic{critique}", f"{r['wall_s']:.1f} s total, LLM {r['llm_s']:.1f} s ({r['llm_calls']} calls, {r['tokens_out']} tokens out, {r['tokens_out_per_s']:.0f} tok/s); stages (s): {stages}"))
        if r.get("first_run"):
            c = r["first_run"]
            rows.append(("  first run (nothing kept)", "same prompt, same minutes", f"{c['wall_s']:.1f} s total, LLM {c['llm_s']:.1f} s; kept few-shot states: {c['wall_s'] / r['wall_s']:.2f}x faster end to end"))
        if r.get("before_dialogue"):
            b = r["before_dialogue"]
            rows.append(("  before: enrichment dialogue", "same prompt, same minutes", f"{b['wall_s']:.1f} s total, LLM {b['llm_s']:.1f} s ({b['llm_calls']} calls, {b['tokens_out']} tokens out); slots vs dialogue: {b['wall_s'] / r['wall_s']:.2f}x faster end to end"))
    if "scaling" in ok:
        r = ok["scaling"]
        rows.append(("batch scaling", f"{r['items']} items on Ray", f"1 worker {r['workers_1']['items_per_min']:.1f}/min, 2 workers {r['workers_2']['items_per_min']:.1f}/min ({r['speedup_2_vs_1']:.2f}x)"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat: checks that every benchmark runs (numbers mean little)")
    parser.add_argument("--output", type=Path, default=None, help="JSON file (default: benchmarks/results/bench-<time>.json)")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    console = Console()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="videodrafter-bench-") as folder:
        status = console.status("starting…")
        with status:
            results = run_benchmarks(chosen, Path(folder), quick=args.quick, on_start=lambda name: status.update(f"running {name}…"))
    mode = "quick" if args.quick else "full"
    table = Table(title=f"videodrafter benchmarks ({mode} mode, one run, this machine)")
    for column in ("benchmark", "setup", "result"):
        table.add_column(column, overflow="fold")
    for row in summary_rows(results):
        table.add_row(*row)
    console.print(table)
    document = {
        "when": datetime.now(UTC).isoformat(), "mode": mode, "seconds": time.perf_counter() - started,
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "arguments": {name: QUICK.get(name, {}) if args.quick else {} for name in chosen},
        "results": results,
    }
    output = args.output or RESULTS / f"bench-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2, default=str))
    console.print(f"JSON: {output}")
    failed = [name for name, row in results.items() if "error" in row]
    for name in failed:
        console.print(f"{name} failed:", style="red", markup=False)
        console.print(results[name]["traceback"], markup=False, highlight=False)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
