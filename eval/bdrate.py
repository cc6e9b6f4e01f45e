"""Bjøntegaard delta rate (BD-rate, %) and delta quality (BD-PSNR, dB) between rate-distortion curves.

Both curves are interpolated in the log-rate domain and averaged over the quality (or log-rate) interval they share:

- ``method="pchip"`` (default): piecewise cubic Hermite interpolation through the points, integrated exactly. This is
  what the JCT-VC / JVET common-test-condition Excel sheets compute (JCTVC-L1100, JVET-T2010); it is validated
  against the JCTVC-E137 worked examples to 1e-10 %.
- ``method="cubic"``: the original VCEG-M33 model, one least-squares cubic polynomial of log-rate in quality (or of
  quality in log-rate) per curve, integrated exactly.

A curve needs at least 4 points whose quality rises strictly with rate. Scalar functions raise ``BdRateError`` for
too few points, non-finite or non-positive values, a non-monotone curve or curves that do not overlap;
``bd_rate_table`` turns such a comparison into NaN with the reason in its ``note`` column and a ``BdRateWarning``.

    python eval/bdrate.py results.csv --anchor x265 --metric psnr [--method cubic] [--format csv]
    python eval/bdrate.py human_vision.json --anchor x265 --group-cols dataset sequence
    python eval/bdrate.py anchors.json refined.json --anchor x265      # several files: their rows together
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.interpolate import PchipInterpolator

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from vnvc.errors import VnvcError  # noqa: E402

METHODS = ("pchip", "cubic")
MIN_POINTS = 4


class BdRateError(VnvcError, ValueError):
    """Two curves cannot be compared: too few points, bad values, a non-monotone curve or no overlap."""


class BdRateWarning(UserWarning):
    """A comparison in a BD-rate table could not be made and was left as NaN."""


def bd_rate(rate_anchor: Sequence[float], metric_anchor: Sequence[float], rate_test: Sequence[float],
            metric_test: Sequence[float], method: str = "pchip") -> float:
    """Average rate difference of the test curve over the anchor at equal quality, in percent (negative: saves bits).
    """
    log_a, quality_a = _curve(rate_anchor, metric_anchor, "anchor")
    log_t, quality_t = _curve(rate_test, metric_test, "test")
    low, high = _overlap(quality_a, quality_t, "quality")
    diff = _mean(quality_t, log_t, low, high, method) - _mean(quality_a, log_a, low, high, method)
    return 100.0 * math.expm1(diff)


def bd_metric(rate_anchor: Sequence[float], metric_anchor: Sequence[float], rate_test: Sequence[float],
              metric_test: Sequence[float], method: str = "pchip") -> float:
    """Average quality difference of the test curve over the anchor at equal rate (BD-PSNR in dB for PSNR)."""
    log_a, quality_a = _curve(rate_anchor, metric_anchor, "anchor")
    log_t, quality_t = _curve(rate_test, metric_test, "test")
    low, high = _overlap(log_a, log_t, "rate")
    return _mean(log_t, quality_t, low, high, method) - _mean(log_a, quality_a, low, high, method)


def bd_rate_table(df: pd.DataFrame, anchor: str, metric: str = "psnr", rate_col: str = "bpp",
                  codec_col: str = "codec", group_cols: Sequence[str] = ("dataset", "sequence"),
                  method: str = "pchip") -> pd.DataFrame:
    """BD-rate and BD-``metric`` of every codec against ``anchor`` in each group (one row per RD point in ``df``).

    Returns one row per group and non-anchor codec with the group columns, ``codec_col``, ``bd_rate`` (%),
    ``bd_<metric>`` and ``note`` (empty, or why the values are NaN).
    """
    group_cols = list(group_cols)
    missing = [c for c in [codec_col, rate_col, metric, *group_cols] if c not in df.columns]
    if missing:
        raise BdRateError(f"columns {missing} not in the results (columns: {list(df.columns)})")
    if method not in METHODS:
        raise BdRateError(f"unknown BD method {method!r}; choose one of {METHODS}")
    if anchor not in set(df[codec_col]):
        raise BdRateError(f"anchor {anchor!r} not among the codecs {sorted(set(df[codec_col]))}")
    codecs = [c for c in pd.unique(df[codec_col]) if c != anchor]
    groups = df.groupby(group_cols, sort=True) if group_cols else [((), df)]
    rows = []
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        where = "/".join(str(k) for k in key) or "all"
        ref = part[part[codec_col] == anchor]
        for codec in codecs:
            test = part[part[codec_col] == codec]
            if test.empty:
                continue
            row = {**dict(zip(group_cols, key)), codec_col: codec}
            notes = []
            for column, function in (("bd_rate", bd_rate), (f"bd_{metric}", bd_metric)):
                try:
                    row[column] = function(ref[rate_col], ref[metric], test[rate_col], test[metric], method)
                except BdRateError as exc:
                    row[column] = math.nan
                    if str(exc) not in notes:
                        notes.append(str(exc))
            row["note"] = "; ".join(notes)
            if notes:
                warnings.warn(f"{where}: {codec} vs {anchor}: {row['note']}", BdRateWarning, stacklevel=2)
            rows.append(row)
    return pd.DataFrame(rows, columns=[*group_cols, codec_col, "bd_rate", f"bd_{metric}", "note"])


def summarize(table: pd.DataFrame, by: str | None = "dataset", value: str = "bd_rate",
              codec_col: str = "codec") -> pd.DataFrame:
    """Mean of ``value`` per codec for each ``by`` group plus ``all`` (every row); a NaN row makes its mean NaN."""
    codecs = pd.unique(table[codec_col])
    out = pd.DataFrame(index=pd.Index(codecs, name=codec_col))
    if by is not None and by in table.columns:
        for name, part in table.groupby(by, sort=True):
            out[str(name)] = part.groupby(codec_col)[value].mean(skipna=False)
    out["all"] = table.groupby(codec_col)[value].mean(skipna=False)
    return out


def to_markdown(df: pd.DataFrame, digits: int = 2) -> str:
    """A GitHub markdown table; floats rounded to ``digits`` places, a named index becomes the first column."""
    if df.index.name is not None:
        df = df.reset_index()

    def cell(value: object) -> str:
        if isinstance(value, (float, np.floating)):
            return "n/a" if math.isnan(value) else f"{value:.{digits}f}"
        return str(value)

    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + " --- |" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def _curve(rate: Sequence[float], metric: Sequence[float], label: str) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(log_rate, metric)`` sorted by rate."""
    rate, metric = np.asarray(rate, dtype=np.float64), np.asarray(metric, dtype=np.float64)
    if rate.ndim != 1 or rate.shape != metric.shape:
        raise BdRateError(f"{label} curve: rates {rate.shape} and qualities {metric.shape} are not matching lists")
    if len(rate) < MIN_POINTS:
        raise BdRateError(f"{label} curve has {len(rate)} points; BD metrics need at least {MIN_POINTS}")
    if not (np.all(np.isfinite(rate)) and np.all(np.isfinite(metric))):
        raise BdRateError(f"{label} curve has non-finite values (rates {rate.tolist()}, qualities {metric.tolist()})")
    if np.any(rate <= 0):
        raise BdRateError(f"{label} curve has a rate <= 0: {rate.tolist()}")
    order = np.argsort(rate, kind="stable")
    rate, metric = rate[order], metric[order]
    if np.any(np.diff(rate) <= 0) or np.any(np.diff(metric) <= 0):
        pairs = ", ".join(f"({r:g}, {m:g})" for r, m in zip(rate, metric))
        raise BdRateError(f"{label} curve is not monotone: quality must rise strictly with rate, got {pairs}")
    return np.log(rate), metric


def _overlap(a: np.ndarray, b: np.ndarray, axis: str) -> tuple[float, float]:
    low, high = max(a.min(), b.min()), min(a.max(), b.max())
    if high <= low:
        if axis == "rate":
            a, b = np.exp(a), np.exp(b)
        raise BdRateError(f"curves do not overlap in {axis} (anchor {a.min():g}..{a.max():g}, "
                          f"test {b.min():g}..{b.max():g})")
    return float(low), float(high)


def _mean(x: np.ndarray, y: np.ndarray, low: float, high: float, method: str) -> float:
    """Mean of ``y(x)`` over ``[low, high]``, ``y`` interpolated through the points (``x`` increasing)."""
    if method == "pchip":
        integral = PchipInterpolator(x, y).integrate(low, high)
    elif method == "cubic":
        primitive = np.polyint(np.polyfit(x, y, 3))
        integral = np.polyval(primitive, high) - np.polyval(primitive, low)
    else:
        raise BdRateError(f"unknown BD method {method!r}; choose one of {METHODS}")
    return float(integral) / (high - low)


def read_results(path: Path) -> pd.DataFrame:
    """One row per RD point from a CSV, or from the JSON that ``eval/human_vision.py`` writes."""
    if path.suffix.lower() == ".json":
        from eval.human_vision import results_table

        return results_table(json.loads(path.read_text()))
    return pd.read_csv(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, nargs="+",
                        help="CSV with one row per RD point, or human_vision JSON; several files are read as one")
    parser.add_argument("--anchor", required=True, help="codec every other codec is compared with")
    parser.add_argument("--metric", default="psnr")
    parser.add_argument("--rate-col", default="bpp")
    parser.add_argument("--codec-col", default="codec")
    parser.add_argument("--group-cols", nargs="*", default=["dataset", "sequence"],
                        help="columns naming one curve per codec (none: the whole file is one curve per codec)")
    parser.add_argument("--method", choices=METHODS, default="pchip")
    parser.add_argument("--summary-by", default="dataset", help="column to average per-group BD-rates over")
    parser.add_argument("--format", choices=("markdown", "csv"), default="markdown")
    parser.add_argument("--output", type=Path, help="write here instead of stdout")
    args = parser.parse_args(argv)
    try:
        missing = [str(path) for path in args.results if not path.is_file()]
        if missing:
            raise BdRateError(f"{missing[0]}: no such file")
        rows = pd.concat([read_results(path) for path in args.results], ignore_index=True)
        table = bd_rate_table(rows, args.anchor, args.metric, args.rate_col, args.codec_col,
                              args.group_cols, args.method)
    except VnvcError as exc:
        print(f"bdrate: {exc}", file=sys.stderr)
        return 2
    if args.format == "csv":
        text = table.to_csv(index=False)
    else:
        summary = summarize(table, args.summary_by, codec_col=args.codec_col)
        text = (f"BD-rate (%) vs {args.anchor} on {args.metric} ({args.method})\n\n{to_markdown(table)}\n\n"
                f"Mean BD-rate (%) over the groups\n\n{to_markdown(summary)}\n")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
