"""I-frame codec: a mean-scale hyperprior image codec without autoregressive context (as DCVC's IntraNoAR), its
latent optionally coded in two checkerboard passes (`intra_checkerboard`), plus the adaptor that turns the decoded
I-frame into the first reference feature of the feature loop."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import DownBlock, ResBlock, UpBlock, conv3x3, subpel_conv
from .config import CodecConfig
from .latent_coding import HyperpriorLatentCoder, LearnedCheckerboardContext, TransformCodec
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
        self.latent = HyperpriorLatentCoder(m, config.hyper_channels, context=context)
        self.rate_scales = RateScales(config.num_rates, m)
        self.adaptor = conv3x3(3, config.feature_channels)

    def analyse(self, x: torch.Tensor) -> torch.Tensor:
        return self.analysis(x)

    def synthesize(self, latent: torch.Tensor) -> torch.Tensor:
        return self.synthesis(latent)

    def lift(self, pixels: torch.Tensor) -> torch.Tensor:
        """The adaptor's linear part (no bias): maps a pixel difference to the feature difference it makes. Kept
        out of the gradient: it trains with the I-frame codec only."""
        return F.conv2d(pixels, self.adaptor.weight.detach(), padding=1)
