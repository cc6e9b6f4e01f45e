"""Variable rate: learned per-channel quantization steps, one set per rate point, interpolated in between."""

from __future__ import annotations

import math

import torch
from torch import nn


def rate_interval(rate: float, num_rates: int) -> tuple[int, float]:
    """The rate point at or below `rate` and how far `rate` lies towards the next one (0 at every rate point)."""
    low = min(int(math.floor(rate)), num_rates - 1)
    return low, rate - low


INITIAL_STEP = 1 / 16  # where every rate point's quantization steps start (see RateScales)


class RateScales(nn.Module):
    """Quantization steps q[r] (num_rates x channels); rate 0 is the lowest rate (largest step).

    A latent is divided by q before rounding and multiplied by q after, so one network serves every rate.
    A fractional rate r interpolates log q between the two neighbouring rate points.

    The steps start around `initial_step`, half an octave apart. Freshly initialized analysis transforms output
    latents with a standard deviation of about 0.05: with steps near 1 every symbol would round to zero, the
    synthesis would never see the latent and the codec could stay collapsed (what happened to the first inter
    codec of `small`); steps near 1/16 put such latents across several quantization bins from the first step.
    """

    def __init__(self, num_rates: int, channels: int, initial_step: float = INITIAL_STEP):
        super().__init__()
        centre = (num_rates - 1) / 2
        init = torch.tensor([math.log(initial_step) - (r - centre) * 0.5 * math.log(2.0) for r in range(num_rates)])
        self.log_q = nn.Parameter(init[:, None].repeat(1, channels))

    @property
    def num_rates(self) -> int:
        return self.log_q.shape[0]

    def forward(self, rate: float | torch.Tensor) -> torch.Tensor:
        """Steps for `rate`: a number (any value in [0, num_rates-1]) or a LongTensor of indices (N,)."""
        if isinstance(rate, torch.Tensor):
            return self.log_q[rate].exp()[:, :, None, None]
        if not 0 <= rate <= self.num_rates - 1:
            raise ValueError(f"rate {rate} is outside [0, {self.num_rates - 1}]")
        low, frac = rate_interval(rate, self.num_rates)
        log_q = self.log_q[low] if frac == 0 else torch.lerp(self.log_q[low], self.log_q[low + 1], frac)
        return log_q.exp()[None, :, None, None]
