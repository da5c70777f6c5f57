"""Privacy: are synthetic rows suspiciously close to real ones?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from gen_models.data.errors import DataError
from gen_models.evaluation.columns import (
    MISSING_LABEL,
    category_labels,
    check_same_columns,
    numeric_values,
    resolve,
)
from gen_models.evaluation.features import fit_features, split_holdout, subsample

# Row caps that keep the distance search fast on large tables.
MAX_PRIVACY_QUERIES = 5_000
MAX_PRIVACY_REFERENCE = 20_000


def privacy(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    kinds: dict[str, str] | None = None,
    seed: int = 0,
    real_holdout: pd.DataFrame | None = None,
) -> dict:
    """Are synthetic rows suspiciously close to real ones?

    The distance to the closest record (DCR, Euclidean on standardised numeric
    and one-hot features) is measured from each synthetic row and from each
    real hold-out row to the same real reference rows. If synthetic rows sit
    much closer than hold-out rows, the generator is copying. Without
    ``real_holdout``, ``real`` is split 70/30 (seeded) into reference and
    hold-out; at most 5,000 query rows and 20,000 reference rows are used.

    Returns ``{"dcr_synthetic_median", "dcr_holdout_median", "exact_copies"}``
    where ``exact_copies`` is the share of synthetic rows identical to a row
    of ``real``.
    """
    real, synthetic, kinds = resolve(real, synthetic, kinds)
    if real_holdout is None:
        reference, holdout = split_holdout(real, seed)
    else:
        check_same_columns(real, real_holdout, "real_holdout")
        reference, holdout = real, real_holdout[list(real.columns)]
    if len(holdout) == 0:
        raise DataError("The real hold-out has no rows.")

    rng = np.random.default_rng(seed)
    reference = subsample(reference, MAX_PRIVACY_REFERENCE, rng)
    encoder = fit_features([reference], kinds)
    neighbours = NearestNeighbors(n_neighbors=1).fit(encoder.transform(reference))

    def median_dcr(rows: pd.DataFrame) -> float:
        features = encoder.transform(subsample(rows, MAX_PRIVACY_QUERIES, rng))
        distances, _ = neighbours.kneighbors(features)
        return float(np.median(distances[:, 0]))

    return {
        "dcr_synthetic_median": median_dcr(synthetic),
        "dcr_holdout_median": median_dcr(holdout),
        "exact_copies": _exact_copy_share(real, synthetic, kinds),
    }


def _row_hashes(df: pd.DataFrame, kinds: dict[str, str]) -> np.ndarray:
    """64-bit hash per row of the canonical values (floats for numbers, string labels)."""
    canonical = {}
    for column, kind in kinds.items():
        if kind == "categorical":
            labels = category_labels(df[column])
            labels[pd.isna(labels)] = MISSING_LABEL
            canonical[column] = labels
        else:
            canonical[column] = numeric_values(df[column], kind)
    return pd.util.hash_pandas_object(pd.DataFrame(canonical), index=False).to_numpy()


def _exact_copy_share(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str]) -> float:
    """Share of synthetic rows equal, in every column, to some real row."""
    copies = np.isin(_row_hashes(synthetic, kinds), _row_hashes(real, kinds))
    return float(copies.mean())
