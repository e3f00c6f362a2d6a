"""The layering of docs/architecture.md, enforced on the imports (read from the source with ast): a module imports
only from its own layer or lower ones; no import circles between modules; bpy only under maxray_gen/blender/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "maxray_gen"

# Lowest first. A module belongs to the longest prefix listed (docs/architecture.md explains each layer).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("maxray_gen", "maxray_gen.errors", "maxray_gen.constants", "maxray_gen.schema",
                    "maxray_gen.geometry", "maxray_gen.seeding", "maxray_gen.npzfile", "maxray_gen.native_log",
                    "maxray_gen.presets", "maxray_gen.snapshot", "maxray_gen.primitives")),
    ("engines", ("maxray_gen.radar", "maxray_gen.radio", "maxray_gen.scene", "maxray_gen.sensors")),
    ("configuration", ("maxray_gen.config", "maxray_gen.addon_settings", "maxray_gen.pipeline.config",
                       "maxray_gen.blender.config")),
    ("data and Blender", ("maxray_gen.dataset", "maxray_gen.blender")),
    ("pictures", ("maxray_gen.viz",)),
    ("pipeline", ("maxray_gen.pipeline",)),
    ("learning and detection", ("maxray_gen.learn", "maxray_gen.detect")),
    ("commands", ("maxray_gen.cli", "maxray_gen.__main__", "maxray_gen.addon_build", "maxray_gen.doctor")),
]
# Imports from a lower layer to a higher one that stay, each with its reason (at most 4).
ALLOWED_UPWARD: dict[tuple[str, str], str] = {}


def _modules() -> dict[str, Path]:
    mods = {}
    for p in PKG.rglob("*.py"):
        name = ".".join(p.relative_to(ROOT).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = p
    return mods


def layer_of(module: str) -> int:
    best, level = -1, None
    for k, (_, prefixes) in enumerate(LAYERS):
        for pre in prefixes:
            if (module == pre or module.startswith(pre + ".")) and len(pre) > best:
                best, level = len(pre), k
    assert level is not None, f"{module} is in no layer: add it to LAYERS and docs/architecture.md"
    return level


def _imports(mods: dict[str, Path]) -> dict[str, set[tuple[str, int]]]:
    out = {}
    for m, p in mods.items():
        found = set()
        base = m if p.name == "__init__.py" else m.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(p.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mod = node.module or ""
                if node.level:
                    parts = base.split(".")[: len(base.split(".")) - node.level + 1]
                    mod = ".".join(parts + ([mod] if mod else []))
                names = [mod] + [f"{mod}.{a.name}" for a in node.names]
            for t in names:
                while t and t not in mods and t.split(".")[0] == "maxray_gen":
                    t = t.rsplit(".", 1)[0] if "." in t else ""
                if t in mods and t != m:
                    found.add((t, node.lineno))
                elif t.split(".")[0] == "bpy":
                    found.add(("bpy", node.lineno))
        out[m] = found
    return out


def test_every_import_goes_to_the_same_or_a_lower_layer():
    mods = _modules()
    up = []
    for m, targets in _imports(mods).items():
        for t, line in targets:
            if t != "bpy" and t != "maxray_gen" and layer_of(t) > layer_of(m) and (m, t) not in ALLOWED_UPWARD:
                up.append(f"{mods[m].relative_to(ROOT)}:{line} ({LAYERS[layer_of(m)][0]}) imports {t} "
                          f"({LAYERS[layer_of(t)][0]})")
    assert not up, "imports that run up the layers:\n" + "\n".join(sorted(up))
    assert len(ALLOWED_UPWARD) <= 4


def test_no_import_circles_and_bpy_only_in_the_blender_layer():
    mods = _modules()
    # as ../shared/tools/import_graph.py: a package's __init__ is not an edge (importing any submodule runs it)
    graph = {m: {t for t, _ in ts if t in mods and mods[t].name != "__init__.py"} for m, ts in _imports(mods).items()}
    bpy_users = sorted(m for m, ts in _imports(mods).items() if any(t == "bpy" for t, _ in ts))
    assert all(m.startswith("maxray_gen.blender") for m in bpy_users), bpy_users
    # Tarjan's strongly connected components
    index, low, stack, on, circles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not circles, circles


def test_the_rule_fails_on_an_upward_import(tmp_path, monkeypatch):
    """The checker itself: a lower-layer module importing a higher one is caught."""
    mods = _modules()
    fake = tmp_path / "geometry_upward.py"
    fake.write_text("from maxray_gen.pipeline.generate import generate\n")
    mods["maxray_gen.geometry_upward"] = fake
    found = _imports(mods)["maxray_gen.geometry_upward"]
    assert any(t == "maxray_gen.pipeline.generate" and layer_of(t) > layer_of("maxray_gen.geometry") for t, _ in found)
