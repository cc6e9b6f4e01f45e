"""Regenerate the bundled samples in samples/ (deterministic: a re-run rewrites identical files).

    python scripts/make_samples.py [--out samples]

- natural/clip0/im00001.png ...  one natural clip, 8 frames of 192x128 over scikit-image's motorcycle photograph
                                 (vnvc.data.natural, seed 0)
- synthetic/                     labelled synthetic video (vnvc.data.writers): train and val, 2 videos each of
                                 8 frames at 160x128, seed 0
- dataset_config.json            DCVC-style config of the natural clip and the synthetic val videos, paths relative
                                 to the config file
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from vnvc.data import clip_to_frames, generate_dataset, render_clip, update_dataset_config
from vnvc.data.images import COLOUR
from vnvc.io import write_png_folder

NATURAL = dict(frames=8, height=128, width=192, seed=0, photo=("skimage", "motorcycle_left.png"))
SYNTHETIC = dict(frames=8, height=128, width=160, seed=0)
SPLITS = {"train": 2, "val": 2}
ITEMS = ("natural", "synthetic", "dataset_config.json")


def make_samples(out: str | Path) -> None:
    """Write every sample into the folder ``out``, which must not hold them yet."""
    out = Path(out)
    clip = render_clip(NATURAL["frames"], NATURAL["height"], NATURAL["width"], np.random.default_rng(NATURAL["seed"]),
                       image_index=COLOUR.index(NATURAL["photo"]))
    write_png_folder(clip_to_frames(clip), out / "natural" / "clip0")
    for split, videos in SPLITS.items():
        generate_dataset(out / "synthetic", split, videos, **SYNTHETIC)
    config = out / "dataset_config.json"
    update_dataset_config(config, "NATURAL", "natural/", {"clip0": NATURAL["frames"]})
    synthetic = json.loads((out / "synthetic" / "dataset_config.json").read_text())["SYNTH_val"]
    update_dataset_config(config, "SYNTH_val", "synthetic/" + synthetic["base_path"],
                          {name: seq["frames"] for name, seq in synthetic["sequences"].items()})


def main() -> None:
    parser = argparse.ArgumentParser(description="Regenerate samples/ deterministically.")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "samples")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        make_samples(tmp)
        for item in ITEMS:
            old = out / item
            if old.is_dir():
                shutil.rmtree(old)
            elif old.exists():
                old.unlink()
            (Path(tmp) / item).rename(old)
    print(f"samples written to {out}")


if __name__ == "__main__":
    main()
