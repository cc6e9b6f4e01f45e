"""Import MOTChallenge sequences (MOT17, MOT20 and the like) into the layout the codec and the task heads read.

A MOTChallenge split folder holds one folder per sequence::

    <source>/<sequence>/seqinfo.ini         name, imDir, frameRate, seqLength, imWidth, imHeight, imExt
    <source>/<sequence>/<imDir>/000001.jpg  frames, numbered from 1 with six digits
    <source>/<sequence>/gt/gt.txt           frame, id, x, y, w, h, active, class, visibility (one box a line)

`import_mot` writes each sequence as `vnvc.data.writers` writes the synthetic set — a PNG folder the codec reads,
``gt/gt.txt``, ``seqinfo.ini``, the split's COCO-VID json (boxes only) and a class ``MOT_<split>`` in
``dataset_config.json`` — so ``eval/machine_vision.py --data <root>`` and ``eval/human_vision.py`` take it as they
take generated data. Kept boxes are the active rows (``active`` 1) of the chosen MOT classes, pedestrians by
default, as mmdet's ``mot2coco`` keeps them; their category ids count from 1 in the order the classes are given.
"""

from __future__ import annotations

import configparser
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vnvc.data.writers import CocoVideoBuilder, Label, finish_split, write_sequence
from vnvc.errors import InputError

MOT_CLASSES = {1: "pedestrian", 2: "person_on_vehicle", 3: "car", 4: "bicycle", 5: "motorbike",
               6: "non_mot_vehicle", 7: "static_person", 8: "distractor", 9: "occluder", 10: "occluder_on_ground",
               11: "occluder_full", 12: "reflection"}


@dataclass(frozen=True)
class SequenceInfo:
    """The fields of a ``seqinfo.ini`` the import needs."""

    name: str
    image_dir: str
    fps: float
    frames: int
    width: int
    height: int
    extension: str


def read_seqinfo(path: Path) -> SequenceInfo:
    """Parse a ``seqinfo.ini``; a missing or malformed field raises InputError naming it."""
    parser = configparser.ConfigParser()
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
        section = parser["Sequence"]
        return SequenceInfo(section["name"], section["imDir"], float(section["frameRate"]),
                            int(section["seqLength"]), int(section["imWidth"]), int(section["imHeight"]),
                            section["imExt"])
    except (configparser.Error, KeyError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a MOTChallenge seqinfo.ini ({type(exc).__name__}: {exc})") from exc


def read_gt(path: Path, frames: int, classes: dict[int, int], min_visibility: float) -> list[list[Label]]:
    """Per frame (``frames`` of them), the active boxes of the MOT classes in ``classes`` (MOT class -> our
    category id) whose visibility reaches ``min_visibility``."""
    labels: list[list[Label]] = [[] for _ in range(frames)]
    if not path.is_file():
        raise InputError(f"{path}: missing (importing needs the ground truth)")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split(",")
        try:
            frame, track, x, y, w, h, active, mot_class, visibility = (float(v) for v in fields[:9])
        except ValueError:
            raise InputError(f"{path}, line {number}: expected 9 numbers, got {line!r}") from None
        if not 1 <= frame <= frames or frame != int(frame):
            raise InputError(f"{path}, line {number}: frame {frame:g} is outside 1 … {frames}")
        if active != 1 or int(mot_class) not in classes or visibility < min_visibility or w <= 0 or h <= 0:
            continue
        labels[int(frame) - 1].append(Label(int(track), classes[int(mot_class)], (x, y, w, h), w * h, visibility))
    return labels


def _frames(folder: Path, info: SequenceInfo, count: int) -> Iterator[np.ndarray]:
    from PIL import Image, UnidentifiedImageError

    for t in range(1, count + 1):
        path = folder / info.image_dir / f"{t:06d}{info.extension}"
        try:
            with Image.open(path) as image:
                frame = np.asarray(image.convert("RGB"))
        except FileNotFoundError:
            raise InputError(f"{path}: missing (seqinfo.ini says {info.frames} frames)") from None
        except (UnidentifiedImageError, OSError) as exc:
            raise InputError(f"{path}: cannot be read as an image ({exc})") from exc
        if frame.shape[:2] != (info.height, info.width):
            raise InputError(f"{path}: {frame.shape[1]}x{frame.shape[0]}, but seqinfo.ini says "
                             f"{info.width}x{info.height}")
        yield frame


def import_mot(source: str | Path, root: str | Path, split: str, classes: tuple[str, ...] = ("pedestrian",),
               min_visibility: float = 0.0, max_frames: int | None = None) -> Path:
    """Import every sequence of the MOTChallenge split folder ``source`` as ``split`` under ``root``; returns the
    COCO json's path. ``classes`` names the MOT classes kept (`MOT_CLASSES`); ``max_frames`` keeps each
    sequence's first frames only. The split's folder under ``root`` must not exist yet."""
    source, root = Path(source), Path(root)
    by_name = {name: mot_id for mot_id, name in MOT_CLASSES.items()}
    unknown = [c for c in classes if c not in by_name]
    if unknown or not classes:
        raise InputError(f"unknown MOT classes {unknown or list(classes)}; MOT classes are {list(by_name)}")
    if max_frames is not None and max_frames < 1:
        raise InputError(f"max_frames must be positive, got {max_frames}")
    if not source.is_dir():
        raise InputError(f"{source}: not a folder")
    sequences = sorted(p for p in source.iterdir() if (p / "seqinfo.ini").is_file())
    if not sequences:
        raise InputError(f"{source}: no MOTChallenge sequence in it (a folder holding seqinfo.ini)")
    if (root / split).exists():
        raise InputError(f"{root / split}: already exists; import each split into a new folder")
    category_ids = {by_name[c]: i + 1 for i, c in enumerate(classes)}
    coco = CocoVideoBuilder(list(classes), supercategory="mot")
    lengths = {}
    try:
        for folder in sequences:
            info = read_seqinfo(folder / "seqinfo.ini")
            count = min(info.frames, max_frames or info.frames)
            labels = read_gt(folder / "gt" / "gt.txt", info.frames, category_ids, min_visibility)[:count]
            write_sequence(root, split, info.name, _frames(folder, info, count), (info.height, info.width), labels,
                           info.fps, coco)
            lengths[f"{info.name}/img1"] = count
    except BaseException:
        shutil.rmtree(root / split, ignore_errors=True)  # no half-imported split is left behind
        raise
    summary = dict(description=f"MOTChallenge sequences imported from {source}", split=split)
    return finish_split(root, split, f"MOT_{split}", coco, summary, lengths)
