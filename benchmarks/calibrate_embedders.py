"""Calibrate the consistency embedders on photographs: ROC AUC and the equal-error threshold.

    .venv/bin/python -m benchmarks.calibrate_embedders                       # appearance, clip:tiny, dinov2:tiny
    .venv/bin/python -m benchmarks.calibrate_embedders --embedder dinov2     # real DINOv2 (downloads it once)
    .venv/bin/python -m benchmarks.calibrate_embedders --embedder clip --engine sdxl-cogvideox   # the IP-Adapter's CLIP

Writes benchmarks/results/calibration-<time>.json (every score) and prints a table. The random-weight
embedders (clip:tiny, dinov2:tiny) are there to exercise the wiring: their numbers say nothing about
real CLIP or DINOv2.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedder", action="append", help="Embedder spec (repeatable). Default: appearance, clip:tiny, dinov2:tiny.")
    parser.add_argument("--engine", default="animatic", help="Engine whose image encoder 'clip' reads (a diffusers preset).")
    parser.add_argument("--views", type=int, default=6, help="Scenes per subject (backgrounds, flips, scales, light).")
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write (default: benchmarks/results/calibration-<time>.json).")
    args = parser.parse_args()
    embedders = args.embedder or ["appearance", "clip:tiny", "dinov2:tiny"]
    settings = Settings(engine=args.engine)
    results = []
    for spec in embedders:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            calibration = calibrate(spec, Path(folder), views=args.views, settings=settings)
        results.append({**calibration.model_dump(), "spec": spec, "seconds": round(time.perf_counter() - started, 1)})
    out = args.out or RESULTS / f"calibration-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"subjects": SUBJECTS, "views": args.views, "results": results}, indent=1))
    print(f"{'embedder':<14} {'pairs same/diff':>15} {'AUC':>6} {'EER':>6} {'EER thr':>8} {'carried':>8} {'FA/FR at carried':>17}")
    for row in results:
        pairs = f"{len(row['same'])}/{len(row['different'])}"
        rates = f"{row['false_accepts_at_current']:.2f}/{row['false_rejects_at_current']:.2f}"
        print(f"{row['spec']:<14} {pairs:>15} {row['auc']:>6.3f} {row['eer']:>6.3f} {row['eer_threshold']:>8.3f} {row['current_threshold']:>8.3f} {rates:>17}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
