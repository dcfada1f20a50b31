"""Stage: join the clips (with their narration) into video.mp4; write the contact sheet, subtitles,
timeline and manifest.json."""

from __future__ import annotations

import json

from langgraph.runtime import Runtime

from videodrafter.audio.speech_files import NarrationAudio, find_narration
from videodrafter.config import Settings
from videodrafter.graph.artifacts import SceneCandidate, VideoResult
from videodrafter.graph.cancellation import raise_if_cancelled
from videodrafter.graph.context import RunContext
from videodrafter.graph.manifest import CriticSummary, Manifest, MusicRecord, NarrationRecord, SceneRecord, TriedCandidate
from videodrafter.graph.progress import emit, timed
from videodrafter.graph.stages.consistency_check import chosen_candidate, consistency_threshold
from videodrafter.graph.state import State
from videodrafter.media.files import write_text_atomic
from videodrafter.tools import AssembleArgs, AssembleResult, ClipEntry, assemble_video


def assemble_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """The deliverables from the chosen pictures, the clips and the spoken lines."""
    context = runtime.context
    script = state.script
    assert script is not None
    seconds: dict[str, float] = {}
    # 1. What goes in: each scene's chosen picture, its clip and its spoken line
    raise_if_cancelled()
    emit("assemble", "joining clips", 0, 1)
    threshold = consistency_threshold(context)
    chosen = [chosen_candidate(state, index, threshold) for index in range(len(script.scenes))]
    spoken = find_narration(script, context.settings.voice, context.folder)
    entries = [_clip_entry(state, index, chosen[index], spoken[index]) for index in range(len(script.scenes))]
    # 2. The video and its companions
    with timed("assemble", seconds):
        assembled = assemble_video(AssembleArgs(title=script.title, clips=entries, output_dir=context.folder, music=script.music), context.resources())
    # 3. The manifest, written last
    manifest_path = context.folder / "manifest.json"
    manifest = build_manifest(state, context, chosen, spoken, assembled, threshold, seconds)
    write_text_atomic(manifest_path, manifest.model_dump_json(indent=2))
    result = VideoResult(
        run_dir=context.folder, video=assembled.video, contact_sheet=assembled.contact_sheet,
        subtitles=assembled.subtitles, timeline=assembled.timeline, manifest=manifest_path, info=assembled.info,
    )
    emit("assemble", "done", 1, 1)
    return {"result": result, "seconds": seconds}


def _clip_entry(state: State, index: int, chosen: SceneCandidate, spoken: NarrationAudio | None) -> ClipEntry:
    assert state.script is not None
    candidates = state.candidates[index]
    several = len(candidates) > 1
    return ClipEntry(
        clip=state.clips[index].path, scene_image=chosen.image, caption=state.script.scenes[index].spoken_line,  # the one sentence the viewer hears and reads
        candidates=[candidate.image for candidate in candidates] if several else [],
        chosen=candidates.index(chosen) if several else 0,
        narration=spoken.path if spoken else None, narration_text=spoken.text if spoken else "",
    )


def build_manifest(
    state: State, context: RunContext, chosen: list[SceneCandidate], spoken: list[NarrationAudio | None],
    assembled: AssembleResult, threshold: float, seconds: dict[str, float],
) -> Manifest:
    assert state.script is not None
    resources = context.resources()
    all_seconds = dict(state.seconds)
    for key, value in seconds.items():
        all_seconds[key] = all_seconds.get(key, 0.0) + value
    engine = resources.engine.describe()
    scenes = [
        SceneRecord(
            prompt=chosen[index].prompt or spec.event, chosen=chosen[index], candidates=len(state.candidates.get(index, [])),
            tried=[TriedCandidate.model_validate(candidate.model_dump()) for candidate in state.candidates.get(index, [])],
            clip=state.clips[index], shot=spec.shot.value,
            image_family="" if spec.continues else engine.get("image_family", ""), clip_family=engine.get("clip_family", ""),
        )
        for index, spec in enumerate(state.script.scenes)
    ]
    return Manifest(
        prompt=state.prompt, title=state.script.title, llm=context.settings.llm, prompt_set=context.settings.prompt_set,
        engine=engine, engine_loaded=resources.engine.loaded_state(), seed=context.settings.seed,
        settings=json.loads(context.settings.model_dump_json(include=set(Settings.model_fields))),
        resume_overrides=context.overrides, plan_rounds=state.plan_rounds, consistency_rounds=state.consistency_rounds,
        usage=state.usage, seconds=all_seconds, references=state.references, image_embedder=resources.embedder.name,
        consistency_threshold=threshold, critic=critic_summary(state, context), scenes=scenes, video=assembled.info,
        narration=NarrationRecord(voice=context.settings.voice, narrated=assembled.narrated, held_frames=assembled.holds, scenes=spoken),
        music=music_record(context.settings, assembled), approval=state.approval, notes=state.notes,
    )


def music_record(settings: Settings, assembled: AssembleResult) -> MusicRecord | None:
    if assembled.music is None:
        return None
    return MusicRecord(
        source=assembled.music.describe(), made_from=assembled.music, file=assembled.music_file, voice_level_db=settings.voice_level_db,
        music_level_db=settings.music_level_db, ducking_db=settings.music_ducking_db,
    )


def critic_summary(state: State, context: RunContext) -> CriticSummary | None:
    """Pass rate of the critic's scene verdicts and the regenerations it caused (for the eval reports)."""
    if not context.resources().has_critic:
        return None
    verdicts = [c.verdict for candidates in state.candidates.values() for c in candidates if c.verdict is not None]
    clip_verdicts = [clip.first_verdict or clip.verdict for clip in state.clips.values() if (clip.first_verdict or clip.verdict) is not None]
    return CriticSummary(
        spec=context.settings.critic, down=state.critic_down, scene_verdicts=len(verdicts),
        scene_pass_rate=sum(v.consistent for v in verdicts) / len(verdicts) if verdicts else None,
        regenerations_per_scene={index: max(c.attempt for c in candidates) for index, candidates in sorted(state.candidates.items())},
        clip_verdicts=len(clip_verdicts), clips_redone=sum(clip.redone for clip in state.clips.values()),
    )
