"""Raw 8-bit YUV 4:2:0 planar files (I420: the Y plane, then U, then V, frame after frame).

Colour conversion follows what ffmpeg does for an untagged ``yuv420p`` file (the route the DCVC test sets take to
PNG): BT.601 matrix, limited ("TV") range — Y in [16, 235], U/V in [16, 240]. BT.709 is available with
``matrix="bt709"``. Chroma is upsampled by repeating each sample over its 2x2 block and downsampled by averaging
the block, so YUV -> RGB -> YUV returns the original planes to within rounding.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
import numpy as np

from vnvc.errors import InputError
from vnvc.io.base import VideoSource, check_rgb_frame
from vnvc.io.naming import parse_sequence_name

# (Kr, Kb) of each matrix; Kg = 1 - Kr - Kb.
MATRICES = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722)}

def luma_weights(matrix: str = "bt601") -> tuple[float, float, float]:
    """``(Kr, Kg, Kb)`` of a matrix name (``"bt601"`` or ``"bt709"``)."""
    if matrix not in MATRICES:
        raise ValueError(f"unknown colour matrix {matrix!r}; choose one of {sorted(MATRICES)}")
    kr, kb = MATRICES[matrix]
    return kr, 1.0 - kr - kb, kb


def luma_plane(frame: np.ndarray, matrix: str = "bt601") -> np.ndarray:
    """The ``uint8`` Y plane ``(H, W)`` of a ``uint8`` ``(H, W, 3)`` RGB frame (any H and W)."""
    check_rgb_frame(frame)
    kr, kg, kb = luma_weights(matrix)
    rgb = frame.astype(np.float32) / 255.0
    return _to_uint8(16.0 + 219.0 * (kr * rgb[..., 0] + kg * rgb[..., 1] + kb * rgb[..., 2]))


def rgb_to_yuv420(frame: np.ndarray, matrix: str = "bt601") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``uint8`` ``(H, W, 3)`` RGB with even H and W -> ``uint8`` planes Y ``(H, W)``, U and V ``(H/2, W/2)``."""
    y = luma_plane(frame, matrix)
    height, width = y.shape
    if height % 2 or width % 2:
        raise ValueError(f"YUV 4:2:0 needs even width and height, got {width}x{height}")
    kr, kg, kb = luma_weights(matrix)
    rgb = frame.astype(np.float32) / 255.0
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luma = kr * r + kg * g + kb * b
    pb = _block_mean((b - luma) / (2.0 * (1.0 - kb)))
    pr = _block_mean((r - luma) / (2.0 * (1.0 - kr)))
    return y, _to_uint8(128.0 + 224.0 * pb), _to_uint8(128.0 + 224.0 * pr)


def yuv420_to_rgb(y: np.ndarray, u: np.ndarray, v: np.ndarray, matrix: str = "bt601") -> np.ndarray:
    """``uint8`` planes Y ``(H, W)``, U and V ``(H/2, W/2)`` -> ``uint8`` ``(H, W, 3)`` RGB."""
    height, width = y.shape
    if u.shape != (height // 2, width // 2) or v.shape != u.shape or height % 2 or width % 2:
        raise ValueError(f"plane shapes {y.shape}, {u.shape}, {v.shape} are not YUV 4:2:0")
    kr, kg, kb = luma_weights(matrix)
    luma = (y.astype(np.float32) - 16.0) / 219.0
    pb = _upsample((u.astype(np.float32) - 128.0) / 224.0)
    pr = _upsample((v.astype(np.float32) - 128.0) / 224.0)
    r = luma + 2.0 * (1.0 - kr) * pr
    b = luma + 2.0 * (1.0 - kb) * pb
    g = (luma - kr * r - kb * b) / kg
    return _to_uint8(np.stack([r, g, b], axis=-1) * 255.0)


class YuvSource(VideoSource):
    """A raw YUV 4:2:0 file; size from ``width``/``height`` or from a ``Name_WxH_fps.yuv`` file name."""

    def __init__(self, path: str | Path, width: int | None = None, height: int | None = None,
                 max_frames: int | None = None, matrix: str = "bt601"):
        path = Path(path)
        info = parse_sequence_name(path.name)
        if (width is None) != (height is None):
            raise InputError(f"{path}: give both width and height, or neither")
        if width is None:
            if info is None:
                raise InputError(f"{path}: frame size unknown; name the file Name_WxH_fps.yuv "
                                 "(e.g. BQTerrace_1920x1080_60.yuv) or give width and height")
            width, height = info.width, info.height
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise InputError(f"{path}: YUV 4:2:0 needs a positive, even width and height, got {width}x{height}")
        if not path.is_file():
            raise InputError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
        self.matrix = matrix
        self.frame_bytes = width * height * 3 // 2
        size = path.stat().st_size
        count, left_over = divmod(size, self.frame_bytes)
        if size == 0:
            raise InputError(f"{path}: empty file")
        if left_over:
            raise InputError(f"{path}: {size} bytes is not a whole number of {width}x{height} YUV 4:2:0 frames "
                             f"({self.frame_bytes} bytes each): {count} frames and {left_over} bytes left over")
        super().__init__(path, width, height, num_frames=count, fps=info.fps if info else None,
                         max_frames=max_frames)

    def _read_frames(self) -> Iterator[np.ndarray]:
        w, h = self.width, self.height
        luma_size, chroma_size = w * h, w * h // 4
        with open(self.path, "rb") as file:
            for index in range(self.num_frames):
                data = file.read(self.frame_bytes)
                if len(data) != self.frame_bytes:
                    raise InputError(f"{self.path}: frame {index} is cut short ({len(data)} of "
                                     f"{self.frame_bytes} bytes); the file changed while being read")
                planes = np.frombuffer(data, dtype=np.uint8)
                y = planes[:luma_size].reshape(h, w)
                u = planes[luma_size:luma_size + chroma_size].reshape(h // 2, w // 2)
                v = planes[luma_size + chroma_size:].reshape(h // 2, w // 2)
                yield yuv420_to_rgb(y, u, v, self.matrix)


def write_yuv(frames: Iterable[np.ndarray], path: str | Path, matrix: str = "bt601") -> int:
    """Write ``uint8`` ``(H, W, 3)`` RGB frames (even H and W, all the same size) as raw YUV 4:2:0.

    Returns the number of frames written.
    """
    path = Path(path)
    count = 0
    size = None
    try:
        with open(path, "wb") as file:
            for count, frame in enumerate(frames, start=1):
                check_rgb_frame(frame)
                height, width = frame.shape[:2]
                if size is None:
                    size = (width, height)
                if (width, height) != size:
                    raise InputError(f"{path}: frame {count - 1} is {width}x{height}, the first is {size[0]}x{size[1]}")
                if width % 2 or height % 2:
                    raise InputError(f"{path}: YUV 4:2:0 needs even width and height, got {width}x{height}")
                for plane in rgb_to_yuv420(frame, matrix):
                    file.write(plane.tobytes())
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc})") from None
    return count


def _block_mean(plane: np.ndarray) -> np.ndarray:
    height, width = plane.shape
    return plane.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))


def _upsample(plane: np.ndarray) -> np.ndarray:
    return plane.repeat(2, axis=0).repeat(2, axis=1)


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.floor(values + 0.5), 0, 255).astype(np.uint8)
