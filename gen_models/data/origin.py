"""Where a saved model's training data is: the bundled data set or the file its model.json records.

Saving a model keeps a note of its data in model.json's `extra`: {"dataset": NAME} for a bundled
data set (the pretrained models, `train --data NAME`) or {"data_file": PATH} for a file (`train
--data FILE.csv`). `training_data_source` turns that note into a source, the way the command
line's --data names data (a bundled data set's name or a file's path); the command line's
`design` and the app's model pages both ask it, so they always find the same data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gen_models.data.datasets import list_datasets, load_dataset
from gen_models.data.sources import read_source


@dataclass(frozen=True)
class DataOrigin:
    """What a saved model records about the data it was trained on."""

    dataset: str | None = None  # a bundled data set's name
    data_file: str | None = None  # the absolute path of the file it was trained on
    columns: tuple[str, ...] = ()  # its schema's columns: recognise a bundled table when nothing is recorded

    @classmethod
    def of(cls, model_or_meta: Any) -> DataOrigin:
        """The origin of a model (its `extra` and `schema`), or of a parsed model.json dict."""
        if isinstance(model_or_meta, dict):
            extra = model_or_meta.get("extra") or {}
            columns = tuple(column["name"] for column in (model_or_meta.get("schema") or {}).get("columns", []))
        else:
            extra = model_or_meta.extra or {}
            schema = model_or_meta.schema
            columns = tuple(spec.name for spec in schema.columns) if schema is not None else ()
        return cls(dataset=extra.get("dataset") or None, data_file=extra.get("data_file") or None, columns=columns)


def data_origin(model_dir: str | os.PathLike) -> DataOrigin:
    """The origin recorded in a model directory's model.json. Raises CheckpointError for a directory
    that is not a readable Latent Lab model."""
    from gen_models.checkpoint import read_metadata  # on first use: checkpoint imports torch

    return DataOrigin.of(read_metadata(model_dir))


def training_data_source(
    model_or_meta: DataOrigin | Any, override: str | None = None, match_columns: bool = False
) -> str | None:
    """Where a model's training data is: a bundled data set's name or a file's path; None if unknown.

    `model_or_meta` is a DataOrigin, a model or a parsed model.json. In this order: `override`
    (data the user names, e.g. `design --data`); the bundled data set recorded at saving; the
    recorded file, if it is still there; with `match_columns`, the bundled table whose columns
    are exactly the model's (for models saved before the note was kept). That last one is a
    guess: the app makes it, having no way to ask; the command line asks for --data instead.
    """
    origin = model_or_meta if isinstance(model_or_meta, DataOrigin) else DataOrigin.of(model_or_meta)
    if override is not None:
        return override
    if origin.dataset:
        return origin.dataset
    if origin.data_file and Path(origin.data_file).is_file():
        return origin.data_file
    if match_columns:
        for info in list_datasets():
            if info.layout.kind == "table" and tuple(load_dataset(info.name).columns) == origin.columns:
                return info.name
    return None


def training_data_of(
    model_or_meta: DataOrigin | Any, override: str | None = None, match_columns: bool = False
) -> pd.DataFrame | None:
    """The training data itself (see `training_data_source`), or None when the model does not say.

    Raises DataError when the source cannot be read: a name that is neither a file nor a bundled
    data set, or a file that is not a readable table.
    """
    source = training_data_source(model_or_meta, override, match_columns)
    return None if source is None else read_source(source).frame
