"""The shipped presets and scenes, as package data (so an installed wheel has them too).

- generation presets (``maxray generate --preset NAME``): ``maxray_gen/presets/NAME.yaml``;
- reproduction presets (``maxray reproduce --preset NAME``): ``maxray_gen/presets/reproduce/NAME.yaml``;
- shipped scenes: ``maxray_gen/presets/scenes/`` (the parking lot's randomisers, the radio test lot snapshot).

``maxray config presets`` lists them with their paths.
"""

from __future__ import annotations

from pathlib import Path

from maxray_gen.errors import ConfigError

HERE = Path(__file__).resolve().parent
KINDS = {"generate": HERE, "reproduce": HERE / "reproduce", "scene": HERE / "scenes"}


def names(kind: str = "generate") -> list[str]:
    """The preset names of one kind (generate, reproduce, scene)."""
    return sorted(p.stem for p in KINDS[kind].glob("*.yaml"))


def preset_path(name: str, kind: str = "generate", option: str = "--preset") -> Path:
    """The YAML file of a shipped preset; an unknown name is one clear line naming ``option`` and the choices."""
    path = KINDS[kind] / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"{option}: unknown preset {name!r}; presets: {', '.join(names(kind))}")
    return path
