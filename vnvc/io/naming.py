"""Frame size and rate from sequence names: ``BQTerrace_1920x1080_60``, ``Beauty_1920x1080_120fps_420_8bit_YUV``."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

_SIZE_FPS = re.compile(r"(?:^|_)(\d+)x(\d+)(?:_(\d+(?:\.\d+)?)(?:fps)?)?(?=_|$)", re.IGNORECASE)
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]*$")


@dataclass(frozen=True)
class NameInfo:
    width: int
    height: int
    fps: float | None


def parse_sequence_name(name: str) -> NameInfo | None:
    """Size (and frame rate, if present) from a name ``<anything>_<W>x<H>[_<fps>[fps]][_<anything>]``.

    ``name`` is a bare name or a file name (its extension is ignored). Returns None when no ``_WxH`` token is found.
    """
    stem = _EXTENSION.sub("", os.path.basename(name))
    match = _SIZE_FPS.search(stem)
    if match is None:
        return None
    fps = float(match.group(3)) if match.group(3) else None
    return NameInfo(int(match.group(1)), int(match.group(2)), fps)
