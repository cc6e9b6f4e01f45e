"""DCVC-style test-set configs::

    {"HEVC_B": {"test": 1, "base_path": "/data/HEVC_B/",
                "sequences": {"BQTerrace_1920x1080_60": {"frames": 96, "gop": 32}, ...}},
     "HEVC_C": {...}}

Each sequence is a PNG folder ``base_path/<sequence>/`` or, failing that, a raw file ``base_path/<sequence>.yuv``.
A relative ``base_path`` is taken from the config file's folder. Classes with ``"test": 0`` are checked for form only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vnvc.errors import ConfigError, InputError
from vnvc.io.base import VideoSource
from vnvc.io.source import open_video


@dataclass(frozen=True)
class SequenceSpec:
    """One sequence to test: ``frames`` frames coded with an intra frame every ``intra_period`` frames."""

    dataset: str
    name: str
    path: Path
    frames: int
    intra_period: int
    width: int
    height: int

    def open(self) -> VideoSource:
        """The sequence as a ``VideoSource`` limited to ``frames`` frames."""
        return open_video(self.path, max_frames=self.frames)


def load_dataset_config(path: str | Path) -> list[SequenceSpec]:
    """The sequences of every class with ``"test": 1``, in file order; each one's source is opened to check it."""
    path = Path(path)
    config = _read_json(path)
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: expected a JSON object of dataset classes, got {_json_type(config)}")
    specs = []
    for dataset, entry in config.items():
        where = f"{path}: class {dataset!r}"
        entry = _expect(entry, dict, where)
        test = _field(entry, "test", where)
        if type(test) not in (int, bool) or test not in (0, 1):
            raise ConfigError(f"{where}: 'test' must be 0 or 1, got {test!r}")
        base_path = _expect(_field(entry, "base_path", where), str, f"{where}: 'base_path'")
        sequences = _expect(_field(entry, "sequences", where), dict, f"{where}: 'sequences'")
        base = path.parent / os.path.expanduser(base_path)
        for name, sequence in sequences.items():
            seq_where = f"{where} sequence {name!r}"
            sequence = _expect(sequence, dict, seq_where)
            frames = _positive_int(sequence, "frames", seq_where)
            intra_period = _positive_int(sequence, "gop", seq_where)
            if test:
                specs.append(_locate(dataset, name, base, frames, intra_period, seq_where))
    return specs


def _locate(dataset: str, name: str, base: Path, frames: int, intra_period: int, where: str) -> SequenceSpec:
    folder, yuv = base / name, base / f"{name}.yuv"
    if folder.is_dir():
        source_path = folder
    elif yuv.is_file():
        source_path = yuv
    else:
        raise ConfigError(f"{where}: neither the PNG folder {folder} nor the file {yuv} exists")
    try:
        source = open_video(source_path)
    except InputError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if source.num_frames is not None and source.num_frames < frames:
        raise ConfigError(f"{where}: asks for {frames} frames but {source_path} has {source.num_frames}")
    return SequenceSpec(dataset, name, source_path, frames, intra_period, source.width, source.height)


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None


def _field(entry: dict, key: str, where: str) -> Any:
    if key not in entry:
        raise ConfigError(f"{where}: missing key {key!r}")
    return entry[key]


def _expect(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind):
        raise ConfigError(f"{where}: expected {_JSON_NAMES[kind]}, got {_json_type(value)} {value!r}")
    return value


def _positive_int(entry: dict, key: str, where: str) -> int:
    value = _field(entry, key, where)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: {key!r} must be a whole number, got {_json_type(value)} {value!r}")
    if value < 1:
        raise ConfigError(f"{where}: {key!r} must be positive, got {value}")
    return value


_JSON_NAMES = {dict: "an object", str: "a string", int: "a number", bool: "a boolean", list: "an array",
               float: "a number", type(None): "null"}


def _json_type(value: Any) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)
