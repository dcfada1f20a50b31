"""GPU timing of the real preset architectures at real sizes, with random weights (no download).

    python -m benchmarks.gpu                                   # random-sdxl-cogvideox, every profile
    python -m benchmarks.gpu --video-steps 8 --clip-repeats 2  # shorter clips, more repeats
    python -m benchmarks.gpu --profiles quality,fast           # some profiles only
    python -m benchmarks.gpu --preset tiny                     # the same code on the CPU in seconds
    python -m benchmarks.gpu --preset random-sdxl-vace --profiles quality,fast,turbo --video

Any preset built from random weights only (``random:`` image and video models: ``random-*``, ``tiny*``);
presets that download real weights are refused. Per speed profile (``quality``, ``fast``,
``low-memory``, ``turbo``; see engines/speed_profiles.py) and per stage (reference image, scene
image, clip): seconds through our engine (composition, masks, adapter scales, the camera move
blended into the latents, frame conversion), the time inside the denoiser (``pipe.unet`` or
``pipe.transformer``) and the peak GPU memory, against the bare call: the preset's image or clip
family's own pipeline call (``reference_image``, ``scene_images``, ``clip``) at the preset's steps
and guidance, with no camera callback and no profile, on the same inputs in the same run.
``turbo`` (clips only; Wan clip families, skipped with the reason for the others) loads a random
lightx2v-format LoRA written at the preset's real size (or ``--turbo-lora``) and runs its 4 steps at
guidance 1, set against the bare call extrapolated to the preset's full steps. ``--video`` also
times one whole video (``--video-scenes``, 4) end to end through ``start_run``: seconds per stage
from the manifest, the total and the peak GPU memory. ``fast`` clips are measured twice: with the
weight-independent methods alone (cache off) and with the first-block cache, whose skip rate is
reported (random weights do not give the real one). Clips are sampled with ``--video-steps`` steps
(``fast``: 60% of them) to save GPU time; the time at each profile's real step count is extrapolated
from the measured per-step denoiser time, and labelled so. ``low-memory`` runs first, with nothing
else on the GPU, so its peak is what a 24 GB card must hold.
Prints a table, writes ``benchmarks/results/gpu-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import torch
from PIL import Image, ImageDraw
from rich.console import Console
from rich.table import Table

from videodrafter.config import Settings
from videodrafter.errors import VideoDrafterError
from videodrafter.engines.base import EntityPicture, ForegroundCutout, plan_layout
from videodrafter.engines.diffusers_engine import DiffusersEngine, release_pipelines
from videodrafter.engines.diffusers_presets import PRESETS
from videodrafter.engines.families import CLIP_FAMILIES
from videodrafter.engines.speed_profiles import PROFILES, BlockCallCounter, video_steps
from videodrafter.media.images import cover
from videodrafter.script import CameraMove, EntityKind, VideoScript

RESULTS = Path(__file__).parent / "results"
EVENT = "a small brown dog runs along the shore of a sunny beach, waves behind"
ACTION = "the dog runs to the right and barks at the waves"


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def denoiser(pipe) -> torch.nn.Module:
    """The module that runs once per step: ``pipe.unet`` (SDXL) or ``pipe.transformer`` (FLUX.2, CogVideoX, Wan)."""
    unet = getattr(pipe, "unet", None)
    return unet if isinstance(unet, torch.nn.Module) else pipe.transformer


def downloads_real_weights(preset_name: str) -> bool:
    """Whether building the preset downloads real weights (the benchmark takes random-weight presets only)."""
    preset = PRESETS[preset_name]
    return not (preset.image_model.startswith("random:") and preset.video_model.startswith("random:"))


class DenoiserClock:
    """Adds up the seconds spent in a pipeline's denoiser (UNet or transformer) forward calls."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model
        self.seconds = 0.0
        self.calls = 0

    @contextmanager
    def running(self):
        own_forward = "forward" in self.model.__dict__  # e.g. accelerate's offload hook: put it back after
        original = self.model.forward

        def timed(*args, **kwargs):
            _sync()
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                _sync()
                self.seconds += time.perf_counter() - started
                self.calls += 1

        self.model.forward = timed
        try:
            yield self
        finally:
            if own_forward:
                self.model.forward = original
            else:
                del self.model.forward  # back to the class's forward


def measure(call, denoiser: torch.nn.Module) -> dict:
    """Wall seconds, denoiser seconds and peak GPU memory of one call."""
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    clock = DenoiserClock(denoiser)
    with clock.running():
        _sync()
        started = time.perf_counter()
        call()
        _sync()
        wall = time.perf_counter() - started
    peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
    return {"wall_s": wall, "denoiser_s": clock.seconds, "denoiser_calls": clock.calls, "peak_gib": peak}


def compare(ours, bare, denoiser: torch.nn.Module, repeats: int) -> dict:
    """Warm up once, then alternate bare and ours ``repeats`` times; medians of each (``bare=None``: ours only)."""
    ours()
    runs: dict[str, list[dict]] = {"ours": []} if bare is None else {"ours": [], "bare": []}
    for _ in range(repeats):
        if bare is not None:
            runs["bare"].append(measure(bare, denoiser))
        runs["ours"].append(measure(ours, denoiser))
    summary = {}
    for name, samples in runs.items():
        summary[name] = {
            "wall_s": statistics.median(sample["wall_s"] for sample in samples),
            "denoiser_s": statistics.median(sample["denoiser_s"] for sample in samples),
            "denoiser_calls": samples[0]["denoiser_calls"],
            "peak_gib": max((sample["peak_gib"] or 0.0) for sample in samples) or None,
            "samples_s": [sample["wall_s"] for sample in samples],
        }
    if bare is not None:
        summary["ours_vs_bare"] = summary["ours"]["wall_s"] / summary["bare"]["wall_s"]
    return summary


def parameters_billions(pipe) -> dict[str, float]:
    return {
        name: sum(parameter.numel() for parameter in module.parameters()) / 1e9
        for name, module in pipe.components.items()
        if isinstance(module, torch.nn.Module)
    }


def foreground_cutout(size: int) -> ForegroundCutout:
    """A stand-in U²-Net cutout: a brown figure with a soft alpha on a transparent square."""
    figure = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(figure).ellipse([size * 0.2, size * 0.3, size * 0.8, size * 0.9], fill=(130, 90, 50, 255))
    return ForegroundCutout(entity_id="dog", image=figure)


def bench_images(engine: DiffusersEngine, repeats: int, with_bare: bool) -> dict:
    """References and scene key frames through our engine, and the bare call: the image family's own call
    (the same pipeline call our engine makes, same inputs and steps) without the engine around it."""
    preset, family = engine.preset, engine.image_family
    pipe = engine.image_pipeline()
    steps = family.steps
    cutout = foreground_cutout(preset.reference_size)
    background = Image.new("RGB", (preset.reference_size, preset.reference_size), (90, 150, 210))
    layout = plan_layout(["dog"], EVENT)
    entity = EntityPicture(id="dog", name="dog", kind=EntityKind.FOREGROUND, description="a small brown dog")
    prompt = "a photo of dog, a small brown dog, full body, centered, plain light grey background"  # what the engine writes

    def ours_reference():
        engine.reference_image(entity, seed=1)

    def bare_reference():
        family.reference_image(pipe, entity, prompt, torch.Generator("cpu").manual_seed(1))

    def ours_scene():
        engine.scene_image(EVENT, [cutout], background, layout, seed=2)

    def bare_scene():
        family.scene_images(pipe, EVENT, [cutout], background, layout, [torch.Generator("cpu").manual_seed(2)])

    model = denoiser(pipe)
    return {
        "steps": steps, "family": family.name,
        "reference_image": {"size": preset.reference_size, **compare(ours_reference, bare_reference if with_bare else None, model, repeats)},
        "scene_image": {"size": f"{preset.image_width}x{preset.image_height}", **compare(ours_scene, bare_scene if with_bare else None, model, repeats)},
    }


def clip_scene(preset) -> Image.Image:
    """The scene picture every clip starts from: a brown figure on a blue ground, at scene-image size."""
    width, height = preset.image_width, preset.image_height
    scene = Image.new("RGB", (width, height), (90, 150, 210))
    ImageDraw.Draw(scene).ellipse([width * 0.4, height * 0.4, width * 0.6, height * 0.9], fill=(130, 90, 50))
    return scene


def clip_references(family, size: int) -> list[Image.Image]:
    """The entity references a clip family that holds them gets (VACE): one, the dog's cutout; none otherwise."""
    return [foreground_cutout(size).image] if family.holds_references else []


def bare_clip_call(pipe, family, scene: Image.Image, steps: int):
    """The bare diffusers call on the same inputs our engine gives it: the clip family's own pipeline call
    (``image=`` for image-to-video, ``video``/``mask``/``reference_images`` for VACE) at the preset's
    guidance, with no camera callback and no profile."""
    preset = family.preset
    return family.clip(
        pipe, cover(scene, preset.video_width, preset.video_height), ACTION, clip_references(family, preset.reference_size),
        steps=steps, guidance=preset.video_guidance, generator=torch.Generator("cpu").manual_seed(3), callback=None,
    )


def bench_clip(engine: DiffusersEngine, repeats: int, real_steps: int, with_bare: bool, bare_real_steps: int) -> dict:
    """``real_steps``: the step count of a real run with this profile, which the measured per-step time
    is extrapolated to (``bare_real_steps`` for the bare call: the preset's)."""
    preset = engine.preset
    pipe = engine.video_pipeline()
    steps = engine.video_steps
    scene = clip_scene(preset)
    camera = CameraMove(direction="right", speed="medium")
    frames: dict[str, int] = {}

    references = clip_references(engine.clip_family, preset.reference_size)

    def ours():
        frames["ours"] = len(engine.scene_clip(scene, ACTION, camera, preset.video_frames, seed=3, caption="", references=references))

    def bare():
        frames["bare"] = len(bare_clip_call(pipe, engine.clip_family, scene, steps))

    with BlockCallCounter(pipe.transformer) as blocks:
        result = compare(ours, bare if with_bare else None, pipe.transformer, repeats)
    for name, real in (("ours", real_steps), ("bare", bare_real_steps)):
        if name not in result:
            continue
        run = result[name]
        per_step = run["denoiser_s"] / steps
        run["denoiser_s_per_step"] = per_step
        run["outside_denoiser_s"] = run["wall_s"] - run["denoiser_s"]
        run["real_steps"] = real
        run["extrapolated_wall_s_at_real_steps"] = run["outside_denoiser_s"] + per_step * real
    if with_bare:
        result["extrapolated_ours_vs_bare"] = (
            result["ours"]["extrapolated_wall_s_at_real_steps"] / result["bare"]["extrapolated_wall_s_at_real_steps"]
        )
    return {
        "size": f"{engine.width}x{engine.height}", "frames": frames, "steps": steps, "family": engine.clip_family.name,
        "guidance": engine.video_guidance, "references": len(references),
        "camera": f"{camera.direction} {camera.speed}", "camera_applied_at_steps": engine.last_camera_steps,
        "cache_skip_rate": blocks.skip_rate if getattr(pipe.transformer, "is_cache_enabled", False) else None, **result,
    }


def bench_profile(
    preset, preset_name: str, profile: str, dtype: str, repeats: int, clip_repeats: int, bare: dict | None, turbo_lora: str | None = None,
) -> dict:
    """One profile's loads, images and clips; ``bare``: the quality profile's results, whose bare
    calls every other profile is compared with (``None`` for the quality profile itself, which measures them)."""
    release_pipelines()
    engine = DiffusersEngine(preset, Settings(engine=preset_name, dtype=dtype, profile=profile, turbo_lora=turbo_lora))
    results: dict = {"engine": engine.describe(), "loads": {}}
    turbo = profile == "turbo"  # changes the clips only: its images would repeat quality's
    stages = (("video", engine.video_pipeline),) if turbo else (("image", engine.image_pipeline), ("video", engine.video_pipeline))
    for stage, load in stages:
        _sync()
        started = time.perf_counter()
        pipe = load()
        _sync()
        results["loads"][stage] = {"build_s": time.perf_counter() - started, "parameters_b": parameters_billions(pipe)}
    results["loaded"] = engine.loaded_state()
    results["resident_weights_gib"] = torch.cuda.memory_allocated() / 2**30 if torch.cuda.is_available() else None
    yield results
    with_bare = bare is None
    if not turbo:
        results["images"] = bench_images(engine, repeats, with_bare)
        yield results
    real_steps = video_steps(profile, PRESETS[preset_name].video_steps, None)
    preset_steps = PRESETS[preset_name].video_steps
    video = engine.video_pipeline()
    if profile == "fast" and getattr(video.transformer, "is_cache_enabled", False):
        # The weight-independent part alone first (fewer steps, compile, attention), then with the cache.
        config = video.transformer._cache_config
        video.transformer.disable_cache()
        results["clip_without_cache"] = bench_clip(engine, clip_repeats, real_steps, False, preset_steps)
        yield results
        video.transformer.enable_cache(config)
    results["clip"] = bench_clip(engine, clip_repeats, real_steps, with_bare, preset_steps)
    yield results


def clip_at_real_steps(preset_name: str, dtype: str, on_stage) -> dict:
    """One clip each at its real step count, measured rather than extrapolated: the bare call at the
    preset's steps, then ``fast`` with its weight-independent methods alone (cache off) at its own.
    Each gets a short warm-up first (2 steps; for ``fast`` this is where compilation happens)."""
    preset = PRESETS[preset_name]
    scene = clip_scene(preset)
    results: dict = {"preset": preset.model_dump()}

    release_pipelines()
    bare_engine = DiffusersEngine(preset, Settings(engine=preset_name, dtype=dtype))
    family = bare_engine.clip_family

    def bare_call(pipe, steps: int):
        bare_clip_call(pipe, family, scene, steps)

    bare = bare_engine.video_pipeline()
    bare_call(bare, 2)
    results["bare"] = {"steps": preset.video_steps, **measure(lambda: bare_call(bare, preset.video_steps), bare.transformer)}
    on_stage(results)
    del bare, bare_engine
    release_pipelines()
    engine = DiffusersEngine(preset, Settings(engine=preset_name, dtype=dtype, profile="fast"))
    pipe = engine.video_pipeline()
    pipe.transformer.disable_cache()
    bare_call(pipe, 2)
    camera = CameraMove(direction="right", speed="medium")
    results["fast_without_cache"] = {
        "steps": engine.video_steps, "loaded": engine.loaded_state(),
        **measure(lambda: engine.scene_clip(scene, ACTION, camera, preset.video_frames, seed=3, caption=""), pipe.transformer),
    }
    results["fast_without_cache"]["camera_applied_at_steps"] = engine.last_camera_steps
    results["speedup"] = results["bare"]["wall_s"] / results["fast_without_cache"]["wall_s"]
    on_stage(results)
    release_pipelines()
    return results


PROFILE_ORDER = ("low-memory", "quality", "fast", "turbo")
"""low-memory first, with nothing else on the GPU; quality before the others, which are compared with its bare calls."""


def turbo_skip_reason(preset_name: str) -> str | None:
    family = CLIP_FAMILIES[PRESETS[preset_name].clip_family]
    if family.turbo_lora:
        return None
    return f"clip family {family.name} has no few-step distilled LoRA (turbo_lora is False)"


def write_turbo_lora(preset_name: str, dtype: str, directory: Path, rank: int = 64) -> Path:
    """A random lightx2v-format LoRA for the preset's Wan transformer at its real size (rank 64, as lightx2v's
    published rank-64 file), written from a freshly built video pipeline, which is then released."""
    from videodrafter.engines.random_lora import write_random_lightx2v_lora

    release_pipelines()
    engine = DiffusersEngine(PRESETS[preset_name], Settings(engine=preset_name, dtype=dtype))
    path = write_random_lightx2v_lora(engine.video_pipeline().transformer, directory / "turbo-lightx2v-random.safetensors", rank=rank)
    del engine
    release_pipelines()
    return path


def run(
    preset_name: str, profiles: list[str], video_steps: int | None, image_steps: int | None, repeats: int, clip_repeats: int, dtype: str, on_stage,
    turbo_lora: str | None = None,
) -> dict:
    """Each stage's results go to ``on_stage(results so far)`` as they come, so a cut-off run keeps them.
    ``turbo`` loads ``turbo_lora`` if given, else a random lightx2v LoRA written at the preset's size to a temporary folder."""
    updates = {key: value for key, value in {"video_steps": video_steps, "image_steps": image_steps}.items() if value}
    preset = PRESETS[preset_name].model_copy(update=updates)
    results: dict = {"preset": preset.model_dump(), "profiles": {}}
    with tempfile.TemporaryDirectory(prefix="videodrafter-turbo-") as folder:
        for profile in sorted(profiles, key=PROFILE_ORDER.index):
            quality = results["profiles"].get("quality")
            partial: dict = {}
            lora = turbo_lora
            try:
                if profile == "turbo":
                    reason = turbo_skip_reason(preset_name)
                    if reason is not None:
                        results["profiles"][profile] = {"skipped": reason}
                        on_stage(results)
                        continue
                    if lora is None:
                        lora = str(write_turbo_lora(preset_name, dtype, Path(folder)))
                for partial in bench_profile(
                    preset, preset_name, profile, dtype, repeats, clip_repeats, None if profile == "quality" else quality or {}, lora,
                ):
                    results["profiles"][profile] = partial
                    on_stage(results)
            except (RuntimeError, ValueError, OSError, VideoDrafterError, torch.cuda.OutOfMemoryError) as error:  # keep what was measured; go on
                results["profiles"][profile] = {**partial, "error": f"{type(error).__name__}: {str(error)[:2000]}"}
                on_stage(results)
        release_pipelines()
    return results


VIDEO_CAMERAS = ("right", "zoom in", "left", "zoom out")


def video_script(scenes: int) -> VideoScript:
    """A script of ``scenes`` scenes of a dog and a girl on a beach, one camera move each (no LLM needed)."""
    return VideoScript.model_validate({
        "prompt": "a dog and a girl spend a day at the beach",
        "title": "gpu benchmark",
        "entities": [
            {"id": "dog", "name": "brown dog", "kind": "foreground", "description": "a small brown dog"},
            {"id": "girl", "name": "girl", "kind": "foreground", "description": "a girl in a yellow dress"},
            {"id": "beach", "name": "beach", "kind": "background", "description": "a sunny beach with waves"},
        ],
        "scenes": [
            {
                "event": f"The dog and the girl on the beach, moment {index + 1}.", "action": "they run along the waves",
                "foreground": ["dog", "girl"] if index % 2 == 0 else ["dog"], "background": "beach",
                "camera": {"direction": VIDEO_CAMERAS[index % len(VIDEO_CAMERAS)], "speed": "medium"}, "duration_s": 2.0,
            }
            for index in range(scenes)
        ],
    })


def whole_video(preset_name: str, profile: str, dtype: str, scenes: int = 4, turbo_lora: str | None = None, runs_dir: Path | None = None) -> dict:
    """One whole video end to end through ``start_run`` (references, scene images, consistency check, clips,
    narration, assembly) from a written script: seconds per stage from the manifest, the wall time, and the
    peak GPU memory. The pipelines are built (and, for ``fast``, compiled) inside the measured run: the
    figure is what a one-video process pays; ``build_s`` in the manifest's stages is not split out."""
    from videodrafter.graph.manifest import Manifest
    from videodrafter.graph.runner import start_run

    result: dict = {"preset": preset_name, "profile": profile, "scenes": scenes}
    with tempfile.TemporaryDirectory(prefix="videodrafter-video-") as folder:
        if profile == "turbo":
            reason = turbo_skip_reason(preset_name)
            if reason is not None:
                return {**result, "skipped": reason}
            turbo_lora = turbo_lora or str(write_turbo_lora(preset_name, dtype, Path(folder)))
        release_pipelines()
        settings = Settings(engine=preset_name, dtype=dtype, profile=profile, turbo_lora=turbo_lora, runs_dir=runs_dir or Path(folder) / "runs")
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        _sync()
        started = time.perf_counter()
        outcome = start_run("", settings, script=video_script(scenes), run_id="gpu-video")
        _sync()
        result["wall_s"] = time.perf_counter() - started
        manifest = Manifest.read(outcome.run_dir / "manifest.json")
        result["stages_s"] = dict(manifest.seconds)
        result["total_s"] = sum(manifest.seconds.values())
        result["peak_gib"] = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
        info = outcome.result.info if outcome.result is not None else None
        result["video"] = None if info is None else {"width": info.width, "height": info.height, "fps": info.fps, "frames": info.frames}
        result["status"] = outcome.status
    release_pipelines()
    return result


def machine() -> dict:
    info = {"python": platform.python_version(), "torch": torch.__version__, "cpu": platform.processor() or platform.machine()}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["gpu_memory_gib"] = torch.cuda.get_device_properties(0).total_memory / 2**30
    try:
        import diffusers
        import transformers

        info["diffusers"], info["transformers"] = diffusers.__version__, transformers.__version__
    except ImportError:
        pass
    return info


def _gib(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} GiB"


def _ratio(ours: float, bare: float | None) -> str:
    return "" if not bare else f"{ours / bare:.2f}x ({bare / ours:.2f}x faster)" if ours < bare else f"{ours / bare:.2f}x"


def _clip_rows(profile: str, label: str, r: dict, bare: dict | None, bare_steps: int | None) -> list[tuple[str, ...]]:
    """The measured row and the extrapolated one; ``bare``: the bare call's run (from the quality pass)."""
    ours = r["ours"]
    skip = "" if r.get("cache_skip_rate") is None else f", cache skipped {r['cache_skip_rate']:.0%} of block passes"
    return [
        (
            profile, label, f"{r['size']}, {r['frames'].get('ours')} frames, {r['steps']} steps, camera {r['camera']}{skip}",
            f"{ours['wall_s']:.1f} s ({ours['denoiser_s_per_step']:.2f} s/step)",
            "" if bare is None else f"{bare['wall_s']:.1f} s ({bare_steps} steps)",
            "" if bare is None or r["steps"] != bare_steps else _ratio(ours["wall_s"], bare["wall_s"]),
            _gib(ours["peak_gib"]),
        ),
        (
            profile, f"{label}, extrapolated" if ours["real_steps"] != r["steps"] else f"{label}, vs bare at the preset's steps",
            f"{ours['real_steps']} steps (not measured: per-step time × steps)" if ours["real_steps"] != r["steps"]
            else f"{ours['real_steps']} steps measured; bare at {bare_steps_real(bare)} steps" + ("" if bare_steps_real(bare) == bare_steps else " (extrapolated)"),
            f"{ours['extrapolated_wall_s_at_real_steps']:.0f} s",
            "" if bare is None else f"{bare['extrapolated_wall_s_at_real_steps']:.0f} s",
            "" if bare is None else _ratio(ours["extrapolated_wall_s_at_real_steps"], bare["extrapolated_wall_s_at_real_steps"]),
            "",
        ),
    ]


def bare_steps_real(bare: dict | None) -> int | None:
    """The step count the bare call's time was extrapolated to (the preset's)."""
    return None if bare is None else bare.get("real_steps")


def summary_rows(results: dict) -> list[tuple[str, ...]]:
    """One row per profile and stage: ours, the bare call (measured in the quality pass), ratio, peak memory."""
    profiles = results["profiles"]
    quality = profiles.get("quality", {})
    rows: list[tuple[str, ...]] = []
    if "clip" in quality and "bare" in quality["clip"]:
        rows.append(("bare diffusers", "clip", "the pipeline as built, no profile", "", f"{quality['clip']['bare']['wall_s']:.1f} s", "", _gib(quality["clip"]["bare"]["peak_gib"])))
    for profile in ("quality", "fast", "low-memory", "turbo"):
        measured = profiles.get(profile)
        if not measured:
            continue
        if "skipped" in measured:
            rows.append((profile, "skipped", measured["skipped"], "", "", "", ""))
            continue
        if "error" in measured:
            rows.append((profile, "failed", measured["error"][:300], "", "", "", ""))
        images = measured.get("images", {})
        for stage in ("reference_image", "scene_image"):
            if stage not in images:
                continue
            r = images[stage]
            bare = quality.get("images", {}).get(stage, {}).get("bare")
            rows.append((
                profile, stage.replace("_", " "), f"{r['size']}, {images['steps']} steps",
                f"{r['ours']['wall_s']:.2f} s", "" if bare is None else f"{bare['wall_s']:.2f} s",
                _ratio(r["ours"]["wall_s"], bare["wall_s"] if bare else None), _gib(r["ours"]["peak_gib"]),
            ))
        quality_clip = quality.get("clip", {})
        bare, bare_steps = quality_clip.get("bare"), quality_clip.get("steps")
        if "clip_without_cache" in measured:
            rows += _clip_rows(profile, "clip, cache off", measured["clip_without_cache"], bare, bare_steps)
        if "clip" in measured:
            label = "clip" + (", cache on" if "clip_without_cache" in measured else "")
            if profile == "turbo":
                label = f"clip, turbo LoRA, guidance {measured['clip'].get('guidance')} (target: >= 7x faster than bare at full steps)"
            rows += _clip_rows(profile, label, measured["clip"], bare, bare_steps)
    return rows


def video_rows(video: dict) -> list[tuple[str, str]]:
    """The whole-video timing: seconds per stage (from the manifest), the total, the peak GPU memory."""
    if "skipped" in video or "error" in video:
        return [("skipped" if "skipped" in video else "failed", video.get("skipped") or video.get("error", "")[:300])]
    rows = [(stage, f"{seconds:.1f} s") for stage, seconds in video["stages_s"].items()]
    rows.append(("total (manifest stages)", f"{video['total_s']:.1f} s (target on one H100/H200: <= 90 s)"))
    rows.append(("wall (start_run)", f"{video['wall_s']:.1f} s"))
    rows.append(("peak GPU memory", _gib(video["peak_gib"])))
    return rows


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="random-sdxl-cogvideox", choices=sorted(PRESETS), help="diffusers preset")
    parser.add_argument("--video-steps", type=int, default=None, help="denoising steps per clip (default: the preset's)")
    parser.add_argument("--image-steps", type=int, default=None, help="denoising steps per image (default: the preset's)")
    parser.add_argument("--repeats", type=int, default=3, help="timed image runs of each variant after one warm-up")
    parser.add_argument("--clip-repeats", type=int, default=1, help="timed clip runs of each variant after one warm-up")
    parser.add_argument("--profiles", default=",".join(PROFILES), help=f"comma-separated speed profiles ({', '.join(PROFILES)})")
    parser.add_argument("--clip-at-real-steps", action="store_true", help="only: one clip, bare at the preset's steps vs fast (cache off) at its own, both measured")
    parser.add_argument("--turbo-lora", default=None, help="turbo profile: this LoRA instead of a random lightx2v one at the preset's size")
    parser.add_argument("--video", action="store_true", help="also time one whole video end to end (start_run, a written script)")
    parser.add_argument("--video-only", action="store_true", help="only the whole-video timing")
    parser.add_argument("--video-profile", default=None, help="profile of the whole video (default: turbo if asked for and the clip family has it, else fast, else the first)")
    parser.add_argument("--video-scenes", type=int, default=4, help="scenes of the whole video")
    parser.add_argument("--dtype", default="auto", help="auto (bf16 on GPU), float16, bfloat16, float32")
    parser.add_argument("--output", type=Path, default=None, help="JSON file (default: benchmarks/results/gpu-<time>.json)")
    args = parser.parse_args()
    if downloads_real_weights(args.preset):
        randoms = ", ".join(name for name in sorted(PRESETS) if not downloads_real_weights(name))
        parser.error(f"{args.preset} downloads real weights; benchmark an architecture with a random-weight preset ({randoms})")
    args.profiles = [name.strip() for name in args.profiles.split(",") if name.strip()]
    unknown = [name for name in args.profiles if name not in PROFILES]
    if unknown or not args.profiles:
        parser.error(f"unknown profile(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(PROFILES)}")
    args.video = args.video or args.video_only
    args.video_profile = args.video_profile or next(
        (name for name in ("turbo", "fast") if name in args.profiles and (name != "turbo" or turbo_skip_reason(args.preset) is None)), args.profiles[0],
    )
    if args.video_profile not in PROFILES:
        parser.error(f"unknown --video-profile {args.video_profile}; choose from {', '.join(PROFILES)}")
    return args


def print_clip_at_real_steps(console: Console, r: dict, gpu: str) -> None:
    console.print(
        f"clip at real steps ({gpu}): bare {r['bare']['steps']} steps {r['bare']['wall_s']:.1f} s "
        f"(peak {_gib(r['bare']['peak_gib'])}); fast, cache off, {r['fast_without_cache']['steps']} steps "
        f"{r['fast_without_cache']['wall_s']:.1f} s (peak {_gib(r['fast_without_cache']['peak_gib'])}): {r['speedup']:.2f}x faster"
    )


def time_video(args: argparse.Namespace, console: Console) -> dict:
    """The whole-video timing, its table printed; a failure is recorded, not raised."""
    with console.status(f"one whole {args.video_scenes}-scene video on {args.preset}, {args.video_profile}…"):
        try:
            video = whole_video(args.preset, args.video_profile, args.dtype, max(1, args.video_scenes), args.turbo_lora)
        except (RuntimeError, ValueError, OSError, VideoDrafterError, torch.cuda.OutOfMemoryError) as error:
            video = {"profile": args.video_profile, "error": f"{type(error).__name__}: {str(error)[:2000]}"}
    table = Table(title=f"one whole {args.video_scenes}-scene video: {args.preset}, profile {args.video_profile}")
    table.add_column("stage")
    table.add_column("seconds", overflow="fold")
    for row in video_rows(video):
        table.add_row(*row)
    console.print(table)
    return video


def print_profiles(console: Console, results: dict, title: str) -> None:
    table = Table(title=title)
    for column in ("profile", "stage", "setup", "ours", "bare diffusers", "ours / bare", "peak memory"):
        table.add_column(column, overflow="fold")
    for row in summary_rows(results):
        table.add_row(*row)
    console.print(table)
    for profile, measured in results["profiles"].items():
        if "loads" not in measured:
            continue
        loads = measured["loads"]
        console.print(
            f"{profile}: built with random weights: "
            + "; ".join(f"{stage} {load['build_s']:.1f} s, {sum(load['parameters_b'].values()):.2f} B parameters" for stage, load in loads.items())
            + f"; resident on the GPU {_gib(measured['resident_weights_gib'])}"
        )
        for kind in loads:
            state = measured["loaded"].get(kind, {})
            console.print(f"  {kind}: {'; '.join(state.get('applied', [])) or 'as built'}" + (f" (skipped: {'; '.join(state['skipped'])})" if state.get("skipped") else ""))


def main() -> None:
    args = arguments()
    console = Console()
    output = args.output or RESULTS / f"gpu-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {"when": datetime.now(UTC).isoformat(), "machine": machine(), "results": {}}
    gpu = document["machine"].get("gpu", "CPU")

    def save(results: dict) -> None:
        document["results"] = results
        output.write_text(json.dumps(document, indent=2, default=str))
        console.log(f"measured: {', '.join(f'{name} ' + '+'.join(stages) for name, stages in results['profiles'].items())}")

    if args.clip_at_real_steps:
        document["results"] = clip_at_real_steps(args.preset, args.dtype, lambda results: output.write_text(json.dumps({**document, "results": results}, indent=2, default=str)))
        output.write_text(json.dumps(document, indent=2, default=str))
        print_clip_at_real_steps(console, document["results"], gpu)
        console.print(f"JSON: {output}")
        return
    results: dict = {"preset": PRESETS[args.preset].model_dump(), "profiles": {}}
    if not args.video_only:
        with console.status(f"benchmarking {args.preset}…"):
            results = run(
                args.preset, args.profiles, args.video_steps, args.image_steps, max(1, args.repeats), max(1, args.clip_repeats), args.dtype, save,
                args.turbo_lora,
            )
        print_profiles(console, results, f"videodrafter GPU benchmark: {args.preset} ({gpu}, one run)")
    if args.video:
        results["video"] = time_video(args, console)
        save(results)
    console.print(f"JSON: {output}")

if __name__ == "__main__":
    main()
