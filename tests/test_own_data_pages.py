"""Issue #14 on the pages (AppTest): Explore, Generate, Evaluate and Compare work as well on a person's own data.

The pretrained models in pretrained/ stand in for any trained model; runs go to a temporary folder.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

import gen_models
from ui.core import runs
from ui.widgets import quality as q

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PRETRAINED = ROOT / "pretrained"


@pytest.fixture
def runs_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LATENT_LAB_RUNS", str(tmp_path))
    return tmp_path


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Media file id -> the bytes a download button serves, filled in as the page runs."""
    stored: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def remember(self, path_or_data, mimetype, kind, filename=None):  # noqa: ANN001, ANN202
        file_id = original(self, path_or_data, mimetype, kind, filename)
        stored[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", remember)
    return stored


def page(path: str, model_key: str, widget: str) -> AppTest:
    """A fresh session on `path` showing the model `model_key` (picked with the page's selectbox `widget`)."""
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page(path).run()
    at.selectbox(key=widget).select(model_key).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def texts(at: AppTest, kind: str) -> str:
    return " ".join(str(element.value) for element in getattr(at, kind))


def plotly_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


# ----- Generate ------------------------------------------------------------------------------------
def test_generate_draws_codes_at_random_until_the_user_holds_some(runs_root: Path) -> None:
    key = "pretrained:vae_penguins"
    at = page("app_pages/explore.py", key, "explore_model")
    at.slider(key=f"code:{key}:z0").set_value(2.5).run()
    assert at.session_state[f"held:{key}"] == {"z0": 2.5}

    at.switch_page("app_pages/generate.py").run()
    assert at.selectbox(key="generate_model").value == key, "the model follows the user"
    assert at.radio(key=f"gen_mode:{key}").value.startswith("Draw all codes at random")
    shown = at.dataframe[0].value
    expected = gen_models.load(PRETRAINED / "vae_penguins").sample(1000, seed=0).head(len(shown))
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected, check_dtype=False)
    assert "On the Explore page you hold z0 = 2.50. They are not used here" in texts(at, "caption")
    assert not at.info, "nothing is held, so nothing says so"

    at.radio(key=f"gen_mode:{key}").set_value("Hold some codes at fixed values").run()
    assert at.multiselect(key=f"gen_codes:{key}").value == ["z0"], "offered at Explore's values"
    assert "Held for every row: z0 = 2.50" in texts(at, "info")


def test_every_download_is_bytes_that_another_download_does_not_take_away(
    runs_root: Path, downloads: dict[str, bytes]
) -> None:
    at = page("app_pages/generate.py", "pretrained:vae_penguins", "generate_model")
    keys = ["download_csv", "download_parquet", "download_json", "download_bundle"]
    urls = {key: at.download_button(key=key).proto.url for key in keys}
    for key, url in urls.items():
        assert url and not at.download_button(key=key).proto.deferred_file_id, f"{key} is a deferred callable"

    at.download_button(key="download_csv").click().run()  # a download, then straight away the zip
    assert not at.exception
    assert {key: at.download_button(key=key).proto.url for key in keys} == urls, "the same files after a rerun"
    zipped = next(data for file_id, data in downloads.items() if file_id in urls["download_bundle"])
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        assert {"model/model.json", "settings.json", "regenerate.py"} <= set(archive.namelist())


# ----- Explore -------------------------------------------------------------------------------------
def test_the_encoder_map_shows_every_class_and_the_blend_crosses_classes(runs_root: Path) -> None:
    key = "pretrained:aae_mnist"  # MNIST's 5,000 digits are sorted by label: the first 3,000 are 0-5 only
    at = page("app_pages/explore.py", key, "explore_model")
    at.session_state[f"view:{key}:3"] = "Real images in the code space"
    at.run()
    assert not at.exception and not at.error
    figure = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"] == "Real images in the code space")
    classes = [trace["name"] for trace in figure["data"] if trace["name"] != "sliders"]
    assert sorted(classes) == [str(digit) for digit in range(10)]
    real = gen_models.load_dataset("mnist")
    first, last = 0, at.number_input(key=f"blend_b:{key}").value - 1
    assert real["label"].iloc[first] != real["label"].iloc[last]
    assert "(a label 0 and a label 1)" in texts(at, "caption")


def test_infogan_level_buttons_say_what_each_level_draws(runs_root: Path) -> None:
    key = "pretrained:infogan_mnist"
    at = page("app_pages/explore.py", key, "explore_model")
    levels = json.loads((PRETRAINED / "infogan_mnist" / "card.json").read_text())["figures"]["c1_levels"]
    options = at.segmented_control(key=f"code:{key}:c1").options
    assert options == [f"level {level} · {entry['draws']}s" for level, entry in levels.items()]
    assert "level 8 · 3s" in options


# ----- one quality figure ----------------------------------------------------------------------------
SESSION = "0123456789ab"


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, runs.TrainingRun]:
    """A short VAE run on penguins, trained as the Train page trains one (quality checks, best epoch kept)."""
    root = tmp_path_factory.mktemp("runs")
    frame = gen_models.load_dataset("penguins")
    model = gen_models.create("vae", epochs=4, batch_size=64, seed=0)
    schema = gen_models.infer_schema(frame)
    run = runs.start_run(SESSION, root / SESSION, model, frame, schema, None, "Palmer penguins (bundled)", "penguins")
    run.wait(timeout=120)
    assert run.snapshot().info.status == "finished"
    return root, run


def test_train_generate_evaluate_and_compare_give_one_quality_figure(
    finished_run: tuple[Path, runs.TrainingRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, run = finished_run
    best = max(run.snapshot().quality, key=lambda record: record["quality"])  # the Train page's "best" figure
    directory = root / SESSION / run.run_id
    saved = gen_models.load(directory)
    standard = q.standard_quality(saved, runs.load_training_data(directory))
    assert standard["quality"] == best["quality"], "the kept epoch scores on reload exactly as it did in training"
    assert q.standard_quality(run.model, run.frame)["quality"] == best["quality"], "Compare scores the same"

    monkeypatch.setenv("LATENT_LAB_RUNS", str(root))
    shown = f"{best['quality']:.2f}"
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["session"] = SESSION
    at.run().switch_page("app_pages/generate.py").run()
    at.number_input(key="gen_rows").set_value(300).run()  # the rows downloaded do not change the model's figure
    assert {m.label: m.value for m in at.metric}["Quality of this model"] == shown
    at.switch_page("app_pages/evaluate.py").run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Quality"] == shown
    assert "This quality is the model's figure" in texts(at, "caption")
    at.number_input(key="eval_rows").set_value(2000).run()
    assert f"The model's quality figure on the Train, Generate and Compare pages is {shown}" in texts(at, "caption")


def test_evaluate_names_the_categories_never_generated(runs_root: Path) -> None:
    real = gen_models.load_dataset("penguins")
    synthetic = real[real["species"] != "Chinstrap"]  # a "model" that never makes one species
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("app_pages/evaluate.py").run()
    at.radio(key="eval_mode").set_value("A synthetic CSV file").run()
    at.selectbox(key="eval_real_choice").select("penguins").run()
    at.file_uploader(key="eval_synthetic_upload").upload("rows.csv", synthetic.to_csv(index=False).encode(), "text/csv")
    at.run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Coverage"] == "1 missing"
    assert "Never generated: species 'Chinstrap'" in texts(at, "caption")


# ----- Evaluate: images and sequences ------------------------------------------------------------------
def test_evaluate_scores_an_image_model(runs_root: Path) -> None:
    at = page("app_pages/evaluate.py", "pretrained:aae_mnist", "evaluate_model")
    cards = {m.label: m.value for m in at.metric}
    assert 0.3 < float(cards["Diversity"]) < 1.5
    assert 0.5 < float(cards["Recognisability"]) <= 1.0
    assert cards["Classes drawn"].endswith("of 10")
    shares = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"] == "What the images are read as")
    assert [trace["name"] for trace in shares["data"]] == ["real", "generated"]
    assert len(at.get("image")) == 2, "generated and real images side by side"


def test_evaluate_scores_a_sequence_model(runs_root: Path) -> None:
    at = page("app_pages/evaluate.py", "pretrained:rcgan_waves", "evaluate_model")
    cards = {m.label: m.value for m in at.metric}
    assert 0.5 <= float(cards["Discriminative score (AUC)"]) <= 1.0
    assert 0.5 < float(cards["Train on synthetic, test on real (accuracy, kind)"]) <= 1.0
    bands = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"].startswith("value: mean ± std"))
    assert {trace["name"] for trace in bands["data"]} >= {"real: mean ± 1 std", "generated: mean ± 1 std"}
    assert 0 <= float(cards["Autocorrelation gap"]) < 1
    lags = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"] == "value: autocorrelation by lag")
    assert [trace["name"] for trace in lags["data"]] == ["real", "generated"] and len(lags["data"][0]["x"]) == 15
    assert "These scores compare table columns" not in texts(at, "info")
    # One class at a time: pooled, sines and sawtooths average out to a flat line.
    assert sorted(at.selectbox(key="eval_sequence_class").options) == ["sawtooth", "sine"]
    at.selectbox(key="eval_sequence_class").select("sine").run()
    real = gen_models.load_dataset("waves")
    sines = real.groupby("sequence")["kind"].first().eq("sine").sum()
    assert f"Grey, mean dashed: {sines:,} real sequences" in texts(at, "caption")


# ----- Compare and the correlation maps ---------------------------------------------------------------
def test_compare_starts_from_the_train_budget_and_shows_model_titles(runs_root: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("app_pages/train.py").run()
    at.button(key="use_penguins").click().run()
    at.radio(key="train_architecture").set_value("wgan_gp").run()  # the page's shared budget (the autoregressive
    train_epochs = at.number_input(key="train_epochs_bundled:penguins").value  # model, first for tables, has its own)
    train_batch = at.number_input(key="train_batch_bundled:penguins").value
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception and not at.error
    assert at.number_input(key="cmp_epochs_bundled:penguins").value == train_epochs
    assert at.number_input(key="cmp_batch_bundled:penguins").value == train_batch
    assert (train_epochs, train_batch) == q.default_settings(len(gen_models.load_dataset("penguins")))
    options = at.multiselect(key="cmp_models").options
    assert "Variational autoencoder" in options and "WGAN-GP" in options and "vae" not in options


def test_correlation_maps_make_room_for_long_column_names() -> None:
    real = gen_models.load_dataset("penguins")
    kinds = gen_models.infer_schema(real).kinds()
    for figure in q.correlation_figures(real, real, kinds):
        assert figure.layout.xaxis.automargin and figure.layout.yaxis.automargin, figure.layout.title.text
        assert figure.layout.xaxis.tickangle == -45, "long names are tilted, not overlapped"


def test_keep_best_is_offered_only_where_epochs_are_scored(runs_root: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("app_pages/data.py").run()
    at.selectbox(key="dataset_pick").select("digits").run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and not at.error
    assert not [box for box in at.checkbox if box.key == "train_keep_best"]
    assert "Keep the best epoch is for tables" in texts(at, "caption")
    at.switch_page("app_pages/data.py").run()
    at.selectbox(key="dataset_pick").select("penguins").run()
    at.switch_page("app_pages/train.py").run()
    assert at.checkbox(key="train_keep_best").value is True
    at.switch_page("app_pages/data.py").run()
    at.selectbox(key="dataset_pick").select("waves").run()
    at.switch_page("app_pages/train.py").run()
    assert at.checkbox(key="train_keep_best").value is True, "series are scored too (issue #18)"
