"""Operators: each is one call into maxray_gen (maxray_gen.blender.authoring, maxray_gen.addon_settings, the pipeline)."""

from pathlib import Path

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, StringProperty

_JOBS: list = []  # running background generations (cancelled on unregister)


def _cfg(context, blend=None):
    from maxray_gen.addon_settings import config_from_settings

    s = context.scene.maxray
    return config_from_settings(s.settings(), blend=blend, base=s.base())


def _fail(op, exc) -> set[str]:
    op.report({"ERROR"}, str(exc))
    return {"CANCELLED"}


def _errors():
    from maxray_gen.errors import MaxrayError

    return (MaxrayError, ImportError)


def refresh_gizmo(context) -> None:
    """Rebuild the field-of-view gizmo after a radar setting changed (quietly: settings may be mid-edit)."""
    try:
        from maxray_gen.blender.authoring import basestation, update_gizmo

        if basestation() is not None:
            update_gizmo(_cfg(context))
    except Exception:  # noqa: BLE001 - invalid intermediate settings: the panel shows the problem
        pass


class MAXRAY_OT_tag_selected(bpy.types.Operator):
    """Tag the selected objects with the chosen role, radio material and velocity"""

    bl_idname = "maxray.tag_selected"
    bl_label = "Tag selected"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from maxray_gen.blender.authoring import tag_objects

        s = context.scene.maxray
        try:
            tagged, skipped = tag_objects(list(context.selected_objects), s.role, s.material, tuple(s.velocity),
                                          s.instance_id)
        except _errors() as e:
            return _fail(self, e)
        for msg in skipped:
            self.report({"WARNING"}, msg)
        if not tagged:
            self.report({"WARNING"}, "nothing tagged: select meshes first")
            return {"CANCELLED"}
        self.report({"INFO"}, f"tagged {len(tagged)} object(s) as {s.role} ({s.material})")
        return {"FINISHED"}


class MAXRAY_OT_clear_tags(bpy.types.Operator):
    """Remove the maxray tags from the selected objects"""

    bl_idname = "maxray.clear_tags"
    bl_label = "Clear tags"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from maxray_gen.blender.authoring import clear_tags

        n = clear_tags(list(context.selected_objects))
        self.report({"INFO"}, f"cleared tags on {n} object(s)")
        return {"FINISHED"}


class MAXRAY_OT_add_basestation(bpy.types.Operator):
    """Add the basestation (a camera on the radar boresight, with the radar field-of-view gizmo), or select it"""

    bl_idname = "maxray.add_basestation"
    bl_label = "Add / select basestation"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from maxray_gen.blender.authoring import add_basestation, select_only

        try:
            ob = add_basestation(_cfg(context))
        except _errors() as e:
            return _fail(self, e)
        select_only(ob)
        self.report({"INFO"}, f"basestation: {ob.name}")
        return {"FINISHED"}


class MAXRAY_OT_randomise(bpy.types.Operator):
    """Apply the parking-lot randomisers (cars, lighting, weather as switched) with the seed"""

    bl_idname = "maxray.randomise"
    bl_label = "Randomise"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from maxray_gen.blender.authoring import randomise

        s = context.scene.maxray
        try:
            res = randomise(_cfg(context), s.seed, s.randomise_cars, s.randomise_lighting, s.randomise_weather)
        except _errors() as e:
            return _fail(self, e)
        s.status = (f"seed {res['seed']}: " + (f"{res['cars']} cars, " if res["cars"] is not None else "")
                    + f"{res['lighting']}, {res['weather']}")
        self.report({"INFO"}, s.status)
        return {"FINISHED"}


class MAXRAY_OT_add_slot(bpy.types.Operator):
    """Add a parking slot (or lane) at the 3D cursor: generate fills slots with random cars and drives cars along
    lanes; the x arrow is the heading of a parked car's nose (the lane's direction)"""

    bl_idname = "maxray.add_slot"
    bl_label = "Add slot"
    bl_options = {"REGISTER", "UNDO"}

    kind: EnumProperty(name="Kind", items=[("slot", "Slot", "a parking slot"), ("lane", "Lane", "a two-way lane")],
                       default="slot")
    heading: FloatProperty(name="Heading (deg)", default=90.0, min=-360.0, max=360.0)
    length: FloatProperty(name="Lane length (m)", default=20.0, min=2.0, max=500.0)

    def execute(self, context):
        from maxray_gen.blender.authoring import add_layout_mark

        ob = add_layout_mark(self.kind, tuple(context.scene.cursor.location), self.heading, self.length)
        self.report({"INFO"}, f"{ob.name}: {self.kind} at {tuple(round(x, 2) for x in ob.location)}")
        return {"FINISHED"}


class MAXRAY_OT_add_mover(bpy.types.Operator):
    """Add a walking person, a cyclist or a hovering drone at the 3D cursor, drawn from the seed: tagged pieces,
    each with its own velocity (limbs, wheels, rotor blades), for camera, lidar and radar"""

    bl_idname = "maxray.add_mover"
    bl_label = "Add person / cyclist / drone"
    bl_options = {"REGISTER", "UNDO"}

    kind: EnumProperty(name="Kind", items=[("person", "Person", "a walking person"),
                                           ("cyclist", "Cyclist", "a cyclist riding"),
                                           ("drone", "Drone", "a hovering quadcopter (cursor height)")],
                       default="person")
    heading: FloatProperty(name="Heading (deg)", default=90.0, min=-360.0, max=360.0)
    walking: BoolProperty(name="Walking", default=True, description="People: walking (off: standing)")

    def execute(self, context):
        from maxray_gen.blender.movers import add_mover, mover_summary

        try:
            made = add_mover(self.kind, tuple(context.scene.cursor.location), self.heading, context.scene.maxray.seed,
                             self.walking)
        except _errors() as e:
            return _fail(self, e)
        info = mover_summary(made)
        self.report({"INFO"}, f"{self.kind} {info['instance_id']}: {info['pieces']} pieces, fastest "
                              f"{info['max_speed_mps']:.1f} m/s")
        return {"FINISHED"}


class MAXRAY_OT_fill_slots(bpy.types.Operator):
    """Preview generation: fill the scene's slots and lanes with this seed's random cars (replaced on the next run)"""

    bl_idname = "maxray.fill_slots"
    bl_label = "Fill slots"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from maxray_gen.blender.authoring import fill_slots

        s = context.scene.maxray
        try:
            res = fill_slots(_cfg(context), s.seed)
        except _errors() as e:
            return _fail(self, e)
        s.status = (f"seed {s.seed}: {res['parked']} cars in {res['slots']} slots, {res['driving']} driving on "
                    f"{res['lanes']} lanes")
        self.report({"INFO"}, s.status)
        return {"FINISHED"}


class MAXRAY_OT_validate(bpy.types.Operator):
    """List what stops this scene from being traced or generated (missing tags, basestation, materials)"""

    bl_idname = "maxray.validate_scene"
    bl_label = "Validate scene"

    def execute(self, context):
        from maxray_gen.blender.scenario import problems

        found = problems()
        context.scene.maxray.problems = "\n".join(found)
        if found:
            for p in found:
                self.report({"WARNING"}, p)
            return {"FINISHED"}
        self.report({"INFO"}, "scene is ready: no problems found")
        return {"FINISHED"}


class MAXRAY_OT_trace(bpy.types.Operator):
    """Trace the radar in the open scene and show its range-azimuth heatmap as an image (groundtruth marked)"""

    bl_idname = "maxray.trace_radar"
    bl_label = "Trace radar"

    def execute(self, context):
        from maxray_gen.pipeline.radar_stage import trace_open_scene

        try:
            res = trace_open_scene(_cfg(context), context.scene.maxray.seed)
        except _errors() as e:
            return _fail(self, e)
        img = bpy.data.images[res.image_marked]
        shown = False
        for area in (context.screen.areas if context.screen else []):
            if area.type == "IMAGE_EDITOR":
                area.spaces.active.image = img
                shown = True
        context.scene.maxray.status = (f"radar: {res.n_paths} paths, peak at range bin {res.peak_bin[0]}, azimuth "
                                       f"bin {res.peak_bin[1]}; {len(res.truth)} tagged car(s) in view")
        self.report({"INFO"}, context.scene.maxray.status + ("" if shown else f" (image '{img.name}')"))
        return {"FINISHED"}


class MAXRAY_OT_export_config(bpy.types.Operator):
    """Write a YAML configuration (and a copy of this scene beside it) that `maxray generate` runs on a farm"""

    bl_idname = "maxray.export_config"
    bl_label = "Export config"

    filepath: StringProperty(subtype="FILE_PATH", default="maxray_scenario.yaml")
    filter_glob: StringProperty(default="*.yaml;*.yml", options={"HIDDEN"})

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        from maxray_gen.addon_settings import export_scenario

        try:
            cfg_path, blend = export_scenario(_scene_saver(), _cfg(context), Path(bpy.path.abspath(self.filepath)))
        except _errors() as e:
            return _fail(self, e)
        self.report({"INFO"}, f"wrote {cfg_path} and {blend.name}: maxray generate {cfg_path} --out DIR")
        return {"FINISHED"}


def _scene_saver():
    from maxray_gen.blender.authoring import save_scene_copy

    return save_scene_copy


class MAXRAY_OT_generate(bpy.types.Operator):
    """Generate a dataset from the open scene with the same pipeline as `maxray generate`, in the background"""

    bl_idname = "maxray.generate_dataset"
    bl_label = "Generate dataset"

    wait: BoolProperty(default=False, options={"HIDDEN", "SKIP_SAVE"},
                       description="Block until done (scripts, tests) instead of running in the background")
    _timer = None
    _job = None

    def execute(self, context):
        from maxray_gen.pipeline.background import start_generation

        s = context.scene.maxray
        try:
            self._job = start_generation(_cfg(context), Path(bpy.path.abspath(s.out_dir)))
        except _errors() as e:
            return _fail(self, e)
        _JOBS.append(self._job)
        if self.wait:
            st = self._job.wait()
            return self._finish(context, st)
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.5, window=context.window)
        wm.modal_handler_add(self)
        wm.progress_begin(0, max(self._job.total, 1))
        s.status = f"generating into {self._job.out} ..."
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type == "ESC":
            self._job.cancel()
        if event.type not in ("TIMER", "ESC"):
            return {"PASS_THROUGH"}
        st = self._job.poll()
        context.window_manager.progress_update(st.shards_done)
        if context.workspace is not None:
            context.workspace.status_text_set(f"MaxRay-Gen: {st.shards_done}/{st.shards_total} shards "
                                              f"({100 * st.fraction:.0f}%), Esc to stop")
        if st.running:
            return {"PASS_THROUGH"}
        context.window_manager.event_timer_remove(self._timer)
        context.window_manager.progress_end()
        if context.workspace is not None:
            context.workspace.status_text_set(None)
        return self._finish(context, st)

    def _finish(self, context, st):
        if self._job in _JOBS:
            _JOBS.remove(self._job)
        s = context.scene.maxray
        if st.returncode == 0:
            s.status = f"done: {st.shards_done}/{st.shards_total} shards in {self._job.out}"
            self.report({"INFO"}, s.status)
            return {"FINISHED"}
        s.status = f"generation stopped ({st.shards_done}/{st.shards_total} shards kept): {st.message}"
        self.report({"ERROR"}, s.status)
        return {"CANCELLED"}


def cancel_jobs() -> None:
    for job in list(_JOBS):
        job.cancel()
    _JOBS.clear()


CLASSES = (MAXRAY_OT_tag_selected, MAXRAY_OT_clear_tags, MAXRAY_OT_add_basestation, MAXRAY_OT_randomise,
           MAXRAY_OT_add_slot, MAXRAY_OT_add_mover, MAXRAY_OT_fill_slots, MAXRAY_OT_validate, MAXRAY_OT_trace, MAXRAY_OT_export_config, MAXRAY_OT_generate)
