"""The demo behind `make demo`: code the bundled sample clip with the shipped model at every rate point,
decode it for people (pixels) and for machines (features only), and report size, quality and decode time."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from vnvc.codec import Decoder, Encoder
from vnvc.io.png import write_png_folder
from vnvc.io.source import open_video, tensor_to_frame
from vnvc.metrics import ms_ssim, psnr
from vnvc.zoo import DEFAULT, load_model

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "natural" / "clip0"


def _timed_decode(decoder: Decoder, stream: Path, until: str) -> tuple[list, float]:
    start = time.perf_counter()
    frames = list(decoder.decode(stream, until=until))
    return frames, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", default=str(SAMPLE))
    parser.add_argument("--checkpoint", default=DEFAULT)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "demo")
    args = parser.parse_args()

    source = list(open_video(args.input))
    model = load_model(args.checkpoint)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for rate in range(model.num_rates):
        stream = args.out / f"rate{rate}.vnvc"
        stream.unlink(missing_ok=True)
        stats = Encoder(model, rate=rate, intra_period=len(source)).encode(source, stream)
        decoder = Decoder(model)
        features, feature_seconds = _timed_decode(decoder, stream, "features")
        decoded, pixel_seconds = _timed_decode(decoder, stream, "pixels")
        pixels = [tensor_to_frame(f.pixels) for f in decoded]
        folder = args.out / f"rate{rate}_decoded"
        if not folder.exists():
            write_png_folder(pixels, folder)
        rows.append({
            "rate": rate, "bpp": stats.bpp, "bytes": stats.stream_bytes,
            "estimate_overhead_pct": 100 * (8 * sum(stats.frame_bytes) / stats.estimated_bits - 1),
            "psnr": float(np.mean([psnr(a, b) for a, b in zip(source, pixels)])),
            "msssim": float(np.mean([ms_ssim(a, b) for a, b in zip(source, pixels)])),
            "decode_to_features_s": feature_seconds, "decode_to_pixels_s": pixel_seconds,
            "feature_shape": list(features[0].feature.shape),
        })
    summary = {"input": str(args.input), "checkpoint": str(args.checkpoint), "frames": len(source),
               "width": source[0].shape[1], "height": source[0].shape[0], "rates": rows}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"{len(source)} frames {source[0].shape[1]}x{source[0].shape[0]} from {args.input}, model {args.checkpoint}")
    print(f"{'rate':>4} {'bpp':>8} {'PSNR':>7} {'MS-SSIM':>8} {'to features':>12} {'to pixels':>10}")
    for r in rows:
        print(f"{r['rate']:>4} {r['bpp']:>8.4f} {r['psnr']:>7.2f} {r['msssim']:>8.4f} "
              f"{r['decode_to_features_s']:>11.2f}s {r['decode_to_pixels_s']:>9.2f}s")
    print(f"wrote {args.out}/summary.json, streams and decoded PNG folders")


if __name__ == "__main__":
    main()
