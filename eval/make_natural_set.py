"""Write a held-out natural-content test set (PNG folders + DCVC-style dataset config) for eval/human_vision.py.

    python eval/make_natural_set.py --out out/natural_eval --clips 4 --frames 8 --height 192 --width 320 --seed 777

Clips are new camera paths (seed differs from training's) over the same shipped photographs the codec trained on:
held out in motion, not in content.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from vnvc.data.natural import NaturalClipDataset, clip_to_frames  # noqa: E402
from vnvc.data.writers import write_test_set  # noqa: E402


def make_set(out: Path, clips: int, frames: int, height: int, width: int, seed: int) -> Path:
    dataset = NaturalClipDataset(clips, frames, height, width, seed)
    return write_test_set(out, "NATURAL_heldout", ((f"clip{index:02d}_{width}x{height}", clip_to_frames(dataset[index]))
                                                   for index in range(clips)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "natural_eval")
    parser.add_argument("--clips", type=int, default=4)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--height", type=int, default=192)
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--seed", type=int, default=777)
    args = parser.parse_args()
    print(make_set(args.out, args.clips, args.frames, args.height, args.width, args.seed))


if __name__ == "__main__":
    main()
