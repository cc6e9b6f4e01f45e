"""The VNVC video codec: I-frame codec + feature-loop inter-frame codec + networks that consume F̂t.

Training uses `forward_intra` / `forward_inter` (differentiable likelihoods). Coding uses `encode_*` / `decode_*`,
which share every network call after entropy coding, so the encoder's reference feature equals the decoder's bit
for bit on the same device.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import torch
from torch import nn

from ..bitstream import FrameType, latent_checksum
from ..entropy import StreamReader, StreamWriter

from .config import CodecConfig
from .inter import EncoderHint, InterCodec
from .intra import IntraCodec
from .latent_coding import CodedLatent
from .motion_estimation import estimate_flow, motion_cost_at
from .reconstruction import FeatureEnhancement, FrameReconstruction


def latent_bits(likelihoods: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Estimated bits per batch element of each latent with these likelihoods."""
    return {name: -torch.log2(lik).flatten(1).sum(1) for name, lik in likelihoods.items()}


def likelihood_bits(likelihoods: dict[str, torch.Tensor]) -> torch.Tensor:
    """Estimated bits per batch element of all the latents with these likelihoods."""
    return sum(latent_bits(likelihoods).values())


@dataclass
class FrameOutput:
    """Training-time result of one frame: reconstruction, decoded feature and likelihoods of every latent."""

    pixels: torch.Tensor
    feature: torch.Tensor
    likelihoods: dict[str, torch.Tensor]

    def bits(self) -> torch.Tensor:
        """Estimated bits per batch element."""
        return likelihood_bits(self.likelihoods)


@dataclass
class CodedFrame:
    """One coded frame: its entropy-coded payload and the decoded state both sides share.

    `reference` is F̂t (for an I-frame, the adaptor's feature of the decoded frame); `intra_pixels` is the I-frame
    decoder's output (None for inter frames, whose pixels come from the reconstruction network on demand).
    """

    frame_type: FrameType
    payload: bytes
    latent_checksum: int
    reference: torch.Tensor
    intra_pixels: torch.Tensor | None = None
    estimated_bits: float = 0.0
    latent_bits: dict[str, float] = field(default_factory=dict)


def _checksum(latents: list[CodedLatent]) -> int:
    """CRC-16 of every decoded integer symbol, in coding order (`vnvc.bitstream.latent_checksum`)."""
    return latent_checksum(symbols.cpu().numpy() for latent in latents for symbols in latent.symbols)


class VideoCodec(nn.Module):
    def __init__(self, config: CodecConfig):
        super().__init__()
        self.config = config
        self.intra = IntraCodec(config)
        self.inter = InterCodec(config, lift=self.intra.lift)
        self.reconstruction = FrameReconstruction(config.feature_channels, config.recon_channels)
        self.enhancement = FeatureEnhancement(config.feature_channels) if config.enhancement else None

    @property
    def feature_channels(self) -> int:
        return self.config.feature_channels

    @property
    def num_rates(self) -> int:
        return self.config.num_rates

    # --- training -------------------------------------------------------------------------------------------
    def forward_intra(self, x: torch.Tensor, rate: float | torch.Tensor) -> FrameOutput:
        pixels, likelihoods = self.intra(x, rate=rate)
        return FrameOutput(pixels, self.intra.feature(pixels), likelihoods)

    def forward_inter(self, x: torch.Tensor, reference: torch.Tensor, rate: float | torch.Tensor,
                      hint: EncoderHint | None = None) -> FrameOutput:
        """`hint`: the encoder's search for `x` (default: `encoder_hint` without a rate, the bare search)."""
        hint = hint if hint is not None else self.encoder_hint(x, reference)
        feature, likelihoods = self.inter(x, reference, hint, rate)
        return FrameOutput(self.reconstruction(feature), feature, likelihoods)

    # --- coding ---------------------------------------------------------------------------------------------
    def encode_intra(self, x: torch.Tensor, rate: float, latent: torch.Tensor | None = None) -> CodedFrame:
        """`latent`: the rate-scaled latent to code instead of the analysis transform's (`vnvc.refinement`)."""
        stream = StreamWriter()
        coded, pixels = self.intra.compress(x, rate=rate, stream=stream, latent=latent)
        return self._intra_frame(stream.finish(), coded, pixels)

    def decode_intra(self, payload: bytes, size: tuple[int, int], rate: float) -> CodedFrame:
        """Raises ValueError if `payload` is not an I-frame stream for this size."""
        stream = StreamReader(payload)
        coded, pixels = self.intra.decompress(stream, size, rate)
        stream.finish()
        return self._intra_frame(payload, coded, pixels)

    def _intra_frame(self, payload: bytes, coded: CodedLatent, pixels: torch.Tensor) -> CodedFrame:
        return CodedFrame(
            FrameType.INTRA, payload, _checksum([coded]), self.intra.feature(pixels), pixels,
            coded.estimated_bits, {"y+z": coded.estimated_bits},
        )

    def encode_inter(
        self, x: torch.Tensor, reference: torch.Tensor, rate: float,
        latents: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> CodedFrame:
        """`latents`: the rate-scaled (motion, contextual) latents to code instead of the analysis transforms'
        (`inter_latents`, `vnvc.refinement`)."""
        stream = StreamWriter()
        hint = self.encoder_hint(x, reference, rate) if latents is None else None
        coded, feature = self.inter.compress(x, reference, hint, rate, stream, latents)
        return self._inter_frame(stream.finish(), coded, feature)

    def decode_inter(self, payload: bytes, size: tuple[int, int], reference: torch.Tensor, rate: float) -> CodedFrame:
        """Raises ValueError if `payload` is not a P-frame stream for this size."""
        stream = StreamReader(payload)
        latents, feature = self.inter.decompress(stream, size, reference, rate)
        stream.finish()
        return self._inter_frame(payload, latents, feature)

    def _inter_frame(self, payload: bytes, latents: list[CodedLatent], feature: torch.Tensor) -> CodedFrame:
        motion, context = latents
        return CodedFrame(
            FrameType.INTER, payload, _checksum(latents), feature, None,
            motion.estimated_bits + context.estimated_bits,
            {"motion": motion.estimated_bits, "residual": context.estimated_bits},
        )

    def inter_latents(self, x: torch.Tensor, reference: torch.Tensor, rate: float) -> tuple[torch.Tensor, torch.Tensor]:
        """The rate-scaled latents `encode_inter` would code for frame `x`."""
        return self.inter.analyse(x, reference, self.encoder_hint(x, reference, rate), rate)

    @torch.no_grad()
    def encoder_hint(self, x: torch.Tensor, reference: torch.Tensor, rate: float | torch.Tensor | None = None
                     ) -> EncoderHint:
        """The encoder's search for frame `x`: the reconstruction of `reference` and block matching against it.
        At `rate` (one rate point, or one per sample in training) the search charges each candidate flow the rate
        point's `motion_cost_at`; without a rate it matches on the picture alone."""
        pixels = self.reconstruction(reference).clamp(0, 1)
        return EncoderHint(estimate_flow(x, pixels, motion_cost=self._motion_cost(rate)), pixels)

    def _motion_cost(self, rate: float | torch.Tensor | None) -> float | torch.Tensor:
        if rate is None:
            return 0.0
        rates = rate.flatten().tolist() if isinstance(rate, torch.Tensor) else [rate]
        costs = [motion_cost_at(self.config.lambda_at(r), self.config.lambdas[0]) for r in rates]
        return torch.tensor(costs) if isinstance(rate, torch.Tensor) else costs[0]

    # --- consumers of F̂t ----------------------------------------------------------------------------------
    def pixels(self, frame: CodedFrame) -> torch.Tensor:
        """Decoded pixels (padded size, clamped to [0, 1]); runs the reconstruction network for inter frames."""
        pixels = frame.intra_pixels if frame.intra_pixels is not None else self.reconstruction(frame.reference)
        return pixels.clamp(0, 1)

    def machine_feature(self, frame: CodedFrame) -> torch.Tensor:
        """The feature handed to analysis networks: F̂t, enhanced when the config enables enhancement."""
        return self.enhancement(frame.reference) if self.enhancement is not None else frame.reference

    # --- entropy tables and identity -------------------------------------------------------------------------
    def update(self) -> None:
        """Build the integer CDF tables of every entropy model (after training or changing weights)."""
        for module in self.modules():
            if module is not self and hasattr(module, "update") and hasattr(module, "compress"):
                module.update()

    def checkpoint_id(self) -> bytes:
        """8-byte identity of the weights and CDF tables; written into every stream this model makes."""
        digest = hashlib.sha256()
        for name, tensor in sorted(self.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        return digest.digest()[:8]
