"""Machine-vision evaluation: task accuracy against bitrate, with the heads running on VNVC's decoded features F̂t.

For every rate point the split's videos are coded once with the codec (``--refine-steps N``: with encoder-side latent
refinement): the feature cache (``tasks.feature_cache``) keeps each video's stream and F̂t for the feature-domain
head, and the same stream is decoded to features (timed) and to pixels (timed, PSNR / MS-SSIM). The head runs
through mmengine's ``TestLoop`` (CocoMetric bbox/segm mAP, MOTChallengeMetric HOTA/MOTA/IDF1). Baselines decode to
pixels and run the pixel-domain head: ``vnvc-pixels`` (the same VNVC stream) and ``x264``/``x265``
(``eval/anchors.py`` streams at QPs). Writes ``results.csv``/``results.json``, the BD-rate of
vnvc against each baseline at equal task accuracy (``bdrate.md``/``bdrate.csv``) and ``rd_<metric>.png``.

    python eval/machine_vision.py --task detection|segmentation|tracking [--rates 0 1 2 3]
        [--data samples/synthetic] [--split val] [--checkpoint small|PATH|config:tiny]
        [--head PATH | --train-heads --train-iters N] [--baseline vnvc-pixels x265 | none] [--task-config CFG]
        [--out DIR]

Heads: with no --task-config/--head given and the shipped default codec, the shipped heads trained on its features
(``checkpoints/heads``, configs/tasks/small; tracking uses the detection heads) are used; otherwise, or with
--train-heads, each head is trained here for --train-iters iterations on the --train-split.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import math
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from PIL import Image
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eval import anchors  # noqa: E402
from eval.bdrate import BdRateWarning, bd_rate_table, to_markdown  # noqa: E402
from eval.plots import rd_plot  # noqa: E402
from vnvc.codec import Decoder  # noqa: E402
from vnvc.errors import CheckpointError, ConfigError, InputError, VnvcError  # noqa: E402
from vnvc.io.source import tensor_to_frame  # noqa: E402
from vnvc.metrics import ms_ssim, psnr  # noqa: E402
from vnvc.models import VideoCodec  # noqa: E402
from vnvc.refinement import LatentRefinement  # noqa: E402
from vnvc.zoo import DEFAULT, load_model, shipped_models  # noqa: E402

TASK_CONFIGS = ROOT / "configs" / "tasks"
VNVC = "vnvc"
PIXEL_BASELINES = ("vnvc-pixels", "x264", "x265")


@dataclass(frozen=True)
class Task:
    """What a task reports (result columns; the first is its main metric) and which evaluator its configs use."""

    metrics: tuple[str, ...]
    evaluator: str
    coco_metric: str | None = None


TASKS = {
    "detection": Task(("bbox_mAP", "bbox_mAP_50"), "CocoMetric", "bbox"),
    "segmentation": Task(("segm_mAP", "segm_mAP_50", "bbox_mAP"), "CocoMetric", "segm"),
    "tracking": Task(("HOTA", "MOTA", "IDF1"), "MOTChallengeMetric"),
}


@dataclass
class CodedPoint:
    """One codec at one rate point on the evaluated split: rate, pixel quality, decode times, where the head reads.

    Seconds are summed over frames; ``features`` is a feature-cache folder (vnvc), ``pixels`` a dataset root of
    decoded frames (pixel heads).
    """

    codec: str
    point: str
    rate: float = math.nan
    qp: float = math.nan
    bits: float = 0.0
    pixel_count: int = 0
    frames: int = 0
    feature_seconds: float = math.nan
    pixel_seconds: float = 0.0
    features: Path | None = None
    pixels: Path | None = None

    def __post_init__(self) -> None:
        self.psnr: list[float] = []
        self.msssim: list[float] = []

    def row(self, head: str, metrics: dict[str, float], task: Task) -> dict[str, Any]:
        """One line of results.csv."""
        per_frame = max(1, self.frames)
        return {"codec": self.codec, "point": self.point, "rate": self.rate, "qp": self.qp,
                "bpp": self.bits / self.pixel_count, "psnr": float(np.mean(self.psnr)),
                "msssim": float(np.mean(self.msssim)),
                **{name: metrics.get(name, math.nan) for name in task.metrics},
                "decode_to_feature_s": self.feature_seconds / per_frame,
                "decode_to_pixel_s": self.pixel_seconds / per_frame, "frames": self.frames, "head": head}


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and status 2, like every other user error
        self.exit(2, f"machine_vision: {message}\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = _ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", required=True, choices=sorted(TASKS))
    parser.add_argument("--rates", type=float, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--data", type=Path, default=ROOT / "samples" / "synthetic",
                        help="dataset root with annotations/<split>.json (vnvc.data.generate_dataset)")
    parser.add_argument("--split", default="val")
    parser.add_argument("--train-split", default="train", help="split the heads are trained on")
    parser.add_argument("--checkpoint", default=None,
                        help=f"codec: shipped name, checkpoint file or config:<name> (default: {DEFAULT}, or "
                             f"config:{DEFAULT} while no {DEFAULT!r} model is shipped)")
    parser.add_argument("--intra-period", type=int, default=32)
    parser.add_argument("--refine-steps", type=int, default=0,
                        help="encoder-side latent refinement steps per frame (vnvc.refinement); 0: off")
    parser.add_argument("--task-config", type=Path, default=None,
                        help="feature-domain head config (default: configs/tasks/tiny/<task>_feature.py)")
    parser.add_argument("--pixel-config", type=Path, default=None,
                        help="pixel-domain head config for the baselines (default: the task config's *_pixel.py)")
    parser.add_argument("--head", type=Path, default=None, help="trained feature-domain head (weights)")
    parser.add_argument("--pixel-head", type=Path, default=None, help="trained pixel-domain head (weights)")
    parser.add_argument("--train-heads", action="store_true", help="train the heads even where shipped ones fit")
    parser.add_argument("--train-iters", type=int, default=20,
                        help="iterations to train each head not given by --head/--pixel-head")
    parser.add_argument("--baseline", nargs="+", default=["vnvc-pixels", "x265"],
                        choices=[*PIXEL_BASELINES, "none"])
    parser.add_argument("--anchor-qps", type=int, nargs="+", default=[22, 27, 32, 37])
    parser.add_argument("--anchor-preset", default=None, help="x264/x265 preset (default: medium)")
    parser.add_argument("--cache-root", type=Path, default=Path("work_dirs") / "feature_cache")
    parser.add_argument("--cfg-options", nargs="+", default=[], metavar="KEY=VALUE",
                        help="mmengine config overrides for both heads, e.g. model.tracker.init_track_thr=0.3")
    parser.add_argument("--workers", type=int, default=0, help="data-loading workers of the heads")
    parser.add_argument("--device", default="cpu", help="codec device")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="show mmengine's logs and the evaluators' output")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: out/machine_vision/<task>)")
    args = parser.parse_args(argv)
    if "none" in args.baseline and len(args.baseline) > 1:
        parser.error("--baseline none cannot be combined with other baselines")
    args.baseline = [] if args.baseline == ["none"] else list(dict.fromkeys(args.baseline))
    args.rates = sorted(set(args.rates))
    args.out = args.out or Path("out") / "machine_vision" / args.task
    if args.train_iters < 1:
        parser.error(f"--train-iters must be at least 1, got {args.train_iters}")
    return args


# ----------------------------------------------------------------------------------------------------- set-up
def default_checkpoint() -> str:
    """The shipped default codec, or its untrained architecture while none is shipped."""
    return DEFAULT if DEFAULT in shipped_models() else f"config:{DEFAULT}"


def split_videos(data: Path, split: str) -> dict[str, list[str]]:
    """Frames per video of ``data/annotations/<split>.json``, checked to exist on disk."""
    from tasks.feature_cache import videos_from_coco

    ann = data / "annotations" / f"{split}.json"
    if not ann.is_file():
        raise InputError(f"no {ann}: --data must be a dataset root with annotations/<split>.json "
                         "(see vnvc.data.generate_dataset)")
    try:
        videos = videos_from_coco(ann)
    except (ValueError, KeyError) as exc:
        raise InputError(f"{ann}: not a COCO-VID annotation file ({exc})") from None
    if not videos:
        raise InputError(f"{ann} lists no images")
    missing = [f for files in videos.values() for f in files if not (data / f).is_file()]
    if missing:
        raise InputError(f"{data / missing[0]} (listed in {ann}) does not exist")
    return videos


def use_shipped_heads(args: argparse.Namespace, model: VideoCodec) -> None:
    """Fill in the shipped heads (and their small configs) when none were asked for and they fit the codec."""
    from tasks.heads import head_name, shipped_head_path, shipped_heads

    if args.train_heads or args.task_config or args.head or args.pixel_head:
        return
    heads = shipped_heads()
    source = args.task if head_name(args.task, "feature") in heads or args.task != "tracking" else "detection"
    feature = heads.get(head_name(source, "feature"))
    if feature is None:
        return
    codec_id = model.checkpoint_id().hex()
    if feature.codec_id != codec_id:
        print(f"machine_vision: the shipped {source} heads were measured on codec {feature.codec_id}, not on this "
              f"one ({codec_id}): heads are trained here instead (--head and --pixel-head use shipped files anyway; "
              "scripts/ship_heads.py carries them over to a new codec)", file=sys.stderr)
        return
    args.task_config = TASK_CONFIGS / "small" / f"{args.task}_feature.py"
    args.head = shipped_head_path(head_name(source, "feature"))
    if args.baseline and head_name(source, "pixel") in heads:
        args.pixel_head = shipped_head_path(head_name(source, "pixel"))


def feature_config(task: str, path: Path | None) -> Path:
    path = path or TASK_CONFIGS / "tiny" / f"{task}_feature.py"
    if not path.is_file():
        raise ConfigError(f"task config {path} does not exist")
    return path


def pixel_config(feature: Path, path: Path | None) -> Path:
    """The pixel-domain twin of a feature config: the ``*_pixel.py`` beside it."""
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"pixel config {path} does not exist")
        return path
    twin = feature.with_name(feature.name.replace("_feature", "_pixel"))
    if twin == feature or not twin.is_file():
        raise ConfigError(f"no pixel-domain config for {feature} (looked for {twin}): pass --pixel-config "
                          "or --baseline none")
    return twin


def check_task(cfg, task: str, path: Path) -> None:
    """The config's evaluator must compute the task's metrics."""
    spec = TASKS[task]
    evaluator = cfg.test_evaluator
    kind = evaluator.get("type")
    metrics = evaluator.get("metric", [])
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    if kind != spec.evaluator or spec.coco_metric and spec.coco_metric not in metrics:
        raise ConfigError(f"{path} evaluates with {kind} {metrics}, not a {task} config "
                          f"({spec.evaluator}{' ' + spec.coco_metric if spec.coco_metric else ''})")


def task_config(path: Path, data: Path, split: str, options: dict[str, Any], workers: int,
                cache: Path | None = None):
    """A task config for one dataset root (and feature cache), testing on ``split``."""
    from tasks import load_task_config

    try:
        cfg = load_task_config(path, data, cache)
    except Exception as exc:  # mmengine raises many types for broken config files
        raise ConfigError(f"cannot load {path}: {exc}") from None
    ann = f"annotations/{split}.json"
    cfg.test_dataloader.dataset.ann_file = ann
    if "ann_file" in cfg.test_evaluator:
        cfg.test_evaluator.ann_file = str(Path(data) / ann)
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        loader.update(num_workers=workers, persistent_workers=workers > 0)
    cfg.merge_from_dict(options)
    return cfg


def cfg_options(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs with Python literals as values (mmengine's --cfg-options)."""
    import ast

    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--cfg-options takes KEY=VALUE, got {pair!r}")
        try:
            options[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            options[key] = value
    return options


# ------------------------------------------------------------------------------------------------------ heads
def read_head(path: Path) -> dict[str, torch.Tensor]:
    """The weights of a head checkpoint (a weights-only file: ``{'state_dict': ...}`` or a bare state dict)."""
    if not path.is_file():
        raise CheckpointError(f"head checkpoint {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises assorted errors for foreign or damaged files
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"head checkpoint {path} cannot be read as weights only ({reason[:200]}); for a trusted mmengine "
            "training checkpoint keep its weights: torch.save({'state_dict': torch.load(P, weights_only=False)"
            "['state_dict']}, OUT)") from None
    weights = payload.get("state_dict", payload) if isinstance(payload, dict) else None
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()):
        raise CheckpointError(f"head checkpoint {path} holds no state dict of tensors")
    return weights


def check_head(model: torch.nn.Module, weights: dict[str, torch.Tensor], path: Path, config: Path) -> None:
    """Refuse weights whose keys or shapes differ from the model's (one line naming the first differences)."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in weights and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in weights if k not in expected]
    shapes = [f"{k} {tuple(weights[k].shape)} vs {tuple(v.shape)}" for k, v in expected.items()
              if k in weights and weights[k].shape != v.shape]
    problems = [f"{len(items)} {label} (first: {items[0]})" for label, items in
                (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", shapes)) if items]
    if problems:
        raise CheckpointError(f"head checkpoint {path} does not match {config}: {'; '.join(problems)}")


def build_model(cfg) -> torch.nn.Module:
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    register_all_modules()
    try:
        return MODELS.build(cfg.model)
    except Exception as exc:  # a config can fail to build in many ways
        raise ConfigError(f"cannot build the model of {cfg.filename}: {exc}") from None


def new_runner(cfg, work_dir: Path, name: str, seed: int, verbose: bool):
    """An mmengine Runner in its own work folder (unique logger and visualizer names)."""
    from mmengine.runner import Runner

    unique = f"{name}_{time.time_ns()}"
    cfg.work_dir = str(work_dir / name)
    cfg.experiment_name = unique
    cfg.visualizer.name = unique
    cfg.randomness = dict(seed=seed)
    cfg.log_level = "INFO" if verbose else "ERROR"
    cfg.load_from = None
    return Runner.from_cfg(cfg)


def training_config(cfgs: list, iters: int):
    """The first config training for ``iters`` iterations on every config's training set, without validation."""
    cfg = cfgs[0]
    datasets = [c.train_dataloader.dataset for c in cfgs]
    if len(datasets) > 1:
        cfg.train_dataloader.dataset = dict(type="ConcatDataset", datasets=datasets)
    cfg.train_cfg = dict(type="IterBasedTrainLoop", max_iters=iters)
    cfg.param_scheduler = [dict(type="LinearLR", start_factor=0.1, by_epoch=False, begin=0, end=max(1, iters // 5)),
                           dict(type="MultiStepLR", by_epoch=False, milestones=[max(1, iters * 3 // 4)], gamma=0.1)]
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = None
    cfg.log_processor = dict(by_epoch=False)
    return cfg


def train_head(cfgs: list, iters: int, work_dir: Path, name: str, args: argparse.Namespace):
    """Train a head from scratch; returns its Runner (the trained model stays in it)."""
    from mmengine.hooks import Hook

    bar = tqdm(total=iters, desc=f"train {name} head", unit="iter")

    class Progress(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            bar.update()

    runner = new_runner(training_config(cfgs, iters), work_dir, name, args.seed, args.verbose)
    runner.register_hook(Progress(), priority="LOWEST")
    try:
        runner.train()
    finally:
        bar.close()
    return runner


def save_head(runner, path: Path, meta: dict[str, Any]) -> None:
    """Weights only (readable with ``torch.load(weights_only=True)``), with what made them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    weights = {k: v.detach().cpu() for k, v in runner.model.state_dict().items()}
    torch.save({"state_dict": weights, "meta": meta}, path)


def evaluate(runner, cfg) -> dict[str, float]:
    """Run the head on ``cfg``'s test set; metric names without their evaluator prefix (``coco/bbox_mAP`` ->
    ``bbox_mAP``)."""
    from mmengine.runner import TestLoop

    metrics = TestLoop(runner, cfg.test_dataloader, cfg.test_evaluator).run()
    return {k.rsplit("/", 1)[-1]: float(v) for k, v in metrics.items() if isinstance(v, (int, float))}


# ----------------------------------------------------------------------------------------------------- coding
def read_frames(data: Path, files: list[str]) -> list[np.ndarray]:
    frames = []
    for name in files:
        with Image.open(data / name) as image:
            frames.append(np.asarray(image.convert("RGB")))
    return frames


def timed(iterator: Iterable) -> Iterator[tuple[Any, float]]:
    """Items with the seconds spent producing each."""
    iterator = iter(iterator)
    while True:
        start = time.perf_counter()
        try:
            item = next(iterator)
        except StopIteration:
            return
        yield item, time.perf_counter() - start


def save_png(frame: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(frame).save(path)


def mirror_root(work: Path, name: str, data: Path, split: str) -> Path:
    """A dataset root for decoded frames: the split's annotations, frames written later at the same paths."""
    root = work / "decoded" / name
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    shutil.copy(data / "annotations" / f"{split}.json", root / "annotations" / f"{split}.json")
    return root


def code_vnvc(model: VideoCodec, videos: dict[str, list[str]], data: Path, rate: float, cache: Path,
              pixels: Path | None, bar: tqdm, device: str) -> CodedPoint:
    """Decode each video's stream, kept by the feature cache ``cache`` when it coded the video, to features (timed)
    and to pixels (timed, measured, saved under ``pixels`` when given)."""
    from tasks.feature_cache import stream_file

    point = CodedPoint(VNVC, f"rate{rate:g}", rate=rate, feature_seconds=0.0, features=cache, pixels=pixels)
    decoder = Decoder(model, device=device)
    for video, files in videos.items():
        originals = read_frames(data, files)
        stream = stream_file(cache, video).read_bytes()
        height, width = originals[0].shape[:2]
        point.bits += 8.0 * len(stream)
        point.pixel_count += width * height * len(files)
        point.frames += len(files)
        point.feature_seconds += sum(s for _, s in timed(decoder.decode(stream, until="features")))
        for (frame, seconds), original, file in zip(timed(decoder.decode(stream, until="pixels")), originals, files):
            point.pixel_seconds += seconds
            decoded = tensor_to_frame(frame.pixels)
            point.psnr.append(psnr(original, decoded))
            point.msssim.append(ms_ssim(original, decoded))
            if pixels is not None:
                save_png(decoded, pixels / file)
        bar.update()
    return point


def anchor_frames(originals: list[np.ndarray], codec: str, qp: int, intra_period: int,
                  preset: str | None) -> tuple[anchors.AnchorResult, list[np.ndarray]]:
    """``run_anchor``'s result and the decoded RGB frames.

    BRIDGE: ``eval/anchors.py``'s ``AnchorResult`` does not carry its decoded frames yet. Until it does, the
    frames are decoded here from the packets of the same encoder options, with anchors' own helpers; the bits
    are checked against ``run_anchor``'s (x264/x265 are deterministic with pinned threads).
    """
    result = anchors.run_anchor(originals, codec, qp, intra_period, preset=preset)
    spec = anchors.CODECS[codec]
    packets, *_ = anchors._encode(originals, spec, anchors.encoder_options(codec, qp, intra_period, preset))
    payloads = [anchors._strip_sei(bytes(packet), spec) for packet in packets]
    height, width = originals[0].shape[:2]
    frames = [anchors.yuv420_to_rgb(*anchors._planes(f))[:height, :width]
              for f in anchors._decode(payloads, spec, [0.0])]
    if [8.0 * len(p) for p in payloads] != result.frame_bits or len(frames) != len(originals):
        raise anchors.AnchorError(f"{codec} qp {qp}: a second encode differs from run_anchor's")
    return result, frames


def code_anchor(codec: str, qp: int, videos: dict[str, list[str]], data: Path, args: argparse.Namespace,
                pixels: Path, bar: tqdm) -> CodedPoint:
    """Code each video with a classic codec at ``qp`` and save the decoded frames under ``pixels``."""
    point = CodedPoint(codec, f"qp{qp}", qp=qp, pixels=pixels)
    for files in videos.values():
        originals = read_frames(data, files)
        result, decoded = anchor_frames(originals, codec, qp, args.intra_period, args.anchor_preset)
        point.bits += sum(result.frame_bits)
        point.pixel_count += result.width * result.height * result.frames
        point.frames += result.frames
        point.pixel_seconds += result.decode_seconds
        point.psnr += result.frame_psnr
        point.msssim += result.frame_msssim
        for frame, file in zip(decoded, files):
            save_png(frame, pixels / file)
        bar.update()
    return point


# ------------------------------------------------------------------------------------------------------ report
def bd_rates(table: pd.DataFrame, task: Task) -> pd.DataFrame:
    """BD-rate (%) of vnvc against each baseline at equal task accuracy, per task metric (negative: vnvc saves
    bits); NaN with a note where the curves cannot be compared (fewer than 4 points, not monotone, no overlap)."""
    rows = []
    for anchor in [c for c in pd.unique(table["codec"]) if c != VNVC]:
        pair = table[table["codec"].isin([VNVC, anchor])]
        for metric in task.metrics:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", BdRateWarning)
                result = bd_rate_table(pair, anchor, metric, group_cols=())
            for r in result[result["codec"] == VNVC].to_dict("records"):
                rows.append({"codec": VNVC, "anchor": anchor, "metric": metric, "bd_rate": r["bd_rate"],
                             "bd_metric": r[f"bd_{metric}"], "note": r["note"]})
    return pd.DataFrame(rows, columns=["codec", "anchor", "metric", "bd_rate", "bd_metric", "note"])


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def write_outputs(out: Path, table: pd.DataFrame, bd: pd.DataFrame, meta: dict[str, Any], task: Task,
                  heads: dict[str, Path], stage: Path) -> list[Path]:
    """Write every output into ``stage`` first, then move them into ``out`` (no partial set on failure)."""
    stage.mkdir(parents=True)
    table.to_csv(stage / "results.csv", index=False)
    payload = {**meta, "results": table.to_dict("records"), "bd_rate": bd.to_dict("records")}
    (stage / "results.json").write_text(json.dumps(_json_safe(payload), indent=1))
    bd.to_csv(stage / "bdrate.csv", index=False)
    (stage / "bdrate.md").write_text(
        "BD-rate (%) of vnvc against each baseline at equal task accuracy (negative: vnvc needs fewer bits)\n\n"
        + (to_markdown(bd) if not bd.empty else "no baseline") + "\n")
    for metric in task.metrics:
        rd_plot(table, stage / f"rd_{metric}.png", metric=metric, title=f"{meta['task']} on {meta['split']}")
    for name, path in heads.items():
        shutil.copy(path, stage / f"{name}_head.pth")
    written = []
    out.mkdir(parents=True, exist_ok=True)
    for file in sorted(stage.iterdir()):
        target = out / ("heads" if file.suffix == ".pth" else "") / file.name
        target.parent.mkdir(exist_ok=True)
        shutil.move(file, target)
        written.append(target)
    return written


# -------------------------------------------------------------------------------------------------------- run
@contextlib.contextmanager
def quiet(verbose: bool) -> Iterator[None]:
    """Keep mmengine's logs, Python warnings and the evaluators' prints (pycocotools, trackeval) off the console."""
    if verbose:
        yield
        return
    from mmengine.logging import MMLogger

    logger = MMLogger.get_instance("mmengine")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


@dataclass
class Setup:
    """Everything checked before the work starts (the feature head is checked once a feature cache exists)."""

    model: VideoCodec
    checkpoint: str
    videos: dict[str, list[str]]
    train_videos: dict[str, list[str]]
    feature_config: Path
    pixel_config: Path | None
    options: dict[str, Any]
    pixel_weights: dict[str, torch.Tensor] | None
    refinement: LatentRefinement


def prepare(args: argparse.Namespace) -> Setup:
    """Check the arguments, data, configs, codec and pixel head; nothing is written."""
    if not args.data.is_dir():
        raise InputError(f"dataset root {args.data} does not exist")
    if args.intra_period < 1:
        raise InputError(f"--intra-period must be at least 1, got {args.intra_period}")
    refinement = LatentRefinement(steps=args.refine_steps)  # refuses a negative number of steps
    videos = split_videos(args.data, args.split)
    checkpoint = args.checkpoint or default_checkpoint()
    model = load_model(checkpoint)
    use_shipped_heads(args, model)
    needs_training = args.head is None or args.baseline and args.pixel_head is None
    train_videos = split_videos(args.data, args.train_split) if needs_training else {}
    feature = feature_config(args.task, args.task_config)
    pixel = pixel_config(feature, args.pixel_config) if args.baseline else None
    options = cfg_options(args.cfg_options)
    configs = {path: task_config(path, args.data, args.split, options, args.workers) for path in (feature, pixel)
               if path is not None}
    for path, cfg in configs.items():
        check_task(cfg, args.task, path)
    if args.head is not None and not args.head.is_file():
        raise CheckpointError(f"head checkpoint {args.head} does not exist")
    pixel_weights = None
    if pixel is not None and args.pixel_head is not None:
        pixel_weights = checked_head(args.pixel_head, configs[pixel], pixel)
    for codec in set(args.baseline) & {"x264", "x265"}:
        for qp in args.anchor_qps:
            anchors.encoder_options(codec, qp, args.intra_period, args.anchor_preset)
    bad = [r for r in args.rates if not 0 <= r <= model.num_rates - 1]
    if bad:
        raise InputError(f"rates {bad} are outside the codec's range 0 … {model.num_rates - 1}")
    return Setup(model, checkpoint, videos, train_videos, feature, pixel, options, pixel_weights, refinement)


def checked_head(path: Path, cfg, config: Path) -> dict[str, torch.Tensor]:
    """A head's weights after checking them against the model of ``cfg``."""
    from tasks.heads import fit_to_model

    model = build_model(cfg)
    weights = fit_to_model(read_head(path), model)
    check_head(model, weights, path, config)
    return weights


def build_caches(setup: Setup, args: argparse.Namespace, train: bool) -> dict[float, Path]:
    """Feature caches of the evaluated split (and of the training split when the feature head is trained)."""
    from tasks.feature_cache import build_feature_cache

    videos = {**setup.videos, **(setup.train_videos if train else {})}
    return {rate: build_feature_cache(setup.model, videos, args.data, args.cache_root, rate, args.intra_period,
                                      args.device, progress=True, refinement=setup.refinement) for rate in args.rates}


def head_runner(cfgs: list, weights: dict[str, torch.Tensor] | None, name: str, work: Path,
                args: argparse.Namespace):
    """A Runner holding a head: the given weights, or trained from scratch on every config's training set."""
    if weights is None:
        return train_head(cfgs, args.train_iters, work, name, args)
    runner = new_runner(cfgs[0], work, name, args.seed, args.verbose)
    runner.model.load_state_dict(weights)
    runner.call_hook("before_run")  # what Runner.test() does before testing (the logger hook sets its paths)
    return runner


def code_points(setup: Setup, args: argparse.Namespace, caches: dict[float, Path], work: Path) -> list[CodedPoint]:
    """Every codec and rate point on the evaluated split, decoded frames kept for the pixel baselines."""
    anchor_codecs = [b for b in args.baseline if b in ("x264", "x265")]
    steps = len(setup.videos) * (len(args.rates) + len(anchor_codecs) * len(args.anchor_qps))
    points = []
    with tqdm(total=steps, desc="code", unit="video") as bar:
        for rate in args.rates:
            pixels = mirror_root(work, f"vnvc_rate{rate:g}", args.data, args.split) \
                if "vnvc-pixels" in args.baseline else None
            points.append(code_vnvc(setup.model, setup.videos, args.data, rate, caches[rate], pixels, bar,
                                    args.device))
        for codec in anchor_codecs:
            for qp in args.anchor_qps:
                pixels = mirror_root(work, f"{codec}_qp{qp}", args.data, args.split)
                points.append(code_anchor(codec, qp, setup.videos, args.data, args, pixels, bar))
    return points


def feature_rows(setup: Setup, args: argparse.Namespace, points: list[CodedPoint], runner, task: Task) -> list[dict]:
    """The feature-domain head on each vnvc rate point's cached features."""
    rows = []
    for point in tqdm([p for p in points if p.codec == VNVC], desc="evaluate feature head", unit="point"):
        cfg = task_config(setup.feature_config, args.data, args.split, setup.options, args.workers, point.features)
        rows.append(point.row("feature", evaluate(runner, cfg), task))
    return rows


def pixel_rows(setup: Setup, args: argparse.Namespace, points: list[CodedPoint], runner, task: Task) -> list[dict]:
    """The pixel-domain head on the decoded frames of every baseline point (``vnvc-pixels``: the vnvc streams)."""
    rows = []
    baselines = [p for p in points if p.codec != VNVC or "vnvc-pixels" in args.baseline]
    for point in tqdm(baselines, desc="evaluate pixel head", unit="point"):
        cfg = task_config(setup.pixel_config, point.pixels, args.split, setup.options, args.workers)
        row = point.row("pixel", evaluate(runner, cfg), task)
        if point.codec == VNVC:
            row.update(codec="vnvc-pixels", decode_to_feature_s=math.nan)
        rows.append(row)
    return rows


def run(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame, list[Path]]:
    """The whole evaluation: writes every output; returns the results, the BD-rate table and the files written."""
    task = TASKS[args.task]
    setup = prepare(args)
    trained = f"trained {args.train_iters} iterations"
    meta = {"task": args.task, "data": str(args.data), "split": args.split, "checkpoint": setup.checkpoint,
            "checkpoint_id": setup.model.checkpoint_id().hex(), "rates": args.rates, "intra_period": args.intra_period,
            "refine_steps": args.refine_steps,
            "feature_config": str(setup.feature_config), "feature_head": str(args.head or trained),
            "pixel_config": str(setup.pixel_config or ""), "pixel_head": str(args.pixel_head or trained)}
    caches = build_caches(setup, args, train=args.head is None)
    cfgs = [task_config(setup.feature_config, args.data, args.split, setup.options, args.workers, caches[r])
            for r in args.rates]
    weights = checked_head(args.head, cfgs[0], setup.feature_config) if args.head else None
    with tempfile.TemporaryDirectory(prefix="vnvc-machine-vision-") as tmp:
        work = Path(tmp)
        points = code_points(setup, args, caches, work)
        runner = head_runner(cfgs, weights, "feature", work, args)
        heads = {}
        if weights is None:
            heads["feature"] = work / "feature_head.pth"
            save_head(runner, heads["feature"], {**meta, "config": meta["feature_config"]})
        rows = feature_rows(setup, args, points, runner, task)
        if args.baseline:
            cfg = task_config(setup.pixel_config, args.data, args.split, setup.options, args.workers)
            runner = head_runner([cfg], setup.pixel_weights, "pixel", work, args)
            if setup.pixel_weights is None:
                heads["pixel"] = work / "pixel_head.pth"
                save_head(runner, heads["pixel"], {**meta, "config": meta["pixel_config"]})
            rows += pixel_rows(setup, args, points, runner, task)
        table = pd.DataFrame(rows)
        bd = bd_rates(table, task)
        written = write_outputs(args.out, table, bd, meta, task, heads, work / "outputs")
    return table, bd, written


def print_report(table: pd.DataFrame, bd: pd.DataFrame, task: Task, written: list[Path]) -> None:
    columns = ["codec", "point", "bpp", "psnr", "msssim", *task.metrics, "decode_to_feature_s", "decode_to_pixel_s"]
    print(to_markdown(table[columns], digits=4))
    if not bd.empty:
        print("\nBD-rate (%) of vnvc at equal task accuracy (negative: vnvc needs fewer bits)\n")
        print(to_markdown(bd))
    print("\nwrote " + ", ".join(str(p) for p in written))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.checkpoint is None and DEFAULT not in shipped_models():
        print(f"machine_vision: no shipped {DEFAULT!r} codec yet: using the untrained config:{DEFAULT}",
              file=sys.stderr)
    try:
        with quiet(args.verbose):
            table, bd, written = run(args)
    except VnvcError as exc:
        print(f"machine_vision: {exc}", file=sys.stderr)
        return 2
    print_report(table, bd, TASKS[args.task], written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
