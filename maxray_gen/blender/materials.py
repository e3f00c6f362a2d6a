"""Visual (Cycles) materials for the radio material names, with weather variants (wet, snow-covered)."""

from __future__ import annotations

import bpy

VISUAL = {  # radio material -> base colour, metallic, roughness
    "asphalt": ((0.045, 0.045, 0.048), 0.0, 0.85),
    "concrete": ((0.42, 0.41, 0.39), 0.0, 0.8),
    "metal": ((0.55, 0.56, 0.58), 1.0, 0.35),
    "rubber": ((0.015, 0.015, 0.015), 0.0, 0.75),
    "car_glass": ((0.01, 0.012, 0.015), 0.0, 0.05),
    "glass": ((0.02, 0.025, 0.03), 0.0, 0.05),
    "wood": ((0.30, 0.20, 0.11), 0.0, 0.7),
    "brick": ((0.35, 0.13, 0.08), 0.0, 0.85),
    "skin": ((0.62, 0.43, 0.33), 0.0, 0.55),
    "plastic": ((0.05, 0.05, 0.06), 0.0, 0.35),  # drone shells and blades, saddles, pedals
}


def _principled(mat: bpy.types.Material):
    return mat.node_tree.nodes.get("Principled BSDF")


def material(name: str, colour=None, metallic=None, roughness=None, wetness: float = 0.0,
             snow: float = 0.0, emission=None) -> bpy.types.Material:
    """A cached Principled material; wet surfaces get darker and glossier, snow whitens upward-facing areas."""
    key = f"mx_{name}_{colour}_{wetness:.2f}_{snow:.2f}_{emission}"
    mat = bpy.data.materials.get(key)
    if mat is not None:
        return mat
    base, met, rough = VISUAL.get(name, ((0.5, 0.5, 0.5), 0.0, 0.6))
    colour = base if colour is None else colour
    met = met if metallic is None else metallic
    rough = rough if roughness is None else roughness
    mat = bpy.data.materials.new(key)
    try:
        mat.use_nodes = True
    except AttributeError:
        pass
    bsdf = _principled(mat)
    dark = 1.0 - 0.45 * wetness
    bsdf.inputs["Base Color"].default_value = (colour[0] * dark, colour[1] * dark, colour[2] * dark, 1.0)
    bsdf.inputs["Metallic"].default_value = met
    bsdf.inputs["Roughness"].default_value = max(0.03, rough * (1.0 - 0.8 * wetness))
    if name == "car_paint":
        bsdf.inputs["Coat Weight"].default_value = 0.6
    if emission is not None:
        bsdf.inputs["Emission Color"].default_value = (*emission, 1.0)
        bsdf.inputs["Emission Strength"].default_value = 8.0
    if snow > 0:
        # Snow settles where the geometric normal points up: one Principled BSDF whose inputs blend towards snow
        # (white, rough, dielectric, no coat) by a factor ramping with the normal's z, instead of a mix of two
        # BSDFs (measured 2026-12-02: the second BSDF made snow the slowest condition to render).
        nt = mat.node_tree
        geo = nt.nodes.new("ShaderNodeNewGeometry")
        sep = nt.nodes.new("ShaderNodeSeparateXYZ")
        ramp = nt.nodes.new("ShaderNodeMapRange")
        ramp.inputs["From Min"].default_value = 0.55
        ramp.inputs["From Max"].default_value = 0.8
        ramp.inputs["To Max"].default_value = snow
        nt.links.new(geo.outputs["Normal"], sep.inputs["Vector"])
        nt.links.new(sep.outputs["Z"], ramp.inputs["Value"])
        targets = {"Base Color": (0.9, 0.92, 0.95, 1.0), "Roughness": 0.9, "Metallic": 0.0, "Coat Weight": 0.0}
        for input_name, snowy in targets.items():  # (not ``name``: that is the material's)
            socket = bsdf.inputs[input_name]
            colour_input = isinstance(snowy, tuple)
            mix = nt.nodes.new("ShaderNodeMix")
            mix.data_type = "RGBA" if colour_input else "FLOAT"
            a_in, b_in = (mix.inputs[6], mix.inputs[7]) if colour_input else (mix.inputs[2], mix.inputs[3])
            a_in.default_value = socket.default_value[:] if colour_input else socket.default_value
            b_in.default_value = snowy
            nt.links.new(ramp.outputs["Result"], mix.inputs[0])
            nt.links.new(mix.outputs[2] if colour_input else mix.outputs[0], socket)
    return mat


def car_material(visual: str, colour, lit: bool, wet: float, snow: float) -> bpy.types.Material:
    """The camera's material of a car part (see scene/car_model.PARTS); lamps glow when the car drives."""
    if visual == "paint":
        return material("car_paint", colour=colour, metallic=0.55, roughness=0.3, wetness=wet, snow=snow)
    if visual == "glass":
        return material("car_glass", wetness=wet, snow=snow)
    if visual == "headlight":
        return material("headlight", colour=(0.8, 0.8, 0.8), metallic=1.0, roughness=0.1,
                        emission=(1.0, 0.95, 0.85) if lit else None)
    if visual == "taillight":
        return material("taillight", colour=(0.3, 0.005, 0.005), metallic=0.0, roughness=0.15,
                        emission=(1.0, 0.02, 0.01) if lit else None)
    table = {"underbody": ((0.02, 0.02, 0.02), 0.0, 0.8), "plate": ((0.75, 0.75, 0.72), 0.0, 0.45),
             "grille": ((0.012, 0.012, 0.013), 0.3, 0.4),
             "rim": ((0.6, 0.6, 0.62), 1.0, 0.25), "rubber": ((0.015, 0.015, 0.015), 0.0, 0.75)}
    c, m, r = table[visual]
    return material(visual, colour=c, metallic=m, roughness=r, wetness=wet)
