"""Choose ByteTrack's score thresholds for a shipped detection head, on a split other than the evaluated one.

ByteTrack starts a track from a detection that scores above ``init_track_thr`` and associates detections above
``obj_score_thrs.high`` first (mmdet's defaults: 0.7 and 0.6, made for detectors trained to convergence on MOT17).
A head's scores depend on the data it sees, so thresholds are a property of the head *and* the data. This script
runs the head's tracker on one split (by default ``train``) for every pair of a small grid, averages HOTA over the
rate points (the pixel head: over the original frames), and reports the best pair; put it into the head's tracking
config (``configs/tasks/small/tracking_{feature,pixel}.py``) or pass it as ``--cfg-options`` to
``eval/machine_vision.py``. The evaluated split is never looked at.

    python eval/calibrate_tracker.py --data out/synth --domain feature --intra-period 8 \\
        --out eval/results/tracker_calibration_synth_feature.json
    python eval/calibrate_tracker.py --data samples/synthetic --intra-period 32 \\
        --out eval/results/tracker_calibration_sample_feature.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eval import machine_vision as mv  # noqa: E402
from eval.bdrate import to_markdown  # noqa: E402
from vnvc.errors import CheckpointError, VnvcError  # noqa: E402

METRICS = ("HOTA", "MOTA", "IDF1")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="dataset root with annotations/<split>.json")
    parser.add_argument("--split", default="train", help="split the thresholds are chosen on (not the evaluated one)")
    parser.add_argument("--domain", choices=("feature", "pixel"), default="feature",
                        help="the head on F̂t of the shipped codec, or the pixel head on the original frames")
    parser.add_argument("--rates", type=float, nargs="+", default=[0, 1, 2, 3], help="rate points (feature head)")
    parser.add_argument("--intra-period", type=int, default=8)
    parser.add_argument("--init", type=float, nargs="+", default=[0.3, 0.4, 0.5, 0.6, 0.7],
                        help="init_track_thr values to try")
    parser.add_argument("--high", type=float, nargs="+", default=[0.3, 0.5, 0.6],
                        help="obj_score_thrs.high values to try (pairs with high > init are skipped)")
    parser.add_argument("--low", type=float, default=0.1, help="obj_score_thrs.low, kept fixed")
    parser.add_argument("--cache-root", type=Path, default=Path("work_dirs") / "feature_cache")
    parser.add_argument("--out", type=Path, default=None, help="write the grid and the choice here (JSON)")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args(argv)


def calibrate(args: argparse.Namespace) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every (init, high) pair on every rate point; returns the per-point table and the run's description."""
    mv_args = mv.parse_args([
        "--task", "tracking", "--data", str(args.data), "--split", args.split,
        "--intra-period", str(args.intra_period), "--rates", *map(str, args.rates),
        "--cache-root", str(args.cache_root),
        "--baseline", "vnvc-pixels" if args.domain == "pixel" else "none",
    ])
    setup = mv.prepare(mv_args)
    if mv_args.head is None:
        raise CheckpointError("no shipped detection head fits the shipped codec: ship heads first "
                              "(scripts/ship_heads.py)")
    if args.domain == "feature":
        caches = mv.build_caches(setup, mv_args, train=False)
        cfgs = {f"rate{r:g}": mv.task_config(setup.feature_config, args.data, args.split, setup.options, 0, caches[r])
                for r in mv_args.rates}
        weights = mv.checked_head(mv_args.head, next(iter(cfgs.values())), setup.feature_config)
        head = mv_args.head
    else:
        cfgs = {"original": mv.task_config(setup.pixel_config, args.data, args.split, setup.options, 0)}
        weights, head = setup.pixel_weights, mv_args.pixel_head
    grid = [(init, high) for init in args.init for high in args.high if high <= init]
    rows = []
    with tempfile.TemporaryDirectory(prefix="vnvc-calibrate-") as tmp:
        runner = mv.head_runner(list(cfgs.values()), weights, args.domain, Path(tmp), mv_args)
        tracker = runner.model.tracker
        for init, high in mv.tqdm(grid, desc="thresholds", unit="pair"):
            tracker.init_track_thr = init
            tracker.obj_score_thrs = dict(high=high, low=args.low)
            for point, cfg in cfgs.items():
                metrics = mv.evaluate(runner, cfg)
                rows.append({"init_track_thr": init, "high": high, "point": point,
                             **{m: metrics.get(m) for m in METRICS}})
    if Path(head).resolve().is_relative_to(ROOT):
        head = Path(head).resolve().relative_to(ROOT)
    meta = {"data": str(args.data), "split": args.split, "domain": args.domain, "head": str(head),
            "checkpoint_id": setup.model.checkpoint_id().hex(), "intra_period": args.intra_period,
            "low": args.low, "points": list(cfgs)}
    return pd.DataFrame(rows), meta


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with mv.quiet(args.verbose):
            table, meta = calibrate(args)
    except VnvcError as exc:
        print(f"calibrate_tracker: {exc}", file=sys.stderr)
        return 2
    mean = table.groupby(["init_track_thr", "high"], as_index=False)[list(METRICS)].mean()
    best = mean.loc[mean["HOTA"].idxmax()].to_dict()
    print(to_markdown(mean, digits=4))
    print(f"\nbest on {args.split}: model.tracker.init_track_thr={best['init_track_thr']} "
          f"model.tracker.obj_score_thrs.high={best['high']} (HOTA {best['HOTA']:.4f})")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        payload = {**meta, "best": best, "mean": mean.to_dict("records"), "results": table.to_dict("records")}
        args.out.write_text(json.dumps(payload, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
