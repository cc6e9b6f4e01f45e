"""Rate–distortion losses: lambda * 255^2 * MSE + bits per pixel, one lambda per rate point (as DCVC)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..models import FrameOutput


def bits_per_pixel(output: FrameOutput, num_pixels: int) -> torch.Tensor:
    """Estimated bpp of each batch element."""
    return output.bits() / num_pixels


def rd_loss(
    output: FrameOutput, target: torch.Tensor, lambdas: torch.Tensor, with_rate: bool = True
) -> dict[str, torch.Tensor]:
    """Per-batch mean of lambda * 255^2 * MSE + bpp, with lambdas (N,) chosen by each element's rate point."""
    mse = F.mse_loss(output.pixels, target, reduction="none").flatten(1).mean(1)
    bpp = bits_per_pixel(output, target.shape[-2] * target.shape[-1])
    loss = lambdas * 255**2 * mse + (bpp if with_rate else 0)
    return {"loss": loss.mean(), "mse": mse.mean().detach(), "bpp": bpp.mean().detach()}
