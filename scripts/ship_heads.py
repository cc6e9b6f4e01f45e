"""Ship the heads a machine_vision run trained: copy ``<out>/heads/{feature,pixel}_head.pth`` into
checkpoints/heads/ as ``<task>_<domain>.pth`` and record them in checkpoints/heads/heads.json.

    python -c "from vnvc.data import generate_dataset as g; g('out/synth', 'train', 32, 12, 128, 160, seed=7); \\
               g('out/synth', 'val', 8, 12, 128, 160, seed=7)"
    python eval/machine_vision.py --task detection --data out/synth --checkpoint small --intra-period 8 \\
        --task-config configs/tasks/small/detection_feature.py --pixel-head checkpoints/heads/detection_pixel.pth \\
        --train-heads --train-iters 2500 --baseline vnvc-pixels x265 --anchor-qps 32 37 42 47 --out out/heads/detection
    python scripts/ship_heads.py out/heads/detection
    python eval/machine_vision.py --task segmentation --data out/synth --checkpoint small --intra-period 8 \\
        --task-config configs/tasks/small/segmentation_feature.py --train-heads --train-iters 1500 --baseline none \\
        --out out/heads/segmentation
    python scripts/ship_heads.py out/heads/segmentation

(The pixel head, detection_pixel.pth, was trained on the original frames by the same detection command with
--intra-period 1 and without --pixel-head; it does not depend on the codec.)
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch

from tasks.heads import HEADS_DIR, head_name, register_head
from vnvc.zoo import MAX_SHIPPED_BYTES

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="the --out folder of a machine_vision run that trained its heads")
    args = parser.parse_args()
    run = json.loads((args.run / "results.json").read_text())
    HEADS_DIR.mkdir(parents=True, exist_ok=True)
    for domain in ("feature", "pixel"):
        source = args.run / "heads" / f"{domain}_head.pth"
        if not source.is_file():
            continue
        if source.stat().st_size > MAX_SHIPPED_BYTES:
            raise SystemExit(f"{source}: over the {MAX_SHIPPED_BYTES}-byte limit for shipped files")
        meta = torch.load(source, map_location="cpu", weights_only=True)["meta"]
        name = head_name(run["task"], domain)
        target = HEADS_DIR / f"{name}.pth"
        shutil.copy(source, target)
        config = Path(meta["config"]).resolve().relative_to(ROOT).as_posix()
        main_metric = [r for r in run["results"] if r["head"] == domain]
        provenance = (f"eval/machine_vision.py on {run['data']} ({meta[f'{domain}_head']}), "
                      f"codec {run['checkpoint']} rates {run['rates']} intra period {run.get('intra_period', '?')}; "
                      "results: "
                      + json.dumps([{k: r[k] for k in ('codec', 'point', 'bpp') if k in r}
                                    | {m: r.get(m) for m in r if m.endswith(('mAP', 'HOTA', 'MOTA', 'IDF1'))}
                                    for r in main_metric]))
        entry = register_head(name, target, config, run["checkpoint_id"] if domain == "feature" else None,
                              provenance)
        print(json.dumps({"name": name, "bytes": target.stat().st_size, **vars(entry)}, indent=2))


if __name__ == "__main__":
    main()
