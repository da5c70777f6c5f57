"""Designing rows in latent space (gen_models.latent.design), perturbation sampling, and the `design` command.

These run on the committed pretrained models, which is what a user designs with first.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import gen_models
from gen_models.latent.design import design, fit_surrogate, parse_goal, projection
from gen_models.latent.features import FeatureSpace
from gen_models.latent.perturbation import perturb

ROOT = Path(__file__).resolve().parents[1]
PRETRAINED = ROOT / "pretrained"


@pytest.fixture(scope="module")
def wgan():
    return gen_models.load(PRETRAINED / "wgan_gp_penguins")


@pytest.fixture(scope="module")
def penguins() -> pd.DataFrame:
    return gen_models.load_dataset("penguins")


@pytest.fixture(scope="module")
def surrogate(wgan, penguins):
    return fit_surrogate(wgan, penguins, "body_mass_g", seed=0)


def test_feature_space_reads_real_rows_back(wgan, penguins):
    space = FeatureSpace(wgan.encoder, penguins)
    features = space.from_frame(penguins)
    assert features.shape == (len(penguins), space.width)
    numeric = [b for b in space.blocks if b.kind != "categorical"]
    # Standardised over the data: mean 0, std 1 (missing cells stand at the mean).
    for block in numeric:
        assert abs(float(features[:, block.start].mean())) < 0.05
    back = space.to_frame(features)
    present = penguins["bill_length_mm"].notna()
    np.testing.assert_allclose(back.loc[present, "bill_length_mm"], penguins.loc[present, "bill_length_mm"], rtol=1e-3)
    assert (back["species"] == penguins["species"]).all()
    assert not space.out_of_range(features).any() and not space.between_levels(features).any()


def test_the_surrogate_learns_the_target_from_the_other_columns(surrogate, penguins):
    assert surrogate.r2 > 0.7  # body mass is well predicted by species, sex and flipper length
    predicted = surrogate.predict(penguins.dropna())
    assert np.corrcoef(predicted, penguins.dropna()["body_mass_g"])[0, 1] > 0.85
    # The target's own feature is not an input: changing it changes nothing.
    changed = penguins.dropna().assign(body_mass_g=3000.0)
    np.testing.assert_allclose(surrogate.predict(changed), predicted, rtol=1e-5)


def test_latent_design_hits_the_target_with_realistic_rows(wgan, penguins, surrogate):
    result = design(wgan, penguins, "body_mass_g", 5000, rows=20, seed=0, surrogate=surrogate)
    assert len(result.rows) == 20 and result.predicted_column in result.rows
    assert result.hit_share(result.predictions) >= 0.8
    assert np.all(np.abs(result.predictions - 5000) < 3 * result.tolerance)
    # The generator's own body mass agrees with the prediction, so the rows are consistent.
    assert np.median(np.abs(result.rows["body_mass_g"] - 5000)) < 2 * result.tolerance
    latent, data = result.realism["latent"], result.realism["data space"]
    assert latent["nearest_real"] < data["nearest_real"]
    assert latent["out_of_range"] == 0 and latent["between_levels"] == 0
    assert data["between_levels"] > 0.2  # the naive route lands between categories
    assert set(result.rows["species"]) <= set(penguins["species"])
    # ... and once its categories are snapped to real levels, it misses the target.
    assert np.median(np.abs(result.data_space_snapped - 5000)) > np.median(np.abs(result.predictions - 5000))


def test_maximising_stays_in_range_where_data_space_runs_off(wgan, penguins, surrogate):
    result = design(wgan, penguins, "body_mass_g", "max", rows=10, seed=1, surrogate=surrogate)
    assert np.median(result.predictions) > penguins["body_mass_g"].quantile(0.9)
    assert result.rows["body_mass_g"].max() <= penguins["body_mass_g"].max()
    assert np.median(result.data_space_predictions) > 2 * penguins["body_mass_g"].max()  # absurd penguins
    assert result.realism["data space"]["out_of_range"] > 0.5
    assert result.realism["latent"]["out_of_range"] == 0


def test_gradient_free_search_also_reaches_the_target(wgan, penguins, surrogate):
    result = design(wgan, penguins, "body_mass_g", 3500, rows=10, method="evolution", seed=0, surrogate=surrogate)
    assert result.hit_share(result.predictions) >= 0.7
    assert len(result.history) == 100 and result.history[-1]["latent"] < result.history[0]["latent"]


@pytest.mark.parametrize("method", ["gradient", "evolution"])
def test_conditional_models_design_within_a_chosen_condition(penguins, method):
    model = gen_models.load(PRETRAINED / "cgan_penguins")
    result = design(model, penguins, "flipper_length_mm", 200, rows=8, method=method, condition="Adelie", seed=0)
    assert (result.rows["species"] == "Adelie").all()
    assert result.hit_share(result.predictions) >= 0.6


def test_design_is_deterministic_and_projects_every_set(wgan, penguins, surrogate):
    a = design(wgan, penguins, "body_mass_g", 4000, rows=5, steps=30, seed=3, surrogate=surrogate)
    b = design(wgan, penguins, "body_mass_g", 4000, rows=5, steps=30, seed=3, surrogate=surrogate)
    pd.testing.assert_frame_equal(a.rows, b.rows)
    points = projection(a.features)
    assert points["real"].shape == (len(penguins), 2) and points["latent"].shape == (5, 2)


@pytest.mark.parametrize(
    ("target", "value", "message"),
    [
        ("species", 5000, "must be a numeric column"),
        ("wingspan", 5000, "has no column 'wingspan'"),
        ("body_mass_g", "heavy", "must be a number, 'min' or 'max'"),
        ("body_mass_g", "nan", "finite number"),
    ],
)
def test_design_refuses_bad_requests_clearly(wgan, penguins, target, value, message):
    with pytest.raises(gen_models.DataError, match=message):
        design(wgan, penguins, target, value, rows=5, steps=2)


def test_parse_goal():
    assert parse_goal("MAX") == ("max", None) and parse_goal(" min") == ("min", None)
    assert parse_goal("4200.5") == ("value", 4200.5) and parse_goal(7) == ("value", 7.0)


def test_design_refuses_image_models():
    model = gen_models.load(PRETRAINED / "bigan_digits")
    with pytest.raises((gen_models.ModelError, gen_models.DataError)):
        fit_surrogate(model, gen_models.load_dataset("digits"), "px10")


# ----- perturbation ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vae():
    return gen_models.load(PRETRAINED / "vae_penguins")


def test_perturbation_through_codes_keeps_columns_valid(vae, penguins):
    items = penguins.dropna().sample(10, random_state=0)
    result = perturb(vae, items, scale=1.5, per_item=5, seed=0, real=penguins)
    rows = result.latent_items
    assert rows.shape == (50, len(vae.encoder.columns)) and len(result.source) == 50
    for column in ("species", "island", "sex"):
        assert set(rows[column].dropna()) <= set(penguins[column].dropna())
    for column in ("bill_length_mm", "flipper_length_mm", "body_mass_g"):
        assert rows[column].dropna().between(penguins[column].min(), penguins[column].max()).all()
    assert pd.api.types.is_integer_dtype(rows["year"])
    latent, data = result.realism["latent"], result.realism["data space"]
    assert latent["out_of_range"] == 0 and data["out_of_range"] > 0.2
    assert latent["nearest_real"] < data["nearest_real"]
    assert latent["unseen_combinations"] < data["unseen_combinations"]


def test_zero_noise_gives_reconstructions_and_copies(vae, penguins):
    items = penguins.dropna().head(5)
    result = perturb(vae, items, scale=0.0, per_item=2, seed=0, real=penguins)
    copies = result.data_items
    np.testing.assert_allclose(copies["body_mass_g"], np.repeat(items["body_mass_g"].to_numpy(), 2), rtol=1e-4)
    assert (copies["species"].to_numpy() == np.repeat(items["species"].to_numpy(), 2)).all()
    # Reconstructions come back near their originals.
    assert (result.latent_items["species"].to_numpy() == np.repeat(items["species"].to_numpy(), 2)).mean() >= 0.8


def test_perturbation_of_images_and_refusals():
    model = gen_models.load(PRETRAINED / "bigan_digits")
    digits = gen_models.load_dataset("digits")
    result = perturb(model, digits.head(4), scale=0.5, per_item=3, seed=0, real=digits)
    assert result.latent_items.shape == (12, 64) and result.data_items.shape == (12, 64)
    assert result.latent_items.to_numpy().min() >= 0 and result.latent_items.to_numpy().max() <= 16
    with pytest.raises(gen_models.ModelError, match="no encoder"):
        perturb(gen_models.load(PRETRAINED / "wgan_gp_penguins"), digits.head(2), 0.5)
    with pytest.raises(gen_models.DataError, match="at least 0"):
        perturb(model, digits.head(2), -1.0)
    with pytest.raises(gen_models.DataError, match="at least one"):
        perturb(model, digits.head(0), 0.5)


def test_generate_from_latent_is_differentiable(wgan):
    z = torch.zeros(3, wgan.latent_width, requires_grad=True)
    out = wgan.generate_from_latent(z, seed=0)
    out.sum().backward()
    assert z.grad is not None and torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0
    with pytest.raises(gen_models.ModelError, match="width"):
        wgan.generate_from_latent(torch.zeros(3, wgan.latent_width + 1))


# ----- command line -------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gen_models", *args], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def test_design_command_writes_the_rows(tmp_path):
    out, naive = tmp_path / "designed.csv", tmp_path / "naive.csv"
    done = _cli(
        "design", str(PRETRAINED / "wgan_gp_penguins"), "--target", "body_mass_g", "--value", "4500",
        "--rows", "8", "--out", str(out), "--data-space-out", str(naive), "--seed", "2", "--steps", "120",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(out)
    assert len(rows) == 8 and "predicted body_mass_g" in rows and "species" in rows
    assert np.median(np.abs(rows["predicted body_mass_g"] - 4500)) < 100
    assert len(pd.read_csv(naive)) == 8
    assert "latent space" in done.stdout and "data space" in done.stdout


def test_design_command_fails_clearly(tmp_path):
    model = str(PRETRAINED / "wgan_gp_penguins")
    done = _cli("design", model, "--target", "island", "--value", "1", "--rows", "3", "--out", str(tmp_path / "x.csv"))
    assert done.returncode == 2 and "numeric column" in done.stderr and "Traceback" not in done.stderr
    done = _cli(
        "design", str(PRETRAINED / "aae_mnist"), "--target", "px1", "--value", "min", "--rows", "3",
        "--out", str(tmp_path / "x.csv"),
    )  # fmt: skip
    assert done.returncode == 2 and "table models" in done.stderr


def test_design_command_needs_the_data_when_the_model_does_not_record_it(tmp_path, wgan, penguins):
    anonymous = tmp_path / "model"
    gen_models.load(PRETRAINED / "wgan_gp_penguins").save(anonymous, extra={})
    out = str(tmp_path / "x.csv")
    done = _cli("design", str(anonymous), "--target", "body_mass_g", "--value", "min", "--rows", "3", "--out", out)
    assert done.returncode == 2 and "--data" in done.stderr
    penguins.to_csv(tmp_path / "penguins.csv", index=False)
    done = _cli(
        "design", str(anonymous), "--target", "body_mass_g", "--value", "min", "--rows", "3", "--out", out,
        "--data", str(tmp_path / "penguins.csv"), "--steps", "20",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
