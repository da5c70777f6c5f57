"""Data: reading files, schema inference and validation, layouts, bundled data sets, and the encoders
(`data.encoders`) that turn tables, images and series into model inputs and back."""

from gen_models.data.encoders import Span, TabularEncoder
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
