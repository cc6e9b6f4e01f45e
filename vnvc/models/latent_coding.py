"""Coding of one latent with a hyperprior (and optionally an extra prior such as the temporal prior).

y is coded with a Gaussian conditional whose means and scales come from the decoded hyper-latent z (coded with a
factorized prior) fused with `prior` features at y's resolution. Encoder and decoder share `_params`, so both sides
compute bit-identical means and scales from the same decoded symbols.

Scales are softplus(raw) floored at the Gaussian conditional's `scale_min`. The floor is applied to `raw`, with the
gradient rule of `lower_bound`, not after the softplus: a raw value that has drifted far below the floor would
otherwise sit where the softplus has no gradient, and the scale could never grow again. Round 4 of the shipped
model ended that way: motion-latent channels whose symbols were non-zero 40 % of the time had raw scales near
-75, and every non-zero symbol cost about 18 bits (docs/ARCHITECTURE.md). The floored and the plain form give the
same scales, so streams do not change.

With `mean_channels` = k > 0 the hyper-latent also carries a linear path for the means: k more channels of z are a
1x1 projection of y's 4x4 block averages (z's resolution), and the means get a 1x1 projection of them back,
upsampled bilinearly. A fresh path carries the block averages of y's first k channels and adds them back to those
channels' means. It exists because the learned hyper transforms never learned to predict means: round 5's motion
latent, a nearly constant field of camera motion (about 8 quantization steps at the lowest rate), was coded around
means of about 0.2 with scales of about 9, 4.9 bits a symbol, and refitting the hyperprior alone on its latents
left the means there (the hyper-latent stays in the collapsed state where it carries nothing). Started with the
path, the same refit cut the motion rate by a third (docs/ARCHITECTURE.md). With `mean_prediction` those k channels
of z are coded as differences from their left neighbour (`left_prediction`): block averages of a smooth field such as
camera motion change little from block to block, but the factorized prior codes each on its own.

With a `context`, y is coded in two passes (He et al., "Checkerboard Context Model", CVPR 2021): the anchors
(positions with an even row + column) with the parameters above, then the other half with means and scales
corrected from the decoded anchors around them. Two contexts exist: `CheckerboardContext`, linear and started as a
neighbour-average predictor of the means (the motion latent; optionally with a learned part on top), and
`LearnedCheckerboardContext`, a small nonlinear net that also sees the anchors' magnitudes and the hyperprior's
scales and starts as no correction at all (the I-frame latent and the contextual latent). With an
`anchor_context` (`DiagonalAnchorContext`) the anchors themselves take two passes: those with an even row and
column first, from the hyperprior alone, then the odd ones corrected from their four diagonal neighbours (a
quincunx within the checkerboard), so a quarter of the positions is coded without a spatial context, not half.

With a `channel_context` (`ChannelContext`), y's channels are also split into groups coded one after the other in
each pass, a group's means and scales corrected from the earlier groups at the same positions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from ..entropy import FactorizedPrior, GaussianConditional, StreamReader, StreamWriter
from ..entropy.base import lower_bound
from ..layers import conv1x1, conv3x3, subpel_conv, zero_

if TYPE_CHECKING:
    from .rate import RateScales


@dataclass
class CodedLatent:
    """What coding one latent produced: its dequantized value, its symbols (z then y) and, on the encoder side, the
    entropy model's estimate of its size in bits."""

    value: torch.Tensor
    symbols: list[torch.Tensor]
    estimated_bits: float = 0.0


@dataclass
class Pass:
    """One coding pass of y: the positions it codes (bool, shaped like y) and the means and raw (pre-softplus)
    scales they are coded with (valid at those positions)."""

    selected: torch.Tensor
    means: torch.Tensor
    raw_scales: torch.Tensor


# A pass's context: the residuals decoded so far (zero elsewhere) -> (mean shifts, raw-scale shifts).
PassContext = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def _bits(likelihoods: torch.Tensor) -> float:
    return float(-torch.log2(likelihoods.detach()).sum())


def left_prediction(symbols: torch.Tensor) -> torch.Tensor:
    """Each integer symbol's prediction in raster order: its left neighbour; in the first column, the symbol above;
    at the top-left corner, 0. `symbols - left_prediction(symbols)` is what gets coded."""
    prediction = torch.zeros_like(symbols)
    prediction[..., :, 1:] = symbols[..., :, :-1]
    prediction[..., 1:, 0] = symbols[..., :-1, 0]
    return prediction


def undo_left_prediction(differences: torch.Tensor) -> torch.Tensor:
    """The symbols whose differences from their `left_prediction` are `differences` (integers, exact)."""
    first_column = differences[..., :, :1].cumsum(dim=-2, dtype=differences.dtype)
    return torch.cat([first_column, differences[..., :, 1:]], dim=-1).cumsum(dim=-1, dtype=differences.dtype)


def _row_and_column_parity(
    height: int, width: int, device: torch.device | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(H, 1) and (1, W) int tensors: each position's row and column modulo 2."""
    return torch.arange(height, device=device)[:, None] % 2, torch.arange(width, device=device)[None, :] % 2


def anchor_mask(height: int, width: int, device: torch.device | None = None) -> torch.Tensor:
    """(1, 1, H, W) bool: the checkerboard's first pass, positions whose row + column is even."""
    rows, columns = _row_and_column_parity(height, width, device)
    return (rows == columns)[None, None]


def even_anchor_mask(height: int, width: int, device: torch.device | None = None) -> torch.Tensor:
    """(1, 1, H, W) bool: the anchors whose row and column are both even (the first pass of split anchors)."""
    rows, columns = _row_and_column_parity(height, width, device)
    return ((rows == 0) & (columns == 0))[None, None]


class DiagonalAnchorContext(nn.Module):
    """Corrections (means, raw scales) for the odd anchors (odd row and column) from the even anchors decoded
    before them, their four diagonal neighbours: with it the checkerboard's anchors are coded in two passes, and a
    quarter of the positions, not half, is coded from the hyperprior alone.

    Per channel (depthwise 3x3 convolutions, reflection padding, which keeps the parity at the edges): the means
    from the neighbours' residuals, starting as their average (a smooth field's prediction, as `CheckerboardContext`
    starts), the raw scales from the neighbours' magnitudes, starting at no correction. Depthwise, because the
    motion latent it was made for carries its motion in two of its channels, and it costs 2 * 10 weights a channel.
    With `learned`, a `LearnedCheckerboardContext` adds its corrections, as in `CheckerboardContext`.
    """

    def __init__(self, channels: int, learned: bool = False):
        super().__init__()
        self.means = nn.Conv2d(channels, channels, 3, groups=channels)
        self.scales = nn.Conv2d(channels, channels, 3, groups=channels)
        zero_(self.means, self.scales)
        with torch.no_grad():
            for dy, dx in ((0, 0), (0, 2), (2, 0), (2, 2)):
                self.means.weight[:, 0, dy, dx] = 0.25
        self.learned = LearnedCheckerboardContext(channels) if learned else None

    def forward(self, even_residuals: torch.Tensor, raw_scales: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean shifts, raw-scale shifts) from the even anchors' residuals (zero elsewhere); `raw_scales` only
        reach the learned part."""
        padded = _reflect_pad(even_residuals)
        return _plus_learned(self.learned, self.means(padded), self.scales(padded.abs()), even_residuals, raw_scales)


class LearnedCheckerboardContext(nn.Module):
    """Corrections (means, raw scales) for a checkerboard pass (the second half, or the odd anchors when the anchors
    are split) from a small nonlinear net.

    Its inputs: the residuals decoded before the pass and their magnitudes through a 3x3 convolution (reflection
    padding, as in `CheckerboardContext`), and the hyperprior's raw scales at the position through a 1x1 one. A
    scale follows how large the neighbours' residuals came out against what the hyperprior expected, which a map
    linear in the signed residuals cannot express. The last layer starts at zero: a fresh context changes nothing,
    and the stream it codes costs what the hyperprior alone would.
    """

    def __init__(self, channels: int, hidden_channels: int = 48):
        super().__init__()
        self.neighbours = nn.Conv2d(2 * channels, hidden_channels, 3)
        self.own_scale = conv1x1(channels, hidden_channels)
        self.head = nn.Sequential(
            nn.LeakyReLU(0.1), conv1x1(hidden_channels, hidden_channels), nn.LeakyReLU(0.1),
            conv1x1(hidden_channels, 2 * channels),
        )
        zero_(self.head[-1])

    def forward(self, anchor_residuals: torch.Tensor, raw_scales: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean shifts, raw-scale shifts) from the anchors' residuals (zero elsewhere) and every raw scale."""
        neighbours = torch.cat([anchor_residuals, anchor_residuals.abs()], dim=1)
        hidden = self.neighbours(_reflect_pad(neighbours)) + self.own_scale(raw_scales)
        return self.head(hidden).chunk(2, dim=1)


def _plus_learned(
    learned: LearnedCheckerboardContext | None, mean_shift: torch.Tensor, scale_shift: torch.Tensor,
    residuals: torch.Tensor, raw_scales: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A linear context's (mean shifts, raw-scale shifts) with its optional learned part's corrections added."""
    if learned is None:
        return mean_shift, scale_shift
    learned_mean_shift, learned_scale_shift = learned(residuals, raw_scales)
    return mean_shift + learned_mean_shift, scale_shift + learned_scale_shift


class CheckerboardContext(nn.Module):
    """Corrections (means, raw scales) for the second checkerboard pass from the decoded anchors' residuals
    (symbols: ŷ minus the hyperprior's means), zero at the other positions, through a 3x3 convolution.

    The padding is a reflection, which keeps the checkerboard's parity: every second-pass position, the frame's
    edges included, sees four anchors. A fresh context adds to each position's mean the average residual of its
    four anchor neighbours (what a smooth field such as camera motion predicts, like a classic codec's motion
    vector predictor) and leaves the scales as they are; training learns the rest. Grown into round 12's motion
    latent untrained, it saved 15-16 % of the motion's bits on the held-out clips (docs/ARCHITECTURE.md).

    With `learned`, a `LearnedCheckerboardContext` adds its corrections to the linear ones: the linear map predicts
    the means, the net what a linear map of signed residuals cannot, such as larger scales where the neighbours
    came out far from their predictions (a motion boundary). It starts as no correction.
    """

    def __init__(self, channels: int, learned: bool = False):
        super().__init__()
        self.conv = nn.Conv2d(channels, 2 * channels, 3)
        zero_(self.conv)
        with torch.no_grad():
            for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
                self.conv.weight[range(channels), range(channels), dy, dx] = 0.25
        self.learned = LearnedCheckerboardContext(channels) if learned else None

    def forward(self, anchor_residuals: torch.Tensor, raw_scales: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean shifts, raw-scale shifts) from the anchors' residuals (zero elsewhere); `raw_scales` only reach
        the learned part."""
        mean_shift, scale_shift = self.conv(_reflect_pad(anchor_residuals)).chunk(2, dim=1)
        return _plus_learned(self.learned, mean_shift, scale_shift, anchor_residuals, raw_scales)


class ChannelContext(nn.Module):
    """Corrections (means, raw scales) for a group of y's channels from the groups coded before it, at the same
    position (Minnen and Singh, "Channel-wise autoregressive entropy models", ICIP 2020; with a checkerboard as in
    He et al., ELIC, CVPR 2022).

    The channels are split into `groups` equal groups, coded one after the other in every pass. Group g's net (1x1
    convolutions: one position's channels) sees the earlier groups' residuals against the hyperprior's means and
    their magnitudes, and the hyperprior's raw scales of its own channels. Its last layer starts at zero: a fresh
    context changes nothing, and the stream it codes costs what the coder without it would.
    """

    def __init__(self, channels: int, groups: int, hidden_channels: int = 32):
        super().__init__()
        if groups < 2 or channels % groups:
            raise ValueError(f"channel groups must be at least 2 and divide the {channels} channels, got {groups}")
        size = channels // groups
        self.groups = [slice(g * size, (g + 1) * size) for g in range(groups)]
        self.nets = nn.ModuleList()
        for g in range(1, groups):
            net = nn.Sequential(
                conv1x1(2 * g * size + size, hidden_channels), nn.LeakyReLU(0.1),
                conv1x1(hidden_channels, hidden_channels), nn.LeakyReLU(0.1), conv1x1(hidden_channels, 2 * size),
            )
            zero_(net[-1])
            self.nets.append(net)

    def forward(
        self, group_index: int, residuals: torch.Tensor, raw_scales: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean shifts, raw-scale shifts) of group `group_index` (≥ 1) from the residuals of the groups before it
        (valid at the positions being coded) and the hyperprior's raw scales."""
        earlier = residuals[:, :self.groups[group_index].start]
        inputs = torch.cat([earlier, earlier.abs(), raw_scales[:, self.groups[group_index]]], dim=1)
        return self.nets[group_index - 1](inputs).chunk(2, dim=1)


def _reflect_pad(x: torch.Tensor) -> torch.Tensor:
    """One position of reflection on every side: keeps the checkerboard's parity at the edges."""
    return F.pad(x, (1, 1, 1, 1), mode="reflect")


class HyperpriorLatentCoder(nn.Module):
    """Hyper-analysis, hyper-synthesis, entropy models and parameter fusion for one latent y."""

    def __init__(self, latent_channels: int, hyper_channels: int, prior_channels: int = 0, mean_channels: int = 0,
                 context: CheckerboardContext | LearnedCheckerboardContext | None = None,
                 channel_context: ChannelContext | None = None, mean_prediction: bool = False,
                 anchor_context: DiagonalAnchorContext | None = None):
        super().__init__()
        m, h = latent_channels, hyper_channels
        if not 0 <= mean_channels <= m:
            raise ValueError(f"mean_channels must be in 0 … {m} (the latent's channels), got {mean_channels}")
        if mean_prediction and not mean_channels:
            raise ValueError("mean_prediction codes the mean path's channels of z: it needs mean_channels > 0")
        if anchor_context is not None and context is None:
            raise ValueError("an anchor context splits the checkerboard's anchors: it needs a checkerboard context")
        self.hyper_analysis = nn.Sequential(
            conv3x3(m, h), nn.LeakyReLU(0.1), conv3x3(h, h, stride=2), nn.LeakyReLU(0.1), conv3x3(h, h, stride=2)
        )
        self.hyper_synthesis = nn.Sequential(
            conv3x3(h, h), nn.LeakyReLU(0.1), subpel_conv(h, h), nn.LeakyReLU(0.1), subpel_conv(h, m)
        )
        self.param_fusion = nn.Sequential(
            conv1x1(m + prior_channels, 2 * m), nn.LeakyReLU(0.1), conv1x1(2 * m, 2 * m), nn.LeakyReLU(0.1),
            conv1x1(2 * m, 2 * m),
        )
        self.mean_channels = mean_channels
        self.mean_prediction = mean_prediction
        if mean_channels:
            self.mean_analysis = conv1x1(m, mean_channels)
            self.mean_synthesis = conv1x1(mean_channels, m)
            zero_(self.mean_analysis, self.mean_synthesis)
            with torch.no_grad():
                self.mean_analysis.weight[:, :mean_channels, 0, 0] = torch.eye(mean_channels)
                self.mean_synthesis.weight[:mean_channels, :, 0, 0] = torch.eye(mean_channels)
        self.context = context
        self.anchor_context = anchor_context
        self.channel_context = channel_context
        self.hyper_prior = FactorizedPrior(h + mean_channels)
        self.conditional = GaussianConditional()
        # Training: False keeps the rate's gradient away from y (the entropy model fits a detached y, and only the
        # distortion reaches the analysis transform), to revive a latent that the rate drove to zero.
        self.rate_reaches_input = True
        self._raw_scale_floor = math.log(math.expm1(self.conditional.scale_min))  # softplus(floor) = scale_min

    def _hyper_latent(self, y: torch.Tensor) -> torch.Tensor:
        z = self.hyper_analysis(y)
        if self.mean_channels:
            z = torch.cat([z, self.mean_analysis(F.avg_pool2d(y, 4))], dim=1)
        return z

    def _on_mean_path(
        self, z_symbols: torch.Tensor, transform: Callable[[torch.Tensor], torch.Tensor]
    ) -> torch.Tensor:
        """z's symbols with `transform` applied to the mean path's channels when `mean_prediction` is on."""
        if not self.mean_prediction:
            return z_symbols
        hyper = z_symbols.shape[1] - self.mean_channels
        return torch.cat([z_symbols[:, :hyper], transform(z_symbols[:, hyper:])], dim=1)

    def _coded_hyper_symbols(self, z_symbols: torch.Tensor) -> torch.Tensor:
        """What is written for z's symbols: themselves, or with `mean_prediction` the mean path's channels as
        differences from their left prediction."""
        return self._on_mean_path(z_symbols, lambda means: means - left_prediction(means))

    def _hyper_symbols(self, coded: torch.Tensor) -> torch.Tensor:
        """Inverse of `_coded_hyper_symbols`."""
        return self._on_mean_path(coded, undo_left_prediction)

    def _code_hyper_latent(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Training / estimation: (ẑ, likelihoods of what is coded). The prediction of the mean path's channels is
        an integer, so ẑ stays on its quantization grid: in eval mode the rounded z, in training z plus noise."""
        if not self.mean_prediction:
            return self.hyper_prior(z)
        symbols = self.hyper_prior.quantize(z.detach())
        prediction = (symbols - self._coded_hyper_symbols(symbols)).to(z.dtype)
        z_hat, likelihoods = self.hyper_prior(z - prediction)
        return z_hat + prediction, likelihoods

    def _params(self, z_hat: torch.Tensor, prior: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Means and raw (pre-softplus) scales of y from the decoded hyper-latent and the prior."""
        hyper = z_hat.shape[1] - self.mean_channels
        features = self.hyper_synthesis(z_hat[:, :hyper])
        if prior is not None:
            features = torch.cat([features, prior], dim=1)
        means, raw_scales = self.param_fusion(features).chunk(2, dim=1)
        if self.mean_channels:
            block_means = F.interpolate(z_hat[:, hyper:], scale_factor=4, mode="bilinear", align_corners=False)
            means = means + self.mean_synthesis(block_means)
        return means, raw_scales

    def _scales(self, raw_scales: torch.Tensor) -> torch.Tensor:
        return F.softplus(lower_bound(raw_scales, self._raw_scale_floor))

    def _coding_passes(
        self, means: torch.Tensor, raw_scales: torch.Tensor, code_pass: Callable[[Pass], torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Run y's coding passes in order; returns (ŷ, means, raw scales), the last two as each position was coded.

        `code_pass(p)` codes (or reads, or in training rounds) y at `p.selected` around `p.means` and returns the
        symbols there (ŷ minus the pass's means; elsewhere anything). Without a context or channel groups there is
        one pass over every position. With a checkerboard context the anchors come first, then the other half,
        whose means and scales the context corrects from the decoded anchors. With channel groups each of those
        passes is split by group, and a group's means and scales are corrected from the groups before it at the
        same positions. With an anchor context the anchors are coded in two passes, the odd ones corrected from the
        even ones. The contexts see the decoded values' residuals against the hyperprior's means (for an uncorrected
        pass, its symbols)."""
        hyper_means = means
        passes: list[tuple[torch.Tensor | None, PassContext | None]] = [(None, None)]
        if self.context is not None:
            anchors = anchor_mask(*means.shape[-2:], means.device)
            second_half = ~anchors, lambda residuals: self.context(residuals * anchors, raw_scales)
            passes = [(anchors, None), second_half]
            if self.anchor_context is not None:
                even = even_anchor_mask(*means.shape[-2:], means.device)
                odd_anchors = anchors & ~even, lambda residuals: self.anchor_context(residuals * even, raw_scales)
                passes = [(even, None), odd_anchors, second_half]
        groups = [slice(None)] if self.channel_context is None else self.channel_context.groups
        y_hat = residuals = torch.zeros_like(means)
        final_means, final_raw_scales = means, raw_scales
        for positions, context in passes:
            pass_means, pass_raw_scales = means, raw_scales
            if context is not None:  # corrected from the positions decoded before
                mean_shift, scale_shift = context(residuals)
                pass_means, pass_raw_scales = means + mean_shift, raw_scales + scale_shift
            for group_index, group in enumerate(groups):
                group_means, group_raw_scales = pass_means[:, group], pass_raw_scales[:, group]
                if group_index > 0:
                    mean_shift, scale_shift = self.channel_context(group_index, residuals, raw_scales)
                    group_means, group_raw_scales = group_means + mean_shift, group_raw_scales + scale_shift
                selected = self._selection(means, positions, group)
                full_means = _scatter_channels(pass_means, group_means, group)
                full_raw_scales = _scatter_channels(pass_raw_scales, group_raw_scales, group)
                symbols = code_pass(Pass(selected, full_means, full_raw_scales))
                y_hat = torch.where(selected, symbols + full_means, y_hat)
                residuals = torch.where(selected, symbols + (full_means - hyper_means), residuals)
                final_means = torch.where(selected, full_means, final_means)
                final_raw_scales = torch.where(selected, full_raw_scales, final_raw_scales)
        return y_hat, final_means, final_raw_scales

    @staticmethod
    def _selection(like: torch.Tensor, positions: torch.Tensor | None, group: slice) -> torch.Tensor:
        """Bool mask shaped like y: the pass's positions (all if None) in the group's channels."""
        channels = torch.zeros(like.shape[1], dtype=torch.bool, device=like.device)
        channels[group] = True
        selected = channels[None, :, None, None]
        if positions is not None:
            selected = selected & positions
        return selected.expand_as(like)

    def forward(
        self, y: torch.Tensor, prior: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Training / estimation: quantized y and the likelihoods of y and z. Without `rate_reaches_input` (in
        training) the likelihoods are those of a detached y, while y_hat passes the gradient straight to y."""
        coded = y if self.rate_reaches_input or not self.training else y.detach()
        z = self._hyper_latent(coded)
        z_hat, z_likelihoods = self._code_hyper_latent(z)
        means, raw_scales = self._params(z_hat, prior)
        if self.context is not None or self.channel_context is not None:
            # each pass's values as the decoder gets them: rounded around the pass's means (straight through)
            def round_pass(p: Pass) -> torch.Tensor:
                offsets = coded - p.means
                return offsets + (torch.round(offsets) - offsets).detach()

            _, means, raw_scales = self._coding_passes(means, raw_scales, round_pass)
        y_hat, y_likelihoods = self.conditional(coded, self._scales(raw_scales), means)
        if coded is not y:
            y_hat = y_hat + (y - y.detach())
        return y_hat, {"y": y_likelihoods, "z": z_likelihoods}

    def compress(self, y: torch.Tensor, stream: StreamWriter, prior: torch.Tensor | None = None) -> CodedLatent:
        """Write z, then y, into `stream`."""
        z = self._hyper_latent(y)
        z_symbols = self.hyper_prior.quantize(z)
        self.hyper_prior.write(self._coded_hyper_symbols(z_symbols), stream)
        z_hat = self.hyper_prior.dequantize(z_symbols)
        means, raw_scales = self._params(z_hat, prior)
        y_symbols = torch.zeros_like(y, dtype=torch.int32)

        def write_pass(p: Pass) -> torch.Tensor:
            y_symbols[p.selected] = self.conditional.compress(
                y[p.selected], self._scales(p.raw_scales)[p.selected], p.means[p.selected], stream=stream)
            return y_symbols.to(p.means.dtype)

        y_hat, means, raw_scales = self._coding_passes(means, raw_scales, write_pass)
        bits = _bits(self._code_hyper_latent(z)[1]) + _bits(self.conditional(y, self._scales(raw_scales), means)[1])
        return CodedLatent(y_hat, [z_symbols, y_symbols], bits)

    def decompress(
        self, stream: StreamReader, latent_size: tuple[int, int], prior: torch.Tensor | None = None
    ) -> CodedLatent:
        """Read z, then y (its means and scales computed from z in between), from `stream`."""
        coded = self.hyper_prior.decompress(stream, (latent_size[0] // 4, latent_size[1] // 4))
        z_symbols = self._hyper_symbols(coded)
        z_hat = self.hyper_prior.dequantize(z_symbols)
        means, raw_scales = self._params(z_hat, prior)
        y_symbols = torch.zeros(means.shape, dtype=torch.int32, device=means.device)

        def read_pass(p: Pass) -> torch.Tensor:
            y_symbols[p.selected] = self.conditional.decompress(
                stream, self._scales(p.raw_scales)[p.selected], p.means[p.selected])
            return y_symbols.to(p.means.dtype)

        y_hat, _, _ = self._coding_passes(means, raw_scales, read_pass)
        return CodedLatent(y_hat, [z_symbols, y_symbols])


def _scatter_channels(full: torch.Tensor, part: torch.Tensor, group: slice) -> torch.Tensor:
    """`full` with its `group` channels replaced by `part` (no copy when the group is every channel)."""
    if group == slice(None):
        return part
    return torch.cat([full[:, :group.start], part, full[:, group.stop:]], dim=1)


class TransformCodec(nn.Module):
    """An analysis transform, a rate-scaled hyperprior latent and a synthesis transform.

    Subclasses define `analyse(*inputs)` (-> latent at 1/16) and `synthesize(latent)`. `forward` and `compress`
    take the inputs, or instead `latent`: the rate-scaled latent (`latent_of`) given directly, e.g. one that the
    encoder refined (`vnvc.refinement`).
    """

    latent: HyperpriorLatentCoder
    rate_scales: "RateScales"

    def analyse(self, *inputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def synthesize(self, latent: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def latent_of(self, *inputs: torch.Tensor, rate: float | torch.Tensor) -> torch.Tensor:
        """The analysis transform's latent in units of the rate point's quantization steps (what gets rounded)."""
        return self.analyse(*inputs) / self.rate_scales(rate)

    def forward(
        self, *inputs: torch.Tensor, rate: float | torch.Tensor, latent: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Training / estimation: synthesized output and the likelihoods of y and z."""
        if latent is None:
            latent = self.latent_of(*inputs, rate=rate)
        latent_hat, likelihoods = self.latent(latent)
        return self.synthesize(latent_hat * self.rate_scales(rate)), likelihoods

    def compress(
        self, *inputs: torch.Tensor, rate: float, stream: StreamWriter, latent: torch.Tensor | None = None
    ) -> tuple[CodedLatent, torch.Tensor]:
        if latent is None:
            latent = self.latent_of(*inputs, rate=rate)
        coded = self.latent.compress(latent, stream)
        return coded, self.synthesize(coded.value * self.rate_scales(rate))

    def decompress(
        self, stream: StreamReader, size: tuple[int, int], rate: float
    ) -> tuple[CodedLatent, torch.Tensor]:
        """`size` is the padded frame size; the latent sits at 1/16 of it."""
        q = self.rate_scales(rate)
        coded = self.latent.decompress(stream, (size[0] // 16, size[1] // 16))
        return coded, self.synthesize(coded.value * q)
