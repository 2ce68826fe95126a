"""Cluster bootstrap weights: each replicate resamples whole units (people) with replacement,
expressed as per-unit counts so every weighted mean of a replicate is one matrix product."""

from __future__ import annotations

import numpy as np

#: Default number of bootstrap replications.
DEFAULT_REPLICATIONS = 499


def unit_resampling_weights(units: int, replications: int, seed: int) -> np.ndarray:
    """A replications x units matrix of multinomial counts (each row sums to `units`)."""
    if units <= 0:
        raise ValueError("the bootstrap needs at least one unit")
    if replications < 2:
        raise ValueError("the bootstrap needs at least two replications")
    rng = np.random.default_rng(seed)
    return rng.multinomial(units, np.full(units, 1.0 / units), size=replications).astype(np.float64)
