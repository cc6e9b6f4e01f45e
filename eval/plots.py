"""Rate-distortion plots (PNG) from a results table with one row per RD point.

Without facets, rows of the same codec and ``point`` (e.g. several sequences at ``qp22``) are averaged into one
curve, as DCVC-style dataset averages are; with ``facet_col`` each value (e.g. a sequence) gets its own panel.
Rendering uses matplotlib's Agg canvas directly, never pyplot, so it needs no display and leaves global state alone.

    python eval/plots.py results.csv --output rd.png [--metric msssim] [--facet sequence]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

LABELS = {"bpp": "bits per pixel", "psnr": "PSNR RGB (dB)", "psnr_y": "PSNR Y (dB)", "msssim": "MS-SSIM RGB"}


def rd_plot(df: pd.DataFrame, path: str | Path, metric: str = "psnr", rate_col: str = "bpp",
            codec_col: str = "codec", facet_col: str | None = None, point_col: str | None = "point",
            title: str | None = None, columns: int = 3) -> Path:
    """Draw ``metric`` against ``rate_col``, one curve per codec (one panel per ``facet_col`` value); return ``path``.
    """
    needed = [c for c in (rate_col, metric, codec_col, facet_col) if c is not None]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"columns {missing} not in the results (columns: {list(df.columns)})")
    if df.empty:
        raise ValueError("no rows to plot")
    panels = list(df.groupby(facet_col, sort=True)) if facet_col else [(None, df)]
    ncols = min(columns, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    figure = Figure(figsize=(4.5 * ncols, 3.6 * nrows), layout="constrained")
    FigureCanvasAgg(figure)
    codecs = list(pd.unique(df[codec_col]))
    colors = {codec: f"C{i % 10}" for i, codec in enumerate(codecs)}
    for index, (name, part) in enumerate(panels):
        axes = figure.add_subplot(nrows, ncols, index + 1)
        for codec in codecs:
            curve = part[part[codec_col] == codec]
            if curve.empty:
                continue
            if point_col is not None and point_col in curve.columns:
                curve = curve.groupby(point_col)[[rate_col, metric]].mean()
            curve = curve.sort_values(rate_col)
            axes.plot(curve[rate_col], curve[metric], marker="o", markersize=3, color=colors[codec], label=codec)
        axes.set_xlabel(LABELS.get(rate_col, rate_col))
        axes.set_ylabel(LABELS.get(metric, metric))
        axes.grid(True, alpha=0.3)
        if name is not None:
            axes.set_title(str(name[0] if isinstance(name, tuple) else name), fontsize=10)
        if index == 0:
            axes.legend(fontsize=8)
    if title:
        figure.suptitle(title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=120)
    return path


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parent.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from eval.bdrate import read_results

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="CSV with one row per RD point, or human_vision JSON")
    parser.add_argument("--output", type=Path, required=True, help="PNG to write")
    parser.add_argument("--metric", default="psnr")
    parser.add_argument("--rate-col", default="bpp")
    parser.add_argument("--codec-col", default="codec")
    parser.add_argument("--facet", default=None, help="one panel per value of this column, e.g. sequence")
    parser.add_argument("--title", default=None)
    args = parser.parse_args(argv)
    if not args.results.is_file():
        print(f"plots: {args.results}: no such file", file=sys.stderr)
        return 2
    try:
        rd_plot(read_results(args.results), args.output, args.metric, args.rate_col, args.codec_col, args.facet,
                title=args.title)
    except ValueError as exc:
        print(f"plots: {exc}", file=sys.stderr)
        return 2
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
