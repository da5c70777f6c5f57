"""Schema inference: column kinds, identifiers, overrides and their errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gen_models.data import DataError, TableSchema, infer_schema


def penguins_like(n: int = 344, seed: int = 0) -> pd.DataFrame:
    """A frame shaped like palmerpenguins: text categories and measurements with gaps, an int year, an id."""
    rng = np.random.default_rng(seed)
    species = rng.choice(["Adelie", "Gentoo", "Chinstrap"], n).astype(object)
    island = rng.choice(["Biscoe", "Dream", "Torgersen"], n).astype(object)
    sex = rng.choice(["male", "female"], n).astype(object)
    sex[rng.random(n) < 0.03] = np.nan
    bill = rng.normal(44, 5, n).round(1)
    bill[[3, 271]] = np.nan
    flipper = rng.integers(172, 232, n).astype(float)  # whole numbers stored as float because of a gap
    flipper[[3, 271]] = np.nan
    mass = (rng.normal(4200, 800, n) // 25 * 25).astype(float)
    mass[[3, 271]] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "species": pd.Series(species, dtype="str"),
            "island": pd.Series(island, dtype="str"),
            "bill_length_mm": bill,
            "flipper_length_mm": flipper,
            "body_mass_g": mass,
            "sex": pd.Series(sex, dtype="str"),
            "year": rng.choice([2007, 2008, 2009], n),
        }
    )


def kinds(schema: TableSchema) -> dict[str, str]:
    return {spec.name: spec.kind for spec in schema.columns}


def test_penguins_like_frame_gets_the_expected_kinds():
    df = penguins_like()
    schema = infer_schema(df)
    assert kinds(schema) == {
        "id": "ignore",
        "species": "categorical",
        "island": "categorical",
        "bill_length_mm": "continuous",
        "flipper_length_mm": "integer",
        "body_mass_g": "integer",
        "sex": "categorical",
        "year": "categorical",  # 3 values in 344 rows: few enough to be categories
    }
    assert [spec.name for spec in schema.columns] == list(df.columns)
    assert schema.used_columns == list(df.columns[1:])
    assert schema.column("sex").missing_rate == pytest.approx(df["sex"].isna().mean())
    assert schema.column("sex").dtype == "str"
    assert schema.column("year").dtype == "int64"
    assert schema.column("year").n_unique == 3
    assert len(schema.warnings) == 1 and "'id'" in schema.warnings[0] and "identifier" in schema.warnings[0]
    assert all(spec.reason for spec in schema.columns)


def test_text_identifier_is_ignored_with_a_warning_even_with_many_values():
    n = 200
    df = pd.DataFrame({"name": [f"person {i}" for i in range(n)], "x": np.linspace(0, 1, n) ** 2})
    schema = infer_schema(df, max_levels=50)
    assert kinds(schema) == {"name": "ignore", "x": "continuous"}
    assert "'name'" in schema.warnings[0]


def test_row_number_counts_as_identifier_in_any_order_but_other_unique_ints_do_not():
    n = 100
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "row": rng.permutation(n),  # 0..n-1 shuffled
            "customer": rng.choice(np.arange(10_000, 99_999), n, replace=False),
            "score": rng.normal(size=n),
        }
    )
    assert kinds(infer_schema(df)) == {"row": "ignore", "customer": "integer", "score": "continuous"}


def test_low_cardinality_rule_for_whole_numbers():
    rng = np.random.default_rng(2)
    n = 400
    df = pd.DataFrame(
        {
            "flag01": rng.integers(0, 2, n),
            "rating": rng.integers(1, 6, n),
            "many": rng.integers(0, 300, n),
            "whole_floats": rng.integers(0, 300, n).astype(float),
            "bools": rng.random(n) < 0.5,
        }
    )
    assert kinds(infer_schema(df)) == {
        "flag01": "categorical",
        "rating": "categorical",
        "many": "integer",
        "whole_floats": "integer",
        "bools": "categorical",
    }
    small = pd.DataFrame({"small_count": np.tile(np.arange(5), 8)})  # 5 values in 40 rows: over 5%
    assert kinds(infer_schema(small)) == {"small_count": "integer"}


def test_dates_as_text_and_datetime64_are_datetimes():
    dates = pd.date_range("2021-01-01", periods=30, freq="D")
    df = pd.DataFrame(
        {
            "iso": dates.strftime("%Y-%m-%d"),
            "day_first": dates.strftime("%d/%m/%Y"),
            "stamp": dates,
            "numbers_as_text": [str(2000 + i % 3) for i in range(30)],
        }
    )
    schema = infer_schema(df)
    assert kinds(schema) == {
        "iso": "datetime",
        "day_first": "datetime",
        "stamp": "datetime",
        "numbers_as_text": "categorical",  # "2000" is a year-like number, not taken as a date
    }
    assert schema.column("iso").datetime_format == "%Y-%m-%d"
    assert schema.column("day_first").datetime_format == "%d/%m/%Y"


def test_empty_column_is_ignored_with_a_warning():
    df = pd.DataFrame({"a": np.arange(20) * 1.5, "empty": [np.nan] * 20})
    schema = infer_schema(df)
    assert kinds(schema) == {"a": "continuous", "empty": "ignore"}
    assert any("'empty'" in w for w in schema.warnings)


def test_overrides_and_discrete_win_over_inference():
    df = penguins_like()
    schema = infer_schema(
        df, overrides={"year": "integer", "bill_length_mm": "ignore"}, discrete=["flipper_length_mm"], max_levels=100
    )
    assert schema.column("year").kind == "integer"
    assert schema.column("year").reason == "set by you"
    assert schema.column("bill_length_mm").kind == "ignore"
    assert schema.column("flipper_length_mm").kind == "categorical"
    assert "bill_length_mm" not in schema.used_columns


def test_override_naming_an_unknown_column_is_refused():
    with pytest.raises(DataError, match="'bill_depth'") as info:
        infer_schema(penguins_like(), overrides={"bill_depth": "continuous"})
    assert info.value.column == "bill_depth"
    with pytest.raises(DataError, match="'colour'"):
        infer_schema(penguins_like(), discrete=["colour"])


def test_override_with_an_unknown_kind_is_refused():
    with pytest.raises(DataError, match="'numeric'.*'year'") as info:
        infer_schema(penguins_like(), overrides={"year": "numeric"})
    assert info.value.column == "year"


def test_override_that_does_not_fit_the_values_is_refused():
    with pytest.raises(DataError, match="'species' holds text") as info:
        infer_schema(penguins_like(), overrides={"species": "continuous"})
    assert info.value.column == "species"
    with pytest.raises(DataError, match="'island'.*cannot be read as dates"):
        infer_schema(penguins_like(), overrides={"island": "datetime"})


def test_too_many_categories_is_refused_with_advice():
    rng = np.random.default_rng(3)
    cities = [f"city {i}" for i in range(312)]
    # Every city appears at least once, and some twice, so the column is not an identifier.
    df = pd.DataFrame({"city": cities + rng.choice(cities, 88).tolist(), "x": rng.normal(size=400)})
    with pytest.raises(DataError) as info:
        infer_schema(df)
    assert str(info.value) == (
        "Column 'city' has 312 different values; at most 50 categories are supported. "
        "Mark it as 'ignore' or reduce its categories."
    )
    assert info.value.column == "city"
    assert infer_schema(df, overrides={"city": "ignore"}).column("city").kind == "ignore"
    assert infer_schema(df, max_levels=400).column("city").kind == "categorical"


def test_forcing_many_numbers_to_categories_hits_the_level_limit():
    df = pd.DataFrame({"v": np.arange(200) % 120 * 1.5})
    with pytest.raises(DataError, match="'v' has 120 different values"):
        infer_schema(df, discrete=["v"])


def test_schema_round_trips_through_json():
    schema = infer_schema(penguins_like())
    again = TableSchema.from_dict(json.loads(json.dumps(schema.to_dict())))
    assert again == schema
    assert again.used_columns == schema.used_columns


def test_unknown_column_lookup_raises_data_error():
    with pytest.raises(DataError, match="'nope'"):
        infer_schema(penguins_like()).column("nope")


def test_dates_written_in_several_formats_are_dates_and_come_back_in_one():
    import gen_models

    written = ["2024-01-05", "5 March 2024", "2024/02/07", "March 9, 2024", "2024-04-01"] * 4
    df = pd.DataFrame({"d": written, "v": [1.5, 2.5, 3.5, 4.5, 5.5] * 4})
    schema = infer_schema(df)
    assert schema.column("d").kind == "datetime" and "mixed" in schema.column("d").reason
    model = gen_models.create("vae", epochs=2, seed=0)
    model.fit(df)
    back = pd.to_datetime(model.sample(20, seed=0)["d"], format="%Y-%m-%d")  # ISO dates, every one
    assert back.between("2023-12-01", "2024-05-01").all()


def test_a_column_of_dates_spoiled_by_a_few_cells_says_which_rows():
    written = ["2024-01-05", "5 March 2024", "2024/02/07", "March 9, 2024", "2024-04-01"] * 4
    written[3] = "soon"
    schema = infer_schema(pd.DataFrame({"d": written}))
    assert schema.column("d").kind == "categorical"
    assert any("holds dates except in row(s) 4 ('soon')" in warning for warning in schema.warnings)


def test_constant_and_nearly_constant_columns_are_warned_about():
    df = pd.DataFrame({"same": ["x"] * 40, "mostly": ["a"] * 39 + ["b"], "fine": ["a", "b"] * 20})
    warnings = " ".join(infer_schema(df).warnings)
    assert "Column 'same' holds one value ('x') in every row" in warnings
    assert "Column 'mostly' is 'a' in 98% of rows" in warnings
    assert "'fine'" not in warnings
