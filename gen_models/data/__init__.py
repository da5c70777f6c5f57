"""Tabular data: reading CSV files, schema inference and validation, reversible encoding."""

from gen_models.data.encoder import Span, TabularEncoder
from gen_models.data.errors import DataError
from gen_models.data.reading import read_csv
from gen_models.data.schema import ColumnSpec, TableSchema, infer_schema, validate_table

__all__ = [
    "ColumnSpec",
    "DataError",
    "Span",
    "TableSchema",
    "TabularEncoder",
    "infer_schema",
    "read_csv",
    "validate_table",
]
