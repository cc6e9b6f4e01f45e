"""Where a P-frame's motion bits go: the entropy model's estimate of the motion latent's bits, split by coding pass
(hyper-latent z; checkerboard anchors, even and odd row/column; the second half), averaged over the P-frames of
every sequence in a dataset config, for one or more checkpoints.

    python bench/motion_bits.py --test-config out/natural_eval/dataset_config.json --checkpoints small runs/r/last.pth
        [--rates 0 1 2 3] [--out bench/results/motion_bits.json]

The frames are coded as `eval/human_vision.py` codes them (`Encoder.iter_encode`, the sequence's intra period);
the split reads the likelihoods the motion coder estimates its bits from. Not a test: a measurement for choosing
between models (docs/ARCHITECTURE.md quotes it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vnvc.bitstream import FrameType  # noqa: E402
from vnvc.codec import Encoder  # noqa: E402
from vnvc.io.dataset_config import load_dataset_config  # noqa: E402
from vnvc.models import VideoCodec  # noqa: E402
from vnvc.models.latent_coding import anchor_mask, even_anchor_mask  # noqa: E402
from vnvc.zoo import load_model  # noqa: E402

PARTS = ("z", "even_anchors", "odd_anchors", "second_half")


def _split_bits(y_likelihoods: torch.Tensor, z_likelihoods: torch.Tensor) -> dict[str, float]:
    """Bits of z and of y at each checkerboard pass's positions (anchors split by row/column parity)."""
    bits = -torch.log2(y_likelihoods)
    anchors = anchor_mask(*bits.shape[-2:]).expand_as(bits)
    even = even_anchor_mask(*bits.shape[-2:]).expand_as(bits)
    return {"z": float(-torch.log2(z_likelihoods).sum()), "even_anchors": float(bits[even].sum()),
            "odd_anchors": float(bits[anchors & ~even].sum()), "second_half": float(bits[~anchors].sum())}


def motion_bits(model: VideoCodec, config: Path, rates: list[float]) -> dict[str, dict[str, float]]:
    """rate -> part -> mean bits a P-frame over every sequence's P-frames."""
    coder = model.inter.motion.latent
    captured: dict[str, torch.Tensor] = {}
    hooks = [coder.conditional.register_forward_hook(lambda m, i, out: captured.__setitem__("y", out[1])),
             coder.hyper_prior.register_forward_hook(lambda m, i, out: captured.__setitem__("z", out[1]))]
    result = {}
    try:
        for rate in rates:
            frames: list[dict[str, float]] = []
            for seq in load_dataset_config(config):
                encoder = Encoder(model, rate=rate, intra_period=seq.intra_period)
                for _, _, coded in encoder.iter_encode(seq.open()):
                    if coded.frame_type == FrameType.INTER:
                        frames.append(_split_bits(captured["y"], captured["z"]))
            result[f"rate{rate:g}"] = {part: sum(f[part] for f in frames) / len(frames) for part in PARTS}
    finally:
        for hook in hooks:
            hook.remove()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--test-config", type=Path, required=True, help="DCVC-style dataset config (JSON)")
    parser.add_argument("--checkpoints", nargs="+", default=["small"], help="shipped names or checkpoint paths")
    parser.add_argument("--rates", type=float, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "motion_bits.json")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"test_config": str(args.test_config), "unit": "bits a P-frame (model estimate)",
                              "checkpoints": {}}
    for checkpoint in args.checkpoints:
        model = load_model(checkpoint)
        report["checkpoints"][checkpoint] = {"checkpoint_id": model.checkpoint_id().hex(),
                                             **motion_bits(model, args.test_config, args.rates)}
        print(json.dumps({checkpoint: report["checkpoints"][checkpoint]}), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
