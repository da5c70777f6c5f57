"""Time series with quantile bins of each channel's first value and of its step-to-step changes.

The encoded rows are `SequenceEncoder`'s, unchanged: (n, T*F) floats in [-1, 1], step-major, with the mask
channel last in each step when series have different lengths. This encoder also holds, per value channel,
the bins an autoregressive series model draws from (`models.series_ar`): bins of the first step's values and
bins of the changes x_t - x_{t-1} at the real steps after it, in the data's own units. They are
`quantile`'s numeric bins: quantile cuts with point masses for values that hold a bin's share (a change of
exactly 0 in a rain channel), on the grid of the data's decimals when it has one, so that a series built
from a first value and its changes keeps the data's precision exactly. With different lengths it also holds
the lengths seen in training (a series' length is drawn first, from these).

Fitted once on the training series, written into model.json with the rest of the encoder.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from gen_models.data.encoders.quantile import MAX_DECIMALS, BinnedColumn, bin_of, fit_bins
from gen_models.data.encoders.sequences import SequenceEncoder
from gen_models.data.layouts import DataLayout

ENCODING = "binned_sequences"


class BinnedSequenceEncoder(SequenceEncoder):
    """`SequenceEncoder` plus per-channel bins of first values and of changes (see the module docstring)."""

    def __init__(self, layout: DataLayout, max_bins: int = 100, rows_per_bin: int = 10):
        super().__init__(layout)
        self.max_bins = max_bins
        self.rows_per_bin = rows_per_bin
        self.start_bins: list[BinnedColumn] = []  # per value channel: bins of its first value
        self.change_bins: list[BinnedColumn] = []  # per value channel: bins of x_t - x_{t-1}
        self.lengths: list[int] = []  # masked series only: the different lengths seen, ascending
        self.length_counts: list[int] = []

    @property
    def channels(self) -> int:
        """Value channels per step (the encoded rows' features without the mask channel)."""
        return self.features - int(self.masked)

    def fit(self, df: pd.DataFrame) -> BinnedSequenceEncoder:
        super().fit(df)
        values, lengths = self.series(df)  # (n, T, V) raw values, (n,) lengths
        real = np.arange(self.steps)[None, 1:] < lengths[:, None]  # (n, T-1): step t >= 1 is a real step
        self.start_bins, self.change_bins = [], []
        for v in range(values.shape[2]):
            decimals = self._grid(v)
            starts = values[:, 0, v]
            changes = (values[:, 1:, v] - values[:, :-1, v])[real]
            self.start_bins.append(self._binned(f"start {v}", starts, decimals))
            self.change_bins.append(self._binned(f"change {v}", changes if len(changes) else np.zeros(1), decimals))
        if self.masked:
            self.lengths, counts = (list(map(int, a)) for a in np.unique(lengths, return_counts=True))
            self.length_counts = counts
        return self

    def _grid(self, v: int) -> int | None:
        """Decimals of channel v's grid, or None when its values are continuous."""
        if self.decimals is None:
            return None
        places = self.decimals[v]
        return places if places <= MAX_DECIMALS else None

    def _binned(self, name: str, values: np.ndarray, decimals: int | None) -> BinnedColumn:
        n_bins = int(max(2, min(self.max_bins, len(values) // max(1, self.rows_per_bin))))
        lows, highs, counts = fit_bins(values.astype(np.float64), n_bins, decimals)
        return BinnedColumn(
            name=name,
            kind="continuous",
            dtype="float64",
            decimals=decimals,
            single=False,
            lows=lows.tolist(),
            highs=highs.tolist(),
            counts=counts.astype(int).tolist(),
            missing_count=0,
        )

    def raw_values(self, x: np.ndarray) -> np.ndarray:
        """(n, T*F) encoded rows -> (n, T, V) values in the data's units, on the data's grid where it has one."""
        low, span = self._scale()
        seq = np.asarray(x, dtype=np.float64).reshape(len(x), self.steps, self.features)[:, :, : self.channels]
        values = (seq + 1) / 2 * span + low
        for v in range(self.channels):
            places = self._grid(v)
            if places is not None:
                values[:, :, v] = np.round(values[:, :, v], places)
        return values

    def tokens(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, T*F) encoded rows -> tokens (n, T, V) int64 and positions (n, T, V) in [0, 1).

        Step 0 holds the bin of each channel's first value, step t >= 1 the bin of its change from step t-1
        (padded steps get some bin too: the model never learns from them).
        """
        values = self.raw_values(x)
        changes = np.concatenate([values[:, :1], values[:, 1:] - values[:, :-1]], axis=1)
        tokens = np.zeros(values.shape, dtype=np.int64)
        positions = np.zeros(values.shape)
        for v in range(self.channels):
            for part, bins in ((np.s_[:, :1], self.start_bins[v]), (np.s_[:, 1:], self.change_bins[v])):
                found = changes[part][:, :, v]
                token, position = bin_of(found.ravel(), bins)
                tokens[part][:, :, v] = token.reshape(found.shape)
                positions[part][:, :, v] = position.reshape(found.shape)
        return tokens, positions

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "encoding": ENCODING,
            "max_bins": self.max_bins,
            "rows_per_bin": self.rows_per_bin,
            "start_bins": [asdict(b) for b in self.start_bins],
            "change_bins": [asdict(b) for b in self.change_bins],
            "lengths": self.lengths,
            "length_counts": self.length_counts,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BinnedSequenceEncoder:
        enc = super().from_dict(d)  # the series part, read into this class
        enc.max_bins, enc.rows_per_bin = int(d["max_bins"]), int(d["rows_per_bin"])
        enc.start_bins = [BinnedColumn(**b) for b in d["start_bins"]]
        enc.change_bins = [BinnedColumn(**b) for b in d["change_bins"]]
        if len(enc.start_bins) != enc.channels or len(enc.change_bins) != enc.channels:
            raise ValueError("the series encoder's bins do not match its channels")
        enc.lengths = [int(k) for k in d.get("lengths") or []]
        enc.length_counts = [int(k) for k in d.get("length_counts") or []]
        if enc.masked and (not enc.lengths or len(enc.lengths) != len(enc.length_counts)):
            raise ValueError("the series encoder's lengths are missing")
        return enc
