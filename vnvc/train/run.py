"""The training loop behind `vnvc train CONFIG` (one process, or many under torchrun).

A training config (mmengine python file) names the codec architecture, the data, and the stages:

    codec = "small"                     # configs/codec/<name>.py, or a path
    init_from = None                    # checkpoint to fine-tune from
    data = dict(height=256, width=256, frames=5, seed=0)
    batch_size = 4                      # per process; a stage may set its own
    stages = [dict(stage="intra", steps=2000, lr=1e-4), dict(stage="cascade", steps=500, lr=1e-5, frames=4)]
    # joint human-machine fine-tuning: labelled clips from a generated dataset, a trained frozen detector
    #   dict(stage="joint", steps=200, lr=2e-5, frames=3, task=dict(data="out/synth", split="train",
    #        config="configs/tasks/small/detection_feature.py", head="checkpoints/heads/detection_feature.pth",
    #        weight=1.0))
    log_interval = 10
    checkpoint_interval = 200

Every step draws its clips and its random numbers from (seed, step, rank) alone, so resuming from `last.pth`
continues exactly where the interrupted run would have gone.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch
from torch.nn.parallel import DistributedDataParallel

from ..data.labelled import LabelledClipDataset
from ..data.natural import NaturalClipDataset
from ..errors import ConfigError
from ..models import VideoCodec, load_codec_config
from ..zoo import model_from_checkpoint, read_checkpoint, save_checkpoint
from . import distributed
from .stages import STAGES, StageLoss, trainable_parameters

_CLIP_POOL = 1 << 30  # the natural-clip generator is indexed, not enumerated


def load_train_config(path: str | Path) -> dict[str, Any]:
    from mmengine.config import Config

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"training config not found: {path}")
    try:
        cfg = Config.fromfile(str(path)).to_dict()
    except Exception as exc:  # mmengine raises many kinds of errors for a malformed file
        raise ConfigError(f"training config {path}: cannot be read ({exc})") from exc
    for key in ("codec", "data", "stages"):
        if key not in cfg:
            raise ConfigError(f"training config {path}: missing `{key}`")
    size = (cfg["data"].get("height"), cfg["data"].get("width"))
    if not all(isinstance(v, int) and v > 0 and v % 64 == 0 for v in size):
        raise ConfigError(f"training config {path}: data height and width must be positive multiples of 64, got {size}")
    for i, stage in enumerate(cfg["stages"]):
        if stage.get("stage") not in STAGES:
            raise ConfigError(f"training config {path}: stage {i} is {stage.get('stage')!r}; stages are {STAGES}")
        if int(stage.get("steps", 0)) <= 0:
            raise ConfigError(f"training config {path}: stage {i} needs a positive `steps`")
        missing = [k for k in ("data", "config", "head") if k not in stage.get("task", {})]
        if stage["stage"] == "joint" and missing:
            raise ConfigError(f"training config {path}: joint stage {i} needs `task` with {missing}")
    return cfg


class Trainer:
    """Runs the stages of a training config; `run()` returns the final per-stage losses."""

    def __init__(self, cfg: dict[str, Any], work_dir: str | Path, device: str = "cpu"):
        self.cfg = cfg
        self.work_dir = Path(work_dir)
        self.ctx = distributed.setup(device)
        data = cfg["data"]
        self.seed = int(data.get("seed", 0))
        if cfg.get("init_from"):
            self.model = model_from_checkpoint(read_checkpoint(cfg["init_from"]), source=cfg["init_from"])
        else:
            with torch.random.fork_rng():
                torch.manual_seed(self.seed)  # every process starts from the same weights
                self.model = VideoCodec(load_codec_config(cfg["codec"]))
        self.model.to(self.ctx.device)
        self.frames = max(int(s.get("frames", 2)) for s in cfg["stages"])
        self.dataset = NaturalClipDataset(_CLIP_POOL, self.frames, int(data["height"]), int(data["width"]), self.seed)
        self.batch_size = int(cfg.get("batch_size", 4))
        self._labelled: LabelledClipDataset | None = None  # the joint stage's clips, made when first needed
        self._labelled_key: tuple | None = None
        self.step = 0
        self.history: list[dict[str, Any]] = []
        self._optimizer: torch.optim.Optimizer | None = None
        self._optimizer_stage = -1

    # --- schedule -------------------------------------------------------------------------------------------
    def stage_at(self, step: int) -> int:
        end = 0
        for index, stage in enumerate(self.cfg["stages"]):
            end += int(stage["steps"])
            if step < end:
                return index
        return len(self.cfg["stages"])

    @property
    def total_steps(self) -> int:
        return sum(int(s["steps"]) for s in self.cfg["stages"])

    def optimizer_for(self, index: int) -> torch.optim.Optimizer:
        if index != self._optimizer_stage:
            stage = self.cfg["stages"][index]
            params = trainable_parameters(self.model, stage["stage"])
            self._optimizer = torch.optim.Adam(params, lr=float(stage.get("lr", 1e-4)))
            self._optimizer_stage = index
        return self._optimizer

    # --- one step -------------------------------------------------------------------------------------------
    def _share(self, step: int, batch_size: int) -> tuple[int, torch.Tensor]:
        """This process's first clip index at `step` and its clips' rate points, from (seed, step, rank) alone."""
        first = (step * self.ctx.world_size + self.ctx.rank) * batch_size
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + first)
        return first, torch.randint(self.model.num_rates, (batch_size,), generator=generator)

    def batch(self, step: int, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Clips and rate points of this process's share of `step`, from (seed, step, rank) alone."""
        first, rates = self._share(step, batch_size)
        clip = torch.stack([self.dataset[(first + i) % _CLIP_POOL] for i in range(batch_size)])
        return clip.to(self.ctx.device), rates.to(self.ctx.device)

    def labelled_batch(self, step: int, batch_size: int, stage: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor,
                                                                                         list]:
        """Labelled clips (the joint stage), rate points, and per frame the boxes and labels of every clip."""
        task, frames = stage["task"], int(stage.get("frames", 2))
        key = (task["data"], task.get("split", "train"), frames)
        if self._labelled_key != key:
            self._labelled = LabelledClipDataset(task["data"], key[1], frames, int(self.cfg["data"]["height"]),
                                                 int(self.cfg["data"]["width"]), self.seed)
            self._labelled_key = key
        first, rates = self._share(step, batch_size)
        clips = [self._labelled[first + i] for i in range(batch_size)]
        targets = [([c.boxes[t] for c in clips], [c.labels[t] for c in clips]) for t in range(frames)]
        return torch.stack([c.frames for c in clips]).to(self.ctx.device), rates.to(self.ctx.device), targets

    def stage_loss(self, index: int) -> torch.nn.Module:
        """The loss module of stage `index` (with its frozen detector for the joint stage), DDP-wrapped if needed."""
        stage = self.cfg["stages"][index]
        task, weight = None, 1.0
        if stage["stage"] == "joint":
            from tasks.task_loss import TaskLoss

            task = TaskLoss(stage["task"]["config"], stage["task"]["head"], self.model.feature_channels)
            weight = float(stage["task"].get("weight", 1.0))
        loss = StageLoss(self.model, stage["stage"], task, weight).to(self.ctx.device)
        if self.ctx.enabled:
            loss = DistributedDataParallel(loss, find_unused_parameters=True)
        return loss

    def train_step(self, stage_loss: torch.nn.Module, index: int) -> dict[str, float]:
        stage = self.cfg["stages"][index]
        torch.manual_seed(self.seed * 1_000_003 + self.step * 7919 + self.ctx.rank)  # quantization noise
        batch_size = int(stage.get("batch_size", self.batch_size))
        if stage["stage"] == "joint":
            clip, rates, targets = self.labelled_batch(self.step, batch_size, stage)
        else:
            clip, rates = self.batch(self.step, batch_size)
            clip, targets = clip[:, : int(stage.get("frames", 2))], None
        optimizer = self.optimizer_for(index)
        self.model.zero_grad(set_to_none=True)  # every parameter: no stale gradient survives a stage change
        losses = stage_loss(clip, rates, targets)
        (losses["loss"] + losses["aux"]).backward()
        params = [p for group in optimizer.param_groups for p in group["params"]]
        torch.nn.utils.clip_grad_norm_(params, float(self.cfg.get("clip_grad", 1.0)))
        optimizer.step()
        return {k: float(v.detach()) for k, v in losses.items()}

    # --- checkpoints ------------------------------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        return {
            "codec": str(self.cfg["codec"]), "data": dict(self.cfg["data"]), "step": self.step,
            "stages": [dict(s) for s in self.cfg["stages"]], "world_size": self.ctx.world_size,
            "device": self.ctx.device.type, "history": self.history[-50:],
        }

    def save(self, name: str) -> Path:
        path = self.work_dir / name
        self.model.update()
        meta = self.meta()
        meta["train_state"] = {
            "optimizer": self._optimizer.state_dict() if self._optimizer is not None else None,
            "optimizer_stage": self._optimizer_stage,
        }
        save_checkpoint(self.model, path, meta)
        return path

    def resume(self) -> None:
        payload = read_checkpoint(self.work_dir / "last.pth")
        self.model.load_state_dict(payload["state_dict"])
        meta = payload["meta"]
        self.step = int(meta["step"])
        self.history = list(meta.get("history", []))
        state = meta["train_state"]
        if state["optimizer"] is not None and state["optimizer_stage"] == self.stage_at(self.step):
            self.optimizer_for(state["optimizer_stage"]).load_state_dict(state["optimizer"])

    # --- the loop ---------------------------------------------------------------------------------------------
    def run(self, max_steps: int | None = None) -> list[dict[str, Any]]:
        log_every = int(self.cfg.get("log_interval", 10))
        save_every = int(self.cfg.get("checkpoint_interval", 200))
        end = self.total_steps if max_steps is None else min(self.total_steps, self.step + max_steps)
        self.model.train()
        current, stage_loss, started = -1, None, time.time()
        while self.step < end:
            index = self.stage_at(self.step)
            if index != current:
                current = index
                stage_loss = self.stage_loss(index)
            values = self.train_step(stage_loss, index)
            self.step += 1
            if self.step % log_every == 0 or self.step == end:
                values = distributed.mean_across_ranks(values, self.ctx)
                record = {"step": self.step, "stage": self.cfg["stages"][index]["stage"],
                          "seconds": round(time.time() - started, 1)} | {k: round(v, 6) for k, v in values.items()}
                self.history.append(record)
                if self.ctx.is_main:
                    print(json.dumps(record), flush=True)
            if self.ctx.is_main and (self.step % save_every == 0 or self.step == end):
                self.save("last.pth")
        self.model.eval()
        return self.history


def train_from_config(config: str | Path, work_dir: str | Path | None = None, resume: bool = False,
                      device: str = "cpu", max_steps: int | None = None) -> Trainer:
    cfg = load_train_config(config)
    work_dir = Path(work_dir or Path("runs") / Path(config).stem)
    trainer = Trainer(cfg, work_dir, device)
    if resume and (work_dir / "last.pth").is_file():
        trainer.resume()
    try:
        trainer.run(max_steps)
    finally:
        distributed.teardown()
    return trainer
