"""RCGAN: trains on labelled waves, samples whole sequences of a requested label, refuses tables,
and the committed pretrained model still does what its card says."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

import gen_models
from bench.bench_rcgan import code_sweeps, tstr
from gen_models.data.datasets import dataset_info

PRETRAINED = Path(__file__).resolve().parents[1] / "pretrained" / "rcgan_waves"
WAVES = dataset_info("waves").layout


@pytest.fixture(scope="module")
def few_waves():
    data = gen_models.load_dataset("waves")
    return data[data["sequence"] < 80].reset_index(drop=True)


@pytest.fixture(scope="module")
def tiny(few_waves):
    model = gen_models.create("rcgan", epochs=3, batch_size=40, seed=1, generator_hidden=16, discriminator_hidden=16)
    result = model.fit(few_waves, condition="kind", layout=WAVES)
    return model, result


def test_tiny_training_gives_finite_losses(tiny):
    model, result = tiny
    assert result.status == "finished", result.message
    assert len(model.history) == 3 * 2  # 80 waves in batches of 40
    for record in model.history:
        assert {"discriminator_loss", "generator_loss", "info_loss"} <= set(record)
        assert all(math.isfinite(v) for k, v in record.items() if k not in {"epoch", "step"})


def test_samples_are_whole_sequences_with_the_requested_label(tiny, few_waves):
    model, _ = tiny
    rows = model.sample(7, condition="sawtooth", seed=0)
    assert list(rows.columns) == list(few_waves.columns)
    assert len(rows) == 7 * 30
    assert (rows["kind"] == "sawtooth").all()
    assert rows["sequence"].nunique() == 7
    for _, steps in rows.groupby("sequence"):
        assert steps["step"].tolist() == list(range(30))
    low, high = few_waves["value"].min(), few_waves["value"].max()
    assert rows["value"].between(low, high).all()
    with pytest.raises(gen_models.DataError, match="triangle"):
        model.sample(2, condition="triangle")


def test_codes_are_the_per_sequence_latent(tiny):
    model, _ = tiny
    codes = model.latent_codes()
    assert [c.name for c in codes] == ["z0", "z1"]
    assert all(c.kind == "continuous" and c.role == "code" and c.prior == "normal" for c in codes)
    assert all((c.low, c.high) == (-3.0, 3.0) for c in codes)


def test_per_step_noise_is_the_only_randomness_besides_the_codes(few_waves):
    """With step noise switched off, fixed codes and label give the same wave whatever the seed;
    with it on, the seed changes the wave (the noise is drawn from the sampling generator)."""
    fixed = {"z0": 0.5, "z1": -1.0}
    quiet = gen_models.create("rcgan", epochs=1, batch_size=40, seed=0, step_noise_std=0.0, generator_hidden=8)
    quiet.fit(few_waves, condition="kind", layout=WAVES)
    a = quiet.sample_encoded(3, codes=fixed, condition="sine", seed=1)
    b = quiet.sample_encoded(3, codes=fixed, condition="sine", seed=2)
    assert torch.allclose(a, b) and torch.allclose(a[0], a[1])
    noisy = gen_models.create("rcgan", epochs=1, batch_size=40, seed=0, generator_hidden=8)
    noisy.fit(few_waves, condition="kind", layout=WAVES)
    a = noisy.sample_encoded(3, codes=fixed, condition="sine", seed=1)
    assert not torch.allclose(a, noisy.sample_encoded(3, codes=fixed, condition="sine", seed=2))


def test_refuses_table_data(mixed_table):
    with pytest.raises(gen_models.ModelError, match="works on sequences, not table"):
        gen_models.create("rcgan", epochs=1).fit(mixed_table)


@pytest.fixture(scope="module")
def pretrained():
    if not (PRETRAINED / "card.json").is_file():
        pytest.fail("pretrained/rcgan_waves is missing: run python -m scripts.make_pretrained rcgan_waves")
    card = json.loads((PRETRAINED / "card.json").read_text())
    return gen_models.load(PRETRAINED), card["figures"]


def test_pretrained_samples_look_like_their_label(pretrained):
    model, figures = pretrained
    data = gen_models.load_dataset("waves")
    # 400 real waves: a classifier trained on 200 generated ones is tested on the other 200 real.
    subset = data[data["sequence"] < 400]
    measured = tstr(model, subset, seed=0)
    assert measured["tstr_accuracy"] >= min(0.9, figures["tstr_accuracy"] - 0.05)


def test_pretrained_codes_do_what_the_card_says(pretrained):
    model, figures = pretrained
    measured = code_sweeps(model, draws=40, seed=1)
    for name in ("z0", "z1"):
        prop = figures[f"{name}_controls"]
        card_rho = figures[f"{name}_vs_{prop}_spearman"]
        rho = measured[f"{name}_vs_{prop}_spearman"]
        if abs(card_rho) >= 0.5:  # a code the card says controls something clearly
            assert np.sign(rho) == np.sign(card_rho), (name, prop, rho, card_rho)
            assert abs(rho) >= abs(card_rho) - 0.15, (name, prop, rho, card_rho)
    strongest = max(abs(figures[f"{n}_vs_{p}_spearman"]) for n in ("z0", "z1") for p in ("frequency", "amplitude"))
    assert strongest >= 0.5  # at least one code clearly controls frequency or amplitude
