"""The add-on's settings, stored in the .blend file as ``scene.maxray`` (defaults = maxray_gen's defaults; a
test keeps them in step)."""

import bpy
from bpy.props import (BoolProperty, EnumProperty, FloatProperty, FloatVectorProperty, IntProperty, PointerProperty,
                       StringProperty)

_ITEMS: dict[str, list] = {}  # Blender needs the enum item strings kept alive


def _items(kind: str):
    if kind not in _ITEMS:
        try:
            from maxray_gen import addon_settings

            names = addon_settings.TAG_ROLES if kind == "roles" else addon_settings.RADIO_MATERIALS
        except ImportError:
            names = ()
        _ITEMS[kind] = [(n, n.replace("_", " "), "") for n in names] or [("none", "maxray_gen missing", "")]
    return _ITEMS[kind]


def _update_gizmo(self, context):
    from . import operators

    operators.refresh_gizmo(context)


def _load_base(self, context):
    """Choosing a base config fills the panel from it (the panel's values are what runs)."""
    if not self.base_config:
        return
    try:
        from maxray_gen.addon_settings import settings_from_config
        from maxray_gen.config import load_config

        values = settings_from_config(load_config(bpy.path.abspath(self.base_config)))
    except Exception as e:  # noqa: BLE001 - shown in the panel, the file may still be being typed
        self.status = f"base config: {e}"
        return
    for key, value in values.items():
        setattr(self, key, value)
    self.status = f"loaded {bpy.path.basename(self.base_config)}"


RADAR_KEYS = ("carrier_ghz", "n_subcarriers", "subcarrier_spacing_khz", "n_symbols", "array_rows", "array_columns",
              "range_max_m", "azimuth_fov_deg")


class MAXRAY_PG_settings(bpy.types.PropertyGroup):
    # tagging
    role: EnumProperty(name="Role", items=_items("roles"),
                       description="What the selected objects are to the radar and the labels")
    material: EnumProperty(name="Radio material", items=_items("materials"),
                           description="ITU-R P.2040 material the ray tracer uses for these surfaces")
    velocity: FloatVectorProperty(name="Velocity", size=3, subtype="VELOCITY", unit="VELOCITY",
                                  description="World-frame velocity (m/s): gives the Doppler of moving objects")
    instance_id: IntProperty(name="Instance id", min=0, default=0,
                             description="Parts of one car share an id; 0: one id per object")
    # radar
    carrier_ghz: FloatProperty(name="Carrier (GHz)", default=60.0, min=0.1, max=1000.0, update=_update_gizmo)
    n_subcarriers: IntProperty(name="Subcarriers", default=1024, min=8, max=65536)
    subcarrier_spacing_khz: FloatProperty(name="Spacing (kHz)", default=781.25, min=1.0, max=1e5)
    n_symbols: IntProperty(name="Symbols", default=64, min=1, max=4096)
    array_rows: IntProperty(name="Array rows", default=16, min=1, max=1024)
    array_columns: IntProperty(name="Array columns", default=16, min=1, max=1024)
    range_max_m: FloatProperty(name="Max range (m)", default=30.0, min=1.0, max=1e4, update=_update_gizmo)
    azimuth_fov_deg: FloatProperty(name="Azimuth FoV (+-deg)", default=54.0, min=1.0, max=89.0,
                                   update=_update_gizmo)
    # randomisation and generation
    randomise_cars: BoolProperty(name="Cars", default=True, description="Randomise: rebuild the lot and its cars")
    randomise_lighting: BoolProperty(name="Lighting", default=True, description="Day/dusk/night per sample")
    randomise_weather: BoolProperty(name="Weather", default=True, description="Clear/rain/fog/snow per sample")
    seed: IntProperty(name="Seed", default=0, min=0)
    width: IntProperty(name="Width", default=640, min=8, max=8192)
    height: IntProperty(name="Height", default=480, min=8, max=8192)
    shards: IntProperty(name="Shards", default=2, min=1)
    samples_per_shard: IntProperty(name="Samples/shard", default=4, min=1)
    base_config: StringProperty(name="Base config", subtype="FILE_PATH", update=_load_base,
                                description="Optional YAML (e.g. maxray_gen/presets/demo.yaml): fills the panel, and gives "
                                            "everything the panel does not show")
    out_dir: StringProperty(name="Output", subtype="DIR_PATH", default="//maxray_dataset")
    # feedback
    problems: StringProperty(name="Problems", default="")
    status: StringProperty(name="Status", default="")

    def settings(self) -> dict:
        """These settings as the dict maxray_gen.addon_settings understands."""
        d = {k: getattr(self, k) for k in RADAR_KEYS}
        d.update(seed=self.seed, shards=self.shards, samples_per_shard=self.samples_per_shard, width=self.width,
                 height=self.height, randomise_lighting=self.randomise_lighting,
                 randomise_weather=self.randomise_weather)
        return d

    def base(self):
        return bpy.path.abspath(self.base_config) if self.base_config else None


CLASSES = (MAXRAY_PG_settings,)


def register() -> None:
    bpy.types.Scene.maxray = PointerProperty(type=MAXRAY_PG_settings)


def unregister() -> None:
    del bpy.types.Scene.maxray
