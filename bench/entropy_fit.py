"""How well a checkpoint's entropy models fit their latents, per latent and frame size.

For each Gaussian-coded latent (the I-frame's, the P-frame motion latent, the P-frame contextual latent), on
held-out natural clips (an I-frame and one P-frame each) of several sizes: the model's code length (the exact
discrete likelihood of the symbols it codes, bits per pixel), the symbols' empirical entropy per channel (what a
per-channel static code would need: a well-fitted hyperprior should need less), their ratio, and the channels
that cost most (bits a symbol, against their empirical entropy, mean predicted scale, share of non-zero symbols).
The ratio is null for a latent whose symbols all take one value. This is the measurement that showed round 4's
motion latent costing 2-4x its symbols' entropy on frames larger than its 128x128 training clips
(docs/ARCHITECTURE.md).

    python bench/entropy_fit.py --checkpoint small --sizes 128x128 256x256 192x320 \\
        [--clips 8] [--seed 777] [--out bench/results/entropy_fit.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vnvc.data.natural import NaturalClipDataset  # noqa: E402
from vnvc.zoo import load_model  # noqa: E402

LATENTS = {"intra": "intra.latent.conditional", "motion": "inter.motion.latent.conditional",
           "contextual": "inter.latent.conditional"}


def _entropy_bits(symbols: torch.Tensor) -> float:
    """Total bits of a static code fitted to these symbols (count x empirical entropy)."""
    _, counts = np.unique(symbols.long().flatten().numpy(), return_counts=True)
    p = counts / counts.sum()
    return float(-(counts * np.log2(p)).sum())


def _latent_report(y: torch.Tensor, scales: torch.Tensor, means: torch.Tensor, likelihoods: torch.Tensor,
                   pixels: int, worst: int) -> dict:
    symbols = torch.round(y - means)
    model_bits = -torch.log2(likelihoods)
    empirical = [_entropy_bits(symbols[:, c]) for c in range(y.shape[1])]
    per_symbol = symbols[:, 0].numel()
    channels = [dict(channel=c, bits_per_symbol=round(float(model_bits[:, c].sum()) / per_symbol, 3),
                     empirical_bits_per_symbol=round(empirical[c] / per_symbol, 3),
                     mean_scale=round(float(scales[:, c].mean()), 3),
                     nonzero_share=round(float((symbols[:, c] != 0).float().mean()), 3))
                for c in range(y.shape[1])]
    channels.sort(key=lambda row: -row["bits_per_symbol"])
    total, static = float(model_bits.sum()), sum(empirical)
    return dict(model_bpp=round(total / pixels, 5), empirical_bpp=round(static / pixels, 5),
                model_over_empirical=round(total / static, 3) if static > 0 else None,
                worst_channels=channels[:worst])


@torch.no_grad()
def measure(model: torch.nn.Module, height: int, width: int, clips: int, seed: int, rate: int, worst: int) -> dict:
    captured: dict[str, tuple] = {}
    hooks = []
    for name, path in LATENTS.items():
        def keep(module, inputs, output, name=name):
            y, scales, means = inputs
            captured[name] = (y, output[1], scales, means)
        hooks.append(model.get_submodule(path).register_forward_hook(keep))
    dataset = NaturalClipDataset(clips, 2, height, width, seed)
    batch = torch.stack([dataset[i] for i in range(clips)])
    try:
        intra = model.forward_intra(batch[:, 0], rate)
        reports = {"intra": captured.pop("intra")}
        model.forward_inter(batch[:, 1], intra.feature, rate)
        reports |= captured
    finally:
        for hook in hooks:
            hook.remove()
    pixels = clips * height * width
    return {name: _latent_report(y, scales, means, likelihoods, pixels, worst)
            for name, (y, likelihoods, scales, means) in reports.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default="small")
    parser.add_argument("--sizes", nargs="+", default=["128x128", "256x256", "192x320"], help="HxW, multiples of 64")
    parser.add_argument("--rates", type=int, nargs="+", default=[0, 3])
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--seed", type=int, default=777)
    parser.add_argument("--worst", type=int, default=4, help="channels listed per latent")
    parser.add_argument("--out", type=Path, default=Path("bench/results/entropy_fit.json"))
    args = parser.parse_args()
    model = load_model(args.checkpoint).eval()
    results = dict(checkpoint=args.checkpoint, clips=args.clips, seed=args.seed,
                   checkpoint_id=model.checkpoint_id().hex(), sizes={})
    for size in args.sizes:
        height, width = (int(v) for v in size.split("x"))
        results["sizes"][size] = {f"rate{r}": measure(model, height, width, args.clips, args.seed, r, args.worst)
                                  for r in args.rates}
        for rate, latents in results["sizes"][size].items():
            print(size, rate, {name: (v["model_bpp"], v["model_over_empirical"]) for name, v in latents.items()})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(args.out)


if __name__ == "__main__":
    main()
