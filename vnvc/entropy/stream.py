"""A frame's entropy-coded stream: the frame's latents are written into one rANS stream, one after another.

One stream per frame, not one per latent, because every rANS stream ends with its coder's final state (1 to 4
bytes now, 8 to 16 when this was decided): a P-frame's four latents paid that four times, and on small frames that
was a sixth of a P-frame. The
decoder reads the latents back in the order they were written, so it can compute a latent's entropy parameters from
the latents before it (the hyperprior's scales from z) between two reads.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def _native() -> Any:
    try:
        from vnvc import _native
    except ImportError as exc:  # pragma: no cover - depends on the build
        raise ImportError(
            "vnvc._native (the entropy coder) is not built: run `pip install --no-build-isolation -e .` or "
            "`python setup.py build_ext --inplace`"
        ) from exc
    return _native


Tables = tuple[np.ndarray, np.ndarray, np.ndarray]  # padded CDFs (T, L), CDF lengths (T,), offsets (T,)


def _numpy(t: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(t.detach().to(device="cpu", dtype=torch.int32).numpy())


class StreamWriter:
    """Collects int32 symbols with their CDF-table indexes; `finish()` returns the stream holding them all."""

    def __init__(self) -> None:
        self._encoder = _native().StreamEncoder()

    def write(self, symbols: torch.Tensor, indexes: torch.Tensor, tables: Tables) -> None:
        """Queue `symbols[i]`, coded with table `indexes[i]`. Raises ValueError for a bad index or table."""
        self._encoder.add(_numpy(symbols), _numpy(indexes), *tables)

    def finish(self) -> bytes:
        """The stream bytes (empty if nothing was written); the writer starts over."""
        return self._encoder.finish()


class StreamReader:
    """Reads back, in order, what a StreamWriter wrote. Raises ValueError for data that is not such a stream:
    at the latest from `finish()`, which checks that the stream ends exactly there."""

    def __init__(self, data: bytes) -> None:
        self._decoder = _native().StreamDecoder(data)

    def read(self, indexes: torch.Tensor, tables: Tables) -> torch.Tensor:
        """int32 symbols shaped like `indexes`, on its device."""
        symbols = self._decoder.decode(_numpy(indexes), *tables)
        return torch.from_numpy(symbols).to(indexes.device)

    def finish(self) -> None:
        self._decoder.finish()
