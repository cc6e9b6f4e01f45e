"""Shared fixtures: a tiny untrained codec (real networks, real entropy coder) and small test clips."""

from __future__ import annotations

import numpy as np
import pytest

from vnvc.zoo import load_model


@pytest.fixture(scope="session")
def tiny_model():
    return load_model("config:tiny")


def moving_clip(frames: int, height: int, width: int, seed: int = 0) -> list[np.ndarray]:
    """A smooth textured pattern drifting right and down: easy to predict, not trivial to code."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(height + 2 * frames + 8, width + 2 * frames + 8, 3)).astype(np.float32)
    kernel = np.ones(5, dtype=np.float32) / 5
    for axis in (0, 1):
        base = np.apply_along_axis(lambda v: np.convolve(v, kernel, mode="same"), axis, base)
    return [base[2 * t: 2 * t + height, t: t + width].clip(0, 255).astype(np.uint8) for t in range(frames)]


@pytest.fixture(scope="session")
def make_clip():
    return moving_clip


@pytest.fixture
def clip_65x33():
    return moving_clip(3, 33, 65)
