"""scripts/ship_heads.py: a shipped feature head measured on a new codec is carried over to that codec."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import tasks.heads as heads
from scripts import ship_heads
from vnvc.zoo import file_sha256


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
