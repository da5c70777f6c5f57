"""Writing generated rows to CSV safely: cells that a spreadsheet would run as a formula are neutralised.

Generated text comes from the training data, which may hold cells such as `=HYPERLINK("http://...")`. A CSV
opened in a spreadsheet runs a cell starting with =, +, -, @, a tab or a carriage return as a formula (CSV
injection). Following OWASP's advice, such text cells get a leading apostrophe, which spreadsheets show as
text; `keep_formulas=True` writes them unchanged. Numbers are never touched (-5 stays -5).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import IO

import pandas as pd
from pandas.api import types as ptypes

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells starting with = + - @ tab or CR are prefixed with an apostrophe."""
    safe = frame.copy()
    for column in safe.columns:
        series = safe[column]
        if ptypes.is_numeric_dtype(series) or ptypes.is_datetime64_any_dtype(series) or ptypes.is_bool_dtype(series):
            continue
        # Each distinct cell looked at once: a generated column of a million cells holds its levels only.
        starts = {
            cell for cell in series.dropna().unique() if isinstance(cell, str) and cell.startswith(FORMULA_STARTS)
        }
        if starts:
            risky = series.isin(starts)
            text = series.astype(object)
            text[risky] = "'" + text[risky].astype(str)
            safe[column] = text
    return safe


def write_csv(
    frame: pd.DataFrame, target: str | os.PathLike | IO[str] | None = None, keep_formulas: bool = False, **options
) -> str | None:
    """`frame.to_csv(target, index=False)` with formula cells neutralised unless `keep_formulas`.

    With no target, returns the CSV text (as `DataFrame.to_csv` does). Other options go to `to_csv`.
    """
    rows = frame if keep_formulas else neutralise_formulas(frame)
    return rows.to_csv(target, index=False, **options)


def write_parquet_chunks(chunks: Iterable[pd.DataFrame], target: str | os.PathLike) -> int:
    """Write frames with the same columns to one Parquet file, a row group each, one frame in memory at a time.

    Later frames are cast to the first one's column types (a chunk whose column is all empty keeps its type).
    No formula check: spreadsheets do not run Parquet cells. Returns the number of rows written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    total = 0
    try:
        for frame in chunks:
            table = pa.Table.from_pandas(frame, preserve_index=False, schema=None if writer is None else writer.schema)
            if writer is None:
                writer = pq.ParquetWriter(target, table.schema)
            writer.write_table(table)
            total += len(frame)
    finally:
        if writer is not None:
            writer.close()
    return total
