"""Encoder and decoder speed and peak memory, and what decoding only to features saves over decoding to pixels.

    python bench/codec_speed.py --sizes 240p 480p --frames 6 --out bench/results/codec_speed.json

Writes one JSON record per (size, decode target): frames/s and peak memory (RSS on CPU, allocator peak on CUDA).
Not a test: numbers depend on the machine; the JSON names it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vnvc.bitstream import encode_stream  # noqa: E402
from vnvc.codec import Decoder, Encoder  # noqa: E402
from vnvc.zoo import DEFAULT, load_model  # noqa: E402

SIZES = {"240p": (240, 416), "480p": (480, 832), "720p": (720, 1280), "1080p": (1080, 1920)}


def _reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats(device)
    else:
        Path("/proc/self/clear_refs").write_text("5")  # resets the kernel's peak-RSS counter


def _peak_mib(device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated(device) / 2**20
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _synthetic_clip(frames: int, height: int, width: int) -> list[np.ndarray]:
    """Smoothly moving texture: realistic enough for timing (content does not change the network cost)."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (height + frames * 2, width + frames * 2, 3), dtype=np.uint8)
    return [np.ascontiguousarray(base[t * 2: t * 2 + height, t: t + width]) for t in range(frames)]


def bench_size(model, label: str, frames: int, device: torch.device, rate: float) -> list[dict]:
    height, width = SIZES[label]
    clip = _synthetic_clip(frames, height, width)
    encoder = Encoder(model, rate=rate, intra_period=frames, device=device)
    _reset_peak(device)
    start = time.perf_counter()
    records = [record for record, _, _ in encoder.iter_encode(clip)]
    encode_s = time.perf_counter() - start
    encode_peak = _peak_mib(device)
    stream = encode_stream(encoder.header(width, height, len(records)), records)
    rows = [{"size": label, "stage": "encode", "fps": frames / encode_s, "peak_mib": encode_peak}]
    decoder = Decoder(model, device=device)
    for until in ("features", "pixels"):
        _reset_peak(device)
        start = time.perf_counter()
        for frame in decoder.decode(stream, until=until):
            (frame.pixels if frame.pixels is not None else frame.feature).sum().item()  # wait for the device
        seconds = time.perf_counter() - start
        rows.append({"size": label, "stage": f"decode_to_{until}", "fps": frames / seconds,
                     "peak_mib": _peak_mib(device), "seconds": seconds})
    rows.append({"size": label, "stage": "pixels_over_features_time",
                 "ratio": rows[2]["seconds"] / rows[1]["seconds"]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=DEFAULT)
    parser.add_argument("--sizes", nargs="+", default=["240p", "480p"], choices=sorted(SIZES))
    parser.add_argument("--frames", type=int, default=6)
    parser.add_argument("--rate", type=float, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "codec_speed.json")
    args = parser.parse_args()
    device = torch.device(args.device)
    model = load_model(args.checkpoint)
    rows = []
    for label in args.sizes:
        rows += bench_size(model, label, args.frames, device, args.rate)
        print(json.dumps(rows[-4:]), flush=True)
    result = {
        "checkpoint": str(args.checkpoint), "frames": args.frames, "rate": args.rate, "device": str(device),
        "machine": {"cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
                    "cores": os.cpu_count(), "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
                    "torch": torch.__version__},
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
