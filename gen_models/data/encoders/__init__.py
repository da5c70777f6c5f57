"""Encoders: a table, images or time series <-> the float matrix every model trains on.

One module per kind of data (`tabular`, `images`, `sequences`), each following `base.Encoder`; `quantile`
encodes a table as tokens for autoregressive models, `gaussianised` as invertible cells for flows, and
`sequence_bins` adds the bins an autoregressive series model draws from to the series encoding.
"""

from __future__ import annotations

from typing import Any

from gen_models.data.encoders.base import Encoder, Span, level_key, one_hot_rows
from gen_models.data.encoders.gaussianised import GaussianisedEncoder
from gen_models.data.encoders.images import ImageEncoder
from gen_models.data.encoders.quantile import QuantileEncoder
from gen_models.data.encoders.sequence_bins import ENCODING as BINNED_SEQUENCES
from gen_models.data.encoders.sequence_bins import BinnedSequenceEncoder
from gen_models.data.encoders.sequences import SequenceEncoder
from gen_models.data.encoders.tabular import TabularEncoder
from gen_models.data.layouts import DataLayout
from gen_models.data.schema import TableSchema


def make_encoder(layout: DataLayout, schema: TableSchema, seed: int = 0) -> Encoder:
    """The encoder for a layout: TabularEncoder, ImageEncoder or SequenceEncoder (not yet fitted)."""
    if layout.kind == "images":
        return ImageEncoder(layout)
    if layout.kind == "sequences":
        return SequenceEncoder(layout)
    return TabularEncoder(schema, seed=seed)


def encoder_from_dict(d: dict[str, Any]) -> Encoder:
    kind = d.get("kind", "table")
    if d.get("encoding") == "quantile":
        return QuantileEncoder.from_dict(d)
    if d.get("encoding") == "gaussianised":
        return GaussianisedEncoder.from_dict(d)
    if d.get("encoding") == BINNED_SEQUENCES:
        return BinnedSequenceEncoder.from_dict(d)
    if kind == "images":
        return ImageEncoder.from_dict(d)
    if kind == "sequences":
        return SequenceEncoder.from_dict(d)
    return TabularEncoder.from_dict(d)


__all__ = [
    "BinnedSequenceEncoder",
    "Encoder",
    "GaussianisedEncoder",
    "ImageEncoder",
    "QuantileEncoder",
    "SequenceEncoder",
    "Span",
    "TabularEncoder",
    "encoder_from_dict",
    "level_key",
    "make_encoder",
    "one_hot_rows",
]
