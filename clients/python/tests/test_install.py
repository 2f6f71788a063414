"""The package installs offline with Debian's pip and setuptools (no PyPI): into a venv that
sees Debian's packages, with --no-index --no-build-isolation, exactly as README.md says; the
installed console script is a working crab. Built from a copy, so the checkout stays clean."""
import shutil
import subprocess

from conftest import PACKAGE_ROOT, PYTHON


def test_pip_install_offline_into_a_venv(hub, procs, tmp_path):
    source = tmp_path / "src"
    shutil.copytree(PACKAGE_ROOT, source, ignore=shutil.ignore_patterns(
        "tests", "build", "*.egg-info", "__pycache__", "bench"))
    venv = tmp_path / "venv"
    subprocess.run([PYTHON, "-m", "venv", "--system-site-packages", venv], check=True,
                   timeout=60)
    r = subprocess.run([venv / "bin" / "pip", "install", "--no-index", "--no-build-isolation",
                        "--disable-pip-version-check", source], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    where = subprocess.run([venv / "bin" / "python", "-c",
                            "import octopus_client; print(octopus_client.__file__)"],
                           capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr
    script = venv / "bin" / "octopus-py-crab"
    assert script.read_text().splitlines()[0] == f"#!{venv}/bin/python3"
    crab = procs([script, "--hub", hub.url, "--name", "installed", "--interval", "50ms",
                  "--count", "2"], cwd=tmp_path)
    assert crab.wait_exit(30) == 0, crab.output
    assert len(hub.records("installed")) >= 2
