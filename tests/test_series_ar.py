"""The autoregressive series model: learns each step's change given the label and the steps before, keeps the
data's decimals, encodes real series to codes that decode back to them (several channels, different lengths,
the wide layout), and saves and loads to the same samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gen_models
from gen_models.data.encoders import BinnedSequenceEncoder, encoder_from_dict
from gen_models.data.layouts import DataLayout

LONG = DataLayout(kind="sequences", sequence_key="id", sequence_index="t", label="kind")


def climbs_and_falls(n: int = 40, steps: int = 12, seed: int = 0) -> pd.DataFrame:
    """Kind "up" rises by 1 at every step, kind "down" falls by 2; each starts somewhere in 0..9."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        kind = "up" if i % 2 == 0 else "down"
        start = int(rng.integers(0, 10))
        for t in range(steps):
            rows.append({"id": i, "t": t, "level": start + (t if kind == "up" else -2 * t), "kind": kind})
    return pd.DataFrame(rows)


def two_channel_days(n: int, lengths: list[int] | None = None, seed: int = 0) -> pd.DataFrame:
    """n noisy days of hourly temperature and humidity, one decimal, series i cut to lengths[i]."""
    rng = np.random.default_rng(seed)
    hours = np.arange(24)
    rows = []
    for i in range(n):
        base = rng.normal(12, 4)
        temperature = base + 5 * np.sin((hours - 9) / 24 * 2 * np.pi) + rng.normal(0, 0.4, 24)
        humidity = 80 - 2 * (temperature - base) + rng.normal(0, 1, 24)
        for t in range(lengths[i] if lengths else 24):
            rows.append(
                {
                    "id": i,
                    "t": t,
                    "temperature": round(float(temperature[t]), 1),
                    "humidity": round(float(humidity[t]), 1),
                    "kind": "ab"[i % 2],
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def climbs():
    data = climbs_and_falls()
    model = gen_models.create("series_ar", epochs=80, batch_size=20, seed=0, hidden=16, head_hidden=16)
    result = model.fit(data, condition="kind", layout=LONG)
    return model, result


def test_it_learns_each_labels_changes(climbs):
    model, result = climbs
    assert result.status == "finished", result.message
    for kind, change in (("up", 1), ("down", -2)):
        rows = model.sample(30, condition=kind, seed=1)
        assert (rows["kind"] == kind).all() and rows["id"].nunique() == 30
        steps = rows.groupby("id")["level"].diff().dropna()
        assert (steps == change).mean() > 0.9, steps.value_counts()
        starts = rows.groupby("id")["level"].first()
        assert starts.between(0, 9).all()


def test_the_same_seed_gives_the_same_series_and_codes_steer_them(climbs):
    model, _ = climbs
    pd.testing.assert_frame_equal(model.sample(5, seed=3), model.sample(5, seed=3))
    names = [code.name for code in model.latent_codes()]
    assert names[:2] == ["u_level[0]", "u_level[1]"] and len(names) == 12
    low = model.sample(10, condition="up", codes={"u_level[0]": 0.0}, seed=2).groupby("id")["level"].first()
    high = model.sample(10, condition="up", codes={"u_level[0]": 1.0}, seed=2).groupby("id")["level"].first()
    assert (low < high).all()


def test_saved_models_load_to_the_same_samples(climbs, tmp_path):
    model, _ = climbs
    model.save(tmp_path / "m")
    again = gen_models.load(tmp_path / "m")
    assert isinstance(again.encoder, BinnedSequenceEncoder)
    pd.testing.assert_frame_equal(again.sample(4, seed=5), model.sample(4, seed=5))


def test_two_channels_of_different_lengths_encode_and_decode_back_exactly():
    lengths = [24 if i % 3 else 9 for i in range(30)]
    data = two_channel_days(30, lengths)
    model = gen_models.create("series_ar", epochs=3, batch_size=10, seed=0, hidden=16, head_hidden=16)
    model.fit(data, condition="kind", layout=LONG)
    encoder = model.encoder
    assert (encoder.channels, encoder.masked, encoder.lengths) == (2, True, [9, 24])
    assert encoder_from_dict(encoder.to_dict()).to_dict() == encoder.to_dict()
    codes = model.encode(data)
    assert codes.shape == (30, 1 + 24 * 2) and ((codes >= 0) & (codes <= 1)).all()
    back = model.decode_codes(codes, model.conditions_of(data).numpy())
    pd.testing.assert_frame_equal(back, data)
    rows = model.sample(20, seed=0)
    assert set(rows.groupby("id").size()) <= {9, 24}
    # Generated values keep the data's one decimal.
    assert np.allclose(rows[["temperature", "humidity"]] * 10, np.round(rows[["temperature", "humidity"]] * 10))


def test_wide_series_without_a_label_round_trip():
    data = two_channel_days(20)
    wide = data.pivot(index="id", columns="t", values="temperature")
    wide.columns = [f"h{t}" for t in wide.columns]
    wide = wide.reset_index(drop=True)
    model = gen_models.create("series_ar", epochs=2, batch_size=10, seed=0, hidden=8, head_hidden=8)
    model.fit(wide, layout=DataLayout(kind="sequences", wide=True))
    assert [code.name for code in model.latent_codes()][:2] == ["u_h0", "u_h1"]
    back = model.decode_codes(model.encode(wide))
    pd.testing.assert_frame_equal(back, wide)
    assert list(model.sample(3, seed=0).columns) == list(wide.columns)
