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

A feature head is registered for the codec whose features it was trained on. After a codec change that leaves
its features nearly as they were, a run that *measured* the shipped head on the new codec (the commands above
with --head checkpoints/heads/<task>_feature.pth instead of --train-heads) carries it over:
``python scripts/ship_heads.py RUN`` then re-registers the same file for the run's codec, its provenance
extended by what the run measured.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch

from tasks.heads import HEADS_DIR, ShippedHead, head_name, register_head, shipped_heads
from vnvc.zoo import MAX_SHIPPED_BYTES, file_sha256

ROOT = Path(__file__).resolve().parent.parent


def _measured(run: dict, domain: str) -> str:
    """What a run measured with its `domain` head, for the provenance."""
    return json.dumps([{k: r[k] for k in ("codec", "point", "bpp") if k in r}
                       | {m: r.get(m) for m in r if m.endswith(("mAP", "HOTA", "MOTA", "IDF1"))}
                       for r in run["results"] if r["head"] == domain])


def _run_summary(run: dict, domain: str, training: str | None = None) -> str:
    """Where and how the run measured its `domain` head, and what it measured, for the provenance."""
    data = f"{run['data']} ({training})" if training else run["data"]
    return (f"eval/machine_vision.py on {data}, codec {run['checkpoint']} rates {run['rates']} "
            f"intra period {run.get('intra_period', '?')}; results: {_measured(run, domain)}")


def _ship_trained(run: dict, domain: str, source: Path) -> ShippedHead:
    """Copy a head the run trained into checkpoints/heads/ and register it."""
    if source.stat().st_size > MAX_SHIPPED_BYTES:
        raise SystemExit(f"{source}: over the {MAX_SHIPPED_BYTES}-byte limit for shipped files")
    meta = torch.load(source, map_location="cpu", weights_only=True)["meta"]
    name = head_name(run["task"], domain)
    target = HEADS_DIR / f"{name}.pth"
    shutil.copy(source, target)
    config = Path(meta["config"]).resolve().relative_to(ROOT).as_posix()
    provenance = _run_summary(run, domain, meta[f"{domain}_head"])
    return register_head(name, target, config, run["checkpoint_id"] if domain == "feature" else None, provenance)


def _carry_over(run: dict) -> ShippedHead | None:
    """Re-register the shipped feature head the run measured for the run's codec; None if it measured another."""
    name = head_name(run["task"], "feature")
    shipped = shipped_heads().get(name)
    given = Path(run.get("feature_head") or "")
    if shipped is None or given.resolve() != (HEADS_DIR / shipped.file).resolve():
        return None
    if file_sha256(given) != shipped.sha256:
        raise SystemExit(f"{given} does not match its recorded sha256: it is not the shipped head")
    provenance = (f"{shipped.provenance} [registered for codec {shipped.codec_id}] Carried over to codec "
                  f"{run['checkpoint_id']}: {_run_summary(run, 'feature')}")
    return register_head(name, given, shipped.config, run["checkpoint_id"], provenance)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="the --out folder of a machine_vision run that trained its heads "
                                               "or measured the shipped feature head")
    args = parser.parse_args()
    run = json.loads((args.run / "results.json").read_text())
    HEADS_DIR.mkdir(parents=True, exist_ok=True)
    shipped = []
    for domain in ("feature", "pixel"):
        source = args.run / "heads" / f"{domain}_head.pth"
        if source.is_file():
            shipped.append((head_name(run["task"], domain), _ship_trained(run, domain, source)))
    if not shipped:
        carried = _carry_over(run)
        if carried is None:
            raise SystemExit(f"{args.run}: the run neither trained heads nor measured the shipped feature head")
        shipped.append((head_name(run["task"], "feature"), carried))
    for name, entry in shipped:
        target = HEADS_DIR / entry.file
        print(json.dumps({"name": name, "bytes": target.stat().st_size, **vars(entry)}, indent=2))


if __name__ == "__main__":
    main()
