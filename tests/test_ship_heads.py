"""scripts/ship_heads.py: a shipped feature head measured on a new codec is carried over to that codec; and
eval/machine_vision.py uses the shipped heads only on the codec they were measured on, saying so otherwise."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

import tasks.heads as heads
from eval.machine_vision import use_shipped_heads
from scripts import ship_heads
from vnvc.zoo import file_sha256, load_model


@pytest.fixture
def registry(tmp_path, monkeypatch) -> Path:
    """A heads folder holding one shipped detection feature head, trained on codec aaaa."""
    folder = tmp_path / "heads"
    folder.mkdir()
    monkeypatch.setattr(heads, "HEADS_DIR", folder)
    monkeypatch.setattr(ship_heads, "HEADS_DIR", folder)
    head = folder / "detection_feature.pth"
    head.write_bytes(b"detector weights")
    heads.register_head("detection_feature", head, "configs/tasks/small/detection_feature.py", "aaaa", "trained")
    return folder


def _ship(tmp_path, monkeypatch, feature_head: Path) -> None:
    """ship_heads on a run of the new codec bbbb that measured `feature_head` without training."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.json").write_text(json.dumps({
        "task": "detection", "data": "out/synth", "checkpoint": "small", "checkpoint_id": "bbbb", "rates": [0],
        "intra_period": 8, "feature_head": str(feature_head),
        "results": [{"codec": "vnvc", "point": "rate0", "bpp": 0.06, "bbox_mAP": 0.02, "head": "feature"}],
    }))
    monkeypatch.setattr(sys, "argv", ["ship_heads.py", str(run)])
    ship_heads.main()


def test_measured_shipped_head_is_carried_over(registry, tmp_path, monkeypatch):
    head = registry / "detection_feature.pth"
    _ship(tmp_path, monkeypatch, head)
    entry = heads.shipped_heads()["detection_feature"]
    assert entry.codec_id == "bbbb" and entry.sha256 == file_sha256(head) and entry.file == head.name
    assert entry.provenance.startswith(
        "trained [registered for codec aaaa] Carried over to codec bbbb: eval/machine_vision.py")
    assert '"bbox_mAP": 0.02' in entry.provenance


@pytest.mark.parametrize("case, message", [
    ("another head", "neither trained heads nor measured the shipped feature head"),
    ("changed file", "does not match its recorded sha256"),
])
def test_carry_over_is_refused(registry, tmp_path, monkeypatch, case, message):
    """A run that measured some other head, or a shipped file changed since, leaves the registry alone."""
    measured = registry / "detection_feature.pth"
    if case == "another head":
        measured = tmp_path / "other_head.pth"
    measured.write_bytes(b"other weights")
    with pytest.raises(SystemExit, match=message):
        _ship(tmp_path, monkeypatch, measured)
    assert heads.shipped_heads()["detection_feature"].codec_id == "aaaa"


@pytest.mark.parametrize("registered_for_this_codec", [True, False])
def test_shipped_heads_are_used_only_on_their_codec(registry, capsys, registered_for_this_codec):
    """A tracking run asking for no heads gets the shipped detection head when it was measured on the run's codec;
    on any other codec it trains its own, and says why on stderr (a stale registry is not silently ignored)."""
    model = load_model("config:tiny")
    codec_id = model.checkpoint_id().hex() if registered_for_this_codec else "aaaa"
    heads.register_head("detection_feature", registry / "detection_feature.pth",
                        "configs/tasks/small/detection_feature.py", codec_id, "trained")
    args = argparse.Namespace(task="tracking", train_heads=False, task_config=None, head=None, pixel_head=None,
                              baseline=["vnvc-pixels"])
    use_shipped_heads(args, model)
    message = capsys.readouterr().err
    if registered_for_this_codec:
        assert args.head == registry / "detection_feature.pth" and message == ""
    else:
        assert args.head is None and args.task_config is None
        assert "measured on codec aaaa, not on this one" in message
