"""A critic that sees: a vision LLM judges scene images and clips against the entity references."""

from videodrafter.critic.verdict import Verdict
from videodrafter.critic.vision import CriticReference, VisionCritic

__all__ = ["CriticReference", "Verdict", "VisionCritic"]
