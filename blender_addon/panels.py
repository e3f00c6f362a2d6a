"""Sidebar panels (3D viewport, N panel, tab "MaxRay"): layout only; numbers come from maxray_gen."""

from __future__ import annotations

import bpy


class _Base:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "MaxRay"


def _missing(layout) -> bool:
    from . import maxray_available

    ok, msg = maxray_available()
    if not ok:
        layout.label(text="maxray_gen is not importable", icon="ERROR")
        layout.label(text="Set 'Python packages' in the add-on preferences")
    return not ok


class MAXRAY_PT_tags(_Base, bpy.types.Panel):
    bl_label = "Scene tags"

    def draw(self, context):
        layout = self.layout
        if _missing(layout):
            return
        s = context.scene.maxray
        ob = context.active_object
        box = layout.box()
        if ob is None:
            box.label(text="No active object")
        else:
            role = ob.get("maxray_role")
            box.label(text=f"{ob.name}: {role or 'untagged'}", icon="OBJECT_DATA")
            if role is not None and "maxray_material" in ob:
                v = list(ob.get("maxray_velocity", (0, 0, 0)))
                box.label(text=f"material {ob['maxray_material']}, v = ({v[0]:.1f}, {v[1]:.1f}, {v[2]:.1f}) m/s")
        col = layout.column(align=True)
        col.prop(s, "role")
        col.prop(s, "material")
        col.prop(s, "velocity")
        col.prop(s, "instance_id")
        row = layout.row(align=True)
        row.operator("maxray.tag_selected", icon="CHECKMARK")
        row.operator("maxray.clear_tags", icon="X")
        from maxray_gen.blender.authoring import summary

        counts = summary()
        if counts:
            layout.label(text=", ".join(f"{n} {r}" for r, n in sorted(counts.items())))


class MAXRAY_PT_radar(_Base, bpy.types.Panel):
    bl_label = "Basestation and radar"

    def draw(self, context):
        layout = self.layout
        if _missing(layout):
            return
        from maxray_gen.addon_settings import radar_figures
        from maxray_gen.blender.authoring import basestation

        s = context.scene.maxray
        bs = basestation()
        layout.operator("maxray.add_basestation", icon="OUTLINER_OB_CAMERA",
                        text="Select basestation" if bs else "Add basestation")
        if bs is not None and bs.type == "CAMERA":
            layout.label(text=f"{bs.name}: camera FoV {bs.data.angle * 57.2958:.0f} deg")
        col = layout.column(align=True)
        for key in ("carrier_ghz", "n_subcarriers", "subcarrier_spacing_khz", "n_symbols", "array_rows",
                    "array_columns", "range_max_m", "azimuth_fov_deg"):
            col.prop(s, key)
        box = layout.box()
        for name, value in radar_figures(s.settings()):
            if name == "invalid":
                box.label(text=value, icon="ERROR")
                continue
            row = box.row()
            row.label(text=name)
            row.label(text=value)
        layout.operator("maxray.trace_radar", icon="RENDER_STILL")


class MAXRAY_PT_generate(_Base, bpy.types.Panel):
    bl_label = "Randomise and generate"

    def draw(self, context):
        layout = self.layout
        if _missing(layout):
            return
        s = context.scene.maxray
        row = layout.row(align=True)
        row.prop(s, "randomise_cars", toggle=True)
        row.prop(s, "randomise_lighting", toggle=True)
        row.prop(s, "randomise_weather", toggle=True)
        row = layout.row(align=True)
        row.prop(s, "seed")
        row.operator("maxray.randomise", icon="FILE_REFRESH")
        row = layout.row(align=True)  # user lots: slots and lanes that generate fills with random cars
        row.operator("maxray.add_slot", text="Add slot", icon="EMPTY_ARROWS").kind = "slot"
        row.operator("maxray.add_slot", text="Add lane", icon="EMPTY_ARROWS").kind = "lane"
        row.operator("maxray.fill_slots", icon="AUTO")
        row = layout.row(align=True)  # sensing targets beyond cars, posed at the 3D cursor
        row.operator("maxray.add_mover", text="Person", icon="ARMATURE_DATA").kind = "person"
        row.operator("maxray.add_mover", text="Cyclist", icon="MOD_CURVE").kind = "cyclist"
        row.operator("maxray.add_mover", text="Drone", icon="OUTLINER_OB_FORCE_FIELD").kind = "drone"
        col = layout.column(align=True)
        col.prop(s, "width")
        col.prop(s, "height")
        col.prop(s, "shards")
        col.prop(s, "samples_per_shard")
        layout.prop(s, "base_config")
        layout.prop(s, "out_dir")
        layout.operator("maxray.validate_scene", icon="VIEWZOOM")
        if s.problems:
            box = layout.box()
            for line in s.problems.splitlines():
                box.label(text=line, icon="ERROR")
        row = layout.row(align=True)
        row.operator("maxray.export_config", icon="EXPORT")
        row.operator("maxray.generate_dataset", icon="PLAY")
        if s.status:
            layout.label(text=s.status, icon="INFO")


CLASSES = (MAXRAY_PT_tags, MAXRAY_PT_radar, MAXRAY_PT_generate)
