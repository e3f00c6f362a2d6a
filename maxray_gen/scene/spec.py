"""`SceneSpec`: everything that defines one parking-lot sample, as plain data, and its sampling.

World frame: x east, y north, z up (metres). The basestation stands at the lot's southern edge (x = 0, y = 0) on a
mast and looks north over the lot; the camera is co-located with it and aligned with the array boresight.

Lot layout (fixed; see docs/scenarios.md): two rows of 10 perpendicular slots (2.5 m x 5 m) facing a 6 m lane,
row A at y 8-13 m and row B at y 19-24 m, slots spanning x -12.5..12.5 m; kerbs behind both rows, four lamp posts
at the row ends, a concrete building wall at y = 28 m, asphalt ground.

Every random choice comes from a named stream ``rng_for(seed, index, stream)``: ``layout`` (mast height, which
slots are occupied), ``cars`` (bodies, colours, jitter, moving cars), ``lighting``, ``weather``, ``people`` and
``drones``, ``cyclists`` (drawn only when ``scene.people`` / ``drones`` / ``cyclists`` ask for some, so car-only
scenes are unchanged).
Changing one stream's seed or probabilities leaves the others' draws unchanged.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from maxray_gen.geometry import Pose
from maxray_gen.scene.cyclists import FIRST_CYCLIST_ID, CyclistSpec, sample_cyclist
from maxray_gen.scene.drones import FIRST_DRONE_ID, DroneSpec, sample_drone
from maxray_gen.scene.people import FIRST_PERSON_ID, PersonSpec, sample_person
from maxray_gen.scene.config import LIGHTINGS, WEATHERS, SceneConfig
from maxray_gen.sensors.config import CameraConfig
from maxray_gen.scene.slots import CarSpec, Lane, Slot, fill, obb_overlap  # noqa: F401 (re-exported)
from maxray_gen.seeding import rng_for

SLOT_WIDTH, SLOT_DEPTH, COLUMNS = 2.5, 5.0, 10
ROW_Y = (10.5, 21.5)  # slot centres of rows A and B
LANE_Y = (13.0, 19.0)
WALL_Y = 28.0
# Lamp posts (x, y, arm direction): 6 m poles with a 1.25 m arm; four at the row ends, four on the kerbs behind
# the rows (between slots), so that every slot is within ~10 m of a luminaire (see docs/scenarios.md "Night").
LAMP_POSTS = ((-14.0, 10.5, 1, 0), (14.0, 10.5, -1, 0), (-14.0, 21.5, 1, 0), (14.0, 21.5, -1, 0),
              (-5.0, 7.5, 0, 1), (5.0, 7.5, 0, 1), (-5.0, 24.5, 0, -1), (5.0, 24.5, 0, -1))
LAMP_HEIGHT_M, LAMP_ARM_M = 6.0, 1.25


def lamp_head(post: tuple[float, float, int, int]) -> tuple[float, float, float]:
    """Where a post's luminaire hangs: under the end of its arm."""
    x, y, dx, dy = post
    return x + dx * (LAMP_ARM_M - 0.15), y + dy * (LAMP_ARM_M - 0.15), LAMP_HEIGHT_M - 0.15
FIRST_CAR_ID = 100


@dataclass(frozen=True)
class LightingSpec:
    kind: str
    sun_elevation_deg: float
    sun_azimuth_deg: float  # compass-like: 0 = +y (north), 90 = +x (east)
    sun_strength: float
    sky_strength: float
    street_lights: bool
    lamps: tuple[bool, ...] = ()  # which of LAMP_POSTS shine (empty: all, when street_lights)

    def lamp_on(self, k: int) -> bool:
        return self.street_lights and (not self.lamps or self.lamps[k])


@dataclass(frozen=True)
class WeatherSpec:
    kind: str
    intensity: float  # 0..1
    rain_rate_mm_h: float
    fog_visibility_m: float  # meteorological visibility (inf when no fog)
    snow_cover: float  # 0..1 fraction of upward surfaces covered
    wetness: float  # 0..1


@dataclass(frozen=True)
class SceneSpec:
    seed: int
    index: int
    cars: tuple[CarSpec, ...]
    lighting: LightingSpec
    weather: WeatherSpec
    basestation: Pose
    camera: CameraConfig
    stream_seeds: dict[str, int] = field(default_factory=dict)
    time_s: float = 0.0  # time since the sequence's first frame
    people: tuple[PersonSpec, ...] = ()  # at t = 0 (they walk on through time_s)
    drones: tuple[DroneSpec, ...] = ()
    cyclists: tuple[CyclistSpec, ...] = ()

    def to_dict(self) -> dict:
        """Fully resolved parameters (JSON-able)."""
        d = {"seed": self.seed, "index": self.index, "time_s": self.time_s, "stream_seeds": dict(self.stream_seeds),
             "cars": [asdict(c) for c in self.cars], "lighting": asdict(self.lighting),
             "weather": asdict(self.weather), "camera": self.camera.model_dump(),
             "basestation": {"position": self.basestation.position.tolist(),
                             "rotation": self.basestation.rotation.tolist()}}
        for name in ("people", "drones", "cyclists"):  # only when present: car-only scenes keep their parameters
            if getattr(self, name):
                d[name] = [asdict(x) for x in getattr(self, name)]
        d["weather"]["fog_visibility_m"] = None if math.isinf(self.weather.fog_visibility_m) else \
            self.weather.fog_visibility_m
        return d


def slot_centre(slot: int) -> tuple[float, float]:
    row, col = divmod(slot, COLUMNS)
    return -12.5 + SLOT_WIDTH * (col + 0.5), ROW_Y[row]


def _choose(rng: np.random.Generator, table: dict[str, float], order: tuple[str, ...]) -> str:
    names = [n for n in order if table.get(n, 0) > 0]
    p = np.array([table[n] for n in names])
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def sample_lighting(rng: np.random.Generator, cfg: SceneConfig) -> LightingSpec:
    kind = _choose(rng, cfg.lighting, LIGHTINGS)
    az = float(rng.uniform(0, 360))
    if kind == "day":
        return LightingSpec(kind, float(rng.uniform(25, 65)), az, float(rng.uniform(2.0, 3.0)), 1.0, False)
    if kind == "dusk":
        return LightingSpec(kind, float(rng.uniform(1, 7)), az, float(rng.uniform(0.8, 1.6)), 0.8, True,
                            _lamps(rng, cfg))
    return LightingSpec(kind, -20.0, az, 0.0, float(rng.uniform(0.01, 0.03)), True, _lamps(rng, cfg))


def _lamps(rng: np.random.Generator, cfg: SceneConfig) -> tuple[bool, ...]:
    return tuple(bool(x) for x in rng.random(len(LAMP_POSTS)) >= cfg.lamp_failure)


def sample_weather(rng: np.random.Generator, cfg: SceneConfig) -> WeatherSpec:
    kind = _choose(rng, cfg.weather, WEATHERS)
    x = float(rng.uniform(0.3, 1.0))
    inf = float("inf")
    if kind == "rain":
        rate = float(2.0 + 48.0 * x**2)  # 2-50 mm/h
        return WeatherSpec(kind, x, rate, max(3000.0 / (1 + rate / 5), 300.0), 0.0, float(min(1.0, 0.4 + x)))
    if kind == "fog":
        return WeatherSpec(kind, x, 0.0, float(250.0 * (1.0 - x) + 40.0), 0.0, 0.3 * x)
    if kind == "snow":
        return WeatherSpec(kind, x, 0.0, float(2000.0 * (1.0 - x) + 150.0), float(0.3 + 0.7 * x), 0.2)
    return WeatherSpec("clear", 0.0, 0.0, inf, 0.0, 0.0)


def lot_slots() -> tuple[Slot, ...]:
    """The built-in lot's 20 slots (row A then row B, west to east), facing the lane."""
    out = []
    for slot in range(2 * COLUMNS):
        x, y = slot_centre(slot)
        out.append(Slot(x, y, 0.0, math.pi / 2 if y < LANE_Y[0] else -math.pi / 2, f"slot{slot}"))
    return tuple(out)


LOT_LANE = Lane(0.0, (LANE_Y[0] + LANE_Y[1]) / 2, 0.0, 0.0, 22.0, "lane")


def sample_cars(rng_layout: np.random.Generator, rng_cars: np.random.Generator, cfg: SceneConfig) -> tuple[CarSpec, ...]:
    """The built-in lot's cars: its slots and its lane filled by :func:`maxray_gen.scene.slots.fill`."""
    return fill(rng_layout, rng_cars, cfg, lot_slots(), (LOT_LANE,), FIRST_CAR_ID)


# Where people go (x range, y range, walking direction: "x" along the rows, "y" across the lane), with weights:
# the walkway between the mast and row A, the lane (crossing or along its edge), the walkway along the wall.
PEOPLE_ZONES = (((-12.5, 12.5), (3.0, 7.4), "x", 0.3), ((-12.5, 12.5), (13.4, 18.6), "y", 0.2),
                ((-12.5, 12.5), (13.4, 18.6), "x", 0.1), ((-12.5, 12.5), (24.6, 27.4), "x", 0.2))
EMPTY_SLOT_WEIGHT = 0.2  # ... and empty slots (walking to or from a car: across the row)
DRONE_AREA = (-10.0, 10.0, 8.0, 24.0)  # x0, x1, y0, y1: over the rows and the lane
CLEARANCE_M = 0.3  # a placed person keeps this gap to cars and other people


def sample_people(rng: np.random.Generator, cfg: SceneConfig, cars: tuple[CarSpec, ...]) -> tuple[PersonSpec, ...]:
    """``scene.people`` people on the walkways, the lane and in empty slots, clear of cars and of each other
    (rejection sampling, 50 tries each; someone who finds no room is left out)."""
    empty = sorted(set(range(2 * COLUMNS)) - {c.slot for c in cars if c.slot >= 0})
    zones = PEOPLE_ZONES
    weights = [z[3] for z in zones] + ([EMPTY_SLOT_WEIGHT] if empty else [])
    p = np.array(weights) / sum(weights)
    people: list[PersonSpec] = []
    for _ in range(cfg.people):
        for _ in range(50):
            z = int(rng.choice(len(p), p=p))
            if z < len(zones):
                (x0, x1), (y0, y1), axis, _w = zones[z]
                x, y = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
            else:
                x, y = slot_centre(empty[int(rng.integers(len(empty)))])
                x, y, axis = x + float(rng.uniform(-0.6, 0.6)), y + float(rng.uniform(-1.8, 1.8)), "y"
            yaw = (0.0 if axis == "x" else math.pi / 2) + (math.pi if rng.random() < 0.5 else 0.0)
            yaw += math.radians(float(rng.normal(0, 10)))
            cand = sample_person(rng, FIRST_PERSON_ID + len(people), x, y, yaw, cfg.child_share,
                                 cfg.people_standing_share)
            if cand.speed_mps == 0:
                cand = replace(cand, yaw=float(rng.uniform(-math.pi, math.pi)))
            fp = cand.footprint()
            if not any(obb_overlap(fp, c.footprint(), CLEARANCE_M) for c in cars) and \
                    not any(obb_overlap(fp, q.footprint(), CLEARANCE_M) for q in people):
                people.append(cand)
                break
    return tuple(people)


# Where cyclists ride (x range, y range, weight): the lane (on either half) and the walkway before row A; along x.
CYCLIST_ZONES = (((-11.0, 11.0), (13.8, 18.2), 0.7), ((-11.0, 11.0), (3.5, 6.9), 0.3))


def sample_cyclists(rng: np.random.Generator, cfg: SceneConfig, cars: tuple[CarSpec, ...],
                    people: tuple[PersonSpec, ...]) -> tuple[CyclistSpec, ...]:
    """``scene.cyclists`` cyclists on the lane and the front walkway, riding along it either way, clear of cars,
    people and each other (rejection sampling as for people)."""
    p = np.array([z[2] for z in CYCLIST_ZONES])
    out: list[CyclistSpec] = []
    for _ in range(cfg.cyclists):
        for _ in range(50):
            (x0, x1), (y0, y1), _w = CYCLIST_ZONES[int(rng.choice(len(p), p=p / p.sum()))]
            yaw = (0.0 if rng.random() < 0.5 else math.pi) + math.radians(float(rng.normal(0, 5)))
            c = sample_cyclist(rng, FIRST_CYCLIST_ID + len(out), float(rng.uniform(x0, x1)),
                               float(rng.uniform(y0, y1)), yaw, cfg.cyclist_speed_mps)
            fp = c.footprint()
            others = [o.footprint() for o in (*cars, *people, *out)]
            if not any(obb_overlap(fp, o, CLEARANCE_M) for o in others):
                out.append(c)
                break
    return tuple(out)


def sample_drones(rng: np.random.Generator, cfg: SceneConfig) -> tuple[DroneSpec, ...]:
    """``scene.drones`` drones over the lot (``DRONE_AREA``), 1.5 m clear of lamp posts and 1 m of each other."""
    x0, x1, y0, y1 = DRONE_AREA
    drones: list[DroneSpec] = []
    for _ in range(cfg.drones):
        for _ in range(50):
            x, y = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
            d = sample_drone(rng, FIRST_DRONE_ID + len(drones), x, y, cfg.drone_height_m, cfg.drone_rotor_hz,
                             cfg.drone_hover_share, cfg.drone_speed_mps)
            posts = min(math.hypot(x - px, y - py) for px, py, _dx, _dy in LAMP_POSTS)
            others = min((float(np.linalg.norm(d.position(0) - o.position(0))) for o in drones), default=np.inf)
            if posts > 1.5 and others > 1.0:
                drones.append(d)
                break
    return tuple(drones)


def basestation_pose(height: float, look_at_distance: float) -> Pose:
    """Mast at the lot's southern edge, boresight north and down to the ground ``look_at_distance`` ahead."""
    return Pose.look_at([0.0, 0.0, height], [0.0, look_at_distance, 0.0])


def sample_scene(cfg: SceneConfig, camera: CameraConfig, seed: int, index: int = 0,
                 stream_seeds: dict[str, int] | None = None) -> SceneSpec:
    """Sample one scene. ``stream_seeds`` overrides the seed of individual streams (e.g. {"weather": 7})."""
    over = dict(stream_seeds or {})
    names = ("layout", "cars", "lighting", "weather", "people", "drones", "cyclists")
    unknown = sorted(set(over) - set(names))
    if unknown:
        raise ValueError(f"unknown random streams {unknown}")
    rng = {name: rng_for(over.get(name, seed), index, name) for name in names}
    height = float(rng["layout"].uniform(*cfg.basestation_height_m))
    cars = sample_cars(rng["layout"], rng["cars"], cfg)
    people = sample_people(rng["people"], cfg, cars) if cfg.people else ()
    drones = sample_drones(rng["drones"], cfg) if cfg.drones else ()
    cyclists = sample_cyclists(rng["cyclists"], cfg, cars, people) if cfg.cyclists else ()
    return SceneSpec(seed, index, cars, sample_lighting(rng["lighting"], cfg), sample_weather(rng["weather"], cfg),
                     basestation_pose(height, cfg.look_at_distance_m), camera, over, people=people, drones=drones,
                     cyclists=cyclists)


def advance(spec: SceneSpec, time_s: float) -> SceneSpec:
    """The scene ``time_s`` seconds after ``spec`` (a sequence's first frame): driving cars move along their
    heading at constant speed (straight lanes), parked cars, lights and weather stay; people and drones are kept
    at t = 0 and placed at ``time_s`` when the scene is built (their limbs and rotors move with it)."""
    cars = tuple(replace(c, x=c.x + c.speed * math.cos(c.yaw) * time_s, y=c.y + c.speed * math.sin(c.yaw) * time_s)
                 if c.speed else c for c in spec.cars)
    return replace(spec, cars=cars, time_s=float(time_s))
