"""DATASHEET.md for a generated dataset, in the "datasheets for datasets" form (the paper's table 5), filled
from what was actually generated."""

from __future__ import annotations

import json
import time
from pathlib import Path

from maxray_gen.config import Config
from maxray_gen.dataset.inspect import summary


def _engine_text(cfg: Config) -> str:
    t = cfg.trace
    if t.engine == "sbr":
        spacing = f"{t.ray_spacing_m} m" if t.ray_spacing_m != "auto" else "4 wavelengths"
        if t.po_integration == "facet":
            integral = ("first bounce integrated in closed form over every lit facet, later bounces "
                        + ("over each bounce chain's lit polygon" if t.later_bounces == "beam" else "by the tubes"))
        else:
            integral = "physical optics sampled by the tubes"
        return (f"the SBR + physical-optics engine ({integral}; up to {t.max_depth} bounces, tube spacing {spacing}, "
                f"ground clutter {'on' if t.ground_clutter else 'off'})")
    return (f"Sionna RT (depth {t.max_depth}, {t.samples_per_src:,} rays, specular"
            f"{' + diffuse' if t.diffuse_reflection else ''})")


def _scene_text(cfg: Config) -> str:
    sc = cfg.scene
    if sc.blend is not None:
        return (f"the user scenario `{Path(sc.blend).name}`: its geometry, radio materials and basestation as "
                f"authored; its tagged parking slots and lanes (if any) filled with {sc.min_cars}-{sc.max_cars} "
                f"parked and {sc.min_moving_cars}-{sc.max_moving_cars} driving random cars per sample; lighting and "
                "weather sampled per sample (its own lights at night).")
    return (f"the built-in parking lot (2 rows x 10 slots, lane, kerbs, wall, lamp posts) with {sc.min_cars}-"
            f"{sc.max_cars} parked and {sc.min_moving_cars}-{sc.max_moving_cars} driving cars per sample.")


def _radar_limits(cfg: Config) -> str:
    if cfg.trace.engine == "sbr":
        return "ray-optics radar (SBR + physical optics: no edge diffraction, no transmission through glass)"
    return "ray-optics radar (image-method point paths, diffuse scattering model)"


def write_datasheet(cfg: Config, root: Path) -> Path:
    s = summary(root)
    m = json.loads((root / "manifest.json").read_text())
    r = cfg.radar
    g = cfg.generate
    n_train = int(round(g.train_fraction * s["samples"]))
    lines = [
        f"# Datasheet: MaxRay-Gen dataset `{root.name}`",
        "",
        f"Generated {time.strftime('%Y-%m-%d')} by maxray-gen {m['package_versions'].get('maxray-gen', '?')} "
        f"(config hash {m['config_hash']}, schema version {m['schema_version']}).",
        "",
        "## Motivation",
        "- Purpose: synthetic radio-visual data (camera, depth, lidar, 6G OFDM radar) for self-supervised radio "
        "localisation and detection research, re-creating the MaxRay parking-lot scenario.",
        "- Creators / funding: produced with the open MaxRay-Gen toolkit by its user; no external funding implied.",
        "",
        "## Composition",
        f"- Instances: {s['samples']} samples in {s['shards']} HDF5 shards ({s['size_mb']:.1f} MB), each one "
        "synchronised camera image, depth map, instance map, lidar scan, radar heatmaps and groundtruth.",
        f"- Cars: {s['cars']} in all; per sample mean {s['cars_per_sample'][0]:.1f} (min {s['cars_per_sample'][1]}, "
        f"max {s['cars_per_sample'][2]}).",
        f"- Lighting: {s['lighting']}. Weather: {s['weather']}.",
        f"- Radar-frame coverage of cars in view: range {s['range_m']} m, azimuth {s['azimuth_deg']} deg.",
        "- Labels: per car class, instance id, 3-D centre, dimensions, yaw, velocity, radar range/azimuth/"
        "elevation and fractional heatmap bins, radial velocity, visible and amodal 2-D boxes, visible fraction, "
        "truncation; radar truth per car (echo power, echo centroid, own-echo peak, footprint); a designated "
        "target per sample; the fully resolved scene parameters (JSON).",
        "- Data is entirely synthetic: no people, no personal or sensitive information.",
        f"- Split: train/validation {g.train_fraction:.0%}/{1 - g.train_fraction:.0%} ({n_train}/"
        f"{s['samples'] - n_train} samples), reproducible from seed {g.seed}.",
        "",
        "## Collection process",
        f"- Scene: {_scene_text(cfg)}",
        f"- Scenes sampled from seed {g.seed} with named random streams per randomiser (layout, cars, lighting, "
        "weather, render, lidar, trace, radar noise); rendered with Blender Cycles "
        f"({cfg.camera.width}x{cfg.camera.height}, {cfg.render.samples} samples, {'denoised' if cfg.render.denoise else 'not denoised'}); depth, instance ids and "
        f"lidar ray-cast on the same geometry; radar paths traced with {_engine_text(cfg)} "
        f"(engine version {s['radar_engine']}). Car echoes (cars >= 50 % visible): {s['car_echoes (>= 50% visible)']}.",
        f"- Radar: OFDM at {r.carrier_hz / 1e9:g} GHz, {r.n_subcarriers} x {r.subcarrier_spacing_hz / 1e3:g} kHz "
        f"({r.bandwidth_hz / 1e6:g} MHz), {r.n_symbols} symbols, {r.array.rows}x{r.array.columns} array; range "
        f"{r.range_min_m:g}-{r.range_max_m:g} m ({len(r.range_axis_m)} bins of {r.range_bin_m:.4f} m), azimuth "
        f"+-{r.azimuth_fov_deg:g} deg ({r.azimuth_bins} bins), resolution {r.range_resolution_m:.4f} m / "
        f"{r.azimuth_resolution_deg:.2f} deg; products {list(g.radar_products)}.",
        f"- Software: {m['package_versions']}.",
        "",
        "## Preprocessing / cleaning / labelling",
        "- None beyond the generator itself; labels are exact by construction. Fog is applied to images with "
        "Koschmieder's law from the depth map.",
        "",
        "## Uses",
        "- Intended: training and evaluating radio-visual self-supervised models, radio localisers, detectors.",
        f"- Caution: synthetic appearance and {_radar_limits(cfg)} differ from real sensors; validate on real data "
        "(e.g. CRUW) before deployment conclusions.",
        "",
        "## Distribution and maintenance",
        "- Format: schema-versioned HDF5 shards readable with plain h5py (docs/dataset_format.md), manifest with "
        "content hashes, `maxray verify` for integrity.",
        "- Regenerate or extend with the same configuration and seed: output is deterministic.",
    ]
    path = root / "DATASHEET.md"
    path.write_text("\n".join(lines) + "\n")
    return path
