"""Realise a SceneSpec and its SceneSnapshot in Blender, and render the RGB image with Cycles.

Geometry comes from the snapshot (so the camera, the lidar and the radar see the same triangles); the Blender layer
adds what only the camera sees: materials, road markings, sky and lights, rain and snow particles, wet and snowy
surfaces. A built scene is reused: a new sample with the same objects only rewrites vertex positions, materials,
lights and weather.
"""

from __future__ import annotations

import math
from pathlib import Path

import bpy
import numpy as np

from maxray_gen.blender import session
from maxray_gen.blender.materials import car_material, material
from maxray_gen.primitives import box, cylinder, icosahedron, rotate_z
from maxray_gen.scene.car_model import PART_VISUAL
from maxray_gen.scene.people import camera_colour
from maxray_gen.blender.config import RenderConfig
from maxray_gen.sensors.config import CameraConfig
from maxray_gen.scene.spec import COLUMNS, LAMP_POSTS, ROW_Y, SLOT_DEPTH, SLOT_WIDTH, SceneSpec, lamp_head
from maxray_gen.sensors.camera import Intrinsics
from maxray_gen.snapshot import SceneSnapshot

SMOOTH_VISUALS = ("paint", "glass", "underbody", "headlight", "taillight", "rim")
CAMERA_FROM_SENSOR = np.diag([1.0, -1.0, -1.0])  # Blender cameras look down -z with +y up


def _matrix(rotation: np.ndarray, position: np.ndarray):
    from mathutils import Matrix

    m = np.eye(4)
    m[:3, :3] = rotation
    m[:3, 3] = position
    return Matrix(m.tolist())


def _mesh_object(name: str, vertices: np.ndarray, faces: np.ndarray) -> bpy.types.Object:
    mesh = bpy.data.meshes.new(name)
    mesh.vertices.add(len(vertices))
    mesh.vertices.foreach_set("co", np.ascontiguousarray(vertices, np.float32).ravel())
    mesh.loops.add(faces.size)
    mesh.loops.foreach_set("vertex_index", np.ascontiguousarray(faces, np.int32).ravel())
    mesh.polygons.add(len(faces))
    mesh.polygons.foreach_set("loop_start", np.arange(0, faces.size, 3, dtype=np.int32))
    mesh.update()
    mesh.validate()
    ob = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(ob)
    return ob


# Photometry (docs/scenarios.md "Night"): car-park LED luminaires of 12 klm at 6 m (EN 12464-2 asks 5-20 lx average
# on outdoor car parks; these give ~10-30 lx on the rows), low beams of ~1 klm per lamp. Cycles spot lights are
# specified by the power of an isotropic point light of the same intensity: P = (flux / 683 lm/W) * 4 pi / cone.
LUMINAIRE_LM, LUMINAIRE_HALF_ANGLE_DEG = 12000.0, 65.0
HEADLIGHT_LM, HEADLIGHT_HALF_ANGLE_DEG = 1000.0, 25.0
LED_4000K = (1.0, 0.89, 0.79)
# Exposure (EV) per lighting kind, like a camera's auto exposure: night ~5 EV brighter than day, so the lamp-lit
# rows (~1/100 of the day's illuminance in these units) read as a night photo, darker than day.
EXPOSURE_EV = {"day": -1.0, "dusk": 0.5, "night": 4.0}


def spot_power_w(flux_lm: float, half_angle_deg: float) -> float:
    """Cycles power of a spot light emitting ``flux_lm`` into a cone of ``half_angle_deg``."""
    cone = 2 * math.pi * (1 - math.cos(math.radians(half_angle_deg)))
    return flux_lm / 683.0 * 4 * math.pi / cone


FALL_SPEED_MPS = {"rain": 6.5, "snow": 1.0}  # terminal velocities: ~2 mm raindrops, snowflakes
WEATHER_FIELD_M = (22.0, 16.0, 20.0)  # extent of the rain/snow field in front of the camera
WEATHER_FIELD_BOTTOM_M = -0.5  # from just below the ground up


class BlenderScene:
    """One Blender session holding the current sample's scene."""

    def __init__(self, camera: CameraConfig, render: RenderConfig, attach: bool = False):
        """A new empty session, or with ``attach`` the currently open (user) scene, keeping its objects."""
        if not attach:
            session.reset()
        self.camera_cfg, self.render_cfg = camera, render
        scene = bpy.context.scene
        scene.render.engine = "CYCLES"
        self.device = session.cycles_device(render.device)
        apply_render_settings(scene, render)
        if render.threads:
            scene.render.threads_mode = "FIXED"
            scene.render.threads = render.threads
        scene.render.resolution_x, scene.render.resolution_y = camera.width, camera.height
        scene.render.resolution_percentage = 100
        scene.render.image_settings.file_format = "PNG"
        scene.render.image_settings.color_mode = "RGB"
        scene.view_settings.view_transform = "AgX"
        scene.view_settings.exposure = -1.0
        # No persistent data: with it a frame's pixels depended on what the session rendered before (light
        # sampling without the light tree kept a stale emitter distribution across scenes; instances shared by a
        # particle system and a geometry-nodes tree too), which broke resume determinism (tests/test_generate.py,
        # tests/test_scenarios.py). Every sample is a new layout anyway, so it saved little (measured).
        scene.render.use_persistent_data = False
        cam = bpy.data.cameras.new("camera")
        cam.sensor_fit = "HORIZONTAL"
        cam.angle = math.radians(camera.horizontal_fov_deg)
        cam.clip_start, cam.clip_end = 0.05, 2000.0
        self.camera = bpy.data.objects.new("camera", cam)
        scene.collection.objects.link(self.camera)
        scene.camera = self.camera
        self.camera["maxray_role"] = "basestation"  # a saved scene is a valid tagged scenario
        world = bpy.data.worlds.new("world")
        scene.world = world
        self._objects: dict[str, bpy.types.Object] = {}
        self._extras: list[bpy.types.ID] = []
        self.lot_lamps = not attach  # a user scenario keeps its own lights: no lot luminaires in mid-air
        if attach:
            self.camera["maxray_role"] = "camera"
            self.markings = self.surroundings = None
        else:
            self._markings()

    def save_blend(self, path: str | Path) -> None:
        """Save the current scene as a tagged .blend scenario (no scripts are embedded)."""
        bpy.ops.wm.save_as_mainfile(filepath=str(Path(path).resolve()), copy=True)

    # ---- geometry -------------------------------------------------------------------------------------
    def _markings(self) -> None:
        """White slot lines (visual only, a few mm above the asphalt)."""
        verts, faces = [], []
        for row_y in ROW_Y:
            for k in range(COLUMNS + 1):
                x = -12.5 + k * SLOT_WIDTH
                b = len(verts)
                y0, y1 = row_y - SLOT_DEPTH / 2, row_y + SLOT_DEPTH / 2
                verts += [(x - 0.06, y0, 0.004), (x + 0.06, y0, 0.004), (x + 0.06, y1, 0.004), (x - 0.06, y1, 0.004)]
                faces += [(b, b + 1, b + 2), (b, b + 2, b + 3)]
        ob = _mesh_object("markings", np.array(verts), np.array(faces))
        ob.data.materials.append(material("paint_line", colour=(0.8, 0.8, 0.75), roughness=0.6))
        self.markings = ob
        # Surroundings beyond the lot (visual only, just below the lot's ground): the horizon is not an edge.
        from maxray_gen.primitives import grid_plane

        outer = _mesh_object("surroundings", *grid_plane(-400, 400, -400, 400, -0.02))
        outer.data.materials.append(material("grass", colour=(0.05, 0.08, 0.03), roughness=0.9))
        self.surroundings = outer

    def _sync_objects(self, spec: SceneSpec, snap: SceneSnapshot) -> None:
        sync_objects(self._objects, spec, snap)

    # ---- light and weather ----------------------------------------------------------------------------
    def _clear_extras(self) -> None:
        for idb in self._extras:
            try:
                if isinstance(idb, bpy.types.Object):
                    bpy.data.objects.remove(idb)
                elif isinstance(idb, bpy.types.Light):
                    bpy.data.lights.remove(idb)
                elif isinstance(idb, bpy.types.Mesh):
                    bpy.data.meshes.remove(idb)
                elif isinstance(idb, bpy.types.ParticleSettings):
                    bpy.data.particles.remove(idb)
            except ReferenceError:
                pass
        self._extras.clear()

    def _light(self, name: str, kind: str, energy: float, colour, location, rotation=None) -> bpy.types.Object:
        data = bpy.data.lights.new(name, kind)
        data.energy = energy
        data.color = colour
        ob = bpy.data.objects.new(name, data)
        ob.location = location
        if rotation is not None:
            ob.rotation_euler = rotation
        bpy.context.scene.collection.objects.link(ob)
        self._extras += [ob, data]
        return ob

    def _lighting(self, spec: SceneSpec) -> None:
        li = spec.lighting
        world = bpy.context.scene.world
        try:
            world.use_nodes = True
        except AttributeError:
            pass
        nt = world.node_tree
        nt.nodes.clear()
        out = nt.nodes.new("ShaderNodeOutputWorld")
        bg = nt.nodes.new("ShaderNodeBackground")
        sky = nt.nodes.new("ShaderNodeTexSky")
        sky.sky_type = "MULTIPLE_SCATTERING"
        sky.sun_elevation = math.radians(max(li.sun_elevation_deg, -10.0))
        sky.sun_rotation = math.radians(90.0 - li.sun_azimuth_deg)
        nt.links.new(sky.outputs["Color"], bg.inputs["Color"])
        nt.links.new(bg.outputs["Background"], out.inputs["Surface"])
        bg.inputs["Strength"].default_value = li.sky_strength * (0.25 if li.kind != "night" else 1.0)
        if li.kind == "night":  # a faint moonlit blue instead of the (dark) physical sky
            nt.links.remove(bg.inputs["Color"].links[0])
            bg.inputs["Color"].default_value = (0.02, 0.03, 0.06, 1.0)
        if li.sun_strength > 0:
            el, az = math.radians(li.sun_elevation_deg), math.radians(li.sun_azimuth_deg)
            direction = np.array([math.sin(az) * math.cos(el), math.cos(az) * math.cos(el), math.sin(el)])
            sun = self._light("sun", "SUN", li.sun_strength, (1.0, 0.93, 0.85) if li.kind == "day" else (1.0, 0.6, 0.35),
                              (0, 0, 50))
            sun.rotation_euler = _rotation_to(direction)
            sun.data.angle = math.radians(0.6)
        bpy.context.scene.view_settings.exposure = EXPOSURE_EV[li.kind]
        if li.street_lights and self.lot_lamps:
            for k, post in enumerate(LAMP_POSTS):
                if not li.lamp_on(k):
                    continue
                head = lamp_head(post)
                lamp = self._light("street_light", "SPOT", spot_power_w(LUMINAIRE_LM, LUMINAIRE_HALF_ANGLE_DEG),
                                   LED_4000K, head, (0.0, 0.0, 0.0))
                lamp.data.spot_size = math.radians(2 * LUMINAIRE_HALF_ANGLE_DEG)
                lamp.data.spot_blend = 0.4
                lamp.data.shadow_soft_size = 0.2
                panel = _mesh_object("luminaire", *box(np.array(head) + [0, 0, 0.06], (0.5, 0.25, 0.06)))
                panel.data.materials.append(material("luminaire", colour=(0.9, 0.9, 0.9), emission=LED_4000K))
                self._extras += [panel, panel.data]
        if li.kind != "day":  # driving cars have their low beams on
            for car in spec.cars:
                if car.speed <= 0:
                    continue
                heading = np.array([math.cos(car.yaw), math.sin(car.yaw), -0.03])
                lamps = rotate_z(np.array([[car.length / 2 - 0.15, s * 0.36 * car.width, 0.65] for s in (1, -1)]),
                                 car.yaw) + [car.x, car.y, car.z]
                for pos in lamps:
                    beam = self._light("headlight", "SPOT", spot_power_w(HEADLIGHT_LM, HEADLIGHT_HALF_ANGLE_DEG),
                                       (1.0, 0.97, 0.92), tuple(pos))
                    beam.rotation_euler = _rotation_to(-heading)
                    beam.data.spot_size = math.radians(2 * HEADLIGHT_HALF_ANGLE_DEG)
                    beam.data.spot_blend = 0.5

    def _weather(self, spec: SceneSpec, rng: np.random.Generator) -> None:
        w = spec.weather
        if w.kind not in ("rain", "snow"):
            return
        # A random field of drops/flakes in a box in front of the camera (22 x 16 m, 20 m tall from the ground up;
        # the density of the two 10 m emitters stacked before 2026-12-02), falling with time and periodic in height
        # (a drop leaving the bottom comes back at the top, so it never runs out), kept only where the camera can see
        # it. Each one is an instance of one small mesh (a particle system on a point cloud): Cycles traces small
        # instances far faster than one merged mesh or clusters of drops, and the ~half of a box that lies outside
        # the view would only cost rays (measured 2026-12-02, docs/performance.md).
        cam = spec.basestation
        centre = cam.sensor_to_world(np.array([0.0, 0.0, 9.0]))
        extent = np.array(WEATHER_FIELD_M)
        if w.kind == "rain":
            drop_v, drop_f = cylinder(0.0025, 0.2 + 0.2 * w.intensity)  # motion-blurred streak of a drop
            drop_v = drop_v[:, [2, 1, 0]]  # along local x: GLOB_Z rotation aligns the instance's x with world z
            mat = material("raindrop", colour=(0.6, 0.63, 0.68), roughness=0.15)
            count = 2 * int(3000 + 6000 * w.intensity)
        else:
            drop_v, drop_f = icosahedron(0.025)
            mat = material("snowflake", colour=(0.95, 0.95, 0.97), roughness=0.9)
            count = 2 * int(2000 + 5000 * w.intensity)
        low = np.array([centre[0] - extent[0] / 2, centre[1] - extent[1] / 2, WEATHER_FIELD_BOTTOM_M])
        points = low + rng.random((count, 3)) * extent
        fall = FALL_SPEED_MPS[w.kind] * spec.time_s
        points[:, 2] = low[2] + np.mod(points[:, 2] - low[2] - fall, extent[2])
        points = points[Intrinsics.from_config(spec.camera).in_view(points, cam, margin=0.1)]
        psys_seed = int(rng.integers(0, 2**31 - 1))  # drawn even with no drop in view: the same draws either way
        if not len(points):
            return
        cloud = _mesh_object("weather_points", points, np.zeros((0, 3), np.int32))
        cloud.show_instancer_for_render = False
        cloud.show_instancer_for_viewport = False
        self._extras += [cloud, cloud.data]
        drop = _mesh_object("weather_particle", drop_v, drop_f)
        drop.data.materials.append(mat)
        drop.location = (0, 0, -500)
        drop.hide_render = True
        self._extras += [drop, drop.data]
        psys = cloud.modifiers.new("weather", "PARTICLE_SYSTEM").particle_system
        st = psys.settings
        self._extras.append(st)
        st.count = len(points)
        st.frame_start = st.frame_end = 1
        st.lifetime = 10000
        st.emit_from = "VERT"
        st.use_emit_random = False  # one particle on every point, in order
        st.physics_type = "NO"
        st.render_type = "OBJECT"
        st.instance_object = drop
        st.particle_size = 1.0
        st.size_random = 0.4
        st.use_rotations = True  # keep the instance's own axes: streaks stay vertical
        st.rotation_mode = "GLOB_Z"
        st.phase_factor_random = 2.0 if w.kind == "snow" else 0.0
        psys.seed = psys_seed
        drop.hide_render = False

    # ---- public -----------------------------------------------------------------------------------------
    def realise(self, spec: SceneSpec, snap: SceneSnapshot, rng: np.random.Generator) -> None:
        """Make the Blender scene show ``spec`` with ``snap``'s geometry."""
        self._clear_extras()
        self._sync_objects(spec, snap)
        self.apply_conditions(spec, rng)

    def apply_conditions(self, spec: SceneSpec, rng: np.random.Generator) -> None:
        """Camera pose, lighting and weather of ``spec`` (also for user scenarios loaded from .blend files)."""
        self._clear_extras()
        self.camera.matrix_world = _matrix(spec.basestation.rotation @ CAMERA_FROM_SENSOR, spec.basestation.position)
        self._lighting(spec)
        self._weather(spec, rng)
        for datablocks in (bpy.data.materials, bpy.data.meshes, bpy.data.lights, bpy.data.particles):
            for idb in [d for d in datablocks if d.users == 0]:  # no growth over thousands of samples
                datablocks.remove(idb)
        bpy.context.scene.cycles.seed = int(rng.integers(0, 2**31 - 1))
        bpy.context.view_layer.update()

    def render_rgb(self, path: str | Path) -> np.ndarray:
        """Render with Cycles to ``path`` (PNG) and return it as (H, W, 3) uint8."""
        import matplotlib.image

        path = Path(path).resolve()  # Blender resolves relative paths against the open .blend, not the cwd
        bpy.context.scene.render.filepath = str(path)
        bpy.ops.render.render(write_still=True)
        img = matplotlib.image.imread(path)
        return (np.clip(img[..., :3], 0, 1) * 255 + 0.5).astype(np.uint8)


def apply_render_settings(scene: bpy.types.Scene, render: RenderConfig) -> None:
    """Put ``render``'s sampling, denoising and bounce settings on a scene's Cycles settings."""
    c = scene.cycles
    c.samples = render.samples
    c.use_adaptive_sampling = True
    c.adaptive_threshold = 0.03  # the denoiser cleans the rest (3-6% faster than 0.01)
    c.use_denoising = render.denoise
    # OIDN's FAST prefilter (one denoiser pass; ACCURATE denoises albedo and normals first: 3 passes) and no
    # light tree (a handful of lights): 9.8 -> 5.0 s per 640x480 frame on 2 cores, RMS change 0.007 (day) and
    # 0.019 (night) of full scale against ACCURATE + light tree (docs/performance.md).
    c.denoising_prefilter = "FAST"
    c.denoising_quality = render.denoise_quality.upper()
    c.use_light_tree = False
    c.max_bounces = render.max_bounces
    c.transparent_max_bounces = 4


def sync_objects(objects: dict[str, bpy.types.Object], spec: SceneSpec, snap: SceneSnapshot) -> None:
    """Make the Blender objects in ``objects`` (name -> object, updated) show ``snap``'s objects with the
    camera's materials (cars from ``spec``); vertex positions are rewritten in place when the mesh is unchanged."""
    colours = {c.instance_id: c.colour for c in spec.cars}
    dressed = {p.instance_id: p for p in (*spec.people, *spec.cyclists)}  # bodies with clothing colours
    lit = {c.instance_id for c in spec.cars if c.speed > 0}  # driving cars have their lights on
    w = spec.weather
    seen = set()
    for o in snap.objects:
        seen.add(o.name)
        ob = objects.get(o.name)
        if ob is not None and len(ob.data.vertices) == len(o.vertices) and len(ob.data.polygons) == len(o.faces):
            ob.data.vertices.foreach_set("co", np.ascontiguousarray(o.vertices, np.float32).ravel())
            ob.data.update()
        else:
            if ob is not None:
                bpy.data.meshes.remove(ob.data)
            ob = objects[o.name] = _mesh_object(o.name, o.vertices, o.faces)
        ob["maxray_role"], ob["maxray_material"] = o.role, o.material
        ob["maxray_instance_id"], ob["maxray_velocity"] = o.instance_id, list(map(float, o.velocity))
        ob.pass_index = o.instance_id
        base = o.material.split("~")[0]  # radio weathering (base~wetW~snowS) is drawn from the weather below
        outdoor = base in ("asphalt", "concrete", "car_paint", "metal")
        wet = w.wetness if outdoor else 0.0
        snow = w.snow_cover if base in ("asphalt", "concrete", "car_paint", "car_glass") else 0.0
        part = o.name.split("_", 1)[1] if o.role == "car" and "_" in o.name else ""
        visual = PART_VISUAL.get(part, "paint" if base == "car_paint" else "")
        rider = o.role == "cyclist" and "_rider_" in o.name
        if (o.role == "person" or rider) and o.instance_id in dressed:
            colour = camera_colour(dressed[o.instance_id], o.name.split("_rider_" if rider else "_", 1)[1])
            mat = material("cloth", colour=colour, roughness=0.7, wetness=wet)
        elif visual:
            mat = car_material(visual, colours.get(o.instance_id, (0.5, 0.5, 0.5)), o.instance_id in lit, wet, snow)
        else:
            mat = material(base, wetness=wet, snow=snow)
        ob.data.materials.clear()
        ob.data.materials.append(mat)
        smooth = (o.role == "car" and visual in SMOOTH_VISUALS) or o.role in ("person", "cyclist")
        ob.data.polygons.foreach_set("use_smooth", [smooth] * len(o.faces))
    for name in list(objects):
        if name not in seen:
            bpy.data.meshes.remove(objects.pop(name).data)


def _rotation_to(direction: np.ndarray):
    """Euler angles that point a Blender light's -z axis along -direction (light travelling from ``direction``)."""
    from mathutils import Vector

    return Vector(direction.tolist()).to_track_quat("Z", "Y").to_euler()
