"""Training stages of the VNVC codec (the DCVC-TCM curriculum), each a module whose forward returns the loss.

Wrapping the stage (not the codec) in DistributedDataParallel keeps `forward` the single entry point DDP needs.

- `intra`: the I-frame codec and its feature adaptor, full RD loss.
- `inter_motion`: cross-domain motion coding; distortion of the reconstruction of the *warped* reference
  feature plus the motion rate (the motion codec starts out coding the encoder's block-matching hint; a first
  stage with `rate_weight=0` and `flow_weight` can teach it the clips' exact flow before the rate weighs in).
- `motion_entropy`: only the motion latent's entropy model (hyperprior, parameter fusion, mean path), fitted to
  the latents of the frozen motion encoder by their rate alone (bits per pixel). Cheap (no gradient through the
  networks), so it can take the many steps a grown or refitted entropy model needs before the full stages.
- `intra_entropy`, `contextual_entropy`: the same for the entropy model of the I-frame latent or of the
  contextual latent y (e.g. a grown checkerboard context; y's temporal prior stays as it is).
- `inter_reconstruction`: contextual coding and reconstruction, distortion only (motion frozen).
- `inter_contextual`: the same with the contextual rate.
- `inter_all`: every inter network, full RD loss, one P-frame.
- `cascade`: every inter network over several P-frames in a row, loss averaged (curbs error propagation).
- `joint`: the cascade plus a machine-task loss on each P-frame's F̂t from a trained, frozen detector (VNVC's
  joint human–machine fine-tuning; see `tasks.task_loss`), weighted by the stage's `task.weight`.
Every stage but `inter_reconstruction` (always distortion only) weighs the rate by the stage's `rate_weight`
(default 1). The I-frame codec is frozen in the inter stages: it only provides the first reference. A stage with
`contextual_noise` feeds the contextual decoder y plus uniform noise instead of rounded y
(`GaussianConditional.noisy_values`), meant to revive a contextual latent that rounds to zero everywhere. A stage
with `detach_contextual_rate` keeps the contextual rate's gradient away from the contextual encoder
(`HyperpriorLatentCoder.rate_reaches_input`): the entropy model fits y while the encoder learns from the distortion
alone, a warm-up in which the rate cannot drive y to zero before the decoder learns to use it.
A stage of `INTRA_FEATURE_STAGES` with `intra_feature` also trains the I-frame adaptor's refinement
(`AdaptorRefinement`, codec option `adaptor_refinement`): the first reference the P-frames see, which costs no bits.
An entropy stage with `relative_rate` minimizes the mean log of each clip's bits instead of the mean bits: every
clip and rate point weighs by its relative saving, the measure BD-rate takes, where the plain mean lets the high
rate points, which cost the most bits, lead. A stage with `charged_search` runs the encoder's motion search as
coding does, charging motion at each clip's rate point (`VideoCodec.encoder_hint`); without it the search matches
on the picture alone, as every shipped round trained.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers import flow_warp
from ..models import FrameOutput, VideoCodec
from ..models.inter import EncoderHint
from ..models.video_codec import likelihood_bits
from .losses import rd_loss

STAGES = ("intra", "intra_entropy", "inter_motion", "motion_entropy", "contextual_entropy", "inter_reconstruction",
          "inter_contextual", "inter_all", "cascade", "joint")
ENTROPY_STAGES = ("intra_entropy", "motion_entropy", "contextual_entropy")
INTRA_FEATURE_STAGES = ("inter_all", "cascade", "joint")
SEARCH_STAGES = tuple(s for s in STAGES if s not in ("intra", "intra_entropy"))  # those that run the motion search
STAGE_OPTIONS = {"relative_rate": ENTROPY_STAGES, "intra_feature": INTRA_FEATURE_STAGES,
                 "charged_search": SEARCH_STAGES}
# The keys of a training config's stage that `StageLoss` takes, each with how its value is read (defaults:
# `StageLoss`'s own).
LOSS_OPTIONS = {"rate_weight": float, "flow_weight": float, "contextual_noise": bool, "detach_contextual_rate": bool,
                "relative_rate": bool, "intra_feature": bool, "charged_search": bool}


def trainable_parameters(model: VideoCodec, stage: str, intra_feature: bool = False) -> list[nn.Parameter]:
    """The parameters a stage updates; with `intra_feature` (see `StageLoss`) the adaptor's refinement too."""
    if intra_feature:
        _check_intra_feature(model, stage)
        return trainable_parameters(model, stage) + list(model.intra.adaptor_refinement.parameters())
    if stage == "intra":
        return list(model.intra.parameters())
    if stage == "inter_motion":
        return list(model.inter.motion.parameters()) + list(model.reconstruction.parameters())
    if stage == "motion_entropy":
        return list(model.inter.motion.latent.parameters())
    if stage == "intra_entropy":
        return list(model.intra.latent.parameters())
    if stage == "contextual_entropy":
        return list(model.inter.latent.parameters())
    if stage in ("inter_reconstruction", "inter_contextual"):
        motion = set(model.inter.motion.parameters())
        inter = [p for p in model.inter.parameters() if p not in motion]
        return inter + list(model.reconstruction.parameters())
    enhancement = list(model.enhancement.parameters()) if model.enhancement is not None else []
    return list(model.inter.parameters()) + list(model.reconstruction.parameters()) + enhancement


def _check_intra_feature(model: VideoCodec, stage: str) -> None:
    if stage not in INTRA_FEATURE_STAGES:
        raise ValueError(f"intra_feature is an option of the stages {INTRA_FEATURE_STAGES}, not of {stage!r}")
    if model.intra.adaptor_refinement is None:
        raise ValueError("intra_feature trains the I-frame adaptor's refinement: the codec needs adaptor_refinement")


class StageLoss(nn.Module):
    """forward(clip (N, T, 3, H, W), rates (N,), targets) -> dict of losses for one stage.

    `targets` are, for the `joint` stage, the clip's boxes and labels per frame: ([N x (k, 4)], [N x (k,)]) for
    each frame t, scored by `task` (a module mapping (features, boxes, labels) to a loss) with weight `task_weight`;
    for the other stages, the clips' true backward flows (N, T, 2, H, W), which the `inter_motion` stage compares
    with the decoded flow (mean absolute error in pixels, weight `flow_weight`; 0 turns the term off).
    """

    def __init__(self, model: VideoCodec, stage: str, *, task: nn.Module | None = None, task_weight: float = 1.0,
                 rate_weight: float = 1.0, flow_weight: float = 0.0, contextual_noise: bool = False,
                 detach_contextual_rate: bool = False, relative_rate: bool = False, intra_feature: bool = False,
                 charged_search: bool = False):
        super().__init__()
        if stage not in STAGES:
            raise ValueError(f"unknown training stage {stage!r}; stages are {STAGES}")
        for option, value in (("relative_rate", relative_rate), ("charged_search", charged_search)):
            if value and stage not in STAGE_OPTIONS[option]:
                raise ValueError(f"{option} is an option of the stages {STAGE_OPTIONS[option]}, not of {stage!r}")
        if intra_feature:
            _check_intra_feature(model, stage)
        if (stage == "joint") != (task is not None):
            raise ValueError("the joint stage, and only it, takes a task loss")
        self.model = model
        self.stage = stage
        self.task = task
        self.task_weight = task_weight
        self.rate_weight = 0.0 if stage == "inter_reconstruction" else rate_weight
        self.flow_weight = flow_weight
        self.contextual_noise = contextual_noise
        self.detach_contextual_rate = detach_contextual_rate
        self.relative_rate = relative_rate
        self.intra_feature = intra_feature
        self.charged_search = charged_search
        self.register_buffer("lambdas", torch.tensor(model.config.lambdas, dtype=torch.float32), persistent=False)

    def forward(self, clip: torch.Tensor, rates: torch.Tensor, targets: list | torch.Tensor | None = None
                ) -> dict[str, torch.Tensor]:
        """The stage's losses plus `aux`, the quantile fit of every factorized prior (inside forward for DDP)."""
        self.model.inter.latent.conditional.noisy_values = self.contextual_noise
        self.model.inter.latent.rate_reaches_input = not self.detach_contextual_rate
        losses = self._stage_losses(clip, rates, targets)
        losses["aux"] = sum(m.aux_loss() for m in self.model.modules() if hasattr(m, "aux_loss"))
        return losses

    def _stage_losses(self, clip: torch.Tensor, rates: torch.Tensor, targets: list | torch.Tensor | None
                      ) -> dict[str, torch.Tensor]:
        lambdas = self.lambdas[rates]
        if self.stage == "intra":
            return rd_loss(self.model.forward_intra(clip[:, 0], rates), clip[:, 0], lambdas, self.rate_weight)
        if self.stage == "intra_entropy":
            intra = self.model.intra
            with torch.no_grad():
                latent = intra.latent_of(clip[:, 0], rate=rates)
            return self._entropy_loss(intra.latent, latent, clip.shape[-2] * clip.shape[-1])
        with torch.no_grad():
            pixels, _ = self.model.intra(clip[:, 0], rate=rates)
        with torch.set_grad_enabled(self.intra_feature and torch.is_grad_enabled()):
            reference = self.model.intra.feature(pixels)
        if self.stage == "inter_motion":
            return self._motion_loss(clip[:, 1], reference, rates, lambdas, targets)
        if self.stage == "motion_entropy":
            return self._motion_entropy_loss(clip[:, 1], reference, rates)
        if self.stage == "contextual_entropy":
            x = clip[:, 1]
            with torch.no_grad():
                _, y, prior = self.model.inter.latents_and_prior(x, reference, self._hint(x, reference, rates),
                                                                 rates)
            return self._entropy_loss(self.model.inter.latent, y, x.shape[-2] * x.shape[-1], prior)
        frames = clip.shape[1] if self.stage in ("cascade", "joint") else 2
        totals: dict[str, torch.Tensor] = {}
        for t in range(1, frames):
            output = self.model.forward_inter(clip[:, t], reference, rates, self._hint(clip[:, t], reference, rates))
            losses = rd_loss(output, clip[:, t], lambdas, self.rate_weight)
            if self.task is not None:
                losses["task"] = self.task(output.feature, *targets[t])
                losses["loss"] = losses["loss"] + self.task_weight * losses["task"]
            for key, value in losses.items():
                totals[key] = totals.get(key, 0) + value / (frames - 1)
            reference = output.feature
        return totals

    def _hint(self, x: torch.Tensor, reference: torch.Tensor, rates: torch.Tensor) -> EncoderHint:
        return self.model.encoder_hint(x, reference, rates if self.charged_search else None)

    def _motion_entropy_loss(self, x, reference, rates) -> dict[str, torch.Tensor]:
        motion = self.model.inter.motion
        with torch.no_grad():
            latent = motion.latent_of(x, reference, self._hint(x, reference, rates).flow, rate=rates)
        return self._entropy_loss(motion.latent, latent, x.shape[-2] * x.shape[-1])

    def _entropy_loss(self, coder: nn.Module, latent: torch.Tensor, pixels: int, prior: torch.Tensor | None = None
                      ) -> dict[str, torch.Tensor]:
        """The rate of a fixed latent under its entropy model, in bits per pixel (the entropy stages' loss), or
        with `relative_rate` the mean of its log2 per clip."""
        _, likelihoods = coder(latent, prior)
        bpp = likelihood_bits(likelihoods) / pixels
        rate = torch.log2(bpp).mean() if self.relative_rate else bpp.mean()
        return {"loss": self.rate_weight * rate, "bpp": bpp.mean().detach()}

    def _motion_loss(self, x, reference, rates, lambdas, flows) -> dict[str, torch.Tensor]:
        motion = self.model.inter.motion
        flow, likelihoods = motion(x, reference, self._hint(x, reference, rates).flow, rate=rates)
        warped = self.model.reconstruction(flow_warp(reference, flow))
        losses = rd_loss(FrameOutput(warped, reference, likelihoods), x, lambdas, self.rate_weight)
        if self.flow_weight > 0:
            if flows is None:
                raise ValueError("flow_weight needs the clips' true flows")
            losses["flow"] = (flow - flows[:, 1]).abs().mean()
            losses["loss"] = losses["loss"] + self.flow_weight * losses["flow"]
        return losses
