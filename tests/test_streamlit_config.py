"""The app's Streamlit settings that operations depend on."""

from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


def test_the_file_watcher_is_off_so_a_venv_in_the_project_cannot_flood_the_server():
    server = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["server"]
    assert server["fileWatcherType"] == "none"
    assert server["headless"] is True
