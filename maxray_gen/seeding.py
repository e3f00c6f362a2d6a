"""Named, independent random streams: ``rng_for(seed, shard, index, "radar")``.

Each stream is a :class:`numpy.random.Generator` seeded from a :class:`numpy.random.SeedSequence` whose spawn key
is derived from the given keys (strings are hashed with SHA-256, so the mapping is stable across runs and
platforms). Generator code never touches a global RNG.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _key(part: int | str) -> int:
    if isinstance(part, (int, np.integer)) and not isinstance(part, bool):
        if part < 0:
            raise ValueError(f"rng keys must be non-negative, got {part}")
        return int(part)
    if isinstance(part, str):
        return int.from_bytes(hashlib.sha256(part.encode()).digest()[:8], "little")
    raise TypeError(f"rng keys are ints or strings, got {type(part).__name__}")


def seed_sequence(seed: int, *keys: int | str) -> np.random.SeedSequence:
    return np.random.SeedSequence(entropy=_key(seed), spawn_key=tuple(_key(k) for k in keys))


def rng_for(seed: int, *keys: int | str) -> np.random.Generator:
    """An independent generator for (seed, keys...), e.g. ``rng_for(7, 3, 12, "radar_noise")``."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, *keys)))
