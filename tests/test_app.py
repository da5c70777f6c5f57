"""The Streamlit app under AppTest (no browser): every page, and the main flows of each step.

Runs are written to a temporary folder (LATENT_LAB_RUNS). A tiny VAE trained once per module
stands in for a user's finished run, so these tests do not depend on `pretrained/`.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

import gen_models
from ui.core import runs, startup
from ui.core.export import bundle

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = [
    "app_pages/home.py",
    "app_pages/data.py",
    "app_pages/train.py",
    "app_pages/explore.py",
    "app_pages/generate.py",
    "app_pages/evaluate.py",
    "app_pages/compare.py",
    "app_pages/design.py",
    "app_pages/learn.py",
    "app_pages/playground.py",
]
SESSION = "0123456789ab"  # the session that owns the prepared run
GOOD_CSV = b"colour,size,weight\n" + b"".join(
    f"{'red' if i % 3 else 'blue'},{i % 7},{50 + (i * 37) % 41}.5\n".encode() for i in range(60)
)


@pytest.fixture
def runs_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LATENT_LAB_RUNS", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A finished VAE run on penguins saved like the Train page saves one: (runs root, run id)."""
    root = tmp_path_factory.mktemp("runs")
    frame = gen_models.load_dataset("penguins")
    model = gen_models.create("vae", epochs=3, batch_size=64, seed=0)
    schema = gen_models.infer_schema(frame)
    run = runs.start_run(SESSION, root / SESSION, model, frame, schema, None, "Palmer penguins (bundled)", "penguins")
    run.wait(timeout=60)
    assert run.snapshot().info.status == "finished"
    return root, run.run_id


def app(session: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if session is not None:
        at.query_params["session"] = session  # what a reload with ?session=... gives
    return at


def run_until(at: AppTest, done: Callable[[AppTest], bool], timeout: float = 60.0) -> AppTest:
    """Rerun until `done(at)`: AppTest does not rerun `run_every` fragments by itself."""
    deadline = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.3)
        at.run()
    return at


def texts(at: AppTest, kind: str) -> str:
    return " ".join(str(element.value) for element in getattr(at, kind))


def capture_downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Media file id -> the bytes a download button serves, filled in as the page runs."""
    stored: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def remember(self, path_or_data, mimetype, kind, filename=None):  # noqa: ANN001, ANN202
        file_id = original(self, path_or_data, mimetype, kind, filename)
        stored[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", remember)
    return stored


def open_tab(at: AppTest, model_key: str, tabs: int, label: str) -> AppTest:
    """Select an Explore tab (the tabs are lazy: only the open one runs) and rerun."""
    at.session_state[f"view:{model_key}:{tabs}"] = label
    return at.run()


def plotly_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def plotly_numbers(values: list | dict) -> np.ndarray:
    """A trace's numbers as floats: plotly writes numpy arrays as {"dtype", "bdata" (base64)}, lists as lists."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).astype(float)
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_loads_on_a_fresh_session(page: str, runs_root: Path) -> None:
    at = app().run()
    at.switch_page(page).run()
    assert not at.exception
    assert not at.error, texts(at, "error")
    assert at.title, "every page has a title"


def test_home_explains_the_steps_and_the_device(runs_root: Path) -> None:
    at = app().run()
    text = texts(at, "markdown")
    assert "latent codes" in text
    for name in gen_models.list_models():
        assert f"`{name}`" in text
    # Home draws before torch has loaded (ui/core/startup.py); once it has, the device line says which.
    assert startup.torch_ready.wait(timeout=60)
    at.run()
    assert any(c.value.startswith("Training runs on") for c in at.caption), [c.value for c in at.caption]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", at.query_params["session"])  # an unguessable token (issue #15)


@pytest.mark.skipif(torch.cuda.is_available(), reason="the one-thread rule is for CPU servers")
def test_a_training_worker_uses_one_torch_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even a run started before the background loading thread has set the rule (ui/core/startup.py)."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # what torch picks by itself on a 2-core machine; threads started now inherit it
    model = gen_models.create("vae", epochs=1, batch_size=64, seed=0)
    fit, seen = model.fit, []

    def fit_and_count(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        seen.append(torch.get_num_threads())  # in the worker thread, as training starts
        return fit(*args, **kwargs)

    monkeypatch.setattr(model, "fit", fit_and_count)
    frame = gen_models.load_dataset("penguins")
    try:
        schema = gen_models.infer_schema(frame)
        run = runs.start_run(SESSION, tmp_path, model, frame, schema, None, "penguins", "penguins")
        run.wait(timeout=60)
    finally:
        torch.set_num_threads(before)
    assert seen == [1]


HOME_WITHOUT_TORCH = """
import sys
from streamlit.testing.v1 import AppTest
import ui.core.startup
ui.core.startup.load_torch_in_background = lambda: None  # keep torch out, to see whether Home needs it
at = AppTest.from_file("app.py", default_timeout=60).run()
assert not at.exception, at.exception
print("torch" in sys.modules, [c.value for c in at.caption][-1])
"""


def test_home_opens_without_importing_torch(runs_root: Path) -> None:
    """Torch takes seconds to import; the first page must not wait for it (ui/core/startup.py)."""
    done = subprocess.run(
        [sys.executable, "-c", HOME_WITHOUT_TORCH], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False Checking whether a GPU is available…"


def test_bundled_data_with_an_unusable_column_is_fixed_and_explained(runs_root: Path) -> None:
    at = app().run()
    at.switch_page("app_pages/data.py").run()
    assert at.session_state["data"].dataset_name == "penguins"  # a sensible default
    at.selectbox(key="dataset_pick").select("cars").run()
    assert not at.exception and not at.error
    data = at.session_state["data"]
    assert data.dataset_name == "cars"
    assert data.schema.column("Name").kind == "ignore"
    assert "Name" in texts(at, "warning") and "ignore" in texts(at, "warning")
    assert "Ready to train" in texts(at, "success")


def test_upload_then_a_broken_file_keeps_the_good_data(runs_root: Path) -> None:
    at = app().run()
    at.switch_page("app_pages/data.py").run()
    at.radio(key="data_source").set_value("My own file").run()
    at.file_uploader(key="csv_upload").upload("good.csv", GOOD_CSV, "text/csv").run()
    assert not at.exception and not at.error
    assert at.session_state["data"].label == "good.csv"
    assert at.session_state["data"].frame.shape == (60, 3)

    at.file_uploader(key="csv_upload").upload("sheet.csv", b"PK\x03\x04 not really a csv", "text/csv").run()
    assert not at.exception
    assert "Excel" in texts(at, "error")
    assert at.session_state["data"].label == "good.csv"
    assert "good.csv" in texts(at, "info")


def test_start_watch_and_stop_a_training(runs_root: Path) -> None:
    at = app().run()
    at.switch_page("app_pages/train.py").run()
    at.button(key="use_penguins").click().run()
    at.radio(key="train_architecture").set_value("wgan_gp").run()
    assert at.selectbox(key="train_condition_wgan_gp").value == "species"  # the data set's label column
    at.number_input(key="train_epochs_bundled:penguins").set_value(5000).run()
    at.button(key="start_training").click().run()
    assert not at.exception and not at.error
    sid = at.query_params["session"]
    run = runs.session_runs(sid)[0]

    def loss_curve_drawn(at: AppTest) -> bool:
        specs = plotly_specs(at)
        return bool(specs) and len(specs[0]["data"]) >= 2 and run.snapshot().history

    run_until(at, loss_curve_drawn)
    assert at.button(key="start_training").disabled, "one training at a time per tab"
    at.button(key=f"stop_{run.run_id}").click().run()
    run_until(at, lambda at: "stopped" in texts(at, "warning"))
    info = json.loads((runs_root / sid / run.run_id / "run.json").read_text())
    assert info["status"] == "stopped" and info["condition"] == "species"
    assert gen_models.load(runs_root / sid / run.run_id).condition_column == "species"
    assert not at.exception


def test_a_bad_layer_list_in_advanced_settings_says_why_and_keeps_the_default(runs_root: Path) -> None:
    at = app().run()
    at.switch_page("app_pages/train.py").run()
    at.button(key="use_penguins").click().run()
    at.radio(key="train_architecture").set_value("gan").run()
    at.text_input(key="adv_gan_generator_hidden").input("128, wide").run()
    assert not at.exception
    message = texts(at, "error")
    assert "'128, wide' does not suit generator_hidden" in message and "whole numbers" in message
    assert "(default (256, 256)). Until it is fixed, training uses the default." in message


def test_a_reload_finds_the_session_runs_and_only_those(vae_run: tuple[Path, str], monkeypatch) -> None:
    root, run_id = vae_run
    monkeypatch.setenv("LATENT_LAB_RUNS", str(root))
    mine = app(SESSION).run()
    mine.switch_page("app_pages/train.py").run()
    assert any(run_id in b.key for b in mine.button if b.key), "the run is listed with its buttons"
    other = app("ba9876543210").run()
    other.switch_page("app_pages/train.py").run()
    assert not any(run_id in (b.key or "") for b in other.button)


def test_moving_a_code_slider_changes_the_rows(vae_run: tuple[Path, str], monkeypatch) -> None:
    root, run_id = vae_run
    monkeypatch.setenv("LATENT_LAB_RUNS", str(root))
    at = app(SESSION).run()
    at.switch_page("app_pages/explore.py").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="explore_model").value == f"run:{run_id}"
    before = at.dataframe[0].value
    at.slider(key=f"code:run:{run_id}:z0").set_value(2.5).run()
    after = at.dataframe[0].value
    assert not at.exception
    assert list(after.columns) == list(before.columns)
    assert not after.equals(before)
    assert "z0 = 2.50" in texts(at, "caption")

    # Start from a real row: every code is then held at that row's codes.
    open_tab(at, f"run:{run_id}", 3, "Map of the real rows")
    at.button(key=f"use_row:run:{run_id}").click().run()
    held = at.session_state[f"held:run:{run_id}"]
    assert sorted(held) == [f"z{i}" for i in range(8)]
    assert "Real rows in the latent space" in json.dumps(plotly_specs(at))


def test_generate_downloads_exactly_the_rows_shown(vae_run: tuple[Path, str], monkeypatch) -> None:
    root, run_id = vae_run
    monkeypatch.setenv("LATENT_LAB_RUNS", str(root))
    stored = capture_downloads(monkeypatch)
    at = app(SESSION).run()
    at.switch_page("app_pages/generate.py").run()
    at.number_input(key="gen_rows").set_value(250).run()
    at.number_input(key="gen_seed").set_value(3).run()
    assert not at.exception and not at.error

    def download(key: str) -> bytes:
        url = at.download_button(key=key).proto.url
        return next(data for file_id, data in stored.items() if file_id in url)

    model = gen_models.load(root / SESSION / run_id)
    expected = model.sample(250, seed=3)
    csv_rows = pd.read_csv(io.BytesIO(download("download_csv")))
    assert list(csv_rows.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(csv_rows, pd.read_csv(io.StringIO(expected.to_csv(index=False))))
    assert len(pd.read_parquet(io.BytesIO(download("download_parquet")))) == 250
    assert len(json.loads(download("download_json"))) == 250


def test_the_recipe_zip_regenerates_the_same_rows(vae_run: tuple[Path, str], tmp_path: Path) -> None:
    root, run_id = vae_run
    model_dir = root / SESSION / run_id
    with zipfile.ZipFile(io.BytesIO(bundle(model_dir, 40, {"z1": 1.5}, None, 7))) as archive:
        archive.extractall(tmp_path)
    assert json.loads((tmp_path / "settings.json").read_text())["seed"] == 7
    assert len((tmp_path / "regenerate.py").read_text().splitlines()) == 5
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "regenerate.py"], cwd=tmp_path, env=env, check=True, timeout=120)
    again = pd.read_csv(tmp_path / "rows.csv")
    expected = gen_models.load(model_dir).sample(40, codes={"z1": 1.5}, seed=7)
    pd.testing.assert_frame_equal(again, pd.read_csv(io.StringIO(expected.to_csv(index=False))))


def test_a_reload_keeps_the_chosen_data(runs_root: Path) -> None:
    at = app().run()
    at.switch_page("app_pages/data.py").run()
    at.selectbox(key="dataset_pick").select("weather").run()
    sid = at.query_params["session"]
    again = app(sid).run()  # a new browser session with the same ?session= id, as after a reload
    again.switch_page("app_pages/train.py").run()
    assert again.session_state["data"].dataset_name == "weather"
    assert "Seattle weather" in texts(again, "caption")


# ----- images and time series ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def media_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of tiny pretrained-style models: InfoGAN and AAE on 8x8 digits, RCGAN and series_ar on waves.

    One short epoch each (a few seconds in all): enough for codes that change the output,
    which is what these tests check, not for good pictures.
    """
    from gen_models.data.datasets import dataset_info

    folder = tmp_path_factory.mktemp("pretrained")
    recipes = {  # name: architecture, data set, items used (rows), condition, settings
        "infogan_tiny": ("infogan", "digits", 400, None, {"conv_channels": 8, "fc_width": 32, "noise_dim": 8}),
        "aae_tiny": ("aae", "digits", 400, None, {}),
        "rcgan_tiny": ("rcgan", "waves", 200 * 30, "kind", {}),  # 200 waves of 30 steps, both kinds
        "series_ar_tiny": ("series_ar", "waves", 200 * 30, "kind", {"hidden": 16, "head_hidden": 16}),
    }
    for name, (architecture, data, rows, condition, settings) in recipes.items():
        model = gen_models.create(architecture, epochs=1, seed=0, **settings)
        frame = gen_models.load_dataset(data).head(rows)
        model.fit(frame, layout=dataset_info(data).layout, condition=condition)
        model.save(folder / name, extra={"dataset": data})
    return folder


def explore_model(media_models: Path, monkeypatch: pytest.MonkeyPatch, runs_root: Path, name: str) -> AppTest:
    """The Explore page of a fresh session showing the pretrained model `name`."""
    import ui.widgets.models

    monkeypatch.setattr(ui.widgets.models, "PRETRAINED_DIR", media_models)
    at = app().run()
    at.switch_page("app_pages/explore.py").run()
    at.selectbox(key="explore_model").select(f"pretrained:{name}").run()
    assert not at.exception and not at.error, texts(at, "error")
    return at


def image_urls(at: AppTest) -> list[str]:
    """The media URL of every st.image: it names the PNG's content, so new pixels give a new URL."""
    return [image.proto.imgs[0].url for image in at.get("image")]


def test_moving_an_image_model_code_redraws_the_grid(media_models, monkeypatch, runs_root) -> None:  # noqa: ANN001
    at = explore_model(media_models, monkeypatch, runs_root, "infogan_tiny")
    key = "pretrained:infogan_tiny"
    first = image_urls(at)
    assert len(first) == 1, "the sample grid only: the traversal's tab is closed, so it does not run"

    at.slider(key=f"code:{key}:c2").set_value(1.5).run()
    moved = image_urls(at)
    assert moved[0] != first[0], "the sample grid changed"
    assert "c2 = 1.50" in texts(at, "caption")

    at.segmented_control(key=f"code:{key}:c1").set_value(3).run()
    assert not at.exception
    assert image_urls(at)[0] != moved[0], "holding the categorical code changed the grid"
    assert at.session_state[f"held:{key}"] == {"c2": 1.5, "c1": 3}

    # The traversal sweeps the chosen code: sweeping c3 instead of c1 draws a different figure.
    open_tab(at, key, 2, "Traversal: one code at a time")
    traversal = image_urls(at)
    assert len(traversal) == 1, "only the open tab runs: the traversal grid"
    assert "Each row is one random draw" in texts(at, "caption"), "the traversal tab is the one shown"
    at.selectbox(key=f"sweep_code:{key}").select("c3").run()
    assert image_urls(at)[0] != traversal[0]


def test_start_from_a_real_image_holds_its_codes(media_models, monkeypatch, runs_root) -> None:  # noqa: ANN001
    at = explore_model(media_models, monkeypatch, runs_root, "aae_tiny")
    key = "pretrained:aae_tiny"
    open_tab(at, key, 3, "Real images in the code space")
    assert "Real images in the code space" in json.dumps(plotly_specs(at))
    at.number_input(key=f"start_row:{key}").set_value(5).run()
    at.button(key=f"use_row:{key}").click().run()
    held = at.session_state[f"held:{key}"]
    assert sorted(held) == ["z0", "z1"]
    assert at.slider(key=f"code:{key}:z0").value == held["z0"], "the slider moved to the image's code"


def generated_curves(at: AppTest) -> list:
    """The y values of the Explore chart's generated curves."""
    return next(t for t in plotly_specs(at)[0]["data"] if t["name"] == "generated")["y"]


def test_moving_a_sequence_model_code_redraws_the_curves(media_models, monkeypatch, runs_root) -> None:  # noqa: ANN001
    at = explore_model(media_models, monkeypatch, runs_root, "rcgan_tiny")
    key = "pretrained:rcgan_tiny"

    before = generated_curves(at)
    at.slider(key=f"code:{key}:z0").set_value(2.5).run()
    assert generated_curves(at) != before
    at.selectbox(key=f"condition:{key}").select("sine").run()
    assert not at.exception and not at.error
    open_tab(at, key, 2, "Traversal: one code at a time")
    traversal = plotly_specs(at)[0]
    assert len(traversal["data"]) == 3 * 7, "3 draws x 7 values of the swept code"


def test_generate_images_downloads_pixel_columns(media_models, monkeypatch, runs_root) -> None:  # noqa: ANN001
    import ui.widgets.models

    monkeypatch.setattr(ui.widgets.models, "PRETRAINED_DIR", media_models)
    stored = capture_downloads(monkeypatch)
    at = app().run()
    at.switch_page("app_pages/generate.py").run()
    at.selectbox(key="generate_model").select("pretrained:infogan_tiny").run()
    at.number_input(key="gen_rows_images").set_value(30).run()
    assert not at.exception and not at.error
    url = at.download_button(key="download_csv").proto.url
    images = pd.read_csv(io.BytesIO(next(data for file_id, data in stored.items() if file_id in url)))
    assert images.shape == (30, 8 * 8), "one row per image, one column per pixel"
    assert list(images.columns) == [f"px{i}" for i in range(64)]
    assert images.min().min() >= 0 and images.max().max() <= 16, "pixels in the training data's range"


def test_an_autoregressive_series_models_step_codes_redraw_the_curves(media_models, monkeypatch, runs_root) -> None:  # noqa: ANN001
    at = explore_model(media_models, monkeypatch, runs_root, "series_ar_tiny")
    key = "pretrained:series_ar_tiny"

    before = generated_curves(at)
    at.slider(key=f"code:{key}:u_value[0]").set_value(0.95).run()
    assert not at.exception and not at.error
    assert generated_curves(at) != before, "the first step's u moved every curve's start"
    at.selectbox(key=f"condition:{key}").select("sawtooth").run()
    assert not at.exception and not at.error


def test_start_from_a_real_series_rebuilds_it_and_holds_its_codes(media_models, monkeypatch, runs_root) -> None:  # noqa: ANN001
    at = explore_model(media_models, monkeypatch, runs_root, "series_ar_tiny")
    key = "pretrained:series_ar_tiny"
    open_tab(at, key, 3, "Start from a real series")
    figure = plotly_specs(at)[0]
    real = next(t for t in figure["data"] if t["name"] == "real")["y"]
    rebuilt = next(t for t in figure["data"] if t["name"] == "generated")["y"]
    # The autoregressive series model's codes describe a series exactly: the rebuilt curve is the real one.
    assert np.allclose(plotly_numbers(real), plotly_numbers(rebuilt), atol=1e-5, equal_nan=True)  # 6 decimals kept
    at.number_input(key=f"start_row:{key}").set_value(2).run()
    at.button(key=f"use_row:{key}").click().run()
    assert not at.exception and not at.error
    held = at.session_state[f"held:{key}"]
    assert len(held) == 30, "one code per step of the 30-step waves"
    assert at.selectbox(key=f"condition:{key}").value in ("sine", "sawtooth"), "the series' own label is chosen"
