"""Screenshots of the add-on for docs/addon.md, taken by Blender itself (a real window on a virtual screen).

pip's bpy has no user interface, so this runs in a Blender application:

    blender -b --python-expr "import bpy; bpy.ops.wm.save_as_mainfile(filepath='/tmp/start.blend')"
    xvfb-run -a -s "-screen 0 1600x1000x24" blender /tmp/start.blend --python scripts/addon_screenshots.py -- \
        docs/images/addon .venv/lib/python3.11/site-packages

(opening a file skips the splash screen). It registers the add-on, builds a small tagged lot through the add-on's
own operators, traces the radar, and saves window screenshots; it then prints what each picture should show, read
back from the scene, so the captions can be checked against the pictures.
"""

import sys
from pathlib import Path

import bpy

argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
OUT = Path(argv[0] if argv else "docs/images/addon").resolve()
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)] + argv[1:2]

import blender_addon  # noqa: E402
from maxray_gen.primitives import box  # noqa: E402

blender_addon.register()
OUT.mkdir(parents=True, exist_ok=True)
facts = {}


def mesh(name, verts, faces, location=(0, 0, 0)):
    me = bpy.data.meshes.new(name)
    me.from_pydata([tuple(v) for v in verts], [], [tuple(f) for f in faces])
    ob = bpy.data.objects.new(name, me)
    ob.location = location
    bpy.context.scene.collection.objects.link(ob)
    return ob


def build():
    for ob in list(bpy.data.objects):
        bpy.data.objects.remove(ob)
    s = bpy.context.scene.maxray
    ground = mesh("ground", [(-15, -2, 0), (15, -2, 0), (15, 30, 0), (-15, 30, 0)], [(0, 1, 2, 3)])
    cars = []
    for k, (x, y) in enumerate([(-4.0, 14.0), (3.0, 11.0), (6.5, 19.0)]):
        v, f = box((0, 0, 0), (4.4, 1.8, 1.45))
        cars.append(mesh(f"car_{k}", v, f, (x, y, 0.725)))
    ctx = bpy.context.temp_override
    s.role, s.material = "ground", "asphalt"
    with ctx(selected_objects=[ground], active_object=ground):
        bpy.ops.maxray.tag_selected()
    s.role, s.material = "car", "car_paint"
    s.velocity = (0.0, -4.0, 0.0)
    with ctx(selected_objects=[cars[1]], active_object=cars[1]):
        bpy.ops.maxray.tag_selected()
    s.velocity = (0.0, 0.0, 0.0)
    with ctx(selected_objects=cars[::2], active_object=cars[0]):
        bpy.ops.maxray.tag_selected()
    s.n_subcarriers, s.array_rows, s.range_max_m = 512, 1, 25.0
    bpy.ops.maxray.add_basestation()
    bs = bpy.data.objects["basestation"]
    bs.location, bs.rotation_euler = (0.0, -2.0, 4.0), (1.30, 0.0, 0.0)
    for ob in bpy.context.scene.objects:
        ob.select_set(False)
    cars[1].select_set(True)
    bpy.context.view_layer.objects.active = cars[1]
    bpy.ops.maxray.validate_scene()
    facts["problems"] = s.problems or "none"
    bpy.ops.maxray.trace_radar()
    facts["status"] = s.status
    facts["tags"] = {o.name: o.get("maxray_role") for o in bpy.context.scene.objects if o.get("maxray_role")}
    from maxray_gen.addon_settings import radar_figures

    facts["figures"] = radar_figures(s.settings())


def only_maxray_tab():
    """Blender 3.4 has no API to switch sidebar tabs: hide the others' panels so the MaxRay tab is the one shown."""
    for cls in list(bpy.types.Panel.__subclasses__()):
        if getattr(cls, "bl_space_type", "") == "VIEW_3D" and getattr(cls, "bl_region_type", "") == "UI" \
                and getattr(cls, "bl_category", "") != "MaxRay" and not cls.__name__.startswith("MAXRAY_"):
            try:
                bpy.utils.unregister_class(cls)
            except RuntimeError:
                pass


def layout():
    only_maxray_tab()
    win = bpy.context.window_manager.windows[0]
    screen = win.screen
    areas = sorted(screen.areas, key=lambda a: -a.width * a.height)
    view = next(a for a in areas if a.type == "VIEW_3D")
    space = view.spaces.active
    space.show_region_ui = True
    space.region_3d.view_perspective = "PERSP"
    space.region_3d.view_location = (0.0, 12.0, 0.0)
    space.region_3d.view_distance = 38.0
    space.region_3d.view_rotation = (0.82, 0.42, 0.18, 0.35)
    for region in view.regions:
        if region.type == "UI":
            try:
                region.active_panel_category = "MaxRay"
            except (AttributeError, TypeError):
                pass
    # the properties editor becomes an image editor showing the radar map with the groundtruth marks
    props = next((a for a in screen.areas if a.type == "PROPERTIES"), None)
    if props is not None:
        props.type = "IMAGE_EDITOR"
        props.spaces.active.image = bpy.data.images["maxray radar (groundtruth)"]
        facts["image"] = props.spaces.active.image.name
    return win, view, props


def shoot():
    import subprocess

    win, view, props = layout()

    def later():
        # Blender 3.4 has no API for the active sidebar tab: click the "MaxRay" tab (on the sidebar's right edge,
        # below "Item", the one built-in tab left) on the virtual screen.
        import subprocess

        ui = next(r for r in view.regions if r.type == "UI")
        x = ui.x + ui.width - 8
        y = win.height - (ui.y + ui.height) + 75
        print(f"CLICK {x} {y} (region {ui.x},{ui.y} {ui.width}x{ui.height}, window {win.width}x{win.height})")
        subprocess.Popen(["sh", "-c", f"sleep 0.5; xdotool mousemove {x} {y}; sleep 0.3; xdotool click 1; "
                                      "sleep 0.3; xdotool mousemove 700 500"])
        if props is not None:
            for region in props.regions:
                if region.type == "WINDOW":
                    with bpy.context.temp_override(window=win, area=props, region=region):
                        bpy.ops.image.view_all(fit_view=True)
        bpy.app.timers.register(final, first_interval=3.0)

    def final():
        with bpy.context.temp_override(window=win):
            bpy.ops.screen.screenshot(filepath=str(OUT / "addon_window.png"))
        ui = next(r for r in view.regions if r.type == "UI")  # then scroll the sidebar to its last panel
        x, y = ui.x + ui.width // 2, win.height // 2
        subprocess.Popen(["sh", "-c", f"xdotool mousemove {x} {y}; sleep 0.2; xdotool click --repeat 25 5"])
        bpy.app.timers.register(final2, first_interval=2.5)

    def final2():
        with bpy.context.temp_override(window=win):
            bpy.ops.screen.screenshot(filepath=str(OUT / "addon_window_generate.png"))
        with bpy.context.temp_override(window=win, area=view):
            bpy.ops.screen.screenshot_area(filepath=str(OUT / "addon_viewport.png"))
        if props is not None:
            with bpy.context.temp_override(window=win, area=props):
                bpy.ops.screen.screenshot_area(filepath=str(OUT / "addon_radar_image.png"))
        crop_sidebar(view, win)
        save_radar_image()
        for k, v in facts.items():
            print(f"FACT {k}: {v}")
        bpy.ops.wm.quit_blender()

    bpy.app.timers.register(later, first_interval=2.0)


def crop_sidebar(view, win):
    """The sidebar cut out of both window shots (pillow from the project's environment)."""
    from PIL import Image

    ui = next(r for r in view.regions if r.type == "UI")
    box = (ui.x - 2, win.height - (ui.y + ui.height) - 14, ui.x + ui.width + 2, win.height - ui.y)
    for name in ("addon_window", "addon_window_generate"):
        Image.open(OUT / f"{name}.png").crop(box).save(OUT / f"{name}_sidebar.png")


def save_radar_image(scale: int = 4):
    """The 'maxray radar (groundtruth)' datablock itself, enlarged (nearest neighbour), near range at the bottom."""
    import numpy as np
    from PIL import Image

    img = bpy.data.images["maxray radar (groundtruth)"]
    w, h = img.size
    px = np.array(img.pixels[:], np.float32).reshape(h, w, 4)[::-1, :, :3]
    Image.fromarray((px * 255).astype(np.uint8)).resize((w * scale, h * scale), Image.NEAREST).save(
        OUT / "addon_radar_datablock.png")


build()
bpy.app.timers.register(lambda: shoot() or None, first_interval=1.0)
