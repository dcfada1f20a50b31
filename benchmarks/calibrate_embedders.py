"""Calibrate the consistency embedders on photographs: ROC AUC and the equal-error threshold.

    .venv/bin/python -m benchmarks.calibrate_embedders                       # appearance, clip:tiny, dinov2:tiny
    .venv/bin/python -m benchmarks.calibrate_embedders --embedder dinov2     # real DINOv2 (downloads it once)
    .venv/bin/python -m benchmarks.calibrate_embedders --embedder clip --engine sdxl-cogvideox   # the IP-Adapter's CLIP
    .venv/bin/python -m benchmarks.calibrate_embedders --quick               # 3 subjects, 2 views: does it still run?

Writes benchmarks/results/calibration-<time>.json (every score) and prints a table. The random-weight
embedders (clip:tiny, dinov2:tiny) are there to exercise the wiring: their numbers say nothing about
real CLIP or DINOv2. ``--quick`` numbers say nothing either (few pairs); the mode is for the test suite.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from videodrafter.config import Settings
from videodrafter.evals.embedder_calibration import SUBJECTS, calibrate

RESULTS = Path(__file__).parent / "results"
DEFAULT_EMBEDDERS = ["appearance", "clip:tiny", "dinov2:tiny"]
QUICK = {"subjects": SUBJECTS[:3], "views": 2}
"""The quick mode: three subjects (so there are different-subject pairs) in two scenes each."""


def run(embedders: list[str], *, views: int = 6, subjects: list[str] = SUBJECTS, engine: str = "animatic") -> dict:
    """Calibrate each embedder; the JSON document (one result per embedder, with its ``seconds``)."""
    settings = Settings(engine=engine)
    results = []
    for spec in embedders:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            calibration = calibrate(spec, Path(folder), views=views, subjects=subjects, settings=settings)
        results.append({**calibration.model_dump(), "spec": spec, "seconds": round(time.perf_counter() - started, 3)})
    return {"subjects": subjects, "views": views, "engine": engine, "results": results}


def table(document: dict) -> str:
    lines = [f"{'embedder':<14} {'pairs same/diff':>15} {'AUC':>6} {'EER':>6} {'EER thr':>8} {'carried':>8} {'FA/FR at carried':>17}"]
    for row in document["results"]:
        pairs = f"{len(row['same'])}/{len(row['different'])}"
        rates = f"{row['false_accepts_at_current']:.2f}/{row['false_rejects_at_current']:.2f}"
        lines.append(f"{row['spec']:<14} {pairs:>15} {row['auc']:>6.3f} {row['eer']:>6.3f} {row['eer_threshold']:>8.3f} {row['current_threshold']:>8.3f} {rates:>17}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedder", action="append", help=f"Embedder spec (repeatable). Default: {', '.join(DEFAULT_EMBEDDERS)}.")
    parser.add_argument("--engine", default="animatic", help="Engine whose image encoder 'clip' reads (a diffusers preset).")
    parser.add_argument("--views", type=int, default=None, help="Scenes per subject (backgrounds, flips, scales, light); default 6, quick 2.")
    parser.add_argument("--quick", action="store_true", help=f"{len(QUICK['subjects'])} subjects, {QUICK['views']} views: checks that the benchmark runs.")
    parser.add_argument("--out", "--output", dest="out", type=Path, default=None, help="JSON file to write (default: benchmarks/results/calibration-<time>.json).")
    args = parser.parse_args(argv)
    subjects = QUICK["subjects"] if args.quick else SUBJECTS
    views = args.views or (QUICK["views"] if args.quick else 6)
    started = time.perf_counter()
    document = run(args.embedder or DEFAULT_EMBEDDERS, views=views, subjects=subjects, engine=args.engine)
    document.update(mode="quick" if args.quick else "full", seconds=round(time.perf_counter() - started, 3))
    out = args.out or RESULTS / f"calibration-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=1))
    print(table(document))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
