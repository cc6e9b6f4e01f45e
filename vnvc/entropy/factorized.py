"""Factorized prior: a learned non-parametric density per channel (Ballé et al. 2018, "variational image
compression with a scale hyperprior", appendix 6.1), for the hyper-latents z."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..precision import in_float32
from .base import EntropyModel, lower_bound, round_symbols
from .cdf import build_cdfs
from .stream import StreamReader, StreamWriter


class FactorizedPrior(EntropyModel):
    """Per-channel density whose cumulative is sigmoid(f(x)), f a small monotone network.

    Symbols are round(z - median) per channel; the medians and the tails come from learned quantiles that
    `aux_loss()` trains (tail mass `tail_mass` outside the outer quantiles). `update()` turns the density into
    integer CDF tables over the integers between the outer quantiles; other values go through the escape.
    """

    def __init__(
        self,
        channels: int,
        filters: tuple[int, ...] = (3, 3, 3, 3),
        init_scale: float = 10.0,
        tail_mass: float = 1e-9,
        likelihood_bound: float = 1e-9,
        max_symbols: int = 4095,
    ):
        super().__init__()
        self.channels = channels
        self.likelihood_bound = likelihood_bound
        self.max_symbols = max_symbols
        dims = (1, *filters, 1)
        scale = init_scale ** (1 / (len(filters) + 1))
        self.matrices = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.factors = nn.ParameterList()
        for k in range(len(filters) + 1):
            init = math.log(math.expm1(1 / scale / dims[k + 1]))
            self.matrices.append(nn.Parameter(torch.full((channels, dims[k + 1], dims[k]), init)))
            self.biases.append(nn.Parameter(torch.empty(channels, dims[k + 1], 1).uniform_(-0.5, 0.5)))
            if k < len(filters):
                self.factors.append(nn.Parameter(torch.zeros(channels, dims[k + 1], 1)))
        self.quantiles = nn.Parameter(torch.tensor([-init_scale, 0.0, init_scale]).repeat(channels, 1, 1))
        target = math.log(2 / tail_mass - 1)
        self.register_buffer("target", torch.tensor([-target, 0.0, target]))

    @property
    def medians(self) -> torch.Tensor:
        """Per-channel medians, shaped (1, C, 1, 1)."""
        return self.quantiles[:, 0, 1].detach().view(1, -1, 1, 1)

    def _logits_cumulative(self, x: torch.Tensor, detach: bool = False) -> torch.Tensor:
        """f(x) for x shaped (C, 1, N); sigmoid(f) is the cumulative distribution."""
        for k, (matrix, bias) in enumerate(zip(self.matrices, self.biases)):
            matrix, bias = matrix.to(x.dtype), bias.to(x.dtype)
            if detach:
                matrix, bias = matrix.detach(), bias.detach()
            x = torch.matmul(F.softplus(matrix), x) + bias
            if k < len(self.factors):
                factor = self.factors[k].to(x.dtype)
                x = x + torch.tanh(factor.detach() if detach else factor) * torch.tanh(x)
        return x

    def aux_loss(self) -> torch.Tensor:
        """Fits the quantiles to the density (trains only `quantiles`)."""
        logits = self._logits_cumulative(self.quantiles, detach=True)
        return (logits - self.target).abs().sum()

    def _interval_mass(self, lower: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
        """P(lower < x <= upper), accurate in both tails; inputs (C, 1, N)."""
        lo, up = self._logits_cumulative(lower), self._logits_cumulative(upper)
        sign = torch.where(lo + up > 0, -1.0, 1.0).to(lo.dtype).detach()  # never 0, even at the median
        return (torch.sigmoid(sign * up) - torch.sigmoid(sign * lo)).abs()

    def likelihood(self, z_hat: torch.Tensor) -> torch.Tensor:
        """Probability of the unit interval around each element of z_hat (1, C, H, W)."""
        x = z_hat.transpose(0, 1).reshape(self.channels, 1, -1)
        mass = self._interval_mass(x - 0.5, x + 0.5)
        mass = lower_bound(mass, self.likelihood_bound)
        return mass.reshape(self.channels, z_hat.shape[0], *z_hat.shape[2:]).transpose(0, 1)

    @in_float32
    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(z_hat, likelihoods): uniform noise in training, rounding around the medians in eval mode."""
        if self.training:
            z_hat = z + torch.empty_like(z).uniform_(-0.5, 0.5)
        else:
            z_hat = torch.round(z - self.medians) + self.medians
        return z_hat, self.likelihood(z_hat)

    @torch.no_grad()
    def fit_quantiles(self, iterations: int = 64) -> None:
        """Set the quantiles to the exact solutions of f(q) = target by bisection (f is increasing in x).

        The aux loss moves them by gradient steps only, which takes thousands of steps from the initial guess;
        `update()` calls this first so the tables always span the density's real extent."""
        target = self.target.double().view(1, 1, 3).expand(self.channels, 1, 3)
        lower = torch.full_like(target, -1.0)
        upper = torch.full_like(target, 1.0)
        for _ in range(64):  # widen the bracket until it holds every root
            low_logits = self._logits_cumulative(lower)
            high_logits = self._logits_cumulative(upper)
            if bool((low_logits <= target).all() and (high_logits >= target).all()):
                break
            lower = torch.where(low_logits > target, lower * 2, lower)
            upper = torch.where(high_logits < target, upper * 2, upper)
        else:
            raise RuntimeError("factorized prior: the density's quantiles are not finite")
        for _ in range(iterations):
            middle = (lower + upper) / 2
            above = self._logits_cumulative(middle) > target
            upper = torch.where(above, middle, upper)
            lower = torch.where(above, lower, middle)
        self.quantiles.copy_(((lower + upper) / 2).to(self.quantiles.dtype))

    @torch.no_grad()
    def update(self) -> None:
        """Fit the quantiles, then build the integer CDF tables (one per channel) from the current density."""
        self.fit_quantiles()
        q = self.quantiles.detach().double()[:, 0, :]
        medians = q[:, 1]
        half = (self.max_symbols - 1) // 2
        below = torch.ceil(medians - q[:, 0]).clamp(0, half).long()
        above = torch.ceil(q[:, 2] - medians).clamp(0, half).long()
        sizes = below + above + 1
        width = int(sizes.max())
        values = torch.arange(width, dtype=torch.float64)[None, :] - below[:, None] + medians[:, None]
        pmfs = self._interval_mass((values - 0.5)[:, None, :], (values + 0.5)[:, None, :])[:, 0, :]
        first = (medians - below - 0.5)[:, None, None]
        last = (medians + above + 0.5)[:, None, None]
        lower_tail = torch.sigmoid(self._logits_cumulative(first))
        upper_tail = torch.sigmoid(-self._logits_cumulative(last))
        tails = (lower_tail + upper_tail).reshape(-1)
        cdfs, lengths = build_cdfs(pmfs.cpu().numpy(), sizes.cpu().numpy(), tails.cpu().numpy())
        self._set_tables(cdfs, lengths, (-below).to(torch.int32))

    def _check_shape(self, shape: torch.Size) -> None:
        if len(shape) != 4 or shape[1] != self.channels:
            raise ValueError(f"expected a (N, {self.channels}, H, W) latent, got {tuple(shape)}")

    def _indexes(self, shape: torch.Size, device: torch.device) -> torch.Tensor:
        self._check_shape(shape)
        channel = torch.arange(self.channels, dtype=torch.int32, device=device).view(1, -1, 1, 1)
        return channel.expand(shape).contiguous()

    def quantize(self, z: torch.Tensor) -> torch.Tensor:
        """The int32 symbols round(z - medians)."""
        self._check_shape(z.shape)
        return round_symbols(z - self.medians)

    def write(self, symbols: torch.Tensor, stream: StreamWriter) -> None:
        """Write int32 symbols (1, C, H, W) into `stream`."""
        self._write(stream, symbols, self._indexes(symbols.shape, symbols.device))

    def compress(self, z: torch.Tensor, stream: StreamWriter) -> torch.Tensor:
        """Write round(z - medians) into `stream`; returns those int32 symbols."""
        symbols = self.quantize(z)
        self.write(symbols, stream)
        return symbols

    def decompress(self, stream: StreamReader, shape: tuple[int, int]) -> torch.Tensor:
        """The next int32 symbols (1, C, *shape) from `stream`."""
        return self._read(stream, self._indexes(torch.Size((1, self.channels, *shape)), self.quantiles.device))

    def dequantize(self, symbols: torch.Tensor) -> torch.Tensor:
        return symbols.to(self.medians.dtype) + self.medians
