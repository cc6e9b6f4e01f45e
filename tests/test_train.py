"""Training on CPU with the tiny config: every stage runs, losses fall, resuming is exact, torchrun works."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from vnvc.data import NaturalClipDataset
from vnvc.errors import ConfigError, TrainingError
from vnvc.layers import flow_warp
from vnvc.models.motion_estimation import estimate_flow
from vnvc.train.run import Trainer, load_train_config, train_from_config
from vnvc.train.stages import STAGES, StageLoss
from vnvc.zoo import load_model

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "configs" / "train" / "tiny.py"
TASK_CONFIG = ROOT / "configs" / "tasks" / "tiny" / "detection_feature.py"


def test_every_stage_runs_and_checkpoint_loads(tmp_path):
    trainer = train_from_config(TINY, work_dir=tmp_path)
    stages = {record["stage"] for record in trainer.history}
    assert stages == set(STAGES) - {"joint"}
    model = load_model(tmp_path / "last.pth")
    assert model.checkpoint_id() == trainer.model.checkpoint_id()


def test_intra_loss_decreases(tmp_path):
    cfg = load_train_config(TINY)
    cfg["stages"] = [dict(stage="intra", steps=30, lr=3e-3)]
    cfg["batch_size"] = 2
    history = Trainer(cfg, tmp_path).run()
    first = sum(r["loss"] for r in history[:5]) / 5
    last = sum(r["loss"] for r in history[-5:]) / 5
    assert last < 0.7 * first


def test_resume_is_exact(tmp_path):
    straight = train_from_config(TINY, work_dir=tmp_path / "a", max_steps=6)
    train_from_config(TINY, work_dir=tmp_path / "b", max_steps=3)
    resumed = train_from_config(TINY, work_dir=tmp_path / "b", resume=True, max_steps=3)
    assert resumed.step == straight.step == 6
    for (name, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), name


def test_fine_tuning_reinitializes_named_submodules(tmp_path):
    base = train_from_config(TINY, work_dir=tmp_path / "base", max_steps=2)
    cfg = load_train_config(TINY)
    cfg.update(init_from=str(tmp_path / "base" / "last.pth"), reinitialize=["inter.motion"])
    tuned = Trainer(cfg, tmp_path / "tuned").model
    fresh = Trainer(load_train_config(TINY), tmp_path / "fresh").model  # same seed: the weights a new run starts from
    for name, value in tuned.state_dict().items():
        source = fresh if name.startswith("inter.motion.") else base.model
        assert torch.equal(value, source.state_dict()[name]), name
    cfg["reinitialize"] = ["inter.nothing"]
    with pytest.raises(ConfigError, match="inter.nothing"):
        Trainer(cfg, tmp_path / "bad")


def test_fine_tuning_grows_a_submodule(tmp_path):
    """A checkpoint from before the motion latent's mean path loads into the codec that has one, under `grow`."""
    codec = tmp_path / "tiny_without_mean_path.py"
    tiny = (ROOT / "configs" / "codec" / "tiny.py").read_text()
    codec.write_text(tiny.replace("motion_mean_channels=2", "motion_mean_channels=0")
                     .replace("motion_mean_prediction=True", "motion_mean_prediction=False"))
    cfg = load_train_config(TINY)
    cfg["codec"] = str(codec)
    base = Trainer(cfg, tmp_path / "base")
    base.run(max_steps=1)
    base.save("last.pth")
    tuned_cfg = load_train_config(TINY)
    tuned_cfg.update(init_from=str(tmp_path / "base" / "last.pth"), grow=["inter.motion.latent"])
    tuned = Trainer(tuned_cfg, tmp_path / "tuned").model
    fresh = Trainer(load_train_config(TINY), tmp_path / "fresh").model
    old, new, init = base.model.state_dict(), tuned.state_dict(), fresh.state_dict()
    grown = "inter.motion.latent.hyper_prior.quantiles"
    channels = old[grown].shape[0]
    assert new[grown].shape[0] == channels + 2
    assert torch.equal(new[grown][:channels], old[grown]) and torch.equal(new[grown][channels:], init[grown][channels:])
    for name in ("inter.motion.latent.mean_analysis.weight", "inter.motion.latent.mean_synthesis.weight"):
        assert name not in old and torch.equal(new[name], init[name])
    for name, value in base.model.named_parameters():
        if "hyper_prior" not in name:
            assert torch.equal(new[name], value), name
    tuned.update()  # the grown hyper-latent gets its tables
    assert tuned.inter.motion.latent.hyper_prior._cdf_lengths.numel() == channels + 2
    del tuned_cfg["grow"]
    with pytest.raises(ConfigError, match="motion_mean_channels=0 .codec config: 2.*grow"):
        Trainer(tuned_cfg, tmp_path / "strict")
    tuned_cfg["reinitialize"] = ["intra"]  # the motion latent is neither grown nor reinitialized
    with pytest.raises(ConfigError, match="mean_analysis.weight is missing from the checkpoint"):
        Trainer(tuned_cfg, tmp_path / "strict")


def test_intra_feature_trains_the_adaptor_refinement_from_zero(tmp_path):
    """A fresh refinement leaves the I-frame's feature the linear adaptor's; a stage with intra_feature trains it
    beside the inter networks, one without leaves it (and the rest of the I-frame codec) alone."""
    cfg = load_train_config(TINY)
    trainer = Trainer(cfg, tmp_path / "a")
    intra = trainer.model.intra
    pixels = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    assert torch.equal(intra.feature(pixels), intra.adaptor(pixels))
    for intra_feature in (True, False):
        cfg["stages"] = [dict(stage="cascade", steps=2, lr=1e-3, frames=3, intra_feature=intra_feature)]
        trainer = Trainer(cfg, tmp_path / str(intra_feature))
        before = {k: v.detach().clone() for k, v in trainer.model.named_parameters()}
        trainer.run()
        changed = {k for k, v in trainer.model.named_parameters()
                   if not torch.equal(v, before[k]) and not k.endswith("quantiles")}  # saving refits every quantile
        refinement = {k for k in changed if k.startswith("intra.")}
        assert changed - refinement
        assert refinement == ({k for k in before if k.startswith("intra.adaptor_refinement.")} if intra_feature
                              else set())
    cfg["stages"] = [dict(stage="inter_motion", steps=1, intra_feature=True)]
    config = tmp_path / "bad.py"
    config.write_text(f"codec = 'tiny'\ndata = dict(height=64, width=64)\nstages = {cfg['stages']!r}\n")
    with pytest.raises(ConfigError, match="inter_motion.*intra_feature"):
        load_train_config(config)
    codec = tmp_path / "tiny_without_refinement.py"
    tiny = (ROOT / "configs" / "codec" / "tiny.py").read_text()
    codec.write_text(tiny.replace("adaptor_refinement=True", "adaptor_refinement=False"))
    cfg.update(codec=str(codec), stages=[dict(stage="cascade", steps=1, intra_feature=True)])
    with pytest.raises(ConfigError, match="no adaptor_refinement"):
        Trainer(cfg, tmp_path / "b")


@pytest.mark.parametrize("stage, coder, part", [
    ("motion_entropy", "inter.motion.latent.", "mean_synthesis.weight"),
    ("motion_entropy", "inter.motion.latent.", "context.learned.head.3.weight"),  # on the linear context
    ("intra_entropy", "intra.latent.", "context.head.3.weight"),  # the learned context's last layer, started at 0
    ("contextual_entropy", "inter.latent.", "context.head.3.weight"),
])
def test_entropy_stages_fit_only_their_latents_entropy_model(tmp_path, stage, coder, part):
    cfg = load_train_config(TINY)
    cfg["stages"] = [dict(stage=stage, steps=3, lr=1e-2)]
    trainer = Trainer(cfg, tmp_path)
    before = {k: v.detach().clone() for k, v in trainer.model.named_parameters()}
    trainer.run()
    changed = {k for k, v in trainer.model.named_parameters()
               if not torch.equal(v, before[k]) and not k.endswith("quantiles")}  # saving refits every quantile
    assert changed and all(k.startswith(coder) for k in changed)
    assert coder + part in changed
    assert trainer.history[-1]["bpp"] > 0


def test_relative_rate_minimizes_the_mean_log_of_each_clips_bits():
    """With relative_rate an entropy stage's loss is the mean over the batch of log2 of each clip's bpp, what each
    clip alone would give; the other stages refuse the option. (In eval mode: rounding, not training's noise.)"""
    model = load_model("config:tiny").eval()
    clip = torch.rand(2, 2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    rates = torch.tensor([0, 3])
    relative = StageLoss(model, "motion_entropy", relative_rate=True)
    alone = [float(StageLoss(model, "motion_entropy")(clip[i:i + 1], rates[i:i + 1])["bpp"]) for i in range(2)]
    losses = relative(clip, rates)
    assert float(losses["loss"]) == pytest.approx(sum(math.log2(b) for b in alone) / 2, rel=1e-5)
    assert float(losses["bpp"]) == pytest.approx(sum(alone) / 2, rel=1e-5)
    with pytest.raises(ValueError, match="relative_rate"):
        StageLoss(model, "inter_all", relative_rate=True)


def test_charged_search_charges_each_clip_at_its_rate_point():
    """With charged_search the stages search motion as coding does, each clip of the batch charged at its own rate
    point (the batched search equals each clip's alone); the rate then differs from the bare search's, and the
    intra stages, which run no search, refuse the option."""
    model = load_model("config:tiny").eval()
    clip = torch.stack([NaturalClipDataset(2, 2, 64, 64, seed=5)[i] for i in range(2)])
    rates = torch.tensor([0, 3])
    with torch.no_grad():
        reference = model.intra.feature(model.intra(clip[:, 0], rate=rates)[0])
    batched = model.encoder_hint(clip[:, 1], reference, rates).flow
    for i in range(2):
        alone = model.encoder_hint(clip[i:i + 1, 1], reference[i:i + 1], float(rates[i])).flow
        assert torch.equal(batched[i:i + 1], alone)
    assert not torch.equal(batched, model.encoder_hint(clip[:, 1], reference).flow)
    charged = StageLoss(model, "motion_entropy", charged_search=True)(clip, rates)["bpp"]
    assert float(charged) != float(StageLoss(model, "motion_entropy")(clip, rates)["bpp"])
    with pytest.raises(ValueError, match="charged_search"):
        StageLoss(model, "intra", charged_search=True)


def test_losses_log_each_latents_share_of_the_rate():
    """The inter stages log the bpp of each of the four latents; together they are the frame's bpp."""
    model = load_model("config:tiny").train()
    clip = torch.rand(2, 2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    losses = StageLoss(model, "inter_all")(clip, torch.tensor([0, 3]))
    shares = {k: float(v) for k, v in losses.items() if k.startswith("bpp_")}
    assert sorted(shares) == ["bpp_motion_y", "bpp_motion_z", "bpp_y", "bpp_z"]
    assert all(v > 0 for v in shares.values())
    assert sum(shares.values()) == pytest.approx(float(losses["bpp"]), rel=1e-5)


def test_contextual_noise_feeds_the_contextual_decoder_noisy_values():
    """With the stage's contextual_noise the contextual decoder gets y plus uniform noise; without, y rounded
    around its means. The motion latent is rounded either way, and the flag follows the stage that runs."""
    model = load_model("config:tiny").train()
    clip = torch.rand(1, 2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    seen = {}
    handle = model.inter.latent.conditional.register_forward_hook(
        lambda module, args, out: seen.update(y=args[0], means=args[2], y_hat=out[0]))
    try:
        for noise in (True, False):
            StageLoss(model, "inter_reconstruction", contextual_noise=noise)(clip, torch.tensor([0]))
            assert model.inter.latent.conditional.noisy_values is noise
            assert not model.inter.motion.latent.conditional.noisy_values
            offsets, steps = seen["y_hat"] - seen["y"], seen["y_hat"] - seen["means"]
            assert 0 < offsets.abs().max() <= 0.5 + 1e-6
            rounded = torch.allclose(steps, steps.round(), atol=1e-4)
            assert rounded is not noise
    finally:
        handle.remove()


def test_detach_contextual_rate_follows_the_stage_config(tmp_path):
    """A stage's detach_contextual_rate keeps the contextual rate away from y while it runs, and only then."""
    cfg = load_train_config(TINY)
    cfg["stages"] = [dict(stage="inter_contextual", steps=1, lr=1e-3, detach_contextual_rate=True),
                     dict(stage="inter_contextual", steps=1, lr=1e-3)]
    trainer = Trainer(cfg, tmp_path)
    clip, rates, _ = trainer.batch(0, 1)
    for index, reaches in ((0, False), (1, True)):
        trainer.stage_loss(index)(clip, rates)
        assert trainer.model.inter.latent.rate_reaches_input is reaches
        assert trainer.model.inter.motion.latent.rate_reaches_input


def test_a_diverged_run_stops_with_a_clear_error_and_keeps_its_last_checkpoint(tmp_path):
    cfg = load_train_config(TINY)
    cfg["stages"] = [dict(stage="intra", steps=3, lr=1e-3)]
    cfg["checkpoint_interval"] = 1
    trainer = Trainer(cfg, tmp_path)
    trainer.run(max_steps=1)
    saved = (tmp_path / "last.pth").read_bytes()
    with torch.no_grad():
        next(trainer.model.intra.analysis.parameters()).fill_(float("nan"))
    with pytest.raises(TrainingError, match=r"diverged at step 2 \(stage 0, intra, lr 0.001\).*not finite"):
        trainer.run()
    assert trainer.step == 1 and (tmp_path / "last.pth").read_bytes() == saved


def test_quantiles_learn_at_their_own_rate_and_escape_clipping(tmp_path):
    cfg = load_train_config(TINY)
    cfg.update(aux_lr=0.05, clip_grad=1e-12)  # clipping so hard that only the quantiles can move
    trainer = Trainer(cfg, tmp_path)
    quantiles = trainer.model.intra.latent.hyper_prior.quantiles
    weight = next(trainer.model.intra.analysis[0].parameters())
    before_q, before_w = quantiles.detach().clone(), weight.detach().clone()
    trainer.run(max_steps=1)
    assert (quantiles.detach() - before_q).abs().max() > 0.04  # one Adam step of size aux_lr
    assert (weight.detach() - before_w).abs().max() < 1e-3


def test_factorized_densities_learn_at_entropy_lr(tmp_path):
    cfg = load_train_config(TINY)
    cfg.update(entropy_lr=0.05)
    trainer = Trainer(cfg, tmp_path)
    density = trainer.model.intra.latent.hyper_prior.biases[0]
    weight = next(trainer.model.intra.analysis[0].parameters())
    before_d, before_w = density.detach().clone(), weight.detach().clone()
    trainer.run(max_steps=1)
    assert (density.detach() - before_d).abs().max() > 0.04  # one Adam step of size entropy_lr
    assert (weight.detach() - before_w).abs().max() < 0.01  # the stage's lr, 1e-3


def test_motion_stage_weighs_rate_and_true_flow(tmp_path):
    trainer = Trainer(load_train_config(TINY), tmp_path)
    clip, _, flows = trainer.batch(0, 2)
    rates = torch.tensor([2, 2])
    lam = trainer.model.config.lambdas[2] * 255**2
    torch.manual_seed(0)
    plain = StageLoss(trainer.model, "inter_motion")(clip[:, :2], rates, flows[:, :2])
    assert "flow" not in plain and plain["bpp"] > 0
    assert torch.isclose(plain["loss"], lam * plain["mse"] + plain["bpp"], rtol=1e-4)
    torch.manual_seed(0)
    warm = StageLoss(trainer.model, "inter_motion", rate_weight=0.0, flow_weight=0.5)(clip[:, :2], rates,
                                                                                     flows[:, :2])
    assert torch.isclose(warm["loss"], lam * warm["mse"] + 0.5 * warm["flow"], rtol=1e-4)
    assert warm["flow"] > 0.1 * flows[:, 1].abs().mean()  # an untrained motion codec misses the camera motion
    with pytest.raises(ValueError, match="flow"):
        StageLoss(trainer.model, "inter_motion", flow_weight=1.0)(clip[:, :2], rates, None)


def test_bf16_training_runs_with_sensitive_steps_in_float32(tmp_path):
    cfg = load_train_config(TINY)
    cfg["precision"] = "bf16"
    history = Trainer(cfg, tmp_path / "all").run()
    assert {r["stage"] for r in history} == set(STAGES) - {"joint"}
    assert all(math.isfinite(r["loss"]) and math.isfinite(r["bpp"]) for r in history)
    # one and the same step in both precisions: the networks' rounding shows, but only at the percent level
    fp32 = Trainer(load_train_config(TINY), tmp_path / "fp32")
    bf16 = Trainer(cfg, tmp_path / "bf16")
    a, b = (t.train_step(t.stage_loss(0), 0) for t in (fp32, bf16))
    assert a["loss"] != b["loss"] and abs(a["loss"] - b["loss"]) < 0.05 * a["loss"]
    # warps and the motion search ignore autocast: the same float32 results as without it
    clip, flow = NaturalClipDataset(1, 2, 64, 64, seed=1, with_flow=True)[0]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        warped = flow_warp(clip[:1], flow[1:])
        hint = estimate_flow(clip[1:], clip[:1])
    assert warped.dtype == hint.dtype == torch.float32
    assert torch.equal(warped, flow_warp(clip[:1], flow[1:])) and torch.equal(hint, estimate_flow(clip[1:], clip[:1]))


def test_bad_training_config(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("codec = 'tiny'\ndata = dict(height=64, width=64)\nstages = [dict(stage='warp', steps=3)]\n")
    with pytest.raises(ConfigError, match="warp"):
        load_train_config(bad)
    bad.write_text("codec = 'tiny'\ndata = dict(height=64, width=64)\nstages = [dict(stage='intra', steps=3)]\n"
                   "precision = 'fp8'\n")
    with pytest.raises(ConfigError, match="precision"):
        load_train_config(bad)
    bad.write_text("codec = 'tiny'\ndata = dict(height=64, width=64)\n"
                   "stages = [dict(stage='cascade', steps=3, relative_rate=True)]\n")
    with pytest.raises(ConfigError, match="stage 0 .cascade. sets relative_rate"):
        load_train_config(bad)
    bad.write_text("codec = 'tiny'\ndata = dict(height=64, width=64)\n"
                   "stages = [dict(stage='intra_entropy', steps=3, charged_search=True)]\n")
    with pytest.raises(ConfigError, match="stage 0 .intra_entropy. sets charged_search"):
        load_train_config(bad)
    bad.write_text("codec = 'tiny'\ndata = dict(height=64, width=64, pool='photos+foreman')\n"
                   "stages = [dict(stage='intra', steps=3)]\n")
    with pytest.raises(ConfigError, match="data pool is 'photos\\+foreman'; choose one of .'photos', 'photos\\+bikes'."):
        load_train_config(bad)


@pytest.mark.slow
def test_two_process_gloo_run(tmp_path):
    cfg = tmp_path / "ddp.py"
    cfg.write_text(TINY.read_text().replace("steps=4", "steps=2")
                   + "\nstages = [s for s in stages if s['stage'] in ('intra', 'inter_motion')]\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "vnvc.cli", "train", str(cfg), "--work-dir", str(tmp_path / "run")],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    meta = torch.load(tmp_path / "run" / "last.pth", weights_only=True)["meta"]
    assert meta["world_size"] == 2 and meta["step"] == 4


def _tiny_detection_head(path: Path, feature_channels: int) -> Path:
    """An (untrained) tiny feature-domain Faster R-CNN saved as a machine_vision head file."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    from tasks import load_task_config

    register_all_modules()
    cfg = load_task_config(TASK_CONFIG)
    cfg.model.backbone.in_channels = feature_channels
    torch.manual_seed(0)
    torch.save({"state_dict": MODELS.build(cfg.model).state_dict()}, path)
    return path


def test_joint_stage_task_loss_reaches_the_codec(tmp_path):
    from tasks.task_loss import TaskLoss
    from vnvc.data import generate_dataset
    from vnvc.data.labelled import LabelledClipDataset
    from vnvc.train.stages import StageLoss

    data = tmp_path / "synth"
    generate_dataset(data, "train", num_videos=2, frames=3, height=64, width=96)
    model = load_model("config:tiny").train()
    head = _tiny_detection_head(tmp_path / "head.pth", model.feature_channels)
    task = TaskLoss(TASK_CONFIG, head, model.feature_channels)
    clip = next(c for c in (LabelledClipDataset(data, "train", 2, 64, 64)[i] for i in range(50)) if len(c.boxes[1]))
    assert clip.frames.shape == (2, 3, 64, 64) and (clip.boxes[1][:, 2:] <= 64).all()
    targets = [([clip.boxes[t]], [clip.labels[t]]) for t in range(2)]
    grads = []
    for weight in (0.0, 1.0):
        model.zero_grad(set_to_none=True)
        torch.manual_seed(0)
        losses = StageLoss(model, "joint", task=task, task_weight=weight)(clip.frames[None], torch.tensor([1]), targets)
        (losses["loss"]).backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.inter.parameters() if p.grad is not None]))
        assert torch.isfinite(losses["task"]) and losses["task"] > 0
    assert not torch.equal(grads[0], grads[1])  # the detector's loss flows back into the codec
    assert all(p.grad is None and not p.requires_grad for p in task.parameters())  # and never trains the detector

    cfg = load_train_config(TINY)
    cfg["stages"] = [dict(stage="joint", steps=2, lr=1e-3, batch_size=2, frames=2,
                          task=dict(data=str(data), config=str(TASK_CONFIG), head=str(head)))]
    history = Trainer(cfg, tmp_path / "run").run()
    assert history[-1]["stage"] == "joint" and history[-1]["task"] > 0


def test_joint_stage_needs_its_task(tmp_path):
    bad = tmp_path / "joint.py"
    bad.write_text("codec = 'tiny'\ndata = dict(height=64, width=64)\n"
                   "stages = [dict(stage='joint', steps=3, task=dict(data='x'))]\n")
    with pytest.raises(ConfigError, match="config"):
        load_train_config(bad)
