"""Does a stream encoded on one device decode on another? Encodes a clip on --encode-device, decodes it on
--decode-device, and reports whether the latent checksums held and how far features and pixels moved.

    python bench/cross_device.py --encode-device cuda --decode-device cpu --out bench/results/cross_device.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codec_speed import SIZES, _synthetic_clip  # noqa: E402
from vnvc.bitstream import encode_stream  # noqa: E402
from vnvc.codec import Decoder, Encoder  # noqa: E402
from vnvc.errors import BitstreamError  # noqa: E402
from vnvc.zoo import DEFAULT, load_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=DEFAULT)
    parser.add_argument("--encode-device", default="cuda")
    parser.add_argument("--decode-device", default="cpu")
    parser.add_argument("--size", default="240p", choices=sorted(SIZES))
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "cross_device.json")
    args = parser.parse_args()
    height, width = SIZES[args.size]
    clip = _synthetic_clip(args.frames, height, width)
    encoder = Encoder(load_model(args.checkpoint), rate=2, intra_period=args.frames, device=args.encode_device)
    encoded, records = [], []
    for record, frame, _ in encoder.iter_encode(clip, until="pixels"):
        records.append(record)
        encoded.append((frame.feature.cpu(), frame.pixels.cpu()))
    stream = encode_stream(encoder.header(width, height, len(records)), records)
    result = {"encode_device": args.encode_device, "decode_device": args.decode_device, "size": args.size,
              "frames": args.frames, "decoded_frames": 0, "error": None, "max_feature_diff": [], "max_pixel_diff": []}
    try:
        for frame, (feature, pixels) in zip(Decoder(load_model(args.checkpoint), device=args.decode_device)
                                            .decode(stream, until="pixels"), encoded):
            result["decoded_frames"] += 1
            result["max_feature_diff"].append(float((frame.feature.cpu() - feature).abs().max()))
            result["max_pixel_diff"].append(float((frame.pixels.cpu() - pixels).abs().max()))
    except BitstreamError as exc:
        result["error"] = str(exc)
    result["bit_exact"] = result["error"] is None and not any(result["max_feature_diff"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


if __name__ == "__main__":
    torch.backends.cudnn.benchmark = False
    main()
