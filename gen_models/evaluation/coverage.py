"""Coverage: real categories never generated, and generated numbers outside the real range."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gen_models.evaluation.columns import category_labels, numeric_values, resolve


def coverage(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None = None) -> dict:
    """What the generator never produces, and what it produces outside the real range.

    Returns ``{"missing_categories": {column: [levels]}, "out_of_range":
    {column: share}}``: for each categorical column the real levels (as
    strings, in order of first appearance) absent from the synthetic data
    (only columns with at least one such level are listed), and for each
    numeric column the share of present synthetic values below the real
    minimum or above the real maximum (0.0 when there are no values to judge).
    """
    real, synthetic, kinds = resolve(real, synthetic, kinds)
    missing_categories: dict[str, list[str]] = {}
    out_of_range: dict[str, float] = {}
    for column, kind in kinds.items():
        if kind == "categorical":
            real_levels = pd.unique(category_labels(real[column]))
            synthetic_levels = set(category_labels(synthetic[column]))
            never = [level for level in real_levels if level is not None and level not in synthetic_levels]
            if never:
                missing_categories[column] = never
        else:
            out_of_range[column] = _out_of_range_share(
                numeric_values(real[column], kind), numeric_values(synthetic[column], kind)
            )
    return {"missing_categories": missing_categories, "out_of_range": out_of_range}


def _out_of_range_share(real_values: np.ndarray, synthetic_values: np.ndarray) -> float:
    """Share of present synthetic values outside the real [min, max]."""
    real_present = real_values[~np.isnan(real_values)]
    synthetic_present = synthetic_values[~np.isnan(synthetic_values)]
    if len(synthetic_present) == 0:
        return 0.0
    if len(real_present) == 0:
        return 1.0  # the real column is empty, so any value lies outside it
    outside = (synthetic_present < real_present.min()) | (synthetic_present > real_present.max())
    return float(outside.mean())
