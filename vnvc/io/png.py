"""Folders of PNG frames ``im00001.png, im00002.png, ...`` (or ``im1.png, im2.png, ...``), as ffmpeg's image2 muxer
writes them.

Every frame is returned as 8-bit RGB: grayscale is repeated into three channels, palette images are expanded, alpha
is dropped (not composited), and 16-bit samples are scaled to 8 bits with rounding (``round(v * 255 / 65535)``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from vnvc.errors import InputError
from vnvc.io.base import VideoSource, check_rgb_frame
from vnvc.io.naming import parse_sequence_name

_FRAME_NAME = re.compile(r"^im(\d+)\.png$")
_SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I")


def list_png_frames(folder: str | Path) -> list[Path]:
    """The frame files of ``folder`` in order; frames are numbered from 1 without gaps."""
    folder = Path(folder)
    if not folder.exists():
        raise InputError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of PNG frames")
    by_index: dict[int, Path] = {}
    for entry in os.scandir(folder):
        match = _FRAME_NAME.match(entry.name)
        if match is None:
            continue
        index = int(match.group(1))
        if index in by_index:
            raise InputError(f"{folder}: {by_index[index].name} and {entry.name} are both frame {index}")
        by_index[index] = Path(entry.path)
    if not by_index:
        raise InputError(f"{folder}: no frames (expected im00001.png, im00002.png, ... or im1.png, im2.png, ...)")
    if 0 in by_index:
        raise InputError(f"{by_index[0]}: frame numbers start at 1")
    last = max(by_index)
    if len(by_index) != last:
        digits = len(_FRAME_NAME.match(by_index[min(by_index)].name).group(1))
        missing = next(i for i in range(1, last + 1) if i not in by_index)
        raise InputError(f"{folder}: frame im{missing:0{digits}d}.png is missing "
                         f"(the folder has frames up to {by_index[last].name})")
    return [by_index[i] for i in range(1, last + 1)]


def png_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` of a PNG, read from its header only."""
    with _open_png(Path(path)) as image:
        return image.size


def read_png(path: str | Path) -> np.ndarray:
    """One PNG as a ``uint8`` ``(H, W, 3)`` RGB array (conversions as in the module docstring)."""
    path = Path(path)
    with _open_png(path) as image:
        try:
            image.load()
            return _to_rgb8(image)
        except (OSError, SyntaxError, ValueError) as exc:
            raise InputError(f"{path}: damaged PNG ({exc})") from None


def write_png(path: str | Path, frame: np.ndarray) -> None:
    """Write one ``uint8`` ``(H, W, 3)`` RGB frame as a PNG."""
    check_rgb_frame(frame)
    try:
        Image.fromarray(frame, mode="RGB").save(path, format="PNG")
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc})") from None


def write_png_folder(frames: Iterable[np.ndarray], folder: str | Path, digits: int = 5) -> int:
    """Write frames as ``folder/im00001.png, ...`` (``digits`` wide); returns how many were written.

    The folder is created if needed and must not already hold frames, so old and new frames never mix.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{folder}: cannot create folder ({exc})") from None
    existing = sorted(entry.name for entry in os.scandir(folder) if _FRAME_NAME.match(entry.name))
    if existing:
        raise InputError(f"{folder}: already holds frames ({existing[0]}, ...); write into an empty folder")
    count = 0
    for count, frame in enumerate(frames, start=1):
        write_png(folder / f"im{count:0{digits}d}.png", frame)
    return count


class PngFolderSource(VideoSource):
    """A folder of PNG frames; the frame rate comes from a ``Name_WxH_fps`` folder name where there is one."""

    def __init__(self, folder: str | Path, max_frames: int | None = None):
        folder = Path(folder)
        self.frame_paths = list_png_frames(folder)
        width, height = png_size(self.frame_paths[0])
        name = folder.resolve().name
        info = parse_sequence_name(name)
        super().__init__(folder, width, height, num_frames=len(self.frame_paths), fps=info.fps if info else None,
                         max_frames=max_frames, name=name)

    def _read_frames(self) -> Iterator[np.ndarray]:
        for path in self.frame_paths:
            frame = read_png(path)
            if frame.shape[:2] != (self.height, self.width):
                raise InputError(f"{path}: frame is {frame.shape[1]}x{frame.shape[0]}, but "
                                 f"{self.frame_paths[0].name} is {self.width}x{self.height}")
            yield frame


def _open_png(path: Path) -> Image.Image:
    try:
        image = Image.open(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(f"{path}: not a readable PNG ({exc})") from None
    if image.format != "PNG":
        image.close()
        raise InputError(f"{path}: not a PNG file (it holds {image.format})")
    return image


def _to_rgb8(image: Image.Image) -> np.ndarray:
    if image.mode in _SIXTEEN_BIT_MODES:
        gray = np.asarray(image).astype(np.float64)
        gray8 = np.clip(np.rint(gray * (255.0 / 65535.0)), 0, 255).astype(np.uint8)
        return np.repeat(gray8[:, :, None], 3, axis=2)
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.array(image, dtype=np.uint8)
