"""Encoder-side motion search: a coarse-to-fine block matcher that hints the motion encoder.

The decoder never runs this: it only sees the coded motion latent. Like a classic encoder's motion search, the
matcher compares the current frame with the decoded reference frame (here the reconstruction of F̂(t-1)) and
gives the motion encoder a backward flow to code, so that the learned motion codec starts from a working
estimate instead of having to discover correlation on its own (docs/ARCHITECTURE.md, "Where we departed").

Like a classic encoder's rate-constrained search, it also prefers flows that are cheap to code: each candidate's
match cost carries a motion cost, `motion_cost` times its distance from the parent level's flow interpolated
bilinearly at the block (the predictor, as a classic encoder charges a vector's difference from its predictor; a
zoom or a rotation, whose flow varies smoothly, is charged little for it); each coarse level refines its flow by
fractions of its own pixels, so that the finer levels search around flows their parents' whole pixels cannot
hold; and at every level a block whose match barely depends on its flow (flat areas, occlusions, the frame's
edges) takes the median flow of its neighbours (`smooth_flow`), so the field the motion codec codes is free of the
search's random outliers. The match cost weighs a block's mean difference (a change of brightness) at a quarter of
the rest, so a brightness drift over a gradient cannot pull the flow away from the true match (`_block_cost`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..layers import flow_warp
from ..precision import in_float32


# Match cost (`_block_cost`, luma in [0, 1]) a candidate may give up per pixel of distance from its predictor,
# at a codec's lowest rate point; `motion_cost_at` scales it to the others (docs/ARCHITECTURE.md, round 27).
MOTION_COST = 0.002

# Match cost (`_block_cost`, luma in [0, 1]) within which a block takes its neighbours' median flow (`smooth_flow`):
# 3 grey levels (0.008, 2 grey levels, until round 27; docs/ARCHITECTURE.md, round 28).
SMOOTHING_TOLERANCE = 0.012

# Weight of a block's mean luma difference in its match cost, against 1 for the difference left once that mean is
# taken out: a brightness change costs the contextual coder little, so the search must not trade a true match for a
# flow that offsets it along a gradient (a plain mean absolute difference, weight 1, until round 28;
# docs/ARCHITECTURE.md, round 29).
BRIGHTNESS_WEIGHT = 0.25


# Factor by which a coarse level's sub-pixel steps are charged more per pixel of its own for each halving of the
# frame: between the level's pixels (1: a flat clip's field strays, +15 % on it) and the frame's (2: the textured
# clips gain less) (docs/ARCHITECTURE.md, round 32).
COARSE_PRICE_PER_HALVING = 2 ** 0.5


def motion_cost_at(lmbda: float, lowest_lmbda: float) -> float:
    """The search's `motion_cost` at a rate point trained with λ `lmbda`: `MOTION_COST` at the codec's lowest λ,
    falling in proportion to λ above it (a higher rate point pays more bits for a better match)."""
    return MOTION_COST * lowest_lmbda / lmbda


def _luma(x: torch.Tensor) -> torch.Tensor:
    return (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]).float()


def _block_cost(current: torch.Tensor, reference: torch.Tensor, flow: torch.Tensor, block: int) -> torch.Tensor:
    """Match cost per block between `current` and `reference` warped by the block `flow`: the mean absolute luma
    difference once the block's mean difference is taken out, plus `BRIGHTNESS_WEIGHT` times that mean's size."""
    warped = flow_warp(reference, F.interpolate(flow, scale_factor=block, mode="nearest"))
    difference = current - warped
    brightness = F.avg_pool2d(difference, block)
    texture = F.avg_pool2d((difference - F.interpolate(brightness, scale_factor=block, mode="nearest")).abs(), block)
    return texture + BRIGHTNESS_WEIGHT * brightness.abs()


def _search(current: torch.Tensor, reference: torch.Tensor, flow: torch.Tensor, radius: int, step: float,
            block: int, motion_cost: torch.Tensor | None = None, predictor: torch.Tensor | None = None
            ) -> torch.Tensor:
    """Block flow (N, 2, H/block, W/block): per block, the candidate `flow` + step·(dx, dy), |dx|, |dy| <= radius,
    whose warp of `reference` matches `current` best over the block (`_block_cost` plus `motion_cost` (None, or
    one per sample, (N, 1, 1, 1)) per pixel of the candidate's L1 distance from `predictor` (default: the median
    of `flow` around the block); ties go to the smaller change)."""
    offsets = sorted(((dx, dy) for dy in range(-radius, radius + 1) for dx in range(-radius, radius + 1)),
                     key=lambda d: (abs(d[0]) + abs(d[1]), d))
    if motion_cost is None:
        predictor = None  # only a charged search needs one
    elif predictor is None:
        predictor = _neighbourhood_median(flow)
    best_cost, best = torch.full_like(flow[:, :1], float("inf")), flow
    for dx, dy in offsets:  # one candidate at a time: memory stays at a few frames even at 1080p
        candidate = flow + step * torch.tensor([dx, dy], dtype=flow.dtype, device=flow.device).view(1, 2, 1, 1)
        cost = _block_cost(current, reference, candidate, block)
        if predictor is not None:
            cost = cost + motion_cost * (candidate - predictor).abs().sum(dim=1, keepdim=True)
        better = cost < best_cost
        best_cost = torch.where(better, cost, best_cost)
        best = torch.where(better, candidate, best)
    return best


def _neighbourhood_median(flow: torch.Tensor) -> torch.Tensor:
    """Per block and component, the median of the 3x3 blocks around it (edge blocks repeat the edge)."""
    n, c, h, w = flow.shape
    padded = F.pad(flow.reshape(n * c, 1, h, w), (1, 1, 1, 1), mode="replicate")
    return F.unfold(padded, 3).reshape(n, c, 9, h, w).median(dim=2).values


def smooth_flow(current: torch.Tensor, reference: torch.Tensor, flow: torch.Tensor, block: int, tolerance: float,
                rounds: int) -> torch.Tensor:
    """Block `flow` with each block's flow replaced by its neighbourhood's median wherever that matches within
    `tolerance` (of `_block_cost`, luma in [0, 1]) as well; repeated up to `rounds` times, so that runs of outliers
    are absorbed from their edges inwards."""
    cost = _block_cost(current, reference, flow, block)
    for _ in range(rounds):
        median = _neighbourhood_median(flow)
        median_cost = _block_cost(current, reference, median, block)
        take = (median_cost <= cost + tolerance) & (median != flow).any(dim=1, keepdim=True)
        if not take.any():
            break
        flow = torch.where(take, median, flow)
        cost = torch.where(take, median_cost, cost)  # each block's cost follows its flow: no warp to recompute it
    return flow


def pyramid_levels(height: int, width: int, block: int = 8, min_levels: int = 4, max_levels: int = 6) -> int:
    """Levels for a frame: as many halvings as keep at least four blocks across the shorter side at the
    coarsest level, within [min_levels, max_levels] (4 below 512-pixel sides, 5 below 1,024, 6 at 1080p:
    ±189 px of search)."""
    levels = min_levels
    while levels < max_levels and min(height, width) >> levels >= 4 * block:
        levels += 1
    return levels


@torch.no_grad()
@in_float32
def estimate_flow(current: torch.Tensor, reference: torch.Tensor, levels: int | None = None, radius: int = 3,
                  block: int = 8, subpel: tuple[float, ...] = (0.5, 0.25),
                  coarse_subpel: tuple[float, ...] = (0.5, 0.25), tolerance: float = SMOOTHING_TOLERANCE,
                  smoothing_rounds: int = 8, motion_cost: float | torch.Tensor = 0.0) -> torch.Tensor:
    """Backward flow (N, 2, H, W) in pixels such that `flow_warp(reference, flow)` approximates `current`.

    Images (N, 3, H, W) in [0, 1]. Block matching over a pyramid of `levels` halvings (default: `pyramid_levels`):
    at each level one flow per `block`×`block` block, searched in full over ±`radius` pixels around the flow of its
    parent block (so up to ±radius·(2^levels − 1) pixels in all), each candidate charged `motion_cost` per pixel
    of its distance from the parent level's flow interpolated bilinearly at the block (in the level's pixels; one
    value, or one per frame; 0 turns it off). Every level but the finest then refines its flow by each step of
    `coarse_subpel` (in the level's pixels), charged from the same predictor at `motion_cost` times
    `COARSE_PRICE_PER_HALVING` per halving, so that the finer levels search around flows finer than the coarse
    levels' pixels; the finest level refines by each step of `subpel`, charged for its distance from its
    neighbourhood's median flow. The flow is smoothed (`smooth_flow` with `tolerance` and `smoothing_rounds`; 0
    rounds turn it off) after each level's search, so that no level passes an outlier on to the finer ones, where
    it would grow into a run of wrong blocks, and once more at the end (docs/ARCHITECTURE.md). The result is
    constant over blocks.
    Frames are edge-padded to a multiple of block·2^(levels-1) for the search and the flow cropped back.
    """
    height, width = current.shape[-2:]
    levels = levels or pyramid_levels(height, width, block)
    multiple = block * 2 ** (levels - 1)
    padding = (0, -width % multiple, 0, -height % multiple)
    cur = F.pad(_luma(current), padding, mode="replicate")
    ref = F.pad(_luma(reference), padding, mode="replicate")
    pyramid = [(cur, ref)]
    for _ in range(levels - 1):
        cur, ref = F.avg_pool2d(cur, 2), F.avg_pool2d(ref, 2)
        pyramid.append((cur, ref))
    flow = cur.new_zeros(cur.shape[0], 2, cur.shape[-2] // block, cur.shape[-1] // block)
    cost = torch.as_tensor(motion_cost, dtype=flow.dtype, device=flow.device).reshape(-1, 1, 1, 1)
    cost = cost if bool(cost.any()) else None
    for level, (cur, ref) in enumerate(reversed(pyramid)):
        predictor = None  # the coarsest level's flow starts at zero, its own median
        if level:
            predictor = 2 * F.interpolate(flow, scale_factor=2, mode="bilinear", align_corners=False)
            flow = 2 * F.interpolate(flow, scale_factor=2, mode="nearest")
        flow = _search(cur, ref, flow, radius, 1.0, block, cost, predictor)
        halvings = levels - 1 - level
        if halvings:
            price = None if cost is None else cost * COARSE_PRICE_PER_HALVING ** halvings
            for step in coarse_subpel:
                flow = _search(cur, ref, flow, 1, step, block, price, predictor)
        flow = smooth_flow(cur, ref, flow, block, tolerance, smoothing_rounds)
    for step in subpel:
        flow = _search(cur, ref, flow, 1, step, block, cost)
    flow = smooth_flow(cur, ref, flow, block, tolerance, smoothing_rounds)
    flow = F.interpolate(flow, scale_factor=block, mode="nearest")[..., :height, :width]
    return flow.to(current.dtype)
