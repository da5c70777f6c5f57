"""Training runs in background threads, kept in a per-session registry and saved on disk.

A run trains one model in a daemon thread. The thread never calls Streamlit: its callbacks only
append plain values to lists guarded by a lock, which the Train page's polling fragment copies.

Where runs live:
- in memory, `_REGISTRY[session id][run id]` holds the `TrainingRun` objects of this server
  process, so a page switch or a browser reload (same `?session=` id) finds a running run again;
- on disk, `<runs root>/<session id>/<run id>/` holds `run.json` (what was trained, how it ended),
  `data.parquet` (the training table, for comparisons on Explore) and, once training ends, the
  model directory files (`model.json`, `weights.safetensors`) that `gen_models.load` reads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import logging
import os
import shutil
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

import gen_models
from gen_models.data import TableSchema
from gen_models.data.layouts import DataLayout
from gen_models.errors import USER_ERRORS
from ui.core.startup import use_one_torch_thread

if TYPE_CHECKING:
    from gen_models.models import GenerativeModel
    from gen_models.training.monitor import QualityMonitor

# gen_models.models (torch) and gen_models.training.monitor (scipy.stats, scikit-learn) are imported where
# they are used, not here: every page imports this module, and the first page should not wait
# seconds for libraries it never runs.

log = logging.getLogger(__name__)

RUN_FILE = "run.json"
DATA_FILE = "data.parquet"
DATA_FILE_CSV = "data.csv"  # fallback when a table cannot be written as Parquet
LIVE_SAMPLE_ROWS = 500
LIVE_SAMPLE_TIMES = 25  # how many sample snapshots a run takes over its epochs
MAX_RUNS_IN_MEMORY = 4  # finished runs kept in memory per session; older ones stay on disk only
QUALITY_FILE = "quality.json"  # the quality checks made during training (gen_models.training.monitor)
SNAPSHOTS_DIR = "snapshots"  # one full model directory per checked epoch: snapshots/epoch_0040/


@dataclass
class RunInfo:
    """What `run.json` records about a run: enough to list it without loading the model."""

    run_id: str
    model: str  # registry name, e.g. "wgan_gp"
    data_label: str  # "Palmer penguins (bundled)" or the uploaded file's name
    dataset: str | None  # bundled data set name, if any
    condition: str | None
    settings: dict[str, Any]  # the model's Config as plain values
    created: str  # ISO time, UTC
    status: str = "running"  # running | finished | stopped | diverged | failed | interrupted
    message: str = ""
    epochs_completed: int = 0
    seconds: float = 0.0
    n_rows: int = 0
    keep_best: bool = True  # after training, put back the weights of the best-scoring epoch
    best_epoch: int | None = None  # the epoch with the highest quality score, once known
    best_quality: float | None = None

    @property
    def title(self) -> str:
        when = self.created[:16].replace("T", " ")
        return f"{self.model} on {self.data_label} · {when} UTC"

    @property
    def has_model(self) -> bool:
        """Whether training got far enough to leave a usable model behind."""
        return self.status in ("finished", "stopped", "diverged")


def write_info(directory: Path, info: RunInfo) -> None:
    """Write run.json atomically, so a reader never sees half a file."""
    tmp = directory / (RUN_FILE + ".tmp")
    tmp.write_text(json.dumps(dataclasses.asdict(info), indent=1), encoding="utf-8")
    os.replace(tmp, directory / RUN_FILE)


def read_info(directory: Path) -> RunInfo | None:
    try:
        values = json.loads((directory / RUN_FILE).read_text(encoding="utf-8"))
        return RunInfo(**values)
    except (OSError, ValueError, TypeError):
        return None  # not a run folder, or damaged: it is simply not listed


def save_training_data(directory: Path, frame: pd.DataFrame) -> None:
    try:
        frame.to_parquet(directory / DATA_FILE, index=False)
    except (ValueError, TypeError, ImportError) as error:  # e.g. a column mixing numbers and text
        log.info("Parquet failed (%s); saving the training table as CSV", error)
        (directory / DATA_FILE).unlink(missing_ok=True)
        frame.to_csv(directory / DATA_FILE_CSV, index=False)


def load_training_data(directory: Path) -> pd.DataFrame | None:
    if directory.parent.name == SNAPSHOTS_DIR:  # an epoch snapshot: the table is in its run's folder
        directory = directory.parent.parent
    if (directory / DATA_FILE).is_file():
        return pd.read_parquet(directory / DATA_FILE)
    if (directory / DATA_FILE_CSV).is_file():
        return pd.read_csv(directory / DATA_FILE_CSV)
    return None


@dataclass
class RunSnapshot:
    """A consistent copy of a run's live state, taken under its lock, for drawing."""

    info: RunInfo
    history: list[dict[str, float]]
    progress: dict[str, float]
    samples: pd.DataFrame | None
    samples_epoch: int
    running: bool
    quality: list[dict[str, Any]] = field(default_factory=list)  # {"epoch", "quality", ...} per check
    quality_note: str | None = None  # why quality is not measured (images, sequences), if it is not


@dataclass
class TrainingRun:
    """One model training in a background thread, stoppable, observable while it runs."""

    directory: Path
    info: RunInfo
    model: GenerativeModel
    frame: pd.DataFrame
    schema: TableSchema
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _history: list[dict[str, float]] = field(default_factory=list)
    _progress: dict[str, float] = field(default_factory=dict)
    _samples: pd.DataFrame | None = None
    _samples_epoch: int = 0
    _thread: threading.Thread | None = None
    monitor: QualityMonitor | None = None
    layout: DataLayout | None = None  # images or sequences; None: a table

    @property
    def run_id(self) -> str:
        return self.info.run_id

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        save_training_data(self.directory, self.frame)
        write_info(self.directory, self.info)
        from gen_models.training.monitor import QualityMonitor

        # Scores generated rows every few epochs, keeps the best weights and saves epoch snapshots.
        self.monitor = QualityMonitor(
            self.model, self.frame, keep_best=self.info.keep_best, snapshot_dir=self.directory / SNAPSHOTS_DIR
        )
        # A daemon thread: it cannot keep the server from exiting, and it ends by itself after
        # its epochs even if nobody ever looks at it again.
        self._thread = threading.Thread(target=self._work, name=f"train-{self.run_id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the training loop to stop after the current step; the model so far is saved."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def snapshot(self) -> RunSnapshot:
        with self._lock:
            return RunSnapshot(
                info=dataclasses.replace(self.info),
                history=list(self._history),
                progress=dict(self._progress),
                samples=self._samples,
                samples_epoch=self._samples_epoch,
                running=self.running,
                quality=self.monitor.records() if self.monitor else [],
                quality_note=self.monitor.reason if self.monitor else None,
            )

    # ----- the training thread ---------------------------------------------------------------
    def _on_step(self, metrics: dict[str, Any]) -> None:
        point = {k: float(v) for k, v in metrics.items() if k not in ("epochs", "elapsed", "remaining")}
        with self._lock:
            self._history.append(point)
            self._progress = {k: float(metrics[k]) for k in ("epoch", "epochs", "elapsed", "remaining", "step")}
            # on_step gets fractional epoch progress in the time estimate; keep the finished share too
            self._progress["fraction"] = _fraction(metrics)

    def _on_epoch(self, metrics: dict[str, Any]) -> None:
        epoch, epochs = int(metrics["epoch"]), int(metrics["epochs"])
        every = max(1, epochs // LIVE_SAMPLE_TIMES)
        if epoch % every and epoch != epochs:
            return
        # Sampling is plain library code; between epochs the networks are not being updated.
        try:
            samples = self.model.sample(LIVE_SAMPLE_ROWS, seed=0)
        except Exception:  # a failed preview must not end the training itself
            log.exception("Live sample failed in run %s", self.run_id)
            return
        with self._lock:
            self._samples, self._samples_epoch = samples, epoch

    def _epoch_end(self, metrics: dict[str, Any]) -> None:
        """on_epoch: the quality check (every few epochs), then the live samples."""
        if self.monitor is not None:
            try:
                self.monitor(metrics)
            except Exception:  # a failed check must not end the training itself
                log.exception("Quality check failed in run %s", self.run_id)
        self._on_epoch(metrics)

    def _keep_best_weights(self) -> str:
        """After fit: record the best epoch, put its weights back if asked; a sentence for the message."""
        if self.monitor is None:
            return ""
        self.monitor.save_records(self.directory / QUALITY_FILE)
        best = self.monitor.best()
        if best is None:
            return ""
        with self._lock:
            self.info = dataclasses.replace(self.info, best_epoch=best["epoch"], best_quality=round(best["quality"], 4))
        if self.info.keep_best and self.monitor.restore_best(self.model) is not None:
            return f" Kept the best epoch, {best['epoch']} (quality {best['quality']:.2f})."
        return ""

    def _work(self) -> None:
        info = self.info
        use_one_torch_thread()
        try:
            result = self.model.fit(
                self.frame,
                condition=info.condition,
                layout=self.layout,
                schema=self.schema,
                on_step=self._on_step,
                on_epoch=self._epoch_end,
                stop_event=self._stop,
            )
            status, message = result.status, result.message
            message += self._keep_best_weights()
            self.model.save(self.directory)
            epochs_completed, seconds = result.epochs_completed, result.seconds
        except USER_ERRORS as error:
            status, message, epochs_completed, seconds = "failed", str(error), 0, 0.0
        except Exception as error:  # a bug: keep the app alive, tell the user in one line, log the rest
            log.exception("Training run %s failed", info.run_id)
            status = "failed"
            message = f"Training failed unexpectedly ({type(error).__name__}: {error}). Please report this."
            epochs_completed, seconds = 0, 0.0
        with self._lock:
            self.info = dataclasses.replace(
                self.info, status=status, message=message, epochs_completed=epochs_completed, seconds=round(seconds, 1)
            )
            write_info(self.directory, self.info)


def _fraction(metrics: dict[str, Any]) -> float:
    elapsed, remaining = float(metrics["elapsed"]), float(metrics["remaining"])
    total = elapsed + remaining
    return elapsed / total if total > 0 else 0.0


# ----- the registry ------------------------------------------------------------------------------
_REGISTRY: dict[str, dict[str, TrainingRun]] = {}
_REGISTRY_LOCK = threading.Lock()


def new_run_id(model_name: str) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{model_name}-{uuid.uuid4().hex[:4]}"


def start_run(
    session: str,
    runs_dir: Path,
    model: GenerativeModel,
    frame: pd.DataFrame,
    schema: TableSchema,
    condition: str | None,
    data_label: str,
    dataset: str | None,
    keep_best: bool = True,
    layout: DataLayout | None = None,
) -> TrainingRun:
    """Create, register and start a run; returns at once while the thread trains.

    keep_best: end with the weights of the epoch whose rows scored best, not the last epoch's.
    layout: what one item of `frame` is (images, sequences); None for a table.
    """
    run_id = new_run_id(model.name)
    info = RunInfo(
        run_id=run_id,
        model=model.name,
        data_label=data_label,
        dataset=dataset,
        condition=condition,
        settings=dataclasses.asdict(model.config),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        n_rows=len(frame),
        keep_best=keep_best,
    )
    run = TrainingRun(directory=runs_dir / run_id, info=info, model=model, frame=frame, schema=schema, layout=layout)
    with _REGISTRY_LOCK:
        runs = _REGISTRY.setdefault(session, {})
        runs[run_id] = run
        finished = [r for r in runs.values() if not r.running]
        for old in finished[: max(0, len(finished) - MAX_RUNS_IN_MEMORY)]:
            del runs[old.run_id]
    run.start()
    return run


def session_runs(session: str) -> list[TrainingRun]:
    """This session's runs still held in memory, newest first."""
    with _REGISTRY_LOCK:
        return sorted(_REGISTRY.get(session, {}).values(), key=lambda r: r.info.created, reverse=True)


def get_run(session: str, run_id: str) -> TrainingRun | None:
    with _REGISTRY_LOCK:
        return _REGISTRY.get(session, {}).get(run_id)


def saved_runs(session: str, runs_dir: Path) -> list[RunInfo]:
    """Every run of this session on disk, newest first. A "running" run that this server does
    not know is marked "interrupted" (the server restarted while it trained)."""
    if not runs_dir.is_dir():
        return []
    infos = []
    for directory in runs_dir.iterdir():
        info = read_info(directory) if directory.is_dir() else None
        if info is None:
            continue
        live = get_run(session, info.run_id)
        if live is not None:
            info = live.snapshot().info
        elif info.status == "running":
            info = dataclasses.replace(info, status="interrupted", message="The server restarted during training.")
        infos.append(info)
    return sorted(infos, key=lambda i: i.created, reverse=True)


def delete_run(session: str, runs_dir: Path, run_id: str) -> None:
    """Remove a run from memory and disk. A running run is stopped first."""
    with _REGISTRY_LOCK:
        run = _REGISTRY.get(session, {}).pop(run_id, None)
    if run is not None:
        run.stop()
        run.wait(timeout=10)
    directory = runs_dir / run_id
    if directory.parent == runs_dir and directory.is_dir():  # never follow a crafted id elsewhere
        shutil.rmtree(directory)


def zip_run(directory: Path) -> bytes:
    """The run's model directory as a zip: model.json, weights and run.json (not the training data)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in ("model.json", "weights.safetensors", RUN_FILE):
            if (directory / name).is_file():
                archive.write(directory / name, arcname=f"{directory.name}/{name}")
    return buffer.getvalue()


def load_saved_model(directory: Path) -> GenerativeModel:
    """Load a run's model (raises CheckpointError when it is missing or damaged)."""
    return gen_models.load(directory)


def quality_records(directory: Path) -> list[dict[str, Any]]:
    """The quality checks a finished run saved (empty for runs without them)."""
    from gen_models.training.monitor import load_records

    return load_records(directory / QUALITY_FILE)["records"]


def run_snapshots(directory: Path) -> list[dict[str, Any]]:
    """A run's saved epoch snapshots, in epoch order: [{"epoch", "quality", "path"}]."""
    from gen_models.training.monitor import list_snapshots

    return list_snapshots(directory / SNAPSHOTS_DIR)
