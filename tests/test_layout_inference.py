"""Guessing a file's layout: pixel columns are images, an id plus a step counter is a long time series."""

from __future__ import annotations

import numpy as np
import pandas as pd

import gen_models
from gen_models.data.layout_inference import infer_layout


def pixel_frame(n: int, side: int, label: str | None, floats: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    values = rng.random((n, side * side)) if floats else rng.integers(0, 256, (n, side * side))
    frame = pd.DataFrame(values, columns=[f"pixel{i}" for i in range(side * side)])
    if label:
        frame.insert(0, label, rng.integers(0, 10, n))
    return frame


def test_square_pixel_columns_with_a_label_are_images():
    guess = infer_layout(pixel_frame(50, 28, "label"))
    assert (guess.layout.kind, guess.layout.image_shape, guess.layout.label) == ("images", (28, 28), "label")
    assert "28x28" in guess.reason and "'label'" in guess.reason


def test_unit_interval_pixels_without_a_label_are_images():
    guess = infer_layout(pixel_frame(30, 8, None, floats=True))
    assert (guess.layout.kind, guess.layout.image_shape, guess.layout.label) == ("images", (8, 8), None)


def test_a_long_series_file_gets_two_different_columns_and_its_label():
    rows = [
        {"sid": s, "t": t, "value": np.sin(t / 3 + s), "class": "a" if s % 2 else "b"}
        for s in range(67)
        for t in range(24)
    ]
    guess = infer_layout(pd.DataFrame(rows))
    layout = guess.layout
    assert (layout.kind, layout.sequence_key, layout.sequence_index, layout.label) == ("sequences", "sid", "t", "class")
    assert layout.sequence_key != layout.sequence_index
    assert "67 series" in guess.reason


def test_bundled_sets_are_guessed_as_they_are_described():
    for name in ("penguins", "weather", "digits", "waves", "temperatures"):
        data = gen_models.load_dataset(name)
        assert infer_layout(data).layout == gen_models.data.datasets.dataset_info(name).layout, name


def test_a_category_that_splits_a_dated_table_is_not_a_series_id():
    days = pd.date_range("2024-01-01", periods=200, freq="D")
    kind = np.where(np.arange(200) % 10 == 0, "storm", "calm")  # 20 storms, 180 calm days
    frame = pd.DataFrame({"date": days, "kind": kind, "rain": np.arange(200) * 0.1})
    assert infer_layout(frame).layout.kind == "table"


def test_a_small_plain_table_stays_a_table():
    frame = pd.DataFrame({"a": [1, 2, 3, 4], "b": [0.5, 0.1, 0.2, 0.9], "c": ["x", "y", "x", "y"]})
    guess = infer_layout(frame)
    assert guess.layout.kind == "table" and "table" in guess.reason
