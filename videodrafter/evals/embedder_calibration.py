"""Calibrating a consistency embedder: same-subject vs different-subject scores on labelled photographs.

The labelled set is built offline from scikit-image's sample photographs: each subject is cut out with
the project's own U²-Net step (tools.segment_foreground), then pasted into scenes on other backgrounds
(textures, sky, a retina, flat colours) with a flip, a scale and a brightness change, the way scene
images place subjects (fitted to a box, standing on its bottom edge). A pair is the reference cutout of
subject A against the box of a scene that shows subject A (same) or subject B (different), scored
exactly as the graph's consistency check scores it (tools.measure_consistency).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps
from pydantic import BaseModel, Field

from videodrafter.config import Settings
from videodrafter.engines.base import Box
from videodrafter.script import EntityKind
from videodrafter.run_resources import RunResources
from videodrafter.tools import ConsistencyArgs, SegmentArgs, measure_consistency, segment_foreground

SUBJECTS = ["astronaut", "chelsea", "coffee", "rocket", "logo", "colorwheel"]
"""scikit-image photographs (and two graphics) with one clear subject each; all ship inside the package."""
SCENE_SIZE = (320, 240)


class Calibration(BaseModel):
    """One embedder's score distributions and where its threshold goes."""

    embedder: str
    subjects: list[str]
    same: list[float] = Field(description="Scores of reference vs a scene showing the same subject.")
    different: list[float] = Field(description="Scores of reference vs a scene showing another subject.")
    auc: float = Field(description="ROC AUC: the chance a same-subject pair outscores a different-subject pair.")
    eer: float = Field(description="Equal error rate: false accepts = false rejects at the threshold below.")
    eer_threshold: float
    current_threshold: float = Field(description="The threshold the embedder carries now.")
    false_accepts_at_current: float
    false_rejects_at_current: float


def _photo(name: str) -> Image.Image:
    from skimage import data

    array = getattr(data, name)()
    return Image.fromarray(array).convert("RGBA" if array.ndim == 3 and array.shape[2] == 4 else "RGB")


def _backgrounds() -> list[Image.Image]:
    from skimage import data

    tinted = [ImageOps.colorize(Image.fromarray(getattr(data, name)()), black, white) for name, black, white in (
        ("grass", (10, 40, 0), (160, 220, 90)), ("gravel", (40, 35, 30), (210, 200, 180)), ("brick", (60, 10, 0), (230, 140, 100)),
    )]
    photos = [Image.fromarray(data.hubble_deep_field()), Image.fromarray(data.retina()), Image.fromarray(data.immunohistochemistry())]
    flat = [Image.new("RGB", (64, 64), colour) for colour in ((236, 236, 236), (40, 90, 200), (250, 220, 60))]
    return [image.convert("RGB") for image in tinted + photos + flat]


def cut_out_subjects(folder: Path, context: RunResources, subjects: list[str] = SUBJECTS) -> dict[str, Path]:
    """Each photograph's subject as an RGBA cutout, made by the project's U²-Net step."""
    folder.mkdir(parents=True, exist_ok=True)
    cutouts = {}
    for name in subjects:
        source = folder / f"{name}.png"
        _photo(name).convert("RGB").save(source)
        cutout = folder / f"{name}.ref.png"
        segment_foreground(SegmentArgs(image=source, kind=EntityKind.FOREGROUND, output=cutout, mask_output=folder / f"{name}.mask.png"), context)
        cutouts[name] = cutout
    return cutouts


def _place(cutout: Image.Image, background: Image.Image, rng: random.Random) -> tuple[Image.Image, Box]:
    """A scene: the subject changed a little (flip, scale, light) and pasted into a box on the background."""
    width, height = SCENE_SIZE
    scene = ImageOps.fit(background, SCENE_SIZE, Image.LANCZOS)
    subject = cutout.crop(cutout.getchannel("A").point(lambda value: 255 if value > 40 else 0).getbbox())
    if rng.random() < 0.5:
        subject = ImageOps.mirror(subject)
    alpha = subject.getchannel("A")
    subject = ImageEnhance.Brightness(subject.convert("RGB")).enhance(rng.uniform(0.8, 1.2))
    subject.putalpha(alpha)
    box_w, box_h = rng.uniform(0.35, 0.5), rng.uniform(0.6, 0.8)
    x0, y0 = rng.uniform(0.02, 0.98 - box_w), 0.95 - box_h
    box = Box(x0=x0, y0=y0, x1=x0 + box_w, y1=0.95)
    left, top, right, bottom = box.pixels(width, height)
    scale = min((right - left) / subject.width, (bottom - top) / subject.height) * rng.uniform(0.9, 1.0)
    size = (max(1, round(subject.width * scale)), max(1, round(subject.height * scale)))
    subject = subject.resize(size, Image.LANCZOS)
    scene.paste(subject, (left + (right - left - size[0]) // 2, bottom - size[1]), subject)
    return scene, box


def make_scenes(cutouts: dict[str, Path], folder: Path, views: int, seed: int = 0) -> list[tuple[str, Path, Box]]:
    """``views`` scenes per subject, each on a background drawn in turn: (subject, scene file, its box)."""
    rng = random.Random(seed)
    backgrounds = _backgrounds()
    scenes = []
    for name, path in cutouts.items():
        with Image.open(path) as opened:
            cutout = opened.convert("RGBA")
        for view in range(views):
            scene, box = _place(cutout, backgrounds[(view + len(scenes)) % len(backgrounds)], rng)
            target = folder / f"scene-{name}-{view}.png"
            scene.save(target)
            scenes.append((name, target, box))
    return scenes


def roc_auc(same: list[float], different: list[float]) -> float:
    """Mann-Whitney: P(same > different) + ½ P(tie)."""
    a, b = np.asarray(same)[:, None], np.asarray(different)[None, :]
    return float((a > b).mean() + 0.5 * (a == b).mean())


def equal_error(same: list[float], different: list[float]) -> tuple[float, float]:
    """(threshold, rate) where false accepts (different ≥ t) and false rejects (same < t) meet."""
    same_a, different_a = np.asarray(same), np.asarray(different)
    best = (float("inf"), 0.0, 0.0)
    for threshold in np.unique(np.concatenate([same_a, different_a])):
        false_accepts = float((different_a >= threshold).mean())
        false_rejects = float((same_a < threshold).mean())
        gap = abs(false_accepts - false_rejects)
        if gap < best[0]:
            best = (gap, float(threshold), (false_accepts + false_rejects) / 2)
    return best[1], best[2]


def calibrate(
    embedder: str,
    folder: Path,
    *,
    views: int = 6,
    subjects: list[str] = SUBJECTS,
    settings: Settings | None = None,
    on_pair: Callable[[], None] = lambda: None,
) -> Calibration:
    """Score every (reference, scene) pair with ``embedder`` and summarise the two distributions."""
    settings = (settings or Settings()).model_copy(update={"image_embedder": embedder})
    context = RunResources(settings)
    cutouts = cut_out_subjects(folder / "cutouts", context, subjects)
    scenes = make_scenes(cutouts, folder, views)
    same, different = [], []
    for shown, scene, box in scenes:
        for name, reference in cutouts.items():
            score = measure_consistency(ConsistencyArgs(reference=reference, scene_image=scene, region=box), context).score
            (same if name == shown else different).append(round(score, 5))
            on_pair()
    threshold, rate = equal_error(same, different)
    current = context.embedder.threshold
    return Calibration(
        embedder=context.embedder.name, subjects=list(cutouts), same=same, different=different,
        auc=roc_auc(same, different), eer=rate, eer_threshold=threshold, current_threshold=current,
        false_accepts_at_current=float((np.asarray(different) >= current).mean()),
        false_rejects_at_current=float((np.asarray(same) < current).mean()),
    )
