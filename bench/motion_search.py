"""What the encoder's motion search costs, and what its coarse levels' sub-pixel steps (round 32) add to it:
`estimate_flow` on pairs of natural frames at the lowest rate point's price, with `coarse_subpel` as shipped and
turned off, the two timed in turn so that the machine's load weighs on both alike.

    python bench/motion_search.py --sizes 192x320 1080x1920 --repeats 5 --out bench/results/motion_search.json

Writes seconds per search for each size and setting and their ratio. Not a test: numbers depend on the machine;
the JSON names it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import describe_machine  # noqa: E402
from vnvc.data.natural import NaturalClipDataset  # noqa: E402
from vnvc.models.motion_estimation import MOTION_COST, estimate_flow  # noqa: E402

SETTINGS = {"shipped": {}, "no_coarse_subpel": {"coarse_subpel": ()}}


def time_searches(height: int, width: int, repeats: int) -> dict[str, float]:
    """Mean seconds of one search per setting on a two-frame natural clip of the given size."""
    clip = NaturalClipDataset(4, 2, height, width, seed=5)[0]
    current, reference = clip[1:], clip[:1]
    for options in SETTINGS.values():  # warm-up: the first calls pay for allocations and lazy initialisation
        estimate_flow(current, reference, motion_cost=MOTION_COST, **options)
    seconds = dict.fromkeys(SETTINGS, 0.0)
    for _ in range(repeats):
        for name, options in SETTINGS.items():
            start = time.perf_counter()
            estimate_flow(current, reference, motion_cost=MOTION_COST, **options)
            seconds[name] += time.perf_counter() - start
    return {name: total / repeats for name, total in seconds.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["192x320", "1080x1920"], help="HEIGHTxWIDTH")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench/results/motion_search.json"))
    args = parser.parse_args(argv)
    rows = []
    for size in args.sizes:
        height, width = (int(v) for v in size.lower().split("x"))
        seconds = time_searches(height, width, args.repeats)
        rows.append({"size": size, "seconds": seconds,
                     "shipped_over_no_coarse_subpel": seconds["shipped"] / seconds["no_coarse_subpel"]})
        print(f"{size}: " + ", ".join(f"{name} {s:.3f} s" for name, s in seconds.items())
              + f", ratio {rows[-1]['shipped_over_no_coarse_subpel']:.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"repeats": args.repeats, "machine": describe_machine(), "rows": rows}, indent=2)
                        + "\n")


if __name__ == "__main__":
    main()
