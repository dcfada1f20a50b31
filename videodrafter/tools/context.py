"""What every tool call shares: the settings and the process-wide engine and embedder."""

from __future__ import annotations

from videodrafter.config import Settings
from videodrafter.engines.base import Engine
from videodrafter.engines.embedding import ImageEmbedder, get_image_embedder
from videodrafter.engines.registry import get_engine


class ToolContext:
    """Resolves heavy components on first use only; cheap to create per run."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine if self._engine is not None else get_engine(self.settings)

    @property
    def embedder(self) -> ImageEmbedder:
        return get_image_embedder(self.settings.image_embedder, self.engine)
