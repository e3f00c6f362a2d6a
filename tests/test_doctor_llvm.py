"""LLVM discovery for Dr.Jit and the doctor report, against fake library folders and the real machine."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from maxray_gen.cli import main
from maxray_gen.errors import DependencyError
from maxray_gen.radio import drjit_setup


def fake_libs(folder: Path, names):
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        (folder / n).write_bytes(b"\x7fELF")
    return str(folder)


@pytest.mark.parametrize("name, major", [
    ("libLLVM-19.so", 19), ("libLLVM.so.19.1", 19), ("libLLVM-14.0.6.so.1", 14), ("libLLVM-17.so.1", 17),
    ("libLLVM.so", None), ("libLLVMSupport.a", None),
])
def test_version_from_file_name(name, major):
    assert drjit_setup.llvm_major_from_name(name) == major


def test_picks_the_newest_usable(tmp_path):
    d = fake_libs(tmp_path / "lib", ["libLLVM-14.so.1", "libLLVM-15.so.1", "libLLVM.so.18.1", "libLLVM-17.so"])
    lib = drjit_setup.find_libllvm((d,))
    assert lib.major == 18 and lib.path.name == "libLLVM.so.18.1"


def test_only_old_llvm_says_what_to_install(tmp_path):
    d = fake_libs(tmp_path / "lib", ["libLLVM-14.so.1", "libLLVM-15.so.1"])
    with pytest.raises(DependencyError) as exc:
        drjit_setup.find_libllvm((d,))
    msg = str(exc.value)
    assert "LLVM >= 17" in msg and "LLVM 14" in msg and "LLVM 15" in msg and "apt-get install -y libllvm19" in msg


def test_configure_sets_the_variable(tmp_path, monkeypatch):
    d = fake_libs(tmp_path / "lib", ["libLLVM-19.so"])
    monkeypatch.setenv("DRJIT_LIBLLVM_PATH", "restored-after-the-test")
    monkeypatch.delenv("DRJIT_LIBLLVM_PATH")
    lib = drjit_setup.configure_llvm((d,))
    import os

    assert os.environ["DRJIT_LIBLLVM_PATH"] == str(lib.path)


def test_bad_user_setting_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("DRJIT_LIBLLVM_PATH", str(tmp_path / "missing.so"))
    with pytest.raises(DependencyError, match="missing.so does not exist"):
        drjit_setup.configure_llvm()
    old = Path(fake_libs(tmp_path / "lib", ["libLLVM-15.so.1"])) / "libLLVM-15.so.1"
    monkeypatch.setenv("DRJIT_LIBLLVM_PATH", str(old))
    with pytest.raises(DependencyError, match="is LLVM 15; Dr.Jit needs >= 17"):
        drjit_setup.configure_llvm()


def _run_child(code: str, env_extra: dict) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if k != "DRJIT_LIBLLVM_PATH"}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


def test_real_mitsuba_import_finds_llvm_itself():
    """On this machine (CI installs libllvm19) Mitsuba imports with the LLVM variant and no variable set."""
    code = ("from maxray_gen.radio.drjit_setup import import_mitsuba\n"
            "mi = import_mitsuba('auto')\n"
            "import drjit as dr, os\n"
            "print(mi.variant(), dr.detail.llvm_version()[0], os.environ['DRJIT_LIBLLVM_PATH'])\n")
    proc = _run_child(code, {})
    assert proc.returncode == 0, proc.stderr
    variant, major, path = proc.stdout.split()
    assert variant == "llvm_ad_mono_polarized" and int(major) >= 17 and "LLVM" in path


def test_real_import_with_too_old_llvm_fails_cleanly():
    old = next((p for p in ("/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1", "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1")
                if Path(p).exists()), None)
    if old is None:
        pytest.skip("no libLLVM 14/15 on this machine (scripts/setup.sh --dev installs libllvm15 for this test)")
    code = ("from maxray_gen.radio.drjit_setup import import_mitsuba\n"
            "from maxray_gen.errors import DependencyError\n"
            "try:\n    import_mitsuba('llvm_ad_mono_polarized')\nexcept DependencyError as e:\n    print('CLEAN', e)\n")
    proc = _run_child(code, {"DRJIT_LIBLLVM_PATH": old})
    assert proc.returncode == 0 and proc.stdout.startswith("CLEAN") and "libllvm19" in proc.stdout


def test_doctor_reports_every_component():
    res = CliRunner().invoke(main, ["doctor", "--json"])
    assert res.exit_code == 0, res.output
    checks = {c["component"]: c for c in json.loads(res.stdout)}
    for comp in ("python", "numpy", "finufft", "bpy (Blender)", "libLLVM (Dr.Jit CPU)", "Mitsuba / Dr.Jit", "torch", "GPUs"):
        assert comp in checks, comp
    assert checks["python"]["status"] == "ok"
    mi = checks["Mitsuba / Dr.Jit"]
    assert mi["status"] == "ok" and "variant llvm_ad_mono_polarized" in mi["detail"] and "LLVM 1" in mi["detail"]
    for c in checks.values():  # everything missing says how to fix it
        if c["status"] in ("missing", "problem"):
            assert c["fix"], c


def test_doctor_table_output():
    res = CliRunner().invoke(main, ["doctor", "--no-probe"])
    assert res.exit_code == 0 and "maxray doctor" in res.output and "to fix" in res.output
