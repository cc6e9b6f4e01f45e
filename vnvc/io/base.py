"""The ``VideoSource`` interface every reader implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from vnvc.errors import InputError


class VideoSource(ABC):
    """A video opened for reading: metadata up front, frames streamed lazily.

    Iterating yields ``numpy.uint8`` arrays ``(height, width, 3)`` in RGB, at most ``max_frames`` of them; every
    iteration starts again from the first frame and holds only one frame in memory at a time.
    ``num_frames`` and ``fps`` are None where the container does not say.
    """

    def __init__(self, path: str | Path, width: int, height: int, num_frames: int | None = None,
                 fps: float | None = None, max_frames: int | None = None, name: str | None = None):
        self.path = Path(path)
        self.name = name if name is not None else self.path.stem
        if max_frames is not None and max_frames < 1:
            raise InputError(f"{self.path}: max_frames must be positive, got {max_frames}")
        self.width = width
        self.height = height
        self.fps = fps
        self.max_frames = max_frames
        if max_frames is not None and num_frames is not None:
            num_frames = min(num_frames, max_frames)
        self.num_frames = num_frames

    def __iter__(self) -> Iterator[np.ndarray]:
        frames = self._read_frames()
        try:
            for index, frame in enumerate(frames):
                if self.max_frames is not None and index >= self.max_frames:
                    break
                yield frame
        finally:
            frames.close()

    @abstractmethod
    def _read_frames(self) -> Iterator[np.ndarray]:
        """Yield every frame of the source, in order."""

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({str(self.path)!r}, {self.width}x{self.height}, "
                f"frames={self.num_frames}, fps={self.fps})")


def check_rgb_frame(frame: np.ndarray) -> None:
    """Raise ValueError unless ``frame`` is a ``uint8`` ``(H, W, 3)`` array."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"expected a uint8 (H, W, 3) RGB array, got {getattr(frame, 'dtype', type(frame).__name__)} "
                         f"{getattr(frame, 'shape', '')}".rstrip())
