"""Training runs: a bounded line of background trainings, a per-session registry, and their files on disk.

A run trains one model in a daemon thread. The thread never calls Streamlit: its callbacks only
append plain values to lists guarded by a lock, which the Train page's polling fragment copies.

The server is shared by everyone who has its address, so the limits live here, not in a widget:
- at most `max_trainings()` runs train at once ($LATENT_LAB_MAX_TRAININGS; default one less than the
  CPU cores, at least 1). Further runs wait in line (status "queued", `queue_position`) and start by
  themselves when a slot frees; once `max_waiting()` runs wait ($LATENT_LAB_MAX_WAITING), more are refused;
- a session has at most one run training or waiting: a second request (another tab with the same
  address) raises `TrainingRefused`, naming the run it already has;
- training threads run at a lower CPU priority than the threads serving pages (`TRAINING_NICENESS`).

Memory and disk:
- a run that has ended lets go of its model and its training table (both are on disk) and reads them
  back, through a small cache shared by all sessions, only when a page asks (`TrainingRun.model`, `.frame`);
- a session idle for longer than $LATENT_LAB_IDLE_MINUTES (default 30) is dropped from memory;
- a session's folder is kept under $LATENT_LAB_SESSION_DISK_MB (default 2048): after each run, the
  oldest ended runs are deleted first, and `disk_notices` says which.

Where runs live:
- in memory, `_REGISTRY[session id][run id]` holds the `TrainingRun` objects of this server
  process, so a page switch or a browser reload (same `?session=` id) finds a running run again;
- on disk, `<runs root>/<session id>/<run id>/` holds `run.json` (what was trained, how it ended),
  `data.parquet` (the training table, for comparisons on Explore), `snapshots/epoch_NNNN/` (the model
  at each scored epoch) and, once training ends, the model directory files (`model.json`,
  `weights.safetensors`) that `gen_models.load` reads. Every file here is written beside its target
  and moved into place with `os.replace`, so a killed server leaves old files or new ones, never half
  of one. (Snapshots are written by the library's `model.save`, weights before model.json, and a
  snapshot is only used once it loads, checksum and all.)

After a server kill, run.json still says "running" (or "queued"). `saved_runs` marks such runs
"interrupted" with the epochs they reached and, when an epoch snapshot loads, makes the best one the
run's model, so the run can be explored and generated from like a finished one.

Resuming: `resume_run` starts a new run (through the same line and limits) from an interrupted or
stopped run's last epoch snapshot that loads. It trains the remaining epochs of the same budget on
the same table (the run folder's data.parquet) with the same settings; the loss history and the
quality checks carry on from the snapshot (the earlier snapshots are linked into the new run's
folder, so keep-best can still pick an earlier epoch). The optimisers start afresh: their state is
not saved with a model. The old run stays as it was.

What the app adds to training costs time: the quality checks (with their snapshots) and the live
samples share one `CheckBudget` of `CHECK_SHARE` of the training time, so with short epochs they come
less often; the time they took is recorded (`RunInfo.check_seconds`) and shown on the Train page.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import io
import json
import logging
import os
import shutil
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

import gen_models
from gen_models.catalogue import META_FILE
from gen_models.data import TableSchema
from gen_models.data.layouts import DataLayout
from gen_models.errors import USER_ERRORS
from ui.core.startup import use_training_threads

if TYPE_CHECKING:
    from gen_models.models import GenerativeModel
    from gen_models.training.monitor import CheckBudget, QualityMonitor

# gen_models.models (torch) and gen_models.training.monitor (scipy.stats, scikit-learn) are imported where
# they are used, not here: every page imports this module, and the first page should not wait
# seconds for libraries it never runs.

log = logging.getLogger(__name__)

RUN_FILE = "run.json"
DATA_FILE = "data.parquet"
DATA_FILE_CSV = "data.csv"  # fallback when a table cannot be written as Parquet
LIVE_SAMPLE_ROWS = 500
LIVE_SAMPLE_TIMES = 25  # how many sample snapshots a run takes over its epochs, at most
# Quality checks, snapshots and live samples together take at most about this share of a run's training
# time (bench/bench_app.py measures the app's training time against the command line's).
CHECK_SHARE = 0.08
MAX_RUNS_IN_MEMORY = 4  # ended runs (light once ended) kept in memory per session; older ones are on disk only
QUALITY_FILE = "quality.json"  # the quality checks made during training (gen_models.training.monitor)
SNAPSHOTS_DIR = "snapshots"  # one full model directory per checked epoch: snapshots/epoch_0040/
RELOAD_CACHE = 4  # ended runs' models and tables read back from disk, kept for all sessions together

# The limits, each read from the environment when it is applied (so a test or an admin can change it).
MAX_TRAININGS_VARIABLE = "LATENT_LAB_MAX_TRAININGS"
MAX_WAITING_VARIABLE = "LATENT_LAB_MAX_WAITING"
DEFAULT_MAX_WAITING = 20
IDLE_MINUTES_VARIABLE = "LATENT_LAB_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 30.0
DISK_MB_VARIABLE = "LATENT_LAB_SESSION_DISK_MB"
DEFAULT_DISK_MB = 2048.0
# Added to the server's niceness for training threads: when pages and training want the CPU at the
# same moment, Linux gives it to the pages first (bench/bench_load.py measures the page load).
TRAINING_NICENESS = 10
MAX_NICENESS = 19

RunStatus = Literal["queued", "running", "finished", "stopped", "diverged", "failed", "interrupted", "cancelled"]
ACTIVE_STATUSES: tuple[RunStatus, ...] = ("queued", "running")  # not ended yet
MODEL_STATUSES: tuple[RunStatus, ...] = ("finished", "stopped", "diverged")  # ended with a saved model
RESUMABLE_STATUSES: tuple[RunStatus, ...] = ("interrupted", "stopped")  # ended before their epochs were done


class TrainingRefused(Exception):
    """A run cannot start now; the message says why in words for the page (and what to do)."""


def _setting(name: str, default: float, minimum: float) -> float:
    """A number from the environment variable `name`, at least `minimum`; `default` when unset or unreadable."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return max(minimum, float(text))
    except ValueError:
        log.warning("%s=%r is not a number; using %s", name, text, default)
        return default


def _cores() -> int:
    """CPU cores this process may run on (a container's CPU set, not the whole machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def max_trainings() -> int:
    """How many runs may train at once: $LATENT_LAB_MAX_TRAININGS, else one core is left for serving pages."""
    return int(_setting(MAX_TRAININGS_VARIABLE, max(1, _cores() - 1), 1))


def max_waiting() -> int:
    """How many runs may wait for a slot before further requests are refused: $LATENT_LAB_MAX_WAITING."""
    return int(_setting(MAX_WAITING_VARIABLE, DEFAULT_MAX_WAITING, 0))


def idle_seconds() -> float:
    """A session unseen for this long (and not training) is dropped from memory: $LATENT_LAB_IDLE_MINUTES."""
    return 60.0 * _setting(IDLE_MINUTES_VARIABLE, DEFAULT_IDLE_MINUTES, 0.0)


def disk_limit_bytes() -> int:
    """Most disk one session's folder may use: $LATENT_LAB_SESSION_DISK_MB megabytes."""
    return int(1e6 * _setting(DISK_MB_VARIABLE, DEFAULT_DISK_MB, 1.0))


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
    status: RunStatus = "running"
    message: str = ""
    epochs_completed: int = 0
    seconds: float = 0.0
    n_rows: int = 0
    keep_best: bool = True  # after training, put back the weights of the best-scoring epoch
    best_epoch: int | None = None  # the epoch with the highest quality score, once known
    best_quality: float | None = None
    kept_epoch: int | None = None  # interrupted runs: the epoch snapshot made the run's model, if any
    resumed_from: str | None = None  # the run this one resumes, if any ...
    start_epoch: int = 0  # ... and the epoch of its snapshot it started from
    check_seconds: float = 0.0  # time spent on quality checks, snapshots and live samples

    @property
    def title(self) -> str:
        when = self.created[:16].replace("T", " ")
        return f"{self.model} on {self.data_label} · {when} UTC"

    @property
    def has_model(self) -> bool:
        """Whether training got far enough to leave a usable model behind."""
        return self.status in MODEL_STATUSES or self.kept_epoch is not None


# ----- files, each moved into place whole ---------------------------------------------------------
def _temporary_beside(target: Path) -> Path:
    """A hidden name in the target's folder: os.replace is atomic only within one file system."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")


def _write_atomically(target: Path, write: Callable[[Path], object]) -> None:
    """`write(path)` to a temporary file beside `target`, then rename it over `target`.

    Readers (and a restarted server) see the old file or the new one, never half of one. (No fsync:
    this is against a killed server, not a power cut.)
    """
    temporary = _temporary_beside(target)
    try:
        write(temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_info(directory: Path, info: RunInfo) -> None:
    """Write run.json atomically, so a reader never sees half a file."""
    text = json.dumps(dataclasses.asdict(info), indent=1)
    _write_atomically(directory / RUN_FILE, lambda path: path.write_text(text, encoding="utf-8"))


def read_info(directory: Path) -> RunInfo | None:
    try:
        values = json.loads((directory / RUN_FILE).read_text(encoding="utf-8"))
        return RunInfo(**values)
    except (OSError, ValueError, TypeError):
        return None  # not a run folder, or damaged: it is simply not listed


def save_training_data(directory: Path, frame: pd.DataFrame) -> None:
    try:
        _write_atomically(directory / DATA_FILE, lambda path: frame.to_parquet(path, index=False))
    except (ValueError, TypeError, ImportError) as error:  # e.g. a column mixing numbers and text
        log.info("Parquet failed (%s); saving the training table as CSV", error)
        _write_atomically(directory / DATA_FILE_CSV, lambda path: frame.to_csv(path, index=False))


def load_training_data(directory: Path) -> pd.DataFrame | None:
    if directory.parent.name == SNAPSHOTS_DIR:  # an epoch snapshot: the table is in its run's folder
        directory = directory.parent.parent
    if (directory / DATA_FILE).is_file():
        return pd.read_parquet(directory / DATA_FILE)
    if (directory / DATA_FILE_CSV).is_file():
        return pd.read_csv(directory / DATA_FILE_CSV)
    return None


def _install_model(source: Path, directory: Path, *, keep_source: bool) -> None:
    """Put the model files of folder `source` into the run folder `directory`, model.json last.

    The run folder also holds run.json, the data and the snapshots, so it cannot be replaced whole:
    each file is moved in on its own, and a reader that finds model.json finds the weights it names.
    keep_source: copy (an epoch snapshot stays as it is) instead of moving.
    """
    names = sorted((path.name for path in source.iterdir() if path.is_file()), key=lambda name: name == META_FILE)
    for name in names:
        target = directory / name
        if keep_source:
            _write_atomically(target, lambda path, name=name: shutil.copyfile(source / name, path))
        else:
            os.replace(source / name, target)


def _save_model(model: GenerativeModel, directory: Path) -> None:
    """Save the trained model into its run folder: whole into a temporary folder first, then moved in."""
    from gen_models.latent.directions import store_directions  # torch-heavy; a trained model has loaded it

    store_directions(model)  # found once, at the end of training, and saved with the model (issue #16)
    temporary = _temporary_beside(directory / "model")
    try:
        model.save(temporary)
        _install_model(temporary, directory, keep_source=False)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


@functools.lru_cache(maxsize=RELOAD_CACHE)
def _stored_model(directory: str, stamp: float) -> GenerativeModel:
    """An ended run's model read back from disk; `stamp` (model.json's time) keys a re-saved model afresh."""
    return gen_models.load(directory)


@functools.lru_cache(maxsize=RELOAD_CACHE)
def _stored_frame(directory: str, stamp: float) -> pd.DataFrame | None:
    return load_training_data(Path(directory))


def _stamp(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


@dataclass
class RunSnapshot:
    """A consistent copy of a run's live state, taken under its lock, for drawing."""

    info: RunInfo
    history: list[dict[str, float]]
    progress: dict[str, float]
    samples: pd.DataFrame | None
    samples_epoch: int
    running: bool  # not ended yet: training, or waiting for a slot
    quality: list[dict[str, Any]] = field(default_factory=list)  # {"epoch", "quality", ...} per check
    quality_note: str | None = None  # why quality is not measured (images, sequences), if it is not
    queue_position: int | None = None  # waiting runs: 1 for the next to start; None otherwise
    check_seconds: float = 0.0  # spent on quality checks, snapshots and live samples so far


class TrainingRun:
    """One model training in a background thread (once a slot is free), stoppable, observable while it runs."""

    def __init__(
        self,
        session: str,
        directory: Path,
        info: RunInfo,
        model: GenerativeModel,
        frame: pd.DataFrame,
        schema: TableSchema,
        layout: DataLayout | None = None,
    ) -> None:
        self.session = session
        self.directory = directory
        self.info = info
        self.schema = schema
        self.layout = layout  # images or sequences; None: a table
        self.monitor: QualityMonitor | None = None
        self._model: GenerativeModel | None = model  # None once ended: read back from disk when asked
        self._frame: pd.DataFrame | None = frame
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ended = threading.Event()
        self._thread: threading.Thread | None = None
        self._history: list[dict[str, float]] = []
        self._progress: dict[str, float] = {}
        self._samples: pd.DataFrame | None = None
        self._samples_epoch = 0
        self._quality: list[dict[str, Any]] = []  # the monitor's checks, kept once it is let go
        self._quality_note: str | None = None
        self._budget: CheckBudget | None = None  # the time checks and live samples may take (while training)
        self._sample_cost = 0.0  # seconds the last live sample took: what the next one is expected to cost

    @property
    def run_id(self) -> str:
        return self.info.run_id

    @property
    def running(self) -> bool:
        """True until the run has ended, including while it waits for a training slot."""
        return not self._ended.is_set()

    @property
    def model(self) -> GenerativeModel:
        """The model: in memory while the run trains, read back from the run folder once it has ended."""
        model = self._model
        if model is not None:
            return model
        return _stored_model(str(self.directory), _stamp(self.directory / META_FILE))

    @property
    def frame(self) -> pd.DataFrame:
        """The training table: in memory until the run ends, then read back from the run folder."""
        frame = self._frame
        if frame is None:
            frame = _stored_frame(str(self.directory), _stamp(self.directory / DATA_FILE))
        if frame is None:
            raise FileNotFoundError(f"The training table of run {self.run_id} is no longer on disk.")
        return frame

    def current_info(self) -> RunInfo:
        with self._lock:
            return dataclasses.replace(self.info)

    def stop(self) -> None:
        """Ask the training loop to stop after the current step (the model so far is saved); a
        waiting run leaves the line and ends as "cancelled"."""
        self._stop.set()
        if _leave_line(self):
            self._end("cancelled", "Cancelled before it started.")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run has ended (waiting in line included); False if `timeout` came first."""
        return self._ended.wait(timeout)

    def snapshot(self) -> RunSnapshot:
        position = queue_position(self)  # before taking this run's lock: never the registry's inside it
        with self._lock:
            monitor, budget = self.monitor, self._budget
            return RunSnapshot(
                info=dataclasses.replace(self.info),
                history=list(self._history),
                progress=dict(self._progress),
                samples=self._samples,
                samples_epoch=self._samples_epoch,
                running=self.running,
                quality=monitor.records() if monitor else list(self._quality),
                quality_note=monitor.reason if monitor else self._quality_note,
                queue_position=position,
                check_seconds=budget.seconds if budget is not None else self.info.check_seconds,
            )

    # ----- from waiting to training to ended -------------------------------------------------------
    def _prepare(self) -> None:
        """The run's folder, its training table and run.json (status "queued"), before it may start."""
        self.directory.mkdir(parents=True, exist_ok=True)
        save_training_data(self.directory, self.frame)
        info = self.current_info()
        if info.resumed_from is not None:
            _link_snapshots(self.directory.parent / info.resumed_from, self.directory, info.start_epoch)
        write_info(self.directory, info)

    def _launch(self) -> None:
        """Called by the line once this run holds a slot: start its thread."""
        with self._lock:
            self.info = dataclasses.replace(self.info, status="running")
            info = dataclasses.replace(self.info)
        write_info(self.directory, info)
        # A daemon thread: it cannot keep the server from exiting, and it ends by itself after
        # its epochs even if nobody ever looks at it again.
        self._thread = threading.Thread(target=self._work, name=f"train-{self.run_id}", daemon=True)
        self._thread.start()

    def _end(self, status: RunStatus, message: str, epochs_completed: int = 0, seconds: float = 0.0) -> None:
        """Record how the run ended, let go of what is on disk anyway, and wake whoever waits."""
        try:
            with self._lock:
                self.info = dataclasses.replace(
                    self.info,
                    status=status,
                    message=message,
                    epochs_completed=epochs_completed,
                    seconds=round(seconds, 1),
                    check_seconds=round(self._budget.seconds, 2) if self._budget is not None else 0.0,
                )
                info = dataclasses.replace(self.info)
                monitor, self.monitor, self._budget = self.monitor, None, None
                if monitor is not None:
                    self._quality, self._quality_note = monitor.records(), monitor.reason
                # The model and the table are on disk: `model` and `frame` read them back when asked.
                # Without a saved model (failed, cancelled) the live samples cannot be drawn again either.
                self._model, self._frame = None, None
                if not info.has_model:
                    self._samples = None
            if self.directory.is_dir():  # a deleted run's folder is not made again
                write_info(self.directory, info)
        except OSError as error:  # deleted meanwhile, or the disk is full: the run has ended all the same
            log.warning("Could not record the end of run %s: %s", self.run_id, error)
        finally:
            self._ended.set()

    # ----- the training thread ---------------------------------------------------------------
    def _on_step(self, metrics: dict[str, Any]) -> None:
        point = {k: float(v) for k, v in metrics.items() if k not in ("epochs", "elapsed", "remaining")}
        with self._lock:
            self._history.append(point)
            self._progress = {k: float(metrics[k]) for k in ("epoch", "epochs", "elapsed", "remaining", "step")}
            # on_step gets fractional epoch progress in the time estimate; keep the finished share too,
            # of all the epochs (a resumed run starts part of the way along)
            start, epochs = self.info.start_epoch, float(metrics["epochs"])
            self._progress["fraction"] = (start + (epochs - start) * _fraction(metrics)) / epochs

    def _on_epoch(self, metrics: dict[str, Any]) -> None:
        epoch, epochs = int(metrics["epoch"]), int(metrics["epochs"])
        every = max(1, epochs // LIVE_SAMPLE_TIMES)
        if epoch % every and epoch != epochs:
            return
        budget = self._budget
        if budget is not None and epoch != epochs and not budget.allows(float(metrics["elapsed"]), self._sample_cost):
            return  # the checks have had their share of the time: a later epoch's preview may fit
        # Sampling is plain library code; between epochs the networks are not being updated.
        started = time.perf_counter()
        try:
            with budget.timed() if budget is not None else contextlib.nullcontext():
                samples = self.model.sample(LIVE_SAMPLE_ROWS, seed=0)
        except Exception:  # a failed preview must not end the training itself
            log.exception("Live sample failed in run %s", self.run_id)
            return
        self._sample_cost = time.perf_counter() - started
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

    def _keep_best_weights(self, model: GenerativeModel) -> str:
        """After fit: record the best epoch, put its weights back if asked; a sentence for the message."""
        monitor = self.monitor
        if monitor is None:
            return ""
        _write_atomically(self.directory / QUALITY_FILE, monitor.save_records)
        best = monitor.best()
        if best is None:
            return ""
        with self._lock:
            self.info = dataclasses.replace(self.info, best_epoch=best["epoch"], best_quality=round(best["quality"], 4))
        if self.info.keep_best and monitor.restore_best(model) is not None:
            return f" Kept the best epoch, {best['epoch']} (quality {best['quality']:.2f})."
        return ""

    def _carry_on_checks(self, monitor: QualityMonitor, info: RunInfo) -> None:
        """A resumed run: the checks of the epochs before it (its linked snapshots) come first in `monitor`,
        with the best one's weights when keeping the best, so an earlier epoch can still be kept."""
        snapshots = run_snapshots(self.directory)
        records = [snap["record"] for snap in snapshots if snap["record"] is not None]
        best = max(records, key=lambda record: record["quality"], default=None)
        state = None
        if best is not None and info.keep_best:
            path = next(snap["path"] for snap in snapshots if snap["epoch"] == best["epoch"])
            try:
                state = gen_models.load(path).networks.state_dict()
            except USER_ERRORS as error:  # damaged: only the resumed epochs can be kept then
                log.info("Best snapshot %s of run %s does not load: %s", path.name, self.run_id, error)
        monitor.continue_from(records, state)

    def _work(self) -> None:
        status: RunStatus = "failed"
        message, epochs_completed, seconds = "Training ended unexpectedly. Please report this.", 0, 0.0
        try:
            _lower_priority()
            use_training_threads()
            from gen_models.training.monitor import CheckBudget, QualityMonitor

            model, info = self.model, self.current_info()
            self._budget = CheckBudget(CHECK_SHARE)
            # Scores generated rows every few epochs (within the budget), keeps the best weights, saves snapshots.
            self.monitor = QualityMonitor(
                model,
                self.frame,
                keep_best=info.keep_best,
                snapshot_dir=self.directory / SNAPSHOTS_DIR,
                budget=self._budget,
            )
            if info.start_epoch:
                self._carry_on_checks(self.monitor, info)
            result = model.fit(
                self.frame,
                condition=info.condition,
                layout=self.layout,
                schema=self.schema,
                on_step=self._on_step,
                on_epoch=self._epoch_end,
                stop_event=self._stop,
                start_epoch=info.start_epoch,
            )
            status, message = result.status, result.message
            message += self._keep_best_weights(model)
            _save_model(model, self.directory)
            epochs_completed, seconds = result.epochs_completed, result.seconds
        except USER_ERRORS as error:
            status, message = "failed", str(error)
        except Exception as error:  # a bug: keep the app alive, tell the user in one line, log the rest
            log.exception("Training run %s failed", self.run_id)
            status = "failed"
            message = f"Training failed unexpectedly ({type(error).__name__}: {error}). Please report this."
        finally:
            # Whatever happened above, the next run in line gets the slot; first, so that whoever waits
            # for this run to end finds the next one started.
            try:
                _leave_slot(self)
            finally:
                self._end(status, message, epochs_completed, seconds)
        try:
            keep_under_disk_limit(self.session, self.directory.parent, keep=self.run_id)
        except OSError as error:
            log.warning("Could not apply the disk limit after run %s: %s", self.run_id, error)


def _lower_priority() -> None:
    """Make the calling thread give way to the threads serving pages when both want the CPU.

    Linux nices each thread on its own, by its native id; threads it starts later (torch's) inherit it.
    """
    try:
        thread = threading.get_native_id()
        niceness = min(MAX_NICENESS, os.getpriority(os.PRIO_PROCESS, thread) + TRAINING_NICENESS)
        os.setpriority(os.PRIO_PROCESS, thread, niceness)
    except (AttributeError, OSError) as error:  # not Linux, or not allowed: train at the usual priority
        log.info("Could not lower the training thread's priority: %s", error)


def _fraction(metrics: dict[str, Any]) -> float:
    elapsed, remaining = float(metrics["elapsed"]), float(metrics["remaining"])
    total = elapsed + remaining
    return elapsed / total if total > 0 else 0.0


# ----- the registry and the line --------------------------------------------------------------------
# One lock guards all of these. A run's own lock may be taken while holding it, never the other way round.
_REGISTRY: dict[str, dict[str, TrainingRun]] = {}
_LAST_SEEN: dict[str, float] = {}  # session -> time.monotonic() of its last page run
_NOTICES: dict[str, list[str]] = {}  # session -> what the disk limit deleted, newest last
_TRAINING: list[TrainingRun] = []  # the runs holding a slot
_WAITING: list[TrainingRun] = []  # the line, first to start first
_REGISTRY_LOCK = threading.Lock()
MAX_NOTICES = 5


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
    """Create and register a run; it trains at once when a slot is free, else waits in line.

    Returns at once. Raises `TrainingRefused` when this session already has a run training or
    waiting, or when the line is full.
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
        status="queued",
        n_rows=len(frame),
        keep_best=keep_best,
    )
    return _enqueue(TrainingRun(session, runs_dir / run_id, info, model, frame, schema, layout))


def _enqueue(run: TrainingRun) -> TrainingRun:
    """Register a new run, write its files and start it, or put it in line (see `start_run`)."""
    session, runs_dir, run_id = run.session, run.directory.parent, run.run_id
    with _REGISTRY_LOCK:
        _refuse_if_busy(session)
        runs = _REGISTRY.setdefault(session, {})
        runs[run_id] = run  # from here on, a second request of this session is refused
        _LAST_SEEN[session] = time.monotonic()
        ended = [r for r in runs.values() if not r.running]
        for old in ended[: max(0, len(ended) - MAX_RUNS_IN_MEMORY)]:
            del runs[old.run_id]
    try:
        # Never the run being resumed: its snapshots are linked into the new run's folder next.
        keep_under_disk_limit(session, runs_dir, keep=run.info.resumed_from)
        run._prepare()  # disk work outside the lock: pages keep reading the registry meanwhile
    except BaseException:
        with _REGISTRY_LOCK:
            _REGISTRY.get(session, {}).pop(run_id, None)
        raise
    with _REGISTRY_LOCK:
        cancelled = run._stop.is_set()  # stopped (or deleted) while its files were being written
        launch = not cancelled and len(_TRAINING) < max_trainings() and not _WAITING
        if launch:
            _TRAINING.append(run)
        elif not cancelled:
            _WAITING.append(run)
    if cancelled:
        run._end("cancelled", "Cancelled before it started.")
    elif launch:
        run._launch()
    return run


def resumable_epoch(directory: Path) -> int | None:
    """The epoch a stopped or interrupted run would resume from: its last snapshot's (None without one, or
    when that snapshot is of the training's last epoch).

    `resume_run` falls back to an earlier snapshot if that one does not load."""
    snapshots = run_snapshots(directory)
    if not snapshots:
        return None
    last = snapshots[-1]
    if last["epochs"] is not None and last["epoch"] >= last["epochs"]:
        return None  # killed after its last epoch's snapshot: nothing is left to train (the snapshot is its model)
    return last["epoch"]


def resume_run(session: str, runs_dir: Path, run_id: str) -> TrainingRun:
    """Start a new run that goes on from where the stopped or interrupted run `run_id` got to.

    It loads the run's last epoch snapshot that loads, trains the remaining epochs of the same budget
    on the run's own table, with the same settings, and carries on its history and checks (see the
    module docstring). It waits in line like any run. Raises `TrainingRefused` with the reason when
    the run cannot be resumed, this session already has a run, or the line is full.
    """
    directory = runs_dir / run_id
    info = read_info(directory) if directory.parent == runs_dir and directory.is_dir() else None
    if info is None:
        raise TrainingRefused(f"There is no run {run_id} in this session to resume.")
    if info.status in ACTIVE_STATUSES and get_run(session, run_id) is None:  # a killed server's, not listed yet
        info = recover_interrupted(directory, info)
    if info.status not in RESUMABLE_STATUSES:
        raise TrainingRefused(f"Only a stopped or interrupted run can be resumed; this one is {info.status}.")
    snapshots = run_snapshots(directory)
    if snapshots and resumable_epoch(directory) is None:
        raise TrainingRefused(
            f"This run reached its last epoch ({snapshots[-1]['epoch']}) before it stopped: nothing is left to "
            "train. Its model is that epoch's snapshot: explore or generate with it."
        )
    frame = load_training_data(directory)
    if frame is None:
        raise TrainingRefused("This run's training table is no longer on disk, so it cannot be resumed.")
    model, epoch = None, 0
    for snap in reversed(run_snapshots(directory)):  # the last first
        try:
            model, epoch = gen_models.load(snap["path"]), snap["epoch"]
            break
        except USER_ERRORS as error:  # a snapshot torn by the kill: try the one before
            log.info("Snapshot %s of run %s cannot be resumed from: %s", snap["path"].name, run_id, error)
    if model is None:
        raise TrainingRefused("This run has no epoch snapshot that loads, so there is nothing to resume from.")
    assert model.schema is not None
    resumed = RunInfo(
        run_id=new_run_id(model.name),
        model=model.name,
        data_label=info.data_label,
        dataset=info.dataset,
        condition=model.condition_column,
        settings=dataclasses.asdict(model.config),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        status="queued",
        n_rows=len(frame),
        keep_best=info.keep_best,
        resumed_from=run_id,
        start_epoch=epoch,
    )
    layout = None if model.layout.kind == "table" else model.layout
    run = TrainingRun(session, runs_dir / resumed.run_id, resumed, model, frame, model.schema, layout)
    run._history = [dict(record) for record in model.history]  # the loss curve goes on from the snapshot's
    return _enqueue(run)


def _link_snapshots(source: Path, target: Path, last_epoch: int) -> None:
    """Give a resumed run the snapshots of the run it resumes, up to `last_epoch`.

    Hard links where the file system allows (no extra disk; snapshot files are never rewritten), copies
    otherwise. Each snapshot lands whole: copied into a hidden folder, then renamed into place.
    """
    destination = target / SNAPSHOTS_DIR
    destination.mkdir(parents=True, exist_ok=True)
    for snap in run_snapshots(source):
        if snap["epoch"] > last_epoch:
            continue
        temporary = _temporary_beside(destination / snap["path"].name)
        try:
            shutil.copytree(snap["path"], temporary, copy_function=_link_or_copy)
            os.replace(temporary, destination / snap["path"].name)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(source, target)


def _refuse_if_busy(session: str) -> None:
    """Raise TrainingRefused when `session` already has a run, or the line is full. Holds the lock."""
    own = next((run for run in _REGISTRY.get(session, {}).values() if run.running), None)
    if own is not None:
        info = own.current_info()
        state = "waiting to train" if info.status == "queued" else "training"
        raise TrainingRefused(
            f"This session already has a run {state}: {info.title} (run {info.run_id}). It may have been "
            "started in another tab with this address. One run at a time per session: stop it on the Train "
            "page or let it finish, then start the next one."
        )
    if len(_TRAINING) >= max_trainings() and len(_WAITING) >= max_waiting():
        raise TrainingRefused(
            f"The server is busy: {len(_TRAINING)} training(s) running and {len(_WAITING)} waiting, the most "
            "it takes. Please try again in a few minutes."
        )


def _leave_line(run: TrainingRun) -> bool:
    """Take a waiting run out of the line; False if it was not waiting (training, or ended)."""
    with _REGISTRY_LOCK:
        if run in _WAITING:
            _WAITING.remove(run)
            return True
    return False


def _leave_slot(run: TrainingRun) -> None:
    """A run's training ended: give its slot, and any other free one, to the runs first in line."""
    with _REGISTRY_LOCK:
        if run in _TRAINING:
            _TRAINING.remove(run)
        starting = []
        while _WAITING and len(_TRAINING) < max_trainings():
            starting.append(_WAITING.pop(0))
            _TRAINING.append(starting[-1])
    for waiting in starting:
        waiting._launch()


def queue_position(run: TrainingRun) -> int | None:
    """1 for the next run to start, 2 for the one after, ...; None when the run is not waiting."""
    with _REGISTRY_LOCK:
        return _WAITING.index(run) + 1 if run in _WAITING else None


def trainings_now() -> tuple[int, int]:
    """(runs training, runs waiting) on this server, all sessions together."""
    with _REGISTRY_LOCK:
        return len(_TRAINING), len(_WAITING)


def session_runs(session: str) -> list[TrainingRun]:
    """This session's runs still held in memory, newest first. Every page calls this (app.py), so it
    also notes that the session is alive and drops the sessions that have been idle too long."""
    drop_idle_sessions()
    with _REGISTRY_LOCK:
        _LAST_SEEN[session] = time.monotonic()
        runs = list(_REGISTRY.get(session, {}).values())
    return sorted(runs, key=lambda r: r.info.created, reverse=True)


def get_run(session: str, run_id: str) -> TrainingRun | None:
    with _REGISTRY_LOCK:
        _LAST_SEEN[session] = time.monotonic()
        return _REGISTRY.get(session, {}).get(run_id)


def drop_idle_sessions(now: float | None = None) -> list[str]:
    """Forget the in-memory state of sessions unseen for `idle_seconds()` that have no run training or
    waiting (their runs stay on disk and are listed from there); returns the sessions dropped."""
    now = time.monotonic() if now is None else now
    limit = idle_seconds()
    with _REGISTRY_LOCK:
        idle = [
            session
            for session, seen in _LAST_SEEN.items()
            if now - seen > limit and not any(run.running for run in _REGISTRY.get(session, {}).values())
        ]
        for session in idle:
            _REGISTRY.pop(session, None)
            _LAST_SEEN.pop(session, None)
            _NOTICES.pop(session, None)
    return idle


def saved_runs(session: str, runs_dir: Path) -> list[RunInfo]:
    """Every run of this session on disk, newest first.

    A "running" or "queued" run that this server does not hold was cut off by a server restart: it
    is marked "interrupted" on disk, with its best epoch snapshot as its model when one loads
    (`recover_interrupted`). (So two servers must not share one runs folder.)
    """
    if not runs_dir.is_dir():
        return []
    infos = []
    for directory in runs_dir.iterdir():
        info = read_info(directory) if directory.is_dir() else None
        if info is None:
            continue
        live = get_run(session, info.run_id)
        if live is not None:
            info = live.current_info()
        elif info.status in ACTIVE_STATUSES:
            info = recover_interrupted(directory, info)
        infos.append(info)
    return sorted(infos, key=lambda i: i.created, reverse=True)


def recover_interrupted(directory: Path, info: RunInfo) -> RunInfo:
    """Mark a run cut off by a server kill as "interrupted", with the epochs it reached; make its best
    saved snapshot (its last one when it was not keeping the best) the run's model. Writes run.json."""
    if info.status == "queued":
        recovered = dataclasses.replace(info, status="interrupted", message="The server restarted before it started.")
        write_info(directory, recovered)
        return recovered
    snapshots = run_snapshots(directory)
    epochs = max((snap["epoch"] for snap in snapshots), default=0)
    if info.keep_best:  # the best first (the earlier epoch on a tie), unscored ones last
        order = sorted(snapshots, key=lambda s: (s["quality"] is None, -(s["quality"] or 0.0), s["epoch"]))
    else:
        order = sorted(snapshots, key=lambda s: -s["epoch"])
    kept = None
    for snap in order:
        try:
            gen_models.load(snap["path"])  # checks model.json and the weights' checksum: a torn write fails here
        except USER_ERRORS as error:
            log.info("Snapshot %s of run %s cannot be used: %s", snap["path"].name, info.run_id, error)
            continue
        _install_model(snap["path"], directory, keep_source=True)
        kept = snap
        break
    seconds = info.seconds
    if snapshots:  # from the start to the last snapshot: the time it trained, at least
        started = dt.datetime.fromisoformat(info.created).timestamp()
        seconds = max(0.0, _stamp(snapshots[-1]["path"] / META_FILE) - started)
    if kept is None:
        reached = f" at epoch {epochs}" if epochs else ""
        message = f"Interrupted{reached}: the server stopped during training, before a usable snapshot was saved."
        best_epoch, best_quality, kept_epoch = info.best_epoch, info.best_quality, None
    else:
        which = "best" if info.keep_best else "last"
        score = "" if kept["quality"] is None else f", quality {kept['quality']:.2f}"
        message = (
            f"Interrupted at epoch {epochs}; {which} snapshot kept (epoch {kept['epoch']}{score}). "
            "The server stopped during training."
        )
        best_epoch, kept_epoch = kept["epoch"], kept["epoch"]
        best_quality = None if kept["quality"] is None else round(kept["quality"], 4)
    recovered = dataclasses.replace(
        info,
        status="interrupted",
        message=message,
        epochs_completed=epochs,
        seconds=round(seconds, 1),
        best_epoch=best_epoch,
        best_quality=best_quality,
        kept_epoch=kept_epoch,
    )
    write_info(directory, recovered)
    return recovered


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


def forget_session(session: str, runs_dir: Path) -> None:
    """Stop the session's runs and delete everything it has: its runs, models and data, in memory and on disk.

    runs_dir: the session's own folder (its name is the session id; anything else is left alone).
    """
    with _REGISTRY_LOCK:
        runs = list(_REGISTRY.pop(session, {}).values())
        _LAST_SEEN.pop(session, None)
        _NOTICES.pop(session, None)
    for run in runs:
        run.stop()
    for run in runs:
        run.wait(timeout=10)
    if runs_dir.name == session and runs_dir.is_dir() and not runs_dir.is_symlink():
        shutil.rmtree(runs_dir, ignore_errors=True)
    _stored_model.cache_clear()  # the models and tables read back may be this session's
    _stored_frame.cache_clear()


# ----- disk use per session --------------------------------------------------------------------------
def folder_bytes(directory: Path) -> int:
    """Bytes of the files under `directory` (links not followed)."""
    total = 0
    for root, _, files in os.walk(directory):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass  # removed meanwhile
    return total


def keep_under_disk_limit(session: str, runs_dir: Path, keep: str | None = None) -> list[RunInfo]:
    """Delete the session's oldest ended runs until its folder fits under `disk_limit_bytes()`.

    Runs training or waiting, and the run `keep` (the one that just ended), are never deleted.
    Returns the runs deleted; `disk_notices` tells the session which.
    """
    limit = disk_limit_bytes()
    total = folder_bytes(runs_dir) if runs_dir.is_dir() else 0
    if total <= limit:
        return []
    with _REGISTRY_LOCK:
        active = {run.run_id for run in _REGISTRY.get(session, {}).values() if run.running}
    infos = [read_info(path) for path in runs_dir.iterdir() if path.is_dir()]
    candidates = sorted(
        (i for i in infos if i and i.status not in ACTIVE_STATUSES and i.run_id not in active | {keep}),
        key=lambda i: i.created,
    )
    deleted, sizes = [], []
    for info in candidates:
        if total <= limit:
            break
        size = folder_bytes(runs_dir / info.run_id)
        delete_run(session, runs_dir, info.run_id)
        total -= size
        deleted.append(info)
        sizes.append(size)
    if deleted:
        names = "; ".join(f"{info.title} ({size / 1e6:,.0f} MB)" for info, size in zip(deleted, sizes, strict=True))
        notice = f"To keep this session under its {limit / 1e9:.1f} GB of disk, the oldest runs were deleted: {names}."
        with _REGISTRY_LOCK:
            _NOTICES[session] = (_NOTICES.get(session, []) + [notice])[-MAX_NOTICES:]
    return deleted


def disk_notices(session: str) -> list[str]:
    """What the disk limit deleted from this session, oldest first (kept until the session is dropped)."""
    with _REGISTRY_LOCK:
        return list(_NOTICES.get(session, []))


# ----- a run's files ---------------------------------------------------------------------------------
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
