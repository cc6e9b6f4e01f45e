"""Gaussian conditional: latents coded with per-element Gaussians N(means, scales) convolved with a unit box."""

from __future__ import annotations

import math

import torch

from ..precision import in_float32
from .base import EntropyModel, lower_bound, round_symbols
from .cdf import PRECISION, build_cdfs
from .stream import StreamReader, StreamWriter


def _normal_cdf(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * torch.erfc(-x / math.sqrt(2.0))


class GaussianConditional(EntropyModel):
    """Discretized Gaussian with scales lower-bounded at `scale_min`, coded with a table per scale level.

    The coder quantizes each scale to the nearest of `levels` log-spaced scales in [scale_min, scale_max]
    (a step of 3.1% for the defaults, which costs about 0.01% of the rate). A level's table covers the
    integers whose probability reaches 2**-(PRECISION + 2); everything else goes through the escape symbol.
    """

    def __init__(
        self,
        scale_min: float = 0.11,
        scale_max: float = 256.0,
        levels: int = 256,
        likelihood_bound: float = 1e-9,
    ):
        super().__init__()
        if not 0 < scale_min < scale_max or levels < 2:
            raise ValueError("need 0 < scale_min < scale_max and levels >= 2")
        self.scale_min = scale_min
        self.likelihood_bound = likelihood_bound
        self.noisy_values = False  # training: y_hat = y + noise instead of rounded (to revive a dead latent)
        table = torch.exp(torch.linspace(math.log(scale_min), math.log(scale_max), levels, dtype=torch.float64))
        self.register_buffer("scale_table", table.float())
        # A scale goes to the level whose log is nearest: boundaries at the geometric midpoints.
        self.register_buffer("scale_boundaries", torch.sqrt(table[:-1] * table[1:]).float())

    def likelihood(self, y_hat: torch.Tensor, scales: torch.Tensor, means: torch.Tensor | None = None) -> torch.Tensor:
        """Probability of the unit interval around y_hat under N(means, max(scales, scale_min))."""
        values = (y_hat - means if means is not None else y_hat).abs()
        scales = lower_bound(scales, self.scale_min)
        mass = _normal_cdf((0.5 - values) / scales) - _normal_cdf((-0.5 - values) / scales)
        return lower_bound(mass, self.likelihood_bound)

    @in_float32
    def forward(
        self, y: torch.Tensor, scales: torch.Tensor, means: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(y_hat, likelihoods): rounding around the means; in training, mixed quantization.

        In training the likelihoods are those of y plus uniform noise (a differentiable rate), while y_hat — what
        the synthesis sees — is rounded with a straight-through gradient, so the decoder trains on the values it
        will decode (with noise in y_hat too, it trains on values it never sees when decoding).

        With `noisy_values` set, y_hat is the noisy y too. That is for a latent that training left within half a
        step of its means: rounded, it reaches the synthesis as all zeros, so the synthesis gets no gradient to
        learn to read it and the latent stays dead; through the noise the synthesis sees y.
        """
        centre = means if means is not None else torch.zeros_like(y)
        rounded = torch.round(y - centre) + centre
        if not self.training:
            return rounded, self.likelihood(rounded, scales, means)
        noisy = y + torch.empty_like(y).uniform_(-0.5, 0.5)
        y_hat = noisy if self.noisy_values else rounded.detach() + (y - y.detach())
        return y_hat, self.likelihood(noisy, scales, means)

    @torch.no_grad()
    def update(self) -> None:
        """Build one integer CDF table per scale level."""
        sigma = self.scale_table.double()
        # Support: |v| <= K with K the largest v whose probability reaches 2**-(PRECISION + 2).
        threshold = 2.0 ** -(PRECISION + 2)
        extent = int(torch.ceil(sigma.max() * 8).item()) + 1
        v = torch.arange(extent + 1, dtype=torch.float64)
        z = 1 / (sigma[:, None] * math.sqrt(2.0))
        half = 0.5 * (torch.erfc((v - 0.5).clamp_min(0) * z) - torch.erfc((v + 0.5) * z))  # P(value = +v), v > 0
        half[:, 0] = 1 - torch.erfc(0.5 * z[:, 0])  # P(value = 0)
        reach = (half >= threshold) & (v[None, :] <= 0.5 * (2**PRECISION - 2))
        extents = reach.long().cumprod(dim=1).sum(dim=1) - 1  # K per level (P(0) always reaches)
        sizes = 2 * extents + 1
        width = int(sizes.max())
        index = (torch.arange(width)[None, :] - extents[:, None]).abs().clamp_max(extent)
        pmfs = torch.gather(half, 1, index)
        tails = torch.erfc((extents + 0.5) * z[:, 0])
        cdfs, lengths = build_cdfs(pmfs.numpy(), sizes.numpy(), tails.numpy())
        self._set_tables(cdfs, lengths, (-extents).to(torch.int32))

    def _indexes(self, scales: torch.Tensor) -> torch.Tensor:
        return torch.bucketize(scales.contiguous(), self.scale_boundaries).to(torch.int32)

    @staticmethod
    def _check(y: torch.Tensor, scales: torch.Tensor, means: torch.Tensor | None) -> None:
        if scales.shape != y.shape or (means is not None and means.shape != y.shape):
            raise ValueError(
                f"y, scales and means must have one shape, got {tuple(y.shape)}, {tuple(scales.shape)}"
                + ("" if means is None else f", {tuple(means.shape)}")
            )

    def compress(
        self, y: torch.Tensor, scales: torch.Tensor, means: torch.Tensor | None = None, *, stream: StreamWriter
    ) -> torch.Tensor:
        """Write round(y - means) into `stream`; returns those int32 symbols."""
        self._check(y, scales, means)
        symbols = round_symbols(y - means if means is not None else y)
        self._write(stream, symbols, self._indexes(scales))
        return symbols

    def decompress(
        self, stream: StreamReader, scales: torch.Tensor, means: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The next int32 symbols from `stream`, shaped like `scales` (`means` only has to match that shape)."""
        self._check(scales, scales, means)
        return self._read(stream, self._indexes(scales))

    def dequantize(self, symbols: torch.Tensor, means: torch.Tensor | None = None) -> torch.Tensor:
        values = symbols.to(torch.float32)
        return values + means if means is not None else values
