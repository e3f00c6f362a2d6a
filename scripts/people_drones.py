"""People and drones against their anchors, with pictures (issue 36): a walking person's spectrogram beside the
gait model, RCS over aspect against 3GPP TR 38.901 Rel-19, one rotor's blade flashes, and a parked lot's
range-Doppler map with a walking person and a drone (how far each stands out).

    python scripts/people_drones.py --out docs/images

Prints the figures docs/people_and_drones.md quotes; takes about 3 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from maxray_gen.config import Config  # noqa: E402
from maxray_gen.geometry import Pose  # noqa: E402
from maxray_gen.pipeline.micro_doppler import object_spectrogram, single_target_scene  # noqa: E402
from maxray_gen.pipeline.radar_stage import radar_stage  # noqa: E402
from maxray_gen.radar.micro_doppler import object_profiles  # noqa: E402
from maxray_gen.radio.rcs import rcs_tracer, sweep_parts  # noqa: E402
from maxray_gen.radio.tracer import RadarTracer  # noqa: E402
from maxray_gen.scene.cyclists import CyclistSpec  # noqa: E402
from maxray_gen.scene.drones import DroneSpec, drone_pieces  # noqa: E402
from maxray_gen.scene.lot import build_snapshot  # noqa: E402
from maxray_gen.scene.people import PersonSpec, person_pieces  # noqa: E402
from maxray_gen.scene.spec import sample_scene  # noqa: E402
from maxray_gen.sensors.groundtruth import instance_truth  # noqa: E402
from maxray_gen.snapshot import SceneSnapshot, SnapshotObject  # noqa: E402

TR = {"person": (-1.37, 3.94), "drone": (-12.81, 3.74)}  # TR 38.901 Rel-19 Table 7.9.2.1-1, model 1


def radial(person: PersonSpec, t: float, mast: np.ndarray) -> dict[str, float]:
    out = {}
    for name, _m, v, _f, vel in person_pieces(person, t):
        los = v.mean(axis=0) - mast
        out[name] = -float(vel @ los) / float(np.linalg.norm(los))
    return out


def spectrogram_figure(out: Path) -> None:
    """A walking person at 12 m through the default radar and through a noise-free radar with a Blackman Doppler
    window (the limbs' envelope), and a cyclist (wheels up to twice its speed)."""
    person = PersonSpec(300, 0.0, 12.0, -math.pi / 2, 1.75, 1.4, 0.0)
    cyclist = CyclistSpec(500, 0.5, 16.0, -math.pi / 2, 1.75, 4.0, 75.0, 0.0)
    clean = {"radar": {"noise": {"model": "none"}, "doppler_window": "blackman"}}
    times = np.arange(50) / 25.0
    fig, ax = plt.subplots(1, 3, figsize=(17, 4))
    for a, (label, overrides, who) in zip(ax, (("default radar", {}, person), ("noise-free, Blackman", clean, person),
                                               ("cyclist, default radar", {}, cyclist))):
        cfg = Config.model_validate(overrides)
        spec = single_target_scene(cfg, people=[person] if who is person else [])
        if who is cyclist:
            spec = replace(spec, cyclists=(cyclist,))
        sg = object_spectrogram(spec, who.instance_id, times, cfg)
        dt = times[1] - times[0]
        a.imshow(sg.db(40.0).T, origin="lower", aspect="auto", cmap="viridis",
                 extent=(times[0] - dt / 2, times[-1] + dt / 2, sg.velocity_mps[0], sg.velocity_mps[-1]))
        if who is person:
            mast = spec.basestation.position
            model = [radial(person, t, mast) for t in times]
            torso = np.array([m["thorax"] for m in model])
            top = np.array([max(m.values()) for m in model])
            a.plot(times, torso, "w--", lw=1, label="gait model: torso")
            a.plot(times, top, "r:", lw=1.2, label="gait model: fastest piece")
            a.legend(loc="lower right", fontsize=7)
            print(f"spectrogram ({label}): model torso mean {torso.mean():.2f} m/s, fastest piece peak "
                  f"{top.max():.2f} m/s ({top.max() / torso.mean():.1f}x)")
        a.set(xlabel="time (s)", ylabel="radial velocity (m/s), + approaching", title=label)
    fig.suptitle("walking person (1.75 m, 1.4 m/s, cycle 1.05 s) at 12 m; cyclist 4 m/s, 75 rpm at 16 m")
    fig.tight_layout()
    fig.savefig(out / "micro_doppler_person.png", dpi=110)
    plt.close(fig)


def rcs_figure(out: Path) -> None:
    cfg = Config()
    tracer = rcs_tracer(cfg.radar, cfg.trace, 10.0)
    aspects = np.radians(np.arange(0.0, 360.0, 5.0) + 1.0)
    person = PersonSpec(300, 0.0, 0.0, 0.0, 1.75, 0.0, 0.0)
    drone = DroneSpec(400, 0.0, 0.0, 0.0, 0.0, (0.0, 0.0, 0.0), 100.0, 2, (0.3, 1.1, 2.0, 2.9))
    sweeps = {"person": sweep_parts(tracer, [(m, (v, f)) for _n, m, v, f, _u in person_pieces(person, 0.0)], 1.0,
                                    aspects, 10.0, "person"),
              "drone": sweep_parts(tracer, [(m, (v, f)) for _n, m, v, f, _u in drone_pieces(drone, 0.0)], 0.0,
                                   aspects, 10.0, "drone")}
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.6))
    for a, (name, sw) in zip(ax, sweeps.items()):
        db = sw.rcs_dbsm
        m, s = TR[name]
        a.plot(np.degrees(aspects), db, lw=0.8)
        a.axhspan(m - s, m + s, color="tab:orange", alpha=0.2, label="TR 38.901 mean +- spread")
        power_mean = 10 * np.log10(np.mean(sw.rcs_m2))
        a.axhline(power_mean, color="k", lw=1, label=f"power mean {power_mean:.1f} dBsm")
        a.set(xlabel="aspect (deg)", ylabel="RCS (dBsm)", title=f"{name} at 10 m, 60 GHz")
        a.legend(fontsize=8)
        print(f"RCS {name}: power mean {power_mean:.2f} dBsm, dB mean {db.mean():.2f}, median {np.median(db):.2f}, "
              f"std {db.std():.2f} dB (TR {m} +- {s})")
    fig.tight_layout()
    fig.savefig(out / "rcs_person_drone.png", dpi=120)
    plt.close(fig)


def flash_figure(out: Path) -> None:
    cfg = Config()
    tracer = RadarTracer(cfg.radar, cfg.trace.model_copy(update={"ground_clutter": False}))
    pose = Pose.look_at([0.0, 0.0, 4.0], [0.0, 10.0, 4.0])
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for blades in (2, 3):
        d = DroneSpec(400, 0.0, 10.0, 4.0, 0.3, (0.0, 0.0, 0.0), 100.0, blades, (0.1, 0.7, 1.9, 2.6))
        n = 180
        dt = 1.0 / d.rotor_hz / n
        pw = []
        for k in range(n):
            objs = [SnapshotObject(nm, 400, "drone", m, v, f, u) for nm, m, v, f, u in drone_pieces(d, k * dt)
                    if nm.startswith("rotor0_")]
            pw.append(abs(tracer.trace(SceneSnapshot(tuple(objs), pose), np.random.default_rng(k)).gain.sum()) ** 2)
        db = 10 * np.log10(np.array(pw) / max(pw))
        ax.plot(np.arange(n) * dt * 1e3, db, label=f"{blades} blades")
    ax.set(xlabel="time (ms), one revolution at 100 rev/s", ylabel="rotor echo (dB)", ylim=(-40, 2),
           title="one rotor's blade flashes (radar level with the rotor, 10 m)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "rotor_flashes.png", dpi=120)
    plt.close(fig)


def contrast_figure(out: Path) -> None:
    cfg = Config.model_validate({"scene": {"max_cars": 12, "max_moving_cars": 0, "weather": {"clear": 1.0}},
                                 "radar": {"elevation_mode": "noncoherent"}})
    base = sample_scene(cfg.scene, cfg.camera, 3, 0)
    person = PersonSpec(300, -2.0, 16.0, -math.pi / 2 + 0.3, 1.75, 1.4, 0.2)
    rows = []
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for a, (label, vel) in zip(ax, (("hovering", (0.0, 0.0, 0.0)), ("flying 4 m/s", (0.0, -4.0, 0.0)))):
        drone = DroneSpec(400, 3.0, 12.0, 4.0, 0.5, vel, 100.0)
        spec = replace(base, people=(person,), drones=(drone,))
        snap = build_snapshot(spec)
        rd = radar_stage(snap, cfg, 0, 0, spec.weather, products=("range_doppler",)).maps["range_doppler"]
        v, r = cfg.radar.doppler_axis_mps, cfg.radar.range_axis_m
        moving = np.abs(v) > cfg.radar.velocity_bin_mps * 1.01
        floor = np.median(rd[:, moving])
        truth = {t.instance_id: t for t in instance_truth(snap, cfg.radar)}
        for iid in (300, 400):
            prof = object_profiles(rd, [truth[iid].range_bin], 3)[0]
            rows.append((label, "person" if iid == 300 else "drone", truth[iid].range_m,
                         10 * np.log10(prof[moving].max() / floor)))
        db = 10 * np.log10(np.maximum(rd, 1e-300))
        lo = 10 * np.log10(floor)
        a.imshow(db, origin="lower", aspect="auto", extent=(v[0], v[-1], r[0], r[-1]), vmin=lo - 3, vmax=lo + 35)
        for iid, name in ((300, "person"), (400, "drone")):
            t = truth[iid]
            a.plot(t.radial_velocity_mps, t.range_m, "wo", mfc="none", ms=9)
            a.text(t.radial_velocity_mps + 0.4, t.range_m + 0.4, name, color="white", fontsize=8)
        a.set(xlabel="radial velocity (m/s)", ylabel="range (m)", title=f"12 parked cars, walking person, drone {label}")
    fig.tight_layout()
    fig.savefig(out / "people_drones_range_doppler.png", dpi=120)
    plt.close(fig)
    for label, name, rng, c in rows:
        print(f"range-Doppler contrast, drone {label}: {name} at {rng:.1f} m stands {c:.1f} dB over the moving-bin "
              "median")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/images"))
    ap.add_argument("--only", choices=("spectrogram", "rcs", "flashes", "contrast"), default=None)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, fn in (("spectrogram", spectrogram_figure), ("rcs", rcs_figure), ("flashes", flash_figure),
                     ("contrast", contrast_figure)):
        if args.only in (None, name):
            fn(args.out)


if __name__ == "__main__":
    main()
