"""Awkward inputs through the real CLI and codec: odd sizes, odd PNG formats, odd paths, damaged or foreign
streams, unwritable outputs. Each ends in a clear one-line error or a correct result, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from vnvc.bitstream import FORMAT_VERSION, HEADER_SIZE
from vnvc.cli import main
from vnvc.codec import Decoder, Encoder
from vnvc.io.png import write_png_folder
from vnvc.io.source import open_video

MODEL = ["--checkpoint", "config:tiny", "-q"]
ROOT = Path(__file__).resolve().parent.parent


def cli(capsys, *args) -> tuple[int, str]:
    code = main([os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in args])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("size", [(1, 1), (16, 4000)])
def test_extreme_frame_sizes_round_trip(tiny_model, make_clip, size):
    frames = make_clip(2, *size)
    decoded = list(Decoder(tiny_model).decode(_stream(tiny_model, frames), until="pixels"))
    assert [f.pixels.shape[-2:] for f in decoded] == [size, size]


def _stream(model, frames) -> bytes:
    from vnvc.bitstream import encode_stream

    encoder = Encoder(model, rate=1)
    records = [record for record, _, _ in encoder.iter_encode(frames)]
    return encode_stream(encoder.header(frames[0].shape[1], frames[0].shape[0], len(records)), records)


@pytest.mark.parametrize("mode", ["L", "RGBA", "I;16", "P"])
def test_png_pixel_formats_encode(tmp_path, capsys, mode):
    folder = tmp_path / "frames"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in (1, 2):
        rgb = Image.fromarray(rng.integers(0, 256, (24, 40, 3), dtype=np.uint8))
        image = rgb.convert("I;16") if mode == "I;16" else rgb.convert(mode)
        image.save(folder / f"im{i:05d}.png")
    code, err = cli(capsys, "encode", folder, "-o", tmp_path / "s.vnvc", *MODEL)
    assert code == 0, err


def test_empty_folder_and_non_utf8_path(tmp_path, capsys, make_clip):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, err = cli(capsys, "encode", empty, "-o", tmp_path / "s.vnvc", *MODEL)
    assert code == 2 and "empty" in err and err.count("\n") == 1

    odd = os.fsencode(tmp_path) + b"/clip-\xff\xfe"
    write_png_folder(make_clip(2, 32, 32), os.fsdecode(odd))
    out = os.fsencode(tmp_path) + b"/out-\xff.vnvc"
    code, err = cli(capsys, "encode", odd, "-o", out, *MODEL)
    assert code == 0, err and os.path.exists(out)
    code, err = cli(capsys, "decode", odd, "-o", tmp_path / "x", *MODEL)  # a folder is no stream
    assert code == 2 and err.count("\n") == 1


def test_newer_format_and_unwritable_output(tmp_path, capsys, make_clip):
    folder = tmp_path / "clip"
    write_png_folder(make_clip(2, 32, 48), folder)
    stream = tmp_path / "s.vnvc"
    assert cli(capsys, "encode", folder, "-o", stream, *MODEL)[0] == 0

    import zlib

    retired = [(version, "no longer supported") for version in range(1, FORMAT_VERSION)]
    for version, expected in [(FORMAT_VERSION + 1, "newer"), *retired]:
        data = bytearray(stream.read_bytes())
        data[4] = version  # the header CRC would fail first unless recomputed
        data[HEADER_SIZE - 4:HEADER_SIZE] = zlib.crc32(bytes(data[: HEADER_SIZE - 4])).to_bytes(4, "little")
        other = tmp_path / f"version{version}.vnvc"
        other.write_bytes(bytes(data))
        code, err = cli(capsys, "decode", other, "-o", tmp_path / "out", *MODEL)
        assert code == 2 and expected in err and err.count("\n") == 1

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, err = cli(capsys, "encode", folder, "-o", blocker / "s.vnvc", *MODEL)
    assert code == 2 and "file" in err and err.count("\n") == 1
    code, err = cli(capsys, "decode", stream, "-o", blocker / "frames", *MODEL)
    assert code == 2 and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "clip", "file", "s.vnvc", *(f"version{v}.vnvc" for v in [*range(1, FORMAT_VERSION), FORMAT_VERSION + 1])]


_CODE_WITH_THREADS = """
import sys
import numpy as np
import torch
threads, clip, stream, out = sys.argv[1:]
torch.set_num_threads(int(threads))
from vnvc.bitstream import encode_stream
from vnvc.codec import Decoder, Encoder
from vnvc.zoo import load_model
model = load_model("config:tiny")
frames = list(np.load(clip))
height, width = frames[0].shape[:2]
encoder = Encoder(model, rate=1)
records = [record for record, _, _ in encoder.iter_encode(frames)]
decoded = [(f.feature, f.pixels) for f in Decoder(model).decode(open(stream, "rb").read(), until="pixels")]
torch.save({"stream": encode_stream(encoder.header(width, height, len(records)), records), "decoded": decoded}, out)
"""


def test_coding_is_bit_identical_for_any_thread_count(tiny_model, make_clip, tmp_path):
    """Repeated decodes give identical tensors; processes with 1, 2 and 3 CPU threads encode the same bytes and
    decode the same stream to the same features and pixels, bit for bit (3 threads was where MKL's GEMM drifted)."""
    frames = make_clip(3, 64, 96)
    stream = _stream(tiny_model, frames)
    first = [f.feature for f in Decoder(tiny_model).decode(stream, until="features")]
    again = [f.feature for f in Decoder(tiny_model).decode(stream, until="features")]
    assert all(torch.equal(a, b) for a, b in zip(first, again))

    np.save(tmp_path / "clip.npy", np.stack(frames))
    (tmp_path / "clip.vnvc").write_bytes(stream)
    runs = []
    for threads in (1, 2, 3):
        out = tmp_path / f"threads{threads}.pt"
        args = [str(threads), tmp_path / "clip.npy", tmp_path / "clip.vnvc", out]
        subprocess.run([sys.executable, "-c", _CODE_WITH_THREADS, *args], check=True, cwd=tmp_path,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
        runs.append(torch.load(out))
    assert runs[0]["stream"] == stream
    for run in runs[1:]:
        assert run["stream"] == stream
        tensors = zip(sum(run["decoded"], ()), sum(runs[0]["decoded"], ()))
        assert all(torch.equal(a, b) for a, b in tensors)


def test_open_video_rejects_mixed_sizes(tmp_path, make_clip):
    folder = tmp_path / "mixed"
    write_png_folder(make_clip(1, 32, 32), folder)
    Image.fromarray(make_clip(1, 40, 32)[0]).save(folder / "im00002.png")
    from vnvc.errors import InputError

    with pytest.raises(InputError, match="im00002"):
        list(open_video(folder))
