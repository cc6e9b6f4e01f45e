"""The `vnvc` command: real files in, real files out; every user error is one line on stderr, exit 2,
and leaves no output behind."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vnvc.cli import main
from vnvc.io.png import write_png_folder
from vnvc.io.source import open_video

MODEL = ["--checkpoint", "config:tiny"]


@pytest.fixture
def clip_dir(tmp_path, make_clip):
    folder = tmp_path / "clip"
    write_png_folder(make_clip(4, 40, 72), folder)
    return folder


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_encode_info_decode(tmp_path, clip_dir, capsys):
    stream = tmp_path / "clip.vnvc"
    code, out, _ = run(capsys, "encode", clip_dir, "-o", stream, "--rate", 1, "--intra-period", 3, "-q", *MODEL)
    assert code == 0 and json.loads(out)["frames"] == 4

    code, out, _ = run(capsys, "info", stream, "--frames")
    info = json.loads(out)
    assert (info["width"], info["height"], info["padded"]) == (72, 40, [128, 64])
    assert [f["type"] for f in info["frames"]] == ["INTRA", "INTER", "INTER", "INTRA"]

    code, _, _ = run(capsys, "decode", stream, "-o", tmp_path / "decoded", "-q", *MODEL)
    frames = list(open_video(tmp_path / "decoded"))
    assert code == 0 and len(frames) == 4 and frames[0].shape == (40, 72, 3)

    code, _, _ = run(capsys, "decode", stream, "-o", tmp_path / "decoded.yuv", "-q", *MODEL)
    assert code == 0 and (tmp_path / "decoded.yuv").stat().st_size == 4 * 72 * 40 * 3 // 2

    code, _, _ = run(capsys, "decode", stream, "--features", "-o", tmp_path / "f.npz", "-q", *MODEL)
    features = np.load(tmp_path / "f.npz")
    assert code == 0 and sorted(features) == [f"frame{i:05d}" for i in range(4)]
    assert features["frame00000"].shape == (8, 40, 72)


def test_encode_first_frames_only(tmp_path, clip_dir, capsys):
    code, out, _ = run(capsys, "encode", clip_dir, "-o", tmp_path / "s.vnvc", "--frames", 2, "-q", *MODEL)
    assert code == 0 and json.loads(out)["frames"] == 2


def test_encode_with_refinement_decodes_with_the_plain_decoder(tmp_path, clip_dir, capsys):
    plain, refined = tmp_path / "plain.vnvc", tmp_path / "refined.vnvc"
    assert run(capsys, "encode", clip_dir, "-o", plain, "-q", *MODEL)[0] == 0
    assert run(capsys, "encode", clip_dir, "-o", refined, "--refine-steps", 2, "-q", *MODEL)[0] == 0
    assert refined.read_bytes() != plain.read_bytes()
    code, _, _ = run(capsys, "decode", refined, "-o", tmp_path / "decoded", "-q", *MODEL)
    assert code == 0 and len(list(open_video(tmp_path / "decoded"))) == 4


def _assert_clean_failure(code: int, err: str, needle: str) -> None:
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("vnvc: ") and needle in err
    assert "Traceback" not in err


def test_user_errors_are_one_line(tmp_path, clip_dir, capsys):
    stream = tmp_path / "clip.vnvc"
    run(capsys, "encode", clip_dir, "-o", stream, "-q", *MODEL)
    before = sorted(p.name for p in tmp_path.iterdir())

    cases = [
        (("encode", tmp_path / "missing", "-o", tmp_path / "x.vnvc", *MODEL), "missing"),
        (("encode", clip_dir, "-o", tmp_path / "x.vnvc", "--rate", 9, *MODEL), "rate"),
        (("encode", clip_dir, "-o", tmp_path / "x.vnvc", "--refine-steps", -3, *MODEL), "refinement needs steps"),
        (("encode", clip_dir, "-o", tmp_path / "x.vnvc", "--checkpoint", tmp_path / "none.pth"), "none.pth"),
        (("decode", tmp_path / "missing.vnvc", "-o", tmp_path / "out", *MODEL), "missing.vnvc"),
        (("decode", stream, "-o", tmp_path / "f.txt", "--features", *MODEL), "f.txt"),
        (("decode", stream, "-o", clip_dir, *MODEL), "already exists"),
        (("decode", stream, "-o", tmp_path / "out", "--checkpoint", "config:small"), "checkpoint"),
    ]
    for args, needle in cases:
        code, _, err = run(capsys, *args, "-q") if args[0] != "info" else run(capsys, *args)
        _assert_clean_failure(code, err, needle)

    damaged = tmp_path / "damaged.vnvc"
    data = bytearray(stream.read_bytes())
    data[len(data) // 2] ^= 0x40
    damaged.write_bytes(bytes(data))
    code, _, err = run(capsys, "decode", damaged, "-o", tmp_path / "out", "-q", *MODEL)
    _assert_clean_failure(code, err, "frame")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before + ["damaged.vnvc"])
