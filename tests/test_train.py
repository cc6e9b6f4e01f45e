"""Training on CPU with the tiny config: every stage runs, losses fall, resuming is exact, torchrun works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from vnvc.errors import ConfigError
from vnvc.train.run import Trainer, load_train_config, train_from_config
from vnvc.zoo import load_model

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "configs" / "train" / "tiny.py"


def test_every_stage_runs_and_checkpoint_loads(tmp_path):
    trainer = train_from_config(TINY, work_dir=tmp_path)
    stages = {record["stage"] for record in trainer.history}
    assert stages == {"intra", "inter_motion", "inter_reconstruction", "inter_contextual", "inter_all", "cascade"}
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


def test_bad_training_config(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("codec = 'tiny'\ndata = dict(height=64, width=64)\nstages = [dict(stage='warp', steps=3)]\n")
    with pytest.raises(ConfigError, match="warp"):
        load_train_config(bad)


@pytest.mark.slow
def test_two_process_gloo_run(tmp_path):
    cfg = tmp_path / "ddp.py"
    cfg.write_text(TINY.read_text().replace("steps=4", "steps=2") + "\nstages = stages[:2]\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "vnvc.cli", "train", str(cfg), "--work-dir", str(tmp_path / "run")],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    meta = torch.load(tmp_path / "run" / "last.pth", weights_only=True)["meta"]
    assert meta["world_size"] == 2 and meta["step"] == 4
