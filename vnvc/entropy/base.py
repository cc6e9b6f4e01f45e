"""What the entropy models share: integer CDF tables kept as buffers, coding into a frame's stream, bounds."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from .stream import StreamReader, StreamWriter, Tables


class _LowerBound(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, bound: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.bound = bound
        return x.clamp_min(bound)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (x,) = ctx.saved_tensors
        return grad * ((x >= ctx.bound) | (grad < 0)), None


def lower_bound(x: torch.Tensor, bound: float) -> torch.Tensor:
    """max(x, bound), letting gradients through where they would raise x above the bound."""
    return _LowerBound.apply(x, bound)


def round_symbols(values: torch.Tensor) -> torch.Tensor:
    """int32 symbols round(values); values beyond int32 saturate. Non-finite values raise ValueError."""
    if not torch.isfinite(values).all():
        raise ValueError("cannot entropy-code non-finite latent values")
    limit = float(2**31 - 128)  # exactly representable in float32
    return torch.round(values).clamp(-limit, limit).to(torch.int32)


class EntropyModel(nn.Module):
    """Base of the entropy models: CDF tables as buffers (`update()` fills them) and native coding.

    The tables are stored packed — each row's `cdf_lengths[t]` values one after another — so a checkpoint holds
    no padding; the padded (T, L) array the coder reads is rebuilt on demand.
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("_cdf_values", torch.zeros(0, dtype=torch.int32))
        self.register_buffer("_cdf_lengths", torch.zeros(0, dtype=torch.int32))
        self.register_buffer("_offsets", torch.zeros(0, dtype=torch.int32))
        self._padded: np.ndarray | None = None

    def _set_tables(self, cdfs: torch.Tensor, lengths: torch.Tensor, offsets: torch.Tensor) -> None:
        device = self._cdf_values.device
        lengths = lengths.to(torch.int64)
        used = torch.arange(cdfs.shape[1])[None, :] < lengths[:, None]
        self._cdf_values = cdfs[used].to(device=device, dtype=torch.int32).contiguous()
        self._cdf_lengths = lengths.to(device=device, dtype=torch.int32).contiguous()
        self._offsets = offsets.to(device=device, dtype=torch.int32).contiguous()
        self._padded = None

    @property
    def _cdfs(self) -> torch.Tensor:
        """The tables padded with zeros to one width, int32 (T, L)."""
        if self._padded is None:
            lengths = self._cdf_lengths.cpu().to(torch.int64)
            width = int(lengths.max()) if lengths.numel() else 0
            padded = torch.zeros(lengths.numel(), width, dtype=torch.int32)
            padded[torch.arange(width)[None, :] < lengths[:, None]] = self._cdf_values.cpu()
            self._padded = padded.numpy()
        return torch.from_numpy(self._padded)

    def _tables(self) -> Tables:
        if self._cdf_lengths.numel() == 0:
            raise RuntimeError(f"{type(self).__name__}: CDF tables are not built; call update() first")
        cdfs = self._cdfs.numpy()
        return cdfs, *(t.detach().cpu().numpy() for t in (self._cdf_lengths, self._offsets))

    def _write(self, stream: StreamWriter, symbols: torch.Tensor, indexes: torch.Tensor) -> None:
        stream.write(symbols, indexes, self._tables())

    def _read(self, stream: StreamReader, indexes: torch.Tensor) -> torch.Tensor:
        return stream.read(indexes, self._tables())

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args: Any, **kwargs: Any) -> None:
        # Tables change size with update(): take the stored shapes before the default loading copies values.
        for name in ("_cdf_values", "_cdf_lengths", "_offsets"):
            stored = state_dict.get(prefix + name)
            if stored is not None:
                setattr(self, name, torch.empty_like(stored, device=getattr(self, name).device))
        self._padded = None
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

