"""The `vnvc` command: encode, decode, info, train.

Every error a user can cause ends with one line `vnvc: <what went wrong>` on stderr, exit status 2, and no output
file left behind.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import VnvcError


def _add_model_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", default="small",
                        help="shipped model name, checkpoint file, or config:<name> for an untrained model")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")


def _encode(args: argparse.Namespace) -> None:
    from .codec import Encoder
    from .io.source import open_video
    from .refinement import LatentRefinement
    from .zoo import load_model

    refinement = LatentRefinement(steps=args.refine_steps)
    source = open_video(args.input, width=args.width, height=args.height, max_frames=args.frames)
    encoder = Encoder(load_model(args.checkpoint), rate=args.rate, intra_period=args.intra_period, device=args.device,
                      refinement=refinement)
    stats = encoder.encode(source, args.output, progress=not args.quiet)
    print(json.dumps({
        "output": str(args.output), "frames": stats.frames, "width": stats.width, "height": stats.height,
        "bytes": stats.stream_bytes, "bpp": round(stats.bpp, 6), "estimated_bits": round(stats.estimated_bits, 1),
    }))


def _decode(args: argparse.Namespace) -> None:
    from .codec import Decoder
    from .output import write_decoded
    from .zoo import load_model

    decoder = Decoder(load_model(args.checkpoint), device=args.device)
    frames = decoder.decode(args.stream, until="features" if args.features else "pixels")
    if not args.quiet:
        from tqdm import tqdm

        frames = tqdm(frames, desc=f"decode {Path(args.stream).name}", unit="frame")
    count = write_decoded(frames, args.output, features=args.features)
    print(json.dumps({"output": str(args.output), "frames": count, "until": "features" if args.features else "pixels"}))


def _info(args: argparse.Namespace) -> None:
    from .bitstream import BitstreamReader

    with BitstreamReader(args.stream) as reader:
        header = reader.header
        frames = [{"type": r.frame_type.name, "bytes": r.size, "payload_bytes": r.payload_bytes} for r in reader]
    print(json.dumps({
        "checkpoint_id": header.checkpoint_id.hex(), "width": header.width, "height": header.height,
        "padded": [header.padded_width, header.padded_height], "frame_count": header.frame_count,
        "intra_period": header.intra_period, "rate": header.rate, "enhancement": header.enhancement,
        "frames": frames if args.frames else len(frames),
    }, indent=2))


def _train(args: argparse.Namespace) -> None:
    from .train.run import train_from_config

    train_from_config(args.config, work_dir=args.work_dir, resume=args.resume, device=args.device)


def _fail(message: str) -> int:
    """One line on stderr; undecodable bytes of file names are shown as escapes instead of crashing the print."""
    line = f"vnvc: {message}".encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    print(line.replace("\n", " "), file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vnvc", description="Neural video coding for people and machines (VNVC).")
    sub = parser.add_subparsers(dest="command", required=True)

    enc = sub.add_parser("encode", help="encode a video (PNG folder, .yuv, mp4/mkv) into a .vnvc stream")
    enc.add_argument("input")
    enc.add_argument("-o", "--output", required=True, type=Path)
    enc.add_argument("--rate", type=float, default=2, help="rate point: 0 (lowest) … 3 (highest), fractions allowed")
    enc.add_argument("--intra-period", type=int, default=32)
    enc.add_argument("--frames", type=int, default=None, help="encode only the first N frames")
    enc.add_argument("--refine-steps", type=int, default=0,
                     help="refine each frame's latents for that frame with N gradient steps before coding "
                          "(slower encoding, same decoder; 20 is a good start)")
    enc.add_argument("--width", type=int, default=None, help="frame width of a raw .yuv without WxH in its name")
    enc.add_argument("--height", type=int, default=None)
    enc.add_argument("-q", "--quiet", action="store_true")
    _add_model_args(enc)
    enc.set_defaults(run=_encode)

    dec = sub.add_parser("decode", help="decode a .vnvc stream to pixels (PNG folder or .yuv) or features")
    dec.add_argument("stream")
    dec.add_argument("-o", "--output", required=True, type=Path,
                     help="PNG folder or .yuv file; with --features a .npz or .pt file")
    dec.add_argument("--features", action="store_true", help="decode only as far as the features (no pixels)")
    dec.add_argument("-q", "--quiet", action="store_true")
    _add_model_args(dec)
    dec.set_defaults(run=_decode)

    info = sub.add_parser("info", help="print a stream's header and frame sizes")
    info.add_argument("stream")
    info.add_argument("--frames", action="store_true", help="list every frame")
    info.set_defaults(run=_info)

    train = sub.add_parser("train", help="train or fine-tune a codec from a training config")
    train.add_argument("config")
    train.add_argument("--work-dir", type=Path, default=None)
    train.add_argument("--resume", action="store_true", help="continue from the work dir's last checkpoint")
    train.add_argument("--device", default="cpu")
    train.set_defaults(run=_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except VnvcError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    except KeyboardInterrupt:
        print("vnvc: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
