"""Compressed video files (mp4, mkv, avi, ...) decoded through PyAV (ffmpeg's libraries).

Frames are converted to RGB by ffmpeg's swscale using the colour matrix and range the stream is tagged with;
untagged streams get ffmpeg's default, BT.601 limited range, the same as ``vnvc.io.yuv``.
``num_frames`` is what the container reports (None when it does not, as in most mkv files).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from vnvc.errors import InputError
from vnvc.io.base import VideoSource


class VideoFileSource(VideoSource):
    """A video file's first video stream."""

    def __init__(self, path: str | Path, max_frames: int | None = None):
        path = Path(path)
        with _open(path) as container:
            stream = _video_stream(container, path)
            width, height = stream.codec_context.width, stream.codec_context.height
            rate = stream.average_rate or stream.guessed_rate
            num_frames = stream.frames or None
        if width <= 0 or height <= 0:
            raise InputError(f"{path}: the video stream has no frame size")
        super().__init__(path, width, height, num_frames=num_frames, fps=float(rate) if rate else None,
                         max_frames=max_frames)

    def _read_frames(self) -> Iterator[np.ndarray]:
        with _open(self.path) as container:
            stream = _video_stream(container, self.path)
            stream.thread_type = "AUTO"
            try:
                for index, frame in enumerate(container.decode(stream)):
                    rgb = frame.to_ndarray(format="rgb24", src_color_range=frame.color_range or None)
                    if rgb.shape[:2] != (self.height, self.width):
                        raise InputError(f"{self.path}: frame {index} is {rgb.shape[1]}x{rgb.shape[0]}, "
                                         f"the stream is {self.width}x{self.height}")
                    yield rgb
            except av.FFmpegError as exc:
                raise InputError(f"{self.path}: damaged video ({_reason(exc)})") from None


def _open(path: Path) -> av.container.InputContainer:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        return av.open(str(path), mode="r")
    except (av.FFmpegError, OSError) as exc:
        raise InputError(f"{path}: not a video file ffmpeg can read ({_reason(exc)})") from None


def _video_stream(container: av.container.InputContainer, path: Path) -> av.video.stream.VideoStream:
    if not container.streams.video:
        raise InputError(f"{path}: no video stream")
    return container.streams.video[0]


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc)
