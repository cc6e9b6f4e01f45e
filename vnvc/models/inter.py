"""Inter-frame codec of VNVC: the feature loop.

Frame t is coded against the decoded feature F̂(t-1) of the previous frame:
1. cross-domain motion coding: the motion encoder sees the current pixels, the reference *feature* and the
   encoder's block-matching hint; the motion decoder gives a flow field (no optical-flow network);
2. temporal context mining: the reference feature is lifted to three scales, warped by the flow and fused
   top-down into three temporal contexts;
3. contextual coding: the contexts condition the contextual encoder, the temporal prior of the entropy model and
   the contextual decoder, whose output, added to the reference feature warped by the flow, is the decoded
   feature F̂t — the next reference and the input of the reconstruction and analysis networks. With
   `contextual_residual_path`, y also carries a block-DCT code of the encoder's pixel residual, whose decoded
   blocks enter F̂t through the I-frame adaptor (`ResidualBlockCoding`).

The warped-reference skip is ours, not DCVC-TCM's: F̂(t-1) and F̂t live in the same feature space, so with it a
P-frame whose contextual latent codes nothing is a motion-compensated copy instead of whatever the untrained
decoder makes of the contexts. Without it, inter networks retrained from scratch on the CPU still gave P-frames
below a plain copy of the reference after 600 steps (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..entropy import StreamReader, StreamWriter
from ..layers import DownBlock, ResBlock, UpBlock, conv1x1, conv3x3, downsample_flow, flow_warp, subpel_conv, zero_
from .config import CodecConfig
from .latent_coding import (ChannelContext, CheckerboardContext, CodedLatent, DiagonalAnchorContext,
                            HyperpriorLatentCoder, LearnedCheckerboardContext, TransformCodec)
from .rate import INITIAL_STEP, RateScales


FLOW_UNIT = 8.0  # pixels per unit of the motion decoder's output, so that a fresh decoder's flows span pixels


class EncoderHint(NamedTuple):
    """What the encoder's search found for frame t (`VideoCodec.encoder_hint`); the decoder never sees it."""

    flow: torch.Tensor  # block-matching flow against the reference's reconstruction (N, 2, H, W), in pixels
    reference_pixels: torch.Tensor  # that reconstruction, clamped to [0, 1] (N, 3, H, W)


class MotionCodec(TransformCodec):
    """Cross-domain motion encoder-decoder: (pixels of frame t, reference feature, motion hint) -> coded motion
    -> flow.

    The hint is the encoder's block-matching estimate (`motion_estimation.estimate_flow`). Besides the deep
    transforms, a linear path codes the hint averaged over 16x16 blocks in two latent channels and the decoder
    reads them back, upsampled bilinearly, as a coarse flow; the deep decoder adds detail on top. Both paths start
    so that a fresh codec codes the block-averaged hint exactly (the deep ones' last convs start at zero), which
    is what made the motion codec trainable on a CPU (docs/ARCHITECTURE.md).
    """

    FLOW_CHANNELS = slice(0, 2)  # the motion latent's channels of the linear path (the coarse flow)

    def __init__(self, config: CodecConfig):
        super().__init__()
        c, mc = config.feature_channels, config.motion_channels
        self.encoder = nn.Sequential(
            conv3x3(3 + c + 2, mc), DownBlock(mc, mc), DownBlock(mc, mc), DownBlock(mc, mc), DownBlock(mc, mc),
            conv3x3(mc, mc),
        )
        self.decoder = nn.Sequential(
            UpBlock(mc, mc), UpBlock(mc, mc), UpBlock(mc, mc), UpBlock(mc, mc), conv3x3(mc, 2),
        )
        self.hint_to_latent = conv1x1(2, mc)
        self.latent_to_flow = conv1x1(mc, 2)
        zero_(self.encoder[-1], self.decoder[-1], self.hint_to_latent, self.latent_to_flow)
        with torch.no_grad():
            self.hint_to_latent.weight[self.FLOW_CHANNELS, :, 0, 0] = torch.eye(2)
            self.latent_to_flow.weight[:, self.FLOW_CHANNELS, 0, 0] = torch.eye(2)
        context = CheckerboardContext(mc, config.motion_learned_context) if config.motion_checkerboard else None
        anchor_context = None
        if config.motion_anchor_split:
            anchor_context = DiagonalAnchorContext(mc, learned=config.motion_anchor_learned)
        self.latent = HyperpriorLatentCoder(mc, config.motion_hyper_channels,
                                             mean_channels=config.motion_mean_channels, context=context,
                                             mean_prediction=config.motion_mean_prediction,
                                             anchor_context=anchor_context)
        self.rate_scales = RateScales(config.num_rates, mc)

    def analyse(self, x: torch.Tensor, ref: torch.Tensor, hint: torch.Tensor) -> torch.Tensor:
        hint = hint / FLOW_UNIT
        return self.encoder(torch.cat([x, ref, hint], dim=1)) + self.hint_to_latent(F.avg_pool2d(hint, 16))

    def synthesize(self, latent: torch.Tensor) -> torch.Tensor:
        """Decoded motion latent -> flow field in pixels at full resolution."""
        coarse = F.interpolate(self.latent_to_flow(latent), scale_factor=16, mode="bilinear", align_corners=False)
        return (coarse + self.decoder(latent)) * FLOW_UNIT


class TemporalContextMining(nn.Module):
    """Reference feature -> three scales -> warped by the flow -> fused top-down into contexts (H, H/2, H/4)."""

    def __init__(self, config: CodecConfig):
        super().__init__()
        c, k = config.feature_channels, config.context_channels
        self.extract1 = nn.Sequential(conv3x3(c, k), ResBlock(k))
        self.extract2 = nn.Sequential(DownBlock(k, k), ResBlock(k))
        self.extract3 = nn.Sequential(DownBlock(k, k), ResBlock(k))
        self.fuse3 = nn.Sequential(ResBlock(k), conv3x3(k, k))
        self.up3 = subpel_conv(k, k)
        self.fuse2 = nn.Sequential(conv3x3(2 * k, k), ResBlock(k))
        self.up2 = subpel_conv(k, k)
        self.fuse1 = nn.Sequential(conv3x3(2 * k, k), ResBlock(k))

    def forward(self, ref: torch.Tensor, flow: torch.Tensor) -> list[torch.Tensor]:
        f1 = self.extract1(ref)
        f2 = self.extract2(f1)
        f3 = self.extract3(f2)
        flow2 = downsample_flow(flow)
        flow3 = downsample_flow(flow2)
        c3 = self.fuse3(flow_warp(f3, flow3))
        c2 = self.fuse2(torch.cat([flow_warp(f2, flow2), self.up3(c3)], dim=1))
        c1 = self.fuse1(torch.cat([flow_warp(f1, flow), self.up2(c2)], dim=1))
        return [c1, c2, c3]


class ContextualEncoder(nn.Module):
    """Frame t and the temporal contexts -> contextual latent y at H/16."""

    def __init__(self, config: CodecConfig):
        super().__init__()
        k, n, m = config.context_channels, 2 * config.context_channels, config.latent_channels
        self.down1 = DownBlock(3 + k, n)
        self.down2 = DownBlock(n + k, n)
        self.down3 = DownBlock(n + k, n)
        self.tail = nn.Sequential(ResBlock(n), DownBlock(n, n), conv3x3(n, m))

    def forward(self, x: torch.Tensor, contexts: list[torch.Tensor]) -> torch.Tensor:
        c1, c2, c3 = contexts
        h = self.down1(torch.cat([x, c1], dim=1))
        h = self.down2(torch.cat([h, c2], dim=1))
        h = self.down3(torch.cat([h, c3], dim=1))
        return self.tail(h)


class BlockSynthesis(nn.Module):
    """A linear path from the dequantized latent (stride 16) to the decoded feature: each latent vector
    synthesizes its 16x16 block through `hidden` channels. The output layer starts at zero, so a fresh path changes
    nothing, yet from the first step it gets the gradient that makes the decoder read y.

    Why: the contextual decoder's convolutional path learned to read y only slowly, if at all, within a CPU
    session (docs/ARCHITECTURE.md). Its input, y times its quantization step, is small (0.03-0.1) beside the
    contexts, and Adam moves a weight by about its learning rate a step whatever the input, so that path changes
    the output slowly. This one reads the latent at about unit scale: divided by the rate scales' initial step.
    """

    def __init__(self, latent_channels: int, feature_channels: int, hidden: int = 8):
        super().__init__()
        self.expand = conv1x1(latent_channels, hidden * 16 * 16)
        self.project = conv1x1(hidden, feature_channels)
        nn.init.zeros_(self.project.weight)
        nn.init.zeros_(self.project.bias)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.project(F.pixel_shuffle(self.expand(latent / INITIAL_STEP), 16))


def block_dct_basis(channels: int, block: int = 16) -> torch.Tensor:
    """`channels` orthonormal RGB block patterns (channels, 3, block, block): an orthonormal colour transform (luma,
    two chroma axes) times the 2-D DCT, lowest frequencies first; each chroma axis gets a fifth of the channels."""
    if channels > 3 * block * block:
        raise ValueError(f"{channels} patterns asked of a {3 * block * block}-dimensional block")
    k = torch.arange(block, dtype=torch.float64)
    dct = torch.cos(math.pi * (k[None, :] + 0.5) * k[:, None] / block) * math.sqrt(2 / block)
    dct[0] /= math.sqrt(2)
    colours = torch.tensor([[1, 1, 1], [1, 0, -1], [1, -2, 1]], dtype=torch.float64)
    colours = colours / colours.norm(dim=1, keepdim=True)
    frequencies = sorted(((u + v, u, v) for u in range(block) for v in range(block)))
    chroma = channels // 5
    counts = (channels - 2 * chroma, chroma, chroma)
    patterns = [colours[c][:, None, None] * torch.outer(dct[u], dct[v])
                for c, count in enumerate(counts) for _, u, v in frequencies[:count]]
    return torch.stack(patterns).float()


class ResidualBlockCoding(nn.Module):
    """A linear transform code of the encoder's pixel residual (frame t minus the reference's reconstruction warped
    by the decoded flow), added to the contextual latent y; the decoder turns its part of ŷ back into pixel blocks,
    which `InterCodec` lifts into F̂t through the I-frame adaptor's linear part.

    Analysis and synthesis start as the orthonormal `block_dct_basis`, scaled so that a coefficient's
    quantization step is `GAIN` times y's: with it, y carries the residual from the first step and the decoder
    reads it, which five revivals of the convolutional paths alone could not reach (docs/ARCHITECTURE.md).
    """

    GAIN = 8.0  # round 11's y steps (0.04-0.11) times 8: coefficient steps of 0.3-0.9, where coding pays (ibid.)

    def __init__(self, latent_channels: int):
        super().__init__()
        self.analysis = nn.Conv2d(3, latent_channels, 16, stride=16, bias=False)
        self.synthesis = nn.ConvTranspose2d(latent_channels, 3, 16, stride=16, bias=False)
        basis = block_dct_basis(latent_channels)
        with torch.no_grad():
            self.analysis.weight.copy_(basis / self.GAIN)
            self.synthesis.weight.copy_(basis * self.GAIN)


class ContextualDecoder(nn.Module):
    """Decoded latent and the temporal contexts -> decoded feature F̂t (feature_channels at full resolution), plus
    the `BlockSynthesis` path where the config has it."""

    def __init__(self, config: CodecConfig):
        super().__init__()
        k, m, c = config.context_channels, config.latent_channels, config.feature_channels
        n = 2 * k
        self.head = nn.Sequential(UpBlock(m, n), ResBlock(n), UpBlock(n, n))
        self.merge3 = nn.Sequential(conv3x3(n + k, n), ResBlock(n), UpBlock(n, n))
        self.merge2 = nn.Sequential(conv3x3(n + k, n), ResBlock(n), UpBlock(n, n))
        self.merge1 = nn.Sequential(conv3x3(n + k, c), ResBlock(c), ResBlock(c))
        self.block_synthesis = BlockSynthesis(m, c) if config.contextual_block_path else None

    def forward(self, y_hat: torch.Tensor, contexts: list[torch.Tensor]) -> torch.Tensor:
        c1, c2, c3 = contexts
        h = self.merge3(torch.cat([self.head(y_hat), c3], dim=1))
        h = self.merge2(torch.cat([h, c2], dim=1))
        h = self.merge1(torch.cat([h, c1], dim=1))
        return h if self.block_synthesis is None else h + self.block_synthesis(y_hat)


class InterCodec(nn.Module):
    """Codes frame t given the reference feature F̂(t-1); outputs the decoded feature F̂t.

    `lift` maps pixel blocks into the feature space (`IntraCodec.lift`); the residual path of a config with
    `contextual_residual_path` needs it. It is a function, not a submodule: its weights belong to the I-frame codec.
    """

    def __init__(self, config: CodecConfig, lift: Callable[[torch.Tensor], torch.Tensor] | None = None):
        super().__init__()
        k, n, m = config.context_channels, 2 * config.context_channels, config.latent_channels
        self.motion = MotionCodec(config)
        self.context_mining = TemporalContextMining(config)
        self.encoder = ContextualEncoder(config)
        self.decoder = ContextualDecoder(config)
        self.temporal_prior = nn.Sequential(DownBlock(k, n), DownBlock(n, m))
        context = LearnedCheckerboardContext(m) if config.contextual_checkerboard else None
        groups = config.contextual_channel_groups
        channel_context = ChannelContext(m, groups) if groups > 1 else None
        self.latent = HyperpriorLatentCoder(m, config.hyper_channels, prior_channels=m, context=context,
                                            channel_context=channel_context)
        self.rate_scales = RateScales(config.num_rates, m)
        self.residual = ResidualBlockCoding(m) if config.contextual_residual_path else None
        if self.residual is not None and lift is None:
            raise ValueError("the contextual residual path needs a lift from pixels to features")
        self.lift = lift

    def forward(
        self, x: torch.Tensor, ref: torch.Tensor, hint: EncoderHint | None, rate: float | torch.Tensor,
        latents: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Training / estimation: decoded feature and the likelihoods of the four latents. `hint` is the encoder's
        search result (`VideoCodec.encoder_hint`). `latents` (motion, contextual), rate-scaled as `analyse`
        gives them, replace the analysis transforms' output (x and hint are then unused)."""
        motion_latent = latents[0] if latents is not None else self.motion.latent_of(x, ref, hint.flow, rate=rate)
        flow, motion_likelihoods = self.motion(rate=rate, latent=motion_latent)
        contexts = self.context_mining(ref, flow)
        q = self.rate_scales(rate)
        y = latents[1] if latents is not None else self.contextual_latent(x, contexts, hint, flow) / q
        y_hat, likelihoods = self.latent(y, self.temporal_prior(contexts[2]))
        feature = self.decoded_feature(y_hat * q, contexts, ref, flow)
        return feature, {
            "motion_y": motion_likelihoods["y"], "motion_z": motion_likelihoods["z"],
            "y": likelihoods["y"], "z": likelihoods["z"],
        }

    def analyse(
        self, x: torch.Tensor, ref: torch.Tensor, hint: EncoderHint, rate: float | torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder's rate-scaled latents for frame x (eval mode): the motion latent, and the contextual latent
        given the contexts of the motion as the decoder will decode it."""
        motion_latent, y, _ = self.latents_and_prior(x, ref, hint, rate)
        return motion_latent, y

    def latents_and_prior(
        self, x: torch.Tensor, ref: torch.Tensor, hint: EncoderHint, rate: float | torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """`analyse`'s two latents and the temporal prior the contextual latent is coded with."""
        motion_latent = self.motion.latent_of(x, ref, hint.flow, rate=rate)
        flow = self.motion(rate=rate, latent=motion_latent)[0]
        contexts = self.context_mining(ref, flow)
        y = self.contextual_latent(x, contexts, hint, flow)
        return motion_latent, y / self.rate_scales(rate), self.temporal_prior(contexts[2])

    def contextual_latent(
        self, x: torch.Tensor, contexts: list[torch.Tensor], hint: EncoderHint, flow: torch.Tensor
    ) -> torch.Tensor:
        """y before rate scaling: the contextual encoder's output, plus the residual path's code of x minus the
        reference's reconstruction warped by the decoded flow."""
        y = self.encoder(x, contexts)
        if self.residual is not None:
            y = y + self.residual.analysis(x - flow_warp(hint.reference_pixels, flow))
        return y

    def compress(
        self, x: torch.Tensor, ref: torch.Tensor, hint: EncoderHint | None, rate: float, stream: StreamWriter,
        latents: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> tuple[list[CodedLatent], torch.Tensor]:
        """Write the motion latent, then the contextual latent, into `stream`; `latents` as in `forward`."""
        motion_latent = latents[0] if latents is not None else self.motion.latent_of(x, ref, hint.flow, rate=rate)
        motion, flow = self.motion.compress(rate=rate, stream=stream, latent=motion_latent)
        contexts = self.context_mining(ref, flow)
        q = self.rate_scales(rate)
        y = latents[1] if latents is not None else self.contextual_latent(x, contexts, hint, flow) / q
        coded = self.latent.compress(y, stream, self.temporal_prior(contexts[2]))
        return [motion, coded], self.decoded_feature(coded.value * q, contexts, ref, flow)

    def decompress(
        self, stream: StreamReader, size: tuple[int, int], ref: torch.Tensor, rate: float
    ) -> tuple[list[CodedLatent], torch.Tensor]:
        motion, flow = self.motion.decompress(stream, size, rate)
        contexts = self.context_mining(ref, flow)
        q = self.rate_scales(rate)
        coded = self.latent.decompress(stream, (size[0] // 16, size[1] // 16), self.temporal_prior(contexts[2]))
        return [motion, coded], self.decoded_feature(coded.value * q, contexts, ref, flow)

    def decoded_feature(
        self, latent: torch.Tensor, contexts: list[torch.Tensor], ref: torch.Tensor, flow: torch.Tensor
    ) -> torch.Tensor:
        """F̂t: the contextual decoder's output on top of the motion-compensated reference feature, plus the lifted
        residual blocks where the residual path is on."""
        feature = flow_warp(ref, flow) + self.decoder(latent, contexts)
        if self.residual is not None:
            feature = feature + self.lift(self.residual.synthesis(latent))
        return feature
