"""TabularEncoder: spans, exact round trips for every dtype, missing values, persistence."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from gen_models.data import DataError, TabularEncoder, infer_schema


def every_dtype(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """One column per dtype the encoder must restore, several with gaps."""
    rng = np.random.default_rng(seed)
    gaps = rng.random(n) < 0.1
    bimodal = np.where(rng.random(n) < 0.5, rng.normal(-20, 1, n), rng.normal(30, 4, n))
    with_gaps = bimodal.copy()
    with_gaps[gaps] = np.nan
    ints_with_gaps = rng.integers(0, 500, n).astype(float)
    ints_with_gaps[gaps] = np.nan
    text = rng.choice(["red", "green", "blue"], n).astype(object)
    text[gaps] = np.nan
    flags_with_gaps = (rng.random(n) < 0.5).astype(object)
    flags_with_gaps[gaps] = np.nan  # what pandas reads from a True/False column with blanks
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    seconds = pd.Timestamp("2021-06-01", tz="Europe/Paris") + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s")
    day_text = pd.Series(days.strftime("%Y-%m-%d"), dtype="str")
    day_text[gaps] = np.nan
    return pd.DataFrame(
        {
            "bimodal": bimodal,
            "with_gaps": with_gaps,
            "int64": rng.integers(-1000, 1000, n),
            "int32": rng.integers(0, 100, n).astype("int32"),
            "ints_with_gaps": ints_with_gaps,
            "nullable_int": pd.array(np.where(gaps, None, rng.integers(0, 400, n)), dtype="Int64"),
            "level_ints": rng.choice([2007, 2008, 2009], n),
            "flag": rng.random(n) < 0.3,
            "flags_with_gaps": flags_with_gaps,
            "text": pd.Series(text, dtype="str"),
            "string": pd.Series(text, dtype="string"),
            "object_text": pd.Series(text, dtype=object),
            "category": pd.Categorical(rng.choice(["low", "mid", "high"], n), categories=["low", "mid", "high"]),
            "days": days,
            "seconds_tz": seconds,
            "day_text": day_text,
        }
    )


def expected_dtype(column: pd.Series) -> str:
    """Whole numbers with gaps (pandas stores them as floats) come back as nullable Int64; the rest in its own dtype."""
    present = column.dropna()
    whole = pd.api.types.is_float_dtype(column) and bool(np.all(present == np.round(present)))
    return "Int64" if whole and column.isna().any() else str(column.dtype)


def assert_same_table(original: pd.DataFrame, restored: pd.DataFrame, float_tolerance: float) -> None:
    assert list(restored.columns) == list(original.columns)
    for name in original.columns:
        a, b = original[name], restored[name]
        assert str(b.dtype) == expected_dtype(a), name
        assert np.array_equal(a.isna().to_numpy(), b.isna().to_numpy()), f"gaps moved in {name}"
        present = a.notna().to_numpy()
        if pd.api.types.is_float_dtype(a) and not np.all(a[present] == np.round(a[present])):
            np.testing.assert_allclose(b[present].to_numpy(float), a[present].to_numpy(float), atol=float_tolerance)
        else:
            assert a[present].tolist() == b[present].tolist(), name


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return every_dtype()


@pytest.fixture(scope="module")
def schema(table):
    return infer_schema(table)


def test_fixture_covers_every_kind(schema):
    kinds = {spec.name: spec.kind for spec in schema.columns}
    assert kinds["bimodal"] == "continuous"
    assert kinds["int64"] == kinds["ints_with_gaps"] == kinds["nullable_int"] == "integer"
    assert kinds["level_ints"] == kinds["flag"] == kinds["flags_with_gaps"] == kinds["category"] == "categorical"
    assert kinds["days"] == kinds["seconds_tz"] == kinds["day_text"] == "datetime"


@pytest.mark.parametrize("method", ["mode", "scale"])
def test_round_trip_restores_values_dtypes_and_gaps(table, schema, method):
    encoder = TabularEncoder(schema, continuous=method).fit(table)
    x = encoder.transform(table)
    assert x.dtype == np.float32
    assert x.shape == (len(table), encoder.output_dim)
    # Floats pass through float32 in [-1, 1]: allow that rounding, relative to the column's spread (~50).
    assert_same_table(table, encoder.inverse_transform(x), float_tolerance=1e-4)


@pytest.mark.parametrize("method", ["mode", "scale"])
def test_spans_tile_the_row_in_order(table, schema, method):
    encoder = TabularEncoder(schema, continuous=method).fit(table)
    spans = encoder.spans
    assert [s.start for s in spans] == list(np.cumsum([0] + [s.width for s in spans[:-1]]))
    assert sum(s.width for s in spans) == encoder.output_dim
    roles = {}
    for span in spans:
        roles.setdefault(span.column, []).append(span.role)
        assert span.activation == ("tanh" if span.role == "value" else "softmax")
    assert list(roles) == encoder.columns == schema.used_columns
    mode = ["mode"] if method == "mode" else []
    assert roles["bimodal"] == ["value", *mode]
    assert roles["with_gaps"] == ["value", *mode, "missing"]
    assert roles["text"] == ["category"]
    assert encoder.category_span("text").width == 4  # red, green, blue + empty
    assert encoder.category_span("flag").width == 2


def test_mode_specific_normalisation_follows_ctgan(table, schema):
    encoder = TabularEncoder(schema).fit(table)
    state = next(c for c in encoder.to_dict()["columns"] if c["name"] == "bimodal")
    means, stds = np.array(state["means"]), np.array(state["stds"])
    assert len(means) >= 2 and means.min() < -10 and means.max() > 20  # both bumps found
    x = encoder.transform(table)
    value, mode = (next(s for s in encoder.spans if s.column == "bimodal" and s.role == r) for r in ("value", "mode"))
    chosen = x[:, mode.start : mode.start + mode.width].argmax(axis=1)
    expected = np.clip((table["bimodal"].to_numpy() - means[chosen]) / (4 * stds[chosen]), -0.99, 0.99)
    np.testing.assert_allclose(x[:, value.start], expected, atol=1e-6)
    assert np.all(x[:, mode.start : mode.start + mode.width].sum(axis=1) == 1)


def test_missing_span_marks_the_gaps(table, schema):
    encoder = TabularEncoder(schema).fit(table)
    x = encoder.transform(table)
    span = next(s for s in encoder.spans if s.column == "with_gaps" and s.role == "missing")
    gaps = table["with_gaps"].isna().to_numpy()
    assert np.array_equal(x[:, span.start + 1] == 1, gaps)
    assert np.array_equal(x[:, span.start] == 1, ~gaps)


def test_persistence_round_trips_through_json(table, schema):
    encoder = TabularEncoder(schema, seed=3).fit(table)
    again = TabularEncoder.from_dict(json.loads(json.dumps(encoder.to_dict())))
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(50, encoder.output_dim))
    pd.testing.assert_frame_equal(again.inverse_transform(noise), encoder.inverse_transform(noise))
    np.testing.assert_array_equal(again.transform(table), encoder.transform(table))
    assert again.spans == encoder.spans
    assert again.to_dict() == encoder.to_dict()


def test_fitting_is_deterministic_given_the_seed(table, schema):
    assert TabularEncoder(schema, seed=5).fit(table).to_dict() == TabularEncoder(schema, seed=5).fit(table).to_dict()


def test_inverse_of_arbitrary_output_gives_valid_values(table, schema):
    encoder = TabularEncoder(schema).fit(table)
    noise = torch.randn(400, encoder.output_dim, generator=torch.Generator().manual_seed(0)) * 3
    out = encoder.inverse_transform(noise)  # a torch tensor is accepted
    assert len(out) == 400
    for name in ("text", "level_ints", "category", "flags_with_gaps"):
        assert set(out[name].dropna()) <= set(table[name].dropna())
    for name in ("bimodal", "int64", "ints_with_gaps", "days"):
        present = out[name].dropna()
        assert present.min() >= table[name].min() and present.max() <= table[name].max(), name
    assert np.all(out["ints_with_gaps"].dropna() % 1 == 0)
    assert (out["days"].dt.normalize() == out["days"]).all()  # dates come back as whole days
    assert out["bimodal"].notna().all()  # no gaps where the data had none


def test_float32_rows_decode_as_their_float64_copy_and_text_as_cell_by_cell(table, schema):
    """inverse_transform reads float32 rows without a float64 copy of the matrix and gives text levels by index
    (issue #17, for speed): the table is exactly what the float64 copy and converting every cell gave."""
    encoder = TabularEncoder(schema).fit(table)
    rows = (torch.randn(500, encoder.output_dim, generator=torch.Generator().manual_seed(1)) * 3).numpy()
    out = encoder.inverse_transform(rows)
    pd.testing.assert_frame_equal(out, encoder.inverse_transform(rows.astype(np.float64)), check_exact=True)
    for name in ("text", "string"):
        span = encoder.category_span(name)
        index = np.argmax(rows[:, span.start : span.start + span.width], axis=1)
        cells = np.array(encoder.levels(name), dtype=object)[index]
        expected = pd.Series(cells, dtype=object).astype(table[name].dtype)
        assert out[name].isna().any() and out[name].notna().any()
        pd.testing.assert_series_equal(out[name], expected, check_names=False, check_exact=True)


def test_levels_and_one_hot_accept_text_forms(table, schema):
    encoder = TabularEncoder(schema).fit(table)
    assert encoder.levels("level_ints") == [2007, 2008, 2009]
    assert all(type(v) is int for v in encoder.levels("level_ints"))
    assert encoder.levels("text") == ["blue", "green", "red", None]
    assert encoder.levels("flag") == [False, True]
    assert encoder.levels("category") == ["low", "mid", "high"]  # the categorical dtype's own order
    np.testing.assert_array_equal(encoder.one_hot("level_ints", ["2008", 2009]), [[0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(encoder.one_hot("flag", ["True", False]), [[0, 1], [1, 0]])
    hot = encoder.one_hot("text", ["red", None])
    assert hot.dtype == np.float32 and hot.shape == (2, 4)
    np.testing.assert_array_equal(hot, [[0, 0, 1, 0], [0, 0, 0, 1]])


def test_one_hot_with_an_unknown_value_lists_the_valid_ones(table, schema):
    encoder = TabularEncoder(schema).fit(table)
    with pytest.raises(DataError, match=r"'purple' is not a value of column 'text'.*blue, green, red") as info:
        encoder.one_hot("text", ["purple"])
    assert info.value.column == "text"


def test_category_span_of_a_numeric_column_is_refused(table, schema):
    encoder = TabularEncoder(schema).fit(table)
    with pytest.raises(DataError, match="'bimodal' is not a categorical column"):
        encoder.category_span("bimodal")


def test_transform_refuses_values_it_has_not_seen(table, schema):
    encoder = TabularEncoder(schema).fit(table)
    other = table.copy()
    other["text"] = other["text"].astype(object)
    other.loc[7, "text"] = "purple"
    with pytest.raises(DataError, match="'purple' in row 8") as info:
        encoder.transform(other)
    assert (info.value.column, info.value.row) == ("text", 8)
    other = table.copy()
    other.loc[3, "bimodal"] = np.nan
    with pytest.raises(DataError, match="'bimodal' has an empty cell in row 4"):
        encoder.transform(other)


def test_constant_and_tiny_columns_do_not_break_the_mixture():
    df = pd.DataFrame({"constant": [2.5] * 20, "two_values": [0.5, 1.5] * 10, "x": np.linspace(0, 1, 20) ** 3})
    schema = infer_schema(df, overrides={"two_values": "continuous"})
    encoder = TabularEncoder(schema).fit(df)
    restored = encoder.inverse_transform(encoder.transform(df))
    np.testing.assert_allclose(restored.to_numpy(), df.to_numpy(), atol=1e-5)


def test_wrong_width_is_refused(table, schema):
    encoder = TabularEncoder(schema).fit(table)
    with pytest.raises(ValueError, match="shape"):
        encoder.inverse_transform(np.zeros((3, encoder.output_dim + 1)))
