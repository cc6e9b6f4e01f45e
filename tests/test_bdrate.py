"""BD-rate: published worked examples, exact cases, self-consistency, errors, tables and the CLI."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from eval.bdrate import BdRateError, BdRateWarning, bd_metric, bd_rate, bd_rate_table, main, summarize, to_markdown

# JCTVC-E137 worked examples (the JCT-VC BD-rate Excel sheet, piecewise cubic), as carried by Netflix/vmaf
# python/test/bd_rate_calculator_test.py (class BDrateCalculatorJCTVCTest): rate in kbit/s, Y-PSNR in dB, expected
# BD-rate -0.00465215420752807 and -0.018779823450567612 (fractions; here in percent).
JCTVC_E137 = [
    (([108048.8736, 61279.976, 33905.6656, 18883.6928], [43.6471, 40.3953, 37.247, 34.2911]),
     ([108061.2784, 61299.9936, 33928.7472, 18910.912], [43.6768, 40.4232, 37.2761, 34.3147]),
     -0.465215420752807),
    (([40433.8848, 7622.7456, 2394.488, 1017.6184], [37.5761, 35.3756, 33.8977, 32.0603]),
     ([40370.12, 7587.0024, 2390.0944, 1017.0984], [37.5982, 35.4025, 33.9194, 32.0822]),
     -1.8779823450567612),
]

# "Sample 1" of the VCEG-M33 reference scripts (e.g. github.com/Anserw/Bjontegaard_metric demo.py). The scripts print
# no result; 31.397374054908 % is the VCEG-M33 cubic formula evaluated independently with numpy.polyfit/polyint (the
# same pin appears in other public BD-rate test suites) and checks the cubic branch on a non-polynomial curve.
SAMPLE_1 = (([686.76, 309.58, 157.11, 85.95], [40.28, 37.18, 34.24, 31.42]),
            ([893.34, 407.8, 204.93, 112.75], [40.39, 37.21, 34.17, 31.24]))

RATES = [0.02, 0.05, 0.11, 0.24, 0.5]
PSNRS = [30.1, 32.4, 34.6, 36.5, 38.2]


@pytest.mark.parametrize("anchor, test, expected", JCTVC_E137)
def test_pchip_matches_jctvc_e137(anchor, test, expected):
    assert bd_rate(*anchor, *test) == pytest.approx(expected, abs=1e-8)
    # The VCEG-M33 cubic fit lands close to the piecewise result on these well-behaved curves.
    assert bd_rate(*anchor, *test, method="cubic") == pytest.approx(expected, abs=0.05)


def test_cubic_matches_vceg_m33_sample():
    assert bd_rate(*SAMPLE_1[0], *SAMPLE_1[1], method="cubic") == pytest.approx(31.397374054908, abs=1e-6)


def test_cubic_is_exact_for_cubic_curves():
    # ln R is a cubic in PSNR for both curves, so the VCEG-M33 fit is exact and the result has a closed form:
    # ln R_test - ln R_anchor = -0.05 + 0.01 (P - 35), whose mean over the overlap [32, 41] is -0.035.
    def log_rate(p):
        return 0.1 * p + 0.001 * (p - 35.0) ** 3 - 5.0

    anchor_q = np.array([30.0, 33.0, 36.0, 39.0, 42.0])
    test_q = np.array([32.0, 35.0, 38.0, 41.0])
    anchor_r = np.exp(log_rate(anchor_q))
    test_r = np.exp(log_rate(test_q) - 0.05 + 0.01 * (test_q - 35.0))
    assert bd_rate(anchor_r, anchor_q, test_r, test_q, method="cubic") == pytest.approx(100 * math.expm1(-0.035),
                                                                                       abs=1e-9)


@pytest.mark.parametrize("method", ["pchip", "cubic"])
def test_self_consistency(method):
    assert bd_rate(RATES, PSNRS, RATES, PSNRS, method) == pytest.approx(0.0, abs=1e-12)
    assert bd_metric(RATES, PSNRS, RATES, PSNRS, method) == pytest.approx(0.0, abs=1e-12)
    assert bd_rate(RATES, PSNRS, [0.9 * r for r in RATES], PSNRS, method) == pytest.approx(-10.0, abs=1e-9)
    assert bd_rate(RATES, PSNRS, [1.25 * r for r in RATES], PSNRS, method) == pytest.approx(25.0, abs=1e-9)
    assert bd_metric(RATES, PSNRS, RATES, [p + 0.5 for p in PSNRS], method) == pytest.approx(0.5, abs=1e-9)
    forward = bd_rate(*SAMPLE_1[0], *SAMPLE_1[1], method=method)
    backward = bd_rate(*SAMPLE_1[1], *SAMPLE_1[0], method=method)
    assert (1 + forward / 100) * (1 + backward / 100) == pytest.approx(1.0, abs=1e-12)
    assert bd_metric(*SAMPLE_1[0], *SAMPLE_1[1], method=method) < 0 < forward


def test_point_order_does_not_matter():
    (ra, qa), (rt, qt) = SAMPLE_1
    assert bd_rate(ra[::-1], qa[::-1], rt, qt) == pytest.approx(bd_rate(ra, qa, rt, qt), abs=1e-12)


@pytest.mark.parametrize("rates, psnrs, message", [
    (RATES[:3], PSNRS[:3], "at least 4"),
    ([0.02, 0.05, 0.11, 0.24], [30.1, 33.0, 32.0, 36.0], "not monotone"),
    ([0.02, 0.05, 0.05, 0.24], [30.1, 31.0, 32.0, 36.0], "not monotone"),
    ([0.02, 0.05, 0.11, 0.24], [30.1, 31.0, 32.0, math.inf], "non-finite"),
    ([0.0, 0.05, 0.11, 0.24], [30.1, 31.0, 32.0, 36.0], "rate <= 0"),
])
def test_bad_curves_raise(rates, psnrs, message):
    with pytest.raises(BdRateError, match=message):
        bd_rate(RATES, PSNRS, rates, psnrs)


def test_no_overlap_and_unknown_method_raise():
    with pytest.raises(BdRateError, match="do not overlap in quality"):
        bd_rate(RATES, PSNRS, RATES, [p + 20 for p in PSNRS])
    with pytest.raises(BdRateError, match="do not overlap in rate"):
        bd_metric(RATES, PSNRS, [100 * r for r in RATES], PSNRS)
    with pytest.raises(BdRateError, match="unknown BD method"):
        bd_rate(RATES, PSNRS, RATES, PSNRS, method="akima")


def results_frame() -> pd.DataFrame:
    rows = []
    for dataset, sequence in (("A", "s1"), ("A", "s2"), ("B", "s3")):
        for codec, scale in (("x265", 1.0), ("vnvc", 0.9), ("x264", 1.1)):
            points = 3 if (sequence, codec) == ("s3", "vnvc") else 5
            for i in range(points):
                rows.append({"dataset": dataset, "sequence": sequence, "codec": codec, "point": i,
                             "bpp": scale * RATES[i], "psnr": PSNRS[i]})
    return pd.DataFrame(rows)


def test_table_summary_and_markdown():
    with pytest.warns(BdRateWarning, match="B/s3: vnvc vs x265: .*3 points"):
        table = bd_rate_table(results_frame(), anchor="x265")
    assert list(table.columns) == ["dataset", "sequence", "codec", "bd_rate", "bd_psnr", "note"]
    assert len(table) == 6
    by = table.set_index(["sequence", "codec"])
    assert by.loc[("s1", "vnvc"), "bd_rate"] == pytest.approx(-10.0)
    assert by.loc[("s2", "x264"), "bd_rate"] == pytest.approx(10.0)
    assert math.isnan(by.loc[("s3", "vnvc"), "bd_rate"]) and "at least 4" in by.loc[("s3", "vnvc"), "note"]
    summary = summarize(table)
    assert list(summary.columns) == ["A", "B", "all"]
    assert summary.loc["vnvc", "A"] == pytest.approx(-10.0) and math.isnan(summary.loc["vnvc", "all"])
    assert summary.loc["x264", "all"] == pytest.approx(10.0)
    text = to_markdown(summary)
    assert "| vnvc | -10.00 | n/a | n/a |" in text and text.splitlines()[1] == "| --- | --- | --- | --- |"


def test_table_errors():
    df = results_frame()
    with pytest.raises(BdRateError, match="anchor 'hm'"):
        bd_rate_table(df, anchor="hm")
    with pytest.raises(BdRateError, match=r"columns \['msssim'\]"):
        bd_rate_table(df, anchor="x265", metric="msssim")


def test_cli(tmp_path, capsys):
    path = tmp_path / "results.csv"
    results_frame().query("sequence != 's3'").to_csv(path, index=False)
    assert main([str(path), "--anchor", "x265", "--metric", "psnr"]) == 0
    out = capsys.readouterr().out
    assert "| A | s1 | vnvc | -10.00 |" in out and "Mean BD-rate" in out
    results_frame().query("sequence == 's1'").drop(columns=["dataset", "sequence"]).to_csv(path, index=False)
    assert main([str(path), "--anchor", "x265", "--group-cols", "--format", "csv", "--method", "cubic"]) == 0
    lines = capsys.readouterr().out.splitlines()
    codec, rate, *_ = lines[1].split(",")
    assert lines[0] == "codec,bd_rate,bd_psnr,note" and codec == "vnvc" and float(rate) == pytest.approx(-10.0)
    assert main([str(path), "--anchor", "x265"]) == 2
    assert "bdrate: columns ['dataset', 'sequence'] not in the results" in capsys.readouterr().err
    assert main([str(path), "--anchor", "nope", "--group-cols"]) == 2
    assert "bdrate: anchor 'nope'" in capsys.readouterr().err


def test_cli_reads_several_files_as_one(tmp_path, capsys):
    frame = results_frame().query("sequence != 's3'")
    anchors, tested = tmp_path / "anchors.csv", tmp_path / "tested.csv"
    frame[frame["codec"] != "vnvc"].to_csv(anchors, index=False)
    frame[frame["codec"] == "vnvc"].to_csv(tested, index=False)
    assert main([str(anchors), str(tested), "--anchor", "x265"]) == 0
    assert "| A | s1 | vnvc | -10.00 |" in capsys.readouterr().out
    assert main([str(anchors), str(tmp_path / "missing.csv"), "--anchor", "x265"]) == 2
    assert "missing.csv: no such file" in capsys.readouterr().err
