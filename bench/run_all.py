"""`make bench`: run every benchmark, each writing its own JSON into --out, then print one summary table.

    python bench/run_all.py --out bench/results [--checkpoint small] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def run(script: str, *args: str) -> None:
    print(f"[bench] {script} {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, str(BENCH / script), *args], check=True)


def summary(out: Path) -> list[str]:
    lines = ["| benchmark | figure | value |", "| --- | --- | --- |"]
    entropy = json.loads((out / "entropy.json").read_text())
    for frame, row in entropy["frames"].items():
        ratio = row["speed_ratio_vs_fastest_constriction"]
        lines.append(f"| entropy | {frame} overhead over the estimate | {row['overhead_percent']:+.3f} % |")
        lines.append(f"| entropy | {frame} speed vs constriction (enc/dec) | {ratio['encode']}x / {ratio['decode']}x |")
    speed = json.loads((out / "codec_speed.json").read_text())
    for row in speed["rows"]:  # +detect: decoder and Faster R-CNN (random weights) on F̂t or on pixels
        if "ratio" in row:
            value = f"{row['ratio']:.2f}x"
        else:
            value = f"{row['frame_seconds'] * 1000:.0f} ms/frame ({row['fps']:.2f} fps), {row['peak_mib']:.0f} MiB"
        lines.append(f"| codec ({speed['device']}) | {row['size']} {row['stage']} | {value} |")
    fit = json.loads((out / "entropy_fit.json").read_text())
    for size, rates in fit["sizes"].items():
        for latent in ("intra", "motion"):
            row = rates["rate0"][latent]
            lines.append(f"| entropy fit | {size} {latent} latent, rate 0: bpp (x its symbols' entropy) | "
                         f"{row['model_bpp']:.4f} ({row['model_over_empirical']}x) |")
    fuzz = json.loads((out / "fuzz_bitstream.json").read_text())
    lines.append(f"| fuzz | streams / failures | {fuzz['iterations']} / {fuzz['outcomes']['failures']} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=BENCH / "results")
    parser.add_argument("--checkpoint", default="small")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", nargs="+", default=["240p", "480p"])
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    run("entropy.py", "--out", str(args.out / "entropy.json"))
    run("codec_speed.py", "--checkpoint", args.checkpoint, "--device", args.device, "--sizes", *args.sizes,
        "--out", str(args.out / "codec_speed.json"))
    run("entropy_fit.py", "--checkpoint", args.checkpoint, "--out", str(args.out / "entropy_fit.json"))
    run("fuzz_bitstream.py", "--iterations", "100000", "--out", str(args.out / "fuzz_bitstream.json"))
    table = "\n".join(summary(args.out))
    (args.out / "summary.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
