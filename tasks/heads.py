"""Trained task heads shipped with vnvc: ``checkpoints/heads/heads.json`` names each head's file, hash, config,
the codec its features came from, and what made it.

A feature-domain head only fits the codec whose F̂t it was trained on, so its entry records that codec's
checkpoint id; a pixel-domain head records none. Tracking reuses the detection heads: a tracker's detector has the
detector's weights under ``detector.`` (see ``fit_to_model``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from vnvc.errors import CheckpointError
from vnvc.zoo import CHECKPOINT_DIR, file_sha256

HEADS_DIR = CHECKPOINT_DIR / "heads"
REGISTRY = "heads.json"


@dataclass(frozen=True)
class ShippedHead:
    """One head file in ``checkpoints/heads/``."""

    file: str
    sha256: str
    config: str  # relative to the repository root
    codec_id: str | None  # checkpoint id (hex) of the codec whose features it reads; None for pixel heads
    provenance: str


def head_name(task: str, domain: str) -> str:
    """Registry key of a head: ``detection_feature``, ``segmentation_pixel``, ..."""
    return f"{task}_{domain}"


def shipped_heads() -> dict[str, ShippedHead]:
    registry = HEADS_DIR / REGISTRY
    if not registry.is_file():
        return {}
    return {name: ShippedHead(**entry) for name, entry in json.loads(registry.read_text()).items()}


def register_head(name: str, path: str | Path, config: str, codec_id: str | None, provenance: str) -> ShippedHead:
    """Record a head file that lives in ``checkpoints/heads/`` under ``name``."""
    path = Path(path)
    if path.parent.resolve() != HEADS_DIR.resolve():
        raise CheckpointError(f"{path}: shipped heads live in {HEADS_DIR}")
    entries = {n: asdict(h) for n, h in shipped_heads().items()}
    entries[name] = asdict(ShippedHead(path.name, file_sha256(path), config, codec_id, provenance))
    (HEADS_DIR / REGISTRY).write_text(json.dumps(entries, indent=2) + "\n")
    return ShippedHead(**entries[name])


def shipped_head_path(name: str) -> Path:
    """The file of a registered head, after checking its hash."""
    heads = shipped_heads()
    if name not in heads:
        raise CheckpointError(f"no shipped head {name!r}; shipped heads: {sorted(heads) or 'none'}")
    path = HEADS_DIR / heads[name].file
    if not path.is_file() or file_sha256(path) != heads[name].sha256:
        raise CheckpointError(f"shipped head {name!r}: {path} is missing or does not match its recorded sha256")
    return path


def fit_to_model(weights: dict[str, torch.Tensor], model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Detector weights for a tracker (keys gain ``detector.``); any other weights unchanged."""
    expected = model.state_dict()
    if hasattr(model, "detector") and not any(k.startswith("detector.") for k in weights):
        prefixed = {f"detector.{k}": v for k, v in weights.items()}
        if all(k in expected for k in prefixed):
            return prefixed
    return weights
