"""Stage: score each scene's new candidates (embedder, then the vision critic if any), keep the best,
and send the scenes that failed back for another round (new seeds, the critic's revised prompt)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from videodrafter.advisory import AdvisoryStep, vision_critic_step
from videodrafter.consistency import selection
from videodrafter.consistency.vision_critic import CriticReference, VisionCritic
from videodrafter.errors import VideoDrafterError
from videodrafter.graph.artifacts import PromptRevision, SceneCandidate
from videodrafter.graph.context import RunContext
from videodrafter.graph.progress import emit, timed
from videodrafter.graph.state import State
from videodrafter.llm.usage import TokenUsage
from videodrafter.script import EntityKind, Scene
from videodrafter.tools import ConsistencyArgs, measure_consistency


def current_candidates(state: State, scene: int) -> list[SceneCandidate]:
    attempt = state.scene_attempts.get(scene, 0)
    return [candidate for candidate in state.candidates.get(scene, []) if candidate.attempt == attempt]


def consistency_threshold(context: RunContext) -> float:
    """The setting when given, else the image embedder's own calibrated threshold."""
    if context.settings.consistency_threshold is not None:
        return context.settings.consistency_threshold
    return context.resources().embedder.threshold


def chosen_candidate(state: State, scene: int, threshold: float) -> SceneCandidate:
    """The picture a scene's clip starts from: for a continued shot the previous clip's last frame,
    else the candidate kept by the critic's verdicts where it judged, else by the best embedder score."""
    assert state.script is not None
    candidates = state.candidates[scene]
    if state.script.scenes[scene].continues:
        return [candidate for candidate in candidates if candidate.continued_from is not None][-1]
    return selection.best([candidate for candidate in candidates if candidate.continued_from is None], threshold)


def open_critic(context: RunContext, step: AdvisoryStep) -> VisionCritic | None:
    """The run's vision critic, None without one; failing to create it puts the step down."""
    if step.down:
        return None
    try:
        return context.resources().vision_critic()
    except VideoDrafterError as error:
        step.fail(error)
        return None


class _Scorer:
    """Scores candidates of one node call: the embedder for every common subject, the critic where it still answers."""

    def __init__(self, state: State, context: RunContext) -> None:
        assert state.script is not None
        self.state, self.context = state, context
        self.common = {entity.id for entity in state.script.common_entities if entity.kind is EntityKind.FOREGROUND}
        self.step = vision_critic_step(down=state.critic_down)
        self.critic = open_critic(context, self.step)
        self.usage = TokenUsage()
        self.seconds: dict[str, float] = {}

    def score(self, index: int, spec: Scene, candidate: SceneCandidate) -> SceneCandidate | None:
        """The candidate with what it lacked measured, or None when nothing was new."""
        changes: dict = {}
        if candidate.score is None:
            with timed("check_consistency", self.seconds):
                entity_scores = {
                    entity_id: measure_consistency(
                        ConsistencyArgs(reference=self.state.references[entity_id].conditioned, scene_image=candidate.image, region=candidate.layout.boxes.get(entity_id)),
                        self.context.resources(),
                    ).score
                    for entity_id in spec.foreground if entity_id in self.common
                }
            changes.update(entity_scores=entity_scores, score=min(entity_scores.values(), default=1.0))
        if self.critic is not None and not self.step.down and candidate.verdict is None and not candidate.critic_error:
            emit("critic", f"scene {index + 1}, candidate {candidate.rank + 1}", index, len(self.state.script.scenes))
            with timed("critic", self.seconds):
                verdict = self.step.attempt(
                    lambda: self.critic.judge_scene(candidate.prompt or spec.event, critic_references(self.state, index), candidate.image, self.usage)
                )
            changes["verdict" if verdict is not None else "critic_error"] = verdict if verdict is not None else self.step.last_error
        return candidate.model_copy(update=changes) if changes else None


def critic_references(state: State, scene: int) -> list[CriticReference]:
    assert state.script is not None
    spec = state.script.scenes[scene]
    references = []
    for entity_id in [*spec.foreground, spec.background]:
        entity = state.script.entity(entity_id)
        role = "place (the background)" if entity.kind is not EntityKind.FOREGROUND else "character or object"
        references.append(CriticReference(name=entity.name, role=role, description=entity.description[:300], image=state.references[entity_id].conditioned))
    return references


def check_consistency_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """A scene fails when its best candidate fails: by the critic's verdict where it judged, by the
    embedder's threshold otherwise. Its next round uses the critic's revised prompt and new seeds."""
    context = runtime.context
    script = state.script
    assert script is not None
    threshold = consistency_threshold(context)
    scorer = _Scorer(state, context)
    scored: dict[int, list[SceneCandidate]] = {}
    retry: dict[int, int] = {}
    revisions: dict[int, PromptRevision] = {}
    notes: list[str] = []
    for index, spec in enumerate(script.scenes):
        # 1. Measure what is new in the scene's current round (a continued shot has no picture of its own)
        round_candidates = [] if spec.continues else current_candidates(state, index)
        if not round_candidates:
            continue
        updated = [candidate for candidate in (scorer.score(index, spec, c) for c in round_candidates) if candidate is not None]
        if updated:
            scored[index] = updated
        # 2. The best of the round passes, or the scene gets another round while rounds are left
        by_slot = {(c.attempt, c.rank): c for c in [*round_candidates, *updated]}
        best = selection.best(list(by_slot.values()), threshold)
        if selection.passes(best, threshold):
            continue
        if best.attempt + 1 < context.settings.consistency_attempts:
            retry[index] = best.attempt + 1
            if best.verdict is not None and best.verdict.revised_prompt:
                revisions[index] = PromptRevision(event=spec.event, from_attempt=best.attempt + 1, prompt=best.verdict.revised_prompt)
        elif updated:
            judge = "the critic's approval" if best.verdict is not None else f"consistency {threshold:.2f}"
            notes.append(f"scene {index + 1}: no candidate reached {judge} in {context.settings.consistency_attempts} rounds; the best one is used")
    emit("consistency", f"{len(retry)} scene(s) to redo" if retry else "all scenes consistent", len(script.scenes), len(script.scenes))
    return {
        "candidates": scored, "scene_attempts": retry, "scene_prompts": revisions, "consistency_rounds": 1 if retry else 0,
        "seconds": scorer.seconds, "notes": scorer.step.notes + notes, "usage": scorer.usage, "critic_down": scorer.step.down,
    }
