"""The Data page with a user's own files: European CSVs, pixel CSVs and long time series (AppTest, no browser)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
EUROPEAN_CSV = "Stadt;Einwohner;Fläche;Land\n" + "".join(
    f"S{i};{100 + i}.{i % 10}{(3 * i) % 10}0;{10 + i},{i % 10};{'Bayern' if i % 3 else 'Hessen'}\n" for i in range(40)
)


@pytest.fixture
def data_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LATENT_LAB_RUNS", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/data.py").run()
    at.radio(key="data_source").set_value("My own file").run()
    return at


def texts(at: AppTest, kind: str) -> str:
    return " ".join(element.value for element in getattr(at, kind))


def test_european_csv_numbers_are_numbers_and_the_page_says_how_it_was_read(data_page: AppTest) -> None:
    at = data_page
    at.file_uploader(key="csv_upload").upload("städte.csv", EUROPEAN_CSV.encode(), "text/csv").run()
    assert not at.exception and not at.error
    frame = at.session_state["data"].frame
    assert frame["Einwohner"].dtype.kind == "i" and frame["Einwohner"].iloc[1] == 101_130
    assert frame["Fläche"].iloc[3] == pytest.approx(13.3)
    kinds = {spec.name: spec.kind for spec in at.session_state["data"].schema.columns}
    assert kinds["Fläche"] == "continuous" and kinds["Land"] == "categorical"
    assert "decimal comma" in texts(at, "caption")


def test_a_pixel_csv_is_proposed_as_images(data_page: AppTest) -> None:
    rng = np.random.default_rng(0)
    pixels = pd.DataFrame(rng.integers(0, 256, (40, 64)), columns=[f"p{i}" for i in range(64)])
    pixels.insert(0, "label", rng.integers(0, 3, 40))
    at = data_page
    at.file_uploader(key="csv_upload").upload("pixels.csv", pixels.to_csv(index=False).encode(), "text/csv").run()
    assert not at.exception and not at.error
    layout = at.session_state["data"].layout
    assert (layout.kind, layout.image_shape, layout.label) == ("images", (8, 8), "label")
    assert at.radio(key="layout_kind").value == "images"
    assert "8x8" in texts(at, "info")
    assert "Ready to train on 40 images" in texts(at, "success")


def test_a_long_series_file_preselects_two_different_columns(data_page: AppTest) -> None:
    rows = [{"sid": s, "t": t, "value": np.sin(t / 4 + s)} for s in range(12) for t in range(24)]
    at = data_page
    csv = pd.DataFrame(rows).to_csv(index=False).encode()
    at.file_uploader(key="csv_upload").upload("series.csv", csv, "text/csv").run()
    assert not at.exception and not at.error
    assert at.radio(key="layout_kind").value == "sequences"
    assert (at.selectbox(key="layout_key").value, at.selectbox(key="layout_index").value) == ("sid", "t")
    assert "Ready to train on 12 series" in texts(at, "success")
    at.selectbox(key="layout_index").set_value("sid").run()  # the same column twice is refused, not plotted
    assert "two different columns" in texts(at, "error")
    assert "Ready to train" not in texts(at, "success")


def test_too_few_rows_says_how_many_are_needed_without_advising_a_kind_change(data_page: AppTest) -> None:
    at = data_page
    at.file_uploader(key="csv_upload").upload("tiny.csv", b"a,b\n1,x\n2,y\n3,x\n", "text/csv").run()
    assert not at.exception
    errors = texts(at, "error")
    assert "training needs at least 10" in errors and "kind" not in errors


def test_a_series_file_counts_its_budget_in_series_and_conditions_on_its_label(data_page: AppTest) -> None:
    rows = [
        {"sid": s, "t": t, "value": np.sin(t / 4 + s), "cls": "a" if s % 2 else "b"}
        for s in range(67)
        for t in range(24)
    ]
    at = data_page
    at.file_uploader(key="csv_upload").upload(
        "power.csv", pd.DataFrame(rows).to_csv(index=False).encode(), "text/csv"
    ).run()
    assert at.session_state["data"].layout.label == "cls"
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    at.radio(key="train_architecture").set_value("rcgan").run()
    caption = texts(at, "caption")
    assert "over 67 series" in caption
    batch = next(n for n in at.number_input if n.key.startswith("train_batch_")).value
    epochs = next(n for n in at.number_input if n.key.startswith("train_epochs_")).value
    assert f"That is {epochs * max(1, 67 // min(batch, 67)):,} training steps over 67 series" in caption
    assert at.selectbox(key="train_condition_rcgan").value == "cls"


def test_an_out_of_range_advanced_setting_is_named_before_any_run_starts(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LATENT_LAB_RUNS", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/train.py").run()
    at.button(key="use_penguins").click().run()
    at.radio(key="train_architecture").set_value("vae").run()
    at.number_input(key="adv_vae_latent_dim").set_value(-1000).run()
    assert not at.exception
    assert "latent_dim must be a whole number of at least 1, not -1000" in texts(at, "error")
    assert at.button(key="start_training").disabled


def test_the_autoregressive_model_is_offered_first_for_tables_with_its_own_budget(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LATENT_LAB_RUNS", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/train.py").run()
    at.button(key="use_penguins").click().run()
    assert at.radio(key="train_architecture").value == "autoregressive"
    assert "Recommended for tables" in texts(at, "caption")
    # Its own budget (about 1,500 steps, at most 60 epochs), not the page's generic one that would overfit it.
    assert at.number_input(key="train_epochs_bundled:penguins_autoregressive").value == 60
    assert at.number_input(key="train_batch_bundled:penguins_autoregressive").value == 64
