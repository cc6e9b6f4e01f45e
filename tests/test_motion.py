"""Encoder-side motion search and the motion codec's hint path."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from vnvc.data.natural import NaturalClipDataset
from vnvc.layers import flow_warp
from vnvc.models import VideoCodec, load_codec_config
from vnvc.models.inter import FLOW_UNIT
from vnvc.models.motion_estimation import MOTION_COST, _search, estimate_flow, motion_cost_at


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


@pytest.mark.parametrize("brightness", [0.03, -0.04])
def test_a_global_shift_is_found_exactly_through_a_change_of_brightness(photo_clips, brightness):
    """The whole frame brightens or darkens by 8-10 grey levels as it moves: a plain mean absolute difference
    would take flows that offset the change along the photographs' gradients, pixels off (round 28's search strayed
    in 3 to 100 % of these blocks, by 7 to 55 pixels); the match cost weighs the change at a quarter."""
    for clip, _ in photo_clips[:3]:
        reference = 0.05 + 0.9 * clip[:1]
        for dx, dy in ((3, 2), (-9, 6)):
            current = torch.roll(reference, shifts=(-dy, -dx), dims=(-2, -1)) + brightness
            interior = estimate_flow(current, reference)[..., 24:-24, 24:-24]
            assert torch.all(interior[:, 0] == dx) and torch.all(interior[:, 1] == dy)


def test_camera_motion_is_compensated(photo_clips):
    copy_error = estimate_error = 0.0
    for clip, _ in photo_clips:
        reference, current = clip[:1], clip[1:2]
        copy_error += (current - reference).abs().mean().item()
        estimate_error += (current - flow_warp(reference, estimate_flow(current, reference))).abs().mean().item()
    assert estimate_error < 0.6 * copy_error


def _shifted_pair_with_flat_patch(photo: torch.Tensor, dx: int, dy: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A photograph and its copy shifted by (dx, dy), both with a flat grey 16x16 patch (2x2 blocks) carrying
    faint noise of its own in each frame: there every candidate flow matches about equally well."""
    generator = torch.Generator().manual_seed(3)
    reference = photo.clone()
    current = torch.roll(reference, shifts=(-dy, -dx), dims=(-2, -1))  # current(i, j) = reference(i + dy, j + dx)
    current[..., 56:72, 56:72] = 0.5 + 0.01 * torch.rand(1, 3, 16, 16, generator=generator)
    reference[..., 56 + dy:72 + dy, 56 + dx:72 + dx] = 0.5 + 0.01 * torch.rand(1, 3, 16, 16, generator=generator)
    return current, reference


def test_smoothing_gives_ambiguous_blocks_their_neighbours_flow(photo_clips):
    current, reference = _shifted_pair_with_flat_patch(photo_clips[0][0][:1], 3, 2)
    patch = (slice(None), slice(None), slice(56, 72), slice(56, 72))
    raw = estimate_flow(current, reference, smoothing_rounds=0)[patch]
    assert ((raw[:, 0] != 3) | (raw[:, 1] != 2)).any()  # the bare search scatters there
    smoothed = estimate_flow(current, reference)[patch]
    assert torch.all(smoothed[:, 0] == 3) and torch.all(smoothed[:, 1] == 2)


def test_the_motion_cost_alone_gives_ambiguous_blocks_their_neighbours_flow(photo_clips):
    """Without smoothing, the search's motion cost (a candidate's distance from its neighbours' median, charged
    against its match) keeps the flat patch within a quarter pixel of the photograph's flow (the sub-pixel steps
    still follow the patch's noise), where the bare search strays by pixels."""
    current, reference = _shifted_pair_with_flat_patch(photo_clips[0][0][:1], 3, 2)
    true_flow = torch.tensor([3.0, 2.0]).view(1, 2, 1, 1)
    bare = estimate_flow(current, reference, smoothing_rounds=0)[..., 56:72, 56:72]
    charged = estimate_flow(current, reference, smoothing_rounds=0, motion_cost=MOTION_COST)[..., 56:72, 56:72]
    assert (bare - true_flow).abs().max() > 1
    assert (charged - true_flow).abs().max() <= 0.25


def test_a_charged_search_counts_from_the_predictor_it_is_given(photo_clips):
    """`estimate_flow` gives each level's search the parent level's flow interpolated bilinearly as the predictor,
    so that a zoom's or a rotation's smoothly varying flow is not charged for differing from its parent block's
    (round 31). With a price no match difference can outweigh, every block takes the candidate nearest it; without
    a predictor, the candidate nearest its neighbours' median flow."""
    luma = photo_clips[0][0][:1].mean(dim=1, keepdim=True)
    flow = torch.zeros(1, 2, 16, 16)
    columns = torch.linspace(-2.6, 2.6, 16).view(1, 1, 16).expand(1, 16, 16)
    predictor = torch.stack([columns, torch.full((1, 16, 16), 1.4)], dim=1)
    price = torch.tensor(1e3).view(1, 1, 1, 1)
    assert torch.equal(_search(luma, luma, flow, 3, 1.0, 8, price, predictor), torch.round(predictor))
    assert torch.equal(_search(luma, luma, flow, 3, 1.0, 8, price), flow)


def test_coarse_levels_pass_sub_pixel_flows_to_the_finer_ones(photo_clips):
    """Each level but the finest refines its flow by fractions of its pixels (`coarse_subpel`, round 32), and the
    finer levels search around that: a shift of (-2.5, 0.5) pixels, (-1.25, 0.25) at half resolution, is found
    exactly by the finest level's integer search alone, which otherwise can only land on whole pixels."""
    for clip, _ in photo_clips[:3]:
        reference = clip[:1]
        true_flow = torch.tensor([-2.5, 0.5]).view(1, 2, 1, 1).expand(1, 2, 128, 128)
        current = flow_warp(reference, true_flow)
        interior = estimate_flow(current, reference, subpel=())[..., 24:-24, 24:-24]
        assert torch.all(interior[:, 0] == -2.5) and torch.all(interior[:, 1] == 0.5)
        whole = estimate_flow(current, reference, subpel=(), coarse_subpel=())
        assert torch.equal(whole, whole.round())


def test_a_batch_charges_each_frame_its_own_motion_cost(photo_clips):
    """Training charges each clip of a batch at its own rate point: frame by frame, the batched search equals the
    search of that frame alone at its cost."""
    pair = _shifted_pair_with_flat_patch(photo_clips[0][0][:1], 3, 2)
    current, reference = (torch.cat([frame, frame]) for frame in pair)
    batched = estimate_flow(current, reference, smoothing_rounds=0, motion_cost=torch.tensor([0.0, MOTION_COST]))
    for i, cost in enumerate((0.0, MOTION_COST)):
        assert torch.equal(batched[i:i + 1], estimate_flow(*pair, smoothing_rounds=0, motion_cost=cost))
    assert not torch.equal(batched[0], batched[1])


def test_smoothing_keeps_a_moving_object_that_the_frame_pins_down(photo_clips):
    """A 32x32 object of strong texture (smooth noise of full contrast) moving by (-4, 1) over a photograph moving
    by (3, 2) keeps its own flow: there the neighbours' flow would match far worse."""
    generator = torch.Generator().manual_seed(4)
    texture = F.interpolate(torch.rand(1, 3, 8, 8, generator=generator), size=(50, 50), mode="bicubic")
    reference = photo_clips[0][0][:1].clone()
    reference[..., 40:90, 40:90] = (texture - texture.min()) / (texture.max() - texture.min())
    current = torch.roll(reference, shifts=(-2, -3), dims=(-2, -1))
    current[..., 48:80, 48:80] = reference[..., 49:81, 44:76]  # current(i, j) = reference(i + 1, j - 4)
    for rounds, motion_cost in ((0, 0.0), (8, 0.0), (8, MOTION_COST)):
        flow = estimate_flow(current, reference, smoothing_rounds=rounds, motion_cost=motion_cost)
        assert torch.all(flow[:, 0, 48:80, 48:80] == -4) and torch.all(flow[:, 1, 48:80, 48:80] == 1)


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


def test_the_motion_cost_falls_with_the_rate_points_lambda():
    assert motion_cost_at(0.0018, 0.0018) == MOTION_COST
    assert motion_cost_at(0.0036, 0.0018) == pytest.approx(MOTION_COST / 2)
    config = load_codec_config("small")
    costs = [motion_cost_at(config.lambda_at(rate), config.lambdas[0]) for rate in (0, 0.5, 1, 2, 3)]
    assert costs == sorted(costs, reverse=True) and costs[-1] < 0.2 * costs[0]
