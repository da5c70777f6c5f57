"""Series quality on hand-made cases whose answer is known, and series of several channels and of
different lengths through the layouts (encoder round trips, and a tiny RCGAN trained on them)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

import gen_models
from gen_models.data.datasets import dataset_info
from gen_models.data.encoders import SequenceEncoder, encoder_from_dict
from gen_models.data.encoders.sequences import MAX_STEPS
from gen_models.data.errors import DataError
from gen_models.data.layout_inference import infer_layout
from gen_models.data.layouts import DataLayout
from gen_models.errors import ModelError
from gen_models.evaluation.sequences import (
    autocorrelation,
    autocorrelation_gap,
    discriminative_scores,
    sequence_quality,
    step_moments,
)
from gen_models.training.monitor import QualityMonitor

LONG = DataLayout(kind="sequences", sequence_key="id", sequence_index="t", label="kind")


def smooth_days(n: int, seed: int, offset: float = 0.0) -> np.ndarray:
    """(n, 24, 2) daily curves: a temperature-like bump and a humidity-like dip, with random levels."""
    rng = np.random.default_rng(seed)
    hours = np.arange(24)
    bump = np.sin(2 * np.pi * (hours - 8) / 24)
    level = rng.normal(12 + offset, 3, (n, 1))
    swing = rng.uniform(2, 5, (n, 1))
    temperature = level + swing * bump + rng.normal(0, 0.2, (n, 24))
    humidity = 70 - 2 * swing * bump + rng.normal(0, 1.0, (n, 24))
    return np.stack([temperature, humidity], axis=2)


# ----- the measures ---------------------------------------------------------------------------
def test_identical_distributions_cannot_be_told_apart():
    real, same = smooth_days(200, 0), smooth_days(200, 1)
    told = discriminative_scores(real, same)
    assert told["auc"] < 0.62
    assert told["accuracy_gap"] < 0.1
    assert told["accuracy_gap"] == pytest.approx(abs(told["accuracy"] - 0.5))


def test_a_shifted_mean_is_detected():
    # Day levels spread with std 3: a shift of 6 (two stds) is what the best rule tells apart at AUC 0.92.
    real, shifted = smooth_days(200, 0), smooth_days(200, 1, offset=6.0)
    assert discriminative_scores(real, shifted)["auc"] > 0.85
    quality = sequence_quality(real, shifted)
    # The temperature band moves by about the offset; humidity not at all: mean gap about 6 / 2.
    assert quality["mean_gap"] == pytest.approx(3.0, abs=0.6)
    assert quality["tstr"] is None  # no labels given


def test_step_moments_are_per_step_and_channel():
    series = smooth_days(50, 0)
    mean, std = step_moments(series)
    assert mean.shape == std.shape == (24, 2)
    np.testing.assert_allclose(mean, series.mean(axis=0))
    np.testing.assert_allclose(std, series.std(axis=0))
    one_channel = step_moments(series[:, :, 0])[0]
    assert one_channel.shape == (24, 1)


def test_autocorrelation_matches_a_hand_computation_and_tells_noise_from_smooth():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 20))
    centred = x - x.mean(axis=1, keepdims=True)
    lag2 = ((centred[:, 2:] * centred[:, :-2]).sum(axis=1) / (centred**2).sum(axis=1)).mean()
    assert autocorrelation(x, max_lag=3)[1, 0] == pytest.approx(lag2)
    assert autocorrelation(x).shape == (10, 1)
    smooth = smooth_days(100, 0)
    noise = rng.normal(size=smooth.shape)
    assert autocorrelation(smooth)[0].min() > 0.8 and abs(autocorrelation(noise)[0]).max() < 0.1
    assert autocorrelation_gap(smooth, smooth_days(100, 1)) < 0.05
    assert autocorrelation_gap(smooth, noise) > 0.3
    flat = np.ones((4, 10))
    assert (autocorrelation(flat) == 0).all()  # a constant series counts as uncorrelated
    with pytest.raises(ValueError, match="max_lag must be from 1 to 9"):
        autocorrelation(flat, max_lag=10)


def test_quality_has_tstr_with_labels():
    real = np.concatenate([smooth_days(100, 0), smooth_days(100, 1, offset=12.0)])
    labels = np.array(["cool"] * 100 + ["warm"] * 100)
    fake = np.concatenate([smooth_days(100, 2), smooth_days(100, 3, offset=12.0)])
    quality = sequence_quality(real, fake, labels, labels)
    assert quality["tstr"]["train_synthetic"] > 0.9 and quality["tstr"]["train_real"] > 0.9
    swapped = sequence_quality(real, fake, labels, labels[::-1])
    assert swapped["tstr"]["train_synthetic"] < 0.2


# ----- several channels and unequal lengths through the layouts ------------------------------
def long_frame(values: np.ndarray, lengths: list[int] | None = None) -> pd.DataFrame:
    """(n, T, 2) values -> long rows (id, t, temperature, humidity, kind), series i cut to lengths[i]."""
    n, steps, _ = values.shape
    lengths = lengths or [steps] * n
    rows = [
        {"id": i, "t": t, "temperature": values[i, t, 0], "humidity": values[i, t, 1], "kind": "ab"[i % 2]}
        for i in range(n)
        for t in range(lengths[i])
    ]
    return pd.DataFrame(rows)


def test_two_channels_round_trip_through_the_long_layout():
    frame = long_frame(smooth_days(6, 0))
    enc = SequenceEncoder(LONG).fit(frame)
    assert (enc.steps, enc.features, enc.masked) == (24, 2, False)
    x = enc.transform(frame)
    assert x.shape == (6, 48)
    # Step-major: channel 1 of step 0 is the second number.
    assert x[0, 1] == pytest.approx(2 * (frame["humidity"][0] - enc.lows[1]) / (enc.highs[1] - enc.lows[1]) - 1)
    again = encoder_from_dict(json.loads(json.dumps(enc.to_dict())))
    back = again.inverse_transform(x, condition=enc.condition_matrix(frame, "kind"))
    pd.testing.assert_frame_equal(back, frame, check_exact=False, atol=1e-4)


def test_unequal_lengths_round_trip_with_a_mask():
    lengths = [24, 10, 17, 1, 24, 5]
    frame = long_frame(smooth_days(6, 0), lengths)
    enc = SequenceEncoder(LONG).fit(frame)
    assert (enc.steps, enc.features, enc.masked) == (24, 3, True)
    x = enc.transform(frame).reshape(6, 24, 3)
    np.testing.assert_array_equal((x[:, :, 2] > 0).sum(axis=1), lengths)
    # Padding repeats each series' last step, so the padded part makes no jump.
    np.testing.assert_array_equal(x[1, 10:, :2], np.repeat(x[1, 9:10, :2], 14, axis=0))
    again = encoder_from_dict(json.loads(json.dumps(enc.to_dict())))
    back = again.inverse_transform(x.reshape(6, -1), condition=enc.condition_matrix(frame, "kind"))
    pd.testing.assert_frame_equal(back, frame, check_exact=False, atol=1e-4)
    values, found = again.series(frame)
    assert values.shape == (6, 24, 2) and found.tolist() == lengths
    longer = long_frame(smooth_days(1, 0, 0), [24]).assign(t=lambda f: f["t"] * 2)
    longer = pd.concat([longer, longer.assign(t=longer["t"] + 100)])
    with pytest.raises(DataError, match="48 steps; this model makes at most 24"):
        enc.transform(longer)


def test_series_longer_than_the_maximum_are_refused():
    frame = pd.DataFrame({"id": 0, "t": np.arange(MAX_STEPS + 1), "value": 0.0})
    layout = DataLayout(kind="sequences", sequence_key="id", sequence_index="t")
    with pytest.raises(DataError, match=f"{MAX_STEPS + 1:,} steps; at most {MAX_STEPS:,}"):
        SequenceEncoder(layout).fit(frame)


def test_a_label_that_changes_within_a_series_is_refused():
    frame = long_frame(smooth_days(2, 0))
    frame.loc[3, "kind"] = "b"
    with pytest.raises(DataError, match="changes within a sequence"):
        SequenceEncoder(LONG).fit(frame)


@pytest.mark.parametrize(("critic", "sees_changes"), [("gan", False), ("wgan_gp", False), ("gan", True)])
def test_rcgan_learns_series_of_two_channels_and_several_lengths(critic, sees_changes):
    lengths = [24 if i % 3 else 12 for i in range(60)]
    frame = long_frame(smooth_days(60, 0), lengths)
    model = gen_models.create(
        "rcgan",
        epochs=2,
        batch_size=30,
        seed=0,
        generator_hidden=8,
        discriminator_hidden=8,
        critic=critic,
        critic_sees_changes=sees_changes,
        moment_weight=10.0,
    )
    assert model.fit(frame, condition="kind", layout=LONG).status == "finished"
    rows = model.sample(8, condition="b", seed=3)
    assert list(rows.columns) == list(frame.columns)
    steps = rows.groupby("id")["t"].agg(["size", "min", "max"])
    assert len(steps) == 8 and (steps["min"] == 0).all() and (steps["size"] == steps["max"] + 1).all()
    assert rows["temperature"].between(frame["temperature"].min(), frame["temperature"].max()).all()
    assert (rows["kind"] == "b").all()
    again = model.sample(8, condition="b", seed=3)
    pd.testing.assert_frame_equal(rows, again)  # deterministic given a seed


def test_the_training_monitor_scores_series_and_keeps_the_best():
    waves = gen_models.load_dataset("waves")
    waves = waves[waves["sequence"] < 60].reset_index(drop=True)
    model = gen_models.create("rcgan", epochs=2, batch_size=30, seed=0, generator_hidden=8, discriminator_hidden=8)
    monitor = QualityMonitor(model, waves, every=1, rows=40, seed=0)
    model.fit(waves, condition="kind", layout=dataset_info("waves").layout, on_epoch=monitor)
    assert monitor.applies
    records = monitor.records()
    assert [record["epoch"] for record in records] == [1, 2]
    for record in records:
        assert record["quality"] == pytest.approx(1 - 2 * abs(record["discriminative_auc"] - 0.5))
        assert 0 <= record["quality"] <= 1 and record["autocorrelation_gap"] >= 0
        assert record["tstr_ratio"] is not None
    best = monitor.restore_best(model)
    assert best is not None and best["quality"] == max(record["quality"] for record in records)
    # Scoring the weights now in place again gives the best check's figures: same seed, same weights.
    again = monitor.check(3)
    assert again["quality"] == pytest.approx(best["quality"])


def test_moment_matching_is_zero_for_the_real_batch_and_sees_jitter():
    frame = long_frame(smooth_days(40, 0))
    model = gen_models.create("rcgan", epochs=1, batch_size=40, seed=0, generator_hidden=8, moment_weight=1.0)
    model.fit(frame, condition="kind", layout=LONG)
    assert all(record["moment_loss"] >= 0 for record in model.history)
    model._real_sums = None  # start the running real moments afresh
    x = torch.from_numpy(model.encoder.transform(frame))
    c = torch.from_numpy(model.encoder.condition_matrix(frame, "kind"))
    assert model._moment_gap(x, x, c).item() == pytest.approx(0, abs=1e-4)
    jitter = torch.randn(x.shape, generator=torch.Generator().manual_seed(0)) * 0.05
    smooth_shift = x + 0.05
    # The same size of change, but jitter bends the series where a shift does not.
    assert model._moment_gap(x, x + jitter, c).item() > 2 * model._moment_gap(x, smooth_shift, c).item()


def test_layout_inference_reads_several_channels_and_lengths_as_long_series():
    frame = long_frame(smooth_days(30, 0), [24 if i % 3 else 12 for i in range(30)])
    guess = infer_layout(frame)
    assert guess.layout == LONG
    weeks = gen_models.load_dataset("weather_weeks")
    assert infer_layout(weeks).layout == dataset_info("weather_weeks").layout


def test_an_unknown_critic_is_refused_by_name():
    with pytest.raises(ModelError, match="Unknown critic 'lstm': critic must be one of gan, wgan_gp"):
        gen_models.create("rcgan", critic="lstm")


def test_generated_values_keep_the_data_s_decimals():
    frame = long_frame(np.round(smooth_days(6, 0), 1))
    enc = SequenceEncoder(LONG).fit(frame)
    assert enc.decimals == [1, 1]
    noisy = enc.transform(frame) + np.random.default_rng(0).normal(0, 0.01, (6, 48)).astype(np.float32)
    back = enc.inverse_transform(noisy)
    np.testing.assert_array_equal(back["temperature"], np.round(back["temperature"], 1))
    saved = enc.to_dict()
    del saved["decimals"]  # an encoder saved before rounding decodes as it did
    old = encoder_from_dict(saved).inverse_transform(noisy)
    assert not np.array_equal(old["temperature"], np.round(old["temperature"], 1))
