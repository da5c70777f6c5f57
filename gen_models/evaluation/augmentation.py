"""Augmentation, measured: do a generator's rows, or its latent codes, help a predictive model on real data?

One seeded split of the real rows into training rows (80 %) and a hold-out (20 %), stratified by a
categorical target; `train_rows` keeps only that many training rows, to play a small data set. The
generator learns the training rows only, with its usual budget. Then one histogram gradient boosting
model (the utility measure's settings, `utility.train_and_score`) is trained four ways and every one is
scored on the same real hold-out, macro F1 for a categorical target and R^2 for a numeric one:

- ``real``: the real training rows;
- ``real_synthetic``: those plus N generated rows (N = the training rows unless given);
- ``synthetic``: the N generated rows alone;
- ``real_codes``: the real training rows plus their latent codes as extra columns (models that read codes,
  see `gen_models.latent.codes`). The codes are read with the target set to one value from the training
  rows (the same for every row, training and hold-out), so they carry nothing of the row's own target:
  the encoder sees the target column, and the hold-out's target must not leak into its features. A
  hold-out value the training rows lack (a category, an empty cell) is read as theirs (`readable_rows`).

With `rare_only` (categorical target) the N rows are all of the rarer classes: every class but the most
frequent, each given rows in proportion to how many it lacks to match the most frequent. The generator is
then trained conditioned on the target (models with `supports_condition`: cgan, wgan_gp, aae,
autoregressive), and a model that must have a condition (cgan) is always conditioned on the target.

This is one split and one seed: a gain of a few hundredths can be noise. bench/bench_augment.py runs it over
the bundled tables and sizes. Deterministic given `seed`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from gen_models.data import TableSchema, infer_schema
from gen_models.data.errors import DataError
from gen_models.errors import ModelError
from gen_models.evaluation.columns import category_labels
from gen_models.evaluation.features import fit_features
from gen_models.evaluation.utility import target_values, train_and_score
from gen_models.training import Callback

HOLDOUT_SHARE = 0.2
MIN_ROWS = 10  # rows with a target value: fewer leave a hold-out of one or two rows
# The four ways the predictive model is trained, in the order they are shown.
SCORE_LABELS = {
    "real": "real rows",
    "real_synthetic": "real + synthetic rows",
    "synthetic": "synthetic rows only",
    "real_codes": "real rows + their latent codes",
}
CODE_PREFIX = "code:"  # code feature columns are prefixed so they cannot clash with the table's columns


@dataclass
class AugmentResult:
    """What `augment` measured. Scores are None when they cannot be computed (``real_codes`` without codes).

    ``gains`` are each score minus ``scores["real"]``. ``train_index`` / ``holdout_index`` are the positions
    (0-based, in the data given to `augment`) of the rows the generator and predictors learnt from and of
    the hold-out every score is measured on; they and the generated rows (``synthetic``) are not part of
    `to_dict`.
    """

    target: str
    task: str  # "classification" | "regression"
    metric: str  # "macro_f1" | "r2"
    model: str
    seed: int
    train_rows: int
    holdout_rows: int
    synthetic_rows: int
    stratified: bool
    rare_only: bool
    scores: dict[str, float | None]
    gains: dict[str, float | None]
    generated_classes: dict[str, int] = field(default_factory=dict)  # with rare_only: class -> rows generated
    codes: list[str] = field(default_factory=list)  # the code columns real_codes added
    condition: str | None = None  # the column the generator was conditioned on
    training: dict[str, Any] = field(default_factory=dict)  # the generator's status, message, seconds, epochs
    dropped_rows: int = 0  # rows without a target value, left out
    train_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int), repr=False)
    holdout_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int), repr=False)
    synthetic: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # the generated rows

    def to_dict(self) -> dict[str, Any]:
        """The `augment --json` shape: every field but the row positions, in plain Python types."""
        return {
            "target": self.target,
            "task": self.task,
            "metric": self.metric,
            "model": self.model,
            "seed": self.seed,
            "train_rows": self.train_rows,
            "holdout_rows": self.holdout_rows,
            "synthetic_rows": self.synthetic_rows,
            "stratified": self.stratified,
            "rare_only": self.rare_only,
            "generated_classes": dict(self.generated_classes),
            "condition": self.condition,
            "codes": list(self.codes),
            "scores": dict(self.scores),
            "gains": dict(self.gains),
            "training": dict(self.training),
            "dropped_rows": self.dropped_rows,
        }


def rare_capable_models() -> list[str]:
    """Registry names of the table models that can generate rows of a chosen class (conditioned on it)."""
    from gen_models.models import REGISTRY

    return [name for name, cls in REGISTRY.items() if cls.supports_condition and "table" in cls.data_kinds]


def split_rows(
    data: pd.DataFrame, target: str, kind: str, seed: int, train_rows: int | None = None
) -> tuple[np.ndarray, np.ndarray, bool]:
    """(training positions, hold-out positions, stratified?) over the rows of `data`, seeded.

    20 % of the rows are held out, stratified by the target when it is categorical and every class has at
    least two rows (and enough rows for each class on both sides). `train_rows` then keeps that many of the
    training rows, stratified the same way. Positions come back sorted.
    """
    positions = np.arange(len(data))
    labels = category_labels(data[target]).astype(str) if kind == "categorical" else None
    n_holdout = holdout_size(len(data))
    stratified = labels is not None and _can_stratify(labels, n_holdout, len(data) - n_holdout)
    train, holdout = train_test_split(
        positions, test_size=n_holdout, random_state=seed, stratify=labels if stratified else None
    )
    if train_rows is not None and train_rows < len(train):
        train_labels = labels[train] if labels is not None else None
        keep_stratified = train_labels is not None and _can_stratify(train_labels, len(train) - train_rows, train_rows)
        train, _ = train_test_split(
            train, train_size=train_rows, random_state=seed, stratify=train_labels if keep_stratified else None
        )
        stratified = stratified and keep_stratified
    return np.sort(train), np.sort(holdout), stratified


def holdout_size(n_rows: int) -> int:
    """Rows held out of `n_rows`: 20 %, at least one."""
    return max(1, round(n_rows * HOLDOUT_SHARE))


def _can_stratify(labels: np.ndarray, n_first: int, n_second: int) -> bool:
    """Whether sklearn can split `labels` into parts of these sizes with every class on both sides."""
    _, counts = np.unique(labels, return_counts=True)
    return counts.min() >= 2 and min(n_first, n_second) >= len(counts)


def augment(
    data: pd.DataFrame,
    target: str,
    model_name: str,
    rows: int | None = None,
    train_rows: int | None = None,
    seed: int = 0,
    rare_only: bool = False,
    settings: dict[str, Any] | None = None,
    schema: TableSchema | None = None,
    on_epoch: Callback | None = None,
    stop_event: threading.Event | None = None,
) -> AugmentResult:
    """Measure augmentation with `model_name` for predicting `target` from the other columns of `data`.

    rows: synthetic rows to generate (default: as many as the training rows).
    train_rows: keep only this many of the 80 % training rows (a small data set).
    settings: the generator's settings (as for `gen_models.create`), e.g. {"epochs": 50}; the seed is `seed`.
    schema: the table's column kinds (default: inferred); ignored columns are left out everywhere.
    on_epoch, stop_event: passed to the generator's `fit` (progress, and stopping early).
    Raises DataError for an unusable target or table, ModelError for a model that cannot do what is asked.
    """
    from gen_models.latent.codes import codes_of, reads_codes
    from gen_models.models import REGISTRY

    schema = schema or infer_schema(data)
    kinds = schema.kinds()
    if target not in data.columns:
        raise DataError(f"There is no column '{target}' to predict.", column=target)
    if target not in kinds:
        raise DataError(f"The column '{target}' is ignored (kind 'ignore'); choose another target.", column=target)
    if len(kinds) < 2:
        raise DataError("Predicting a column needs at least one other column to predict it from.")
    kind = kinds[target]
    data = data[list(kinds)]
    _, present = target_values(data, target, kind)
    usable = np.flatnonzero(present)
    if len(usable) < MIN_ROWS:
        raise DataError(f"Augmentation needs at least {MIN_ROWS} rows with a value of '{target}'; found {len(usable)}.")
    if rows is not None and rows < 1:
        raise ModelError("The number of synthetic rows must be at least 1.")
    if train_rows is not None and train_rows < 2:
        raise ModelError("The number of training rows must be at least 2.")
    if rare_only and kind != "categorical":
        raise DataError(f"Only rare classes can be generated for a categorical target; '{target}' is {kind}.")

    if model_name not in REGISTRY:  # `gen_models.create`'s message; importing it from here would be a cycle
        raise ModelError(f"There is no model called '{model_name}'. Available: {', '.join(REGISTRY)}.")
    model = REGISTRY[model_name](**{**(settings or {}), "seed": seed})
    condition = None
    if rare_only or model.needs_condition:
        if not model.supports_condition:
            raise ModelError(
                f"{model.name} cannot generate rows of chosen classes. Models that can: "
                f"{', '.join(rare_capable_models())}."
            )
        if kind != "categorical":
            raise DataError(
                f"{model.name} is conditioned on the target, so it must be categorical; '{target}' is {kind}."
            )
        condition = target

    available = len(usable) - holdout_size(len(usable))
    if train_rows is not None and train_rows > available:
        raise DataError(f"There are only {available} training rows (80 % of {len(usable)}); ask for at most that many.")
    usable_data = data.iloc[usable].reset_index(drop=True)
    train_pos, holdout_pos, stratified = split_rows(usable_data, target, kind, seed, train_rows)
    train, holdout = usable_data.iloc[train_pos], usable_data.iloc[holdout_pos]

    result = model.fit(train, condition=condition, schema=schema, on_epoch=on_epoch, stop_event=stop_event)
    n_synthetic = rows if rows is not None else len(train)
    generated: dict[str, int] = {}
    if rare_only:
        generated = rare_class_rows(train[target], n_synthetic)
        synthetic = _sample_classes(model, generated, seed)
    else:
        synthetic = model.sample(n_synthetic, seed=seed)

    task = "classification" if kind == "categorical" else "regression"
    features = {column: k for column, k in kinds.items() if column != target}
    encoder = fit_features([train], features)
    scores: dict[str, float | None] = {
        "real": train_and_score(encoder, train, holdout, target, kind, seed, max_rows=None),
        "real_synthetic": train_and_score(
            encoder, pd.concat([train, synthetic[list(kinds)]], ignore_index=True), holdout, target, kind, seed, None
        ),
        "synthetic": train_and_score(encoder, synthetic[list(kinds)], holdout, target, kind, seed, max_rows=None),
        "real_codes": None,
    }
    code_columns: list[str] = []
    if reads_codes(type(model)):
        blank = {target: neutral_value(train[target], kind)}
        train_codes = codes_of(model, train.assign(**blank)).add_prefix(CODE_PREFIX)
        readable = readable_rows(holdout, train, kinds).assign(**blank)
        holdout_codes = codes_of(model, readable).add_prefix(CODE_PREFIX)
        code_columns = list(train_codes.columns)
        with_codes = {**features, **dict.fromkeys(code_columns, "continuous")}
        train_plus = pd.concat([train.reset_index(drop=True), train_codes], axis=1)
        holdout_plus = pd.concat([holdout.reset_index(drop=True), holdout_codes], axis=1)
        code_encoder = fit_features([train_plus], with_codes)
        scores["real_codes"] = train_and_score(code_encoder, train_plus, holdout_plus, target, kind, seed, None)

    base = scores["real"]
    gains = {
        name: None if score is None or base is None else score - base
        for name, score in scores.items()
        if name != "real"
    }
    return AugmentResult(
        target=target,
        task=task,
        metric="macro_f1" if task == "classification" else "r2",
        model=model.name,
        seed=seed,
        train_rows=len(train),
        holdout_rows=len(holdout),
        synthetic_rows=len(synthetic),
        stratified=stratified,
        rare_only=rare_only,
        scores=scores,
        gains=gains,
        generated_classes=generated,
        codes=[name[len(CODE_PREFIX) :] for name in code_columns],
        condition=condition,
        training={
            "status": result.status,
            "message": result.message,
            "seconds": result.seconds,
            "epochs": result.epochs_completed,
        },
        dropped_rows=len(data) - len(usable),
        train_index=usable[train_pos],
        holdout_index=usable[holdout_pos],
        synthetic=synthetic,
    )


def rare_class_rows(labels: pd.Series, n: int) -> dict[str, int]:
    """{class: rows to generate} for the rarer classes of `labels`: n rows over every class but the most
    frequent, in proportion to how many rows each lacks to match it (largest remainders round up).

    Raises DataError when every class is as frequent as the most frequent one (nothing is rare).
    """
    counts = pd.Series(category_labels(labels)).dropna().value_counts()
    lacking = counts.max() - counts
    lacking = lacking[lacking > 0]
    if lacking.empty:
        raise DataError("Every class of the target has as many training rows as the most frequent: none is rare.")
    shares = n * lacking / lacking.sum()
    rows = np.floor(shares).astype(int)
    leftover = n - int(rows.sum())
    for name in (shares - rows).sort_values(ascending=False, kind="stable").index[:leftover]:
        rows[name] += 1
    return {str(name): int(count) for name, count in rows.items() if count > 0}


def _sample_classes(model: Any, classes: dict[str, int], seed: int) -> pd.DataFrame:
    """Rows of each class (its label as `category_labels` writes it -> count), conditioned on it; one frame."""
    levels = {str(label): level for label, level in zip(_level_labels(model), model.condition_levels, strict=True)}
    frames = [
        model.sample(count, condition=levels[label], seed=seed + i) for i, (label, count) in enumerate(classes.items())
    ]
    return pd.concat(frames, ignore_index=True)


def _level_labels(model: Any) -> list[str]:
    """The model's condition levels as `category_labels` writes them (1.0 -> "1"), to match the counted classes."""
    return list(category_labels(pd.Series(model.condition_levels)).astype(str))


def readable_rows(rows: pd.DataFrame, train: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """A copy of `rows` that an encoder fitted on `train` can read: a category `train` lacks (an empty cell
    too), or an empty number or date where `train` has none, becomes `neutral_value` of `train`'s column.

    The generator's encoder refuses what it was never fitted on, and a small training part may lack a rare
    level of the hold-out (cars' 3 cylinders) or its empty cells; the predictive model sees the rows as they are.
    """
    rows = rows.copy()
    for column, kind in kinds.items():
        if kind == "categorical":
            seen = set(category_labels(train[column]))
            unreadable = np.array([label not in seen for label in category_labels(rows[column])])
        elif train[column].notna().all():
            unreadable = rows[column].isna().to_numpy()
        else:
            continue
        if unreadable.any():
            rows[column] = rows[column].astype(object)
            rows.loc[rows.index[unreadable], column] = neutral_value(train[column], kind)
    return rows


def neutral_value(values: pd.Series, kind: str) -> Any:
    """One value of `values` that every row's target is set to before its codes are read.

    The most frequent category, or the median row's own value for a number or date: a value the encoder has seen.
    """
    present = values.dropna()
    if kind == "categorical":
        return present.mode().iloc[0]
    return present.sort_values().iloc[len(present) // 2]
