"""Importing MOTChallenge sequences (vnvc.data.mot): a MOT17-style folder made from generated video, read back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools.coco import COCO

from vnvc.data import generate_dataset
from vnvc.data.mot import import_mot
from vnvc.errors import InputError
from vnvc.io import load_dataset_config, open_video, read_png

ROOT = Path(__file__).resolve().parent.parent


def _mot_folder(tmp_path: Path) -> Path:
    """Two generated videos rewritten as MOT17 sequences: JPEG frames named 000001.jpg, pedestrian (class 1) rows,
    plus rows a MOT importer must drop (inactive, other classes)."""
    synth = tmp_path / "synth"
    generate_dataset(synth, "val", 2, 5, 48, 64, seed=3)
    source = tmp_path / "MOT17" / "train"
    for index, video in enumerate(("vid0000", "vid0001")):
        sequence = source / f"MOT17-0{index + 2}-FRCNN"
        (sequence / "img1").mkdir(parents=True)
        for t in range(1, 6):
            frame = read_png(synth / "val" / video / "img1" / f"im{t:05d}.png")
            Image.fromarray(frame).save(sequence / "img1" / f"{t:06d}.jpg", quality=95)
        rows = np.loadtxt(synth / "val" / video / "gt" / "gt.txt", delimiter=",", ndmin=2)
        rows[:, 7] = 1  # every generated object a pedestrian
        extra = [[1, 90, 3, 4, 10, 12, 0, 1, 1.0],  # inactive pedestrian: ignored
                 [2, 91, 5, 6, 8, 9, 1, 7, 0.5],  # static person: another class
                 [3, 92, 7, 8, 6, 5, 1, 3, 1.0]]  # car
        (sequence / "gt").mkdir()
        np.savetxt(sequence / "gt" / "gt.txt", np.vstack([rows, extra]), delimiter=",", fmt="%g")
        (sequence / "seqinfo.ini").write_text(
            f"[Sequence]\nname={sequence.name}\nimDir=img1\nframeRate=30\nseqLength=5\nimWidth=64\nimHeight=48\n"
            "imExt=.jpg\n")
    return source


def test_import_keeps_active_pedestrians_and_writes_the_codec_layout(tmp_path):
    source = _mot_folder(tmp_path)
    ann = import_mot(source, tmp_path / "mot", "train")
    coco = COCO(str(ann))
    assert [c["name"] for c in coco.dataset["categories"]] == ["pedestrian"]
    assert [v["name"] for v in coco.dataset["videos"]] == ["MOT17-02-FRCNN", "MOT17-03-FRCNN"]
    for video in coco.dataset["videos"]:
        sequence = source / video["name"]
        gt = np.loadtxt(sequence / "gt" / "gt.txt", delimiter=",", ndmin=2)
        kept = gt[(gt[:, 6] == 1) & (gt[:, 7] == 1)]
        frame_of = {im["id"]: im["frame_id"] for im in coco.dataset["images"] if im["video_id"] == video["id"]}
        boxes = sorted((frame_of[a["image_id"]] + 1, *a["bbox"]) for a in coco.dataset["annotations"]
                       if a["video_id"] == video["id"])
        assert boxes == sorted(tuple(row[[0, 2, 3, 4, 5]]) for row in kept)
        assert video["fps"] == 30 and (video["width"], video["height"]) == (64, 48)
        frames = open_video(tmp_path / "mot" / "train" / video["name"] / "img1")
        assert frames.num_frames == 5
        original = np.asarray(Image.open(sequence / "img1" / "000003.jpg").convert("RGB"))
        assert np.array_equal(read_png(tmp_path / "mot" / "train" / video["name"] / "img1" / "im00003.png"), original)
        written_gt = np.loadtxt(tmp_path / "mot" / "train" / video["name"] / "gt" / "gt.txt", delimiter=",", ndmin=2)
        assert len(written_gt) == len(kept)
    specs = load_dataset_config(tmp_path / "mot" / "dataset_config.json")
    assert {(s.dataset, s.name, s.frames) for s in specs} == {("MOT_train", "MOT17-02-FRCNN/img1", 5),
                                                             ("MOT_train", "MOT17-03-FRCNN/img1", 5)}


def test_import_options_classes_and_max_frames(tmp_path):
    source = _mot_folder(tmp_path)
    ann = import_mot(source, tmp_path / "mot", "val", classes=("pedestrian", "car"), max_frames=3)
    coco = json.loads(ann.read_text())
    assert [c["name"] for c in coco["categories"]] == ["pedestrian", "car"]
    assert all(v["frames"] == 3 for v in coco["videos"]) and len(coco["images"]) == 6
    cars = [a for a in coco["annotations"] if a["category_id"] == 2]
    assert len(cars) == 2 and all(a["bbox"] == [7, 8, 6, 5] for a in cars)  # frame 3 of each sequence


def test_import_errors_are_clear_and_leave_nothing(tmp_path):
    source = _mot_folder(tmp_path)
    (source / "MOT17-03-FRCNN" / "img1" / "000004.jpg").unlink()
    with pytest.raises(InputError, match="000004.jpg: missing"):
        import_mot(source, tmp_path / "mot", "train")
    assert not (tmp_path / "mot" / "train").exists() and not (tmp_path / "mot" / "annotations").exists()
    with pytest.raises(InputError, match="unknown MOT classes"):
        import_mot(source, tmp_path / "mot", "train", classes=("person",))
    with pytest.raises(InputError, match="no MOTChallenge sequence"):
        import_mot(tmp_path / "synth", tmp_path / "mot", "train")
    (source / "MOT17-02-FRCNN" / "seqinfo.ini").write_text("[Sequence]\nname=x\n")
    with pytest.raises(InputError, match="seqinfo.ini"):
        import_mot(source, tmp_path / "mot", "train")


def test_import_script_reports_errors_without_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "import_mot.py"), str(tmp_path / "nothing"),
                             str(tmp_path / "out")], capture_output=True, text=True)
    assert result.returncode == 2 and "not a folder" in result.stderr and "Traceback" not in result.stderr
