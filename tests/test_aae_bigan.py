"""Adversarial autoencoder and BiGAN: encoders, priors, the supervised AAE, and the pretrained models' cards."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import gen_models
from bench.bench_aae import knn_accuracy, label_change_accuracy
from gen_models.data.datasets import dataset_info
from gen_models.evaluation.images import fit_digit_classifier

PRETRAINED = Path(__file__).resolve().parents[1] / "pretrained"
TINY = {"batch_size": 40, "seed": 0}
TINY_AAE = {**TINY, "encoder_hidden": (32,), "decoder_hidden": (32,), "discriminator_hidden": (32,)}
TINY_BIGAN = {**TINY, "generator_hidden": (32,), "encoder_hidden": (32,), "discriminator_hidden": (32,)}


def digits_subset(n_per_label: int = 30) -> pd.DataFrame:
    data = gen_models.load_dataset("digits")
    return data.groupby("label").head(n_per_label).reset_index(drop=True)


def mnist_subset(n_per_label: int) -> pd.DataFrame:
    """A label-balanced slice of the bundled MNIST (which comes sorted by label)."""
    data = gen_models.load_dataset("mnist")
    return data.groupby("label").head(n_per_label).reset_index(drop=True)


def toy_table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Two numeric blobs and a category that says which: an easy set for a prior to shape."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)
    return pd.DataFrame(
        {"x": rng.normal(0, 1, n) + 4 * group, "y": rng.normal(0, 1, n) - 2 * group, "g": np.where(group, "b", "a")}
    )


# ----- AAE -----------------------------------------------------------------------------------------
def test_aae_encodes_table_rows_onto_its_codes(mixed_table):
    model = gen_models.create("aae", epochs=2, code_dim=3, **TINY_AAE)
    model.fit(mixed_table)
    codes = model.encode(mixed_table.head(25))
    assert codes.shape == (25, 3)
    assert np.isfinite(codes).all()
    assert [c.name for c in model.latent_codes()] == ["z0", "z1", "z2"]
    assert all(c.low == -15.0 and c.high == 15.0 and c.std == 5.0 for c in model.latent_codes())


def test_aae_codes_move_toward_the_prior():
    data, layout = digits_subset(), dataset_info("digits").layout  # 300 images: quick to encode
    settings = {**TINY_AAE, "prior_std": 5.0, "adversarial_lr": 1e-3}  # a faster game for a short run
    untrained = gen_models.create("aae", epochs=0, **settings)
    untrained.fit(data, layout=layout)
    trained = gen_models.create("aae", epochs=40, **settings)  # 280 steps
    trained.fit(data, layout=layout)
    before, after = untrained.encode(data).std(axis=0), trained.encode(data).std(axis=0)
    # An untrained encoder squeezes items into a small ball; the discriminator spreads them
    # out to the prior's width (std 5).
    assert (before < 1.5).all(), before
    assert ((after > 2.5) & (after < 10.0)).all(), after


def test_uniform_prior_has_std_prior_std_and_sliders_over_its_support():
    model = gen_models.create("aae", prior="uniform", prior_std=2.0, code_dim=3)
    draws = model.sample_prior(20000, torch.Generator().manual_seed(0)).numpy()
    half = 2.0 * np.sqrt(3)
    assert draws.shape == (20000, 3) and np.abs(draws).max() <= half
    np.testing.assert_allclose(draws.std(axis=0), 2.0, rtol=0.03)
    code = model.latent_codes()[0]
    assert (code.prior, code.low, code.high) == ("uniform", -half, half)


def test_mixture_prior_puts_components_on_a_circle():
    model = gen_models.create("aae", prior="mixture", prior_std=5.0, mixture_components=10, code_dim=2)
    draws = model.sample_prior(4000, torch.Generator().manual_seed(0)).numpy()
    radius = np.hypot(draws[:, 0], draws[:, 1])
    assert abs(np.median(radius) - 5.0) < 0.3
    angles = np.round(np.arctan2(draws[:, 1], draws[:, 0]) / (2 * np.pi / 10)) % 10
    assert len(np.unique(angles)) == 10  # every component is used


def test_aae_mixture_samples_come_from_the_mixture(mixed_table):
    model = gen_models.create("aae", epochs=1, prior="mixture", **TINY_AAE)
    model.fit(mixed_table)
    z = model.draw_latent(2000, {"z1": 0.5}, torch.Generator().manual_seed(0))
    assert (z[:, 1] == 0.5).all()  # fixed codes stay fixed
    assert z[:, 0].abs().median() > 2.0  # the free one comes from the circle, not N(0, std)...
    free = model.draw_latent(2000, None, torch.Generator().manual_seed(0))
    assert abs(np.median(np.hypot(free[:, 0].numpy(), free[:, 1].numpy())) - 5.0) < 0.5


def test_supervised_aae_keeps_the_condition_and_hides_it_from_the_encoder(mixed_table):
    model = gen_models.create("aae", epochs=2, **TINY_AAE)
    model.fit(mixed_table, condition="species")
    rows = model.sample(60, condition="Gentoo", seed=0)
    assert (rows["species"] == "Gentoo").all()
    assert "style" in model.latent_codes()[0].meaning
    # The code must not depend on the label: change only the species, get the same codes.
    swapped = mixed_table.head(40).assign(species="Chinstrap")
    np.testing.assert_array_equal(model.encode(mixed_table.head(40)), model.encode(swapped))


def test_supervised_aae_on_digits_samples_the_requested_label():
    data = digits_subset()
    model = gen_models.create("aae", epochs=2, **TINY_AAE)
    model.fit(data, condition="label", layout=dataset_info("digits").layout)
    images = model.sample(20, condition=7, seed=0)
    assert images.shape == (20, 65) and (images["label"] == 7).all()
    assert model.encode(data.head(10)).shape == (10, 2)


def test_aae_rejects_an_unknown_prior(mixed_table):
    with pytest.raises(gen_models.ModelError, match="Unknown prior 'cauchy'"):
        gen_models.create("aae", epochs=1, prior="cauchy").fit(mixed_table)


# ----- BiGAN -------------------------------------------------------------------------------------
def test_bigan_on_a_table_encodes_and_reconstructs(mixed_table):
    model = gen_models.create("bigan", epochs=2, latent_dim=5, **TINY_BIGAN)
    model.fit(mixed_table)
    codes = model.encode(mixed_table.head(30))
    assert codes.shape == (30, 5) and np.isfinite(codes).all()
    rebuilt = model.reconstruct(mixed_table.head(30))
    assert list(rebuilt.columns) == list(mixed_table.columns) and len(rebuilt) == 30
    assert set(rebuilt["species"]) <= set(mixed_table["species"])


def test_bigan_on_digits_encodes_images():
    data = digits_subset()
    model = gen_models.create("bigan", epochs=2, **TINY_BIGAN)
    model.fit(data, layout=dataset_info("digits").layout)
    assert model.encode(data.head(12)).shape == (12, 8)
    assert model.sample(5, seed=0).shape == (5, 64)  # unconditioned: pixels only
    with pytest.raises(gen_models.ModelError, match="cannot be conditioned"):
        gen_models.create("bigan", epochs=1).fit(data, condition="label", layout=dataset_info("digits").layout)


# ----- the committed pretrained models do what their cards say ----------------------------------------
def card_figures(name: str) -> dict:
    return json.loads((PRETRAINED / name / "card.json").read_text())["figures"]


def test_pretrained_aae_mnist_codes_cluster_by_digit():
    model = gen_models.load(PRETRAINED / "aae_mnist")
    data = mnist_subset(60)  # 600 digits
    assert model.config.code_dim == 2 and model.config.prior_std == 5.0 and model.condition_column is None
    accuracy = knn_accuracy(model.encode(data), data["label"].to_numpy())
    # The card's figure is on all 5,000 digits; 600 give a noisier, slightly lower one.
    assert accuracy >= card_figures("aae_mnist")["code_knn_accuracy"] - 0.1


def test_pretrained_supervised_aae_draws_the_requested_digit():
    model = gen_models.load(PRETRAINED / "aae_mnist_supervised")
    assert model.condition_column == "label"
    judge = fit_digit_classifier(mnist_subset(150), seed=0)  # a quicker judge than the bench's
    accuracy = label_change_accuracy(model, judge, n=30)
    assert accuracy >= card_figures("aae_mnist_supervised")["label_change_accuracy"] - 0.08


def test_pretrained_bigan_digits_codes_carry_the_digit():
    model = gen_models.load(PRETRAINED / "bigan_digits")
    data = gen_models.load_dataset("digits")
    accuracy = knn_accuracy(model.encode(data), data["label"].to_numpy())
    assert accuracy >= card_figures("bigan_digits")["code_knn_accuracy"] - 0.03  # same data as the card
