import warnings
from pathlib import Path

import h5py
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
    """Noise-free, one coherent elevation beam (the closed forms of beam mode; the default is noncoherent)."""
    return make_config(noise={"model": "none"}, elevation_mode="beam")


@pytest.fixture
def small_cfg():
    """A small but physically consistent radar for the literal (per-element) reference model."""
    return make_config(
        n_subcarriers=64, subcarrier_spacing_hz=6.25e6, n_symbols=16, symbol_interval_s=20e-6,
        cyclic_prefix_s=200e-9, array={"rows": 4, "columns": 8}, range_min_m=2.0, range_max_m=20.0,
        azimuth_bins=64, precision="double", nufft_tolerance=1e-10, noise={"model": "none"}, elevation_mode="beam",
    )


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


TINY = """
generate: {seed: 3, shards: 2, samples_per_shard: 2, previews: 2, radar_products: [range_azimuth, range_doppler]}
camera: {width: 64, height: 48, horizontal_fov_deg: 90.0, min_visibility: 0.0}
render: {samples: 1, denoise: false, device: cpu}
scene: {max_cars: 4, max_moving_cars: 1}
trace: {samples_per_src: 20000, max_depth: 3}
lidar: {channels: 4, horizontal_resolution_deg: 2.0}
"""


def run(args):
    """Invoke the CLI in-process."""
    from click.testing import CliRunner

    from maxray_gen.cli import main

    return CliRunner().invoke(main, args)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """A tiny generated dataset (2 shards x 2 samples) shared by the generate and farm tests: (config, dir)."""
    pytest.importorskip("bpy")
    root = tmp_path_factory.mktemp("gen")
    cfg = root / "tiny.yaml"
    cfg.write_text(TINY)
    out = root / "ds"
    res = run(["generate", str(cfg), "--out", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    return cfg, out


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-identical arrays (NaNs included; works for structured dtypes)."""
    return a.dtype == b.dtype and a.shape == b.shape and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


def same_but_rendered(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-identical except what is measured on the RGB render (Cycles' pixels differ slightly between a session's
    first and later renders): an object table's camera_visibility agrees within 25 % or 0.05."""
    if a.dtype.names is None or "camera_visibility" not in a.dtype.names:
        return same(a, b)
    rest = [n for n in a.dtype.names if n != "camera_visibility"]
    va, vb = a["camera_visibility"].astype(float), b["camera_visibility"].astype(float)
    close = np.allclose(va, vb, rtol=0.25, atol=0.05, equal_nan=True)
    return a.shape == b.shape and close and all(same(np.ascontiguousarray(a[n]), np.ascontiguousarray(b[n])) for n in rest)


def dataset_arrays(out: Path) -> dict:
    arrays = {}
    for p in sorted(out.glob("shard-*.h5")):
        with h5py.File(p, "r") as h5:
            h5.visititems(lambda n, o: arrays.__setitem__(f"{p.name}/{n}", o[()]) if isinstance(o, h5py.Dataset) else None)
    return arrays
