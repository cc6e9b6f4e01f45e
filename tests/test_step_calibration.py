"""vnvc.train.step_calibration: the curve criterion, and a real calibration of the shipped model's flow steps."""

from __future__ import annotations

import json
import math

import pytest
import torch

from vnvc.models.inter import MotionCodec
from vnvc.train.step_calibration import RDPoint, calibrate_steps, calibration_clips, gain_over_curve, main
from vnvc.zoo import load_model, read_checkpoint


def test_gain_is_measured_against_psnr_linear_in_log_bpp():
    curve = [RDPoint(0.1, 30.0), RDPoint(0.2, 32.0), RDPoint(0.4, 33.0)]
    middle = math.sqrt(0.1 * 0.2)
    assert gain_over_curve(RDPoint(middle, 31.0), curve) == pytest.approx(0.0)
    assert gain_over_curve(RDPoint(middle, 31.5), curve) == pytest.approx(0.5)
    assert gain_over_curve(RDPoint(0.2, 32.0), curve) == pytest.approx(0.0)
    # beyond the ends, the end segments go on: 2 dB per doubling below, 1 dB per doubling above
    assert gain_over_curve(RDPoint(0.05, 28.5), curve) == pytest.approx(0.5)
    assert gain_over_curve(RDPoint(0.8, 33.0), curve) == pytest.approx(-1.0)


def test_calibration_scales_only_the_flow_steps_of_the_shipped_model(tmp_path, capsys):
    out = tmp_path / "calibrated.pth"
    main(["--checkpoint", "small", "--out", str(out), "--clips", "2", "--frames", "3", "--height", "64",
          "--width", "128", "--seed", "5", "--factors", "1", "2"])
    report = json.loads(out.with_suffix(".json").read_text())
    assert read_checkpoint(out)["meta"]["step_calibration"] == report
    (flow,) = report["groups"]
    assert flow["group"] == "flow" and json.loads(capsys.readouterr().out) == {"flow": flow["chosen"]}

    original, calibrated = load_model("small").state_dict(), load_model(out).state_dict()
    key = "inter.motion.rate_scales.log_q"
    expected = original[key].clone()
    for rate, points in flow["points"].items():
        by_factor = {p["factor"]: p for p in points}
        # coded for real: the flow steps change the stream (since round 12 coarser ones may cost bits: the residual
        # path pays for the worse prediction); the unscaled point lies on its own curve
        assert by_factor[2.0]["bpp"] != by_factor[1.0]["bpp"] and by_factor[2.0]["psnr"] != by_factor[1.0]["psnr"]
        assert by_factor[1.0]["gain_db"] == pytest.approx(0.0, abs=1e-9)
        chosen = flow["chosen"][rate]
        assert by_factor[chosen]["gain_db"] == max(p["gain_db"] for p in points)
        expected[int(rate), MotionCodec.FLOW_CHANNELS] += math.log(chosen)
    torch.testing.assert_close(calibrated[key], expected)
    assert all(torch.equal(calibrated[k], original[k]) for k in original if k != key)  # nothing else moved


@pytest.mark.parametrize("args, message", [
    (["--factors", "2", "3"], "--factors"), (["--factors", "1", "0"], "--factors"),
    (["--groups", "residual"], "--groups"), (["--clips", "0"], "--clips"),
])
def test_bad_arguments_are_refused(tmp_path, args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--checkpoint", "small", "--out", str(tmp_path / "c.pth"), *args])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "c.pth").exists()


@pytest.mark.parametrize("group, frames, coarser", [("intra", 1, 1.5), ("contextual", 3, 1.5), ("motion", 3, 3.0)])
def test_intra_contextual_and_motion_groups_scale_every_channel_of_their_latent(group, frames, coarser):
    """Coarser steps cost quality in every group; in the I-frame latent and in y (which codes the P-frames'
    residual) they save bits, while coarser motion leaves a worse prediction whose residual may cost more. On one
    small clip, motion steps 1.5 times coarser can land on a flow that predicts as well (+0.06 dB at one rate point
    with round 32's search), so motion is tried at 3 times."""
    model = load_model("small")
    scales = {"intra": model.intra.rate_scales, "contextual": model.inter.rate_scales,
              "motion": model.inter.motion.rate_scales}[group]
    before = scales.log_q.detach().clone()
    clips = calibration_clips(1, frames, 64, 64, seed=3)
    report = calibrate_steps(model, clips, group, factors=(1.0, coarser))
    for rate, points in report["points"].items():
        by_factor = {p["factor"]: p for p in points}
        assert by_factor[coarser]["psnr"] < by_factor[1.0]["psnr"]
        if group != "motion":
            assert by_factor[coarser]["bpp"] < by_factor[1.0]["bpp"]
        assert by_factor[report["chosen"][rate]]["gain_db"] == max(p["gain_db"] for p in points)
        expected = before[int(rate)] + math.log(report["chosen"][rate])
        torch.testing.assert_close(scales.log_q[int(rate)].detach(), expected)
    with pytest.raises(ValueError, match="unknown step group"):
        calibrate_steps(model, clips, "residual")
