"""Calibration of quantization steps on really coded streams.

Rate scales (`vnvc.models.rate.RateScales`) are learned like every other parameter, but their logs move by about
the learning rate a step, so through the shipped model's few thousand inter steps the motion latent's flow steps
stayed within a few per cent of their initial values (0.11 … 0.04, i.e. 0.9 … 0.3 pixels of flow a quantization
step). This module measures instead of descending: for each rate point it multiplies a group of steps by each
factor of a grid, codes calibration clips for real (intra period = clip length, bits of the .vnvc records), and
keeps the factor whose (bpp, PSNR) point lies farthest above the curve of the unscaled rate points (PSNR
interpolated linearly in log bpp between them, extended along the end segments beyond them). That is the
operational criterion BD-rate applies, and it does not depend on the training λ, which values quality far above
where this small model operates (docs/ARCHITECTURE.md). Whole streams are scored, so an I-frame step is judged by
what it does to the P-frames that copy from it too.

    python -m vnvc.train.step_calibration --checkpoint runs/in.pth --out runs/out.pth --groups flow intra

Groups (`STEP_GROUPS`): `flow`, the motion latent's flow channels (`MotionCodec.FLOW_CHANNELS`, which carried every
bit a P-frame spent until round 12); `motion`, every channel of the motion latent (the flow channels and the
learned ones beside them); `intra`, every channel of the I-frame latent; `contextual`, every channel of the
contextual latent y (round 12's residual path codes the P-frame's residual there). Several groups are calibrated
one after another, each on the model the previous ones left.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ..codec import Encoder
from ..data.natural import NaturalClipDataset, clip_to_frames
from ..metrics import psnr
from ..models import VideoCodec
from ..models.inter import MotionCodec
from ..models.rate import RateScales
from ..zoo import CHECKPOINT_DIR, load_model, read_checkpoint, save_checkpoint, shipped_models

DEFAULT_FACTORS = (0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)


@dataclass(frozen=True)
class RDPoint:
    """Bits per pixel of the whole stream (records and header) and mean per-frame PSNR (dB)."""

    bpp: float
    psnr: float


def code_clips(model: VideoCodec, clips: Sequence[list[np.ndarray]], rate: float) -> RDPoint:
    """Code each clip as one stream (one I-frame, then P-frames) at `rate`; the clips' pooled RD point."""
    bits, pixels, qualities = 0, 0, []
    for frames in clips:
        encoder = Encoder(model, rate=rate, intra_period=len(frames))
        for (_, decoded, _), original in zip(encoder.iter_encode(frames, until="pixels"), frames):
            bits += 8 * decoded.num_bytes
            pixels += decoded.width * decoded.height
            qualities.append(psnr(decoded.pixels, original))
    return RDPoint(bits / pixels, float(np.mean(qualities)))


def gain_over_curve(point: RDPoint, curve: Sequence[RDPoint]) -> float:
    """dB by which `point` lies above the piecewise-linear PSNR(log bpp) through `curve` (sorted by bpp, at least
    two points); beyond the ends the end segments are extended."""
    logs = [math.log(p.bpp) for p in curve]
    x = math.log(point.bpp)
    k = min(max(np.searchsorted(logs, x) - 1, 0), len(curve) - 2)
    slope = (curve[k + 1].psnr - curve[k].psnr) / (logs[k + 1] - logs[k])
    return point.psnr - (curve[k].psnr + slope * (x - logs[k]))


STEP_GROUPS: dict[str, Callable[[VideoCodec], tuple[RateScales, slice]]] = {
    "flow": lambda model: (model.inter.motion.rate_scales, MotionCodec.FLOW_CHANNELS),
    "motion": lambda model: (model.inter.motion.rate_scales, slice(None)),
    "intra": lambda model: (model.intra.rate_scales, slice(None)),
    "contextual": lambda model: (model.inter.rate_scales, slice(None)),
}


def _set_steps(model: VideoCodec, group: str, original: torch.Tensor, rate: int, factor: float) -> None:
    """The group's log steps at `rate` := their `original` values + log(factor) (set, not added, so that trying
    factors one after another leaves no rounding drift)."""
    scales, channels = STEP_GROUPS[group](model)
    with torch.no_grad():
        scales.log_q[rate, channels] = original[rate, channels] + math.log(factor)


def calibrate_steps(
    model: VideoCodec, clips: Sequence[list[np.ndarray]], group: str = "flow",
    factors: Sequence[float] = DEFAULT_FACTORS,
) -> dict:
    """Scale each rate point's steps of `group` by the factor of `factors` that gains most over the unscaled
    curve; the model is changed in place. Returns every measured point, the gains and the chosen factors."""
    if group not in STEP_GROUPS:
        raise ValueError(f"unknown step group {group!r}; groups are {sorted(STEP_GROUPS)}")
    if 1.0 not in factors or min(factors) <= 0:
        raise ValueError(f"factors must be positive and include 1.0 (the unscaled steps), got {list(factors)}")
    if model.num_rates < 2:
        raise ValueError("calibration needs a model with at least two rate points (the curve it compares with)")
    original = STEP_GROUPS[group](model)[0].log_q.detach().clone()
    measured: dict[int, dict[float, RDPoint]] = {}
    for rate in range(model.num_rates):
        measured[rate] = {}
        for factor in factors:
            _set_steps(model, group, original, rate, factor)
            measured[rate][factor] = code_clips(model, clips, rate)
        _set_steps(model, group, original, rate, 1.0)
    curve = sorted((points[1.0] for points in measured.values()), key=lambda p: p.bpp)
    gains = {rate: {f: gain_over_curve(p, curve) for f, p in points.items()} for rate, points in measured.items()}
    chosen = {rate: max(g, key=g.get) for rate, g in gains.items()}
    for rate, factor in chosen.items():
        _set_steps(model, group, original, rate, factor)
    return {
        "group": group,
        "factors": list(factors),
        "chosen": {str(r): f for r, f in chosen.items()},
        "points": {str(r): [dict(factor=f, gain_db=gains[r][f], **asdict(p)) for f, p in pts.items()]
                   for r, pts in measured.items()},
    }


def calibration_clips(count: int, frames: int, height: int, width: int, seed: int) -> list[list[np.ndarray]]:
    """Natural-content clips (`vnvc.data.natural`) as uint8 frames; pick a seed no evaluation set uses."""
    dataset = NaturalClipDataset(count, frames, height, width, seed)
    return [clip_to_frames(dataset[i]) for i in range(count)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="codec checkpoint (or shipped name) to calibrate")
    parser.add_argument("--out", type=Path, required=True, help="calibrated checkpoint; the report goes to OUT.json")
    parser.add_argument("--clips", type=int, default=6)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--height", type=int, default=192)
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--seed", type=int, default=4040, help="clip seed (the held-out evaluation set uses 777)")
    parser.add_argument("--groups", nargs="+", choices=sorted(STEP_GROUPS), default=["flow"],
                        help="step groups to calibrate, in this order")
    parser.add_argument("--factors", type=float, nargs="+", default=list(DEFAULT_FACTORS))
    args = parser.parse_args(argv)
    if 1.0 not in args.factors or min(args.factors) <= 0:
        parser.error(f"--factors must be positive and include 1 (the unscaled steps), got {args.factors}")
    if min(args.clips, args.frames, args.height, args.width) < 1:
        parser.error("--clips, --frames, --height and --width must be positive")
    model = load_model(args.checkpoint)
    clips = calibration_clips(args.clips, args.frames, args.height, args.width, args.seed)
    report = {
        "clips": dict(count=args.clips, frames=args.frames, height=args.height, width=args.width, seed=args.seed),
        "groups": [calibrate_steps(model, clips, group, args.factors) for group in args.groups],
    }
    shipped = shipped_models().get(args.checkpoint)
    source = CHECKPOINT_DIR / shipped.file if shipped else Path(args.checkpoint)
    meta = dict(read_checkpoint(source)["meta"])
    meta["step_calibration"] = report
    save_checkpoint(model, args.out, meta)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({g["group"]: g["chosen"] for g in report["groups"]}))


if __name__ == "__main__":
    main()
