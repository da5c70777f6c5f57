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
from gen_models.data.reading import SHARD_ATTR, ReadInfo, Shard, read_table, read_table_shard


@dataclasses.dataclass(frozen=True)
class Source:
    """What --data named: the table, its layout, and for a file how it was read and why that layout."""

    frame: pd.DataFrame
    layout: DataLayout
    read: ReadInfo | None = None  # None for a bundled data set
    layout_reason: str = ""  # a file's inferred layout, in a sentence; "" for a bundled set (its layout is known)
    shard: Shard | None = None  # read with `shard=`: which rows `frame` holds


def read_source(source: str, shard: tuple[int, int] | None = None) -> Source:
    """A file (CSV, gzip CSV, Parquet or Excel; its layout inferred), or a bundled data set's name (its own layout).

    shard: (rank, world_size) to read only that process's rows (`reading.Shard`: every world_size-th row, equal
    shares; a file is read without holding the rest, see `read_table_shard`; a bundled set is small: loaded, then
    cut). The layout is then inferred from the shard.
    """
    path = Path(source)
    if path.is_file():
        table = read_table(path) if shard is None else read_table_shard(path, *shard)
        guess = infer_layout(table.frame)
        return Source(table.frame, guess.layout, table.info, guess.reason, table.shard)
    names = [info.name for info in list_datasets()]
    if source in names:
        frame = load_dataset(source)
        if shard is None:
            return Source(frame, dataset_info(source).layout)
        rows = Shard(shard[0], shard[1], len(frame))
        frame = frame.iloc[rows.positions(0, len(frame))]
        frame.attrs[SHARD_ATTR] = {"rank": rows.rank, "world_size": rows.world_size, "rows": len(frame)}
        return Source(frame, dataset_info(source).layout, shard=rows)
    if path.suffix.lower() in {".csv", ".txt", ".tsv", ".gz", ".parquet", ".xlsx"} or "/" in source:
        raise DataError(f"There is no file '{source}'.")
    raise DataError(f"'{source}' is neither a file nor a bundled data set. Bundled data sets: {', '.join(names)}.")
