"""Rate–distortion losses: lambda * 255^2 * MSE + bits per pixel, one lambda per rate point (as DCVC)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..models import FrameOutput
from ..precision import in_float32


def bits_per_pixel(output: FrameOutput, num_pixels: int) -> torch.Tensor:
    """Estimated bpp of each batch element."""
    return output.bits() / num_pixels


@in_float32
def rd_loss(
    output: FrameOutput, target: torch.Tensor, lambdas: torch.Tensor, rate_weight: float = 1.0
) -> dict[str, torch.Tensor]:
    """Per-batch mean of lambda * 255^2 * MSE + rate_weight * bpp, with lambdas (N,) chosen by each element's rate
    point (rate_weight 0: distortion only, for warm-up stages); also, for the log, each latent's share of the bpp
    (`bpp_y`, `bpp_z`, `bpp_motion_y`, ...), which shows a latent that stops coding anything."""
    pixels = target.shape[-2] * target.shape[-1]
    mse = F.mse_loss(output.pixels.float(), target, reduction="none").flatten(1).mean(1)
    bpp = bits_per_pixel(output, pixels)
    loss = lambdas * 255**2 * mse + rate_weight * bpp
    shares = {f"bpp_{name}": (-torch.log2(lik.detach()).flatten(1).sum(1) / pixels).mean()
              for name, lik in output.likelihoods.items()}
    return {"loss": loss.mean(), "mse": mse.mean().detach(), "bpp": bpp.mean().detach()} | shares
