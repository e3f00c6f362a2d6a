"""`TraceConfig`: how the radio ray tracer runs (depth, ray budget, interaction types, Tx/Rx geometry, engine)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from maxray_gen.schema import FieldProblem, StrictModel


class TraceConfig(StrictModel):
    """Ray-tracing settings for the co-located (monostatic) basestation radar.

    ``engine: sbr`` (default) is the shooting-and-bouncing-rays + physical-optics engine (maxray_gen.radio.sbr);
    ``engine: sionna`` is Sionna RT's image-method + diffuse path solver, kept for comparison. ``samples_per_src``,
    ``max_paths``, ``specular/diffuse_reflection``, ``refraction``, ``diffraction`` and ``deterministic`` apply to
    Sionna only; ``ray_spacing_m`` ... ``clutter_patch_m`` to SBR only.
    """

    engine: Literal["sbr", "sionna"] = Field("sbr", description="radar scattering engine: sbr (SBR + physical "
                                             "optics, default) or sionna (Sionna RT, for comparison)")

    max_depth: int = Field(5, ge=1, le=10, description="maximum interactions per path (the paper uses 5)")
    samples_per_src: int = Field(1_000_000, ge=1_000, le=100_000_000, description="rays shot from the transmitter")
    max_paths: int = Field(1_000_000, ge=1, le=100_000_000, description="cap on paths kept per trace")
    specular_reflection: bool = True
    diffuse_reflection: bool = True
    refraction: bool = False
    diffraction: bool = False
    max_path_length_m: float = Field(500.0, gt=0, description="paths longer than this are dropped (paper: 500 m)")
    beyond_unambiguous_range: Literal["drop", "keep"] = Field(
        "drop", description="paths whose range exceeds the radar's unambiguous range alias in the heatmap"
    )
    tx_offset_m: tuple[float, float, float] = Field(
        (0.02, -0.02, 0.0),
        description="transmitter position relative to the receive array centre, in the sensor frame (x right, y down,"
        " z boresight). A few cm apart keeps corner returns: the image-method path of a dihedral runs through its"
        " edge unless the offset has a component across the edge, so the default is diagonal (horizontal and"
        " vertical edges, and trihedrals)",
    )
    synthetic_array: bool = Field(
        True, description="trace to the array centre and let the radar model steer (fast); false traces to every "
        "receive element separately (exact near-field phases, about elements x slower)",
    )
    po_integration: Literal["facet", "tube"] = Field(
        "facet", description="SBR: how the physical-optics integral of the first bounce is evaluated: facet "
        "(closed form over every lit facet, exact for the mesh whatever the tube size; default) or tube (sampled by "
        "the ray tubes, the sbr-po 1.0 engine, kept for comparison)")
    later_bounces: Literal["tube", "beam"] = Field(
        "tube", description="SBR with po_integration facet: the PO integral of the second and later bounces, "
        "sampled by the tubes (default) or in closed form over each bounce chain's lit polygon (beam: exact and "
        "tube-independent for flat multi-bounce geometry such as corner reflectors and panels, several times "
        "slower on a parking lot, and no better where many tiny facet chains are found by chance)")
    max_facet_m: float = Field(0.1, gt=0.001, le=2.0, description="SBR facet integral: longer facets are split "
                               "(also wherever the wavefront's curvature over a facet would exceed pi / 8); "
                               "shadow edges are resolved at this size")
    ray_spacing_m: float | Literal["auto"] = Field(
        "auto", description="SBR: ray-tube spacing at the far side of each object (auto: 4 wavelengths, 2 cm at "
        "60 GHz; converged within 0.5 dB on cars, see docs/radio.md)")
    structure_spacing_m: float = Field(0.08, gt=0, le=1, description="SBR: tube spacing on objects that are not "
                                       "cars or targets (walls, kerbs, poles): flat faces need no fine tubes")
    max_rays: int = Field(8_000_000, ge=1, le=500_000_000, description="SBR: refuse a launch with more ray tubes "
                          "(memory grows ~200 bytes per tube on the CPU)")
    launch_cell_deg: float = Field(0.5, gt=0.01, le=10, description="SBR: coarse launch cell; each cell takes the "
                                   "finest tube grid any object in it needs")
    elevation_limit_deg: float = Field(60.0, gt=0, lt=90, description="SBR: launch elevations within +-this")
    range_margin_m: float = Field(2.0, ge=0, description="SBR: objects up to this beyond the range window are lit")
    merge_fraction: float = Field(1 / 16, gt=0, le=0.5, description="SBR: tubes touching the same objects whose "
                                  "path length and arrival angles fall in one cell of this fraction of the radar's "
                                  "resolutions merge coherently into one path")
    prune_db: float = Field(40.0, ge=0, le=200, description="SBR: drop merged paths this far below the weakest "
                            "echo the radar could detect (noise floor over the processing gain)")
    ground_clutter: bool = Field(True, description="SBR: ground backscatter from the constant-gamma statistical "
                                 "model (random-phase patch scatterers) instead of PO on ground facets")
    clutter_patch_m: float = Field(0.2, gt=0.01, le=5, description="SBR: ground clutter patch size")
    variant: str = Field("auto", description="Mitsuba variant: auto (CUDA when a GPU is present, else LLVM) or a name")
    deterministic: bool = Field(True, description="Sionna's deterministic path solver: identical paths run to run")
    weather_attenuation: bool = Field(True, description="rain (ITU-R P.838) and gas (ITU-R P.676) attenuation of "
                                                        "every path by its length, from the sample's weather")
    weather_materials: bool = Field(True, description="wet / snow-covered ground and kerbs change their radio "
                                                      "material (water film, snow layer)")

    @model_validator(mode="after")
    def _check(self) -> "TraceConfig":
        if self.engine == "sbr" and not self.synthetic_array:
            raise FieldProblem("synthetic_array", "per-element tracing (false) is available with engine: sionna "
                                                  "only; the sbr engine traces to the array centre")
        if not (self.specular_reflection or self.diffuse_reflection or self.refraction or self.diffraction):
            raise FieldProblem("specular_reflection", "all interaction types are disabled: the radar would see nothing")
        off = sum(v * v for v in self.tx_offset_m) ** 0.5
        if off == 0:
            raise FieldProblem("tx_offset_m", "exactly co-located transmitter and receiver lose dihedral/trihedral "
                                              "returns; use a few centimetres (e.g. [0.02, -0.02, 0])")
        if off > 1.0:
            raise FieldProblem("tx_offset_m", f"offset {off:.3g} m is not a co-located radar (keep it below 1 m)")
        if self.variant != "auto" and not self.variant.startswith(("llvm_", "cuda_")):
            raise FieldProblem("variant", f"{self.variant!r} is not a Dr.Jit variant (auto, llvm_ad_mono_polarized, "
                                          "cuda_ad_mono_polarized, ...)")
        return self
