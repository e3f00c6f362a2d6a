"""What the Blender add-on's panel settings mean, as plain data (no bpy): settings -> Config, live radar figures.

The add-on keeps its settings in Blender properties, turns them into a dict and calls these functions, so the
same rules apply in Blender, in scripts and in tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from maxray_gen.config import Config, load_config
from maxray_gen.errors import ConfigError
from maxray_gen.radio.materials import MATERIALS
from maxray_gen.schema import parse
from maxray_gen.snapshot import ROLES

SENSOR_ROLES = ("basestation", "camera")
TAG_ROLES = ROLES
RADIO_MATERIALS = tuple(sorted(MATERIALS))

# Panel setting -> (config section, key, scale from the panel's unit to SI)
RADAR_SETTINGS = {
    "carrier_ghz": ("radar", "carrier_hz", 1e9),
    "n_subcarriers": ("radar", "n_subcarriers", 1),
    "subcarrier_spacing_khz": ("radar", "subcarrier_spacing_hz", 1e3),
    "n_symbols": ("radar", "n_symbols", 1),
    "array_rows": ("radar.array", "rows", 1),
    "array_columns": ("radar.array", "columns", 1),
    "range_max_m": ("radar", "range_max_m", 1),
    "azimuth_fov_deg": ("radar", "azimuth_fov_deg", 1),
}


def settings_from_config(cfg: Config) -> dict[str, Any]:
    """The panel's radar settings (in its units) for a configuration."""
    out = {}
    for key, (section, field, scale) in RADAR_SETTINGS.items():
        obj = cfg
        for part in section.split("."):
            obj = getattr(obj, part)
        v = getattr(obj, field) / scale
        out[key] = int(round(v)) if isinstance(getattr(obj, field), int) else float(v)
    out.update(seed=cfg.generate.seed, shards=cfg.generate.shards, samples_per_shard=cfg.generate.samples_per_shard,
               width=cfg.camera.width, height=cfg.camera.height)
    return out


def config_from_settings(settings: dict[str, Any], blend: str | Path | None = None,
                         base: str | Path | Config | None = None) -> Config:
    """A validated Config: ``base`` (a YAML file, a Config or the defaults) with the panel's settings applied.

    ``settings`` keys: the radar ones of :data:`RADAR_SETTINGS`, ``seed``, ``shards``, ``samples_per_shard``,
    ``width``/``height`` (render size), ``randomise_lighting``/``randomise_weather`` (false: day / clear only).
    ``blend`` makes it a scenario configuration (``scene.blend``). Errors name the panel setting.
    """
    cfg = base if isinstance(base, Config) else load_config(base)
    d = cfg.model_dump(mode="json")
    for key, (section, field, scale) in RADAR_SETTINGS.items():
        if key in settings:
            node = d
            for part in section.split("."):
                node = node[part]
            v = settings[key] * scale
            node[field] = int(round(v)) if scale == 1 and isinstance(settings[key], int) else v
    g = d["generate"]
    for key in ("seed", "shards", "samples_per_shard"):
        if key in settings:
            g[key] = int(settings[key])
    for key in ("width", "height"):
        if key in settings:
            d["camera"][key] = int(settings[key])
    if not settings.get("randomise_lighting", True):
        d["scene"]["lighting"] = {"day": 1.0}
    if not settings.get("randomise_weather", True):
        d["scene"]["weather"] = {"clear": 1.0}
    if blend is not None:
        d["scene"]["blend"] = str(Path(blend).resolve())
    return parse(Config, d, "<add-on settings>")


def radar_figures(settings: dict[str, Any]) -> list[tuple[str, str]]:
    """Live (name, value) lines for the panel: derived resolutions and limits, or the problem with the settings."""
    try:
        r = config_from_settings(settings).radar
    except ConfigError as e:
        return [("invalid", str(e).split(": ", 1)[-1])]
    return [("wavelength", f"{r.wavelength_m * 1e3:.2f} mm"),
            ("bandwidth", f"{r.bandwidth_hz / 1e6:.0f} MHz"),
            ("range resolution", f"{r.range_resolution_m:.3f} m"),
            ("max range", f"{r.max_unambiguous_range_m:.0f} m"),
            ("azimuth resolution", f"{r.azimuth_resolution_deg:.2f} deg"),
            ("velocity resolution", f"{r.velocity_resolution_mps:.3f} m/s"),
            ("max velocity", f"+-{r.max_unambiguous_velocity_mps:.1f} m/s")]


def write_config(cfg: Config, path: str | Path) -> Path:
    """Write a configuration YAML that ``maxray generate`` runs (atomically)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text("# Exported by the MaxRay-Gen Blender add-on; run with: maxray generate THIS_FILE --out DIR\n"
                   + yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
    tmp.replace(path)
    return path


def export_scenario(save_scene, cfg: Config, path: str | Path) -> tuple[Path, Path]:
    """Export for a farm: ``path`` (YAML) and the scene saved beside it as ``<stem>.blend`` by ``save_scene``
    (a callable taking the .blend path); the YAML names the .blend relative to itself, so the two travel together."""
    path = Path(path)
    if path.suffix not in (".yaml", ".yml"):
        raise ConfigError(f"{path}: the configuration file must end in .yaml")
    blend = save_scene(path.with_suffix(".blend"))
    d = cfg.model_dump(mode="json")
    d["scene"]["blend"] = Path(blend).name
    write_config(parse(Config, d, str(path)), path)
    return path, Path(blend)
