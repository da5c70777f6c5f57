"""The Design page under AppTest: designing rows for a target, and perturbation sampling.

It uses the committed pretrained models (wgan_gp_penguins, vae_penguins, bigan_digits): what a
visitor finds on a fresh start.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LATENT_LAB_RUNS", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/design.py").run()
    assert not at.exception
    return at


def _texts(at: AppTest, kind: str) -> str:
    return " ".join(str(element.value) for element in getattr(at, kind))


def test_design_rows_for_a_target_and_download_them(page: AppTest) -> None:
    at = page
    at.selectbox(key="design_model").select("pretrained:wgan_gp_penguins").run()
    assert not any("aae_mnist" in o for o in at.selectbox(key="design_model").options), "only table models"
    at.selectbox(key="design_target").select("body_mass_g").run()
    at.number_input(key="design_value:body_mass_g").set_value(4800.0)
    at.number_input(key="design_rows").set_value(12)
    assert "Surrogate for *body_mass_g*" in _texts(at, "caption")
    next(b for b in at.button if b.label == "Design rows").click().run()
    assert not at.exception and not at.error, _texts(at, "error")

    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Hits, latent space"].rstrip("%")) >= 80
    # The data-space rows hit only while their categories sit between levels.
    assert int(metrics["Hits, data space snapped"].rstrip("%")) < int(metrics["Hits, latent space"].rstrip("%"))
    designed = next(df.value for df in at.dataframe if "predicted body_mass_g" in df.value.columns)
    assert len(designed) == 12 and set(designed["species"]) <= {"Adelie", "Chinstrap", "Gentoo"}
    assert len(at.get("plotly_chart")) >= 4  # predictions, map, columns, progress
    assert any(b.proto.label.startswith("Download the designed rows") for b in at.get("download_button"))

    # Changing a setting keeps the last result on screen, with a note to search again.
    at.number_input(key="design_rows").set_value(5).run()
    assert "settings changed" in _texts(at, "info")


def test_aiming_high_shows_the_data_space_running_off(page: AppTest) -> None:
    at = page
    at.selectbox(key="design_model").select("pretrained:wgan_gp_penguins").run()
    at.selectbox(key="design_target").select("body_mass_g").run()
    at.radio(key="design_goal").set_value("as high as possible")
    at.selectbox(key="design_method").select("gradient-free evolution over the codes")
    next(b for b in at.button if b.label == "Design rows").click().run()
    assert not at.exception and not at.error, _texts(at, "error")
    realism = next(df.value for df in at.dataframe if "directly in data space" in df.value.columns)
    outside = realism.loc["rows with a number outside the real range"]
    assert outside["through the latent space"] == "0%" and outside["directly in data space"] != "0%"


def test_perturbation_of_table_rows_and_images(page: AppTest) -> None:
    at = page
    at.radio(key="design_mode").set_value("New rows near real ones").run()
    options = at.selectbox(key="perturb_model").options
    assert any("vae_penguins" in o for o in options) and not any("wgan_gp" in o for o in options)
    at.selectbox(key="perturb_model").select("pretrained:vae_penguins").run()
    at.slider(key="perturb_scale").set_value(1.5).run()
    assert not at.exception and not at.error, _texts(at, "error")
    frames = [df.value for df in at.dataframe]
    realism = next(f for f in frames if "noise on the codes" in f.columns)
    outside = realism.loc["rows with a number outside the real range"]
    assert outside["noise on the codes"] == "0%" and outside["noise on the data"] != "0%"
    made = [f for f in frames if isinstance(f, pd.DataFrame) and "species" in f.columns]
    assert made and all(set(f["species"].dropna()) <= {"Adelie", "Chinstrap", "Gentoo"} for f in made[:1])

    at.selectbox(key="perturb_model").select("pretrained:bigan_digits").run()
    assert not at.exception and not at.error, _texts(at, "error")
    assert len(at.get("image")) == 2, "a grid for noise on the codes and one for noise on the data"


def test_perturbation_of_sequences(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gen_models
    import ui.widgets.models
    from gen_models.data.datasets import dataset_info

    folder = tmp_path / "pretrained"
    model = gen_models.create("vae", epochs=1, seed=0)
    model.fit(gen_models.load_dataset("waves").head(100 * 30), layout=dataset_info("waves").layout)
    model.save(folder / "vae_waves_tiny", extra={"dataset": "waves"})
    monkeypatch.setattr(ui.widgets.models, "PRETRAINED_DIR", folder)
    monkeypatch.setenv("LATENT_LAB_RUNS", str(tmp_path / "runs"))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/design.py").run()
    at.radio(key="design_mode").set_value("New rows near real ones").run()
    assert not at.exception and not at.error, _texts(at, "error")
    charts = at.get("plotly_chart")
    assert len(charts) == 2, "curves for noise on the codes and for noise on the data"
