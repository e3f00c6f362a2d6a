"""Configuration of scene sampling (the `scene` section)."""

from __future__ import annotations

from pydantic import Field, model_validator

from maxray_gen.schema import FieldProblem, StrictModel

ADDED = {"added": True}  # options added after datasets were made: left out of hashes while at their default

LIGHTINGS = ("day", "dusk", "night")
WEATHERS = ("clear", "rain", "fog", "snow")


class SceneConfig(StrictModel):
    """How parking-lot scenes are randomised (see docs/scenarios.md for the distributions)."""

    min_cars: int = Field(0, ge=0, le=20)
    max_cars: int = Field(20, ge=0, le=20, description="parked cars; the lot has 2 rows x 10 slots")
    min_moving_cars: int = Field(0, ge=0, le=4, description="at least this many cars drive (room is kept for them)")
    max_moving_cars: int = Field(2, ge=0, le=4, description="cars driving along the lane (0..this many)")
    moving_speed_mps: tuple[float, float] = Field((1.0, 6.0), description="speed range of moving cars")
    lighting: dict[str, float] = Field(default_factory=lambda: {"day": 0.5, "dusk": 0.25, "night": 0.25},
                                       description="lighting probabilities")
    weather: dict[str, float] = Field(default_factory=lambda: {"clear": 0.4, "rain": 0.2, "fog": 0.2, "snow": 0.2},
                                      description="weather probabilities")
    basestation_height_m: tuple[float, float] = Field((4.0, 6.0), description="mounting height range")
    look_at_distance_m: float = Field(16.0, gt=2, le=40, description="boresight meets the ground this far ahead")
    blend: str | None = Field(None, description="a tagged .blend scenario (docs/scenarios.md) instead of the "
                                                "randomised lot: its geometry, radio materials and basestation as "
                                                "authored, lighting and weather randomised per sample")
    slot_jitter_m: float = Field(0.15, ge=0, le=0.5)
    yaw_noise_deg: float = Field(3.0, ge=0, le=20)
    lamp_failure: float = Field(0.15, ge=0, le=1, description="probability that a lot lamp is out at dusk/night "
                                "(each lamp on its own): dark corners where cars are labelled but not seen")

    people: int = Field(0, ge=0, le=30, description="people in the lot (walking or standing; docs/scenarios.md)",
                        json_schema_extra=ADDED)
    people_standing_share: float = Field(0.3, ge=0, le=1, description="share of people standing still",
                                         json_schema_extra=ADDED)
    child_share: float = Field(0.2, ge=0, le=1, description="share of children (5-12 years) among people",
                               json_schema_extra=ADDED)
    cyclists: int = Field(0, ge=0, le=10, description="cyclists riding along the lane and the front walkway",
                          json_schema_extra=ADDED)
    cyclist_speed_mps: tuple[float, float] = Field((3.0, 7.0), description="cyclists' speed range",
                                                   json_schema_extra=ADDED)
    drones: int = Field(0, ge=0, le=6, description="small quadcopters over the lot", json_schema_extra=ADDED)
    drone_height_m: tuple[float, float] = Field((3.0, 8.0), description="flying height range above the ground",
                                                json_schema_extra=ADDED)
    drone_hover_share: float = Field(0.5, ge=0, le=1, description="share of drones hovering (the rest fly level)",
                                     json_schema_extra=ADDED)
    drone_speed_mps: tuple[float, float] = Field((1.0, 8.0), description="speed range of flying drones",
                                                 json_schema_extra=ADDED)
    drone_rotor_hz: tuple[float, float] = Field((80.0, 120.0), description="rotor revolutions per second",
                                                json_schema_extra=ADDED)

    @model_validator(mode="after")
    def _check(self) -> "SceneConfig":
        if self.min_cars > self.max_cars:
            raise FieldProblem("min_cars", f"min_cars {self.min_cars} > max_cars {self.max_cars}")
        if self.min_cars + self.min_moving_cars > self.max_cars:
            raise FieldProblem("min_moving_cars", f"min_cars {self.min_cars} + min_moving_cars "
                                                  f"{self.min_moving_cars} > max_cars {self.max_cars}")
        if self.min_moving_cars > self.max_moving_cars:
            raise FieldProblem("min_moving_cars", f"min_moving_cars {self.min_moving_cars} > max_moving_cars "
                                                  f"{self.max_moving_cars}")
        for field, table, names in (("lighting", self.lighting, LIGHTINGS), ("weather", self.weather, WEATHERS)):
            unknown = sorted(set(table) - set(names))
            if unknown:
                raise FieldProblem(field, f"unknown {field} {unknown}; choose from {list(names)}")
            if any(p < 0 for p in table.values()) or sum(table.values()) <= 0:
                raise FieldProblem(field, f"{field} probabilities must be >= 0 and not all zero, got {table}")
        lo, hi = self.moving_speed_mps
        if not 0 <= lo <= hi <= 15:
            raise FieldProblem("moving_speed_mps", f"need 0 <= low <= high <= 15 m/s, got {lo}, {hi}")
        for field, (lo, hi), low, high in (("drone_height_m", self.drone_height_m, 0.5, 120.0),
                                           ("drone_speed_mps", self.drone_speed_mps, 0.0, 20.0),
                                           ("cyclist_speed_mps", self.cyclist_speed_mps, 0.5, 12.0),
                                           ("drone_rotor_hz", self.drone_rotor_hz, 1.0, 400.0)):
            if not low <= lo <= hi <= high:
                raise FieldProblem(field, f"need {low:g} <= low <= high <= {high:g}, got {lo}, {hi}")
        lo, hi = self.basestation_height_m
        if not 1.0 <= lo <= hi <= 30:
            raise FieldProblem("basestation_height_m", f"need 1 <= low <= high <= 30 m, got {lo}, {hi}")
        return self
