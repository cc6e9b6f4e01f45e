"""Rate–distortion losses: lambda * 255^2 * MSE + bits per pixel, one lambda per rate point (as DCVC)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..models import FrameOutput
from ..models.video_codec import latent_bits
from ..precision import in_float32


@in_float32
def rd_loss(
    output: FrameOutput, target: torch.Tensor, lambdas: torch.Tensor, rate_weight: float = 1.0
) -> dict[str, torch.Tensor]:
    """Per-batch mean of lambda * 255^2 * MSE + rate_weight * bpp, with lambdas (N,) chosen by each element's rate
    point (rate_weight 0: distortion only, for warm-up stages); also, for the log, each latent's share of the bpp
    (`bpp_y`, `bpp_z`, `bpp_motion_y`, ...), which shows a latent that stops coding anything."""
    pixels = target.shape[-2] * target.shape[-1]
    mse = F.mse_loss(output.pixels.float(), target, reduction="none").flatten(1).mean(1)
    shares = {name: bits / pixels for name, bits in latent_bits(output.likelihoods).items()}
    bpp = sum(shares.values())
    loss = lambdas * 255**2 * mse + rate_weight * bpp
    return ({"loss": loss.mean(), "mse": mse.mean().detach(), "bpp": bpp.mean().detach()}
            | {f"bpp_{name}": share.mean().detach() for name, share in shares.items()})
