"""Latent codes as features (`encode`) and augmentation measured (`augment`): library, command line and page.

Models are trained for a few steps on a small table made here, where a label follows the first number.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import f1_score
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

import gen_models
from gen_models.cli import main
from gen_models.errors import DataError, ModelError
from gen_models.evaluation.augmentation import AugmentResult, augment, rare_class_rows, readable_rows
from gen_models.latent.codes import codes_of, encode_table, encoding_models

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """120 rows: two numbers, a category that follows the first number (a rare third level), an id."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    label = np.where(x > 0.9, "high", np.where(x > -0.2, "middle", "low"))
    return pd.DataFrame(
        {"id": [f"r{i:03d}" for i in range(120)], "x": x.round(3), "y": rng.normal(size=120).round(3), "label": label}
    )


@pytest.fixture(scope="module")
def features(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns="id")


@pytest.fixture(scope="module")
def vae_dir(tmp_path_factory: pytest.TempPathFactory, features: pd.DataFrame) -> Path:
    model = gen_models.create("vae", epochs=3, seed=0)
    model.fit(features)
    return model.save(tmp_path_factory.mktemp("vae") / "model")


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory: pytest.TempPathFactory, table: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("data") / "table.csv"
    table.to_csv(path, index=False)
    return path


# ----- encode ------------------------------------------------------------------------------------
def test_encode_gives_one_row_of_codes_per_row_deterministically(vae_dir: Path, table: pd.DataFrame) -> None:
    model = gen_models.load(vae_dir)
    first = encode_table(model, table, keep=["id", "label"])
    again = encode_table(gen_models.load(vae_dir), table, keep=["id", "label"])
    assert len(first) == len(table)
    assert list(first.columns) == ["id", "label"] + [code.name for code in model.latent_codes()]
    assert first["id"].tolist() == table["id"].tolist()  # the rows' own order
    pd.testing.assert_frame_equal(first, again)
    # The codes are the encoder's, row by row: a row encoded alone gets the same codes.
    alone = codes_of(model, table.iloc[[7]])
    np.testing.assert_allclose(alone.to_numpy()[0], first.iloc[7, 2:].to_numpy(dtype=float), rtol=1e-5, atol=1e-6)


def test_encode_command_writes_the_rows_and_refuses_a_missing_keep_column(
    vae_dir: Path, csv_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "codes.csv"
    assert main(["encode", str(vae_dir), "--data", str(csv_file), "--out", str(out), "--keep", "id"]) == 0
    written = pd.read_csv(out)
    assert len(written) == 120 and written.columns[0] == "id" and written.columns[1] == "z0"
    assert main(["encode", str(vae_dir), "--data", str(csv_file), "--out", str(out), "--keep", "id,nope"]) == 2
    assert "error: There is no column 'nope' to keep" in capsys.readouterr().err


def test_a_model_without_an_encoder_is_refused_with_the_models_that_can(
    features: pd.DataFrame, tmp_path: Path, csv_file: Path, capsys: pytest.CaptureFixture
) -> None:
    model = gen_models.create("wgan_gp", epochs=1, seed=0)
    model.fit(features)
    with pytest.raises(ModelError, match="Models that can: vae, aae, bigan, infogan, autoregressive"):
        codes_of(model, features)
    directory = model.save(tmp_path / "wgan")
    assert main(["encode", str(directory), "--data", str(csv_file), "--out", str(tmp_path / "c.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: wgan_gp has no encoder") and "autoregressive" in err
    assert set(encoding_models()) >= {"vae", "aae", "bigan", "infogan", "autoregressive"}


def test_infogan_and_autoregressive_codes(features: pd.DataFrame) -> None:
    infogan = gen_models.create("infogan", epochs=1, seed=0, n_levels=3, n_continuous=2)
    infogan.fit(features)
    codes = codes_of(infogan, features)
    assert list(codes.columns) == ["c1", "c2", "c3"] and len(codes) == len(features)
    assert set(codes["c1"]) <= {0, 1, 2}  # the most likely level, a whole number
    autoregressive = gen_models.create("autoregressive", epochs=2, seed=0)
    autoregressive.fit(features)
    quantiles = codes_of(autoregressive, features)
    assert list(quantiles.columns) == [code.name for code in autoregressive.latent_codes()]
    assert set(quantiles.columns) == {f"u_{c}" for c in features.columns}
    assert quantiles.to_numpy().min() >= 0 and quantiles.to_numpy().max() <= 1


def test_encode_refuses_data_without_the_models_columns(vae_dir: Path, features: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="lacks the model's column"):
        codes_of(gen_models.load(vae_dir), features.drop(columns="y"))


# ----- augment -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def measured(features: pd.DataFrame) -> AugmentResult:
    return augment(features, "label", "vae", seed=3, settings={"epochs": 3})


def _direct_f1(train: pd.DataFrame, holdout: pd.DataFrame, seed: int) -> float:
    """Macro F1 of sklearn's booster (the measure's settings) on the raw numbers: scaling does not change its bins."""
    model = HistGradientBoostingClassifier(max_iter=50, random_state=seed)
    model.fit(train[["x", "y"]].to_numpy(), train["label"].astype(str))
    return float(f1_score(holdout["label"].astype(str), model.predict(holdout[["x", "y"]].to_numpy()), average="macro"))


def test_the_four_scores_share_one_real_holdout(measured: AugmentResult, features: pd.DataFrame) -> None:
    result = measured
    assert result.holdout_rows == 24 and result.train_rows == 96 and result.synthetic_rows == 96
    assert len(set(result.train_index) | set(result.holdout_index)) == 120
    assert not set(result.train_index) & set(result.holdout_index)
    assert result.stratified
    train, holdout = features.iloc[result.train_index], features.iloc[result.holdout_index]
    # Each level keeps its share in the hold-out (stratified): counts differ by at most one from 20 %.
    for level, count in features["label"].value_counts().items():
        assert abs((holdout["label"] == level).sum() - 0.2 * count) <= 1
    assert result.scores["real"] == pytest.approx(_direct_f1(train, holdout, 3))
    assert result.scores["synthetic"] == pytest.approx(_direct_f1(result.synthetic, holdout, 3))
    both = pd.concat([train, result.synthetic[train.columns]], ignore_index=True)
    assert result.scores["real_synthetic"] == pytest.approx(_direct_f1(both, holdout, 3))
    assert result.scores["real_codes"] is not None and result.codes == [f"z{i}" for i in range(8)]
    for name in ("real_synthetic", "synthetic", "real_codes"):
        assert result.gains[name] == pytest.approx(result.scores[name] - result.scores["real"])


def test_augment_is_deterministic_and_train_rows_shrink_only_the_training_part(
    measured: AugmentResult, features: pd.DataFrame
) -> None:
    again = augment(features, "label", "vae", seed=3, settings={"epochs": 3})
    assert again.scores == measured.scores and list(again.holdout_index) == list(measured.holdout_index)
    pd.testing.assert_frame_equal(again.synthetic, measured.synthetic)
    small = augment(features, "label", "vae", seed=3, train_rows=30, rows=50, settings={"epochs": 1})
    assert small.train_rows == 30 and small.synthetic_rows == 50
    assert list(small.holdout_index) == list(measured.holdout_index)  # the same hold-out, whatever the size
    assert set(small.train_index) <= set(measured.train_index)


def test_augment_json_shape_and_bad_target_exit_2(csv_file: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["augment", "--data", str(csv_file), "--model", "vae", "--set", "epochs=1", "--rows", "20"]
    assert main([*args, "--target", "label", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {
        "target", "task", "metric", "model", "seed", "train_rows", "holdout_rows", "synthetic_rows", "stratified",
        "rare_only", "generated_classes", "condition", "codes", "scores", "gains", "training", "dropped_rows",
    }  # fmt: skip
    assert set(report["scores"]) == {"real", "real_synthetic", "synthetic", "real_codes"}
    assert set(report["gains"]) == {"real_synthetic", "synthetic", "real_codes"}
    assert report["metric"] == "macro_f1" and report["holdout_rows"] == 24 and report["synthetic_rows"] == 20
    assert main([*args, "--target", "nope"]) == 2
    assert capsys.readouterr().err.strip() == "error: There is no column 'nope' to predict."


def test_augment_text_output_and_a_numeric_target(csv_file: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["augment", "--data", str(csv_file), "--model", "wgan_gp", "--set", "epochs=1", "--target", "x"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "R² on the same 24 real hold-out rows" in out
    assert "real rows + their latent codes   -       (this model has no encoder)" in out
    assert "One split and one seed" in out


def test_rare_only_generates_the_rarer_classes_with_a_conditional_model(features: pd.DataFrame) -> None:
    with pytest.raises(ModelError, match="Models that can: cgan, wgan_gp, aae, autoregressive"):
        augment(features, "label", "vae", rare_only=True, settings={"epochs": 1})
    with pytest.raises(DataError, match="categorical target"):
        augment(features, "x", "autoregressive", rare_only=True, settings={"epochs": 1})
    result = augment(features, "label", "autoregressive", rare_only=True, rows=40, settings={"epochs": 2})
    counts = features.iloc[result.train_index]["label"].value_counts()
    rare = set(counts.index) - {counts.idxmax()}
    assert result.condition == "label" and set(result.generated_classes) == rare
    assert sum(result.generated_classes.values()) == 40
    assert set(result.synthetic["label"]) <= rare


def test_rare_class_rows_fill_the_gaps_to_the_largest_class() -> None:
    labels = pd.Series(["a"] * 6 + ["b"] * 4 + ["c"] * 1)
    assert rare_class_rows(labels, 10) == {"c": 7, "b": 3}  # lacking 5 and 2: 7.14 and 2.86 rows
    with pytest.raises(DataError, match="none is rare"):
        rare_class_rows(pd.Series(["a", "b"] * 3), 5)


# ----- the Augment page --------------------------------------------------------------------------
def test_augment_page_measures_and_draws_the_four_scores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LATENT_LAB_RUNS", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=240).run()
    at.switch_page("app_pages/augment.py").run()
    assert not at.exception
    at.selectbox(key="augment_data").select("penguins").run()
    at.selectbox(key="augment_target").select("species").run()
    at.selectbox(key="augment_model").select("vae").run()
    at.number_input(key="augment_epochs").set_value(2).run()
    at.button(key="augment_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    text = " ".join(str(m.value) for m in at.markdown)
    assert "hold-out rows" in text and "one split" in text
    assert len(at.get("plotly_chart")) == 1
    at.selectbox(key="augment_target").select("body_mass_g").run()  # a number: no rare classes
    at.number_input(key="augment_epochs").set_value(1).run()
    at.toggle(key="augment_rare").set_value(True).run()
    at.button(key="augment_run").click().run()
    assert any("categorical target" in str(e.value) for e in at.error)


def test_explore_map_tab_downloads_the_real_rows_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stored: dict = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def remember(self, path_or_data, mimetype, kind, filename=None):  # noqa: ANN001, ANN202
        file_id = original(self, path_or_data, mimetype, kind, filename)
        stored[filename] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", remember)
    monkeypatch.setenv("LATENT_LAB_RUNS", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=240).run()
    at.switch_page("app_pages/explore.py").run()
    at.selectbox(key="explore_model").select("pretrained:vae_penguins").run()
    at.session_state["view:pretrained:vae_penguins:3"] = "Map of the real rows"
    at.run()
    assert not at.exception
    assert any("codes (CSV)" in str(button.proto.label) for button in at.get("download_button"))
    data = stored["vae_codes.csv"]
    codes = pd.read_csv(io.BytesIO(data if isinstance(data, bytes) else data.encode()))
    penguins = gen_models.load_dataset("penguins")
    assert len(codes) == len(penguins) and list(codes.columns) == [*penguins.columns, *(f"z{i}" for i in range(8))]
    model = gen_models.load(ROOT / "pretrained" / "vae_penguins")
    np.testing.assert_allclose(codes[[f"z{i}" for i in range(8)]].to_numpy(), model.encode(penguins), atol=1e-5)


def test_holdout_values_the_training_rows_lack_are_read_as_theirs() -> None:
    train = pd.DataFrame({"cylinders": [4, 4, 6, 8], "x": [1.0, 2.0, 3.0, 4.0]})
    holdout = pd.DataFrame({"cylinders": [3, 6, None], "x": [1.0, None, 3.0]})
    readable = readable_rows(holdout, train, {"cylinders": "categorical", "x": "continuous"})
    assert [int(v) for v in readable["cylinders"]] == [4, 6, 4]  # the most frequent level
    assert readable["x"].tolist() == [1.0, 3.0, 3.0]  # the median row's value
    assert holdout["cylinders"].isna().sum() == 1, "the rows given are not changed"
