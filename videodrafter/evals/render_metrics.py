"""What a rendered case's manifest says about consistency: the critic's pass rate and the redraws it cost."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RenderMetrics(BaseModel):
    """Per rendered case; NaN where there is nothing to measure (no critic; a critic that was down gives
    no verdicts, so its pass rate is NaN, while the clips it had redone before still count)."""

    critic_pass_rate: float = Field(description="Share of the critic's scene verdicts that passed (NaN: no verdicts).")
    regenerations_per_scene: float = Field(description="Mean redraw rounds per scene (critic or embedder caused them).")
    clips_redone: float = Field(description="Clips the critic had redone (NaN: no critic).")


def render_metrics(manifest: dict) -> RenderMetrics:
    """From a run's manifest.json: every scene's rounds (its latest candidate's round), and the critic summary."""
    rounds = [max((tried["attempt"] for tried in scene.get("tried", [])), default=0) for scene in manifest["scenes"]]
    critic = manifest.get("critic") or {}
    pass_rate = critic.get("scene_pass_rate")
    return RenderMetrics(
        critic_pass_rate=float("nan") if pass_rate is None else float(pass_rate),
        regenerations_per_scene=sum(rounds) / len(rounds) if rounds else float("nan"),
        clips_redone=float(critic["clips_redone"]) if critic else float("nan"),
    )
