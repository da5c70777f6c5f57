"""Per-series static columns and several channels in the wide layout (issue #18): encoder round trips, the
refusals, and tiny sequence models that generate the static columns with the series."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import gen_models
from gen_models.data.encoders import SequenceEncoder, encoder_from_dict
from gen_models.data.errors import DataError
from gen_models.data.layout_inference import infer_layout
from gen_models.data.layouts import DataLayout

LONG = DataLayout(kind="sequences", sequence_key="id", sequence_index="t", label="kind")
WIDE = DataLayout(kind="sequences", wide=True, label="kind")
STATIONS = ["north", "south", "east"]
TINY = {
    "series_ar": {"epochs": 3, "batch_size": 10, "hidden": 8, "head_hidden": 8},
    "rcgan": {"epochs": 2, "batch_size": 10, "generator_hidden": 8, "discriminator_hidden": 8},
}


def long_frame(n: int = 20, steps: int = 6, seed: int = 0) -> pd.DataFrame:
    """n series of `steps` rows; 'station' (text) and 'height' (a number) hold one value per series, and the
    static text column comes first so that decoding must keep the training frame's column order."""
    rng = np.random.default_rng(seed)
    rows = [
        {
            "station": STATIONS[i % 3],
            "id": i,
            "t": t,
            "temp": round(float(rng.normal(i % 3, 1)), 2),
            "height": 100.0 + 10 * (i % 4),
            "kind": "ab"[i % 2],
        }
        for i in range(n)
        for t in range(steps)
    ]
    return pd.DataFrame(rows)


def wide_frame(n: int = 20, steps: int = 4, seed: int = 0, static: bool = True) -> pd.DataFrame:
    """One row per series: temperature_<t> and humidity_<t> (two channels), a label and a static text column
    between the channels' columns."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"kind": ["ab"[i % 2] for i in range(n)]})
    for t in range(steps):
        frame[f"temperature_{t}"] = rng.normal(10, 3, n).round(1)
    if static:
        frame["site"] = ["xyz"[i % 3] for i in range(n)]
    for t in range(steps):
        frame[f"humidity_{t}"] = rng.integers(0, 100, n)
    return frame


def round_trip(frame: pd.DataFrame, layout: DataLayout) -> tuple[SequenceEncoder, pd.DataFrame]:
    """Fit, encode, save to JSON and back, decode with the labels: the encoder and the decoded frame."""
    enc = SequenceEncoder(layout).fit(frame)
    again = encoder_from_dict(json.loads(json.dumps(enc.to_dict())))
    back = again.inverse_transform(enc.transform(frame), condition=enc.condition_matrix(frame, "kind"))
    return enc, back


# ----- static columns ---------------------------------------------------------------------------
def test_a_static_text_column_of_long_series_is_a_channel_of_level_indices():
    frame = long_frame()
    enc, back = round_trip(frame, LONG)
    assert enc.static_columns == ["station"] and enc.static_levels == [sorted(STATIONS)]
    assert enc.value_columns == ["station", "temp", "height"] and enc.decimals[0] == 0
    x = enc.transform(frame).reshape(20, 6, 3)
    # Series 0 is at 'north', level 1 of east/north/south: the middle of [-1, 1] at every step.
    np.testing.assert_allclose(x[0, :, 0], 0.0)
    pd.testing.assert_frame_equal(back, frame)


def test_a_static_text_column_of_wide_series_round_trips():
    # One channel (temp_0, temp_1), as wide data was before; the text column besides the label is static.
    frame = pd.DataFrame({"kind": list("abab"), "site": list("xyzx"), "temp_0": [1.5, 2.0, 0.5, 1.0], "temp_1": 2.5})
    enc, back = round_trip(frame, WIDE)
    assert (enc.steps, enc.features, enc.channel_names) == (2, 2, ["value", "site"])
    pd.testing.assert_frame_equal(back, frame)


def test_decoding_reads_the_static_level_from_the_first_step_rounded_and_clipped():
    enc = SequenceEncoder(LONG).fit(long_frame(3))
    x = enc.transform(long_frame(3)).reshape(3, 6, 3)
    x[0, :, 0] = np.linspace(0.9, -1, 6)  # level 1.9 at step 0: 'south' (2) on every row
    x[1, 0, 0] = 5.0  # beyond the range: the last level
    x[2, 0, 0] = -0.6  # level 0.4: 'east'
    back = enc.inverse_transform(x.reshape(3, -1))
    assert back.groupby("id")["station"].agg(list).tolist() == [["south"] * 6, ["south"] * 6, ["east"] * 6]


def test_a_text_column_that_changes_within_a_series_is_refused_by_name():
    frame = long_frame(4)
    frame.loc[2, "station"] = "west"
    with pytest.raises(DataError, match="Column 'station' holds text that changes within a series"):
        SequenceEncoder(LONG).fit(frame)


def test_an_unseen_static_level_is_refused_by_name():
    enc = SequenceEncoder(LONG).fit(long_frame(4))
    with pytest.raises(DataError, match="Column 'station' holds 'west'"):
        enc.transform(long_frame(4).assign(station="west"))


def test_encoders_saved_before_static_columns_still_load():
    frame = long_frame(4).drop(columns="station")
    saved = SequenceEncoder(LONG).fit(frame).to_dict()
    for key in ("wide_channels", "wide_steps", "static_columns", "static_levels", "static_dtypes", "column_order"):
        del saved[key]
    old = encoder_from_dict(saved)
    assert old.static_columns == [] and old.features == 2
    back = old.inverse_transform(old.transform(frame), condition=old.condition_matrix(frame, "kind"))
    pd.testing.assert_frame_equal(back, frame)


# ----- several channels in the wide layout ------------------------------------------------------
def test_two_channels_of_a_wide_frame_round_trip_step_major():
    frame = wide_frame()
    enc, back = round_trip(frame, WIDE)
    assert (enc.steps, enc.features) == (4, 3)
    assert enc.channel_names == ["temperature", "humidity", "site"] and enc.step_names == ["0", "1", "2", "3"]
    assert enc.decimals == [1, 0, 0]
    values, _ = enc.series(frame)
    assert values.shape == (20, 4, 3)
    np.testing.assert_array_equal(values[:, 2, 1], frame["humidity_2"])
    assert enc.shape_words() == "4 steps × 2 channels, with 'site' per series"
    pd.testing.assert_frame_equal(back, frame, check_exact=False, atol=1e-6)


@pytest.mark.parametrize("separator", ["_", ".", "-", " ", ""])
def test_wide_channels_are_read_with_any_separator(separator):
    frame = pd.DataFrame({f"{c}{separator}{t}": [1.0, 2.0] for c in ("a", "b") for t in (1, 2, 10)})
    enc = SequenceEncoder(DataLayout(kind="sequences", wide=True)).fit(frame)
    assert (enc.steps, enc.channel_names, enc.step_names) == (3, ["a", "b"], ["1", "2", "10"])


def test_wide_channels_with_different_steps_stay_one_channel():
    frame = pd.DataFrame({"a_0": [1.0], "a_1": [2.0], "b_0": [3.0], "b_2": [4.0]})
    enc = SequenceEncoder(DataLayout(kind="sequences", wide=True)).fit(frame)
    assert (enc.steps, enc.features, enc.channel_names) == (4, 1, ["value"])


def test_layout_inference_names_steps_channels_and_static_columns():
    frame = long_frame().drop(columns="kind")
    reason = infer_layout(frame).reason
    assert "20 series of about 6 steps × 2 channels" in reason


# ----- tiny models generate the static columns with the series ----------------------------------
def _assert_static(sample: pd.DataFrame, training: pd.DataFrame, column: str, key: str | None) -> None:
    """Each series' value of `column` is one of the training levels, and the same on all its rows."""
    assert set(sample[column]) <= set(training[column])
    if key is not None:
        assert (sample.groupby(key)[column].nunique() == 1).all()


@pytest.mark.parametrize("name", ["series_ar", "rcgan"])
def test_tiny_models_generate_long_series_with_their_static_columns(name):
    frame = long_frame()
    model = gen_models.create(name, **TINY[name])
    model.fit(frame, layout=LONG)
    sample = model.sample(5, seed=0)
    assert list(sample.columns) == ["station", "id", "t", "temp", "height"]
    assert sample["id"].nunique() == 5 and sample["station"].dtype == frame["station"].dtype
    _assert_static(sample, frame, "station", "id")
    if name == "series_ar":  # a numeric column constant in each series: its changes are all 0, learnt exactly
        assert (sample.groupby("id")["height"].nunique() == 1).all()


@pytest.mark.parametrize("name", ["series_ar", "rcgan"])
def test_tiny_models_generate_wide_series_of_two_channels(name):
    frame = wide_frame(static=name == "rcgan")
    model = gen_models.create(name, **TINY[name])
    model.fit(frame, layout=WIDE)
    sample = model.sample(5, seed=0)
    assert list(sample.columns) == [c for c in frame.columns if c != "kind"]
    if name == "rcgan":
        _assert_static(sample, frame, "site", None)


def test_series_ar_generates_wide_series_with_a_static_column():
    frame = wide_frame()
    model = gen_models.create("series_ar", **TINY["series_ar"])
    model.fit(frame, layout=WIDE)
    _assert_static(model.sample(5, seed=0), frame, "site", None)
