"""Human-vision evaluation in the DCVC style: a dataset config in, one JSON out with every codec, class,
sequence and rate point (DCVC's per-sequence fields plus timing, real stream bytes vs estimate and Y-PSNR).

    python eval/human_vision.py --test-config CFG.json --output-path OUT.json [--rates 0 1 2 3]
        [--checkpoint small] [--write-stream DIR] [--anchors x264 x265] [--anchor-qps 22 27 32 37]
        [--metric psnr|msssim]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from vnvc.bitstream import FrameType, encode_stream  # noqa: E402
from vnvc.codec import Decoder, Encoder  # noqa: E402
from vnvc.errors import VnvcError  # noqa: E402
from vnvc.io.dataset_config import SequenceSpec, load_dataset_config  # noqa: E402
from vnvc.io.source import tensor_to_frame  # noqa: E402
from vnvc.metrics import ms_ssim, psnr, psnr_y  # noqa: E402
from vnvc.models import VideoCodec  # noqa: E402
from vnvc.refinement import LatentRefinement  # noqa: E402
from vnvc.zoo import DEFAULT, load_model  # noqa: E402


METRICS = ("psnr", "msssim")  # the printed summary's columns after bpp, headline first


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0


def summarize(frame_types: list[str], bits: list[float], psnrs: list[float], msssims: list[float],
              pixels: int) -> dict[str, Any]:
    """DCVC's averages over I frames, P frames and all frames, from per-frame lists."""
    bpp = [b / pixels for b in bits]
    out: dict[str, Any] = {}
    for label, keep in (("i", "I"), ("p", "P"), ("all", None)):
        idx = [i for i, t in enumerate(frame_types) if keep is None or t == keep]
        if label != "all":
            out[f"{label}_frame_num"] = len(idx)
        out[f"ave_{label}_frame_bpp"] = _mean([bpp[i] for i in idx])
        out[f"ave_{label}_frame_psnr"] = _mean([psnrs[i] for i in idx])
        out[f"ave_{label}_frame_msssim"] = _mean([msssims[i] for i in idx])
    out.update(frame_bpp=bpp, frame_psnr=psnrs, frame_msssim=msssims, frame_type=frame_types)
    return out


def evaluate_vnvc(
    model: VideoCodec, seq: SequenceSpec, rate: float, stream_dir: Path | None,
    refinement: LatentRefinement | None = None,
) -> dict[str, Any]:
    """Encode, write the real stream, decode it, and measure what the decoder produced."""
    originals = list(seq.open())
    encoder = Encoder(model, rate=rate, intra_period=seq.intra_period, refinement=refinement)
    records, frame_bytes, encode_times, coded_frames = [], [], [], []
    start = time.perf_counter()
    for record, decoded, coded in encoder.iter_encode(originals):
        records.append(record)
        frame_bytes.append(decoded.num_bytes)
        coded_frames.append(coded)
        encode_times.append(time.perf_counter() - start)
        start = time.perf_counter()
    stream = encode_stream(encoder.header(seq.width, seq.height, len(records)), records)
    if stream_dir is not None:
        stream_dir.mkdir(parents=True, exist_ok=True)
        (stream_dir / f"{seq.name.replace('/', '_')}_rate{rate:g}.vnvc").write_bytes(stream)

    decode_times, psnrs, psnr_ys, msssims = [], [], [], []
    start = time.perf_counter()
    for frame, original in zip(Decoder(model).decode(stream, until="pixels"), originals):
        decode_times.append(time.perf_counter() - start)
        decoded = tensor_to_frame(frame.pixels)
        psnrs.append(psnr(original, decoded))
        psnr_ys.append(psnr_y(original, decoded))
        msssims.append(ms_ssim(original, decoded))
        start = time.perf_counter()

    pixels = seq.width * seq.height
    frame_types = ["I" if r.frame_type == FrameType.INTRA else "P" for r in records]
    # what each frame takes in the file, so that the rates add up to the stream (the stream header counts with
    # the first frame, as the anchors' parameter sets do)
    result = summarize(frame_types, [8.0 * n for n in frame_bytes], psnrs, msssims, pixels)
    payload_bits = 8.0 * sum(r.payload_bytes for r in records)
    estimates = [c.estimated_bits for c in coded_frames]
    inter = [c for c in coded_frames if c.frame_type == FrameType.INTER]
    if inter:  # one stream holds both latents: the split is the entropy model's estimate
        for key, latent in (("mv", "motion"), ("residual", "residual")):
            result[f"ave_p_frame_bpp_{key}_estimate"] = _mean([c.latent_bits[latent] / pixels for c in inter])
    result.update(
        ave_all_frame_psnr_y=_mean(psnr_ys), frame_psnr_y=psnr_ys,
        stream_bytes=len(stream), stream_bpp=8.0 * len(stream) / (pixels * len(records)),
        estimated_bits=float(sum(estimates)), payload_bits=payload_bits,
        estimate_overhead_pct=100.0 * (payload_bits / sum(estimates) - 1) if sum(estimates) else 0.0,
        frame_encode_time=encode_times, frame_decode_time=decode_times,
        ave_encode_time=_mean(encode_times), ave_decode_time=_mean(decode_times), rate=rate,
    )
    return result


def evaluate_anchor(codec: str, seq: SequenceSpec, qp: int, preset: str) -> dict[str, Any]:
    from eval.anchors import run_anchor

    result = run_anchor(seq.open(), codec, qp, seq.intra_period, preset=preset)
    frame_types = ["I" if t == "I" else "P" for t in result.frame_types]
    out = summarize(frame_types, result.frame_bits, result.frame_psnr, result.frame_msssim, seq.width * seq.height)
    out.update(ave_all_frame_psnr_y=result.psnr_y, qp=qp, preset=result.preset, stream_bytes=result.stream_bytes,
               ave_encode_time=result.encode_seconds / max(1, result.frames),
               ave_decode_time=result.decode_seconds / max(1, result.frames))
    return out


def results_table(results: dict[str, Any]) -> pd.DataFrame:
    """Flatten the JSON into one row per codec, class, sequence and rate point (for BD-rate and plots). Beside the
    whole stream's columns, `i_bpp`, `i_psnr`, `p_bpp` and `p_psnr` are those of its I- and P-frames alone (NaN
    where a stream has none): `eval/bdrate.py --rate-col p_bpp --metric p_psnr` compares the P-frames."""
    rows = []
    for codec, classes in results["codecs"].items():
        for dataset, sequences in classes.items():
            for sequence, points in sequences.items():
                for point, r in points.items():
                    by_type = {f"{kind}_{measure}": r[f"ave_{kind}_frame_{measure}"] if r[f"{kind}_frame_num"] else None
                               for kind in ("i", "p") for measure in ("bpp", "psnr")}
                    rows.append({"codec": codec, "dataset": dataset, "sequence": sequence, "point": point,
                                 "bpp": r["ave_all_frame_bpp"], "psnr": r["ave_all_frame_psnr"],
                                 "psnr_y": r["ave_all_frame_psnr_y"], "msssim": r["ave_all_frame_msssim"], **by_type})
    return pd.DataFrame(rows)


def run(args: argparse.Namespace) -> dict[str, Any]:
    sequences = load_dataset_config(args.test_config)
    model = load_model(args.checkpoint)
    refinement = LatentRefinement(steps=args.refine_steps)
    name = f"vnvc-{model.config.name}" + (f"-refine{args.refine_steps}" if args.refine_steps else "")
    results: dict[str, Any] = {"test_config": str(args.test_config), "checkpoint": str(args.checkpoint),
                               "checkpoint_id": model.checkpoint_id().hex(), "codecs": {name: {}}}
    for seq in sequences:
        for rate in args.rates:
            print(f"[{name}] {seq.dataset}/{seq.name} rate {rate:g}", flush=True)
            point = evaluate_vnvc(model, seq, rate, args.write_stream, refinement)
            results["codecs"][name].setdefault(seq.dataset, {}).setdefault(seq.name, {})[f"rate{rate:g}"] = point
        for codec in args.anchors:
            for qp in args.anchor_qps:
                print(f"[{codec}] {seq.dataset}/{seq.name} qp {qp}", flush=True)
                point = evaluate_anchor(codec, seq, qp, args.anchor_preset)
                results["codecs"].setdefault(codec, {}).setdefault(seq.dataset, {}).setdefault(seq.name, {})[
                    f"qp{qp}"] = point
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--test-config", required=True, type=Path, help="DCVC-style dataset config JSON")
    parser.add_argument("--output-path", required=True, type=Path)
    parser.add_argument("--rates", type=float, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--checkpoint", default=DEFAULT)
    parser.add_argument("--refine-steps", type=int, default=0,
                        help="encoder-side latent refinement steps per frame (vnvc.refinement); 0: off")
    parser.add_argument("--write-stream", type=Path, default=None, help="also keep the .vnvc files in this folder")
    parser.add_argument("--anchors", nargs="*", default=[], help="classic codecs to run: x264 x265 svtav1")
    parser.add_argument("--anchor-qps", type=int, nargs="+", default=[22, 27, 32, 37])
    parser.add_argument("--anchor-preset", default=None, help="encoder preset (default: each codec's own)")
    parser.add_argument("--metric", choices=METRICS, default="psnr",
                        help="headline metric of the printed summary (the JSON has every metric)")
    args = parser.parse_args(argv)
    try:
        results = run(args)
    except VnvcError as exc:
        print(f"human_vision: {exc}", file=sys.stderr)
        return 2
    args.output_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output_path.with_name(f".{args.output_path.name}.tmp")
    tmp.write_text(json.dumps(results, indent=2))
    tmp.replace(args.output_path)
    table = results_table(results)
    columns = ["bpp", args.metric, *(m for m in METRICS if m != args.metric)]
    print(table.groupby(["codec", "point"])[columns].mean().to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
