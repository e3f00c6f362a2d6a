"""The Rerun viewer's default layout for a dataset recording, and the radar's coverage outline drawn in 3-D."""

from __future__ import annotations

import numpy as np

from maxray_gen.geometry import direction
from maxray_gen.radar.config import RadarConfig


def fov_outline(cfg: RadarConfig, n: int = 33) -> list[np.ndarray]:
    """The radar's coverage in its own frame: the range window between +-azimuth_fov in the array's plane
    (elevation 0), as line strips (two arcs and the two edges)."""
    fov = np.radians(cfg.azimuth_fov_deg)
    az = np.linspace(-fov, fov, n)
    r0, r1 = float(cfg.range_axis_m[0]), float(cfg.range_axis_m[-1])
    arc = direction(az, np.zeros_like(az))
    edge = np.array([0.0, r1])
    return [arc * r0, arc * r1, direction(-fov, 0.0) * edge[:, None], direction(fov, 0.0) * edge[:, None]]


def blueprint(multi_frame: bool):
    """The default layout: the 3-D world on the left; camera, radar maps and the sample's text on the right."""
    import rerun.blueprint as rrb

    return rrb.Blueprint(
        rrb.Horizontal(
            rrb.Spatial3DView(name="world", origin="world",
                              contents=["+ /world/**", "- /world/camera/depth", "- /world/camera/instance"]),
            rrb.Vertical(
                rrb.Spatial2DView(name="camera", origin="world/camera",
                                  contents=["+ $origin/rgb/**"]),
                rrb.Horizontal(rrb.Spatial2DView(name="range-azimuth", origin="radar/range_azimuth"),
                               rrb.Spatial2DView(name="range-Doppler", origin="radar/range_doppler")),
                rrb.Tabs(rrb.Spatial2DView(name="depth", origin="world/camera", contents=["+ $origin/depth"]),
                         rrb.Spatial2DView(name="instances", origin="world/camera", contents=["+ $origin/instance"]),
                         rrb.TextDocumentView(name="sample", origin="sample/info")),
                row_shares=[3, 2, 2]),
            column_shares=[3, 2]),
        rrb.TimePanel(state="collapsed" if not multi_frame else "expanded"),
        collapse_panels=False,
    )
