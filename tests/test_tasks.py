"""Machine vision on decoded features: FeatureBackbone, the feature cache and pipeline, and tiny task configs
trained and evaluated end to end with mmengine's Runner on a generated labelled video set."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.runner import Runner
from PIL import Image

import tasks
import vnvc
from mmdet.registry import DATASETS, MODELS
from mmdet.utils import register_all_modules
from tasks.config import load_task_config
from tasks.feature_cache import (CACHE_META, FORMAT, build_feature_cache, cache_dir, encoder_digest, feature_file, main,
                                 read_meta, stream_file, videos_from_coco, videos_from_folders)
from vnvc.codec import Decoder, Encoder
from vnvc.data import CLASSES, generate_dataset
from vnvc.refinement import LatentRefinement
from vnvc.zoo import load_model

CONFIGS = Path(__file__).resolve().parent.parent / "configs" / "tasks"
CHANNELS = 8  # the tiny configs' feature channels
HEIGHT, WIDTH = 72, 104  # not multiples of 32: padding and cropping are exercised

register_all_modules()


def write_feature_cache(data_root: Path, cache_root: Path) -> Path:
    """A cache as `tasks.feature_cache` lays it out, with features made from the frames (no codec needed)."""
    directory = cache_dir(cache_root, bytes(range(8)), 2)
    rng = np.random.default_rng(1)
    videos = {**videos_from_coco(data_root / "annotations" / "train.json"),
              **videos_from_coco(data_root / "annotations" / "val.json")}
    for files in videos.values():
        for file in files:
            pixels = np.asarray(Image.open(data_root / file), dtype=np.float32).transpose(2, 0, 1) / 255
            noise = rng.normal(0, 0.1, (CHANNELS - 3, *pixels.shape[1:]))
            path = feature_file(directory, data_root, data_root / file)
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, np.concatenate([pixels, noise]).astype(np.float16))
    (directory / CACHE_META).write_text(json.dumps(dict(format=FORMAT, feature_channels=CHANNELS, videos={})))
    return directory


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("synthetic")
    for split in ("train", "val"):
        generate_dataset(root, split, num_videos=2, frames=4, height=HEIGHT, width=WIDTH)
    return root, write_feature_cache(root, tmp_path_factory.mktemp("cache"))


def tiny_runner(name: str, dataset: tuple[Path, Path], work_dir: Path) -> Runner:
    cfg = load_task_config(CONFIGS / "tiny" / f"{name}.py", *dataset)
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.update(num_workers=0, persistent_workers=False)
    cfg.train_dataloader.batch_size = 2
    cfg.train_cfg = dict(type="IterBasedTrainLoop", max_iters=2, val_interval=2)  # 2 iterations, one validation
    cfg.param_scheduler = []
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.update(interval=2, by_epoch=False)
    cfg.log_processor = dict(by_epoch=False)
    cfg.work_dir = str(work_dir)
    cfg.visualizer.name = f"visualizer_{work_dir.name}"  # one instance per runner (mmengine keeps them by name)
    torch.manual_seed(0)
    return Runner.from_cfg(cfg)


def val_metrics(runner: Runner, prefix: str) -> dict[str, float]:
    scalars = runner.message_hub.log_scalars
    return {k.removeprefix("val/"): v.current() for k, v in scalars.items() if k.startswith(f"val/{prefix}")}


@pytest.mark.parametrize("name", sorted(p.relative_to(CONFIGS).with_suffix("").as_posix()
                                         for p in [*CONFIGS.glob("*.py"), *CONFIGS.glob("small/*.py")]))
def test_every_task_config_builds_its_model_and_data(name, dataset):
    environment = dict(os.environ)
    cfg = load_task_config(CONFIGS / f"{name}.py", *dataset)
    assert dict(os.environ) == environment
    assert cfg.val_dataloader.dataset.data_root == f"{dataset[0]}/"
    assert "tasks" in cfg.custom_imports.imports and not cfg.load_from
    assert "Pretrained" not in str(cfg.model)  # nothing can be downloaded
    assert tuple(cfg.metainfo.classes) == CLASSES  # the synthetic generator's classes
    model = MODELS.build(cfg.model)
    backbone = (model.detector if hasattr(model, "detector") else model).backbone
    if name.endswith(("feature", "retinanet")):
        assert isinstance(backbone, tasks.FeatureBackbone) and backbone.conv1.in_channels == CHANNELS  # from the cache
    else:
        assert type(backbone).__name__ == "ResNet" and backbone.conv1.in_channels == 3
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        sample = DATASETS.build(loader.dataset)[0]
        inputs = sample["inputs"]
        assert inputs.shape[-3] == (CHANNELS if "feature" in name else 3)
    if name.startswith("small/"):  # the shipped heads' size: a checkpoint file of at most 16 MiB
        assert sum(p.numel() for p in model.state_dict().values()) * 4 < 16 * 2**20


@pytest.mark.parametrize("size", [(33, 65), (72, 104), (64, 64), (97, 31)])
def test_feature_backbone_strides_on_odd_sizes(size):
    h, w = size
    backbone = MODELS.build(dict(type="FeatureBackbone", in_channels=CHANNELS, depth=18, base_channels=8,
                                 out_indices=(0, 1, 2, 3)))
    outs = backbone(torch.randn(2, CHANNELS, h, w))
    assert len(outs) == 4
    for i, out in enumerate(outs):
        stride = 4 * 2**i
        assert out.shape == (2, 8 * 2**i, -(-h // stride), -(-w // stride))


def test_feature_backbone_options():
    backbone = MODELS.build(dict(type="FeatureBackbone", in_channels=64, depth=50, base_channels=16,
                                 stem_channels=32, out_indices=(1, 3)))
    assert isinstance(backbone, tasks.FeatureBackbone) and backbone.conv1.in_channels == 64
    outs = backbone(torch.randn(1, 64, 40, 56))
    assert [o.shape[1] for o in outs] == [128, 512]  # Bottleneck stages: 4 * 16 * 2**i
    assert [o.shape[2:] for o in outs] == [(5, 7), (2, 2)]
    with pytest.raises(ValueError, match="deep_stem"):
        tasks.FeatureBackbone(in_channels=8, depth=18, deep_stem=True)


def test_load_decoded_feature_through_mmdet_pipeline(dataset):
    data_root, features = dataset
    frame = data_root / "val/vid0001/img1/im00002.png"
    load = dict(type="LoadDecodedFeature", cache_dir=str(features), img_root=str(data_root))
    pipeline = Compose([
        load,
        dict(type="Resize", scale=(160, 120), keep_ratio=True),
        dict(type="RandomFlip", prob=1.0),
        dict(type="PackDetInputs"),
    ])
    boxes = np.array([[10, 12, 40, 30]], dtype=np.float32)
    out = pipeline(dict(img_path=str(frame), img_id=0, height=HEIGHT, width=WIDTH, gt_bboxes=boxes,
                        gt_bboxes_labels=np.array([1]), gt_ignore_flags=np.array([False])))
    stored = np.load(feature_file(features, data_root, frame)).astype(np.float32)
    assert stored.shape == (CHANNELS, HEIGHT, WIDTH)
    inputs, sample = out["inputs"], out["data_samples"]
    scale = min(160 / WIDTH, 120 / HEIGHT)
    h, w = round(HEIGHT * scale), round(WIDTH * scale)
    assert inputs.dtype == torch.float32 and inputs.shape == (CHANNELS, h, w)
    assert sample.ori_shape == (HEIGHT, WIDTH) and sample.img_shape == (h, w) and sample.flip
    # The first three channels are the frame: resizing and flipping moved them like an image.
    expected = np.asarray(Image.open(frame).resize((w, h), Image.BILINEAR), dtype=np.float32)[:, ::-1] / 255
    assert np.abs(inputs[:3].permute(1, 2, 0).numpy() - expected).mean() < 0.05
    box = sample.gt_instances.bboxes[0].numpy()
    sx, sy = sample.scale_factor
    np.testing.assert_allclose(box, [w - 40 * sx, 12 * sy, w - 10 * sx, 30 * sy], atol=1e-3)

    preprocessor = MODELS.build(dict(type="DetDataPreprocessor", mean=None, std=None, bgr_to_rgb=False,
                                     pad_size_divisor=32))
    batch = preprocessor(dict(inputs=[inputs], data_samples=[sample]), training=False)
    assert batch["inputs"].shape == (1, CHANNELS, -(-h // 32) * 32, -(-w // 32) * 32)
    assert torch.equal(batch["inputs"][0, :, :h, :w], inputs)  # no normalisation, no channel swap

    with pytest.raises(FileNotFoundError, match="no decoded feature"):
        pipeline(dict(img_path=str(data_root / "val/vid0001/img1/im00009.png"), img_id=0))
    with pytest.raises(ValueError, match="expected"):
        Compose([load])(dict(img_path=str(frame), img_id=0, height=HEIGHT + 1, width=WIDTH))
    with pytest.raises(FileNotFoundError, match="tasks.feature_cache"):
        Compose([dict(load, cache_dir=str(features.parent / "rate0"))])


def test_faster_rcnn_on_features_trains_and_evaluates(dataset, tmp_path):
    runner = tiny_runner("detection_feature", dataset, tmp_path / "det")
    assert isinstance(runner.model.backbone, tasks.FeatureBackbone)
    runner.train()
    metrics = val_metrics(runner, "coco/bbox_")
    assert runner.iter == 2 and "coco/bbox_mAP" in metrics
    assert all(np.isfinite(v) and -1 <= v <= 1 for v in metrics.values())


def test_retinanet_config_needs_no_code(dataset, tmp_path):
    runner = tiny_runner("detection_feature_retinanet", dataset, tmp_path / "retina")
    assert type(runner.model).__name__ == "RetinaNet" and isinstance(runner.model.backbone, tasks.FeatureBackbone)
    runner.train()
    assert "coco/bbox_mAP" in val_metrics(runner, "coco/bbox_")


def test_mask_rcnn_on_features_trains_and_evaluates(dataset, tmp_path):
    runner = tiny_runner("segmentation_feature", dataset, tmp_path / "segm")
    runner.train()
    metrics = val_metrics(runner, "coco/")
    assert {"coco/bbox_mAP", "coco/segm_mAP"} <= set(metrics)


def test_pixel_baseline_trains_on_frames(dataset, tmp_path):
    runner = tiny_runner("detection_pixel", dataset, tmp_path / "pixel")
    assert type(runner.model.backbone).__name__ == "ResNet" and runner.model.backbone.conv1.in_channels == 3
    runner.train()
    assert "coco/bbox_mAP" in val_metrics(runner, "coco/bbox_")


def test_bytetrack_on_features_tracks_videos(dataset, tmp_path):
    runner = tiny_runner("tracking_feature", dataset, tmp_path / "track")
    assert type(runner.model).__name__ == "ByteTrack"
    # Lower the tracker's thresholds so that the barely trained detector's boxes make tracks.
    runner.model.tracker.obj_score_thrs = dict(high=0.0, low=0.0)
    runner.model.tracker.init_track_thr = 0.0
    runner.train()
    metrics = val_metrics(runner, "motchallenge-metric/")
    for key in ("HOTA", "MOTA", "IDF1"):
        assert np.isfinite(metrics[f"motchallenge-metric/{key}"])


def test_feature_cache_from_the_codec(tmp_path):
    model = load_model("config:tiny")
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (33, 65, 3), dtype=np.uint8) for _ in range(2)]
    for i, frame in enumerate(frames):
        (tmp_path / "png" / "clip").mkdir(parents=True, exist_ok=True)
        Image.fromarray(frame).save(tmp_path / "png" / "clip" / f"im{i + 1:05d}.png")
    videos = videos_from_folders(tmp_path / "png")
    assert videos == {"clip": ["clip/im00001.png", "clip/im00002.png"]}

    directory = build_feature_cache(model, videos, tmp_path / "png", tmp_path / "cache", rate=1, intra_period=2)
    assert directory == cache_dir(tmp_path / "cache", model.checkpoint_id(), 1)
    assert directory.parent.name == model.checkpoint_id().hex() and directory.name == "rate1"
    meta = read_meta(directory)
    assert meta["checkpoint_id"] == model.checkpoint_id().hex() and meta["feature_channels"] == model.feature_channels
    decoded = [d for _, d, *_ in Encoder(model, rate=1, intra_period=2).iter_encode(frames)]
    for frame_meta, dec in zip(meta["videos"]["clip"]["frames"], decoded):
        feature = np.load(directory / frame_meta["file"].replace(".png", ".npy"))
        assert feature.dtype == np.float16 and feature.shape == (model.feature_channels, 33, 65)
        np.testing.assert_array_equal(feature, dec.feature[0, :, :33, :65].half().numpy())
        assert frame_meta["bytes"] == dec.num_bytes and frame_meta["bpp"] == 8 * dec.num_bytes / (33 * 65)
    assert [f["type"] for f in meta["videos"]["clip"]["frames"]] == ["INTRA", "INTER"]
    assert meta["bpp"] > 0
    # The video's stream is kept: it is the file `vnvc encode` writes, and decodes to the cached features.
    stream = stream_file(directory, "clip").read_bytes()
    assert len(stream) == sum(f["bytes"] for f in meta["videos"]["clip"]["frames"])
    for frame_meta, dec in zip(meta["videos"]["clip"]["frames"], Decoder(model).decode(stream, until="features")):
        np.testing.assert_array_equal(np.load(directory / frame_meta["file"].replace(".png", ".npy")),
                                      dec.feature[0, :, :33, :65].half().numpy())
    refined = build_feature_cache(model, videos, tmp_path / "png", tmp_path / "cache", rate=1, intra_period=2,
                                  refinement=LatentRefinement(steps=1))
    assert refined == cache_dir(tmp_path / "cache", model.checkpoint_id(), 1, refine_steps=1) != directory
    assert refined.name == "rate1_refine1" and read_meta(refined)["refinement"]["steps"] == 1

    stamp = (directory / "clip" / "im00002.npy").stat().st_mtime_ns
    main(["--model", "config:tiny", "--rate", "1", "--intra-period", "2", "--img-root", str(tmp_path / "png"),
          "--cache-root", str(tmp_path / "cache")])
    assert (directory / "clip" / "im00002.npy").stat().st_mtime_ns == stamp  # same checkpoint and rate: reused
    # A cache written by other encoder code (say, an older motion search) is coded anew.
    assert read_meta(directory)["encoder"] == encoder_digest()
    (directory / CACHE_META).write_text(json.dumps(dict(read_meta(directory), encoder="0" * 64)))
    build_feature_cache(model, videos, tmp_path / "png", tmp_path / "cache", rate=1, intra_period=2)
    assert (directory / "clip" / "im00002.npy").stat().st_mtime_ns != stamp
    assert read_meta(directory)["encoder"] == encoder_digest()
    other = build_feature_cache(model, videos, tmp_path / "png", tmp_path / "cache", rate=2, intra_period=2)
    assert other != directory and (other / "clip" / "im00001.npy").is_file()

    # Another dataset root with the same relative paths but other frames: coded anew, not served stale features.
    (tmp_path / "png2" / "clip").mkdir(parents=True)
    for i, frame in enumerate(frames):
        Image.fromarray(255 - frame).save(tmp_path / "png2" / "clip" / f"im{i + 1:05d}.png")
    rebuilt = build_feature_cache(model, videos, tmp_path / "png2", tmp_path / "cache", rate=1, intra_period=2)
    assert rebuilt == directory
    inverted = [d for _, d, *_ in Encoder(model, rate=1, intra_period=2).iter_encode([255 - f for f in frames])]
    np.testing.assert_array_equal(np.load(directory / "clip" / "im00001.npy"),
                                  inverted[0].feature[0, :, :33, :65].half().numpy())

    load = Compose([dict(type="LoadDecodedFeature", cache_dir=str(directory), img_root=str(tmp_path / "png"))])
    out = load(dict(img_path=str(tmp_path / "png" / "clip" / "im00001.png"), height=33, width=65))
    assert out["img"].shape == (33, 65, model.feature_channels) and out["img"].dtype == np.float32


def test_the_encoder_digest_follows_the_code_that_makes_streams(tmp_path):
    package = Path(vnvc.__file__).parent
    copy = tmp_path / "vnvc"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    assert encoder_digest(copy) == encoder_digest()
    (copy / "cli.py").write_text((copy / "cli.py").read_text() + "\n# not the encoder\n")
    assert encoder_digest(copy) == encoder_digest()
    search = copy / "models" / "motion_estimation.py"
    search.write_text(search.read_text() + "\n# a new motion search\n")
    assert encoder_digest(copy) != encoder_digest()
