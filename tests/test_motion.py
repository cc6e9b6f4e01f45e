"""Encoder-side motion search and the motion codec's hint path."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from vnvc.data.natural import NaturalClipDataset
from vnvc.layers import flow_warp
from vnvc.models import VideoCodec, load_codec_config
from vnvc.models.inter import FLOW_UNIT
from vnvc.models.motion_estimation import estimate_flow


@pytest.fixture(scope="module")
def photo_clips():
    return [NaturalClipDataset(16, 2, 128, 128, seed=5, with_flow=True)[i] for i in range(6)]


@pytest.mark.parametrize("dx, dy", [(2, -1), (-9, 6), (0, 0)])
def test_a_global_shift_is_found_exactly(photo_clips, dx, dy):
    reference = photo_clips[0][0][:1]
    current = torch.roll(reference, shifts=(-dy, -dx), dims=(-2, -1))  # current(i, j) = reference(i + dy, j + dx)
    flow = estimate_flow(current, reference)
    interior = flow[..., 24:-24, 24:-24]
    assert torch.all(interior[:, 0] == dx) and torch.all(interior[:, 1] == dy)


def test_camera_motion_is_compensated(photo_clips):
    copy_error = estimate_error = 0.0
    for clip, _ in photo_clips:
        reference, current = clip[:1], clip[1:2]
        copy_error += (current - reference).abs().mean().item()
        estimate_error += (current - flow_warp(reference, estimate_flow(current, reference))).abs().mean().item()
    assert estimate_error < 0.6 * copy_error


def test_a_fresh_motion_codec_codes_the_block_averaged_hint():
    torch.manual_seed(0)
    model = VideoCodec(load_codec_config("tiny"))
    motion = model.inter.motion
    x = torch.rand(1, 3, 64, 128)
    reference = torch.rand(1, model.feature_channels, 64, 128)
    hint = torch.stack([torch.linspace(-6, 6, 128).expand(64, 128), torch.full((64, 128), 2.0)])[None]
    coarse = F.interpolate(F.avg_pool2d(hint, 16), scale_factor=16, mode="bilinear", align_corners=False)
    latent = motion.analyse(x, reference, hint)
    assert torch.allclose(motion.synthesize(latent), coarse, atol=1e-5)
    # quantized at the finest rate point: within half a quantization step of the coarse hint
    step = float(motion.rate_scales(model.num_rates - 1).max()) * FLOW_UNIT
    flow, _ = motion(x, reference, hint, rate=model.num_rates - 1)
    assert (flow - coarse).abs().max() <= step / 2 + 1e-4 and step < 1.0


def test_large_frames_search_further():
    """A 512x576 frame gets a 5-level pyramid (±93 px), enough for a 60 px shift (4 levels reach ±45 px); flat
    areas of the photograph stay ambiguous, hence the 80 %."""
    reference = NaturalClipDataset(4, 1, 512, 576, seed=5)[0][:1]
    current = torch.roll(reference, shifts=(40, -60), dims=(-2, -1))  # flow (60, -40)
    interior = estimate_flow(current, reference)[..., 96:-96, 96:-96]
    assert ((interior[:, 0] == 60) & (interior[:, 1] == -40)).float().mean() > 0.8
    four_levels = estimate_flow(current, reference, levels=4)[..., 96:-96, 96:-96]
    assert ((four_levels[:, 0] == 60) & (four_levels[:, 1] == -40)).float().mean() < 0.1


def test_frames_off_the_search_grid_are_padded_and_cropped_back():
    clip, _ = NaturalClipDataset(4, 2, 100, 76, seed=2, with_flow=True)[0]
    assert estimate_flow(clip[1:], clip[:1]).shape == (1, 2, 100, 76)
