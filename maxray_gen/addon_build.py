"""`maxray addon build`: the Blender extension zip (blender_addon/ + manifest, optionally with wheels)."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from maxray_gen.errors import DataError, DependencyError

ADDON_DIR = Path(__file__).resolve().parents[1] / "blender_addon"
# Dependencies Blender already has (numpy) or the add-on does not need (training, farms, Blender itself).
NOT_BUNDLED = {"numpy", "bpy", "torch", "ultralytics", "ray", "optuna", "tqdm"}
PLATFORM_TAGS = {"linux-x64": ["manylinux_2_28_x86_64", "manylinux2014_x86_64", "manylinux_2_17_x86_64"]}


def _addon_files(src: Path):
    for p in sorted(src.rglob("*")):
        rel = p.relative_to(src)
        if p.is_dir() or "__pycache__" in rel.parts or rel.parts[0] == "wheels" or p.suffix in (".zip", ".pyc"):
            continue
        yield p, rel.as_posix()


def _pip(*args: str) -> None:
    r = subprocess.run([sys.executable, "-m", "pip", *args, "-q", "--disable-pip-version-check"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise DependencyError(f"pip {args[0]} failed: {(r.stderr.strip().splitlines() or ['?'])[-1]}")


def _requirements() -> list[str]:
    """maxray_gen's runtime requirements plus its 'radio' extra (the add-on traces), minus NOT_BUNDLED."""
    from importlib.metadata import requires

    out = []
    for req in requires("maxray-gen") or []:
        name = re.split(r"[ ;<>=!~\[]", req, maxsplit=1)[0].lower()
        if name in NOT_BUNDLED:
            continue
        if "extra ==" in req and "extra == \"radio\"" not in req:
            continue
        out.append(req.split(";")[0].strip())
    return out


def build_addon(out: str | Path, wheels: str = "none", platform: str = "linux-x64") -> Path:
    """Write the installable zip. ``wheels``: ``none`` (maxray_gen from the add-on's "Python packages"
    preference), ``self`` (maxray_gen's own wheel; its dependencies from that preference), ``all`` (maxray_gen and
    its runtime + radio dependencies for ``platform``, downloaded from PyPI)."""
    if not (ADDON_DIR / "blender_manifest.toml").exists():
        raise DataError(f"{ADDON_DIR}: no add-on sources here (build from a source checkout of maxray-gen)")
    if wheels not in ("none", "self", "all"):
        raise DataError(f"wheels must be none, self or all, got {wheels!r}")
    out = Path(out)
    manifest = (ADDON_DIR / "blender_manifest.toml").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        wheel_dir = Path(tmp)
        if wheels != "none":
            _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(wheel_dir), str(ADDON_DIR.parent))
        if wheels == "all":
            plat = sum((["--platform", t] for t in PLATFORM_TAGS[platform]), [])
            _pip("download", "--only-binary=:all:", "--python-version", "3.11", *plat, "-d", str(wheel_dir),
                 *_requirements())
        for w in wheel_dir.glob("*.whl"):  # pulled in by dependencies: Blender brings its own numpy
            if w.name.split("-")[0].lower() in NOT_BUNDLED:
                w.unlink()
        found = sorted(wheel_dir.glob("*.whl"))
        if found:
            listed = ",\n".join(f'  "./wheels/{w.name}"' for w in found)
            extra = f"\nwheels = [\n{listed},\n]\n"
            if wheels == "all":
                extra += f'platforms = ["{platform}"]\n'
            manifest = manifest.replace("\n[permissions]", extra + "\n[permissions]", 1)
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(out.name + ".partial")
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as z:
            for p, rel in _addon_files(ADDON_DIR):
                if rel == "blender_manifest.toml":
                    z.writestr(rel, manifest)
                else:
                    z.write(p, rel)
            for w in found:
                z.write(w, f"wheels/{w.name}")
        part.replace(out)
    return out
