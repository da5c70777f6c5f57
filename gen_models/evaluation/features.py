"""Rows as a dense numeric matrix for the model-based metrics (detection, utility, privacy), and the
row sampling and hold-out split those metrics share."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from gen_models.data.errors import DataError
from gen_models.evaluation.columns import category_labels, numeric_values

# Rarer categories share one "infrequent" column, so ID-like columns cannot explode the width.
MAX_ONE_HOT_LEVELS = 50
HOLDOUT_FRACTION = 0.3


def fit_features(frames: list[pd.DataFrame], kinds: dict[str, str]) -> Pipeline:
    """An sklearn pipeline fitted on the rows of ``frames`` taken together; its ``transform(df)``
    gives the (n_rows, n_features) float matrix of the columns in ``kinds``.

    Numeric columns (continuous, integer, datetime) become their standardised value, missing -> 0
    (the mean), and, for every numeric column, a 0/1 "missing" indicator, so that missingness itself
    is a feature a detector can use. Categorical columns are one-hot encoded with an empty cell as
    one more category; beyond the MAX_ONE_HOT_LEVELS most frequent categories the rest share one
    "infrequent" column. Categories first seen by ``transform`` (an empty cell included) go there
    too, or get all zeros if there is no such column.
    """
    numeric = [column for column, kind in kinds.items() if kind != "categorical"]
    categorical = [column for column, kind in kinds.items() if kind == "categorical"]
    # Scaling first: StandardScaler ignores NaN when fitting, so the fill, 0, is the mean.
    scaled = make_pipeline(
        StandardScaler(), SimpleImputer(strategy="constant", fill_value=0.0, keep_empty_features=True)
    )
    # Labels become codes before the one-hot because OneHotEncoder counts text levels (for
    # max_categories) one by one in Python but numbers with np.unique: a third less time on 20,000
    # rows. An empty cell (None) gets a code like any level; a level unseen in fit gets -1, unknown.
    one_hot = make_pipeline(
        OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
        OneHotEncoder(
            max_categories=MAX_ONE_HOT_LEVELS + 1,  # + 1 for the infrequent column
            handle_unknown="infrequent_if_exist",
            sparse_output=False,
        ),
    )
    features = ColumnTransformer(
        [
            ("numeric", scaled, numeric),
            ("missing", MissingIndicator(features="all"), numeric),
            ("categorical", one_hot, categorical),
        ],
        sparse_threshold=0.0,
    )
    pipeline = Pipeline(
        [("values", FunctionTransformer(_column_values, kw_args={"kinds": dict(kinds)})), ("features", features)]
    )
    # A numeric column with no values in these rows has no mean (0 / 0, which numpy warns about): it
    # stays NaN, so the column's values are all 0 (the fill), like a constant column's.
    with np.errstate(invalid="ignore"):
        return pipeline.fit(pd.concat(frames, ignore_index=True))


def _column_values(df: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """The columns in ``kinds`` as the metrics compare them: floats (NaN = missing) or string labels (None)."""
    return pd.DataFrame(
        {
            column: pd.Series(category_labels(df[column]), dtype=object)
            if kind == "categorical"
            else numeric_values(df[column], kind)
            for column, kind in kinds.items()
        }
    )


def one_openmp_thread() -> threadpool_limits:
    """Context that runs OpenMP code (histogram gradient boosting) on one thread.

    On a small, busy machine (a Streamlit app training in the background)
    OpenMP's spinning worker threads slowed a boosting fit by 15x in our
    measurements; one thread is slower at best but never pathological.
    """
    return threadpool_limits(limits=1, user_api="openmp")


def one_blas_thread() -> threadpool_limits:
    """Context that runs BLAS code (the linear algebra under a logistic regression's solver) on one thread.

    The same trouble as OpenMP's: with both cores busy (a model training beside it), OpenBLAS's two
    threads made a series check's seven logistic fits take 2.4 s instead of 0.16 s on one thread.
    """
    return threadpool_limits(limits=1, user_api="blas")


def subsample(df: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """At most ``n`` rows of ``df``, drawn without replacement."""
    if len(df) <= n:
        return df
    return df.iloc[np.sort(rng.choice(len(df), size=n, replace=False))]


def split_holdout(df: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded shuffle split into 70 % train and 30 % hold-out (each at least one row)."""
    if len(df) < 2:
        raise DataError("Scoring needs at least 2 real rows, to keep some aside as a hold-out.")
    order = np.random.default_rng(seed).permutation(len(df))
    n_holdout = min(max(1, round(len(df) * HOLDOUT_FRACTION)), len(df) - 1)
    return df.iloc[np.sort(order[n_holdout:])], df.iloc[np.sort(order[:n_holdout])]
