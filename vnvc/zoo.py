"""Checkpoints: saving, loading, and the named models shipped with vnvc (with their hashes and provenance)."""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .errors import CheckpointError, ConfigError
from .models import CodecConfig, VideoCodec, load_codec_config

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"
FORMAT = "vnvc-checkpoint"
MAX_SHIPPED_BYTES = 16 * 2**20  # the size limit of every committed file


@dataclass(frozen=True)
class ShippedModel:
    """A checkpoint file committed in `checkpoints/`, with what made it."""

    file: str
    sha256: str
    provenance: str


DEFAULT = "small"


def shipped_models() -> dict[str, ShippedModel]:
    """The registry `checkpoints/zoo.json`: name -> file, sha256 and provenance."""
    registry = CHECKPOINT_DIR / "zoo.json"
    if not registry.is_file():
        return {}
    return {name: ShippedModel(**entry) for name, entry in json.loads(registry.read_text()).items()}


def register_shipped(name: str, path: str | Path, provenance: str) -> ShippedModel:
    """Record a checkpoint file in `checkpoints/` under `name` (used when a new model is shipped)."""
    path = Path(path)
    if path.parent.resolve() != CHECKPOINT_DIR.resolve():
        raise CheckpointError(f"{path}: shipped checkpoints live in {CHECKPOINT_DIR}")
    entries = {n: vars(m) for n, m in shipped_models().items()}
    entries[name] = {"file": path.name, "sha256": file_sha256(path), "provenance": provenance}
    (CHECKPOINT_DIR / "zoo.json").write_text(json.dumps(entries, indent=2) + "\n")
    return ShippedModel(**entries[name])


def _convolution_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """State-dict name -> weight of every convolution: 93 % of the `small` model's parameters."""
    return {f"{name}.weight": module.weight for name, module in model.named_modules()
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d))}


def round_convolutions_to_half(model: VideoCodec) -> None:
    """Round every convolution weight to half precision in place (the model stays float32) and rebuild the CDF
    tables. A model rounded so saves with `half_convolutions` at half the size, and loads back bit-identical."""
    with torch.no_grad():
        for name, weight in _convolution_weights(model).items():
            rounded = weight.half()
            if not torch.isfinite(rounded).all():
                raise CheckpointError(f"{name} has values beyond half precision's range")
            weight.copy_(rounded.float())
    model.update()


def save_checkpoint(model: VideoCodec, path: str | Path, meta: dict[str, Any] | None = None,
                    half_convolutions: bool = False) -> None:
    """Write weights, CDF tables, architecture config and metadata atomically (temp file + rename).

    With `half_convolutions` (for shipped files) the convolution weights are stored in half precision; they must
    already be rounded (`round_convolutions_to_half`), so that the file loads as exactly the model saved. Loading
    casts them back to float32."""
    path = Path(path)
    state = model.state_dict()
    if half_convolutions:
        for name, weight in _convolution_weights(model).items():
            stored = weight.detach().half()
            if not torch.equal(stored.float(), weight.detach()):
                raise CheckpointError(f"{name} is not rounded to half precision: call round_convolutions_to_half")
            state[name] = stored
    payload = {
        "format": FORMAT,
        "version": 1,
        "config": model.config.to_dict(),
        "state_dict": state,
        "meta": meta or {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    buffer = io.BytesIO()
    torch.save(payload, buffer)  # through a buffer: the archive's inner name, and so the bytes, do not depend on tmp
    try:
        tmp.write_bytes(buffer.getvalue())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint file's contents (tensors on CPU) after checking it is one of ours."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises assorted errors for damaged or foreign files
        raise CheckpointError(f"checkpoint {path} cannot be read: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a vnvc checkpoint")
    return payload


def model_from_checkpoint(payload: dict[str, Any], source: str = "checkpoint") -> VideoCodec:
    try:
        config = CodecConfig.from_dict(payload["config"], source=source)
    except ConfigError as exc:
        raise CheckpointError(str(exc)) from exc
    model = VideoCodec(config)
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as exc:
        raise CheckpointError(f"{source}: weights do not match its config: {exc}") from exc
    return model.eval()


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_model(name_or_path: str | Path = DEFAULT) -> VideoCodec:
    """A ready-to-code model: a shipped model's name, a checkpoint path, or `config:<name>` for an untrained model
    (initialised from a fixed seed, so the same name always gives the same weights)."""
    spec = str(name_or_path)
    if spec.startswith("config:"):
        with torch.random.fork_rng():
            torch.manual_seed(0)
            model = VideoCodec(load_codec_config(spec.removeprefix("config:"))).eval()
        model.update()
        return model
    shipped_registry = shipped_models()
    if spec in shipped_registry:
        shipped = shipped_registry[spec]
        path = CHECKPOINT_DIR / shipped.file
        if not path.is_file():
            raise CheckpointError(f"shipped model {spec!r} is missing its file {path}")
        if file_sha256(path) != shipped.sha256:
            raise CheckpointError(f"shipped model {spec!r}: {path} does not match its recorded sha256")
    elif Path(spec).suffix or os.sep in spec:
        path = Path(spec)
    else:
        raise CheckpointError(f"unknown model {spec!r}; shipped models: {sorted(shipped_registry) or 'none'}")
    return model_from_checkpoint(read_checkpoint(path), source=str(path))
