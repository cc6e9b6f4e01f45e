"""Mixed precision: which steps stay in float32 when training runs under bf16 autocast.

Convolutions gain from bf16; the steps below lose too much in it. bf16 keeps 8 significant bits, so it cannot even
hold the pixel coordinates of a 1080p frame (integers above 256 are rounded), a warp would sample the wrong pixels,
a block-matching cost would be noise, and likelihoods and the distortion would be rounded at the 0.4 % level.
Functions decorated with `in_float32` run outside autocast with their floating-point tensor arguments in float32.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

import torch

Function = TypeVar("Function", bound=Callable[..., Any])


def _to_float32(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.is_floating_point() and value.dtype != torch.float32:
        return value.float()
    return value


def in_float32(function: Function) -> Function:
    """Run `function` with autocast off and its floating-point tensor arguments cast to float32."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        devices = {a.device.type for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)}
        autocast = [device for device in devices if torch.is_autocast_enabled(device)]
        if not autocast:
            return function(*args, **kwargs)
        with torch.autocast(device_type=autocast[0], enabled=False):
            return function(*map(_to_float32, args), **{k: _to_float32(v) for k, v in kwargs.items()})

    return wrapper  # type: ignore[return-value]
