"""The training loop behind `vnvc train CONFIG` (one process, or many under torchrun).

A training config (mmengine python file) names the codec architecture, the data, and the stages:

    codec = "small"                     # configs/codec/<name>.py, or a path
    init_from = None                    # checkpoint to fine-tune from
    reinitialize = []                   # submodules of init_from's model to start afresh, e.g. ["inter"]
    grow = []                           # submodules whose architecture grew since init_from (new parts start
                                        # fresh), e.g. ["inter.motion.latent"]
    precision = "fp32"                  # or "bf16": autocast for the networks, float32 for warps, motion search,
                                        # likelihoods and the distortion (vnvc.precision)
    aux_lr = 1e-2                       # learning rate of the factorized priors' quantiles (the aux loss)
    entropy_lr = 1e-3                   # of the factorized priors' densities (default: each stage's lr)
    data = dict(height=256, width=256, frames=5, seed=0)  # optional max_speed and pool (vnvc.data.natural)
    batch_size = 4                      # per process; a stage may set its own
    stages = [dict(stage="intra", steps=2000, lr=1e-4), dict(stage="cascade", steps=500, lr=1e-5, frames=4)]
    # a stage may also set batch_size, frames, rate_weight (0: distortion only), contextual_noise (the contextual
    # decoder sees y plus noise, not rounded y: revives a dead latent), detach_contextual_rate (the contextual
    # rate trains its entropy model only, not the encoder), for the entropy stages relative_rate (minimize the
    # mean log of each clip's bits, not the mean bits), for inter_all, cascade and joint intra_feature (train the
    # I-frame adaptor's refinement too), for every stage that runs the motion search charged_search (charge
    # motion at each clip's rate point, as coding does) and, for inter_motion, flow_weight (the clips' exact camera
    # flow supervises the decoded flow)
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

from ..data.images import POOLS
from ..data.labelled import LabelledClipDataset
from ..data.natural import MAX_SPEED, NaturalClipDataset
from ..errors import ConfigError, TrainingError
from ..models import VideoCodec, load_codec_config
from ..zoo import model_from_checkpoint, read_checkpoint, save_checkpoint
from . import distributed
from .stages import LOSS_OPTIONS, STAGE_OPTIONS, STAGES, StageLoss, trainable_parameters

_CLIP_POOL = 1 << 30  # the natural-clip generator is indexed, not enumerated
PRECISIONS = ("fp32", "bf16")


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
    if cfg.get("precision", "fp32") not in PRECISIONS:
        raise ConfigError(f"training config {path}: precision is {cfg['precision']!r}; choose one of {PRECISIONS}")
    size = (cfg["data"].get("height"), cfg["data"].get("width"))
    if not all(isinstance(v, int) and v > 0 and v % 64 == 0 for v in size):
        raise ConfigError(f"training config {path}: data height and width must be positive multiples of 64, got {size}")
    if cfg["data"].get("pool", "photos") not in POOLS:
        raise ConfigError(f"training config {path}: data pool is {cfg['data']['pool']!r}; choose one of {POOLS}")
    for i, stage in enumerate(cfg["stages"]):
        if stage.get("stage") not in STAGES:
            raise ConfigError(f"training config {path}: stage {i} is {stage.get('stage')!r}; stages are {STAGES}")
        if int(stage.get("steps", 0)) <= 0:
            raise ConfigError(f"training config {path}: stage {i} needs a positive `steps`")
        missing = [k for k in ("data", "config", "head") if k not in stage.get("task", {})]
        if stage["stage"] == "joint" and missing:
            raise ConfigError(f"training config {path}: joint stage {i} needs `task` with {missing}")
        for option, allowed in STAGE_OPTIONS.items():
            if stage.get(option) and stage["stage"] not in allowed:
                raise ConfigError(f"training config {path}: stage {i} ({stage['stage']}) sets {option}, an option "
                                  f"of the stages {allowed} only")
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
            self.model = self._fine_tuned(cfg["init_from"], list(cfg.get("reinitialize", [])),
                                          list(cfg.get("grow", [])))
        elif cfg.get("reinitialize") or cfg.get("grow"):
            raise ConfigError("reinitialize and grow need init_from (a fresh model is initialized anyway)")
        else:
            self.model = self._fresh_model()
        if self.model.intra.adaptor_refinement is None and any(s.get("intra_feature") for s in cfg["stages"]):
            raise ConfigError("a stage sets intra_feature, which trains the I-frame adaptor's refinement, but codec "
                              f"{cfg['codec']!r} has no adaptor_refinement")
        self.model.to(self.ctx.device)
        self.frames = max(int(s.get("frames", 2)) for s in cfg["stages"])
        self.dataset = NaturalClipDataset(_CLIP_POOL, self.frames, int(data["height"]), int(data["width"]), self.seed,
                                          with_flow=True, max_speed=float(data.get("max_speed", MAX_SPEED)),
                                          pool=str(data.get("pool", "photos")))
        self.batch_size = int(cfg.get("batch_size", 4))
        self._labelled: LabelledClipDataset | None = None  # the joint stage's clips, made when first needed
        self._labelled_key: tuple | None = None
        self.step = 0
        self.history: list[dict[str, Any]] = []
        self._optimizer: torch.optim.Optimizer | None = None
        self._optimizer_stage = -1
        priors = [m for m in self.model.modules() if hasattr(m, "aux_loss")]
        self._quantile_ids = {id(m.quantiles) for m in priors}
        self._prior_ids = {id(p) for m in priors for p in m.parameters()}  # quantiles and densities

    def _fresh_model(self) -> VideoCodec:
        with torch.random.fork_rng():
            torch.manual_seed(self.seed)  # every process starts from the same weights
            return VideoCodec(load_codec_config(self.cfg["codec"]))

    def _fine_tuned(self, source: str, reinitialize: list[str], grow: list[str]) -> VideoCodec:
        """The weights of checkpoint `source` in the codec of the training config, except:
        - submodules named in `reinitialize` get a fresh model's weights (their shapes may differ);
        - in submodules named in `grow`, parameters the checkpoint lacks start fresh, parameters that grew along
          their first dimension keep the checkpoint's values in their leading entries, and buffers that changed
          shape (entropy tables, rebuilt by `update()`) start fresh.
        Anything else must match the checkpoint exactly."""
        if not reinitialize and not grow:
            model = model_from_checkpoint(read_checkpoint(source), source=source)
            wanted = load_codec_config(self.cfg["codec"]).to_dict()
            differences = [f"{k}={v!r} (codec config: {wanted[k]!r})" for k, v in model.config.to_dict().items()
                           if k != "name" and v != wanted.get(k)]
            if differences:
                raise ConfigError(f"init_from {source}: the checkpoint's architecture differs from codec "
                                  f"{self.cfg['codec']!r}: {', '.join(differences)}; name the submodules that "
                                  "changed in `grow` or `reinitialize`")
            return model
        fresh = self._fresh_model()
        for name in reinitialize + grow:
            try:
                fresh.get_submodule(name)
            except AttributeError as exc:
                raise ConfigError(f"reinitialize/grow: the codec has no submodule {name!r}") from exc
        fresh_prefixes = tuple(f"{name}." for name in reinitialize)
        grown_prefixes = tuple(f"{name}." for name in grow)
        parameters = {name for name, _ in fresh.named_parameters()}
        state = fresh.state_dict()
        stored = {k: v for k, v in read_checkpoint(source)["state_dict"].items() if not k.startswith(fresh_prefixes)}
        problems = [f"{k} is not in the codec" for k in stored if k not in state]
        problems += [f"{k} is missing from the checkpoint" for k in state
                     if k not in stored and not k.startswith(fresh_prefixes + grown_prefixes)]
        for key, value in stored.items():
            if key not in state:
                continue
            grown, target = key.startswith(grown_prefixes), state[key]
            if value.shape == target.shape:
                state[key] = value
            elif key not in parameters:
                # entropy tables change size with update(): loading resizes them; a grown module's are rebuilt
                if not grown:
                    state[key] = value
            elif not grown:
                problems.append(f"{key} is {tuple(value.shape)} in the checkpoint, {tuple(target.shape)} here")
            elif value.shape[1:] != target.shape[1:] or value.shape[0] > target.shape[0]:
                problems.append(f"{key} cannot grow from {tuple(value.shape)} to {tuple(target.shape)}")
            else:
                target[: value.shape[0]] = value
        if problems:
            raise ConfigError(f"init_from {source}: weights do not match the codec config: " + "; ".join(problems))
        fresh.load_state_dict(state)
        return fresh

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
            params = trainable_parameters(self.model, stage["stage"], bool(stage.get("intra_feature", False)))
            lr = float(stage.get("lr", 1e-4))
            quantiles = [p for p in params if id(p) in self._quantile_ids]
            densities = [p for p in params if id(p) in self._prior_ids and id(p) not in self._quantile_ids]
            main = [p for p in params if id(p) not in self._prior_ids]
            self._optimizer = torch.optim.Adam([
                {"params": main, "lr": lr},
                {"params": densities, "lr": float(stage.get("entropy_lr", self.cfg.get("entropy_lr", lr)))},
                {"params": quantiles, "lr": float(self.cfg.get("aux_lr", 1e-2))},
            ])
            self._optimizer_stage = index
        return self._optimizer

    # --- one step -------------------------------------------------------------------------------------------
    def _share(self, step: int, batch_size: int) -> tuple[int, torch.Tensor]:
        """This process's first clip index at `step` and its clips' rate points, from (seed, step, rank) alone."""
        first = (step * self.ctx.world_size + self.ctx.rank) * batch_size
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + first)
        return first, torch.randint(self.model.num_rates, (batch_size,), generator=generator)

    def batch(self, step: int, batch_size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Clips, rate points and the clips' true flows of this process's share of `step`, from (seed, step, rank)
        alone."""
        first, rates = self._share(step, batch_size)
        clips, flows = zip(*(self.dataset[(first + i) % _CLIP_POOL] for i in range(batch_size)))
        device = self.ctx.device
        return torch.stack(clips).to(device), rates.to(device), torch.stack(flows).to(device)

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
        options = {key: kind(stage[key]) for key, kind in LOSS_OPTIONS.items() if key in stage}
        loss = StageLoss(self.model, stage["stage"], task=task, task_weight=weight, **options)
        loss = loss.to(self.ctx.device)
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
            clip, rates, flows = self.batch(self.step, batch_size)
            frames = int(stage.get("frames", 2))
            clip, targets = clip[:, :frames], flows[:, :frames]
        optimizer = self.optimizer_for(index)
        self.model.zero_grad(set_to_none=True)  # every parameter: no stale gradient survives a stage change
        bf16 = self.cfg.get("precision", "fp32") == "bf16"
        with torch.autocast(device_type=self.ctx.device.type, dtype=torch.bfloat16, enabled=bf16):
            losses = stage_loss(clip, rates, targets)
        (losses["loss"] + losses["aux"]).backward()
        # the quantiles see only the aux loss, whose gradient must not scale down the others'
        clipped = optimizer.param_groups[0]["params"] + optimizer.param_groups[1]["params"]
        norm = torch.nn.utils.clip_grad_norm_(clipped, float(self.cfg.get("clip_grad", 1.0)))
        if not torch.isfinite(norm):  # the same on every process: DDP has averaged the gradients
            raise TrainingError(
                f"training diverged at step {self.step + 1} (stage {index}, {stage['stage']}, lr "
                f"{optimizer.param_groups[0]['lr']:g}): the gradients are not finite (loss "
                f"{float(losses['loss']):.4g}); {self.work_dir / 'last.pth'} keeps the last checkpoint before it. "
                "Lower the stage's lr and train again from there.")
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
