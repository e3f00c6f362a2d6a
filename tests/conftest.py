import warnings

import numpy as np
import pytest

from maxray_gen.radar.config import RadarConfig, RadarConfigWarning


def make_config(**overrides) -> RadarConfig:
    """A validated RadarConfig (defaults + overrides), config warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RadarConfigWarning)
        return RadarConfig(**overrides)


@pytest.fixture
def quiet_cfg():
    return make_config(noise={"model": "none"})


@pytest.fixture
def small_cfg():
    """A small but physically consistent radar for the literal (per-element) reference model."""
    return make_config(
        n_subcarriers=64, subcarrier_spacing_hz=6.25e6, n_symbols=16, symbol_interval_s=20e-6,
        cyclic_prefix_s=200e-9, array={"rows": 4, "columns": 8}, range_min_m=2.0, range_max_m=20.0,
        azimuth_bins=64, precision="double", nufft_tolerance=1e-10, noise={"model": "none"},
    )


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
