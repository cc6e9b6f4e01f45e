"""The hyperprior latent coder: scales that a training run drove far below the coder's minimum can grow back."""

from __future__ import annotations

import pytest
import torch

from vnvc.models.latent_coding import HyperpriorLatentCoder


def _coder_with_dead_scales(raw_scale: float) -> HyperpriorLatentCoder:
    """A coder whose last fusion layer puts every raw scale at `raw_scale` (means at 0), whatever its input."""
    torch.manual_seed(0)
    coder = HyperpriorLatentCoder(latent_channels=4, hyper_channels=4)
    last = coder.param_fusion[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()
        last.bias[4:] = raw_scale
    return coder


@pytest.mark.parametrize("raw_scale", [-75.0, -3.0, -2.0, 0.5, 4.0])
def test_scales_are_the_floored_softplus(raw_scale):
    """What the coder sees is unchanged by where the floor is applied: max(softplus(raw), scale_min)."""
    coder = _coder_with_dead_scales(raw_scale).eval()
    means, scales = coder._params(torch.zeros(1, 4, 2, 2), None)
    expected = max(torch.nn.functional.softplus(torch.tensor(raw_scale)).item(), coder.conditional.scale_min)
    assert torch.allclose(scales, torch.full_like(scales, expected))
    assert torch.equal(means, torch.zeros_like(means))


def test_a_scale_far_below_the_floor_grows_when_symbols_are_not_zero():
    """Symbols of ±1 under a scale at the floor cost ~18 bits each: the rate must pull the scale up even from a raw
    value where the softplus has no gradient left (the trap round 4's motion latent fell into)."""
    coder = _coder_with_dead_scales(-75.0).train()
    y = torch.ones(2, 4, 8, 8)
    y[:, :, ::2] = -1
    _, likelihoods = coder(y)
    (-torch.log2(likelihoods["y"]).sum()).backward()
    scale_bias_grad = coder.param_fusion[-1].bias.grad[4:]
    # gradient descent raises every raw scale, at the pace it would from the floor itself (no vanishing softplus)
    assert (scale_bias_grad < -1.0).all()


def test_all_zero_symbols_do_not_push_the_scale_further_down():
    coder = _coder_with_dead_scales(-75.0).train()
    _, likelihoods = coder(torch.zeros(2, 4, 8, 8))
    (-torch.log2(likelihoods["y"]).sum()).backward()
    assert (coder.param_fusion[-1].bias.grad[4:] <= 0).all()
