"""Run a suite over LLM backends × prompt sets; optionally render with an engine and score visuals."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import BaseModel, Field

from videodrafter.config import Settings
from videodrafter.errors import VideoDrafterError
from videodrafter.evals.answer_cache import EvalAnswerCache, model_identity
from videodrafter.evals.call_traces import LLMCall, watched
from videodrafter.evals.cases import EvalCase, EvalSuite
from videodrafter.evals.script_metrics import ScriptMetrics, script_metrics
from videodrafter.text_embedding import embed_texts
from videodrafter.evals.render_metrics import RenderMetrics, render_metrics
from videodrafter.evals.visual_metrics import VisualMetrics
from videodrafter.llm.factory import create_chat_model
from videodrafter.llm.usage import TokenUsage
from videodrafter.media.files import content_hash
from videodrafter.planning.inputs import scene_bounds
from videodrafter.planning.kept_script_check import check_kept_script
from videodrafter.planning.planner import plan_script
from videodrafter.prompts import load_prompt_set, prompt_set_digest
from videodrafter.script import VideoScript

PACKAGES = ["videodrafter", "langchain-core", "llama-cpp-python", "transformers", "diffusers", "torch", "langgraph"]


class EvalConfig(BaseModel):
    suite: str
    llms: list[str] = Field(min_length=1)
    prompt_sets: list[str] = Field(min_length=1)
    seed: int = 0
    engine: str | None = Field(default=None, description="Render each script with this engine for visual metrics.")
    clip_model: Path | None = Field(default=None, description="CLIP folder for the visual metrics.")
    judge: str | None = Field(default=None, description="LLM spec of the coherence judge.")
    critic: str | None = Field(default=None, description="LLM spec of a vision critic for the rendered cases (see make --critic).")
    repeats: int = Field(default=1, ge=1, le=20, description="Runs of every case (same seed): latency gets a spread.")
    cache_dir: Path | None = Field(
        default=None,
        description="Folder of cached LLM answers, keyed by model, messages, call parameters, seed and repeat: an unchanged "
        "case is answered from it (with the latency first measured). None: every call goes to the LLM and nothing is kept.",
    )


class CaseResult(BaseModel):
    case_id: str
    genre: str
    llm: str
    prompt_set: str
    metrics: ScriptMetrics
    visual: VisualMetrics | None = None
    render: RenderMetrics | None = Field(default=None, description="Critic pass rate and redraws of the rendered case.")
    script: VideoScript | None = None
    notes: list[str] = Field(default_factory=list)
    judge_reason: str = ""
    repeat: int = Field(default=0, description="Which run of the case this is (0-based; see EvalConfig.repeats).")
    llm_output: str = Field(default="", description="What the LLM wrote last, kept for a case that failed.")
    problems: list[str] = Field(default_factory=list, description="What the checker found in rejected answers and sent back, in order.")
    calls: list[LLMCall] = Field(default_factory=list, description="Every LLM call of the case (planner, then judge): messages, raw answer, feedback.")
    cached_calls: int = Field(default=0, description="Calls answered from the answer cache (their latency is as first measured).")


class EvalReport(BaseModel):
    config: EvalConfig
    suite_description: str
    started: str
    seconds: float
    versions: dict[str, str]
    prompt_set_hashes: dict[str, str]
    settings: dict
    results: list[CaseResult]

    def variants(self) -> list[tuple[str, str]]:
        return [(llm, prompt_set) for llm in self.config.llms for prompt_set in self.config.prompt_sets]

    def cache_counts(self) -> tuple[int, int]:
        """(LLM calls answered from the cache, LLM calls in all)."""
        return sum(result.cached_calls for result in self.results), sum(len(result.calls) for result in self.results)


def _versions() -> dict[str, str]:
    found = {}
    for package in PACKAGES:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


MAX_KEPT_OUTPUT = 4000
"""Characters of a failed case's last LLM answer kept in the report."""


def _answer_cache(config_cache: Path | None, llm: str, model: BaseChatModel, settings: Settings, repeat: int) -> EvalAnswerCache | None:
    """Each repeat keeps its own answers, so a rerun of a repeated suite keeps its latency spread."""
    if config_cache is None:
        return None
    return EvalAnswerCache(config_cache, model_identity(llm, model, eval_seed=settings.seed, repeat=repeat))


def evaluate_case(
    case: EvalCase, llm: str, prompt_set: str, settings: Settings, judge_model=None, model=None, *,
    cache_dir: Path | None = None, repeat: int = 0, judge: str = "judge",
) -> CaseResult:
    """Plan the case's prompt (and have the judge rate it); every call is traced, and answered from
    ``cache_dir`` when an earlier run asked the same."""
    model = model or create_chat_model(llm, settings)
    usage = TokenUsage()
    min_scenes, max_scenes = scene_bounds(case.scenes, settings)
    started = time.perf_counter()
    failure: VideoDrafterError | None = None
    with watched(model, "planner", _answer_cache(cache_dir, llm, model, settings, repeat)) as tracer:
        try:
            plan = plan_script(case.prompt, model, settings, min_scenes=min_scenes, max_scenes=max_scenes, prompt_set_name=prompt_set, usage=usage)
        except VideoDrafterError as error:
            failure = error
    seconds = time.perf_counter() - started + tracer.cached_seconds  # a cached answer costs what it cost when written
    calls = tracer.traced()
    if failure is not None:
        metrics = ScriptMetrics(valid=False, error=failure.message, attempts=settings.plan_max_attempts, seconds=seconds,
                                llm_calls=usage.calls, tokens_in=usage.input_tokens, tokens_out=usage.output_tokens)
        return CaseResult(case_id=case.id, genre=case.genre, llm=llm, prompt_set=prompt_set, metrics=metrics,
                          llm_output=tracer.last_answer[:MAX_KEPT_OUTPUT], calls=calls, cached_calls=sum(c.cached for c in calls))
    # what a user would get: the kept script after the review's last check (retold lines are counted)
    kept, retold = check_kept_script(plan.script)
    script, notes = _with_photos(kept, case), [*plan.notes, *retold]
    metrics = script_metrics(
        script, attempts=plan.attempts, notes=notes, min_scenes=min_scenes, max_scenes=max_scenes,
        event_embeddings=embed_texts([scene.event for scene in script.scenes]), expected_common=case.expected_common,
        seconds=seconds, llm_calls=usage.calls, tokens_in=usage.input_tokens, tokens_out=usage.output_tokens,
    )
    metrics.retold_lines = len(retold)
    reason = ""
    if judge_model is not None:
        from videodrafter.evals.judge import judge_coherence

        with watched(judge_model, "judge", _answer_cache(cache_dir, judge, judge_model, settings, 0)) as judged:
            rating = judge_coherence(script, judge_model, settings, TokenUsage())
        metrics.coherence, reason = float(rating.coherence), rating.reason
        calls += judged.traced()
    return CaseResult(case_id=case.id, genre=case.genre, llm=llm, prompt_set=prompt_set, metrics=metrics, script=script, notes=notes,
                      judge_reason=reason, problems=plan.problems, calls=calls, cached_calls=sum(call.cached for call in calls))


def _with_photos(script: VideoScript, case: EvalCase) -> VideoScript:
    """Attach the case's real photos to the entities they name (matched by content words)."""
    if not case.photos:
        return script
    from videodrafter.text import content_words

    entities = []
    for entity in script.entities:
        photo = next((path for name, path in case.photos.items() if content_words(name) & content_words(entity.name)), None)
        entities.append(entity.model_copy(update={"reference_image": photo}) if photo else entity)
    return script.model_copy(update={"entities": entities})


def run_eval(
    suite: EvalSuite,
    config: EvalConfig,
    settings: Settings,
    output_dir: Path,
    on_progress: Callable[[str, int, int], None] = lambda _label, _done, _total: None,
    chat_models: dict[str, BaseChatModel] | None = None,
) -> EvalReport:
    """``chat_models`` maps LLM specs (backends and judge) to ready models (tests pass scripted ones); others are created."""
    started = time.perf_counter()
    judge_model = None
    if config.judge:
        judge_model = (chat_models or {}).get(config.judge) or create_chat_model(config.judge, settings)
    results: list[CaseResult] = []
    total = len(config.llms) * len(config.prompt_sets) * len(suite.cases) * config.repeats
    for llm in config.llms:
        for prompt_set in config.prompt_sets:
            load_prompt_set(prompt_set)  # fail fast on an unknown set
            for case in suite.cases:
                for repeat in range(config.repeats):  # same seed: the same script, another latency sample
                    again = f" · run {repeat + 1}/{config.repeats}" if config.repeats > 1 else ""
                    label = f"{case.id} · {llm} · {prompt_set}{again}"
                    on_progress(label, len(results), total)
                    case_settings = settings.model_copy(update={"llm": llm, "prompt_set": prompt_set, "seed": config.seed})
                    result = evaluate_case(
                        case, llm, prompt_set, case_settings, judge_model if repeat == 0 else None, (chat_models or {}).get(llm),
                        cache_dir=config.cache_dir, repeat=repeat, judge=config.judge or "judge",
                    )
                    result.repeat = repeat
                    if config.engine and result.script is not None and repeat == 0:
                        result.visual = render_and_score(result, config, case_settings, output_dir, (chat_models or {}).get(llm))
                    on_progress(f"{label} · {case_outcome(result)}", len(results), total)
                    results.append(result)
    on_progress("done", total, total)
    return EvalReport(
        config=config,
        suite_description=suite.description,
        started=datetime.now(UTC).isoformat(),
        seconds=time.perf_counter() - started,
        versions=_versions(),
        prompt_set_hashes={name: prompt_set_digest(name) for name in config.prompt_sets},
        settings=json.loads(settings.model_dump_json()),
        results=results,
    )


def case_outcome(result: CaseResult) -> str:
    """How a finished case went, for its progress line: ok or failed, seconds, tokens, answers from the cache."""
    metrics = result.metrics
    cached = f", {result.cached_calls}/{len(result.calls)} answers from the cache" if result.cached_calls else ""
    return f"{'ok' if metrics.valid else 'failed'} in {metrics.seconds:.1f} s, {metrics.llm_calls} LLM calls, {metrics.tokens_out} tokens out{cached}"


def render_and_score(
    result: CaseResult, config: EvalConfig, settings: Settings, output_dir: Path, model: BaseChatModel | None = None,
) -> VisualMetrics | None:
    """Render the script with the engine, then compute the paper's visual metrics: with CLIP when a
    --clip-model is given, else with the run's own image embedder (the appearance one on the animatic)."""
    from videodrafter.consistency.embedders import get_image_embedder
    from videodrafter.engines.registry import get_engine
    from videodrafter.evals.visual_metrics import embedder_images, get_clip_scorer, visual_metrics
    from videodrafter.graph.manifest import Manifest
    from videodrafter.graph.runner import start_run

    runs = output_dir / "runs"
    run_id = f"{result.case_id}-{content_hash(result.llm, result.prompt_set)[:8]}"
    render_settings = settings.model_copy(update={"engine": config.engine, "runs_dir": runs, "critic": config.critic})
    outcome = start_run("", render_settings, script=result.script, run_id=run_id, chat_model=model)
    if outcome.result is None:
        result.notes.append(f"the render stopped before its video ({outcome.status.replace('_', ' ')})")
        return None
    manifest = Manifest.read(outcome.result.manifest)
    result.render = render_metrics(json.loads(outcome.result.manifest.read_text()))
    if config.clip_model is not None:
        scorer = get_clip_scorer(config.clip_model)
    else:
        embedder = get_image_embedder(render_settings.image_embedder, get_engine(render_settings))
        scorer = embedder_images(embedder)
        result.notes.append(f"visual metrics with the run's '{embedder.name}' embedder (no CLIPSIM without --clip-model)")
    assert outcome.script is not None
    return visual_metrics(scorer, events=[scene.event for scene in outcome.script.scenes], **rendered_pictures(outcome.script, manifest))


def rendered_pictures(script: VideoScript, manifest) -> dict:
    """What the metrics compare: scene images, (reference, crop) pairs, crops per entity, every 4th clip frame."""
    from PIL import Image

    from videodrafter.media.video import decode_frames

    scenes = [Image.open(scene.chosen.image) for scene in manifest.scenes]
    fg_pairs, bg_pairs, crops = [], [], {}
    for index, scene in enumerate(script.scenes):
        image, boxes = scenes[index], manifest.scenes[index].chosen.layout.boxes
        for entity_id in scene.foreground:
            box = boxes.get(entity_id)
            if box is None:
                continue
            crop = image.crop(box.pixels(image.width, image.height))
            fg_pairs.append((Image.open(manifest.references[entity_id].conditioned), crop))
            crops.setdefault(entity_id, []).append(crop)
        bg_pairs.append((Image.open(manifest.references[scene.background].conditioned), image))
    clips = [[Image.fromarray(frame) for frame in list(decode_frames(Path(scene.clip.path)))[::4]] for scene in manifest.scenes]
    return {"scene_images": scenes, "fg_pairs": fg_pairs, "bg_pairs": bg_pairs, "crops_by_entity": crops, "clips": clips}


def aggregate(report: EvalReport) -> dict[tuple[str, str], dict[str, float]]:
    """Mean of every numeric metric per (llm, prompt set); validity as a share."""
    table: dict[tuple[str, str], dict[str, float]] = {}
    for variant in report.variants():
        rows = [result for result in report.results if (result.llm, result.prompt_set) == variant]
        if not rows:
            continue
        values: dict[str, list[float]] = {}
        for row in rows:
            for key, value in row.metrics.model_dump().items():
                if isinstance(value, bool):
                    values.setdefault(key, []).append(float(value))
                elif isinstance(value, int | float) and value is not None:
                    if row.metrics.valid or key in ("seconds", "llm_calls", "tokens_in", "tokens_out", "attempts"):
                        values.setdefault(key, []).append(float(value))
            for scored in (row.visual, row.render):
                if scored is not None:
                    for key, value in scored.model_dump().items():
                        values.setdefault(key, []).append(float(value))
        table[variant] = {key: float(np.nanmean(numbers)) if not np.all(np.isnan(numbers)) else float("nan") for key, numbers in values.items() if numbers}
        outputs = sum(row.metrics.tokens_out for row in rows)
        seconds = sum(row.metrics.seconds for row in rows)
        table[variant]["tokens_out_per_s"] = outputs / seconds if seconds else 0.0
        if report.config.repeats > 1:
            table[variant] |= _latency_spread(rows)
    return table


LATENCY = ("seconds", "tokens_out_per_s")
"""The metrics that vary with how busy the machine is; with repeats they carry a spread."""


def _latency_spread(rows: list[CaseResult]) -> dict[str, float]:
    """``<metric>_sd``: the standard deviation of a case's latency over its repeats, averaged over the cases."""
    by_case: dict[str, list[CaseResult]] = {}
    for row in rows:
        by_case.setdefault(row.case_id, []).append(row)
    spread: dict[str, list[float]] = {key: [] for key in LATENCY}
    for runs in by_case.values():
        if len(runs) < 2:
            continue
        spread["seconds"].append(float(np.std([run.metrics.seconds for run in runs], ddof=1)))
        rates = [run.metrics.tokens_out / run.metrics.seconds for run in runs if run.metrics.seconds]
        if len(rates) > 1:
            spread["tokens_out_per_s"].append(float(np.std(rates, ddof=1)))
    return {f"{key}_sd": float(np.mean(values)) for key, values in spread.items() if values}
