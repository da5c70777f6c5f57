"""ui/ is split by whether a module imports Streamlit: `ui.core` never does, `ui.widgets` may.

Background threads (training runs, comparisons) use `ui.core`, so a Streamlit call there would run
outside any session; the library `gen_models` never imports Streamlit either.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STREAMLIT_FREE = sorted([*(ROOT / "ui" / "core").rglob("*.py"), *(ROOT / "gen_models").rglob("*.py")])


def imported_modules(path: Path) -> set[str]:
    """Every module an `import` or `from ... import` names anywhere in the file, function bodies included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", STREAMLIT_FREE, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_does_not_import_streamlit(path: Path) -> None:
    streamlit = {name for name in imported_modules(path) if name.split(".")[0] == "streamlit"}
    assert not streamlit, f"{path.relative_to(ROOT)} imports {sorted(streamlit)}"
    widgets = {name for name in imported_modules(path) if name.startswith("ui.widgets")}
    assert not widgets, f"{path.relative_to(ROOT)} imports {sorted(widgets)}, which import Streamlit"


def test_walk_finds_streamlit_imports() -> None:
    """The check itself: a module of ui.widgets is seen to import Streamlit."""
    assert "streamlit" in imported_modules(ROOT / "ui" / "widgets" / "state.py")
    assert len(STREAMLIT_FREE) > 10
