"""Training that goes wrong stops with a message and keeps weights that still generate usable rows."""

from __future__ import annotations

import numpy as np
import pytest

import gen_models
import gen_models.training.loop as loop


@pytest.fixture(scope="module")
def penguins():
    return gen_models.load_dataset("penguins")


@pytest.mark.parametrize("name", ["gan", "vae", "wgan_gp"])
def test_an_absurd_learning_rate_stops_and_keeps_usable_weights(penguins, name):
    model = gen_models.create(name, epochs=40, seed=0, lr=1e6)
    result = model.fit(penguins)
    assert result.status == "diverged"
    assert "smaller learning rate" in result.message
    rows = model.sample(200, seed=1)
    assert len(rows.drop_duplicates()) > 100  # not the 1-4 distinct rows such runs used to end with
    numbers = rows.select_dtypes("number").to_numpy(dtype=float)
    assert not np.isinf(numbers).any()


def test_collapse_is_caught_even_when_every_loss_is_finite(penguins, monkeypatch):
    model = gen_models.create("gan", epochs=3, seed=0)
    real_sample = model.sample_encoded

    def collapsed(n, seed=None):  # from epoch 2 on, the generator makes one row over and over
        rows = real_sample(n, seed=seed)
        return rows[:1].repeat(n, 1) if len(model.history) >= 2 else rows

    monkeypatch.setattr(model, "sample_encoded", collapsed)
    monkeypatch.setattr(loop, "HEALTH_STEPS", 1)
    result = model.fit(penguins)
    assert result.status == "diverged"
    assert "mode collapse" in result.message and "1 different in 100" in result.message
    assert result.epochs_completed == 1


def test_a_sound_run_passes_the_check(penguins):
    result = gen_models.create("vae", epochs=3, seed=0).fit(penguins)
    assert result.status == "finished"
