"""vnvc.data: natural training clips, labelled synthetic video and its files, the real videos, the bundled samples."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from vnvc.data import CLASSES, NaturalClipDataset, generate_dataset, render_clip, render_video
from vnvc.data.images import BIKES_FRAMES, image_pool
from vnvc.data.natural import MAX_SPEED, camera_path
from vnvc.data.real_videos import real_video_path
from vnvc.data.synthetic import MIN_VISIBLE_AREA
from vnvc.errors import InputError
from vnvc.io import list_png_frames, load_dataset_config, open_video, read_png
from vnvc.layers import flow_warp

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools")  # numpy 2 copy= notice

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


# --- natural clips -------------------------------------------------------------------------------------------------

def test_natural_clips_are_deterministic_with_shape_and_range():
    clips = NaturalClipDataset(3, 4, 33, 47, seed=5)
    again = NaturalClipDataset(3, 4, 33, 47, seed=5)
    other = NaturalClipDataset(3, 4, 33, 47, seed=6)
    assert len(clips) == 3
    for i in range(3):
        clip = clips[i]
        assert clip.shape == (4, 3, 33, 47) and clip.dtype == torch.float32
        assert 0 <= clip.min() and clip.max() <= 1
        assert torch.equal(clip, again[i])
        assert not torch.equal(clip, other[i])
    assert NaturalClipDataset(1, 1, 16, 16)[0].shape == (1, 3, 16, 16)
    with pytest.raises(IndexError):
        clips[3]
    with pytest.raises(ValueError):
        NaturalClipDataset(1, 0, 16, 16)


def test_natural_motion_is_smooth():
    clips = [NaturalClipDataset(8, 6, 48, 64, seed=1)[i] for i in range(8)]
    consecutive = np.mean([(c[1:] - c[:-1]).abs().mean().item() for c in clips])
    unrelated = np.mean([(clips[i][0] - clips[i - 1][0]).abs().mean().item() for i in range(8)])
    assert consecutive < 0.4 * unrelated
    for clip in clips:  # no frame jumps: the largest step is close to the typical one
        steps = (clip[1:] - clip[:-1]).abs().mean(dim=(1, 2, 3))
        assert steps.max() <= 2.5 * steps.mean() + 0.01


def test_max_speed_scales_the_camera_motion():
    """A higher speed bound moves the camera further per frame on the same seeds; 0 holds it still; the default is
    MAX_SPEED."""
    def mean_speed(max_speed: float | None) -> float:
        extra = {} if max_speed is None else {"max_speed": max_speed}
        dataset = NaturalClipDataset(12, 3, 64, 64, seed=4, with_flow=True, **extra)
        return float(np.mean([dataset[i][1][1:].norm(dim=1).mean().item() for i in range(len(dataset))]))

    default, faster = mean_speed(None), mean_speed(2.5 * MAX_SPEED)
    assert default == mean_speed(MAX_SPEED)
    assert faster > 1.8 * default
    assert mean_speed(0.0) < 0.3 * default  # what remains is zoom and spin
    with pytest.raises(ValueError, match="max_speed"):
        NaturalClipDataset(1, 2, 16, 16, max_speed=-0.1)


def test_camera_flow_warps_the_previous_frame_onto_the_next():
    dataset = NaturalClipDataset(6, 3, 64, 96, seed=3, with_flow=True)
    for i in range(len(dataset)):  # clips 1, 2 and 4 are mirrored left-right: their flow is mirrored, dx negated
        clip, flow = dataset[i]
        assert torch.equal(clip, NaturalClipDataset(6, 3, 64, 96, seed=3)[i])  # the flow changes no pixel
        assert flow.shape == (3, 2, 64, 96) and not flow[0].any()
        inner = (slice(None), slice(None), slice(6, -6), slice(6, -6))  # away from the clamped borders
        warped = flow_warp(clip[:-1], flow[1:])
        warp_error = ((warped - clip[1:])[inner] ** 2).mean()
        copy_error = ((clip[:-1] - clip[1:])[inner] ** 2).mean()
        assert warp_error < 0.3 * copy_error + 1e-4, i


@pytest.mark.parametrize("seed", range(20))
def test_camera_view_stays_inside_the_photograph(seed):
    rng = np.random.default_rng(seed)
    source = image_pool()[seed % len(image_pool())]
    src_h, src_w = source.shape[1:]
    height, width, frames = (90, 160, 30) if seed % 2 else (160, 90, 5)
    path = camera_path(frames, height, width, (src_h, src_w), rng)
    for (cx, cy), scale, angle in zip(path.centres, path.scales, path.angles):
        for ox, oy in ((-1, -1), (-1, 1), (1, -1), (1, 1)):
            x, y = ox * width / 2 * scale, oy * height / 2 * scale
            px = cx + math.cos(angle) * x - math.sin(angle) * y
            py = cy + math.sin(angle) * x + math.cos(angle) * y
            assert -1e-6 <= px <= src_w + 1e-6 and -1e-6 <= py <= src_h + 1e-6


# --- synthetic video -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def videos():
    return [render_video(10, 64, 80, np.random.default_rng([3, i])) for i in range(6)]


def test_synthetic_video_is_deterministic(videos):
    again = render_video(10, 64, 80, np.random.default_rng([3, 0]))
    assert np.array_equal(again.frames, videos[0].frames) and np.array_equal(again.labels, videos[0].labels)
    assert videos[0].frames.shape == (10, 64, 80, 3) and videos[0].frames.dtype == np.uint8


def test_masks_boxes_and_areas_are_exact(videos):
    for video in videos:
        for t, instances in enumerate(video.instances):
            cover = np.zeros(video.labels.shape[1:], dtype=int)
            for inst in instances:
                cover += inst.mask
                label = int(video.labels[t][inst.mask][0])
                assert np.array_equal(video.labels[t] == label, inst.mask)  # the object's whole visible part
                assert video.objects[label - 1].category == inst.category
                rle = mask_utils.encode(np.asfortranarray(inst.mask.astype(np.uint8)))
                assert mask_utils.toBbox(rle).tolist() == list(inst.bbox)
                assert inst.area == inst.mask.sum() == mask_utils.area(rle) >= MIN_VISIBLE_AREA
                assert 0 < inst.visibility <= 1
            assert cover.max() <= 1  # one instance per pixel


def test_track_ids_are_consistent_and_objects_enter_leave_and_occlude(videos):
    entered = left = occluded = False
    for video in videos:
        frames = len(video.instances)
        seen: dict[int, tuple[int, np.ndarray]] = {}  # track id -> (category, frames present)
        for t, instances in enumerate(video.instances):
            ids = [inst.track_id for inst in instances]
            assert len(ids) == len(set(ids))
            for inst in instances:
                category, present = seen.setdefault(inst.track_id, (inst.category, np.zeros(frames, bool)))
                assert category == inst.category
                present[t] = True
                seen[inst.track_id] = (category, present)
                x, y, w, h = inst.bbox
                inside = x > 0 and y > 0 and x + w < 80 and y + h < 64
                occluded |= inside and inst.visibility < 0.9
        assert sorted(seen) == list(range(1, len(seen) + 1))
        for _, present in seen.values():
            first, last = np.flatnonzero(present)[[0, -1]]
            entered |= first > 0
            left |= last < frames - 1
    assert entered and left and occluded


def test_same_track_is_the_same_object(videos):
    for video in videos:
        owner: dict[int, int] = {}
        for t, instances in enumerate(video.instances):
            for inst in instances:
                label = int(video.labels[t][inst.mask][0])
                assert owner.setdefault(inst.track_id, label) == label


# --- files ---------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    ann = generate_dataset(root, "val", 2, 6, 48, 64, seed=7)
    generate_dataset(root, "train", 1, 6, 48, 64, seed=7)
    return root, ann


def test_coco_json_has_video_fields_and_exact_labels(dataset):
    root, ann = dataset
    assert ann == root / "annotations" / "val.json"
    coco = COCO(str(ann))
    assert [c["name"] for c in coco.dataset["categories"]] == list(CLASSES)
    assert [v["name"] for v in coco.dataset["videos"]] == ["vid0000", "vid0001"]
    for video in coco.dataset["videos"]:
        images = [im for im in coco.dataset["images"] if im["video_id"] == video["id"]]
        assert [im["frame_id"] for im in images] == list(range(6))
        assert images[0]["file_name"] == f"val/{video['name']}/img1/im00001.png"
        for image in images:
            assert (image["width"], image["height"]) == (64, 48)
            assert read_png(root / image["file_name"]).shape == (48, 64, 3)
    instance_ids = set()
    for ann_ in coco.dataset["annotations"]:
        assert ann_["instance_id"] > 0 and ann_["iscrowd"] == 0
        mask = coco.annToMask(ann_)
        assert mask.sum() == ann_["area"]
        assert mask_utils.toBbox(ann_["segmentation"]).tolist() == ann_["bbox"]
        instance_ids.add((ann_["video_id"], ann_["instance_id"]))
    assert len({i for _, i in instance_ids}) == len(instance_ids)  # instance ids are unique across videos


def test_mot_gt_matches_coco(dataset):
    root, ann = dataset
    coco = json.loads(ann.read_text())
    for video in coco["videos"]:
        gt = np.loadtxt(root / "val" / video["name"] / "gt" / "gt.txt", delimiter=",", ndmin=2)
        assert gt.shape[1] == 9 and (gt[:, 6] == 1).all()
        frame_of = {im["id"]: im["frame_id"] for im in coco["images"] if im["video_id"] == video["id"]}
        rows = sorted((frame_of[a["image_id"]] + 1, *a["bbox"], a["category_id"])
                      for a in coco["annotations"] if a["video_id"] == video["id"])
        assert sorted(tuple(int(v) for v in row[[0, 2, 3, 4, 5, 7]]) for row in gt) == rows
        assert "imDir=img1" in (root / "val" / video["name"] / "seqinfo.ini").read_text()


def test_dataset_config_and_splits(dataset):
    root, _ = dataset
    specs = {(s.dataset, s.name): s for s in load_dataset_config(root / "dataset_config.json")}
    assert set(specs) == {("SYNTH_val", "vid0000/img1"), ("SYNTH_val", "vid0001/img1"),
                          ("SYNTH_train", "vid0000/img1")}
    spec = specs["SYNTH_val", "vid0000/img1"]
    assert (spec.frames, spec.intra_period, spec.width, spec.height) == (6, 6, 64, 48)
    val, train = (read_png(root / split / "vid0000/img1/im00001.png") for split in ("val", "train"))
    assert not np.array_equal(val, train)
    with pytest.raises(InputError):
        generate_dataset(root, "val", 1, 2, 16, 16)


# --- real videos ---------------------------------------------------------------------------------------------------

def _script(path: str):
    """The module of the script at `path` (relative to the repository)."""
    spec = importlib.util.spec_from_file_location(Path(path).stem, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_real_set_writes_the_shipped_clips_as_png_folders_and_a_dataset_config(tmp_path):
    config = _script("eval/make_real_set.py").make_set(tmp_path, 3, ["carphone"])
    (spec,) = load_dataset_config(config)
    assert (spec.dataset, spec.name, spec.frames, spec.intra_period) == ("REAL", "carphone_176x144", 3, 3)
    assert (spec.width, spec.height) == (176, 144)
    decoded = list(open_video(real_video_path("carphone"), max_frames=3))
    written = list(spec.open())
    assert len(written) == 3 and all(np.array_equal(a, b) for a, b in zip(written, decoded))
    assert written[0].std() > 20 and not np.array_equal(written[0], written[1])  # a picture, and it moves


def test_real_set_refuses_more_frames_than_a_clip_has_and_unknown_clips(tmp_path):
    with pytest.raises(InputError, match="120 frames, fewer than the 121"):
        _script("eval/make_real_set.py").make_set(tmp_path, 121, ["carphone"])
    with pytest.raises(InputError, match="no real video named 'foreman'; there are carphone, bikes, bigbuckbunny"):
        real_video_path("foreman")


def test_wider_pool_adds_frames_of_the_bikes_later_scenes_to_the_photographs():
    photos, wider = image_pool(), image_pool("photos+bikes")
    assert all(a is b for a, b in zip(wider, photos))  # the photographs' pool, and every set drawn from it, unchanged
    decoded = list(open_video(real_video_path("bikes"), max_frames=BIKES_FRAMES.stop))
    assert len(wider) == len(photos) + len(BIKES_FRAMES) and min(BIKES_FRAMES) >= 30  # none of the measured scene
    for frame, index in zip(wider[len(photos):], BIKES_FRAMES):
        assert torch.equal(frame, torch.from_numpy(decoded[index]).permute(2, 0, 1).float() / 255)
    clip = render_clip(3, 64, 96, np.random.default_rng(0), image_index=len(photos) + 2, pool="photos+bikes")
    assert clip.shape == (3, 3, 64, 96) and clip.std() > 0.02
    with pytest.raises(ValueError, match="no image pool named 'bikes'"):
        NaturalClipDataset(1, 2, 64, 64, pool="bikes")


# --- bundled samples -----------------------------------------------------------------------------------------------

def test_samples_are_up_to_date(tmp_path):
    _script("scripts/make_samples.py").make_samples(tmp_path)
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    bundled = sorted(p.relative_to(SAMPLES) for p in SAMPLES.rglob("*") if p.is_file())
    assert fresh == bundled, "samples/ is out of date: run python scripts/make_samples.py"
    assert sum((SAMPLES / p).stat().st_size for p in bundled) < 3 * 2 ** 20
    for path in fresh:
        if path.suffix == ".png":
            # Same platform: identical files. Elsewhere float rounding may move a pixel value by one.
            new, old = read_png(tmp_path / path).astype(int), read_png(SAMPLES / path).astype(int)
            assert np.abs(new - old).max() <= 1 and (new != old).mean() < 1e-3, path
        else:
            assert (tmp_path / path).read_bytes() == (SAMPLES / path).read_bytes(), path
    assert len(list_png_frames(SAMPLES / "natural" / "clip0")) == 8
    assert [s.name for s in load_dataset_config(SAMPLES / "dataset_config.json")] == ["clip0", "vid0000/img1",
                                                                                      "vid0001/img1"]
