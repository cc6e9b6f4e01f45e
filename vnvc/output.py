"""Writing decoded frames: pixels to a PNG folder or raw YUV 4:2:0, features to .npz or .pt.

Every writer works on a temporary file or folder beside the target and moves it into place only when all frames
are written, so an error never leaves a partial output behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from .codec import DecodedFrame
from .errors import InputError
from .io.png import write_png_folder
from .io.source import tensor_to_frame
from .io.yuv import write_yuv

FEATURE_SUFFIXES = (".npz", ".pt")


@contextmanager
def _staged(target: Path, folder: bool) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` on success, delete it on failure."""
    if target.exists() and not (target.is_dir() and folder and not any(target.iterdir())):
        raise InputError(f"{target}: already exists; choose a new output path")
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent)) if folder else Path(
            tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)[1])
    except OSError as exc:
        raise InputError(f"{target}: cannot write ({exc.strerror or exc})") from None
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, (0o777 if folder else 0o666) & ~umask)  # temp files are private; outputs are not
        if folder and target.exists():
            target.rmdir()
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True) if folder else tmp.unlink(missing_ok=True)
        raise


def _feature_array(frame: DecodedFrame) -> np.ndarray:
    """The analysis feature cropped to the original frame, (C, H, W) float32."""
    return frame.feature[0, :, : frame.height, : frame.width].float().cpu().numpy()


def _write_npz(frames: Iterable[DecodedFrame], path: Path) -> int:
    """Stream one array per frame (`frame00000`, …) into an .npz that `numpy.load` reads lazily."""
    count = 0
    with zipfile.ZipFile(path, "w", allowZip64=True) as archive:
        for count, frame in enumerate(frames, start=1):
            with archive.open(f"frame{frame.index:05d}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, _feature_array(frame))
    return count


def _write_pt(frames: Iterable[DecodedFrame], path: Path) -> int:
    features = [torch.from_numpy(_feature_array(frame)) for frame in frames]
    torch.save({"features": features}, path)
    return len(features)


def write_decoded(frames: Iterable[DecodedFrame], output: str | Path, features: bool = False) -> int:
    """Write decoded frames to `output` (PNG folder, .yuv, or with `features` .npz/.pt); returns the frame count."""
    output = Path(output)
    suffix = output.suffix.lower()
    if features:
        if suffix not in FEATURE_SUFFIXES:
            raise InputError(f"{output}: features are written to {' or '.join(FEATURE_SUFFIXES)} files")
        writer = _write_npz if suffix == ".npz" else _write_pt
        with _staged(output, folder=False) as tmp:
            return writer(frames, tmp)
    pixels = (tensor_to_frame(frame.pixels) for frame in frames)
    if suffix == ".yuv":
        with _staged(output, folder=False) as tmp:
            return write_yuv(pixels, tmp)
    if suffix:
        raise InputError(f"{output}: decoded pixels are written to a PNG folder (no suffix) or a .yuv file")
    with _staged(output, folder=True) as tmp:
        return write_png_folder(pixels, tmp)
