"""Entropy-coder benchmark: stream size against the model's estimate, and speed against constriction.

Latents shaped like 1080p, 720p and 240p frames (96 channels at 1/16 of the size padded to 64) get per-element
Gaussian-conditional statistics: scales log-normal around a per-channel level, means, values drawn from
N(means, scales) and quantized. Our coder (vnvc._native with GaussianConditional's tables) and constriction 0.5.0
(ANS stack and range queue, Categorical models made from the same integer tables, symbols grouped per table,
which is constriction's fastest path) code the same symbols, single-threaded. Escaped values go to constriction
as the escape symbol without the extra bits.

    python bench/entropy.py [--out bench/results/entropy.json] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vnvc import _native  # noqa: E402
from vnvc.entropy import GaussianConditional  # noqa: E402
from vnvc.entropy.base import round_symbols  # noqa: E402

FRAMES = {"1080p": (1920, 1080), "720p": (1280, 720), "240p": (416, 240)}
CHANNELS = 96
SCALE_LEVEL, CHANNEL_SPREAD, ELEMENT_SPREAD, MEAN_SPREAD = 0.15, 1.0, 0.5, 1.5


def latent_statistics(height: int, width: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(y, scales, means) float32 (1, C, h, w) for a frame padded to 64 and coded at 1/16."""
    h, w = math.ceil(height / 64) * 4, math.ceil(width / 64) * 4
    g = torch.Generator().manual_seed(seed)
    level = math.log(SCALE_LEVEL) + CHANNEL_SPREAD * torch.randn(1, CHANNELS, 1, 1, generator=g)
    scales = torch.exp(level + ELEMENT_SPREAD * torch.randn(1, CHANNELS, h, w, generator=g))
    means = MEAN_SPREAD * torch.randn(1, CHANNELS, h, w, generator=g)
    y = means + scales * torch.randn(1, CHANNELS, h, w, generator=g)
    return y, scales, means


def best_time(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def constriction_speeds(symbols: np.ndarray, indexes: np.ndarray, tables, repeats: int) -> dict:
    """Encode/decode times of constriction's ANS and range coders on the same symbols, grouped per table."""
    import constriction

    cdfs, lengths, offsets = tables
    model_cls = constriction.stream.model.Categorical
    order = np.argsort(indexes, kind="stable")
    bounds = np.searchsorted(indexes[order], np.arange(len(lengths) + 1))
    groups, models = [], []
    for t in range(len(lengths)):
        members = order[bounds[t]: bounds[t + 1]]
        if len(members) == 0:
            continue
        regular = int(lengths[t]) - 2
        k = symbols[members].astype(np.int64) - int(offsets[t])
        k[(k < 0) | (k >= regular)] = regular  # escape symbol
        freqs = np.diff(cdfs[t, : lengths[t]]).astype(np.float64)
        groups.append(k.astype(np.int32))
        models.append(model_cls(freqs / freqs.sum(), perfect=False))

    def ans_encode():
        coder = constriction.stream.stack.AnsCoder()
        for k, model in zip(reversed(groups), reversed(models)):
            coder.encode_reverse(k, model)
        return coder.get_compressed()

    def ans_decode(words):
        coder = constriction.stream.stack.AnsCoder(words)
        return [coder.decode(model, len(k)) for k, model in zip(groups, models)]

    def range_encode():
        coder = constriction.stream.queue.RangeEncoder()
        for k, model in zip(groups, models):
            coder.encode(k, model)
        return coder.get_compressed()

    def range_decode(words):
        coder = constriction.stream.queue.RangeDecoder(words)
        return [coder.decode(model, len(k)) for k, model in zip(groups, models)]

    out = {}
    for name, encode, decode in [("ans", ans_encode, ans_decode), ("range", range_encode, range_decode)]:
        t_enc, words = best_time(encode, repeats)
        t_dec, decoded = best_time(lambda: decode(words), repeats)
        assert all(np.array_equal(a, b) for a, b in zip(decoded, groups)), f"constriction {name} round trip failed"
        out[name] = {"bytes": int(words.nbytes), "encode_s": t_enc, "decode_s": t_dec}
    return out


def bench_frame(model: GaussianConditional, name: str, size: tuple[int, int], repeats: int, seed: int) -> dict:
    y, scales, means = latent_statistics(size[1], size[0], seed)
    symbols_t = round_symbols(y - means)
    symbols = symbols_t.numpy().ravel()
    indexes = model._indexes(scales).numpy().ravel()
    tables = model._tables()
    with torch.no_grad():
        likelihoods = model.likelihood(symbols_t.double() + means.double(), scales.double(), means.double())
    estimate_bits = float(-torch.log2(likelihoods).sum())

    t_enc, data = best_time(lambda: _native.encode(symbols, indexes, *tables), repeats)
    t_dec, decoded = best_time(lambda: _native.decode(data, indexes, *tables), repeats)
    assert np.array_equal(decoded, symbols), "vnvc round trip failed"
    count = symbols.size
    theirs = constriction_speeds(symbols, indexes, tables, repeats)

    def msym(seconds: float) -> float:
        return round(count / seconds / 1e6, 1)

    result = {
        "latent_shape": list(y.shape),
        "symbols": count,
        "escapes": int(np.sum(decoded != np.clip(decoded, *_support(indexes, tables)))),
        "entropy_estimate_bytes": round(estimate_bits / 8, 1),
        "estimate_bits_per_symbol": round(estimate_bits / count, 4),
        "bytes": len(data),
        "overhead_percent": round(100 * (8 * len(data) / estimate_bits - 1), 4),
        "vnvc": {"encode_msym_s": msym(t_enc), "decode_msym_s": msym(t_dec)},
    }
    for coder, r in theirs.items():
        result[f"constriction_{coder}"] = {
            "bytes": r["bytes"], "encode_msym_s": msym(r["encode_s"]), "decode_msym_s": msym(r["decode_s"]),
        }
    fastest_enc = min(r["encode_s"] for r in theirs.values())
    fastest_dec = min(r["decode_s"] for r in theirs.values())
    result["speed_ratio_vs_fastest_constriction"] = {
        "encode": round(fastest_enc / t_enc, 2), "decode": round(fastest_dec / t_dec, 2),
    }
    print(f"{name}: {count} symbols, {len(data)} B vs estimate {estimate_bits / 8:.0f} B "
          f"({result['overhead_percent']:+.3f}%), vnvc enc {msym(t_enc)} / dec {msym(t_dec)} Msym/s, "
          f"ratio enc {result['speed_ratio_vs_fastest_constriction']['encode']}x "
          f"dec {result['speed_ratio_vs_fastest_constriction']['decode']}x", flush=True)
    return result


def _support(indexes: np.ndarray, tables) -> tuple[np.ndarray, np.ndarray]:
    _, lengths, offsets = tables
    return offsets[indexes], offsets[indexes] + lengths[indexes] - 3


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/results/entropy.json"))
    parser.add_argument("--repeats", type=int, default=5, help="timings are the best of this many runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    model = GaussianConditional().eval()
    model.update()
    report = {
        "command": "python bench/entropy.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "cpu": _cpu(),
        "python": platform.python_version(),
        "statistics": {
            "channels": CHANNELS, "scale_level": SCALE_LEVEL, "channel_log_scale_spread": CHANNEL_SPREAD,
            "element_log_scale_spread": ELEMENT_SPREAD, "mean_spread": MEAN_SPREAD,
            "scale_levels": int(model.scale_table.numel()), "seed": args.seed, "repeats": args.repeats,
        },
        "frames": {name: bench_frame(model, name, size, args.repeats, args.seed) for name, size in FRAMES.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
