"""Distortion and rate measures, always taken at the original (unpadded) frame size.

Inputs are RGB frames in either convention of the project: ``uint8`` numpy arrays ``(H, W, 3)`` (or stacks
``(N, H, W, 3)``), which are scaled to [0, 1] first, or float tensors ``(3, H, W)`` / ``(N, 3, H, W)`` in [0, 1].
Float numpy arrays are taken as ``(H, W, 3)`` / ``(N, H, W, 3)`` in [0, 1]. Results are Python floats averaged
over the batch.
"""

from __future__ import annotations

import math

import numpy as np
import pytorch_msssim
import torch
from pytorch_msssim.ssim import _fspecial_gauss_1d, _ssim  # pinned pytorch-msssim==1.0.0; used for small frames

from vnvc.io.yuv import luma_plane

Frames = np.ndarray | torch.Tensor

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
_WINDOW, _SIGMA = 11, 1.5


def psnr(a: Frames, b: Frames, max_val: float = 1.0) -> float:
    """PSNR in dB over all pixels and channels; ``inf`` for identical inputs. Keep ``max_val=1`` for uint8 input."""
    x, y = _pair(a, b, torch.float64)
    return _psnr_from_mse(torch.mean((x - y) ** 2).item(), max_val)


def psnr_y(a: Frames, b: Frames, matrix: str = "bt601") -> float:
    """PSNR (peak 255) of the 8-bit Y planes that ``vnvc.io.yuv`` would write for the two frames.

    Float input is first rounded to 8-bit RGB, as saving it would; Y uses the same matrix and limited range.
    """
    x, y = _pair(a, b, torch.float64)
    squared_error, count = 0.0, 0
    for frame_x, frame_y in zip(_to_uint8_frames(x), _to_uint8_frames(y)):
        diff = luma_plane(frame_x, matrix).astype(np.float64) - luma_plane(frame_y, matrix)
        squared_error += float(np.sum(diff * diff))
        count += diff.size
    return _psnr_from_mse(squared_error / count, 255.0)


def ms_ssim(a: Frames, b: Frames) -> float:
    """MS-SSIM of RGB frames, as DCVC reports it (``pytorch_msssim.ms_ssim`` with ``data_range=1``).

    The standard five scales need the shorter side to exceed 160 pixels. Smaller frames use as many scales as fit
    (the coarsest scale keeps at least an 11-pixel side) with the first weights renormalised to sum to 1; frames
    shorter than 11 pixels use one scale with the Gaussian window shrunk to the largest odd size that fits
    (sigma scaled alike). Such values are not comparable with full five-scale MS-SSIM.
    """
    x, y = _pair(a, b, torch.float32)
    side = min(x.shape[-2:])
    levels = _scales_that_fit(side)
    if levels == len(MS_SSIM_WEIGHTS):
        return pytorch_msssim.ms_ssim(x, y, data_range=1.0).item()
    return _ms_ssim_scales(x, y, max(levels, 1), window=_WINDOW if levels else side - (side + 1) % 2)


def bits_per_pixel(num_bits: float, width: int, height: int) -> float:
    """Bits per pixel of the original ``width x height`` frame (never the padded size)."""
    if width < 1 or height < 1:
        raise ValueError(f"frame size must be positive, got {width}x{height}")
    return num_bits / (width * height)


def _scales_that_fit(side: int) -> int:
    """How many of the five MS-SSIM scales a frame with this shorter side supports (0: not even one full window)."""
    return sum(1 for level in range(len(MS_SSIM_WEIGHTS)) if side > (_WINDOW - 1) * 2 ** level)


def _ms_ssim_scales(x: torch.Tensor, y: torch.Tensor, levels: int, window: int) -> float:
    weights = torch.tensor(MS_SSIM_WEIGHTS[:levels], dtype=x.dtype, device=x.device)
    weights = weights / weights.sum()
    win = _fspecial_gauss_1d(window, _SIGMA * window / _WINDOW).repeat(x.shape[1], 1, 1, 1)
    factors = []
    for level in range(levels):
        ssim, cs = _ssim(x, y, data_range=1.0, win=win, size_average=False)
        if level < levels - 1:
            factors.append(torch.relu(cs))
            padding = [s % 2 for s in x.shape[2:]]
            x = torch.nn.functional.avg_pool2d(x, kernel_size=2, padding=padding)
            y = torch.nn.functional.avg_pool2d(y, kernel_size=2, padding=padding)
    factors.append(torch.relu(ssim))
    values = torch.prod(torch.stack(factors) ** weights.view(-1, 1, 1), dim=0)
    return values.mean().item()


def _psnr_from_mse(mse: float, max_val: float) -> float:
    return math.inf if mse == 0 else 10.0 * math.log10(max_val * max_val / mse)


def _pair(a: Frames, b: Frames, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = _as_batch(a, dtype), _as_batch(b, dtype)
    if x.shape != y.shape:
        raise ValueError(f"frames differ in shape: {tuple(x.shape)} and {tuple(y.shape)} (N, 3, H, W)")
    return x, y.to(x.device)


def _as_batch(frames: Frames, dtype: torch.dtype) -> torch.Tensor:
    """``(N, 3, H, W)`` tensor of ``dtype`` in [0, 1]."""
    if isinstance(frames, np.ndarray):
        scale = 255.0 if frames.dtype == np.uint8 else 1.0
        tensor = torch.from_numpy(np.array(frames)).to(dtype) / scale
        tensor = tensor.movedim(-1, -3)
    elif isinstance(frames, torch.Tensor):
        tensor = frames.detach().to(dtype)
        if frames.dtype == torch.uint8:
            tensor = tensor / 255.0
    else:
        raise TypeError(f"expected a numpy array or a torch tensor, got {type(frames).__name__}")
    if tensor.dim() == 3:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() != 4 or tensor.shape[1] != 3:
        raise ValueError(f"expected RGB frames, got shape {tuple(frames.shape)}")
    return tensor


def _to_uint8_frames(batch: torch.Tensor) -> np.ndarray:
    pixels = batch.clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).cpu().numpy()
