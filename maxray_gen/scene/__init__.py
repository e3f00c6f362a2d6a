"""Scene descriptions (pure Python, no bpy): configuration, SceneSpec, sampling, and numpy geometry."""
