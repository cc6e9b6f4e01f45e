"""Ship a trained model: copy a training checkpoint without its optimizer state into checkpoints/ (convolution weights
rounded to and stored in half precision), check the size limit, and record it in checkpoints/zoo.json with its
sha256 and provenance. With --out instead of --name, write the same file elsewhere without registering it: a
candidate measured exactly as it would ship.

    python scripts/export_checkpoint.py runs/small/last.pth --name small
    python scripts/export_checkpoint.py runs/try/last.pth --out out/candidates/try.pth
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from vnvc.zoo import (CHECKPOINT_DIR, MAX_SHIPPED_BYTES, model_from_checkpoint, read_checkpoint, register_shipped,
                      round_convolutions_to_half, save_checkpoint)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path)
    target_group = parser.add_mutually_exclusive_group(required=True)
    target_group.add_argument("--name", help="ship as checkpoints/NAME.pth and record it in checkpoints/zoo.json")
    target_group.add_argument("--out", type=Path, help="write the shipped form there, unregistered")
    parser.add_argument("--note", default="", help="free text added to the provenance (machine, data, time)")
    args = parser.parse_args()
    payload = read_checkpoint(args.checkpoint)
    meta = {k: v for k, v in payload["meta"].items() if k != "train_state"}
    model = model_from_checkpoint(payload, source=str(args.checkpoint))
    round_convolutions_to_half(model)
    target = args.out or CHECKPOINT_DIR / f"{args.name}.pth"
    target.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(model, target, meta, half_convolutions=True)
    size = target.stat().st_size
    if size > MAX_SHIPPED_BYTES:
        target.unlink()
        raise SystemExit(f"{target}: {size} bytes is over the {MAX_SHIPPED_BYTES}-byte limit for shipped files")
    if args.out:
        print(json.dumps({"path": str(target), "bytes": size}))
        return
    last = (meta.get("history") or [{}])[-1]
    provenance = (f"vnvc train, codec {meta.get('codec')}, data {json.dumps(meta.get('data'))}, "
                  f"{meta.get('step')} steps on {meta.get('world_size')}x{meta.get('device')}, "
                  f"last losses {json.dumps({k: last.get(k) for k in ('stage', 'loss', 'mse', 'bpp')})}. {args.note}")
    entry = register_shipped(args.name, target, provenance.strip())
    print(json.dumps({"name": args.name, "bytes": size, **vars(entry)}, indent=2))


if __name__ == "__main__":
    main()
