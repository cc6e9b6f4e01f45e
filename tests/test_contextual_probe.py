"""scripts/contextual_probe.py: what the contextual decoder makes of y, and without it, on a real clip."""

from __future__ import annotations

import math
from pathlib import Path

from scripts.contextual_probe import probe
from vnvc.zoo import load_model

ROOT = Path(__file__).resolve().parent.parent


def test_a_fresh_contextual_decoder_reads_y():
    """A fresh tiny codec's decoder depends on y, if only slightly (its input, y times the quantization step, is
    small beside the contexts): the probe's zeroing changes the frame. And y costs bits."""
    model = load_model("config:tiny").eval()
    measures = probe(model, ROOT / "samples" / "natural" / "clip0", rate=1.5)
    assert math.isfinite(measures["psnr"]) and math.isfinite(measures["psnr_y_zeroed"])
    assert measures["psnr"] != measures["psnr_y_zeroed"]
    assert measures["bpp_y"] > 0 and measures["bpp_z"] > 0 and measures["y_std_steps"] > 0


def test_the_shipped_models_contextual_latent_codes_the_residual():
    """Round 12's residual path keeps y alive: zeroing it costs the decoded P-frame PSNR, and y costs bits."""
    measures = probe(load_model("small").eval(), ROOT / "samples" / "natural" / "clip0", rate=3)
    assert measures["psnr"] > measures["psnr_y_zeroed"] + 0.5
    assert measures["bpp_y"] > 0.005
