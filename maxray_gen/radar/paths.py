"""`PathSet`: the contract between the ray tracer and the radar model (plain numpy arrays).

One entry per propagation path from the transmitter back to the receive array's reference point (its centre):

- ``gain``: complex field amplitude (received amplitude for unit transmitted amplitude, carrier phase included);
- ``delay_s``: total propagation delay (path length / c; for a single monostatic bounce 2R/c);
- ``doppler_hz``: Doppler shift, positive for a closing path (2 v_r / lambda for a monostatic point);
- ``aoa_azimuth``/``aoa_elevation`` and ``aod_azimuth``/``aod_elevation``: radians in the sensor frame
  (azimuth positive to the right, elevation positive up; see :mod:`maxray_gen.geometry`);
- ``objects``: (L, D) int32 ids of the objects each path interacted with, in order, -1 padded;
- ``interactions``: (L, D) int8 interaction type per bounce (see :data:`INTERACTION_NAMES`), 0 padded;
- ``element``: (L,) int32 receive element the path ends on (row * columns + column) when traced per element, or
  -1 (default) for paths to the array's reference point, to which the radar model applies the array steering.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from maxray_gen.constants import SPEED_OF_LIGHT
from maxray_gen.errors import DataError
from maxray_gen.npzfile import load_npz, save_npz

INTERACTION_NAMES = {0: "none", 1: "specular", 2: "diffuse", 3: "refraction", 4: "diffraction"}
_FLOAT_FIELDS = ("delay_s", "doppler_hz", "aoa_azimuth", "aoa_elevation", "aod_azimuth", "aod_elevation")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class PathSet:
    """Propagation paths of one radar frame (see module docstring for the fields and conventions)."""

    gain: np.ndarray
    delay_s: np.ndarray
    doppler_hz: np.ndarray
    aoa_azimuth: np.ndarray
    aoa_elevation: np.ndarray
    aod_azimuth: np.ndarray | None = None
    aod_elevation: np.ndarray | None = None
    objects: np.ndarray | None = None
    interactions: np.ndarray | None = None
    carrier_hz: float | None = None
    element: np.ndarray | None = None

    def __post_init__(self) -> None:
        gain = np.atleast_1d(np.asarray(self.gain, dtype=np.complex128))
        if gain.ndim != 1:
            raise DataError(f"PathSet.gain must be 1-D, got shape {gain.shape}")
        n = gain.shape[0]
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        set_("gain", gain)
        for name in _FLOAT_FIELDS:
            value = getattr(self, name)
            if value is None:  # departure angles default to the arrival angles (monostatic)
                value = getattr(self, name.replace("aod", "aoa"))
            arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
            if arr.shape != (n,):
                raise DataError(f"PathSet.{name} must have shape ({n},) like gain, got {arr.shape}")
            set_(name, arr)
        objects = np.full((n, 0), -1, np.int32) if self.objects is None else np.asarray(self.objects)
        if objects.ndim == 1:
            objects = objects[:, None]
        if objects.ndim != 2 or objects.shape[0] != n:
            raise DataError(f"PathSet.objects must have shape ({n}, depth), got {objects.shape}")
        set_("objects", objects.astype(np.int32, copy=False))
        inter = np.zeros(objects.shape, np.int8) if self.interactions is None else np.asarray(self.interactions)
        if inter.shape != objects.shape:
            raise DataError(f"PathSet.interactions must have shape {objects.shape} like objects, got {inter.shape}")
        set_("interactions", inter.astype(np.int8, copy=False))
        elem = np.full(n, -1, np.int32) if self.element is None else np.atleast_1d(np.asarray(self.element))
        if elem.shape != (n,):
            raise DataError(f"PathSet.element must have shape ({n},) like gain, got {elem.shape}")
        set_("element", elem.astype(np.int32, copy=False))
        for name in ("gain", *_FLOAT_FIELDS):
            bad = ~np.isfinite(getattr(self, name))
            if bad.any():
                raise DataError(f"PathSet.{name} has {int(bad.sum())} non-finite value(s) (first at path {int(np.argmax(bad))})")
        if (self.delay_s < 0).any():
            raise DataError(f"PathSet.delay_s has negative delays (min {self.delay_s.min():.3g} s)")
        if self.carrier_hz is not None:
            set_("carrier_hz", float(self.carrier_hz))

    # ---- views ------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.gain.shape[0])

    @property
    def per_element(self) -> np.ndarray:
        """Mask of paths traced to an individual receive element."""
        return self.element >= 0

    @property
    def depth(self) -> int:
        return int(self.objects.shape[1])

    @property
    def path_length_m(self) -> np.ndarray:
        return self.delay_s * SPEED_OF_LIGHT

    @property
    def range_m(self) -> np.ndarray:
        """Monostatic range: half the path length."""
        return self.delay_s * SPEED_OF_LIGHT / 2

    def select(self, mask_or_index: np.ndarray) -> "PathSet":
        """A new PathSet with the selected paths (boolean mask or integer indices)."""
        i = np.asarray(mask_or_index)
        return PathSet(
            self.gain[i], self.delay_s[i], self.doppler_hz[i], self.aoa_azimuth[i], self.aoa_elevation[i],
            self.aod_azimuth[i], self.aod_elevation[i], self.objects[i], self.interactions[i], self.carrier_hz,
            self.element[i],
        )

    def touches(self, object_ids) -> np.ndarray:
        """Boolean mask of the paths that interacted with any of ``object_ids``."""
        return np.isin(self.objects, np.atleast_1d(object_ids)).any(axis=1)

    @staticmethod
    def concatenate(parts: list["PathSet"]) -> "PathSet":
        """Join path sets (object tables padded to the deepest)."""
        if not parts:
            return PathSet.empty()
        depth = max(p.depth for p in parts)
        carriers = {p.carrier_hz for p in parts if p.carrier_hz is not None}
        if len(carriers) > 1:
            raise DataError(f"cannot concatenate paths traced at different carriers {sorted(carriers)}")

        def pad(a: np.ndarray, fill) -> np.ndarray:
            return np.pad(a, ((0, 0), (0, depth - a.shape[1])), constant_values=fill)

        cat = lambda name: np.concatenate([getattr(p, name) for p in parts])  # noqa: E731
        return PathSet(
            cat("gain"), cat("delay_s"), cat("doppler_hz"), cat("aoa_azimuth"), cat("aoa_elevation"),
            cat("aod_azimuth"), cat("aod_elevation"),
            np.concatenate([pad(p.objects, -1) for p in parts]),
            np.concatenate([pad(p.interactions, 0) for p in parts]),
            carriers.pop() if carriers else None,
            cat("element"),
        )

    @staticmethod
    def empty() -> "PathSet":
        z = np.zeros(0)
        return PathSet(z.astype(np.complex128), z, z, z, z)

    # ---- files ------------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write an ``.npz`` file (atomically: a temporary name, then rename)."""
        arrays = {name: getattr(self, name) for name in ("gain", *_FLOAT_FIELDS, "objects", "interactions", "element")}
        arrays["carrier_hz"] = np.array(np.nan if self.carrier_hz is None else self.carrier_hz)
        save_npz(path, arrays, "path_list", FORMAT_VERSION, "path list")

    @classmethod
    def load(cls, path: str | Path) -> "PathSet":
        """Read a file written by :meth:`save` (no pickles are loaded)."""
        data = load_npz(path, "path_list", FORMAT_VERSION, "path-list")
        missing = [k for k in ("gain", *_FLOAT_FIELDS, "objects", "interactions") if k not in data]
        if missing:
            raise DataError(f"{path}: path list lacks array(s) {', '.join(missing)}")
        carrier = float(data.pop("carrier_hz", np.nan))
        try:
            return cls(**{k: data[k] for k in ("gain", *_FLOAT_FIELDS, "objects", "interactions")},
                       carrier_hz=None if np.isnan(carrier) else carrier, element=data.get("element"))
        except DataError as exc:
            raise DataError(f"{path}: {exc}") from None
