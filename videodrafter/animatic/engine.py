"""The animatic engine: a fast, deterministic, offline storyboard video.

References are pictograms of an open set (OpenMoji) chosen by meaning, or drawn figures when
nothing is close; places are drawn backdrops decorated with scenery pictograms. Scene images
composite the segmented foreground references over the background reference, and clips apply
the same camera math as the diffusion path, to pixels, with the scene's action as a caption.
"""

from __future__ import annotations

import threading
from importlib.metadata import version
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from videodrafter.animatic.art import COLOR_WORDS, HORIZON, draw_figure, draw_place, place_style, stable_hash
from videodrafter.engines.base import Depiction, EntityPicture, ForegroundCutout, SceneLayout
from videodrafter.engines.camera import camera_map, warp_image
from videodrafter.engines.composition import compose_foreground
from videodrafter.animatic.pictogram_art import Placement, badge_color, decorate_place, pictogram_figure
from videodrafter.animatic.pictogram_catalog import pictogram_set_name
from videodrafter.animatic.pictograms import PictogramChooser, badge_index, flips
from videodrafter.media.fonts import font, wrap_text
from videodrafter.media.images import cover
from videodrafter.script import CameraMove, EntityKind


class AnimaticEngine:
    """Storyboard frames at ``width`` x ``height``; no model weights, no GPU."""

    name = "animatic"
    draws_clean_backgrounds = True
    draws_solid_subjects = True  # one closed pictogram per subject
    holds_references = False

    def __init__(self, width: int = 640, height: int = 360, fps: float = 12.0, cache_dir: Path | None = None) -> None:
        self.width = width
        self.height = height
        self.fps = fps
        self.cache_dir = cache_dir
        """Where the pictogram catalog's embeddings are kept; default: the settings' cache_dir."""
        self._chooser: PictogramChooser | None = None
        self._lock = threading.Lock()

    def describe(self) -> dict[str, str]:
        return {
            "engine": self.name, "size": f"{self.width}x{self.height}", "fps": f"{self.fps:g}",
            "pictograms": f"{pictogram_set_name()}, emoji {version('emoji')}",
        }

    def loaded_state(self) -> dict[str, object]:
        return {}

    @property
    def chooser(self) -> PictogramChooser:
        """Created on first use; the catalog's embeddings load on the first match, not here."""
        with self._lock:
            if self._chooser is None:
                if self.cache_dir is None:
                    from videodrafter.config import Settings

                    self.cache_dir = Settings().cache_dir
                self._chooser = PictogramChooser(self.cache_dir)
            return self._chooser

    def depict(self, entity: EntityPicture) -> Depiction:
        if entity.kind is EntityKind.BACKGROUND:
            return self.chooser.depict_place(entity)
        return self.chooser.depict(entity)

    def reference_image(self, entity: EntityPicture, *, seed: int) -> Image.Image:
        del seed  # the art is a pure function of the entity, so every scene sees the same entity
        if entity.kind is EntityKind.BACKGROUND:
            decorations = [(d.pictogram, d.placement) for d in self.chooser.place_decorations(entity)]
            # pictogram trees and mountains replace the drawn ones; buildings, waves and stars stay under them
            skip = frozenset({"trees", "mountains"}) if any(p is Placement.HORIZON for _, p in decorations) else frozenset()
            place = draw_place(entity, self.width, self.height, skip_features=skip)
            rng = np.random.default_rng(stable_hash("decorations", entity.id, entity.name, entity.description))
            skyline = place_style(entity)["feature"] == "buildings"
            return decorate_place(place, decorations, rng, HORIZON, skyline_drawn=skyline)
        depiction = self.chooser.depict(entity)
        pictogram = self.chooser.pictogram(depiction)
        if pictogram is None:
            return draw_figure(entity)
        return pictogram_figure(
            pictogram,
            tint=COLOR_WORDS[depiction.tint] if depiction.tint else None,
            badge=badge_color(badge_index(entity))[1],
            flip=flips(entity),
        )

    def scene_image(
        self,
        event: str,
        foreground: list[ForegroundCutout],
        background: Image.Image,
        layout: SceneLayout,
        *,
        seed: int,
    ) -> Image.Image:
        del event, seed
        return compose_foreground(cover(background.convert("RGB"), self.width, self.height), foreground, layout)

    def scene_clip(
        self, image: Image.Image, action: str, camera: CameraMove, num_frames: int, *, seed: int, caption: str,
        references: list[Image.Image] | None = None,
    ) -> list[np.ndarray]:
        del action, seed, references  # the pictograms are the references: the start image already shows them
        base = np.asarray(cover(image.convert("RGB"), self.width, self.height), dtype=np.uint8)
        frames = [warp_image(base, camera_map(camera, index / max(num_frames - 1, 1), self.width, self.height)) for index in range(num_frames)]
        return self.caption_frames(frames, caption)

    def caption_frames(self, frames: list[np.ndarray], caption: str) -> list[np.ndarray]:
        overlay = self._caption_overlay(caption)
        return [self._apply_overlay(frame, overlay) for frame in frames]

    def _caption_overlay(self, caption: str) -> Image.Image | None:
        if not caption:
            return None
        overlay = Image.new("RGBA", (self.width, self.height), (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        size = max(12, self.height // 20)
        face = font(size)
        lines = wrap_text(draw, caption, face, self.width - 32, 2)
        bar_height = (size + 6) * len(lines) + 14
        draw.rectangle([0, self.height - bar_height, self.width, self.height], fill=(0, 0, 0, 150))
        for number, line in enumerate(lines):
            draw.text((16, self.height - bar_height + 7 + number * (size + 6)), line, fill=(255, 255, 255, 255), font=face)
        return overlay

    @staticmethod
    def _apply_overlay(frame: np.ndarray, overlay: Image.Image | None) -> np.ndarray:
        if overlay is None:
            return frame
        composed = Image.fromarray(frame, mode="RGB").convert("RGBA")
        composed.alpha_composite(overlay)
        return np.asarray(composed.convert("RGB"), dtype=np.uint8)
