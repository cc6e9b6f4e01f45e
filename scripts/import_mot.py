"""Import a MOTChallenge split folder (MOT17/train, MOT20/train, …) for eval/machine_vision.py and the codec.

    python scripts/import_mot.py data/MOT17/train data/mot17 --split train --max-frames 100
    python eval/machine_vision.py --task tracking --data data/mot17 --split train ...

Each sequence becomes a PNG folder, gt.txt, seqinfo.ini and entries in data/mot17/annotations/train.json and
data/mot17/dataset_config.json (vnvc.data.mot). Task configs for it set metainfo = dict(classes=("pedestrian",)).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from vnvc.data.mot import MOT_CLASSES, import_mot  # noqa: E402
from vnvc.errors import VnvcError  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="a MOTChallenge split folder (one folder per sequence)")
    parser.add_argument("root", type=Path, help="where to write (the --data of eval/machine_vision.py)")
    parser.add_argument("--split", default="train", help="split name under root (default: train)")
    parser.add_argument("--classes", nargs="+", default=["pedestrian"], choices=list(MOT_CLASSES.values()))
    parser.add_argument("--min-visibility", type=float, default=0.0)
    parser.add_argument("--max-frames", type=int, default=None, help="keep each sequence's first frames only")
    args = parser.parse_args(argv)
    try:
        print(import_mot(args.source, args.root, args.split, tuple(args.classes), args.min_visibility,
                         args.max_frames))
    except VnvcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
