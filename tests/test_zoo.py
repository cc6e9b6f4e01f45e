"""Checkpoints: save/load round trip, the shipped-model registry with its hashes, damaged or foreign files."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from vnvc import zoo
from vnvc.errors import CheckpointError


@pytest.fixture
def checkpoint_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(zoo, "CHECKPOINT_DIR", tmp_path)
    return tmp_path


def test_registered_model_loads_by_name(tiny_model, checkpoint_dir):
    path = checkpoint_dir / "tiny.pth"
    zoo.save_checkpoint(tiny_model, path, {"step": 3})
    entry = zoo.register_shipped("tiny-test", path, "made by a test")
    assert entry.sha256 == zoo.file_sha256(path)
    loaded = zoo.load_model("tiny-test")
    assert loaded.checkpoint_id() == tiny_model.checkpoint_id()
    assert torch.equal(loaded.intra.latent.conditional._cdfs, tiny_model.intra.latent.conditional._cdfs)


def test_registry_catches_a_changed_file(tiny_model, checkpoint_dir):
    path = checkpoint_dir / "tiny.pth"
    zoo.save_checkpoint(tiny_model, path)
    zoo.register_shipped("tiny-test", path, "made by a test")
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(CheckpointError, match="sha256"):
        zoo.load_model("tiny-test")


def test_bad_checkpoint_files(tmp_path, checkpoint_dir):
    with pytest.raises(CheckpointError, match="unknown model"):
        zoo.load_model("nonexistent")
    with pytest.raises(CheckpointError, match="not found"):
        zoo.load_model(tmp_path / "missing.pth")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read"):
        zoo.load_model(junk)
    foreign = tmp_path / "foreign.pth"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(CheckpointError, match="not a vnvc checkpoint"):
        zoo.load_model(foreign)


def test_shipped_default_is_registered_and_intact():
    shipped = zoo.shipped_models()
    assert zoo.DEFAULT in shipped
    assert zoo.file_sha256(zoo.CHECKPOINT_DIR / shipped[zoo.DEFAULT].file) == shipped[zoo.DEFAULT].sha256
    assert (zoo.CHECKPOINT_DIR / shipped[zoo.DEFAULT].file).stat().st_size <= 16 * 2**20


def test_saving_is_byte_reproducible(tiny_model, tmp_path):
    zoo.save_checkpoint(tiny_model, tmp_path / "a.pth", {"step": 1})
    zoo.save_checkpoint(tiny_model, tmp_path / "other" / "b.pth", {"step": 1})
    assert (tmp_path / "a.pth").read_bytes() == (tmp_path / "other" / "b.pth").read_bytes()


def test_half_precision_convolutions_load_back_bit_identical(tiny_model, tmp_path):
    """Shipped files store convolution weights in half precision: saving them unrounded is refused; rounded, the
    file is smaller and loads as exactly the model saved (float32 weights, the same checkpoint id and tables)."""
    model = copy.deepcopy(tiny_model)
    with pytest.raises(CheckpointError, match="not rounded to half precision"):
        zoo.save_checkpoint(model, tmp_path / "unrounded.pth", half_convolutions=True)
    zoo.round_convolutions_to_half(model)
    assert model.checkpoint_id() != tiny_model.checkpoint_id()
    zoo.save_checkpoint(model, tmp_path / "full.pth")
    zoo.save_checkpoint(model, tmp_path / "half.pth", half_convolutions=True)
    assert (tmp_path / "half.pth").stat().st_size < 0.7 * (tmp_path / "full.pth").stat().st_size
    loaded = zoo.load_model(tmp_path / "half.pth")
    assert {p.dtype for p in loaded.parameters()} == {torch.float32}
    assert loaded.checkpoint_id() == model.checkpoint_id()
    assert torch.equal(loaded.intra.latent.conditional._cdfs, model.intra.latent.conditional._cdfs)


def test_the_shipped_default_stores_half_precision_convolutions():
    stored = zoo.read_checkpoint(zoo.CHECKPOINT_DIR / zoo.shipped_models()[zoo.DEFAULT].file)["state_dict"]
    kernels = [tensor for tensor in stored.values() if tensor.dim() == 4]  # the convolutions' weights
    assert len(kernels) > 100 and all(kernel.dtype == torch.float16 for kernel in kernels)


def test_export_script_writes_a_candidate_as_it_would_ship_without_registering_it(tiny_model, tmp_path):
    """`scripts/export_checkpoint.py --out` writes the shipped form (half-precision convolutions) of a training
    checkpoint elsewhere and leaves the registry alone."""
    zoo.save_checkpoint(tiny_model, tmp_path / "last.pth", {"step": 3})
    registry = (zoo.CHECKPOINT_DIR / "zoo.json").read_bytes()
    script = Path(__file__).resolve().parent.parent / "scripts" / "export_checkpoint.py"
    env = dict(os.environ, PYTHONPATH=str(script.parent.parent))
    subprocess.run([sys.executable, str(script), str(tmp_path / "last.pth"), "--out", str(tmp_path / "c" / "try.pth")],
                   check=True, env=env, capture_output=True)
    rounded = copy.deepcopy(tiny_model)
    zoo.round_convolutions_to_half(rounded)
    assert zoo.load_model(tmp_path / "c" / "try.pth").checkpoint_id() == rounded.checkpoint_id()
    assert (zoo.CHECKPOINT_DIR / "zoo.json").read_bytes() == registry
