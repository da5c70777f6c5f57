"""Images and time series: encoders round-trip, every model trains on them, samples keep the layout."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import gen_models
from gen_models.data import DataError
from gen_models.data.encoders import ImageEncoder, SequenceEncoder, encoder_from_dict
from gen_models.data.layouts import DataLayout, parse_image_shape

DIGITS = DataLayout(kind="images", image_shape=(8, 8), label="label")
WAVES = DataLayout(kind="sequences", sequence_key="sequence", sequence_index="step", label="kind")


@pytest.fixture(scope="module")
def digits():
    return gen_models.load_dataset("digits").head(300)


@pytest.fixture(scope="module")
def waves():
    data = gen_models.load_dataset("waves")
    return data[data["sequence"] < 120]


def test_image_encoder_round_trips_pixels_and_json(digits):
    enc = ImageEncoder(DIGITS).fit(digits)
    x = enc.transform(digits)
    assert x.shape == (300, 64) and x.min() >= -1 and x.max() <= 1
    again = encoder_from_dict(json.loads(json.dumps(enc.to_dict())))
    back = again.inverse_transform(x)
    pd.testing.assert_frame_equal(back, digits.drop(columns="label").reset_index(drop=True))
    labelled = enc.inverse_transform(x[:5], condition=enc.one_hot("label", [3] * 5))
    assert (labelled["label"] == 3).all() and labelled["label"].dtype == digits["label"].dtype


def test_sequence_encoder_round_trips_long_format(waves):
    enc = SequenceEncoder(WAVES).fit(waves)
    assert (enc.steps, enc.features) == (30, 1)
    x = enc.transform(waves)
    assert x.shape == (120, 30)
    c = enc.condition_matrix(waves, "kind")
    back = encoder_from_dict(json.loads(json.dumps(enc.to_dict()))).inverse_transform(x, condition=c)
    expected = waves.sort_values(["sequence", "step"]).reset_index(drop=True)
    assert list(back.columns) == ["sequence", "step", "value", "kind"]
    np.testing.assert_allclose(back["value"], expected["value"], atol=1e-5)
    assert back["step"].tolist() == expected["step"].tolist()
    assert back["kind"].tolist() == expected["kind"].tolist()


def test_wide_sequences_round_trip(waves):
    wide = waves.pivot(index="sequence", columns="step", values="value")
    wide.columns = [f"t{i}" for i in wide.columns]
    enc = SequenceEncoder(DataLayout(kind="sequences", wide=True)).fit(wide)
    back = enc.inverse_transform(enc.transform(wide))
    assert list(back.columns) == list(wide.columns)
    np.testing.assert_allclose(back.to_numpy(), wide.to_numpy(), atol=1e-5)


def test_unequal_sequences_are_padded_with_a_mask(waves):
    # More in tests/test_series_quality.py: round trips, the maximum length, training on them.
    ragged = waves[~((waves["sequence"] == 3) & (waves["step"] > 25))]
    enc = SequenceEncoder(WAVES).fit(ragged)
    assert (enc.steps, enc.features, enc.masked) == (30, 2, True)
    back = enc.inverse_transform(enc.transform(ragged))
    assert back.groupby("sequence").size().tolist() == ragged.groupby("sequence").size().tolist()


def test_image_shape_errors_are_clear(digits):
    assert parse_image_shape("28x28") == (28, 28)
    with pytest.raises(DataError, match="28x28"):
        parse_image_shape("28 by 28")
    with pytest.raises(DataError, match="needs 100 pixel columns"):
        ImageEncoder(DataLayout(kind="images", image_shape=(10, 10), label="label")).fit(digits)


@pytest.mark.parametrize("name", ["gan", "wgan_gp", "vae"])
def test_table_models_train_on_images(name, digits):
    model = gen_models.create(name, epochs=2, batch_size=50, seed=0)
    result = model.fit(digits, layout=DIGITS)
    assert result.status == "finished"
    images = model.sample(6, seed=0)
    assert list(images.columns) == [f"px{i}" for i in range(64)]
    assert images.dtypes.eq(digits["px0"].dtype).all()
    assert images.to_numpy().min() >= 0 and images.to_numpy().max() <= 16


def test_conditional_model_on_images_returns_the_label(digits, tmp_path):
    model = gen_models.create("cgan", epochs=2, batch_size=50, seed=0)
    model.fit(digits, layout=DIGITS, condition="label")
    images = model.sample(4, condition=7, seed=1)
    assert (images["label"] == 7).all()
    model.save(tmp_path / "m")
    pd.testing.assert_frame_equal(images, gen_models.load(tmp_path / "m").sample(4, condition=7, seed=1))


def test_models_train_on_sequences_and_sample_whole_sequences(waves):
    model = gen_models.create("wgan_gp", epochs=2, batch_size=40, seed=0)
    model.fit(waves, layout=WAVES, condition="kind")
    out = model.sample(5, condition="sawtooth", seed=0)
    assert len(out) == 5 * 30
    assert out.groupby("sequence")["step"].apply(list).map(lambda s: s == list(range(30))).all()
    assert (out["kind"] == "sawtooth").all()
    with pytest.raises(DataError, match="label column"):
        gen_models.create("cgan", epochs=1).fit(waves, layout=WAVES, condition="value")
