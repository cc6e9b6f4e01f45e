"""Entropy models with training likelihoods and native compress/decompress (see docs/entropy.md)."""

from .base import EncodedLatent, EntropyModel
from .factorized import FactorizedPrior
from .gaussian import GaussianConditional

__all__ = ["EncodedLatent", "EntropyModel", "FactorizedPrior", "GaussianConditional"]
