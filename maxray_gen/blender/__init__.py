"""The Blender layer: the only code in maxray_gen that imports bpy."""
