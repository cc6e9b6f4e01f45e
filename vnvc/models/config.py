"""Architecture configuration of a VNVC codec: one dataclass, built from a config file or a checkpoint."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .rate import rate_interval


_MAY_BE_ZERO = ("motion_mean_channels",)


@dataclass(frozen=True)
class CodecConfig:
    """Channel counts and options of every network of the codec.

    Names follow the paper: F̂t has `feature_channels` channels at full (padded) resolution; the contextual latent
    y has `latent_channels` at 1/16; the motion latent has `motion_channels` at 1/16; hyper-latents sit at 1/64.
    `motion_mean_channels` > 0 gives the motion latent's hyperprior a linear path for its means
    (`HyperpriorLatentCoder`); 0, the default, is the architecture of checkpoints made before it existed.
    `contextual_block_path` gives the contextual decoder a linear path from y to F̂t that starts at zero
    (`BlockSynthesis`); off, the default, is the architecture of checkpoints made before it existed.
    `contextual_residual_path` adds to y a linear transform code of the encoder's pixel residual, which the decoder
    lifts into F̂t through the I-frame adaptor (`ResidualBlockCoding`); off, the default, as above.
    `motion_checkerboard` codes the motion latent in two checkerboard passes, the second predicted from the first
    (`CheckerboardContext`); off, the default, as above. `motion_learned_context` adds a learned part to that
    context (needs `motion_checkerboard`). `intra_checkerboard` and `contextual_checkerboard` do the same for the
    I-frame latent and the contextual latent y with a learned context (`LearnedCheckerboardContext`); off, the
    default, as above. `adaptor_refinement` adds a small nonlinear net, starting at zero, to the I-frame adaptor
    (`AdaptorRefinement`); off, the default, as above. `intra_channel_groups` > 1 codes the I-frame latent's
    channels in that many groups, each predicted from the ones before (`ChannelContext`), and
    `contextual_channel_groups` y's; 1, the default, as above. `motion_mean_prediction` codes the mean path's
    channels of the motion hyper-latent as differences from their left neighbours (needs `motion_mean_channels`);
    `motion_anchor_split` codes the motion checkerboard's anchors in two passes, the second from the first's
    diagonal neighbours (`DiagonalAnchorContext`; needs `motion_checkerboard`), and `motion_anchor_learned` adds a
    learned part to that diagonal context (needs `motion_anchor_split`); off, the defaults, as above.
    """

    name: str = "small"
    feature_channels: int = 32
    latent_channels: int = 64
    hyper_channels: int = 40
    motion_channels: int = 40
    motion_hyper_channels: int = 32
    motion_mean_channels: int = 0
    motion_mean_prediction: bool = False
    context_channels: int = 24
    intra_channels: int = 48
    intra_latent_channels: int = 64
    recon_channels: int = 16
    enhancement: bool = False
    contextual_block_path: bool = False
    contextual_residual_path: bool = False
    motion_checkerboard: bool = False
    motion_learned_context: bool = False
    motion_anchor_split: bool = False
    motion_anchor_learned: bool = False
    intra_checkerboard: bool = False
    contextual_checkerboard: bool = False
    adaptor_refinement: bool = False
    intra_channel_groups: int = 1
    contextual_channel_groups: int = 1
    num_rates: int = 4
    lambdas: tuple[float, ...] = (0.0018, 0.0035, 0.0067, 0.0130)
    pad_multiple: int = 64

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            smallest = 0 if f.name in _MAY_BE_ZERO else 1
            if f.type == "int" and (not isinstance(value, int) or value < smallest):
                kind = "a non-negative" if smallest == 0 else "a positive"
                raise ConfigError(f"codec config {self.name!r}: {f.name} must be {kind} integer, got {value!r}")
        if len(self.lambdas) != self.num_rates:
            raise ConfigError(
                f"codec config {self.name!r}: {len(self.lambdas)} lambdas given for {self.num_rates} rate points"
            )
        if self.num_rates < 1:
            raise ConfigError(f"codec config {self.name!r}: num_rates must be at least 1")
        for groups, channels in (("intra_channel_groups", "intra_latent_channels"),
                                 ("contextual_channel_groups", "latent_channels")):
            if getattr(self, channels) % getattr(self, groups):
                raise ConfigError(f"codec config {self.name!r}: {groups} ({getattr(self, groups)}) must divide "
                                  f"{channels} ({getattr(self, channels)})")
        if self.motion_mean_prediction and not self.motion_mean_channels:
            raise ConfigError(f"codec config {self.name!r}: motion_mean_prediction needs motion_mean_channels > 0")
        for option in ("motion_learned_context", "motion_anchor_split"):
            if getattr(self, option) and not self.motion_checkerboard:
                raise ConfigError(f"codec config {self.name!r}: {option} needs motion_checkerboard")
        if self.motion_anchor_learned and not self.motion_anchor_split:
            raise ConfigError(f"codec config {self.name!r}: motion_anchor_learned needs motion_anchor_split")

    def lambda_at(self, rate: float) -> float:
        """The training λ of a rate point; a fractional rate interpolates log λ, as `RateScales` does log q."""
        low, frac = rate_interval(rate, self.num_rates)
        if frac == 0:
            return self.lambdas[low]
        return math.exp((1 - frac) * math.log(self.lambdas[low]) + frac * math.log(self.lambdas[low + 1]))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "config") -> "CodecConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"{source}: unknown codec config keys {unknown}; known keys are {sorted(known)}")
        values = dict(values)
        if "lambdas" in values:
            values["lambdas"] = tuple(float(v) for v in values["lambdas"])
        return cls(**values)


CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs" / "codec"


def load_codec_config(name_or_path: str | Path) -> CodecConfig:
    """Load `configs/codec/<name>.py` (mmengine config with a `model` dict) or a given config file."""
    path = Path(name_or_path)
    if not path.suffix:
        path = CONFIG_DIR / f"{name_or_path}.py"
    if not path.is_file():
        raise ConfigError(f"codec config not found: {path}")
    from mmengine.config import Config

    try:
        cfg = Config.fromfile(str(path))
    except Exception as exc:  # mmengine raises many kinds of errors for a malformed file
        raise ConfigError(f"codec config {path}: cannot be read ({exc})") from exc
    if "model" not in cfg:
        raise ConfigError(f"codec config {path}: has no `model = dict(...)`")
    return CodecConfig.from_dict(cfg.model.to_dict(), source=str(path))
