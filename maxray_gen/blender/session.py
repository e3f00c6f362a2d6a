"""A clean, safe Blender session: factory settings, no Python auto-execution, a Cycles device."""

from __future__ import annotations

import os

import bpy


def reset() -> None:
    """Empty factory scene; embedded scripts of files loaded later are never run."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.preferences.filepaths.use_scripts_auto_execute = False


def cycles_device(preference: str = "auto") -> str:
    """Enable the best Cycles device: OptiX, then CUDA, else CPU (``CUDA_VISIBLE_DEVICES`` is honoured);
    ``preference`` "gpu" requires one of them, "optix" or "cuda" that one, "cpu" the CPU.

    Returns the device type in use ("OPTIX", "CUDA" or "CPU").
    """
    scene = bpy.context.scene
    if preference == "cpu" or os.environ.get("CUDA_VISIBLE_DEVICES") in ("", "-1"):
        scene.cycles.device = "CPU"
        return "CPU"
    try:
        prefs = bpy.context.preferences.addons["cycles"].preferences
    except KeyError:
        scene.cycles.device = "CPU"
        return "CPU"
    kinds = {"optix": ("OPTIX",), "cuda": ("CUDA",)}.get(preference, ("OPTIX", "CUDA"))
    for kind in kinds:
        try:
            prefs.compute_device_type = kind
            prefs.get_devices()
        except (TypeError, ValueError):
            continue
        devices = [d for d in prefs.devices if d.type == kind]
        if devices:
            for d in prefs.devices:
                d.use = d.type == kind
            scene.cycles.device = "GPU"
            return kind
    if preference != "auto":
        raise RuntimeError(f"render.device is {preference!r} but Cycles found no {' or '.join(kinds)} device")
    scene.cycles.device = "CPU"
    return "CPU"
