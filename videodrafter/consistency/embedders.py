"""Image embedders by spec, loaded once per process through the resource registry.

``appearance`` (appearance.py) is the offline default; CLIP and DINOv2 are in learned_embedders.py.
Every embedder carries the similarity threshold of its own feature space.
"""

from __future__ import annotations

from videodrafter.consistency.appearance import ImageEmbedder
from videodrafter.consistency.learned_embedders import effective_spec, resolve_embedder
from videodrafter.resources import RESOURCES


def get_image_embedder(spec: str, engine=None) -> ImageEmbedder:
    """An embedder by spec, loaded once per process (see ``learned_embedders.resolve_embedder``)."""
    key = resolve_cache_key(spec, engine)
    return RESOURCES.get("embedder", key, lambda: resolve_embedder(spec, engine), label=key[0])


def resolve_cache_key(spec: str, engine) -> tuple:
    """Embedders that read the engine's own image encoder are one per engine load; the others one per spec."""
    spec = effective_spec(spec, engine)
    if spec == "clip" and engine is not None:
        return (spec, tuple(sorted(engine.describe().items())))
    return (spec,)
