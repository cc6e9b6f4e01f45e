"""eval/human_vision.py on a generated DCVC-style dataset config with the tiny codec."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.human_vision import main, results_table  # noqa: E402
from vnvc.bitstream import HEADER_SIZE  # noqa: E402
from vnvc.io.png import write_png_folder  # noqa: E402


@pytest.fixture
def dataset_config(tmp_path, make_clip):
    write_png_folder(make_clip(4, 48, 80), tmp_path / "data" / "Moving_80x48_30")
    config = {"TOY": {"test": 1, "base_path": "data", "sequences": {"Moving_80x48_30": {"frames": 3, "gop": 2}}},
              "OFF": {"test": 0, "base_path": "nowhere", "sequences": {"x": {"frames": 1, "gop": 1}}}}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def test_dcvc_style_json(tmp_path, dataset_config):
    out = tmp_path / "results.json"
    code = main(["--test-config", str(dataset_config), "--output-path", str(out), "--rates", "0", "3",
                 "--checkpoint", "config:tiny", "--write-stream", str(tmp_path / "streams")])
    assert code == 0
    results = json.loads(out.read_text())
    points = results["codecs"]["vnvc-tiny"]["TOY"]["Moving_80x48_30"]
    assert set(points) == {"rate0", "rate3"}
    r = points["rate3"]
    assert r["i_frame_num"] == 2 and r["p_frame_num"] == 1 and r["frame_type"] == ["I", "P", "I"]
    assert len(r["frame_bpp"]) == len(r["frame_psnr"]) == len(r["frame_encode_time"]) == 3
    assert r["ave_all_frame_bpp"] == pytest.approx(sum(r["frame_bpp"]) / 3)
    # frame rates are what each frame takes in the file: its payload plus a 7- or 8-byte record (type and length,
    # checksum, CRC); with the stream header on the first frame they add up to the file
    assert r["ave_all_frame_bpp"] == pytest.approx(r["stream_bpp"])
    overhead = r["stream_bytes"] - r["payload_bits"] / 8 - HEADER_SIZE
    assert 3 * 7 <= overhead <= 3 * 8
    assert r["ave_p_frame_bpp_mv_estimate"] > 0 and r["ave_p_frame_bpp_residual_estimate"] > 0
    assert abs(r["ave_all_frame_psnr"] - r["ave_all_frame_psnr_y"]) < 10  # both on the same 8-bit scale
    stream = tmp_path / "streams" / "Moving_80x48_30_rate3.vnvc"
    assert stream.stat().st_size == r["stream_bytes"]
    assert points["rate0"]["ave_all_frame_bpp"] < r["ave_all_frame_bpp"]
    table = results_table(results)
    assert list(table["point"]) == ["rate0", "rate3"] and table["psnr"].notna().all()
    assert list(table["p_bpp"]) == [points[p]["ave_p_frame_bpp"] for p in ("rate0", "rate3")]
    assert list(table["i_psnr"]) == [points[p]["ave_i_frame_psnr"] for p in ("rate0", "rate3")]


def test_bad_config_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["--test-config", str(bad), "--output-path", str(tmp_path / "o.json"), "--checkpoint", "config:tiny"]) == 2
    assert "bad.json" in capsys.readouterr().err
    assert not (tmp_path / "o.json").exists()


def test_msssim_entry_script(tmp_path, dataset_config):
    """run_test_msssim.sh: run_test_psnr.sh's evaluation of the CHECKPOINT model, MS-SSIM heading the summary."""
    out = tmp_path / "hv_msssim.json"
    result = subprocess.run([ROOT / "run_test_msssim.sh", dataset_config, out, "--rates", "1"], capture_output=True,
                            text=True, env=dict(os.environ, CHECKPOINT="config:tiny"), timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert ["bpp", "msssim", "psnr"] in [line.split() for line in result.stdout.splitlines()]
    points = json.loads(out.read_text())["codecs"]["vnvc-tiny"]["TOY"]["Moving_80x48_30"]
    assert set(points) == {"rate1"} and 0 < points["rate1"]["ave_all_frame_msssim"] <= 1
