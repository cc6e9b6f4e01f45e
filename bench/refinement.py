"""Encoder-side latent refinement: what each number of steps buys and costs on the bundled natural clip.

    python bench/refinement.py --steps 0 5 10 20 40 --rate 1 --out bench/results/refinement.json

For every number of steps the clip is encoded (intra period 8), the stream written and decoded; the JSON records
per setting the stream's bpp, the decoded PSNR (all frames, I and P apart), the rate–distortion cost J the
refinement lowers (bpp + λ·255²·MSE, mean over frames) and encoding / decoding seconds per frame. Not a test:
times depend on the machine, which the JSON names.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import describe_machine  # noqa: E402
from vnvc.codec import Decoder, Encoder  # noqa: E402
from vnvc.io.png import list_png_frames, read_png  # noqa: E402
from vnvc.io.source import tensor_to_frame  # noqa: E402
from vnvc.metrics import psnr  # noqa: E402
from vnvc.refinement import LatentRefinement  # noqa: E402
from vnvc.zoo import DEFAULT, load_model  # noqa: E402


def measure(model, frames: list[np.ndarray], rate: float, steps: int, stream: Path) -> dict:
    encoder = Encoder(model, rate=rate, intra_period=8, refinement=LatentRefinement(steps=steps))
    start = time.perf_counter()
    encoder.encode(frames, stream)
    encode_seconds = time.perf_counter() - start
    start = time.perf_counter()
    decoded = list(Decoder(model).decode(stream))
    decode_seconds = time.perf_counter() - start
    pixels = frames[0].shape[0] * frames[0].shape[1]
    lam = model.config.lambda_at(rate)
    rows = []
    for frame, original in zip(decoded, frames):
        image = tensor_to_frame(frame.pixels)
        mse = float(np.mean((image.astype(np.float64) - original) ** 2)) / 255**2
        bpp = 8 * frame.num_bytes / pixels
        rows.append({"type": frame.frame_type.name, "bpp": bpp, "psnr": psnr(original, image),
                     "cost": bpp + lam * 255**2 * mse})

    def mean(key: str, kind: str | None = None) -> float:
        return float(np.mean([r[key] for r in rows if kind is None or r["type"] == kind]))
    return {"steps": steps, "bpp": mean("bpp"), "psnr": mean("psnr"), "cost": mean("cost"),
            "i_frame_psnr": mean("psnr", "INTRA"), "p_frame_psnr": mean("psnr", "INTER"),
            "i_frame_bpp": mean("bpp", "INTRA"), "p_frame_bpp": mean("bpp", "INTER"),
            "encode_seconds_per_frame": encode_seconds / len(frames),
            "decode_seconds_per_frame": decode_seconds / len(frames)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", type=Path, default=ROOT / "samples" / "natural" / "clip0")
    parser.add_argument("--steps", type=int, nargs="+", default=[0, 5, 10, 20, 40])
    parser.add_argument("--rate", type=float, default=1)
    parser.add_argument("--checkpoint", default=DEFAULT)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "refinement.json")
    args = parser.parse_args(argv)
    model = load_model(args.checkpoint)
    frames = [read_png(path) for path in list_png_frames(args.clip)]
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for steps in args.steps:
            results.append(measure(model, frames, args.rate, steps, Path(tmp) / f"s{steps}.vnvc"))
            r = results[-1]
            print(f"steps {steps:3d}: {r['bpp']:.4f} bpp {r['psnr']:.2f} dB (P {r['p_frame_psnr']:.2f}) "
                  f"J {r['cost']:.4f}  encode {r['encode_seconds_per_frame']:.2f} s/frame", flush=True)
    height, width = frames[0].shape[:2]
    payload = {"clip": str(args.clip.resolve().relative_to(ROOT)) if args.clip.resolve().is_relative_to(ROOT)
               else str(args.clip), "frames": len(frames), "size": [width, height], "rate": args.rate,
               "checkpoint": args.checkpoint, "checkpoint_id": model.checkpoint_id().hex(),
               "machine": describe_machine(),
               "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
