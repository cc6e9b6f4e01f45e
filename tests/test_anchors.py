"""Classic-codec anchors through PyAV (x264, x265, SVT-AV1 when present), RD plots and BD-rate on their output."""

from __future__ import annotations

import math

import av
import numpy as np
import pandas as pd
import pytest

from eval import anchors
from eval.anchors import AnchorError, CodecSpec, run_anchor, run_anchors
from eval.bdrate import bd_rate_table
from eval.plots import rd_plot
from vnvc.io import open_video, write_png_folder

QPS = [22, 32, 42]
SIZES = [(64, 64), (49, 65)]  # (height, width); the second is odd both ways, so padding and cropping are exercised


def gradient_clip(height: int, width: int, frames: int = 8, seed: int = 0) -> list[np.ndarray]:
    """A smooth colour gradient drifting right and down, plus mild noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    clip = []
    for t in range(frames):
        x, y = xx - 1.5 * t, yy - t
        base = np.stack([96 + 80 * np.sin(x / 11), 128 + 60 * np.cos(y / 9), 64 + 1.5 * (x + y)], axis=-1)
        clip.append(np.clip(base + rng.normal(0, 2, base.shape), 0, 255).astype(np.uint8))
    return clip


@pytest.fixture(scope="module")
def sweeps() -> pd.DataFrame:
    tables = []
    for height, width in SIZES:
        table = run_anchors(gradient_clip(height, width), ["x264", "x265"], QPS, intra_period=32)
        tables.append(table.assign(size=f"{width}x{height}"))
    return pd.concat(tables, ignore_index=True)


def test_rate_and_quality_fall_as_qp_rises(sweeps):
    for (codec, size), curve in sweeps.groupby(["codec", "size"]):
        curve = curve.sort_values("qp")
        for column in ("bpp", "psnr", "psnr_y", "msssim"):
            assert curve[column].is_monotonic_decreasing and curve[column].nunique() == len(QPS), (codec, size, column)
        assert (curve["psnr_y"] > curve["psnr"]).all()  # RGB PSNR also carries the 4:2:0 chroma loss


def test_frames_types_and_rate_accounting(sweeps):
    for row in sweeps.itertuples():
        width, height = map(int, row.size.split("x"))
        assert (row.width, row.height, row.frames) == (width, height, 8)
        assert row.frame_types == ["I"] + ["P"] * 7  # intra period 32 >= 8 frames: one I-frame, then P only
        assert len(row.frame_bits) == len(row.frame_psnr) == len(row.frame_psnr_y) == len(row.frame_msssim) == 8
        assert row.bpp == pytest.approx(sum(row.frame_bits) / (width * height * 8))
        assert 8 * row.stream_bytes == sum(row.frame_bits)
        assert row.psnr == pytest.approx(np.mean(row.frame_psnr))
        assert row.frame_bits[0] > max(row.frame_bits[1:])
        assert row.encode_seconds > 0 and row.decode_seconds > 0
        assert row.point == f"qp{row.qp}" and row.preset == "medium"
        assert "bframes=0" in row.options and "scenecut=0" in row.options and f"qp={row.qp}" in row.options


@pytest.mark.parametrize("codec", ["x264", "x265"])
def test_intra_period_places_i_frames(codec):
    result = run_anchor(iter(gradient_clip(48, 64)), codec, 30, intra_period=3)
    assert result.frame_types == ["I", "P", "P"] * 2 + ["I", "P"]


@pytest.mark.skipif("libsvtav1" not in av.codecs_available or "libdav1d" not in av.codecs_available,
                    reason="PyAV's FFmpeg lacks SVT-AV1 or dav1d")
def test_svtav1_low_delay():
    clip = gradient_clip(49, 65)
    low, high = (run_anchor(clip, "svtav1", qp, intra_period=4) for qp in (30, 55))
    assert low.frame_types == ["I", "P", "P", "P"] * 2 and low.preset == "8"
    assert low.bpp > high.bpp and low.psnr > high.psnr


def test_video_source_and_cli(tmp_path, capsys):
    folder = tmp_path / "clip_65x49"
    write_png_folder(gradient_clip(49, 65, frames=4), folder)
    source = open_video(folder)
    assert run_anchor(source, "x264", 30, 32).frames == 4
    output = tmp_path / "anchors.csv"
    assert anchors.main([str(folder), "--codecs", "x264", "--qps", "30", "40", "--output", str(output)]) == 0
    table = pd.read_csv(output)
    assert list(table["qp"]) == [30, 40] and set(table["sequence"]) == {"clip_65x49"}
    assert not any(c.startswith("frame_") for c in table.columns)
    assert anchors.main([str(tmp_path / "missing"), "--output", str(output)]) == 2
    assert "anchors: " in capsys.readouterr().err


def test_sei_units_are_dropped():
    sps, sei, idr = b"\x00\x00\x00\x01\x67\x42\x1e", b"\x00\x00\x01\x06\x05\xff", b"\x00\x00\x01\x65\x88\x84"
    assert anchors._strip_sei(sps + sei + idr, anchors.CODECS["x264"]) == sps + idr
    vps, prefix_sei, suffix_sei = b"\x00\x00\x00\x01\x40\x01", b"\x00\x00\x01\x4e\x01\x05", b"\x00\x00\x01\x50\x01"
    assert anchors._strip_sei(vps + prefix_sei + idr + suffix_sei, anchors.CODECS["x265"]) == vps + idr
    assert anchors._strip_sei(sei, anchors.CODECS["svtav1"]) == sei


def test_missing_encoder_is_named(monkeypatch):
    monkeypatch.setitem(anchors.CODECS, "x264", CodecSpec("libnope", "h264", "x264-params", "medium", (0, 51)))
    with pytest.raises(AnchorError, match="no libnope encoder"):
        run_anchor(gradient_clip(16, 16, frames=1), "x264", 30, 32)


@pytest.mark.parametrize("kwargs, message", [
    (dict(codec="vp9"), "unknown anchor codec 'vp9'"),
    (dict(qp=52), "qp 52 outside 0..51"),
    (dict(intra_period=0), "intra period must be at least 1"),
    (dict(rate_control="cbr"), "unknown rate control"),
    (dict(codec="svtav1", preset="medium"), "presets are numbers"),
    (dict(preset="nonsense"), "libx264 refused the options"),
])
def test_bad_settings(kwargs, message):
    settings = dict(codec="x264", qp=30, intra_period=32) | kwargs
    with pytest.raises(AnchorError, match=message):
        run_anchor(gradient_clip(16, 16, frames=1), **settings)


def test_plots_and_bd_rate_on_anchor_results(sweeps, tmp_path):
    path = rd_plot(sweeps, tmp_path / "rd.png", metric="psnr", facet_col="size", title="anchors")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000
    assert rd_plot(sweeps, tmp_path / "avg" / "rd.png", metric="msssim").stat().st_size > 5000
    with pytest.raises(ValueError, match=r"columns \['vmaf'\]"):
        rd_plot(sweeps, tmp_path / "bad.png", metric="vmaf")
    # Three points per curve are too few for BD-rate: the table says so instead of inventing a number.
    with pytest.warns(UserWarning, match="at least 4"):
        table = bd_rate_table(sweeps, anchor="x264", group_cols=["size"])
    assert len(table) == 2 and table["bd_rate"].map(math.isnan).all()
