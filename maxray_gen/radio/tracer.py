"""The one entry point from a scene snapshot to radar paths, whatever the engine (``trace.engine``).

``sbr`` (default): shooting and bouncing ray tubes with physical optics (:mod:`maxray_gen.radio.sbr`);
``sionna``: Sionna RT's path solver, kept as the comparison engine (:mod:`maxray_gen.radio.sionna_engine`).
Both keep their engine scene alive between traces and update it in place when only poses/velocities change.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.paths import PathSet
from maxray_gen.radio.config import TraceConfig
from maxray_gen.snapshot import SceneSnapshot


@runtime_checkable
class Tracer(Protocol):
    """What every radar engine is: ``trace(snapshot, rng) -> PathSet`` (monostatic paths of the basestation radar,
    objects attributed per path), keeping its engine scene between calls; ``variant`` names the Mitsuba/Dr.Jit
    variant it runs on."""

    @property
    def variant(self) -> str: ...

    def trace(self, snapshot: SceneSnapshot, rng: np.random.Generator) -> PathSet: ...


def engine_version(trace: TraceConfig) -> str:
    """Name and version of ``trace``'s engine, as recorded in every shard."""
    if trace.engine == "sbr":
        from maxray_gen.radio.sbr.engine import engine_version as sbr_version

        return sbr_version(trace)
    try:
        from importlib.metadata import version

        return f"sionna-rt {version('sionna-rt')}"
    except Exception:  # pragma: no cover - metadata missing
        return "sionna-rt"


def RadarTracer(radar: RadarConfig, trace: TraceConfig) -> Tracer:  # noqa: N802 - a factory named like a class
    """The :class:`Tracer` of ``trace.engine`` for this radar."""
    if trace.engine == "sbr":
        from maxray_gen.radio.sbr.engine import SbrTracer

        return SbrTracer(radar, trace)
    from maxray_gen.radio.sionna_engine import SionnaTracer

    return SionnaTracer(radar, trace)


_TRACERS: dict[tuple, Tracer] = {}


def trace(snapshot: SceneSnapshot, radar_config: RadarConfig, trace_config: TraceConfig,
          rng: np.random.Generator) -> PathSet:
    """Trace ``snapshot`` for ``radar_config``; reuses one engine scene per (radar, trace) configuration."""
    key = (radar_config.model_dump_json(), trace_config.model_dump_json())
    tracer = _TRACERS.get(key)
    if tracer is None:
        if len(_TRACERS) >= 4:
            _TRACERS.clear()
        tracer = _TRACERS[key] = RadarTracer(radar_config, trace_config)
    return tracer.trace(snapshot, rng)


__all__ = ["RadarTracer", "Tracer", "engine_version", "trace"]
