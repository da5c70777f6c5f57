"""The autoregressive table model and its quantile-token encoder: exact round trips, shapes, fill-in, seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

import gen_models
from gen_models.data import infer_schema
from gen_models.data.encoders import QuantileEncoder, encoder_from_dict

SMALL = {"epochs": 25, "batch_size": 64, "seed": 0}


def shaped_table(n: int = 800, seed: int = 0) -> pd.DataFrame:
    """A skewed and a bimodal number, whole numbers, a spike at 0, missing cells, a category and dates."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2]).astype(object)
    bimodal = np.where(rng.random(n) < 0.4, rng.normal(-3, 0.5, n), rng.normal(4, 1.0, n))
    skewed = rng.lognormal(0.0, 0.9, n)
    skewed[rng.random(n) < 0.2] = np.nan
    rain = np.round(np.where(rng.random(n) < 0.45, 0.0, rng.exponential(5, n)), 1)
    kind[rng.random(n) < 0.1] = None
    return pd.DataFrame(
        {
            "kind": kind,
            "bimodal": bimodal,
            "skewed": skewed,
            "count": rng.poisson(7, n) + (bimodal > 0) * 5,
            "rain": rain,
            "day": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
        }
    )


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """These networks are small: on a shared two-core machine one thread trains them several times faster."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return shaped_table()


@pytest.fixture(scope="module")
def model(table):
    model = gen_models.create("autoregressive", **SMALL)
    model.fit(table)
    return model


# ----- the encoder ---------------------------------------------------------------------------------------
def test_encoder_round_trips_categories_and_bins_exactly(table):
    encoder = QuantileEncoder(infer_schema(table)).fit(table)
    x = encoder.transform(table)
    assert x.shape == (len(table), 2 * len(table.columns)) and x.dtype == np.float32
    assert ((x[:, 1::2] >= 0) & (x[:, 1::2] < 1)).all()
    back = encoder_from_dict(encoder.to_dict()).inverse_transform(x)
    for column in ["kind", "count", "rain", "day"]:  # categories, whole numbers, one decimal, dates: exact
        pd.testing.assert_series_equal(back[column], table[column], check_names=False)
    for column in ["bimodal", "skewed"]:  # full-precision floats: same bins, within float32 of the value
        assert back[column].isna().equals(table[column].isna())
        np.testing.assert_allclose(back[column], table[column], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(encoder.transform(back)[:, 0::2], x[:, 0::2])  # same tokens


def test_encoder_gives_spikes_and_few_values_their_own_bins():
    rng = np.random.default_rng(1)
    values = np.where(rng.random(2000) < 0.3, 0.0, rng.exponential(3.0, 2000))
    frame = pd.DataFrame({"spiky": values, "dice": rng.integers(1, 7, 2000).astype(float)})
    encoder = QuantileEncoder(infer_schema(frame, overrides={"dice": "continuous"})).fit(frame)
    spiky, dice = encoder._columns
    assert spiky.decimals is None and 0.0 in [
        low for low, high in zip(spiky.lows, spiky.highs, strict=True) if low == high
    ]
    assert dice.decimals == 0 and dice.lows == dice.highs == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert len(spiky.lows) <= 101


def test_encoder_refuses_values_it_cannot_hold(table):
    encoder = QuantileEncoder(infer_schema(table)).fit(table)
    with pytest.raises(gen_models.DataError, match="not seen"):
        encoder.transform(table.assign(kind="zebra"))
    with pytest.raises(gen_models.DataError, match="empty"):
        encoder.transform(table.assign(bimodal=np.nan))


# ----- the model -------------------------------------------------------------------------------------------
def test_numbers_keep_their_shape_missing_rate_and_type(model, table):
    rows = model.sample(4000, seed=1)
    for column in ["bimodal", "skewed"]:
        real, synthetic = table[column].dropna(), rows[column].dropna()
        assert stats.ks_2samp(real, synthetic).statistic < 0.06, column
    assert abs(rows["skewed"].isna().mean() - table["skewed"].isna().mean()) < 0.04
    assert abs(rows["kind"].isna().mean() - table["kind"].isna().mean()) < 0.04
    assert abs((rows["rain"] == 0).mean() - (table["rain"] == 0).mean()) < 0.04  # the spike at 0
    assert rows["count"].dtype == table["count"].dtype == np.int64
    assert rows["day"].dtype == table["day"].dtype
    assert set(np.round(rows["rain"] * 10) / 10) == set(rows["rain"])  # one decimal, as in the data
    assert rows["bimodal"].between(table["bimodal"].min(), table["bimodal"].max()).all()


def test_columns_depend_on_the_ones_before(model, table):
    rows = model.sample(4000, seed=2)
    real = table["count"].corr(table["bimodal"])
    assert abs(rows["count"].corr(rows["bimodal"]) - real) < 0.15


def test_codes_are_one_uniform_per_column(model, table):
    codes = model.latent_codes()
    assert {code.name for code in codes} == {f"u_{column}" for column in table.columns}
    assert all(code.prior == "uniform" and (code.low, code.high) == (0.0, 1.0) for code in codes)
    low = model.sample(500, codes={"u_bimodal": 0.02}, seed=3)["bimodal"]
    high = model.sample(500, codes={"u_bimodal": 0.98}, seed=3)["bimodal"]
    assert (low <= high).all()  # the same rows but for bimodal's quantile: a higher u never lowers it
    assert low.mean() < high.mean()


def test_encode_then_decode_gives_the_rows_back_exactly(model, table):
    rows = table.head(200)
    u = model.encode(rows)
    assert u.shape == (200, len(table.columns)) and ((u >= 0) & (u <= 1)).all()
    back = model.decode(model.generate_from_latent(torch.from_numpy(u)).detach())
    for column in ["kind", "count", "rain", "day"]:
        pd.testing.assert_series_equal(back[column], rows[column].reset_index(drop=True), check_names=False)
    np.testing.assert_allclose(back["skewed"], rows["skewed"], rtol=1e-5)


def test_fixed_columns_are_honoured_and_the_rest_filled_in(model, table):
    rows = model.sample(2000, seed=4, fixed={"kind": "b"})
    assert (rows["kind"] == "b").all()
    real = table.loc[table["kind"] == "b", "bimodal"]
    assert stats.ks_2samp(real, rows["bimodal"]).statistic < 0.12  # b's own mixture, not the whole column's
    with pytest.raises(gen_models.ModelError, match="order"):
        model.sample(5, fixed={"skewed": 1.0})
    with pytest.raises(gen_models.ModelError, match="no column 'nope'"):
        model.sample(5, fixed={"nope": 1})
    with pytest.raises(gen_models.ModelError, match="nothing to choose"):
        model.sample(5, fixed={"kind": "a"}, codes={"u_kind": 0.5})


def test_a_fixed_category_fills_in_the_categories_before_it():
    rng = np.random.default_rng(2)
    colour = rng.choice(["red", "blue"], size=600)
    shape = np.where(
        colour == "red", rng.choice(["circle", "square"], 600, p=[0.9, 0.1]), rng.choice(["square", "star"], 600)
    )
    frame = pd.DataFrame({"shape": shape, "colour": colour, "size": rng.normal(0, 1, 600) + (colour == "red")})
    model = gen_models.create("autoregressive", **SMALL)
    model.fit(frame)
    assert [model.encoder.columns[j] for j in model.order] == ["colour", "shape", "size"]  # fewest levels first
    stars = model.sample(1000, seed=0, fixed={"shape": "star"})
    assert (stars["shape"] == "star").all() and (stars["colour"] == "blue").mean() > 0.97
    circles = model.sample(1000, seed=0, fixed={"shape": "circle"})
    assert (circles["colour"] == "red").mean() > 0.97
    assert circles["size"].mean() > stars["size"].mean() + 0.5  # and the columns after follow


def test_random_orders_fix_any_column(table):
    model = gen_models.create("autoregressive", order="random", **SMALL)
    model.fit(table)
    rows = model.sample(1000, seed=5, fixed={"bimodal": -3.0})
    assert (rows["bimodal"] == -3.0).all()
    assert rows["count"].mean() < table["count"].mean()  # the low mode's counts are smaller


def test_other_models_refuse_fixed_columns(mixed_table):
    model = gen_models.create("gan", epochs=1, batch_size=40)
    model.fit(mixed_table)
    with pytest.raises(gen_models.ModelError, match="cannot fix columns"):
        model.sample(5, fixed={"species": "Adelie"})


def test_same_seed_same_rows_and_save_load_identical(model, tmp_path):
    first = model.sample(300, seed=7, fixed={"kind": "a"})
    pd.testing.assert_frame_equal(first, model.sample(300, seed=7, fixed={"kind": "a"}))
    model.save(tmp_path / "m")
    loaded = gen_models.load(tmp_path / "m")
    pd.testing.assert_frame_equal(first, loaded.sample(300, seed=7, fixed={"kind": "a"}))
    pd.testing.assert_frame_equal(model.sample(300, seed=8), loaded.sample(300, seed=8))
    np.testing.assert_array_equal(model.encode(first), loaded.encode(first))


def test_the_default_budget_adapts_to_the_table_size(table):
    model = gen_models.create("autoregressive", seed=0, auto_steps=40, max_epochs=6)
    assert model.fit(table.head(128)).epochs_completed == 6  # 2 steps an epoch: 20 epochs, capped at 6
    assert model.fit(table).epochs_completed == 4  # 12 steps an epoch: 4 epochs for about 40 steps


def test_early_stopping_holds_rows_out_and_keeps_the_best_epoch(table):
    model = gen_models.create("autoregressive", seed=0, patience=3, validation_share=0.1)
    result = model.fit(table.head(300))
    assert result.status == "finished"
    assert "on 30 held-out rows" in result.message and "Kept the weights of epoch" in result.message


def test_condition_is_the_first_column(table):
    model = gen_models.create("autoregressive", **SMALL)
    model.fit(table, condition="kind")
    assert model.encoder.columns[model.order[0]] == "kind"
    assert "u_kind" not in {code.name for code in model.latent_codes()}
    rows = model.sample(200, condition="c", seed=0)
    assert (rows["kind"] == "c").all()
    assert (model.sample(200, seed=0, fixed={"kind": "c"})["kind"] == "c").all()


def test_cli_sample_fixes_columns(model, tmp_path, capsys):
    from gen_models.cli import main

    model.save(tmp_path / "m")
    out = tmp_path / "rows.csv"
    argv = ["sample", str(tmp_path / "m"), "--rows", "60", "--out", str(out), "--seed", "0"]
    assert main([*argv, "--fix", "kind=b", "--fix", "bimodal=-2.5"]) == 0
    rows = pd.read_csv(out)
    assert len(rows) == 60 and (rows["kind"] == "b").all() and (rows["bimodal"] == -2.5).all()
    assert main([*argv, "--fix", "bimodal=many"]) == 2
    assert "'many' is not a number" in capsys.readouterr().err
    assert main([*argv, "--fix", "count=9"]) == 2
    assert "order='random'" in capsys.readouterr().err


def test_design_searches_the_codes_by_evolution(model, table):
    from gen_models.latent.design import design, fit_surrogate

    surrogate = fit_surrogate(model, table, "bimodal", epochs=20)
    with pytest.raises(gen_models.ModelError, match="method='evolution'"):
        design(model, table, "bimodal", "max", rows=3, surrogate=surrogate)
    result = design(model, table, "bimodal", "max", rows=3, method="evolution", steps=8, starts=16, surrogate=surrogate)
    assert len(result.rows) == 3 and result.codes.shape == (3, len(model.latent_codes()))
    assert ((result.codes >= 0) & (result.codes <= 1)).all()
    assert result.history[-1]["latent"] <= result.history[0]["latent"]


def test_perturbation_moves_rows_through_their_codes(model, table):
    result = gen_models.perturb(model, table.head(4), 0.0, per_item=2)
    same = result.latent_items.reset_index(drop=True)  # no noise: each row comes back as itself
    pd.testing.assert_series_equal(same["kind"], table["kind"].head(4).repeat(2).reset_index(drop=True))
    moved = gen_models.perturb(model, table.head(4), 0.5, per_item=5, seed=1)
    assert len(moved.latent_items) == 20 and moved.latent_items["count"].nunique() > 1
