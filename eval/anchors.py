"""Classic-codec anchors (x264, x265, SVT-AV1) through PyAV's bundled FFmpeg, in a low-delay P configuration.

Every codec sees the same input: RGB frames -> ``vnvc.io.yuv.rgb_to_yuv420`` (BT.601 limited range, the conversion
the YUV reader and writer use) -> ``yuv420p`` planes. Odd widths/heights are padded to even by repeating the last
column/row and cropped back after decoding. The produced stream is decoded with PyAV, the planes are turned back into
RGB with ``yuv420_to_rgb`` and measured against the original frames at their original size with ``vnvc.metrics``.

Rate is the sum of the coded packets (parameter sets included in the first frame). SEI NAL units of H.264/HEVC
(the encoder's version and option strings, ~0.5-2 kB) are dropped before measuring and decoding, as FFmpeg's
``filter_units=remove_types=...`` bitstream filter would.

    python eval/anchors.py VIDEO --codecs x264 x265 --qps 22 27 32 37 --intra-period 32 --output anchors.csv
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from vnvc.errors import VnvcError  # noqa: E402
from vnvc.io.base import VideoSource, check_rgb_frame  # noqa: E402
from vnvc.io.yuv import rgb_to_yuv420, yuv420_to_rgb  # noqa: E402
from vnvc.metrics import bits_per_pixel, ms_ssim, psnr, psnr_y  # noqa: E402

RATE_CONTROLS = ("qp", "crf")
_START_CODE = re.compile(b"\x00\x00\x01")


class AnchorError(VnvcError):
    """An anchor cannot run: unknown codec, encoder or decoder missing from PyAV, or bad settings."""


@dataclass(frozen=True)
class CodecSpec:
    """How one classic codec is driven through PyAV."""

    encoder: str
    decoder: str
    params_option: str
    default_preset: str
    qp_range: tuple[int, int]
    sei_types: frozenset[int] = frozenset()
    nal_type_shift: int = 0      # NAL unit type = (first header byte >> shift) & mask
    nal_type_mask: int = 0


CODECS = {
    "x264": CodecSpec("libx264", "h264", "x264-params", "medium", (0, 51), frozenset({6}), 0, 0x1F),
    "x265": CodecSpec("libx265", "hevc", "x265-params", "medium", (0, 51), frozenset({39, 40}), 1, 0x3F),
    "svtav1": CodecSpec("libsvtav1", "libdav1d", "svtav1-params", "8", (1, 63)),
}


@dataclass
class AnchorResult:
    """One (codec, qp) rate point: averages over frames plus per-frame lists (bits after SEI removal)."""

    codec: str
    preset: str
    qp: int
    rate_control: str
    intra_period: int
    width: int
    height: int
    frames: int
    bpp: float
    psnr: float
    psnr_y: float
    msssim: float
    encode_seconds: float
    decode_seconds: float
    stream_bytes: int
    options: str
    frame_types: list[str] = field(default_factory=list)
    frame_bits: list[float] = field(default_factory=list)
    frame_psnr: list[float] = field(default_factory=list)
    frame_psnr_y: list[float] = field(default_factory=list)
    frame_msssim: list[float] = field(default_factory=list)

    def record(self) -> dict:
        """A flat dict (per-frame lists included) for ``pandas.DataFrame`` or JSON."""
        return asdict(self)


def encoder_options(codec: str, qp: int, intra_period: int, preset: str | None = None, rate_control: str = "qp",
                    threads: int = 1) -> dict[str, str]:
    """The exact FFmpeg options ``run_anchor`` gives the encoder: low-delay P, fixed intra period, no scene cuts."""
    spec = _spec(codec)
    if rate_control not in RATE_CONTROLS:
        raise AnchorError(f"unknown rate control {rate_control!r}; choose one of {RATE_CONTROLS}")
    low, high = spec.qp_range
    if not low <= qp <= high:
        raise AnchorError(f"{codec}: {rate_control} {qp} outside {low}..{high}")
    if intra_period < 1:
        raise AnchorError(f"intra period must be at least 1, got {intra_period}")
    if threads < 1:
        raise AnchorError(f"threads must be at least 1, got {threads}")
    preset = spec.default_preset if preset is None else str(preset)
    if codec == "svtav1" and not preset.isdigit():
        raise AnchorError(f"svtav1: presets are numbers (0 slowest .. 13 fastest), got {preset!r}")
    n = intra_period
    if codec == "svtav1":
        params = f"pred-struct=1:keyint={n}:scd=0:rc=0:{rate_control}={qp}:lp={threads}"
        params += ":aq-mode=0" if rate_control == "qp" else ""
    else:
        params = f"bframes=0:keyint={n}:min-keyint={n}:scenecut=0:{rate_control}={qp}"
        params += f":threads={threads}" if codec == "x264" else f":pools={threads}:frame-threads=1:log-level=error"
    return {"preset": preset, spec.params_option: params}


def run_anchor(frames: Iterable[np.ndarray] | VideoSource, codec: str, qp: int, intra_period: int,
               preset: str | None = None, rate_control: str = "qp", threads: int = 1) -> AnchorResult:
    """Encode ``frames`` (``uint8`` ``(H, W, 3)`` RGB) with a classic codec, decode the stream and measure it.

    ``preset`` defaults to ``medium`` for x264/x265 and ``8`` for SVT-AV1. ``rate_control`` is ``"qp"`` (constant
    QP, the encoder's own I-frame offset applies) or ``"crf"``. ``threads`` is pinned (default 1) because x264's
    output depends on its thread count.
    """
    options = encoder_options(codec, qp, intra_period, preset, rate_control, threads)
    spec = CODECS[codec]
    _check_available(codec, spec)
    originals = frames if isinstance(frames, (list, VideoSource)) else list(frames)

    packets, encode_seconds, (height, width), frame_count = _encode(originals, spec, options)
    payloads = [_strip_sei(bytes(packet), spec) for packet in packets]
    decode_time = [0.0]
    frame_types, psnrs, psnr_ys, msssims = [], [], [], []
    count = 0
    for count, (decoded, original) in enumerate(zip(_decode(payloads, spec, decode_time), originals), start=1):
        frame_types.append(av.video.frame.PictureType(decoded.pict_type).name)
        rgb = yuv420_to_rgb(*_planes(decoded))[:height, :width]
        psnrs.append(psnr(original, rgb))
        psnr_ys.append(psnr_y(original, rgb))
        msssims.append(ms_ssim(original, rgb))
    if not count == frame_count == len(payloads):
        raise AnchorError(f"{codec}: {frame_count} frames in, {len(payloads)} packets, {count} frames decoded")
    bits = [8.0 * len(p) for p in payloads]
    return AnchorResult(
        codec=codec, preset=options["preset"], qp=qp, rate_control=rate_control, intra_period=intra_period,
        width=width, height=height, frames=count,
        bpp=bits_per_pixel(sum(bits), width, height) / count,
        psnr=float(np.mean(psnrs)), psnr_y=float(np.mean(psnr_ys)), msssim=float(np.mean(msssims)),
        encode_seconds=encode_seconds, decode_seconds=decode_time[0], stream_bytes=sum(map(len, payloads)),
        options=" ".join(f"{k}={v}" for k, v in options.items()), frame_types=frame_types, frame_bits=bits,
        frame_psnr=psnrs, frame_psnr_y=psnr_ys, frame_msssim=msssims)


def run_anchors(frames: Iterable[np.ndarray] | VideoSource, codecs: Iterable[str], qps: Iterable[int],
                intra_period: int, preset: str | None = None, rate_control: str = "qp",
                threads: int = 1) -> pd.DataFrame:
    """One row per (codec, qp) with ``AnchorResult``'s fields and ``point`` (``qp22``...) for BD-rate and plots."""
    originals = frames if isinstance(frames, (list, VideoSource)) else list(frames)
    rows = []
    for codec in codecs:
        for qp in qps:
            result = run_anchor(originals, codec, qp, intra_period, preset, rate_control, threads)
            rows.append({**result.record(), "point": f"{rate_control}{qp}"})
    return pd.DataFrame(rows)


def _spec(codec: str) -> CodecSpec:
    if codec not in CODECS:
        raise AnchorError(f"unknown anchor codec {codec!r}; choose one of {sorted(CODECS)}")
    return CODECS[codec]


def _check_available(codec: str, spec: CodecSpec) -> None:
    for name, mode, role in ((spec.encoder, "w", "encoder"), (spec.decoder, "r", "decoder")):
        try:
            av.codec.Codec(name, mode)
        except av.codec.codec.UnknownCodecError:
            raise AnchorError(f"{codec}: PyAV's FFmpeg has no {name} {role} (PyAV {av.__version__}); "
                              f"install a PyAV/FFmpeg build with {name}") from None


def _encode(frames: Iterable[np.ndarray], spec: CodecSpec,
            options: dict[str, str]) -> tuple[list[av.Packet], float, tuple[int, int], int]:
    """Packets of the whole sequence, seconds inside the encoder, the original ``(height, width)``, frame count."""
    if spec.encoder == "libsvtav1":
        os.environ.setdefault("SVT_LOG", "1")  # SVT-AV1 prints its configuration to stderr unless told not to
    context, size, packets, seconds = None, None, [], 0.0
    for index, frame in enumerate(frames):
        check_rgb_frame(frame)
        if size is None:
            size = frame.shape[:2]
            context = _open_encoder(spec, size[1] + size[1] % 2, size[0] + size[0] % 2, options)
        elif frame.shape[:2] != size:
            raise AnchorError(f"frame {index} is {frame.shape[1]}x{frame.shape[0]}, the first is {size[1]}x{size[0]}")
        video_frame = _video_frame(np.pad(frame, ((0, size[0] % 2), (0, size[1] % 2), (0, 0)), mode="edge"))
        video_frame.pts = index
        start = time.perf_counter()
        packets += context.encode(video_frame)
        seconds += time.perf_counter() - start
    if context is None:
        raise AnchorError("no frames to encode")
    start = time.perf_counter()
    packets += context.encode(None)
    seconds += time.perf_counter() - start
    return packets, seconds, size, index + 1


def _open_encoder(spec: CodecSpec, width: int, height: int, options: dict[str, str]) -> av.CodecContext:
    context = av.CodecContext.create(spec.encoder, "w")
    context.width, context.height, context.pix_fmt = width, height, "yuv420p"
    context.time_base, context.framerate = Fraction(1, 25), Fraction(25)
    context.options = options
    try:
        context.open()
    except av.FFmpegError as exc:
        raise AnchorError(f"{spec.encoder} refused the options {options} ({exc.strerror})") from None
    return context


def _video_frame(rgb: np.ndarray) -> av.VideoFrame:
    """A ``yuv420p`` PyAV frame holding ``rgb_to_yuv420(rgb)`` (planes copied row by row past FFmpeg's padding)."""
    frame = av.VideoFrame(rgb.shape[1], rgb.shape[0], "yuv420p")
    for plane, data in zip(frame.planes, rgb_to_yuv420(rgb)):
        buffer = np.zeros((plane.height, plane.line_size), dtype=np.uint8)
        buffer[:, :plane.width] = data
        plane.update(buffer)
    return frame


def _planes(frame: av.VideoFrame) -> list[np.ndarray]:
    if frame.format.name != "yuv420p":
        raise AnchorError(f"decoder returned {frame.format.name} frames, expected yuv420p")
    return [np.frombuffer(p, dtype=np.uint8).reshape(p.height, p.line_size)[:, :p.width] for p in frame.planes]


def _decode(payloads: list[bytes], spec: CodecSpec, seconds: list[float]) -> Iterator[av.VideoFrame]:
    """Decoded frames in order; time spent inside the decoder accumulates in ``seconds[0]``."""
    context = av.CodecContext.create(spec.decoder, "r")
    for payload in [*payloads, None]:
        start = time.perf_counter()
        frames = context.decode(None if payload is None else av.Packet(payload))
        seconds[0] += time.perf_counter() - start
        yield from frames


def _strip_sei(data: bytes, spec: CodecSpec) -> bytes:
    """Drop SEI NAL units from an Annex-B packet (unchanged for codecs without ``sei_types`` or without start codes)."""
    starts = [m.start() for m in _START_CODE.finditer(data)]
    if not spec.sei_types or not starts or starts[0] > 1:
        return data
    begins = [s - 1 if s > 0 and data[s - 1] == 0 else s for s in starts]  # a 4-byte start code owns its zero
    kept = [data[begin:end] for start, begin, end in zip(starts, begins, [*begins[1:], len(data)])
            if start + 3 >= len(data) or (data[start + 3] >> spec.nal_type_shift) & spec.nal_type_mask
            not in spec.sei_types]
    return b"".join(kept)


def main(argv: list[str] | None = None) -> int:
    from vnvc.io import open_video

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video", type=Path, help="PNG folder, .yuv (Name_WxH_fps.yuv) or video file")
    parser.add_argument("--codecs", nargs="+", default=["x264", "x265"], choices=sorted(CODECS))
    parser.add_argument("--qps", type=int, nargs="+", default=[22, 27, 32, 37])
    parser.add_argument("--intra-period", type=int, default=32)
    parser.add_argument("--max-frames", type=int, default=None)
    parser.add_argument("--preset", default=None, help="default: medium (x264/x265), 8 (SVT-AV1)")
    parser.add_argument("--rate-control", choices=RATE_CONTROLS, default="qp")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", type=Path, required=True, help="CSV, one row per codec and QP")
    args = parser.parse_args(argv)
    try:
        source = open_video(args.video, max_frames=args.max_frames)
        table = run_anchors(source, args.codecs, args.qps, args.intra_period, args.preset, args.rate_control,
                            args.threads)
    except VnvcError as exc:
        print(f"anchors: {exc}", file=sys.stderr)
        return 2
    table.insert(0, "sequence", source.name)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    table.drop(columns=[c for c in table.columns if c.startswith("frame_")]).to_csv(args.output, index=False)
    print(table[["codec", "qp", "bpp", "psnr", "psnr_y", "msssim"]].to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
