"""Integer CDF tables for the native coder, built from probability tables.

A table row holds `length` entries 0 = c[0] < c[1] < ... < c[length - 1] = 2**PRECISION; symbol k has frequency
c[k + 1] - c[k] >= 1. Symbols 0 .. length - 3 are the regular values offset + k; the last symbol is the escape
through which the coder codes any other value exactly.
"""

from __future__ import annotations

import numpy as np
import torch

PRECISION = 16  # equals vnvc._native.PRECISION


def quantize_pmfs(pmfs: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Integer frequencies summing to 2**PRECISION, each >= 1, close to `pmfs` in Kullback-Leibler divergence.

    `pmfs` (T, S) float, row t uses its first lengths[t] entries (need not sum to 1); returns int64 (T, S) with
    zeros past each row's length. Symbols whose probability would round below one count get exactly one; the
    others share the rest in proportion to their probability (largest remainders get the leftover counts).
    """
    total = 1 << PRECISION
    pmfs = np.asarray(pmfs, dtype=np.float64)
    lengths = np.asarray(lengths, dtype=np.int64)
    if pmfs.ndim != 2 or lengths.shape != (pmfs.shape[0],):
        raise ValueError(f"pmfs must be (T, S) and lengths (T,), got {pmfs.shape} and {lengths.shape}")
    if np.any(lengths < 1) or np.any(lengths > min(pmfs.shape[1], total)):
        raise ValueError(f"lengths must lie in 1..{min(pmfs.shape[1], total)}")
    valid = np.arange(pmfs.shape[1])[None, :] < lengths[:, None]
    if not np.all(np.isfinite(pmfs[valid])):
        raise ValueError("pmfs must be finite")
    p = np.where(valid, np.clip(pmfs, 0.0, None), 0.0)
    sums = p.sum(axis=1, keepdims=True)
    p = np.where(sums > 0, p / np.where(sums > 0, sums, 1.0), valid / lengths[:, None])

    # Water-filling: freq = max(1, scale * p * total) with scale chosen so the frequencies sum to total.
    clamped = valid & (p * total < 1)
    while True:  # the clamped set only grows
        free = total - clamped.sum(axis=1)
        mass = np.where(clamped | ~valid, 0.0, p).sum(axis=1)
        scale = np.where(mass > 0, free / np.where(mass > 0, mass * total, 1.0), 0.0)
        grown = valid & (p * scale[:, None] * total < 1)
        if np.array_equal(grown, clamped):
            break
        clamped = grown
    real = np.where(valid, np.maximum(1.0, p * scale[:, None] * total), 0.0)
    freqs = np.where(valid, np.maximum(1, np.floor(real)), 0).astype(np.int64)
    missing = total - freqs.sum(axis=1)
    remainder = np.where(valid & ~clamped, real - freqs, -1.0)
    rank = np.argsort(np.argsort(-remainder, axis=1, kind="stable"), axis=1, kind="stable")
    freqs += (rank < missing[:, None]) & valid
    assert np.all(freqs.sum(axis=1) == total) and np.all(freqs[valid] >= 1)
    return freqs


def build_cdfs(pmfs: np.ndarray, sizes: np.ndarray, tails: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """CDF tables from the probabilities of each row's `sizes[t]` regular symbols and its escape mass `tails[t]`.

    Returns (cdfs int32 (T, S + 2), cdf_lengths int32 (T,)) for the native coder; offsets are the caller's.
    """
    pmfs = np.asarray(pmfs, dtype=np.float64)
    sizes = np.asarray(sizes, dtype=np.int64)
    count, width = pmfs.shape
    if np.any(sizes < 0) or np.any(sizes > width):
        raise ValueError(f"sizes must lie in 0..{width}")
    with_escape = np.zeros((count, width + 1))
    with_escape[:, :width] = np.where(np.arange(width)[None, :] < sizes[:, None], pmfs, 0.0)
    with_escape[np.arange(count), sizes] = np.asarray(tails, dtype=np.float64)
    freqs = quantize_pmfs(with_escape, sizes + 1)
    cdfs = np.zeros((count, width + 2), dtype=np.int64)
    cdfs[:, 1:] = np.cumsum(freqs, axis=1)
    cdfs[np.arange(width + 2)[None, :] > (sizes + 1)[:, None]] = 0
    return torch.from_numpy(cdfs.astype(np.int32)), torch.from_numpy((sizes + 2).astype(np.int32))
