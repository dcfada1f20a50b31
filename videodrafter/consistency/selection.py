"""Which candidate a scene keeps, and whether a round passed: by the critic when it judged, else the embedder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from videodrafter.consistency.verdict import Verdict


class Candidate(Protocol):
    """What selection reads of a scene candidate (the graph's ``SceneCandidate`` is one)."""

    attempt: int
    rank: int
    score: float | None
    verdict: Verdict | None


C = TypeVar("C", bound=Candidate)


def passes(candidate: Candidate, threshold: float) -> bool:
    """The critic's verdict decides where there is one; the embedder's score otherwise."""
    if candidate.verdict is not None:
        return candidate.verdict.consistent
    return candidate.score is not None and candidate.score >= threshold


def preference(candidate: Candidate, threshold: float) -> tuple:
    """Passing first, then the critic's score, then the embedder's, then the earlier round."""
    critic_score = candidate.verdict.score if candidate.verdict is not None else 0
    return (passes(candidate, threshold), critic_score, candidate.score if candidate.score is not None else -2.0, -candidate.attempt, -candidate.rank)


def best(candidates: Sequence[C], threshold: float) -> C:
    """The preferred candidate (the latest when none was scored yet)."""
    scored = [candidate for candidate in candidates if candidate.score is not None or candidate.verdict is not None]
    if not scored:
        return candidates[-1]
    return max(scored, key=lambda candidate: preference(candidate, threshold))
