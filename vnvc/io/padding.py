"""Padding frames to a multiple of the network's total stride (64) and cropping back.

Padding goes on the right and bottom only, so the original frame keeps its top-left origin and cropping is
``x[..., :height, :width]`` for pixels and full-resolution features alike. The default mode, ``"replicate"``, repeats
the last row/column: a smooth edge costs far fewer bits than the hard edge that zero padding (``"constant"``) makes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

PAD_MODES = ("replicate", "constant")


@dataclass(frozen=True)
class PadInfo:
    """Original and padded frame size."""

    height: int
    width: int
    padded_height: int
    padded_width: int

    @property
    def pad_bottom(self) -> int:
        return self.padded_height - self.height

    @property
    def pad_right(self) -> int:
        return self.padded_width - self.width


def padded_size(height: int, width: int, multiple: int = 64) -> tuple[int, int]:
    """``(height, width)`` rounded up to multiples of ``multiple``."""
    if height < 1 or width < 1 or multiple < 1:
        raise ValueError(f"sizes must be positive, got {width}x{height} and multiple {multiple}")
    return -(-height // multiple) * multiple, -(-width // multiple) * multiple


def pad_to_multiple(x: torch.Tensor, multiple: int = 64, mode: str = "replicate") -> tuple[torch.Tensor, PadInfo]:
    """Pad an ``(N, C, H, W)`` tensor on the right and bottom up to multiples of ``multiple``.

    ``mode`` is ``"replicate"`` (repeat the edge) or ``"constant"`` (zeros). Returns the padded tensor (``x`` itself
    when no padding is needed) and the ``PadInfo`` that ``crop`` undoes it with.
    """
    if x.dim() != 4:
        raise ValueError(f"expected an (N, C, H, W) tensor, got shape {tuple(x.shape)}")
    if mode not in PAD_MODES:
        raise ValueError(f"unknown padding mode {mode!r}; choose one of {PAD_MODES}")
    height, width = x.shape[-2:]
    info = PadInfo(height, width, *padded_size(height, width, multiple))
    if info.pad_bottom == 0 and info.pad_right == 0:
        return x, info
    return F.pad(x, (0, info.pad_right, 0, info.pad_bottom), mode=mode), info


def crop(x: torch.Tensor, pad_info: PadInfo) -> torch.Tensor:
    """Undo ``pad_to_multiple``: keep the top-left ``height x width`` of a padded ``(..., H, W)`` tensor."""
    if tuple(x.shape[-2:]) != (pad_info.padded_height, pad_info.padded_width):
        raise ValueError(f"tensor is {x.shape[-1]}x{x.shape[-2]}, expected the padded size "
                         f"{pad_info.padded_width}x{pad_info.padded_height}")
    return x[..., :pad_info.height, :pad_info.width]
