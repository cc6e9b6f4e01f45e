"""eval/machine_vision.py: task accuracy vs bitrate on decoded features, pixel baselines, BD-rate and plots, on a
generated tiny labelled set with the untrained tiny codec and tiny heads trained for 2 iterations."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from eval.machine_vision import TASKS, bd_rates, main, pixel_config
from vnvc.data import generate_dataset

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "configs" / "tasks" / "tiny"
COMMON = ["--checkpoint", "config:tiny", "--rates", "0", "3", "--train-iters", "2"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synthetic")
    generate_dataset(root, "train", num_videos=2, frames=3, height=72, width=104)
    generate_dataset(root, "val", num_videos=1, frames=3, height=72, width=104)
    return root


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


def run(data: Path, cache: Path, out: Path, *extra: str) -> int:
    """The CLI's exit status (argument errors exit from argparse)."""
    try:
        return main(["--data", str(data), "--cache-root", str(cache), "--out", str(out), *COMMON, *extra])
    except SystemExit as exc:
        return exc.code


def read_results(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "results.csv")


@pytest.mark.slow
def test_detection_with_feature_and_pixel_baselines(data, cache, tmp_path, capsys):
    out = tmp_path / "det"
    assert run(data, cache, out, "--task", "detection", "--baseline", "vnvc-pixels", "x264",
               "--anchor-qps", "30", "45") == 0
    table = read_results(out)
    for column in ("codec", "rate", "bpp", "psnr", "msssim", "bbox_mAP", "decode_to_feature_s", "decode_to_pixel_s"):
        assert column in table.columns
    assert list(table["codec"]) == ["vnvc", "vnvc", "vnvc-pixels", "vnvc-pixels", "x264", "x264"]
    assert np.all(np.isfinite(table[["bpp", "psnr", "msssim", "bbox_mAP", "decode_to_pixel_s"]]))
    assert (table["bpp"] > 0).all() and (table["decode_to_pixel_s"] > 0).all()
    vnvc, pixels = table[table["codec"] == "vnvc"], table[table["codec"] == "vnvc-pixels"]
    assert (vnvc["decode_to_feature_s"] > 0).all() and pixels["decode_to_feature_s"].isna().all()
    # vnvc-pixels is the same stream: same bits and decoded pixels, another head.
    np.testing.assert_array_equal(vnvc[["bpp", "psnr", "msssim"]], pixels[["bpp", "psnr", "msssim"]])
    assert list(table[table["codec"] == "x264"]["point"]) == ["qp30", "qp45"]

    bd = pd.read_csv(out / "bdrate.csv")
    assert set(bd["anchor"]) == {"vnvc-pixels", "x264"} and set(bd["metric"]) == set(TASKS["detection"].metrics)
    assert bd["bd_rate"].isna().all() and bd["note"].str.contains("at least 4").all()  # 2 points per curve
    saved = json.loads((out / "results.json").read_text())
    assert saved["task"] == "detection" and len(saved["results"]) == 6
    assert (out / "rd_bbox_mAP.png").read_bytes()[:4] == b"\x89PNG"
    assert "| vnvc | rate0 |" in capsys.readouterr().out

    # The saved head, loaded instead of trained, scores the same features identically.
    again = tmp_path / "again"
    assert run(data, cache, again, "--task", "detection", "--baseline", "none",
               "--head", str(out / "heads" / "feature_head.pth")) == 0
    reloaded = read_results(again)
    assert list(reloaded["codec"]) == ["vnvc", "vnvc"] and not (again / "heads").exists()
    np.testing.assert_allclose(reloaded[["bpp", *TASKS["detection"].metrics]],
                               vnvc[["bpp", *TASKS["detection"].metrics]])


def test_refined_streams_feed_the_heads(data, cache, tmp_path):
    plain, refined = tmp_path / "plain", tmp_path / "refined"
    for out, extra in ((plain, []), (refined, ["--refine-steps", "2"])):
        assert run(data, cache, out, "--task", "detection", "--baseline", "vnvc-pixels", "--train-iters", "1",
                   *extra) == 0
    saved = json.loads((refined / "results.json").read_text())
    assert saved["refine_steps"] == 2
    assert (Path(cache) / saved["checkpoint_id"] / "rate0_refine2" / "cache.json").is_file()
    before, after = read_results(plain), read_results(refined)
    assert np.all(np.isfinite(after[["bpp", "psnr", "bbox_mAP"]]))
    assert not np.array_equal(before[["bpp", "psnr"]].to_numpy(), after[["bpp", "psnr"]].to_numpy())


@pytest.mark.slow
def test_segmentation_runs(data, cache, tmp_path):
    out = tmp_path / "segm"
    assert run(data, cache, out, "--task", "segmentation", "--baseline", "none") == 0
    table = read_results(out)
    assert {"segm_mAP", "bbox_mAP"} <= set(table.columns) and np.all(np.isfinite(table["segm_mAP"]))


@pytest.mark.slow
def test_tracking_runs(data, cache, tmp_path):
    out = tmp_path / "track"
    # Thresholds at 0 so that the barely trained detector's boxes make tracks.
    assert run(data, cache, out, "--task", "tracking", "--baseline", "none", "--cfg-options",
               "model.tracker.obj_score_thrs.high=0.0", "model.tracker.obj_score_thrs.low=0.0",
               "model.tracker.init_track_thr=0.0") == 0
    table = read_results(out)
    assert np.all(np.isfinite(table[["HOTA", "MOTA", "IDF1", "bpp", "psnr"]]))


def test_bad_arguments_exit_2_without_output(data, cache, tmp_path, capsys):
    out = tmp_path / "out"
    wrong_head = tmp_path / "wrong.pth"
    torch.save({"state_dict": {"backbone.conv1.weight": torch.zeros(1)}}, wrong_head)
    not_weights = tmp_path / "pickled.pth"
    torch.save({"state_dict": {}, "object": np.float64}, not_weights)
    cases = [
        (["--task", "classification"], "invalid choice"),
        (["--task", "detection", "--data", str(tmp_path / "nowhere")], "does not exist"),
        (["--task", "detection", "--split", "test"], "annotations/test.json"),
        (["--task", "detection", "--rates", "7"], "outside the codec's range"),
        (["--task", "detection", "--baseline", "none", "x264"], "cannot be combined"),
        (["--task", "detection", "--train-iters", "0"], "at least 1"),
        (["--task", "tracking", "--task-config", str(TINY / "detection_feature.py")], "not a tracking config"),
        (["--task", "detection", "--task-config", str(TINY / "detection_feature_retinanet.py")], "pixel-domain"),
        (["--task", "detection", "--head", str(tmp_path / "missing.pth")], "does not exist"),
        (["--task", "detection", "--baseline", "none", "--head", str(wrong_head)], "does not match"),
        (["--task", "detection", "--pixel-head", str(not_weights)], "weights only"),
        (["--task", "detection", "--baseline", "x265", "--anchor-qps", "60"], "outside"),
        (["--task", "detection", "--refine-steps", "-1"], "refinement needs steps >= 0"),
    ]
    for extra, message in cases:
        assert run(data, cache, out, *extra) == 2, extra
        err = capsys.readouterr().err.strip().splitlines()  # progress bars, then one line saying what is wrong
        assert err[-1].startswith("machine_vision: ") and message in err[-1], (extra, err[-1])
        assert not out.exists(), extra


def test_pixel_config_is_the_feature_configs_twin():
    assert pixel_config(TINY / "detection_feature.py", None) == TINY / "detection_pixel.py"
    assert pixel_config(TINY / "segmentation_feature.py", None) == TINY / "segmentation_pixel.py"
    assert pixel_config(ROOT / "configs/tasks/tracking_feature.py", None) == ROOT / "configs/tasks/tracking_pixel.py"


def test_bd_rates_at_equal_accuracy():
    bpp = [0.1, 0.2, 0.4, 0.8]
    rows = [{"codec": "vnvc", "point": f"rate{i}", "bpp": 0.9 * b, "bbox_mAP": m, "bbox_mAP_50": 2 * m}
            for i, (b, m) in enumerate(zip(bpp, [0.1, 0.2, 0.3, 0.4]))]
    rows += [{"codec": "x265", "point": f"qp{i}", "bpp": b, "bbox_mAP": m, "bbox_mAP_50": 2 * m}
             for i, (b, m) in enumerate(zip(bpp, [0.1, 0.2, 0.3, 0.4]))]
    rows += [{"codec": "x264", "point": f"qp{i}", "bpp": b, "bbox_mAP": 0.2, "bbox_mAP_50": 0.4}
             for i, b in enumerate(bpp[:2])]
    bd = bd_rates(pd.DataFrame(rows), TASKS["detection"])
    x265 = bd[bd["anchor"] == "x265"].set_index("metric")
    assert math.isclose(x265.loc["bbox_mAP", "bd_rate"], -10.0, abs_tol=1e-9)  # same accuracy at 0.9x the bits
    assert math.isclose(x265.loc["bbox_mAP_50", "bd_rate"], -10.0, abs_tol=1e-9)
    x264 = bd[bd["anchor"] == "x264"]
    assert x264["bd_rate"].isna().all() and x264["note"].str.contains("at least 4").all()
