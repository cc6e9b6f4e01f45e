"""Encoder-side latent refinement with the shipped `small` model on the bundled natural sample (real networks,
real entropy coder, real streams)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vnvc.codec import Decoder, Encoder
from vnvc.errors import InputError
from vnvc.io.padding import pad_to_multiple
from vnvc.io.png import list_png_frames, read_png
from vnvc.io.source import frames_to_tensor
from vnvc.models import CodecConfig
from vnvc.refinement import LatentRefinement
from vnvc.zoo import load_model

RATE = 1


@pytest.fixture(scope="module")
def small_model():
    return load_model("small")


@pytest.fixture(scope="module")
def sample_frames():
    """Three frames of the bundled clip, cropped to 96x160 (not a multiple of 64: the padding is in play)."""
    return [read_png(p)[:96, :160] for p in list_png_frames("samples/natural/clip0")[:3]]


def _encode(model, frames, path, refinement):
    stats = Encoder(model, rate=RATE, intra_period=8, refinement=refinement).encode(frames, path)
    return stats, path.read_bytes()


def _frame_cost(model, frame: np.ndarray, coded) -> float:
    """J = bpp + λ·255²·MSE of one coded frame: its payload's real size and the decoded pixels on the picture."""
    h, w = frame.shape[:2]
    pixels = model.pixels(coded)[0, :, :h, :w].permute(1, 2, 0).numpy().astype(np.float64)
    mse = float(np.mean((pixels - frame / 255.0) ** 2))
    return 8 * len(coded.payload) / (h * w) + model.config.lambda_at(RATE) * 255**2 * mse


@pytest.fixture(scope="module")
def streams(small_model, sample_frames, tmp_path_factory):
    folder = tmp_path_factory.mktemp("refine")
    plain = _encode(small_model, sample_frames, folder / "plain.vnvc", None)[1]
    refinement = LatentRefinement(steps=6, check_every=3)
    refined = _encode(small_model, sample_frames, folder / "refined.vnvc", refinement)[1]
    again = _encode(small_model, sample_frames, folder / "again.vnvc", refinement)[1]
    return plain, refined, again


def test_refined_frames_cost_no_more_in_real_bits_and_decoded_pixels(small_model, sample_frames):
    """What refinement promises: a frame, against the same reference, costs no more than with the analysis
    transforms' latents (the best-seen rule), here less for the I-frame and the P-frame. (Later frames of a refined
    stream see a different reference, so a stream's total is not promised.) Before the P-frame's two latents took
    their own learning rates (round 26), none of 12 steps beat the P-frame's start here."""
    refinement = LatentRefinement(steps=12, check_every=3)
    size = sample_frames[0].shape[:2]
    first, second = (pad_to_multiple(frames_to_tensor(f))[0] for f in sample_frames[:2])
    with torch.inference_mode():
        plain = small_model.encode_intra(first, RATE)
        refined = small_model.encode_intra(first, RATE, latent=refinement.intra(small_model, first, RATE, size))
        reference = plain.reference
        plain_p = small_model.encode_inter(second, reference, RATE)
        latents = refinement.inter(small_model, second, reference, RATE, size)
        refined_p = small_model.encode_inter(second, reference, RATE, latents=latents)
        assert _frame_cost(small_model, sample_frames[0], refined) < _frame_cost(small_model, sample_frames[0], plain)
        refined_cost = _frame_cost(small_model, sample_frames[1], refined_p)
        assert refined_cost < _frame_cost(small_model, sample_frames[1], plain_p)


def test_refined_stream_decodes_to_what_the_encoder_predicted(small_model, sample_frames, tmp_path):
    refinement = LatentRefinement(steps=3, check_every=1)
    encoder = Encoder(small_model, rate=RATE, intra_period=8, refinement=refinement)
    predicted = [decoded.feature for _, decoded, _ in encoder.iter_encode(sample_frames)]
    path = tmp_path / "s.vnvc"
    encoder.encode(sample_frames, path)
    decoded = [frame.feature for frame in Decoder(small_model).decode(path, until="features")]
    assert len(decoded) == len(predicted)
    for a, b in zip(predicted, decoded):
        assert torch.equal(a, b)


def test_refinement_is_deterministic_and_leaves_the_global_rng_alone(streams, small_model, sample_frames, tmp_path):
    plain, refined, again = streams
    assert refined == again and refined != plain
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    _encode(small_model, sample_frames[:2], tmp_path / "r.vnvc", LatentRefinement(steps=2))
    assert torch.equal(torch.rand(3), expected)


def test_zero_steps_is_plain_encoding(streams, small_model, sample_frames, tmp_path):
    plain = streams[0]
    assert _encode(small_model, sample_frames, tmp_path / "z.vnvc", LatentRefinement(steps=0))[1] == plain


@pytest.mark.parametrize("kwargs", [dict(steps=-1), dict(check_every=0), dict(intra_lr=0), dict(motion_lr=-0.1),
                                    dict(contextual_lr=0)])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(InputError, match="refinement"):
        LatentRefinement(**kwargs)


def test_lambda_at_interpolates_log_lambda():
    config = CodecConfig(lambdas=(0.001, 0.002, 0.004, 0.016))
    assert config.lambda_at(1) == 0.002
    assert config.lambda_at(3) == 0.016
    assert config.lambda_at(1.5) == pytest.approx(0.002 * 2**0.5)
    assert config.lambda_at(2.5) == pytest.approx(0.008)
