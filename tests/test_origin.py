"""Where a saved model's training data is: one library answer for the CLI's design and the app's pages."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from gen_models.data import infer_schema
from gen_models.data.datasets import load_dataset
from gen_models.data.origin import DataOrigin, data_origin, training_data_of, training_data_source
from gen_models.errors import CheckpointError, DataError

ROOT = Path(__file__).resolve().parents[1]


def meta(extra: dict, columns: list[str]) -> dict:
    """The parts of a model.json the origin reads."""
    return {"extra": extra, "schema": {"columns": [{"name": c} for c in columns]}}


def test_a_recorded_data_set_is_loaded_by_name():
    penguins = load_dataset("penguins")
    assert training_data_source(meta({"dataset": "penguins"}, [])) == "penguins"
    pd.testing.assert_frame_equal(training_data_of(meta({"dataset": "penguins"}, [])), penguins)


def test_data_the_user_names_wins_over_the_record(tmp_path):
    path = tmp_path / "mine.csv"
    pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]}).to_csv(path, index=False)
    assert training_data_source(meta({"dataset": "penguins"}, []), override=str(path)) == str(path)
    assert list(training_data_of(meta({"dataset": "penguins"}, []), override=str(path)).columns) == ["a", "b"]


def test_a_recorded_file_is_read_while_it_exists(tmp_path):
    path = tmp_path / "table.csv"
    pd.DataFrame({"a": [1.5, 2.5, 3.5]}).to_csv(path, index=False)
    record = meta({"data_file": str(path)}, ["a"])
    assert training_data_of(record)["a"].tolist() == [1.5, 2.5, 3.5]
    path.unlink()
    assert training_data_source(record) is None
    assert training_data_of(record) is None


def test_without_a_record_a_bundled_table_with_the_same_columns_is_found_only_when_asked():
    columns = list(load_dataset("penguins").columns)
    assert training_data_source(meta({}, columns)) is None  # the command line asks for --data instead
    assert training_data_source(meta({}, columns), match_columns=True) == "penguins"
    assert training_data_source(meta({}, ["not", "these"]), match_columns=True) is None


def test_an_unknown_name_is_a_data_error():
    with pytest.raises(DataError, match="neither a file nor a bundled data set"):
        training_data_of(meta({"dataset": "no_such_set"}, []))


def test_a_model_and_its_model_json_give_the_same_origin():
    frame = load_dataset("penguins")
    model = SimpleNamespace(extra={"dataset": "penguins"}, schema=infer_schema(frame, ignore_unusable=True))
    from_model = DataOrigin.of(model)
    assert from_model == DataOrigin(dataset="penguins", columns=tuple(frame.columns))
    assert DataOrigin.of(meta({"dataset": "penguins"}, list(frame.columns))) == from_model


def test_data_origin_reads_a_model_directory(tmp_path):
    pytest.importorskip("torch")
    origin = data_origin(ROOT / "pretrained" / "cgan_penguins")
    assert origin.dataset == "penguins" and origin.data_file is None and origin.columns
    with pytest.raises(CheckpointError):
        data_origin(tmp_path)
