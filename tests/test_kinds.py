"""One decision each: column kinds, which columns can condition, and reading values as numbers."""

from __future__ import annotations

from typing import get_args

import numpy as np
import pandas as pd
import pytest

from gen_models import evaluation
from gen_models.data import infer_schema
from gen_models.data.layouts import DataLayout
from gen_models.data.schema import KINDS, NUMERIC_KINDS, ColumnKind, conditionable_columns
from gen_models.data.values import column_numbers, datetime_numbers, datetime_step, numbers


def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame(
        {
            "id": np.arange(n),  # a row number: ignored
            "species": rng.choice(["Adelie", "Gentoo"], n),
            "mass": rng.normal(4000, 500, n),
            "count": rng.integers(0, 40, n),
            "flag": rng.integers(0, 2, n),
        }
    )


def test_one_set_of_kinds_for_schema_and_evaluation():
    assert KINDS == get_args(ColumnKind)
    assert evaluation.NUMERIC_KINDS is NUMERIC_KINDS
    assert set(evaluation.KINDS) == set(KINDS) - {"ignore"}


def test_schema_kinds_leave_ignored_columns_out_unless_asked():
    schema = infer_schema(table())
    assert schema.kinds() == {"species": "categorical", "mass": "continuous", "count": "integer", "flag": "categorical"}
    assert list(schema.kinds()) == schema.used_columns
    assert schema.kinds(include_ignored=True) == {"id": "ignore", **schema.kinds()}


def test_conditionable_columns_are_categories_for_tables_and_the_label_otherwise():
    schema = infer_schema(table())
    assert conditionable_columns(schema) == ["species", "flag"]
    assert conditionable_columns(schema, DataLayout()) == ["species", "flag"]
    images = DataLayout(kind="images", image_shape=(2, 2), label="species")
    assert conditionable_columns(schema, images) == ["species"]
    assert conditionable_columns(schema, DataLayout(kind="images", image_shape=(2, 2))) == []


def test_a_model_refuses_a_condition_the_shared_rule_refuses():
    pytest.importorskip("torch")
    import gen_models
    from gen_models.errors import DataError

    model = gen_models.create("cgan", epochs=1, batch_size=30)
    with pytest.raises(DataError, match="Categorical columns: species, flag"):
        model.fit(table(), condition="mass")


def test_numbers_are_a_writable_copy_with_nan_for_text_and_blanks():
    series = pd.Series([1, 2.5, None, "x", np.inf], dtype=object)
    values = numbers(series)
    assert values.dtype == np.float64 and values.flags.writeable
    np.testing.assert_array_equal(values, [1.0, 2.5, np.nan, np.nan, np.inf])
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    numbers(frame["a"])[0] = 9.0
    assert frame["a"].iloc[0] == 1.0


def test_datetime_numbers_count_from_1970_in_utc():
    naive = pd.Series(pd.to_datetime(["1970-01-01 00:00:01", None, "1970-01-02 00:00:00"]))
    np.testing.assert_array_equal(datetime_numbers(naive, "us"), [1e6, np.nan, 86_400e6])
    np.testing.assert_array_equal(datetime_numbers(naive, "ns"), [1e9, np.nan, 86_400e9])
    aware = pd.Series(pd.to_datetime(["1970-01-01 01:00:01"])).dt.tz_localize("Europe/Paris")  # UTC+1 then
    np.testing.assert_array_equal(datetime_numbers(aware, "us"), [1e6])


def test_encoder_and_evaluation_read_the_same_moments():
    text = pd.Series(["2020-01-31", "2020-02-01", None], dtype=object)
    schema = infer_schema(pd.DataFrame({"day": text}))
    spec = schema.column("day")
    micros = column_numbers(text, spec)
    nanos = evaluation.columns.numeric_values(text, "datetime")
    np.testing.assert_array_equal(micros * 1000, nanos)
    step = datetime_step(micros)
    assert step == 86_400_000_000  # whole days
    np.testing.assert_array_equal(column_numbers(text, spec, step), [18292.0, 18293.0, np.nan])


def test_evaluation_treats_infinite_numbers_as_missing_and_the_encoder_keeps_them():
    series = pd.Series([1.0, np.inf, -np.inf])
    spec = infer_schema(pd.DataFrame({"x": [1.0, 2.5, 3.0]})).column("x")
    np.testing.assert_array_equal(evaluation.columns.numeric_values(series, "continuous"), [1.0, np.nan, np.nan])
    np.testing.assert_array_equal(column_numbers(series, spec), [1.0, np.inf, -np.inf])
