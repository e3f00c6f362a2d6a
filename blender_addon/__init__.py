"""MaxRay-Gen Blender add-on: a thin UI over the ``maxray_gen`` package (panels and operators only).

Where ``maxray_gen`` comes from: the wheels bundled in the extension zip (``maxray addon build --wheels all``),
or, for a development checkout, the add-on preference "Python packages" pointing at the project's virtual
environment site-packages (see docs/addon.md).
"""

from __future__ import annotations

import sys

import bpy

from . import operators, panels, properties


class MAXRAY_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    python_path: bpy.props.StringProperty(
        name="Python packages", subtype="DIR_PATH",
        description="A site-packages folder holding maxray_gen and its dependencies (e.g. the project's "
                    ".venv/lib/python3.11/site-packages); not needed when the extension bundles its wheels",
        update=lambda self, _context: _extend_path(self.python_path))

    def draw(self, context):
        self.layout.prop(self, "python_path")
        ok, msg = maxray_available()
        self.layout.label(text=msg, icon="CHECKMARK" if ok else "ERROR")


def _extend_path(path: str) -> None:
    path = bpy.path.abspath(path) if path else ""
    if path and path not in sys.path:
        sys.path.append(path)


def maxray_available() -> tuple[bool, str]:
    """Whether maxray_gen imports here, with a line saying which one or how to get it."""
    try:
        import maxray_gen
    except ImportError as e:
        return False, f"maxray_gen not importable ({e.name}): set 'Python packages' in the add-on preferences"
    return True, f"maxray_gen {maxray_gen.__version__} from {maxray_gen.__file__.rsplit('maxray_gen', 1)[0]}"


CLASSES = (MAXRAY_AP_preferences, *properties.CLASSES, *operators.CLASSES, *panels.CLASSES)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    properties.register()
    prefs = bpy.context.preferences.addons.get(__package__)
    if prefs is not None and getattr(prefs, "preferences", None) is not None:
        _extend_path(prefs.preferences.python_path)


def unregister() -> None:
    operators.cancel_jobs()
    properties.unregister()
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
