"""InfoGAN: its codes, both network families, Q learning the categorical code, and the pretrained model."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import gen_models
from bench.bench_infogan import style_properties
from gen_models.data.datasets import dataset_info, make_toy
from gen_models.data.layouts import DataLayout
from gen_models.evaluation.images import best_matching_accuracy, fit_digit_classifier

PRETRAINED = Path(__file__).resolve().parents[1] / "pretrained" / "infogan_mnist"
TINY = {"noise_dim": 8, "generator_hidden": (32,), "discriminator_hidden": (32,), "q_hidden": 16, "seed": 0}
TINY_CONV = {"noise_dim": 8, "conv_channels": 4, "fc_width": 16, "q_hidden": 8, "seed": 0}


def test_codes_come_first_and_are_configurable():
    model = gen_models.create("infogan", n_levels=4, n_continuous=3, noise_dim=5)
    codes = model.latent_codes()
    assert [c.name for c in codes[:4]] == ["c1", "c2", "c3", "c4"]
    assert codes[0].kind == "categorical" and codes[0].levels == (0, 1, 2, 3)
    assert all(c.prior == "uniform" and (c.low, c.high) == (-2.0, 2.0) for c in codes[1:4])
    assert all("without labels" in c.meaning for c in codes[:4])
    assert [c.role for c in codes[4:]] == ["noise"] * 5
    assert not model.supports_condition


def test_tiny_training_on_a_table(mixed_table):
    model = gen_models.create("infogan", epochs=3, batch_size=40, **TINY)
    result = model.fit(mixed_table)
    assert result.status == "finished"
    assert not model.uses_conv
    assert {"discriminator_loss", "generator_loss", "categorical_info_loss", "continuous_info_loss"} <= set(
        model.history[-1]
    )
    assert all(math.isfinite(v) for record in model.history for v in record.values())
    rows = model.sample(50, codes={"c1": 2, "c2": -1.5}, seed=0)
    assert list(rows.columns) == list(mixed_table.columns) and len(rows) == 50
    assert set(rows["species"]) <= set(mixed_table["species"])


def test_tilted_copies_rotate_about_the_centre_and_keep_the_background():
    digits = gen_models.load_dataset("digits").iloc[:100]
    model = gen_models.create("infogan", epochs=1, batch_size=50, c1_tilt=90.0, **TINY_CONV)
    model.fit(digits, layout=dataset_info("digits").layout)
    bar = -torch.ones(1, 8, 8)
    bar[0, 1:7, 3:5] = 1.0  # a vertical bar in tanh units, the background at -1
    images = bar.reshape(1, 64).repeat(400, 1)
    tilted = model.tilted(images).reshape(400, 8, 8)
    assert tilted.min() >= -1.0 - 1e-5 and tilted.max() <= 1.0 + 1e-5
    assert torch.allclose(tilted[:, 0, 0], torch.tensor(-1.0), atol=1e-5)  # corners stay background
    # Angles are spread over ±90 degrees: some copies stay nearly upright, some lie nearly flat.
    column_ink = (tilted + 1).sum(dim=1)[:, 3:5].sum(dim=1) / (tilted + 1).sum(dim=(1, 2))
    assert column_ink.max() > 0.9 and column_ink.min() < 0.5
    model.config.c1_tilt = 1e-4
    assert torch.allclose(model.tilted(images), images, atol=1e-3)  # no angle, no change


def test_c1_tilt_is_on_for_images_off_for_tables_and_at_zero(mixed_table):
    digits = gen_models.load_dataset("digits").iloc[:100]
    model = gen_models.create("infogan", epochs=2, batch_size=50, **TINY_CONV)
    assert model.config.c1_tilt == 20.0
    assert model.fit(digits, layout=dataset_info("digits").layout).status == "finished"
    assert all(math.isfinite(record["tilted_categorical_info_loss"]) for record in model.history)
    plain = gen_models.create("infogan", epochs=1, batch_size=50, c1_tilt=0.0, **TINY_CONV)
    plain.fit(digits, layout=dataset_info("digits").layout)
    assert "tilted_categorical_info_loss" not in plain.history[-1]
    table = gen_models.create("infogan", epochs=1, batch_size=40, **TINY)
    table.fit(mixed_table)
    assert not table.tilts and "tilted_categorical_info_loss" not in table.history[-1]
    with pytest.raises(gen_models.ModelError, match="c1_tilt"):
        gen_models.create("infogan", epochs=1, c1_tilt=-5.0, **TINY).fit(mixed_table)


def test_unfixed_continuous_codes_follow_the_training_prior(mixed_table):
    model = gen_models.create("infogan", epochs=1, batch_size=80, **TINY)
    model.fit(mixed_table)
    z = model.draw_latent(2000, {"c3": 1.7}, torch.Generator().manual_seed(0))
    c2, c3 = z[:, 10], z[:, 11]
    assert c2.abs().max() <= 1.0 and c2.abs().max() > 0.95  # drawn on [-1, 1], not the slider's [-2, 2]
    assert torch.all(c3 == 1.7)  # a fixed value passes through, even beyond the prior
    assert torch.all(z[:, :10].sum(dim=1) == 1)


def test_tiny_training_on_8x8_digits_uses_conv_nets_and_odd_sizes_use_mlps():
    digits = gen_models.load_dataset("digits").iloc[:200]
    model = gen_models.create("infogan", epochs=2, batch_size=50, **TINY_CONV)
    assert model.fit(digits, layout=dataset_info("digits").layout).status == "finished"
    assert model.uses_conv
    images = model.sample(20, codes={"c1": 7}, seed=1)
    assert images.shape == (20, 64) and images.to_numpy().min() >= 0 and images.to_numpy().max() <= 16

    # 6x6 crops: not a multiple of 4, so the MLP nets with the span head take over.
    crops = digits[[f"px{r * 8 + c}" for r in range(1, 7) for c in range(1, 7)]]
    small = gen_models.create("infogan", epochs=2, batch_size=50, learn_std=True, **TINY)
    assert small.fit(crops, layout=DataLayout(kind="images", image_shape=(6, 6))).status == "finished"
    assert not small.uses_conv
    assert small.sample(5, seed=0).shape == (5, 36)
    assert math.isfinite(small.history[-1]["continuous_info_loss"])
    with pytest.raises(gen_models.ModelError, match="n_levels"):
        gen_models.create("infogan", n_levels=1, epochs=1).fit(
            crops, layout=DataLayout(kind="images", image_shape=(6, 6))
        )


def test_q_learns_the_categorical_code_on_a_toy_mixture():
    """After a short training on 8 Gaussians, Q reads c1 back from G's samples far above chance."""
    ring = make_toy("ring", n=1000, seed=0)[["x", "y"]]
    model = gen_models.create(
        "infogan", n_levels=4, n_continuous=1, epochs=30, batch_size=100, **{**TINY, "generator_hidden": (64,)}
    )
    model.fit(ring)
    per_level = 200
    encoded = torch.cat([model.sample_encoded(per_level, codes={"c1": level}, seed=level) for level in range(4)])
    truth = np.repeat(np.arange(4), per_level)
    for net in model.networks.values():
        net.eval()
    with torch.no_grad():
        logits, means, _ = model.infer_codes(encoded)
    accuracy = (logits.argmax(dim=1).numpy() == truth).mean()
    assert accuracy > 0.6, accuracy  # chance is 0.25
    # And the levels mean different places: each level's points sit apart from the others'.
    points = pd.concat([model.sample(per_level, codes={"c1": level}, seed=level) for level in range(4)])
    centres = points.groupby(truth)[["x", "y"]].mean().to_numpy()
    spread = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
    assert spread[np.triu_indices(4, 1)].min() > 0.3, spread


def test_style_properties_on_hand_drawn_strokes():
    upright, leaning, wide = np.zeros((3, 28, 28))
    upright[4:24, 14] = 1.0  # a vertical bar
    for row in range(4, 24):  # a bar whose top is further right: leans right, 1 pixel per 2 rows
        leaning[row, 14 + (24 - row) // 2] = 1.0
    wide[4:24, 8:20] = 1.0  # a filled block, 12 columns wide
    props = style_properties(np.stack([upright, leaning, wide]))
    assert props["width"][0] == pytest.approx(0.0, abs=1e-6) and props["width"][2] > 3.0
    assert props["slant"][0] == pytest.approx(0.0, abs=1e-6)
    assert props["slant"][1] == pytest.approx(0.5, abs=0.05)
    assert props["ink"][2] > props["ink"][0]


@pytest.mark.skipif(not PRETRAINED.exists(), reason="pretrained/infogan_mnist has not been made")
def test_pretrained_infogan_mnist_codes_still_match_digits():
    card = json.loads((PRETRAINED / "card.json").read_text())
    model = gen_models.load(PRETRAINED)
    data = gen_models.load_dataset("mnist")
    classifier = fit_digit_classifier(data, seed=0)
    levels, predicted = [], []
    for level in range(10):  # 30 per level: 300 samples
        images = model.sample(30, codes={"c1": level}, seed=100 + level)
        levels.append(np.full(30, level))
        predicted.append(classifier.predict(images))
    accuracy, mapping = best_matching_accuracy(np.concatenate(levels), np.concatenate(predicted))
    assert accuracy >= card["figures"]["c1_matching_accuracy"] - 0.08, (accuracy, mapping)
