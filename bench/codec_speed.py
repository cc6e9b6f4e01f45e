"""Encoder and decoder speed and peak memory, and what decoding only to features saves over decoding to pixels,
for the decoder alone and for the whole machine pipeline (decoder + detector).

    python bench/codec_speed.py --sizes 240p 480p --frames 6 --out bench/results/codec_speed.json

Writes one JSON record per (size, stage): frames/s, seconds per frame and peak memory (RSS on CPU, allocator peak
on CUDA). The pipelines are VNVC's (decode to F̂t, Faster R-CNN on F̂t) against the pixel route (decode to pixels,
the same detector on RGB), with the shipped heads' sizes (configs/tasks/small/); ratios compare the pixel route with
the feature route. Not a test: numbers depend on the machine; the JSON names it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import describe_machine  # noqa: E402
from vnvc.bitstream import encode_stream  # noqa: E402
from vnvc.codec import DecodedFrame, Decoder, Encoder, Until  # noqa: E402
from vnvc.zoo import DEFAULT, load_model  # noqa: E402

SIZES = {"240p": (240, 416), "480p": (480, 832), "720p": (720, 1280), "1080p": (1080, 1920)}
DETECTORS = {"features": ROOT / "configs" / "tasks" / "small" / "detection_feature.py",
             "pixels": ROOT / "configs" / "tasks" / "small" / "detection_pixel.py"}


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


def build_detectors(feature_channels: int, device: torch.device) -> dict[str, torch.nn.Module]:
    """The Faster R-CNN of each route (keyed by what the decoder stops at), randomly initialised: the network's
    cost does not depend on its weights (only post-processing varies a little with how many boxes survive)."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    from tasks import load_task_config  # registers FeatureBackbone

    register_all_modules()
    detectors = {}
    for until, path in DETECTORS.items():
        cfg = load_task_config(path)
        if until == "features":
            cfg.model.backbone.in_channels = feature_channels
        detectors[until] = MODELS.build(cfg.model).to(device).eval()
    return detectors


def detector_input(frame: DecodedFrame) -> torch.Tensor:
    """What a detector gets for one decoded frame: F̂t cropped to the frame (C, H, W) as LoadDecodedFeature gives it,
    or the frame as the uint8 BGR (3, H, W) of LoadImageFromFile (the data preprocessor makes it RGB and normalises)."""
    if frame.pixels is None:
        return frame.feature[0, :, : frame.height, : frame.width]
    return (frame.pixels[0].flip(0) * 255).round().to(torch.uint8)


def detect(detector: torch.nn.Module, image: torch.Tensor) -> torch.Tensor:
    """Run the whole detector (preprocessor, backbone, neck, RPN, RoI head, NMS) on one image; the boxes' scores."""
    from mmdet.structures import DetDataSample

    shape = tuple(image.shape[-2:])
    sample = DetDataSample(metainfo=dict(img_shape=shape, ori_shape=shape, scale_factor=(1.0, 1.0)))
    with torch.no_grad():
        return detector.test_step(dict(inputs=[image], data_samples=[sample]))[0].pred_instances.scores


def _timing(seconds: float, frames: int, device: torch.device) -> dict:
    return {"fps": frames / seconds, "frame_seconds": seconds / frames, "seconds": seconds,
            "peak_mib": _peak_mib(device)}


def time_decode(decoder: Decoder, stream: bytes, until: Until, frames: int, device: torch.device,
                detector: torch.nn.Module | None = None) -> dict:
    """Decode the stream to `until`, each frame then going through `detector` when one is given."""
    _reset_peak(device)
    start = time.perf_counter()
    for frame in decoder.decode(stream, until=until):
        if detector is not None:
            output = detect(detector, detector_input(frame))
        else:
            output = frame.pixels if frame.pixels is not None else frame.feature
        output.sum().item()  # wait for the device
    return _timing(time.perf_counter() - start, frames, device)


def bench_size(model, label: str, frames: int, device: torch.device, rate: float,
               detectors: dict[str, torch.nn.Module]) -> list[dict]:
    height, width = SIZES[label]
    clip = _synthetic_clip(frames, height, width)
    encoder = Encoder(model, rate=rate, intra_period=frames, device=device)
    _reset_peak(device)
    start = time.perf_counter()
    records = [record for record, _, _ in encoder.iter_encode(clip)]
    rows = [{"size": label, "stage": "encode", **_timing(time.perf_counter() - start, frames, device)}]
    stream = encode_stream(encoder.header(width, height, len(records)), records)
    decoder = Decoder(model, device=device)
    detect(detectors["features"], torch.zeros(model.feature_channels, height, width, device=device))  # warm-up
    detect(detectors["pixels"], torch.zeros(3, height, width, dtype=torch.uint8, device=device))
    for suffix in ("", "+detect"):  # the decoder alone, then decoder + detector
        seconds = {}
        for until in ("features", "pixels"):
            detector = detectors[until] if suffix else None
            timing = time_decode(decoder, stream, until, frames, device, detector)
            rows.append({"size": label, "stage": f"decode_to_{until}{suffix}", **timing})
            seconds[until] = timing["seconds"]
        rows.append({"size": label, "stage": f"pixels_over_features_time{suffix}",
                     "ratio": seconds["pixels"] / seconds["features"]})
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
    detectors = build_detectors(model.feature_channels, device)
    rows = []
    for label in args.sizes:
        size_rows = bench_size(model, label, args.frames, device, args.rate, detectors)
        print(json.dumps(size_rows), flush=True)
        rows += size_rows
    result = {
        "checkpoint": str(args.checkpoint), "frames": args.frames, "rate": args.rate, "device": str(device),
        "detectors": {**{until: str(path.relative_to(ROOT)) for until, path in DETECTORS.items()},
                      "weights": "random init: the networks cost the same whatever the weights"},
        "machine": describe_machine(device),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
