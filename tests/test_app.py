"""The app's home page under Streamlit's AppTest (no browser)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def test_home_page_lists_models_and_datasets():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    for name in ("gan", "cgan", "wgan_gp", "vae"):
        assert f"`{name}`" in text
    titles = [e.label for e in at.expander]
    assert any("Palmer penguins" in t for t in titles)
    assert any("CPU" in c.value or "GPU" in c.value for c in at.caption)
