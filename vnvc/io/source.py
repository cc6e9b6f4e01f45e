"""``open_video``: one entry point for every kind of source, and frame <-> tensor helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from vnvc.errors import InputError
from vnvc.io.base import VideoSource
from vnvc.io.png import PngFolderSource
from vnvc.io.video import VideoFileSource
from vnvc.io.yuv import YuvSource


def open_video(path: str | Path, width: int | None = None, height: int | None = None,
               max_frames: int | None = None) -> VideoSource:
    """Open a video for streaming by what ``path`` is.

    - a folder: PNG frames ``im00001.png, ...`` (``vnvc.io.png``);
    - a ``.yuv`` file: raw 8-bit YUV 4:2:0, sized by ``width``/``height`` or by its ``Name_WxH_fps.yuv`` name;
    - any other file: a video (or single image) PyAV can decode, e.g. mp4, mkv, y4m.

    For sources other than raw YUV a given ``width``/``height`` must match the frames. ``max_frames`` caps how many
    frames iteration yields.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        source: VideoSource = PngFolderSource(path, max_frames=max_frames)
    elif path.suffix.lower() == ".yuv":
        return YuvSource(path, width, height, max_frames=max_frames)
    else:
        source = VideoFileSource(path, max_frames=max_frames)
    if (width is not None and width != source.width) or (height is not None and height != source.height):
        raise InputError(f"{path}: frames are {source.width}x{source.height}, not {width}x{height} as given")
    return source


def frames_to_tensor(frames: np.ndarray, device: torch.device | str | None = None) -> torch.Tensor:
    """``uint8`` ``(H, W, 3)`` -> ``float32`` ``(1, 3, H, W)`` in [0, 1]; a stack ``(N, H, W, 3)`` -> ``(N, 3, H, W)``.
    """
    if frames.dtype != np.uint8 or frames.ndim not in (3, 4) or frames.shape[-1] != 3:
        raise ValueError(f"expected uint8 (H, W, 3) or (N, H, W, 3) frames, got {frames.dtype} {frames.shape}")
    batch = np.ascontiguousarray(frames[None] if frames.ndim == 3 else frames)
    if not batch.flags.writeable:
        batch = batch.copy()
    tensor = torch.from_numpy(batch).to(device=device)
    return tensor.permute(0, 3, 1, 2).float().div_(255.0).contiguous()


def tensor_to_frame(tensor: torch.Tensor) -> np.ndarray:
    """``(1, 3, H, W)`` or ``(3, H, W)`` values in [0, 1] -> ``uint8`` ``(H, W, 3)``, clamped and rounded."""
    if tensor.dim() == 4 and tensor.shape[0] == 1:
        tensor = tensor[0]
    if tensor.dim() != 3 or tensor.shape[0] != 3:
        raise ValueError(f"expected a (1, 3, H, W) or (3, H, W) tensor, got {tuple(tensor.shape)}")
    pixels = tensor.detach().float().clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8)
    return pixels.permute(1, 2, 0).cpu().numpy()
