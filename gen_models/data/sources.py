"""What a `--data` argument names: a file (CSV, gzip CSV, Parquet or Excel, its layout inferred) or a bundled
data set (its own layout). The command line and the app's model pages read data through here."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from gen_models.data.datasets import dataset_info, list_datasets, load_dataset
from gen_models.data.errors import DataError
from gen_models.data.layout_inference import infer_layout
from gen_models.data.layouts import DataLayout
from gen_models.data.reading import ReadInfo, read_table


@dataclasses.dataclass(frozen=True)
class Source:
    """What --data named: the table, its layout, and for a file how it was read and why that layout."""

    frame: pd.DataFrame
    layout: DataLayout
    read: ReadInfo | None = None  # None for a bundled data set
    layout_reason: str = ""  # a file's inferred layout, in a sentence; "" for a bundled set (its layout is known)


def read_source(source: str) -> Source:
    """A file (CSV, gzip CSV, Parquet or Excel; its layout inferred), or a bundled data set's name (its own layout)."""
    path = Path(source)
    if path.is_file():
        table = read_table(path)
        guess = infer_layout(table.frame)
        return Source(table.frame, guess.layout, table.info, guess.reason)
    names = [info.name for info in list_datasets()]
    if source in names:
        return Source(load_dataset(source), dataset_info(source).layout)
    if path.suffix.lower() in {".csv", ".txt", ".tsv", ".gz", ".parquet", ".xlsx"} or "/" in source:
        raise DataError(f"There is no file '{source}'.")
    raise DataError(f"'{source}' is neither a file nor a bundled data set. Bundled data sets: {', '.join(names)}.")
