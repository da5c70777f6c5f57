"""Judge generated data against the real data it imitates.

Tables: fidelity (``fidelity``: column shapes and pair trends, SDMetrics' definitions), ``detection``,
``utility``, ``privacy`` and ``coverage``, all at once with :func:`evaluate`; ``report`` turns the result into
figures and an HTML page. Images and series have their own measures in ``images`` and ``sequences``.
Column kinds and value conversion, shared by all, are in ``columns``.

Detection, utility, privacy, coverage
-------------------------------------
* :func:`detection_auc`: mean cross-validated ROC AUC of a classifier telling
  real rows from synthetic ones (0.5 = indistinguishable, 1 = trivially told
  apart). Fold AUCs below 0.5 are a cross-validation artefact and count as 0.5.
* :func:`utility`: train on synthetic / test on real hold-out versus train on
  real / test on the same hold-out; macro F1 for categorical targets, R^2 for
  numeric ones; ``ratio = train_synthetic / train_real``.
* :func:`privacy`: distance to the closest real record (DCR) of synthetic rows
  versus that of real hold-out rows, and the share of exact copies.
* :func:`coverage`: real categories never generated, and the share of
  synthetic numeric values outside the real ``[min, max]``.

All results are deterministic given ``seed``. :func:`evaluate` scores at most ``MAX_EVALUATION_ROWS`` rows of
each table (a seeded sample) and says how many in ``rows_scored``: the measures settle long before a million rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gen_models.evaluation.columns import KINDS, NUMERIC_KINDS, infer_kinds, resolve
from gen_models.evaluation.coverage import coverage
from gen_models.evaluation.detection import detection_auc
from gen_models.evaluation.features import subsample
from gen_models.evaluation.fidelity import column_shapes, pair_trends, quality_score
from gen_models.evaluation.privacy import privacy
from gen_models.evaluation.utility import utility

MAX_EVALUATION_ROWS = 20_000  # rows of each table `evaluate` scores; bigger tables are sampled (seeded)


def evaluate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    target: str | None = None,
    kinds: dict[str, str] | None = None,
    seed: int = 0,
    real_test: pd.DataFrame | None = None,
) -> dict:
    """All metrics in one JSON-serialisable dict.

    Keys: ``quality``, ``column_shapes``, ``pair_trends``, ``detection_auc``,
    ``utility`` (None without ``target``), ``privacy``, ``coverage``,
    ``columns``, ``pairs``, ``kinds`` and ``rows_scored`` ({"real", "synthetic", "real_total",
    "synthetic_total"}: the rows scored, at most MAX_EVALUATION_ROWS each, of how many). ``real_test``, if
    given, is real data the generator never saw; it serves as the utility test set and the privacy
    hold-out (otherwise both come from a seeded 70/30 split of ``real``).
    """
    real, synthetic, kinds = resolve(real, synthetic, kinds)
    totals = {"real_total": len(real), "synthetic_total": len(synthetic)}
    rng = np.random.default_rng(seed)
    real, synthetic = subsample(real, MAX_EVALUATION_ROWS, rng), subsample(synthetic, MAX_EVALUATION_ROWS, rng)
    quality = quality_score(real, synthetic, kinds)
    report = {
        "quality": quality["quality"],
        "column_shapes": quality["column_shapes"],
        "pair_trends": quality["pair_trends"],
        "detection_auc": detection_auc(real, synthetic, kinds, seed),
        "utility": None,
        "privacy": privacy(real, synthetic, kinds, seed, real_holdout=real_test),
        "coverage": coverage(real, synthetic, kinds),
        "columns": quality["columns"],
        "pairs": quality["pairs"],
        "pairs_total": quality["pairs_total"],
        "pairs_scored": quality["pairs_scored"],
        "kinds": kinds,
        "rows_scored": {"real": len(real), "synthetic": len(synthetic), **totals},
    }
    if target is not None:
        report["utility"] = utility(real, synthetic, target, kinds, seed, real_test=real_test)
    return _plain(report)


def _plain(value: object) -> object:
    """Copy of ``value`` with numpy scalars turned into Python ones and keys into strings."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


__all__ = [
    "KINDS",
    "NUMERIC_KINDS",
    "column_shapes",
    "coverage",
    "detection_auc",
    "evaluate",
    "infer_kinds",
    "pair_trends",
    "privacy",
    "quality_score",
    "utility",
]
