"""Entropy models with training likelihoods and native coding into a frame's stream (see docs/entropy.md)."""

from .base import EntropyModel
from .factorized import FactorizedPrior
from .gaussian import GaussianConditional
from .stream import StreamReader, StreamWriter

__all__ = ["EntropyModel", "FactorizedPrior", "GaussianConditional", "StreamReader", "StreamWriter"]
