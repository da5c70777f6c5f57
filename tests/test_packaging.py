"""pyproject.toml agrees with requirements.txt, and what `pip install .` would install works.

Nothing is pip-installed here (slow); the README's `pip install .` + `latent-lab --help` is checked by hand.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def requirement_pins(path: Path) -> list[str]:
    """The requirement lines of a requirements file, without comments, blank lines or `-r` includes."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def test_dependencies_are_the_runtime_pins_of_requirements_txt() -> None:
    assert PYPROJECT["project"]["dependencies"] == requirement_pins(ROOT / "requirements.txt")


def test_the_version_comes_from_the_library() -> None:
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    module, attribute = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"].rsplit(".", 1)
    assert getattr(importlib.import_module(module), attribute)


def test_the_console_script_target_is_callable() -> None:
    module, function = PYPROJECT["project"]["scripts"]["latent-lab"].split(":")
    assert callable(getattr(importlib.import_module(module), function))
    # What the installed `latent-lab --help` does: call it with no arguments, argv from the command line.
    run = f"import sys; from {module} import {function}; sys.argv = ['latent-lab', '--help']; sys.exit({function}())"
    done = subprocess.run([sys.executable, "-c", run], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


def test_the_wheel_holds_the_library_and_nothing_else() -> None:
    setuptools = pytest.importorskip("setuptools")
    found = setuptools.find_packages(where=ROOT, **PYPROJECT["tool"]["setuptools"]["packages"]["find"])
    expected = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "gen_models").rglob("__init__.py")}
    assert set(found) == expected
    assert "gen_models.models" in found
    assert not [name for name in found if name.split(".")[0] in {"ui", "app_pages", "tests", "bench", "scripts"}]


def test_the_library_reads_no_files_the_wheel_would_leave_out() -> None:
    """Only .py files are packaged; a data file under gen_models/ would need [tool.setuptools.package-data]."""
    files = [p for p in (ROOT / "gen_models").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert [p.relative_to(ROOT) for p in files if p.suffix != ".py"] == []
