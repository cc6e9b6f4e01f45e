"""I-frame codec: a mean-scale hyperprior image codec without autoregressive context (as DCVC's IntraNoAR), its
latent optionally coded in two checkerboard passes (`intra_checkerboard`), plus the adaptor that turns the decoded
I-frame into the first reference feature of the feature loop (optionally refined by `AdaptorRefinement`)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import DownBlock, ResBlock, UpBlock, conv3x3, subpel_conv, zero_
from .config import CodecConfig
from .latent_coding import ChannelContext, HyperpriorLatentCoder, LearnedCheckerboardContext, TransformCodec
from .rate import RateScales


class IntraCodec(TransformCodec):
    """Codes a padded RGB frame (1, 3, H, W) into a latent at H/16 and back to pixels."""

    def __init__(self, config: CodecConfig):
        super().__init__()
        n, m = config.intra_channels, config.intra_latent_channels
        self.analysis = nn.Sequential(
            DownBlock(3, n), ResBlock(n), DownBlock(n, n), ResBlock(n), DownBlock(n, n), ResBlock(n),
            conv3x3(n, m, stride=2),
        )
        self.synthesis = nn.Sequential(
            ResBlock(m), UpBlock(m, n), ResBlock(n), UpBlock(n, n), ResBlock(n), UpBlock(n, n), ResBlock(n),
            subpel_conv(n, 3),
        )
        context = LearnedCheckerboardContext(m) if config.intra_checkerboard else None
        channel_context = ChannelContext(m, config.intra_channel_groups) if config.intra_channel_groups > 1 else None
        self.latent = HyperpriorLatentCoder(m, config.hyper_channels, context=context, channel_context=channel_context)
        self.rate_scales = RateScales(config.num_rates, m)
        self.adaptor = conv3x3(3, config.feature_channels)
        self.adaptor_refinement = AdaptorRefinement(config.feature_channels) if config.adaptor_refinement else None

    def analyse(self, x: torch.Tensor) -> torch.Tensor:
        return self.analysis(x)

    def synthesize(self, latent: torch.Tensor) -> torch.Tensor:
        return self.synthesis(latent)

    def feature(self, pixels: torch.Tensor) -> torch.Tensor:
        """F̂ of a decoded I-frame: the first reference of the feature loop and what the task heads see."""
        feature = self.adaptor(pixels)
        if self.adaptor_refinement is not None:
            feature = feature + self.adaptor_refinement(pixels)
        return feature

    def lift(self, pixels: torch.Tensor) -> torch.Tensor:
        """The adaptor's linear part (no bias): maps a pixel difference to the feature difference it makes. Kept
        out of the gradient: it trains with the I-frame codec only."""
        return F.conv2d(pixels, self.adaptor.weight.detach(), padding=1)


class AdaptorRefinement(nn.Module):
    """A small nonlinear correction added to the adaptor's linear feature of a decoded I-frame.

    The P-frames' decoded features need not be linear in their pixels; after training over several P-frames in a
    row, the inter networks spent on the first P-frame what the linear adaptor's feature lacked of theirs. The last
    layer starts at zero (a fresh refinement changes nothing) and it costs no bits; the residual path's `lift`
    keeps using the linear part alone.
    """

    def __init__(self, feature_channels: int, hidden_channels: int = 32):
        super().__init__()
        self.layers = nn.Sequential(
            conv3x3(3, hidden_channels), nn.LeakyReLU(0.1), conv3x3(hidden_channels, hidden_channels),
            nn.LeakyReLU(0.1), conv3x3(hidden_channels, feature_channels),
        )
        zero_(self.layers[-1])

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.layers(pixels)
