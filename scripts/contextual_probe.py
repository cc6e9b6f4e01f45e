"""How much the contextual decoder depends on its latent y, on the first P-frame of each clip: PSNR decoded with y
and with y zeroed, the bits per pixel of y and of its hyper-latent z, and y's spread in quantization steps.

A dead contextual latent (rounds 4-11 of `small`, docs/ARCHITECTURE.md) shows the same PSNR both ways; round 12 loses
0.1-1.0 dB at rate 0 and 0.7-1.5 dB at rate 3 on the held-out clips without y.

    python scripts/contextual_probe.py --checkpoint small --clips out/natural_eval/clip0*
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from vnvc.io import crop, frames_to_tensor, open_video, pad_to_multiple
from vnvc.metrics import psnr
from vnvc.models import VideoCodec
from vnvc.models.video_codec import latent_bits
from vnvc.zoo import load_model


@torch.no_grad()
def probe(model: VideoCodec, clip: Path, rate: float) -> dict[str, float]:
    """The measures of the module docstring for the clip's first two frames (the first coded as an I-frame)."""
    frames = frames_to_tensor(np.stack(list(open_video(clip, max_frames=2))))
    target = frames[1:2]
    x0, _ = pad_to_multiple(frames[0:1])
    x1, pad = pad_to_multiple(target)
    inter = model.inter
    reference = model.forward_intra(x0, rate).feature
    motion_latent, y = model.inter_latents(x1, reference, rate)
    feature, likelihoods = inter(x1, reference, None, rate, latents=(motion_latent, y))
    flow = inter.motion(rate=rate, latent=motion_latent)[0]
    y_zeroed = inter.decoded_feature(torch.zeros_like(y), inter.context_mining(reference, flow), reference, flow)
    pixels = target.shape[-2] * target.shape[-1]  # the frame's own size, as every bpp of the project
    bits = latent_bits(likelihoods)

    def decoded_psnr(f: torch.Tensor) -> float:
        return psnr(crop(model.reconstruction(f).clamp(0, 1), pad), target)

    return {"psnr": decoded_psnr(feature), "psnr_y_zeroed": decoded_psnr(y_zeroed),
            "bpp_y": float(bits["y"]) / pixels, "bpp_z": float(bits["z"]) / pixels, "y_std_steps": float(y.std())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default="small", help="zoo name or checkpoint file")
    parser.add_argument("--clips", type=Path, nargs="+", required=True, help="PNG folders (im00001.png, ...)")
    parser.add_argument("--rates", type=float, nargs="+", default=[0, 3])
    args = parser.parse_args()
    model = load_model(args.checkpoint).eval()
    for clip in args.clips:
        for rate in args.rates:
            measures = {k: round(v, 4) for k, v in probe(model, clip, rate).items()}
            print(json.dumps({"clip": clip.name, "rate": rate} | measures), flush=True)


if __name__ == "__main__":
    main()
