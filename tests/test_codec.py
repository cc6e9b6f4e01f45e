"""The codec end to end with a tiny random-init model: real networks, real entropy coder, real container."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from vnvc.bitstream import HEADER_SIZE, BitstreamReader, FrameType, encode_stream
from vnvc.codec import Decoder, Encoder
from vnvc.errors import BitstreamError, InputError
from vnvc.io import frames_to_tensor, open_video
from vnvc.layers import flow_warp
from vnvc.models import VideoCodec
from vnvc.models.inter import BlockSynthesis, InterCodec, ResidualBlockCoding, block_dct_basis
from vnvc.zoo import load_model, save_checkpoint

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.mark.parametrize("size", [(33, 65), (96, 128)])
def test_decoder_reproduces_encoder_exactly(tiny_model, tmp_path, size, make_clip):
    frames = make_clip(4, *size)
    encoder = Encoder(tiny_model, rate=1.5, intra_period=3)
    encoded = [(rec, dec) for rec, dec, _ in encoder.iter_encode(frames, until="pixels")]
    path = tmp_path / "clip.vnvc"
    stats = encoder.encode(frames, path)
    assert stats.frames == 4
    assert stats.frame_types == [FrameType.INTRA, FrameType.INTER, FrameType.INTER, FrameType.INTRA]
    assert stats.stream_bytes == path.stat().st_size

    decoded = list(Decoder(tiny_model).decode(path, until="pixels"))
    assert len(decoded) == 4
    for (record, enc), dec in zip(encoded, decoded):
        assert dec.pixels.shape == (1, 3, *size)
        assert dec.feature.shape == (1, tiny_model.feature_channels, 64 * -(-size[0] // 64), 64 * -(-size[1] // 64))
        assert torch.equal(enc.feature, dec.feature)
        assert torch.equal(enc.pixels, dec.pixels)
        assert dec.num_bytes == record.size + (HEADER_SIZE if dec.index == 0 else 0)
    assert sum(dec.num_bytes for dec in decoded) == path.stat().st_size  # frames add up to the file


def test_features_only_decoding_never_runs_reconstruction(tiny_model, tmp_path, clip_65x33):
    path = tmp_path / "clip.vnvc"
    Encoder(tiny_model, rate=2, intra_period=8).encode(clip_65x33, path)
    calls = []
    handle = tiny_model.reconstruction.register_forward_hook(lambda *args: calls.append(1))
    try:
        features = list(Decoder(tiny_model).decode(path, until="features"))
        assert calls == [] and all(f.pixels is None for f in features)
        list(Decoder(tiny_model).decode(path, until="pixels"))
        assert len(calls) == 2  # the two inter frames
    finally:
        handle.remove()


def test_rate_point_orders_stream_size(tiny_model, make_clip):
    frames = make_clip(3, 64, 64)
    sizes = []
    for rate in range(tiny_model.num_rates):
        encoded = list(Encoder(tiny_model, rate=rate, intra_period=8).iter_encode(frames))
        sizes.append(sum(dec.num_bytes for _, dec, _ in encoded))
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]


@pytest.mark.parametrize("rate", [0, 3])
def test_real_size_tracks_entropy_estimate(tmp_path, rate):
    # the shipped (trained) model on natural frames: an untrained one's latents fall far outside its scales, where
    # the estimate charges the likelihood floor (30 bits) for values the coder escapes in fewer; and on content
    # unlike its training clips (a smoothed-noise texture) residual symbols far outside the scales its temporal
    # prior predicts go through the escape, which costs more than the estimate (P-frames 15 % over, round 12)
    frames = list(open_video(SAMPLES / "natural" / "clip0", max_frames=4))
    path = tmp_path / "a.vnvc"
    stats = Encoder(load_model("small"), rate=rate, intra_period=8).encode(frames, path)
    with BitstreamReader(path) as reader:
        payload_bits = 8 * sum(record.payload_bytes for record in reader)
    fixed = 4 * 8 * 16  # each frame's stream ends with up to 16 bytes of coder state flush
    assert 0.98 * stats.estimated_bits < payload_bits < 1.02 * stats.estimated_bits + fixed


def test_wrong_checkpoint_is_reported(tiny_model, tmp_path, clip_65x33):
    path = tmp_path / "clip.vnvc"
    Encoder(tiny_model, rate=1).encode(clip_65x33, path)
    other = load_model("config:tiny")
    with torch.no_grad():
        other.reconstruction.body[0].bias.add_(1e-3)  # any change to the weights changes the checkpoint id
    with pytest.raises(BitstreamError, match="checkpoint"):
        next(Decoder(other).decode(path))


def test_drifted_latents_are_reported(tiny_model, tmp_path, clip_65x33):
    path = tmp_path / "clip.vnvc"
    Encoder(tiny_model, rate=1).encode(clip_65x33, path)
    with BitstreamReader(path) as reader:
        header, records = reader.header, list(reader)
    records[1].latent_checksum ^= 1  # what a decoder with different arithmetic would see
    damaged = encode_stream(header, records)
    frames = Decoder(tiny_model).decode(damaged, until="features")
    next(frames)
    with pytest.raises(BitstreamError, match="checksum"):
        next(frames)


def test_truncated_stream_is_reported(tiny_model, tmp_path, clip_65x33):
    path = tmp_path / "clip.vnvc"
    Encoder(tiny_model, rate=1).encode(clip_65x33, path)
    data = path.read_bytes()
    with pytest.raises(BitstreamError):
        list(Decoder(tiny_model).decode(data[: len(data) - 7]))


def test_bad_encoder_inputs(tiny_model, tmp_path, make_clip):
    with pytest.raises(InputError, match="rate"):
        Encoder(tiny_model, rate=7)
    frames = make_clip(2, 32, 32) + make_clip(1, 40, 32)
    with pytest.raises(InputError, match="frame 2"):
        Encoder(tiny_model).encode(frames, tmp_path / "x.vnvc")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_encoding_is_deterministic(tiny_model, clip_65x33):
    def stream():
        return [rec.payload for rec, _, _ in Encoder(tiny_model, rate=2.25).iter_encode(clip_65x33)]

    assert stream() == stream()


def test_an_empty_contextual_latent_decodes_to_the_motion_compensated_reference(tiny_model):
    inter = copy.deepcopy(tiny_model.inter)
    with torch.no_grad():
        for parameter in inter.decoder.parameters():
            parameter.zero_()
    g = torch.Generator().manual_seed(0)
    reference = torch.rand(1, tiny_model.feature_channels, 64, 64, generator=g)
    flow = 3 * torch.randn(1, 2, 64, 64, generator=g)
    contexts = inter.context_mining(reference, flow)
    latent = torch.zeros(1, tiny_model.config.latent_channels, 4, 4)
    assert torch.equal(inter.decoded_feature(latent, contexts, reference, flow), flow_warp(reference, flow))


def test_a_fresh_block_synthesis_path_adds_nothing_and_learns_to_read_y():
    """The path starts at zero (a codec grown with it decodes as before) and gets a gradient from its first step."""
    path = BlockSynthesis(latent_channels=4, feature_channels=3)
    y = torch.randn(2, 4, 2, 3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(path(y), torch.zeros(2, 3, 32, 48))
    teacher = BlockSynthesis(latent_channels=4, feature_channels=3)
    with torch.no_grad():
        teacher.project.weight.normal_(generator=torch.Generator().manual_seed(1))
        target = teacher(y)
    optimizer = torch.optim.Adam(path.parameters(), lr=1e-3)
    losses = []
    for _ in range(10):
        loss = ((path(y) - target) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    assert losses[-1] < losses[0]
    assert not torch.allclose(path(y), path(torch.zeros_like(y)))


def test_the_block_dct_basis_is_orthonormal_and_starts_with_flat_luma():
    basis = block_dct_basis(64).flatten(1)
    assert basis.shape == (64, 3 * 16 * 16)
    assert torch.allclose(basis @ basis.T, torch.eye(64), atol=1e-5)
    assert torch.allclose(basis[0], torch.full((768,), 768 ** -0.5))
    with pytest.raises(ValueError, match="patterns"):
        block_dct_basis(769)


def test_the_residual_path_codes_a_residual_of_its_span_exactly_and_needs_a_lift():
    coding = ResidualBlockCoding(16)
    residual = coding.synthesis(torch.randn(1, 16, 2, 3, generator=torch.Generator().manual_seed(0)))
    assert residual.shape == (1, 3, 32, 48) and residual.abs().max() > 0.1
    assert torch.allclose(coding.synthesis(coding.analysis(residual)), residual, atol=1e-4)
    config = dataclasses.replace(load_model("config:tiny").config, contextual_residual_path=True)
    with pytest.raises(ValueError, match="lift"):
        InterCodec(config)


def test_the_residual_path_puts_the_pixel_residual_into_y_and_the_decoded_feature(tiny_model, make_clip):
    """Grown into a codec, the path adds the code of x minus the warped reconstruction to y, and the decoder adds
    its lifted blocks to F̂t, so the decoded feature depends on y from the start."""
    config = dataclasses.replace(tiny_model.config, contextual_residual_path=True)
    model = VideoCodec(config)
    model.load_state_dict(tiny_model.state_dict(), strict=False)
    model.eval()
    x0, x1 = (frames_to_tensor(f) for f in make_clip(2, 64, 64))
    with torch.no_grad():
        reference = model.forward_intra(x0, 1.0).feature
        hint = model.encoder_hint(x1, reference)
        motion_latent, y = model.inter.analyse(x1, reference, hint, 1.0)
        _, y_without = tiny_model.inter.analyse(x1, reference, hint, 1.0)
        flow = model.inter.motion(rate=1.0, latent=motion_latent)[0]
        residual = x1 - flow_warp(hint.reference_pixels, flow)
        code = model.inter.residual.analysis(residual) / model.inter.rate_scales(1.0)
        assert torch.allclose(y - y_without, code, atol=1e-5) and code.abs().max() > 1
        contexts = model.inter.context_mining(reference, flow)
        with_y = model.inter.decoded_feature(y, contexts, reference, flow)
        assert torch.allclose(with_y - tiny_model.inter.decoded_feature(y, contexts, reference, flow),
                              model.intra.lift(model.inter.residual.synthesis(y)), atol=1e-5)


@pytest.mark.parametrize("option", ["contextual_block_path", "contextual_residual_path"])
def test_a_codec_with_a_contextual_linear_path_decodes_what_it_encodes(tmp_path, make_clip, option):
    config = dataclasses.replace(load_model("config:tiny").config, **{option: True})
    torch.manual_seed(0)
    model = VideoCodec(config)
    if option == "contextual_block_path":
        with torch.no_grad():  # a path that has learned something: its output layer away from zero
            model.inter.decoder.block_synthesis.project.weight.normal_(std=0.1)
    model.eval().update()
    frames = make_clip(3, 64, 64)
    encoder = Encoder(model, rate=1.0, intra_period=3)
    encoded = [dec for _, dec, _ in encoder.iter_encode(frames, until="features")]
    encoder.encode(frames, tmp_path / "clip.vnvc")
    decoded = list(Decoder(model).decode(tmp_path / "clip.vnvc", until="features"))
    assert all(torch.equal(enc.feature, dec.feature) for enc, dec in zip(encoded, decoded))
    reloaded = tmp_path / "model.pth"
    save_checkpoint(model, reloaded, {})
    assert getattr(load_model(reloaded).config, option)
