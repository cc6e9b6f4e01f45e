"""vnvc.io on real files: PNG folders, raw YUV, PyAV video, open_video, padding, dataset configs."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from PIL import Image

from vnvc.errors import ConfigError, InputError
from vnvc.io import (
    PadInfo, SequenceSpec, VideoSource, crop, frames_to_tensor, list_png_frames, load_dataset_config, open_video,
    pad_to_multiple, padded_size, parse_sequence_name, read_png, rgb_to_yuv420, tensor_to_frame, write_png_folder,
    write_yuv, yuv420_to_rgb,
)

EXAMPLE_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "datasets" / "dataset_config_example.json"


def random_frames(count: int, height: int, width: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8) for _ in range(count)]


def block_frames(count: int, height: int, width: int, seed: int = 0) -> list[np.ndarray]:
    """Frames constant over 2x2 blocks and inside the YUV gamut: 4:2:0 loses nothing but rounding."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(count):
        half = rng.integers(20, 236, size=(height // 2, width // 2, 3), dtype=np.uint8)
        frames.append(half.repeat(2, axis=0).repeat(2, axis=1))
    return frames


def smooth_frames(count: int, height: int, width: int) -> list[np.ndarray]:
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    return [np.stack([(xx * 3 + t * 4) % 256, (yy * 4) % 256, np.full_like(xx, 128)], -1).astype(np.uint8)
            for t in range(count)]


def describe(source: VideoSource) -> tuple:
    return source.width, source.height, source.num_frames, source.fps, source.name


@contextmanager
def raises_naming(error: type[Exception], *names: str) -> Iterator[pytest.ExceptionInfo]:
    """pytest.raises that also checks that every name appears in the message."""
    with pytest.raises(error) as info:
        yield info
    for name in names:
        assert name in str(info.value), f"{name!r} not in {str(info.value)!r}"


# ---------------------------------------------------------------- PNG folders

def test_png_round_trip(tmp_path):
    frames = random_frames(3, 33, 65)
    folder = tmp_path / "Seq_65x33_30"
    assert write_png_folder(frames, folder) == 3
    assert sorted(p.name for p in folder.iterdir()) == ["im00001.png", "im00002.png", "im00003.png"]
    source = open_video(folder)
    assert describe(source) == (65, 33, 3, 30.0, "Seq_65x33_30")
    for _ in range(2):  # every iteration starts again from the first frame
        read = list(source)
        assert len(read) == 3 and all(np.array_equal(a, b) for a, b in zip(read, frames))
    limited = open_video(folder, max_frames=2)
    assert limited.num_frames == 2 and len(list(limited)) == 2


def test_png_short_names(tmp_path):
    frames = random_frames(11, 4, 6)
    for i, frame in enumerate(frames, 1):
        Image.fromarray(frame).save(tmp_path / f"im{i}.png")
    (tmp_path / "notes.txt").write_text("ignored")
    assert [p.name for p in list_png_frames(tmp_path)][-2:] == ["im10.png", "im11.png"]
    assert all(np.array_equal(a, b) for a, b in zip(open_video(tmp_path), frames))


def test_png_missing_and_empty_folder(tmp_path):
    with raises_naming(InputError, "nowhere"):
        open_video(tmp_path / "nowhere")
    with raises_naming(InputError, str(tmp_path), "no frames"):
        list_png_frames(tmp_path)


@pytest.mark.parametrize("names, missing", [
    (["im00001.png", "im00002.png", "im00004.png"], "im00003.png"),
    (["im00002.png", "im00003.png"], "im00001.png"),
    (["im1.png", "im3.png"], "im2.png"),
])
def test_png_gap_names_missing_frame(tmp_path, names, missing):
    for name in names:
        Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / name)
    with raises_naming(InputError, str(tmp_path), missing):
        open_video(tmp_path)


def test_png_duplicate_and_zero_index(tmp_path):
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "im1.png")
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "im00001.png")
    with raises_naming(InputError, "im1.png", "im00001.png"):
        list_png_frames(tmp_path)
    other = tmp_path / "zero"
    write_png_folder(random_frames(1, 2, 2), other)
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(other / "im00000.png")
    with raises_naming(InputError, "im00000.png"):
        list_png_frames(other)


def test_png_mixed_sizes_name_the_file(tmp_path):
    write_png_folder(random_frames(2, 8, 8), tmp_path)
    Image.fromarray(np.zeros((8, 10, 3), np.uint8)).save(tmp_path / "im00003.png")
    source = open_video(tmp_path)
    with raises_naming(InputError, "im00003.png", "10x8", "8x8"):
        list(source)


def test_png_corrupt_files(tmp_path):
    write_png_folder(random_frames(3, 16, 16), tmp_path)
    (tmp_path / "im00002.png").write_bytes(b"this is not a png")
    data = (tmp_path / "im00003.png").read_bytes()
    (tmp_path / "im00003.png").write_bytes(data[: len(data) // 2])
    source = open_video(tmp_path)
    with raises_naming(InputError, "im00002.png"):
        list(source)
    with raises_naming(InputError, "im00003.png"):
        read_png(tmp_path / "im00003.png")
    (tmp_path / "im00001.png").write_bytes(b"")
    with raises_naming(InputError, "im00001.png"):
        open_video(tmp_path)


def test_png_that_is_a_jpeg(tmp_path):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "im00001.png", format="JPEG")
    with raises_naming(InputError, "im00001.png", "JPEG"):
        open_video(tmp_path)


def _write_png16_rgb(path: Path, rgb16: np.ndarray) -> None:
    height, width, _ = rgb16.shape
    raw = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in rgb16)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                     + chunk(b"IEND", b""))


def test_png_other_modes_become_8bit_rgb(tmp_path):
    gray = np.arange(16, dtype=np.uint8).reshape(4, 4) * 16
    Image.fromarray(gray, mode="L").save(tmp_path / "gray.png")
    assert np.array_equal(read_png(tmp_path / "gray.png"), np.repeat(gray[..., None], 3, axis=2))

    rgba = np.dstack([random_frames(1, 4, 4)[0], np.full((4, 4), 7, np.uint8)])
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "rgba.png")
    assert np.array_equal(read_png(tmp_path / "rgba.png"), rgba[..., :3])

    gray16 = np.array([[0, 257, 65535, 32896]], dtype=np.uint16)
    Image.fromarray(gray16).save(tmp_path / "gray16.png")
    assert read_png(tmp_path / "gray16.png")[0, :, 0].tolist() == [0, 1, 255, 128]

    _write_png16_rgb(tmp_path / "rgb16.png", np.full((2, 3, 3), [65535, 257 * 100, 0], np.uint16))
    out = read_png(tmp_path / "rgb16.png")
    assert out.dtype == np.uint8 and out.shape == (2, 3, 3) and out[0, 0].tolist() == [255, 100, 0]

    palette = Image.fromarray(gray, mode="L").convert("P")
    palette.save(tmp_path / "palette.png")
    assert read_png(tmp_path / "palette.png").shape == (4, 4, 3)


def test_png_write_refuses_folder_with_frames(tmp_path):
    write_png_folder(random_frames(1, 2, 2), tmp_path)
    with raises_naming(InputError, str(tmp_path)):
        write_png_folder(random_frames(1, 2, 2), tmp_path)


# ---------------------------------------------------------------- raw YUV

def test_yuv_round_trip_from_name(tmp_path):
    frames = block_frames(3, 32, 64)
    path = tmp_path / "Clip_64x32_25.yuv"
    assert write_yuv(frames, path) == 3
    assert path.stat().st_size == 3 * 64 * 32 * 3 // 2
    source = open_video(path)
    assert describe(source) == (64, 32, 3, 25.0, "Clip_64x32_25")
    read = list(source)
    assert len(read) == 3
    for original, back in zip(frames, read):
        assert np.abs(original.astype(int) - back).max() <= 2


def test_yuv_planes_survive_rgb(tmp_path):
    path = tmp_path / "clip.yuv"
    write_yuv(block_frames(2, 8, 12, seed=3), path)
    raw = np.frombuffer(path.read_bytes(), np.uint8)
    source = open_video(path, width=12, height=8)
    for index, rgb in enumerate(source):
        planes = np.concatenate([p.ravel() for p in rgb_to_yuv420(rgb)])
        stored = raw[index * 144:(index + 1) * 144]
        assert np.abs(planes.astype(int) - stored).max() <= 1


def test_yuv_known_values():
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 0] = 255
    assert [int(p.ravel()[0]) for p in rgb_to_yuv420(red)] == [81, 90, 240]  # BT.601 limited range
    assert [int(p.ravel()[0]) for p in rgb_to_yuv420(red, matrix="bt709")] == [63, 102, 240]
    neutral = np.full((1, 1), 128, np.uint8)
    white = yuv420_to_rgb(np.full((2, 2), 235, np.uint8), neutral, neutral)
    black = yuv420_to_rgb(np.full((2, 2), 16, np.uint8), neutral, neutral)
    assert white.tolist() == [[[255] * 3] * 2] * 2 and black.max() == 0


def test_yuv_max_frames(tmp_path):
    path = tmp_path / "s_4x2_30.yuv"
    write_yuv(random_frames(5, 2, 4), path)
    source = open_video(path, max_frames=2)
    assert source.num_frames == 2 and len(list(source)) == 2


def test_yuv_errors(tmp_path):
    unnamed = tmp_path / "clip.yuv"
    unnamed.write_bytes(bytes(12))
    with raises_naming(InputError, "clip.yuv", "Name_WxH_fps.yuv"):
        open_video(unnamed)
    with raises_naming(InputError, "clip.yuv", "both"):
        open_video(unnamed, width=4)
    with raises_naming(InputError, "clip.yuv", "even", "3x2"):
        open_video(unnamed, width=3, height=2)
    odd_name = tmp_path / "Odd_65x33_30.yuv"
    odd_name.write_bytes(bytes(100))
    with raises_naming(InputError, "Odd_65x33_30.yuv", "65x33"):
        open_video(odd_name)
    left = tmp_path / "Left_4x2_30.yuv"
    left.write_bytes(bytes(12 * 2 + 5))
    with raises_naming(InputError, "Left_4x2_30.yuv", "2 frames and 5 bytes left over"):
        open_video(left)
    empty = tmp_path / "Empty_4x2_30.yuv"
    empty.write_bytes(b"")
    with raises_naming(InputError, "Empty_4x2_30.yuv", "empty"):
        open_video(empty)
    with raises_naming(InputError, "odd.yuv", "even"):
        write_yuv(random_frames(1, 3, 4), tmp_path / "odd.yuv")


@pytest.mark.parametrize("name, expected", [
    ("BQTerrace_1920x1080_60", (1920, 1080, 60.0)),
    ("BQTerrace_1920x1080_60.yuv", (1920, 1080, 60.0)),
    ("Beauty_1920x1080_120fps_420_8bit_YUV.yuv", (1920, 1080, 120.0)),
    ("clip_416x240", (416, 240, None)),
    ("/some/dir/Film_1280x720_29.97.yuv", (1280, 720, 29.97)),
])
def test_parse_sequence_name(name, expected):
    info = parse_sequence_name(name)
    assert (info.width, info.height, info.fps) == expected


def test_parse_sequence_name_without_size():
    assert parse_sequence_name("video.yuv") is None
    assert parse_sequence_name("a1920x1080") is None


# ---------------------------------------------------------------- video files through PyAV

def _write_video(path: Path, frames: list[np.ndarray], codec: str, fps: int = 25, **options: str) -> None:
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps, options=options)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())


def test_mp4_read_back(tmp_path):
    frames = smooth_frames(5, 48, 64)
    path = tmp_path / "clip.mp4"
    _write_video(path, frames, "libx264", crf="10")
    source = open_video(path)
    assert describe(source) == (64, 48, 5, 25.0, "clip")
    read = list(source)
    assert len(read) == 5 and all(f.shape == (48, 64, 3) and f.dtype == np.uint8 for f in read)
    assert np.abs(read[2].astype(int) - frames[2]).mean() < 6
    assert len(list(open_video(path, max_frames=3))) == 3


def test_mkv_without_frame_count(tmp_path):
    path = tmp_path / "clip.mkv"
    _write_video(path, smooth_frames(4, 16, 32), "ffv1")
    source = open_video(path, width=32, height=16)
    assert source.num_frames is None
    assert len(list(source)) == 4


def test_video_errors(tmp_path):
    fake = tmp_path / "fake.mp4"
    fake.write_text("not a video at all")
    with raises_naming(InputError, "fake.mp4"):
        open_video(fake)
    path = tmp_path / "clip.mkv"
    _write_video(path, smooth_frames(2, 16, 32), "ffv1")
    with raises_naming(InputError, "clip.mkv", "32x16"):
        open_video(path, width=64, height=16)
    with raises_naming(InputError, "clip.mkv", "max_frames"):
        open_video(path, max_frames=0)


# ---------------------------------------------------------------- tensors and padding

def test_frame_tensor_round_trip():
    frame = random_frames(1, 5, 7)[0]
    tensor = frames_to_tensor(frame)
    assert tensor.shape == (1, 3, 5, 7) and tensor.dtype == torch.float32
    assert 0.0 <= tensor.min() and tensor.max() <= 1.0
    assert np.array_equal(tensor_to_frame(tensor), frame)
    assert frames_to_tensor(np.stack([frame, frame])).shape == (2, 3, 5, 7)
    values = torch.tensor([-0.2, 0.25, 0.999, 1.3]).view(1, 1, 1, 4).expand(1, 3, 1, 4)
    assert tensor_to_frame(values)[0, :, 0].tolist() == [0, 64, 255, 255]


@pytest.mark.parametrize("height, width, padded", [(33, 65, (64, 128)), (1, 1, (64, 64)), (64, 128, (64, 128))])
def test_pad_crop_round_trip(height, width, padded):
    x = torch.rand(1, 3, height, width)
    y, info = pad_to_multiple(x)
    assert info == PadInfo(height, width, *padded) and y.shape[-2:] == padded
    assert torch.equal(crop(y, info), x)
    assert torch.equal(y[..., height:, :width], x[..., -1:, :].expand(-1, -1, padded[0] - height, -1))
    assert torch.equal(y[..., :height, width:], x[..., :, -1:].expand(-1, -1, -1, padded[1] - width))
    zeros, _ = pad_to_multiple(x, mode="constant")
    assert zeros[..., height:, :].abs().sum() == 0 and zeros[..., :, width:].abs().sum() == 0


def test_padding_rules():
    assert padded_size(1080, 1920) == (1088, 1920)
    assert pad_to_multiple(torch.rand(1, 3, 4, 4), multiple=4)[0].shape == (1, 3, 4, 4)
    with pytest.raises(ValueError):
        pad_to_multiple(torch.rand(3, 4, 4))
    with pytest.raises(ValueError):
        pad_to_multiple(torch.rand(1, 3, 4, 4), mode="reflect")
    _, info = pad_to_multiple(torch.rand(1, 3, 5, 5))
    with pytest.raises(ValueError):
        crop(torch.rand(1, 3, 32, 32), info)


# ---------------------------------------------------------------- dataset configs

def _config(tmp_path: Path, config: object, name: str = "cfg.json") -> Path:
    path = tmp_path / name
    path.write_text(config if isinstance(config, str) else json.dumps(config))
    return path


def test_dataset_config_png_and_yuv_sequences(tmp_path):
    write_png_folder(random_frames(4, 8, 12), tmp_path / "data" / "B" / "Seq_12x8_30")
    write_yuv(random_frames(3, 8, 16), tmp_path / "data" / "B" / "Raw_16x8_60.yuv")
    path = _config(tmp_path, {
        "CLASS_B": {"test": 1, "base_path": "data/B/", "sequences": {
            "Seq_12x8_30": {"frames": 4, "gop": 2}, "Raw_16x8_60": {"frames": 2, "gop": 32}}},
        "CLASS_X": {"test": 0, "base_path": "/does/not/exist", "sequences": {"Gone_8x8_30": {"frames": 9, "gop": 9}}},
    })
    specs = load_dataset_config(path)
    assert specs == [
        SequenceSpec("CLASS_B", "Seq_12x8_30", tmp_path / "data" / "B" / "Seq_12x8_30", 4, 2, 12, 8),
        SequenceSpec("CLASS_B", "Raw_16x8_60", tmp_path / "data" / "B" / "Raw_16x8_60.yuv", 2, 32, 16, 8),
    ]
    assert len(list(specs[1].open())) == 2


def test_dataset_config_example_is_well_formed(tmp_path):
    config = json.loads(EXAMPLE_CONFIG.read_text())
    assert set(config) == {"HEVC_B", "HEVC_C", "HEVC_D", "HEVC_E"}
    assert "BQTerrace_1920x1080_60" in config["HEVC_B"]["sequences"]
    for entry in config.values():
        entry["test"] = 0
    assert load_dataset_config(_config(tmp_path, config)) == []
    with raises_naming(ConfigError, "HEVC_B", "BQTerrace_1920x1080_60"):
        load_dataset_config(EXAMPLE_CONFIG)


GOOD_CLASS = {"test": 1, "base_path": ".", "sequences": {"S_8x8_30": {"frames": 1, "gop": 1}}}


@pytest.mark.parametrize("config, words", [
    ("{not json", ["not valid JSON", "line 1"]),
    ([1, 2], ["expected a JSON object"]),
    ({"A": []}, ["'A'", "expected an object"]),
    ({"A": {"base_path": ".", "sequences": {}}}, ["'A'", "missing key 'test'"]),
    ({"A": {"test": 1, "sequences": {}}}, ["'A'", "missing key 'base_path'"]),
    ({"A": {"test": 1, "base_path": "."}}, ["'A'", "missing key 'sequences'"]),
    ({"A": {"test": "yes", "base_path": ".", "sequences": {}}}, ["'A'", "'test' must be 0 or 1"]),
    ({"A": {"test": 1, "base_path": 3, "sequences": {}}}, ["'A'", "'base_path'", "expected a string"]),
    ({"A": {"test": 1, "base_path": ".", "sequences": []}}, ["'A'", "'sequences'", "expected an object"]),
    ({"A": {**GOOD_CLASS, "sequences": {"S": {"gop": 1}}}}, ["'A'", "'S'", "missing key 'frames'"]),
    ({"A": {**GOOD_CLASS, "sequences": {"S": {"frames": 1}}}}, ["'A'", "'S'", "missing key 'gop'"]),
    ({"A": {**GOOD_CLASS, "sequences": {"S": {"frames": "96", "gop": 1}}}}, ["'S'", "'frames'", "whole number"]),
    ({"A": {**GOOD_CLASS, "sequences": {"S": {"frames": 9, "gop": 32.5}}}}, ["'S'", "'gop'", "whole number"]),
    ({"A": {**GOOD_CLASS, "sequences": {"S": {"frames": 0, "gop": 1}}}}, ["'S'", "'frames' must be positive"]),
    ({"A": {**GOOD_CLASS, "sequences": {"S": {"frames": 9, "gop": -1}}}}, ["'S'", "'gop' must be positive"]),
    ({"A": {**GOOD_CLASS, "sequences": {"S": 5}}}, ["'A'", "'S'", "expected an object"]),
    ({"A": GOOD_CLASS}, ["'A'", "'S_8x8_30'", "neither"]),
])
def test_dataset_config_errors(tmp_path, config, words):
    path = _config(tmp_path, config)
    with raises_naming(ConfigError, str(path), *words):
        load_dataset_config(path)


def test_dataset_config_source_problems(tmp_path):
    (tmp_path / "Empty_8x8_30").mkdir()
    write_png_folder(random_frames(2, 8, 8), tmp_path / "Short_8x8_30")
    cfg = {"A": {"test": 1, "base_path": str(tmp_path), "sequences": {"Empty_8x8_30": {"frames": 1, "gop": 1}}}}
    with raises_naming(ConfigError, "'A'", "'Empty_8x8_30'", "no frames"):
        load_dataset_config(_config(tmp_path, cfg))
    cfg["A"]["sequences"] = {"Short_8x8_30": {"frames": 3, "gop": 1}}
    with raises_naming(ConfigError, "'A'", "'Short_8x8_30'", "3 frames", "has 2"):
        load_dataset_config(_config(tmp_path, cfg))
    with raises_naming(ConfigError, "missing.json", "no such file"):
        load_dataset_config(tmp_path / "missing.json")
