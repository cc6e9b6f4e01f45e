"""vnvc.metrics: PSNR (RGB and Y), MS-SSIM at every frame size, bits per pixel."""

from __future__ import annotations

import math

import numpy as np
import pytest
import pytorch_msssim
import torch

from vnvc import metrics
from vnvc.io import frames_to_tensor, luma_plane, write_yuv


def noisy(x: torch.Tensor, sigma: float, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (x + sigma * torch.randn(x.shape, generator=generator)).clamp(0, 1)


def test_psnr_identical_is_inf():
    x = torch.rand(1, 3, 8, 8)
    assert metrics.psnr(x, x.clone()) == math.inf
    assert metrics.psnr_y(x, x.clone()) == math.inf


def test_psnr_constant_offset():
    a = torch.full((1, 3, 5, 7), 0.5)
    assert metrics.psnr(a, a + 0.1) == pytest.approx(20.0)
    assert metrics.psnr(a * 255, a * 255 + 10, max_val=255.0) == pytest.approx(10 * math.log10(255 ** 2 / 100))
    frame = np.full((5, 7, 3), 100, np.uint8)
    expected = 10 * math.log10(255 ** 2 / 100)
    assert metrics.psnr(frame, frame + 10) == pytest.approx(expected)
    assert metrics.psnr(frames_to_tensor(frame), frames_to_tensor(frame + 10)) == pytest.approx(expected)
    assert metrics.psnr(frame[None], (frame + 10)[None]) == pytest.approx(expected)


def test_psnr_y_of_gray_offset():
    a, b = np.full((4, 6, 3), 100, np.uint8), np.full((4, 6, 3), 110, np.uint8)
    y_a, y_b = round(16 + 219 * 100 / 255), round(16 + 219 * 110 / 255)
    assert metrics.psnr_y(a, b) == pytest.approx(10 * math.log10(255 ** 2 / (y_a - y_b) ** 2))


def test_psnr_y_matches_yuv_files(tmp_path):
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (8, 10, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-20, 21, a.shape), 0, 255).astype(np.uint8)
    for name, frame in (("a.yuv", a), ("b.yuv", b)):
        write_yuv([frame], tmp_path / name)
    y_a, y_b = (np.frombuffer((tmp_path / n).read_bytes()[:80], np.uint8).astype(float) for n in ("a.yuv", "b.yuv"))
    expected = 10 * math.log10(255 ** 2 / np.mean((y_a - y_b) ** 2))
    assert metrics.psnr_y(a, b) == pytest.approx(expected)
    assert metrics.psnr_y(frames_to_tensor(a), frames_to_tensor(b)) == pytest.approx(expected)
    assert np.array_equal(luma_plane(a), y_a.reshape(8, 10))


@pytest.mark.parametrize("height, width", [(64, 64), (33, 65), (1, 1), (10, 4), (192, 176)])
def test_ms_ssim_any_size(height, width):
    x = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(0))
    assert metrics.ms_ssim(x, x.clone()) == pytest.approx(1.0, abs=1e-5)
    mild, strong = metrics.ms_ssim(x, noisy(x, 0.02)), metrics.ms_ssim(x, noisy(x, 0.2))
    assert 0 <= strong < mild < 1


def test_ms_ssim_uses_pytorch_msssim_at_full_size():
    x = torch.rand(1, 3, 176, 192, generator=torch.Generator().manual_seed(0))
    y = noisy(x, 0.05)
    assert metrics.ms_ssim(x, y) == pytest.approx(pytorch_msssim.ms_ssim(x, y, data_range=1.0).item(), abs=1e-7)
    # The small-frame path with all five scales agrees with the library (weights renormalised from 1.0001).
    assert metrics._ms_ssim_scales(x, y, 5, window=11) == pytest.approx(metrics.ms_ssim(x, y), abs=1e-5)


def test_ms_ssim_accepts_uint8_frames():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + 8, 0, 255).astype(np.uint8)
    assert metrics.ms_ssim(a, b) == pytest.approx(metrics.ms_ssim(frames_to_tensor(a), frames_to_tensor(b)))


def test_shape_mismatch_and_types():
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.psnr(torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 5))
    with pytest.raises(ValueError, match="RGB"):
        metrics.psnr(torch.rand(1, 1, 4, 4), torch.rand(1, 1, 4, 4))
    with pytest.raises(TypeError):
        metrics.psnr([1.0], [1.0])


def test_bits_per_pixel_on_original_size():
    assert metrics.bits_per_pixel(2145, 65, 33) == pytest.approx(1.0)
    assert metrics.bits_per_pixel(0, 1, 1) == 0.0
    with pytest.raises(ValueError):
        metrics.bits_per_pixel(10, 0, 4)
