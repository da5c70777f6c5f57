"""The normalizing flow (exact codes, likelihoods) and the moment-matching network (its MMD loss)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import gen_models
from gen_models.data import infer_schema
from gen_models.data.encoders import GaussianisedEncoder, encoder_from_dict
from gen_models.errors import ModelError
from gen_models.models.flow import coupling_masks, flow_forward, flow_inverse, round_trip_errors
from gen_models.models.mmd import mmd_squared

TINY_FLOW = {"epochs": 30, "batch_size": 80, "seed": 1, "n_couplings": 4, "hidden": (32,)}
TINY_MMD = {"epochs": 5, "batch_size": 80, "seed": 1, "generator_hidden": (32,)}


@pytest.fixture(scope="module")
def flow(mixed_table):
    model = gen_models.create("flow", **TINY_FLOW)
    model.fit(mixed_table)
    return model


def correlated_table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Two correlated numbers and a category that shifts them: a table where likelihood has something to learn."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], size=n)
    x = rng.normal(0, 1, n) + np.where(group == "a", 0.0, 3.0)
    return pd.DataFrame({"group": group, "x": np.round(x, 3), "y": np.round(2 * x + rng.normal(0, 0.3, n), 3)})


# ----- the encoder -----------------------------------------------------------------------------------
def test_encoder_round_trip_is_exact_and_marginals_are_about_standard_normal(mixed_table):
    encoder = GaussianisedEncoder(infer_schema(mixed_table)).fit(mixed_table)
    encoder = encoder_from_dict(encoder.to_dict())  # through its JSON form, as a saved model holds it
    y = encoder.transform_exact(mixed_table)
    assert y.shape == (len(mixed_table), encoder.output_dim) == (160, 7)  # body_mass_g: a value and a missing dimension
    assert round_trip_errors(mixed_table, encoder.inverse_transform(y)) == []
    value = [span.start for span in encoder.spans if span.column == "flipper_mm"][0]
    assert abs(y[:, value].mean()) < 0.2 and 0.7 < y[:, value].std() < 1.3


def test_numbers_with_many_decimals_and_an_exact_zero_come_back():
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"share": np.concatenate([[0.0], rng.random(99) / 3]), "big": rng.normal(1e6, 1e5, 100)})
    encoder = GaussianisedEncoder(infer_schema(data)).fit(data)
    rebuilt = encoder.inverse_transform(encoder.transform_exact(data))
    assert rebuilt.loc[0, "share"] == 0.0 and round_trip_errors(data, rebuilt, rtol=1e-6) == []


def test_round_trip_errors_names_what_differs(mixed_table):
    changed = mixed_table.copy()
    changed.loc[3, "flipper_mm"] += 1
    changed.loc[5, "species"] = "Gentoo" if changed.loc[5, "species"] != "Gentoo" else "Adelie"
    errors = round_trip_errors(mixed_table, changed)
    assert errors == ["'species': 1 values differ", "'flipper_mm': 1 values differ"]


# ----- the flow ------------------------------------------------------------------------------------------
def test_couplings_invert_exactly_in_float64():
    torch.manual_seed(0)
    model = gen_models.create("flow", n_couplings=4, hidden=(16,))
    couplings = torch.nn.ModuleList(
        [gen_models.models.flow.AffineCoupling(mask, (16,), 3.0) for mask in coupling_masks(5, 4)]
    ).double()
    for coupling in couplings:  # away from the identity a new coupling starts at
        torch.nn.init.normal_(coupling.net[-1].weight, std=0.5)
    y = torch.randn(50, 5, dtype=torch.float64)
    z, log_det = flow_forward(couplings, y)
    assert not torch.allclose(z, y) and torch.isfinite(log_det).all()
    assert torch.allclose(flow_inverse(couplings, z), y, atol=1e-12)
    assert model.config.n_couplings == 4
    # The log-determinant is the true one: compare with autograd's Jacobian for one row.
    jacobian = torch.autograd.functional.jacobian(lambda row: flow_forward(couplings, row[None])[0][0], y[0])
    assert torch.allclose(torch.linalg.slogdet(jacobian)[1], log_det[0], atol=1e-10)


def test_flow_encode_then_decode_codes_gives_the_rows_back(flow, mixed_table):
    codes = flow.encode(mixed_table)
    assert codes.shape == (len(mixed_table), flow.latent_width)
    assert round_trip_errors(mixed_table, flow.decode_codes(codes)) == []
    # The float64 codes also go through the float32 path other callers use (perturbation, design).
    rebuilt = flow.decode(flow.generate_from_latent(torch.from_numpy(codes)).detach())
    assert (rebuilt["species"] == mixed_table["species"]).mean() > 0.95


def test_flow_log_likelihood_is_finite_per_row(flow, mixed_table):
    far = mixed_table.head(5).copy()
    far["body_mass_g"] = 1e7  # far outside the training range: still a finite (very low) value
    ll = flow.log_likelihood(pd.concat([mixed_table, far], ignore_index=True))
    assert ll.shape == (len(mixed_table) + 5,) and np.isfinite(ll).all()
    assert ll[-5:].max() < ll[: len(mixed_table)].min()


def test_a_row_is_likelier_than_itself_with_a_value_moved_five_std_away():
    data = correlated_table()
    model = gen_models.create("flow", **{**TINY_FLOW, "epochs": 40})
    model.fit(data)
    real = model.log_likelihood(data)
    rng = np.random.default_rng(0)
    column = rng.choice(["x", "y"], size=len(data))
    sign = rng.choice([-1.0, 1.0], size=len(data))
    moved = data.copy()
    for name in ("x", "y"):
        picked = column == name
        moved.loc[picked, name] += sign[picked] * 5 * data[name].std()
    assert (real > model.log_likelihood(moved)).mean() >= 0.95


def test_flow_trains_its_likelihood_up():
    data = correlated_table()
    untrained = gen_models.create("flow", **{**TINY_FLOW, "epochs": 1})
    untrained.fit(data)
    trained = gen_models.create("flow", **{**TINY_FLOW, "epochs": 60})
    trained.fit(data)
    assert trained.log_likelihood(data).mean() > untrained.log_likelihood(data).mean() + 0.5


def test_flow_save_load_gives_identical_samples_and_codes(flow, mixed_table, tmp_path):
    flow.save(tmp_path / "flow")
    again = gen_models.load(tmp_path / "flow")
    pd.testing.assert_frame_equal(flow.sample(50, seed=4), again.sample(50, seed=4))
    np.testing.assert_array_equal(flow.encode(mixed_table), again.encode(mixed_table))


def test_decode_codes_refuses_codes_of_the_wrong_shape(flow):
    with pytest.raises(ModelError, match="shape"):
        flow.decode_codes(np.zeros((3, flow.latent_width + 1)))
    with pytest.raises(ModelError, match="finite"):
        flow.decode_codes(np.full((1, flow.latent_width), np.nan))


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"n_couplings": 0}, "n_couplings"), ({"hidden": ()}, "hidden"), ({"max_log_scale": 0}, "max_log_scale")],
)
def test_flow_refuses_bad_settings(settings, message):
    with pytest.raises(ModelError, match=message):
        gen_models.create("flow", **settings)


# ----- the moment-matching network -------------------------------------------------------------------------
def test_mmd_of_identical_batches_is_zero_and_of_shifted_ones_positive():
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    widths = [0.5, 1.0, 2.0]
    assert mmd_squared(x, x.clone(), widths).abs() < 1e-6
    small, large = mmd_squared(x, x + 0.5, widths), mmd_squared(x, x + 3.0, widths)
    assert 0 < small < large


def test_mmd_is_symmetric_and_sees_a_change_in_spread_alone():
    torch.manual_seed(0)
    x = torch.randn(200, 3)
    widths = [0.5, 1.0, 2.0]
    wide = 3 * torch.randn(200, 3)  # same mean, other spread: a mean comparison would miss it
    assert torch.isclose(mmd_squared(x, wide, widths), mmd_squared(wide, x, widths))
    assert mmd_squared(x, wide, widths) > 10 * mmd_squared(x, torch.randn(200, 3), widths)


def test_mmd_training_lowers_its_loss(mixed_table):
    model = gen_models.create("mmd", **{**TINY_MMD, "epochs": 40})
    model.fit(mixed_table)
    losses = [record["mmd_squared"] for record in model.history]
    assert np.mean(losses[-10:]) < 0.7 * np.mean(losses[:5])


def test_mmd_save_load_gives_identical_samples(mixed_table, tmp_path):
    model = gen_models.create("mmd", **TINY_MMD)
    model.fit(mixed_table)
    model.save(tmp_path / "mmd")
    pd.testing.assert_frame_equal(model.sample(50, seed=2), gen_models.load(tmp_path / "mmd").sample(50, seed=2))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"bandwidths": ()}, "bandwidths"),
        ({"bandwidths": (1.0, -1.0)}, "bandwidths"),
        ({"batch_size": 1}, "batch_size"),
    ],
)
def test_mmd_refuses_bad_settings(settings, message):
    with pytest.raises(ModelError, match=message):
        gen_models.create("mmd", **settings)


def test_decode_codes_works_for_every_encoder_owning_model(mixed_table):
    model = gen_models.create("vae", epochs=2, batch_size=40, seed=3)
    model.fit(mixed_table)
    rows = model.decode_codes(model.encode(mixed_table.head(7)))
    assert list(rows.columns) == list(mixed_table.columns) and len(rows) == 7
    pd.testing.assert_frame_equal(rows, model.decode_codes(model.encode(mixed_table.head(7))))  # deterministic


# ----- the app ------------------------------------------------------------------------------------------
def test_explore_colours_the_map_by_likelihood_and_evaluate_shows_outliers(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    import ui.widgets.models

    folder = tmp_path / "pretrained"
    model = gen_models.create("flow", **TINY_FLOW)
    model.fit(gen_models.load_dataset("penguins"))
    model.save(folder / "flow_tiny", extra={"dataset": "penguins"})
    monkeypatch.setattr(ui.widgets.models, "PRETRAINED_DIR", folder)
    monkeypatch.setenv("LATENT_LAB_RUNS", str(tmp_path / "runs"))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120).run()
    at.switch_page("app_pages/explore.py").run()
    at.selectbox(key="explore_model").select("pretrained:flow_tiny").run()
    key = "pretrained:flow_tiny"
    at.session_state[f"view:{key}:3"] = "Map of the real rows"
    at.run()
    at.selectbox(key=f"map_colour:{key}").select("likelihood (the flow's)").run()
    assert not at.exception and not at.error
    names = {trace.get("name") for chart in at.get("plotly_chart") for trace in json.loads(chart.proto.spec)["data"]}
    assert {"least likely fifth", "most likely fifth"} <= names

    at.switch_page("app_pages/evaluate.py").run()
    at.selectbox(key="evaluate_model").select("pretrained:flow_tiny").run()
    assert not at.exception and not at.error
    shown = [frame.value for frame in at.dataframe if "log-likelihood" in frame.value.columns]
    assert len(shown) == 2 and all(len(frame) == 5 for frame in shown)
    assert shown[0]["log-likelihood"].is_monotonic_increasing
