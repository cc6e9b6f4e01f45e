"""Encoder-side latent refinement: content-adaptive encoding with a trained codec.

The analysis transforms give latents that are good on average over the training data, and the motion codec starts
from block matching, which knows nothing of rate or of what the decoder makes of a flow. Refinement treats one
frame's rate-scaled latents as free variables and lowers that frame's own rate–distortion cost

    J = bits / pixels + λ · 255² · MSE      (λ: the rate point's training λ; bits and MSE over the picture,
                                             the padding left out)

by gradient steps through the decoder, as in content-adaptive image compression (Campos et al., CVPR-W 2019; Yang
et al., NeurIPS 2020). Only the encoder changes: refined latents are coded like any others, so every decoder of the
checkpoint reads the stream, and decoding costs nothing more.

A step uses the training surrogate (entropy models in training mode: a noisy rate, rounded values with a
straight-through gradient). Every `check_every` steps the latents are scored with real rounding, and the best
seen, the analysis transforms' own included, is what gets coded: refinement never raises a frame's estimated cost.
The noise comes from a generator seeded per frame, so encoding stays deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from .entropy.base import EntropyModel
from .errors import InputError
from .models import FrameOutput, VideoCodec
from .train.losses import rd_loss

Latents = tuple[torch.Tensor, ...]


@contextmanager
def _entropy_models_training(model: torch.nn.Module, training: bool) -> Iterator[None]:
    """Put the entropy models of `model` in training (surrogate) or eval (real rounding) mode for a while."""
    entropy_models = [m for m in model.modules() if isinstance(m, EntropyModel)]
    modes = [m.training for m in entropy_models]
    for m in entropy_models:
        m.train(training)
    try:
        yield
    finally:
        for m, mode in zip(entropy_models, modes):
            m.train(mode)


@dataclass(frozen=True)
class LatentRefinement:
    """How the encoder refines each frame's latents: `steps` Adam steps (0: off) at learning rate `intra_lr` for
    the I-frame latent, `motion_lr` and `contextual_lr` for a P-frame's two latents, in units of a quantization
    step. The P-frame's latents take their own rates: most of y's symbols are zero, and a step of 0.1 on each turns
    many into ±1 within a few steps (J 2.5-5x its start on the held-out clips), while the motion latent gains from
    steps three times y's (docs/ARCHITECTURE.md, round 26)."""

    steps: int = 20
    intra_lr: float = 0.005
    motion_lr: float = 0.03
    contextual_lr: float = 0.01
    check_every: int = 5

    def __post_init__(self) -> None:
        if self.steps < 0 or self.check_every < 1:
            raise InputError(f"refinement needs steps >= 0 and check_every >= 1, got {self.steps}, {self.check_every}")
        rates = (self.intra_lr, self.motion_lr, self.contextual_lr)
        if min(rates) <= 0:
            raise InputError(f"refinement learning rates must be positive, got {rates}")

    def intra(self, model: VideoCodec, x: torch.Tensor, rate: float, size: tuple[int, int]) -> torch.Tensor:
        """The I-frame latent to code for the padded frame `x` whose picture is its top-left `size` (h, w)."""

        def cost(latents: Latents) -> torch.Tensor:
            pixels, likelihoods = model.intra(rate=rate, latent=latents[0])
            return _frame_cost(model, FrameOutput(pixels, pixels, likelihoods), x, rate, size)

        with _outside_inference_mode():
            x = x.clone()
            with torch.no_grad():
                start = (model.intra.latent_of(x, rate=rate),)
            (latent,) = self._minimize(model, start, cost, (self.intra_lr,))
        return latent

    def inter(
        self, model: VideoCodec, x: torch.Tensor, reference: torch.Tensor, rate: float, size: tuple[int, int]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The (motion, contextual) latents to code for the padded frame `x` against `reference`."""

        def cost(latents: Latents) -> torch.Tensor:
            feature, likelihoods = model.inter(x, reference, None, rate, latents=latents)
            return _frame_cost(model, FrameOutput(model.reconstruction(feature), feature, likelihoods), x, rate, size)

        with _outside_inference_mode():
            x, reference = x.clone(), reference.clone()
            with torch.no_grad():
                start = model.inter_latents(x, reference, rate)
            motion, contextual = self._minimize(model, start, cost, (self.motion_lr, self.contextual_lr))
        return motion, contextual

    def _minimize(
        self, model: VideoCodec, start: Latents, cost: Callable[[Latents], torch.Tensor], lrs: tuple[float, ...]
    ) -> Latents:
        """The lowest-J latents seen from `start`, each latent stepped at its own learning rate in `lrs`."""
        latents = tuple(t.clone().requires_grad_() for t in start)
        optimizer = torch.optim.Adam([{"params": [t], "lr": lr} for t, lr in zip(latents, lrs)])
        best, best_cost = start, self._score(model, latents, cost)
        device = start[0].device
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(0)
            for step in range(1, self.steps + 1):
                with _entropy_models_training(model, True):
                    surrogate = cost(latents)
                grads = torch.autograd.grad(surrogate, latents)
                for t, g in zip(latents, grads):
                    t.grad = g
                optimizer.step()
                if step % self.check_every == 0 or step == self.steps:
                    score = self._score(model, latents, cost)
                    if score < best_cost:
                        best, best_cost = tuple(t.detach().clone() for t in latents), score
        return best

    @staticmethod
    def _score(model: VideoCodec, latents: Latents, cost: Callable[[Latents], torch.Tensor]) -> float:
        """J with real rounding and the entropy models' estimate."""
        with torch.no_grad(), _entropy_models_training(model, False):
            return float(cost(latents))


def _frame_cost(
    model: VideoCodec, output: FrameOutput, x: torch.Tensor, rate: float, size: tuple[int, int]
) -> torch.Tensor:
    """J of one frame on its picture area (the padding is neither shown nor measured)."""
    h, w = size
    cropped = FrameOutput(output.pixels[..., :h, :w], output.feature, output.likelihoods)
    lam = torch.tensor([model.config.lambda_at(rate)], device=x.device)
    return rd_loss(cropped, x[..., :h, :w], lam)["loss"]


@contextmanager
def _outside_inference_mode() -> Iterator[None]:
    """Gradients even inside the encoder's inference mode (tensors made there must be cloned here first)."""
    with torch.inference_mode(False), torch.enable_grad():
        yield
