"""`maxray generate` as a background process that a UI can poll (the Blender add-on's "Generate dataset").

The job is the ordinary command in a child process, so the caller never blocks and a crash of the job cannot take
the caller down; progress is read from the shard records (``.done/``) it writes, the same ones resume uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from maxray_gen.config import load_config


@dataclass
class JobStatus:
    shards_done: int
    shards_total: int
    running: bool
    returncode: int | None
    message: str

    @property
    def fraction(self) -> float:
        return self.shards_done / max(self.shards_total, 1)


def generate_command(config: Path, out: Path, blender: str | None = None) -> list[str]:
    """The command line: this Python with ``-m maxray_gen`` (pip bpy, a venv), or, given the ``blender``
    executable (inside the Blender application, whose Python cannot import bpy), Blender in background mode."""
    args = ["generate", str(config), "--out", str(out), "--no-progress"]
    if blender is None:
        return [sys.executable, "-m", "maxray_gen", *args]
    expr = f"import sys; from maxray_gen.cli import main; sys.exit(main({args!r}, standalone_mode=True))"
    return [blender, "--background", "--python-exit-code", "2", "--python-expr", expr]


class GenerateJob:
    """Start ``maxray generate CONFIG --out OUT`` in the background; :meth:`poll` for progress. ``blender``: the
    Blender executable to run it with (see :func:`generate_command`)."""

    def __init__(self, config: str | Path, out: str | Path, blender: str | None = None):
        self.config, self.out, self.blender = Path(config), Path(out), blender
        self.total = load_config(self.config).generate.shards
        self.proc: subprocess.Popen | None = None
        self.log = self.out / "generate.log"

    def start(self) -> "GenerateJob":
        self.out.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        here = str(Path(__file__).resolve().parents[2])  # so the child finds this maxray_gen (and its deps)
        env["PYTHONPATH"] = os.pathsep.join([here] + [p for p in sys.path if p.endswith("site-packages")]
                                            + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(generate_command(self.config, self.out, self.blender), stdout=log, stderr=subprocess.STDOUT,
                                         env=env, start_new_session=True)
        return self

    def done_shards(self) -> int:
        d = self.out / ".done"
        return len(list(d.glob("shard-*.json"))) if d.is_dir() else 0

    def poll(self) -> JobStatus:
        rc = self.proc.poll() if self.proc else None
        running = self.proc is not None and rc is None
        msg = ""
        if rc not in (None, 0):
            lines = [ln for ln in self.log.read_text(errors="replace").splitlines() if ln.strip()] \
                if self.log.exists() else []
            msg = lines[-1] if lines else f"exit code {rc}"
        return JobStatus(self.done_shards(), self.total, running, rc, msg)

    def wait(self, timeout: float | None = None) -> JobStatus:
        if self.proc is not None:
            self.proc.wait(timeout)
        return self.poll()

    def cancel(self) -> None:
        """Stop the job; finished shards stay (a later run resumes after them)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def start_generation(cfg, out: str | Path) -> "GenerateJob":
    """Check the scene, save it into OUT, and start `maxray generate` on it in the background (a
    :class:`~maxray_gen.pipeline.background.GenerateJob`). Refuses, before writing anything, a scene with
    problems; refuses (and removes its copy) when OUT holds shards of another configuration or scene."""
    import json

    from maxray_gen.addon_settings import write_config
    from maxray_gen.blender.authoring import blender_binary, save_scenario_copy
    from maxray_gen.blender.scenario import problems
    from maxray_gen.errors import ConfigError, DataError

    found = problems()
    if found:
        raise DataError("scene is not ready: " + "; ".join(found))
    out = Path(out)
    existed = set(out.glob("scenario-*.blend")) if out.is_dir() else set()
    blend = save_scenario_copy(out)
    run_cfg = cfg.model_copy(update={"scene": cfg.scene.model_copy(update={"blend": str(blend)})})
    manifest = out / "manifest.json"
    if manifest.exists():
        have = json.loads(manifest.read_text()).get("config_hash")
        if have != run_cfg.content_hash():
            if blend not in existed:
                blend.unlink()
            raise ConfigError(f"{out}: holds shards of another configuration or scene; choose a new output folder")
    cfg_path = write_config(run_cfg, out / ".addon-config.yaml")
    return GenerateJob(cfg_path, out, blender_binary()).start()
