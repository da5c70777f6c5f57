"""Issue #14 in the library: generated numbers at the data's precision, and coverage that names what is missing."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import gen_models
from gen_models.data import TabularEncoder, infer_schema
from gen_models.data.encoders.tabular import MAX_DECIMALS, decimal_places
from gen_models.data.writing import write_csv
from gen_models.evaluation import coverage
from gen_models.evaluation.report import coverage_text

ROOT = Path(__file__).resolve().parents[1]


def measured_table(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Like a person's own measurements: one and two decimals, whole numbers with gaps (so stored as floats)."""
    rng = np.random.default_rng(seed)
    length = np.round(rng.normal(44, 5, n), 1)
    depth = np.round(rng.normal(17, 2, n), 2)
    flipper = np.round(rng.normal(200, 14, n)).astype(float)
    flipper[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame({"length": length, "depth": depth, "flipper": flipper, "sex": rng.choice(["f", "m"], n)})


def decoded_noise(encoder: TabularEncoder, n: int = 300) -> pd.DataFrame:
    """What a generator's arbitrary output decodes to."""
    noise = torch.randn(n, encoder.output_dim, generator=torch.Generator().manual_seed(0)) * 2
    return encoder.inverse_transform(noise)


def decimals_in(values: pd.Series) -> int:
    return max(len(text.split(".")[1]) if "." in text else 0 for text in values.dropna().astype(str))


def test_decimal_places_counts_the_most_decimals_seen() -> None:
    assert decimal_places(np.array([39.1, 40.25, 41.0]), "float64") == 2
    assert decimal_places(np.array([182.0, 190.0]), "float64") == 0
    assert decimal_places(np.array([45.86643928783814]), "float64") == MAX_DECIMALS  # capped
    assert decimal_places(np.array([2.04, 1.5], dtype=np.float32).astype(np.float64), "float32") == 2


@pytest.mark.parametrize("method", ["mode", "scale"])
def test_generated_numbers_have_the_training_data_precision(method: str) -> None:
    table = measured_table()
    encoder = TabularEncoder(infer_schema(table), continuous=method).fit(table)
    rows = decoded_noise(encoder)
    assert decimals_in(rows["length"]) <= 1 and decimals_in(rows["depth"]) <= 2
    assert rows["length"].nunique() > 20, "rounded, not collapsed"
    assert str(rows["flipper"].dtype) == "Int64", "whole numbers with gaps come back as nullable integers"
    assert rows["flipper"].isna().any() and rows["flipper"].notna().any()


def test_every_download_format_writes_whole_numbers_and_short_decimals() -> None:
    table = measured_table()
    encoder = TabularEncoder(infer_schema(table)).fit(table)
    rows = decoded_noise(encoder, 100)
    csv = write_csv(rows)
    flipper_cells = [line.split(",")[2] for line in csv.splitlines()[1:]]
    assert all(cell == "" or cell.isdigit() for cell in flipper_cells), flipper_cells[:5]
    assert all(len(line.split(",")[0].split(".")[-1]) <= 1 for line in csv.splitlines()[1:])
    records = json.loads(rows.to_json(orient="records"))
    assert all(r["flipper"] is None or isinstance(r["flipper"], int) for r in records)
    assert all(round(r["length"], 1) == r["length"] for r in records)
    again = pd.read_parquet(io.BytesIO(rows.to_parquet(index=False)))
    assert str(again["flipper"].dtype) == "Int64"
    pd.testing.assert_frame_equal(again, rows)


def test_decimals_are_saved_and_encoders_saved_before_them_still_load() -> None:
    table = measured_table()
    encoder = TabularEncoder(infer_schema(table)).fit(table)
    state = encoder.to_dict()
    by_name = {c["name"]: c for c in state["columns"]}
    assert by_name["length"]["decimals"] == 1 and by_name["depth"]["decimals"] == 2
    assert TabularEncoder.from_dict(json.loads(json.dumps(state))).to_dict() == state
    for column in state["columns"]:
        column.pop("decimals", None)  # as written before decimals were learned
    old = TabularEncoder.from_dict(state)
    assert decimals_in(decoded_noise(old)["length"]) > 1, "an old encoder keeps full precision"


def test_a_pretrained_table_model_still_loads_and_differs_only_by_the_rounding() -> None:
    model = gen_models.load(ROOT / "pretrained" / "vae_penguins")
    before = model.sample(300, seed=0)
    state = model.encoder.to_dict()
    real = gen_models.load_dataset("penguins")
    for column in state["columns"]:
        if column["type"] == "numeric" and column["kind"] == "continuous":
            present = real[column["name"]].dropna().to_numpy(dtype=float)
            column["decimals"] = decimal_places(present, column["dtype"])
    model.encoder = TabularEncoder.from_dict(state)
    after = model.sample(300, seed=0)
    assert list(after.columns) == list(before.columns)
    for column in before.columns:
        if pd.api.types.is_float_dtype(before[column]):
            assert decimals_in(after[column]) <= 1  # penguins' measurements have one decimal
            np.testing.assert_allclose(after[column], before[column], atol=0.05 + 1e-9)
        else:
            assert after[column].astype(object).equals(before[column].astype(object)), column


def test_coverage_names_the_categories_never_generated() -> None:
    real = pd.DataFrame(
        {
            "marital": ["Married", "Single", "Widowed", "Single"],
            "race": ["White", "Other", "Black", "White"],
            "age": [20, 30, 40, 50],
        }
    )
    synthetic = pd.DataFrame(
        {"marital": ["Married", "Single"] * 2, "race": ["White", "Black"] * 2, "age": [25, 35, 45, 60]}
    )
    kinds = {"marital": "categorical", "race": "categorical", "age": "integer"}
    text = coverage_text(coverage(real, synthetic, kinds))
    assert text == (
        "Never generated: marital 'Widowed', race 'Other'; "
        "up to 25.0% of a column's numbers outside the real range (age)"
    )
    assert coverage_text(coverage(real, real, kinds)) == (
        "Every real category was generated; no generated number outside the real range"
    )


def test_a_long_list_of_missing_categories_is_cut_short() -> None:
    real = pd.DataFrame({"city": [f"c{i}" for i in range(20)]})
    text = coverage_text(coverage(real, real.head(2), {"city": "categorical"}))
    assert text.startswith("Never generated: city 'c2', city 'c3'") and "and 10 more" in text
