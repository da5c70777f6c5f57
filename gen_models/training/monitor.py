"""Measure how good a table model's rows are *while* it trains, and keep its best weights.

GAN losses do not say whether the generated rows are any good: the two networks compete, so a
steady loss can hide poor rows and a rising one can come with better rows. `QualityMonitor`
answers the question directly. Passed as (part of) the `on_epoch` callback of `model.fit`, every
`every` epochs it

1. samples up to `rows` rows with a fixed seed (the same latent draws each time, so changes in
   the score come from the weights, not from sampling noise),
2. scores them against a fixed sample of the real rows with `evaluation.quality_score`,
3. records ``{"epoch", "quality", "column_shapes", "pair_trends"}`` in a list that other threads
   may read at any time (`records()`),
4. keeps a copy of the weights of the best-scoring epoch in memory, and
5. optionally writes the whole model to ``snapshot_dir / "epoch_0040"`` (safetensors + JSON, like
   any saved model), so any checked epoch can be loaded later with `gen_models.load`.

After `fit`, `restore_best(model)` puts the best weights back ("keep best"); not calling it keeps
the last epoch's weights. Sampling inside the monitor leaves the global random generators as it
found them, so a monitored run learns exactly what an unmonitored one with the same seed learns.

Tables and sequences are scored: a sequence model's check is `evaluation.sequences.sequence_check`
(`rows` generated series against all the real ones; its "quality" is 1 - 2 |AUC - 0.5| of telling
them apart, and it also records the AUC, the autocorrelation gap and TSTR / TRTR). For images
`applies` is False, `reason` says why, and the callback does nothing.

Checks cost time. Given a `CheckBudget`, a check that falls due is skipped when the time already
spent on checks plus the last check's cost would exceed the budget's share of the training time so
far: with short epochs (a small table) checks come less often, with long ones as often as `every`
says. The last epoch is always checked. The budget also counts other work that shares it (the app's
live samples), and says how much time all of it took (`CheckBudget.seconds`).

A resumed training (`model.fit(..., start_epoch=k)`) carries on its earlier checks with
`continue_from(records, best_state)`: the curve continues, and the earlier best is the one to beat.

    monitor = QualityMonitor(model, data, snapshot_dir="runs/x/snapshots", budget=CheckBudget(0.1))
    model.fit(data, on_epoch=monitor)
    monitor.restore_best(model)
"""

from __future__ import annotations

import copy
import json
import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from gen_models.evaluation import quality_score
from gen_models.evaluation.sequences import sequence_check
from gen_models.training import Metrics

# About this many checks per run when `every` is not given: enough points for a curve and a
# meaningful "best" epoch, few enough that scoring stays a small share of the training time.
TARGET_CHECKS = 15
DEFAULT_ROWS = 1000
# Series checked: at most this many real ones (a seeded sample) and as many generated. A series check fits seven
# logistic regressions (5-fold AUC, TSTR and TRTR), about 2.8 s for 728 real + 1,000 generated days of 24 hours
# on one core, so it is bounded more tightly than rows are.
SEQUENCE_ROWS = 500
SNAPSHOT_PREFIX = "epoch_"
RECORDS_FILE = "quality.json"
SCORE_KEYS = ("quality", "column_shapes", "pair_trends")  # what a check records besides its epoch


def _some_series(frame: pd.DataFrame, layout: Any, n: int, seed: int) -> pd.DataFrame:
    """At most n whole series of `frame` (long: every row of n seeded keys; wide: n seeded rows)."""
    if layout.wide:
        return frame if len(frame) <= n else frame.sample(n=n, random_state=seed)
    keys = frame[layout.sequence_key].drop_duplicates()
    if len(keys) <= n:
        return frame
    return frame[frame[layout.sequence_key].isin(keys.sample(n=n, random_state=seed))]


def default_every(epochs: int, checks: int = TARGET_CHECKS) -> int:
    """Epochs between checks so that a run of `epochs` epochs gets about `checks` checks."""
    return max(1, round(epochs / checks))


def snapshot_name(epoch: int) -> str:
    """Folder name of an epoch snapshot: "epoch_0040" (sorts in epoch order)."""
    return f"{SNAPSHOT_PREFIX}{epoch:04d}"


def list_snapshots(snapshot_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """Saved epoch snapshots in `snapshot_dir`, in epoch order: ``[{"epoch", "quality", "path", "record", "epochs"}]``.

    `quality` comes from the snapshot's model.json (`extra.quality`), None when it is not there;
    `record` is the check as the monitor recorded it (epoch and `SCORE_KEYS`), None for an unscored one.
    Folders without a model.json (a snapshot still being written) are left out.
    """
    directory = Path(snapshot_dir)
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.glob(f"{SNAPSHOT_PREFIX}*")):
        meta_path = path / "model.json"
        if not meta_path.is_file():
            continue
        try:
            extra = json.loads(meta_path.read_text(encoding="utf-8")).get("extra") or {}
            epoch = int(path.name[len(SNAPSHOT_PREFIX) :])
        except (OSError, ValueError):
            continue  # damaged or foreign folder: not offered
        quality = extra.get("quality")
        record = None if quality is None else {"epoch": epoch, **{key: extra.get(key) for key in SCORE_KEYS}}
        epochs = extra.get("epochs")  # the training's planned epochs; None in snapshots saved before it was noted
        found.append({"epoch": epoch, "quality": quality, "path": path, "record": record, "epochs": epochs})
    return found


class CheckBudget:
    """The time spent on checks during a training, kept under `share` of the training time so far.

    One budget may be shared by several kinds of work (the quality checks, the app's live samples):
    each asks `allows(elapsed, cost)` before it runs and is timed with `timed()`. Thread-safe to read.
    share: e.g. 0.1 for at most about 10% of the time; `allows` is always True with share=None.
    """

    def __init__(self, share: float | None = 0.1) -> None:
        if share is not None and not 0 < share < 1:
            raise ValueError(f"share must be between 0 and 1 (got {share})")
        self.share = share
        self._seconds = 0.0
        self._lock = threading.Lock()

    @property
    def seconds(self) -> float:
        """Seconds spent on the work timed so far."""
        with self._lock:
            return self._seconds

    def allows(self, elapsed: float, cost: float) -> bool:
        """Whether work expected to take `cost` seconds fits, `elapsed` seconds into training."""
        if self.share is None:
            return True
        return self.seconds + cost <= self.share * elapsed

    @contextmanager
    def timed(self) -> Iterator[None]:
        """Count the time the `with` block takes."""
        started = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self._seconds += time.perf_counter() - started


class QualityMonitor:
    """An `on_epoch` callback that scores generated rows every few epochs and keeps the best weights.

    model: the model about to be fitted (its schema and layout are read at the first check).
    real: the real table (the training data); at most `rows` of its rows are drawn once, seeded.
    every: epochs between checks; None picks one giving about 15 checks. The last epoch is
        always checked, so the curve ends where training ends.
    rows: rows generated (and real rows compared) per check.
    seed: fixes the real sample and the generated rows' latent draws.
    keep_best: hold a copy of the best epoch's weights in memory for `restore_best`.
    snapshot_dir: when given, every checked epoch is saved there as a full model directory.
    budget: when given, a due check is skipped if it would take the budget over its share (see the
        module docstring), and every check is timed in it; None checks every `every` epochs.
    """

    def __init__(
        self,
        model: Any,
        real: pd.DataFrame,
        *,
        every: int | None = None,
        rows: int = DEFAULT_ROWS,
        seed: int = 0,
        keep_best: bool = True,
        snapshot_dir: str | os.PathLike | None = None,
        budget: CheckBudget | None = None,
    ) -> None:
        if every is not None and every < 1:
            raise ValueError(f"every must be at least 1 (got {every})")
        if rows < 2:
            raise ValueError(f"rows must be at least 2 (got {rows})")
        self.model = model
        self.real = real
        self.every = every
        self.rows = rows
        self.seed = seed
        self.keep_best = keep_best
        self.snapshot_dir = Path(snapshot_dir) if snapshot_dir is not None else None
        self.budget = budget
        self._epochs: int | None = None  # the training's planned epochs, once the first epoch ends
        self.reason: str | None = None  # why the monitor does not apply, once known
        self._last_cost = 0.0  # seconds the last check took: what the next one is expected to cost
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []
        self._best: dict[str, Any] | None = None
        self._best_state: dict[str, torch.Tensor] | None = None
        self._real_sample: pd.DataFrame | None = None
        self._kinds: dict[str, str] = {}

    # ----- reading (any thread) ----------------------------------------------------------------
    @property
    def applies(self) -> bool:
        """False once the monitor found it cannot score this model's data (see `reason`)."""
        return self.reason is None

    def records(self) -> list[dict[str, Any]]:
        """A copy of the checks so far, in epoch order."""
        with self._lock:
            return [dict(record) for record in self._records]

    def best(self) -> dict[str, Any] | None:
        """The best check so far (highest quality; the earlier epoch on a tie), or None."""
        with self._lock:
            return None if self._best is None else dict(self._best)

    # ----- the callback (training thread) ----------------------------------------------------------
    def __call__(self, metrics: Metrics) -> None:
        epoch, epochs = int(metrics["epoch"]), int(metrics["epochs"])
        self._epochs = epochs  # saved with each snapshot: a resume needs to know whether any epoch is left
        if not self._ready():
            return
        every = self.every or default_every(epochs)
        if epoch % every and epoch != epochs:
            return
        if self.budget is None:
            self.check(epoch)
            return
        if epoch != epochs and not self.budget.allows(float(metrics["elapsed"]), self._last_cost):
            return  # checks have had their share of the time so far: the next due one may fit
        started = time.perf_counter()
        with self.budget.timed():
            self.check(epoch)
        self._last_cost = time.perf_counter() - started

    def continue_from(self, records: list[dict[str, Any]], best_state: dict[str, torch.Tensor] | None) -> None:
        """Carry on an earlier training's checks (a resumed run): `records` come first, in epoch order.

        best_state: the weights of the best of `records` (used by `restore_best` if nothing later
            beats it); None when they are not at hand, and then only later checks can be kept.
        """
        ordered = sorted((dict(record) for record in records), key=lambda record: record["epoch"])
        best = max(ordered, key=lambda record: record["quality"], default=None)  # the earliest on a tie
        with self._lock:
            self._records = ordered + self._records
            # Without its weights an earlier best could not be put back, so it is not the one to beat then.
            if best is not None and (best_state is not None or not self.keep_best):
                self._best = dict(best)
                self._best_state = best_state if self.keep_best else None

    def _ready(self) -> bool:
        """Prepare the real sample and kinds at the first call (the schema is known only once fit started)."""
        if self.reason is not None:
            return False
        if self._real_sample is not None:
            return True
        model = self.model
        if model.layout.kind == "sequences":  # scored whole by evaluation.sequences.sequence_check
            self._real_sample = _some_series(self.real, model.layout, SEQUENCE_ROWS, self.seed)
            return True
        if model.layout.kind != "table":
            self.reason = (
                f"The quality score compares table columns; this model makes {model.layout.kind}, "
                "so it is not measured during training."
            )
            return False
        schema = model.schema
        self._kinds = schema.kinds()
        missing = [column for column in self._kinds if column not in self.real.columns]
        if missing:
            self.reason = f"The real table lacks the model's column(s) {', '.join(missing)}."
            return False
        real = self.real[list(self._kinds)]
        if len(real) > self.rows:
            real = real.sample(n=self.rows, random_state=self.seed)
        self._real_sample = real.reset_index(drop=True)
        return True

    def check(self, epoch: int) -> dict[str, Any]:
        """Score the model's current weights now and record the result under `epoch`."""
        if not self._ready():
            raise ValueError(self.reason)
        assert self._real_sample is not None
        sequences = self.model.layout.kind == "sequences"
        with _preserved_random_state():
            synthetic = self.model.sample(min(self.rows, SEQUENCE_ROWS) if sequences else self.rows, seed=self.seed)
        if sequences:
            record = {"epoch": epoch, **sequence_check(self.model.encoder, self._real_sample, synthetic, self.seed)}
        else:
            score = quality_score(self._real_sample, synthetic[list(self._kinds)], self._kinds)
            record = {
                "epoch": epoch,
                "quality": float(score["quality"]),
                "column_shapes": float(score["column_shapes"]),
                "pair_trends": None if score["pair_trends"] is None else float(score["pair_trends"]),
            }
        improved = self._best is None or record["quality"] > self._best["quality"]
        state = None
        if improved and self.keep_best:
            # A deep copy: the live tensors keep changing as training goes on.
            state = copy.deepcopy(self.model.networks.state_dict())
        if self.snapshot_dir is not None:
            self._save_snapshot(epoch, record)
        with self._lock:
            self._records.append(record)
            if improved:
                self._best = dict(record)
                if self.keep_best:
                    self._best_state = state
        return record

    def _save_snapshot(self, epoch: int, record: dict[str, Any]) -> None:
        """The whole model as it is now, in `snapshot_dir / epoch_NNNN`, with its score in `extra`.

        `add_extra`, not `extra`: the score goes in this snapshot's notes only, and the model keeps
        its own (e.g. its data set's name) for its final save.
        """
        assert self.snapshot_dir is not None
        notes = {**record, "epochs": self._epochs} if self._epochs is not None else record
        self.model.save(self.snapshot_dir / snapshot_name(epoch), add_extra=notes)

    # ----- after training --------------------------------------------------------------------------
    def restore_best(self, model: Any | None = None) -> dict[str, Any] | None:
        """Load the best check's weights into `model` (default: the monitored one).

        Returns the best record, or None (weights unchanged) when nothing was recorded or
        `keep_best` was off.
        """
        model = model if model is not None else self.model
        with self._lock:
            best, state = self._best, self._best_state
        if best is None or state is None:
            return None
        model.networks.load_state_dict(state)
        return dict(best)

    def save_records(self, path: str | os.PathLike) -> None:
        """Write the checks and the best one as JSON (the app reads them back for finished runs)."""
        data = {"records": self.records(), "best": self.best(), "reason": self.reason}
        Path(path).write_text(json.dumps(data, indent=1), encoding="utf-8")


def load_records(path: str | os.PathLike) -> dict[str, Any]:
    """What `save_records` wrote; empty records when the file is missing or unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return {"records": list(data["records"]), "best": data.get("best"), "reason": data.get("reason")}
    except (OSError, ValueError, KeyError, TypeError):
        return {"records": [], "best": None, "reason": None}


class _preserved_random_state:  # noqa: N801 - used like a function: `with _preserved_random_state():`
    """Put Python's, NumPy's and torch's global generators back as they were on exit.

    Sampling draws its latent vectors from its own seeded generator, but any library code that
    touched a global generator would otherwise shift the training run's noise and batch draws.
    """

    def __enter__(self) -> None:
        self._python = random.getstate()
        self._numpy = np.random.get_state()
        self._torch = torch.random.get_rng_state()
        self._cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None

    def __exit__(self, *exc: object) -> None:
        random.setstate(self._python)
        np.random.set_state(self._numpy)
        torch.random.set_rng_state(self._torch)
        if self._cuda is not None:
            torch.cuda.set_rng_state_all(self._cuda)
