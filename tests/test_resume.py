"""Resuming a training (issue #15): `fit(..., start_epoch=k)` goes on from an epoch snapshot, and the app's
`runs.resume_run` (the Train page's "Resume training" button) continues a run cut off by a server kill, or
stopped, for the rest of its epochs, through the same line as any run.

Runs go to temporary folders; every session a test uses is forgotten afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import gen_models
from gen_models.errors import ModelError
from gen_models.training.monitor import QualityMonitor, snapshot_name
from ui.core import runs

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
SESSION = "00000000ee15"  # the 12-hex shape of old sessions: still accepted, and short to type
OTHER = "00000000ff15"
EPOCHS = 8


@pytest.fixture(scope="module")
def penguins() -> tuple[pd.DataFrame, gen_models.TableSchema]:
    frame = gen_models.load_dataset("penguins")
    return frame, gen_models.infer_schema(frame)


def tiny_vae(epochs: int = EPOCHS) -> gen_models.GenerativeModel:
    return gen_models.create("vae", epochs=epochs, batch_size=64, seed=0, encoder_hidden=(32,), decoder_hidden=(32,))


def wait_for(condition, timeout: float = 120.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def killed_run(folder: Path, data: tuple, stop_after: int = 5) -> runs.RunInfo:
    """What a server killed during epoch `stop_after + 1` of an 8-epoch run leaves: run.json saying "running",
    the training table, and the snapshots the worker's monitor wrote (epochs 2 and 4, checked every 2)."""
    frame, schema = data
    model = tiny_vae()
    folder.mkdir(parents=True)
    runs.save_training_data(folder, frame)
    info = runs.RunInfo(
        folder.name, "vae", "penguins", "penguins", None, {}, "2026-01-01T00:00:00+00:00", n_rows=len(frame)
    )
    runs.write_info(folder, info)
    monitor = QualityMonitor(model, frame, every=2, rows=200, snapshot_dir=folder / runs.SNAPSHOTS_DIR)
    stop = threading.Event()

    def on_epoch(metrics: dict) -> None:
        monitor(metrics)
        if metrics["epoch"] == stop_after:
            stop.set()  # the kill: nothing after this epoch is written

    model.fit(frame, schema=schema, on_epoch=on_epoch, stop_event=stop)
    return info


# ----- the library: fit(..., start_epoch=k) -------------------------------------------------------------
def test_fit_from_a_snapshot_trains_the_remaining_epochs_and_continues_the_history(penguins, tmp_path: Path) -> None:
    frame, schema = penguins
    whole = tiny_vae()
    whole.fit(frame, schema=schema, on_epoch=lambda m: m["epoch"] == 3 and whole.save(tmp_path / "epoch_3"))
    resumed = gen_models.load(tmp_path / "epoch_3")
    assert {record["epoch"] for record in resumed.history} == {1, 2, 3}

    result = resumed.fit(frame, schema=schema, start_epoch=3)
    assert result.status == "finished" and result.epochs_completed == EPOCHS
    assert "resumed after epoch 3" in result.message
    assert [r["step"] for r in resumed.history] == [r["step"] for r in whole.history], "steps go on, none lost"
    assert [r["epoch"] for r in resumed.history] == [r["epoch"] for r in whole.history]
    assert resumed.history[:15] == whole.history[:15], "the first 3 epochs' losses are the snapshot's"
    resumed.save(tmp_path / "resumed")
    rows = gen_models.load(tmp_path / "resumed").sample(50, seed=1)
    assert len(rows) == 50 and list(rows.columns) == list(frame.columns)


def test_a_resumed_fit_is_deterministic_and_actually_trains(penguins, tmp_path: Path) -> None:
    frame, schema = penguins
    model = tiny_vae()
    model.fit(frame, schema=schema, on_epoch=lambda m: m["epoch"] == 4 and model.save(tmp_path / "epoch_4"))
    first, second = gen_models.load(tmp_path / "epoch_4"), gen_models.load(tmp_path / "epoch_4")
    before = {k: v.clone() for k, v in first.networks.state_dict().items()}
    first.fit(frame, schema=schema, start_epoch=4)
    second.fit(frame, schema=schema, start_epoch=4)
    after = first.networks.state_dict()
    assert any(not v.equal(before[k]) for k, v in after.items()), "the weights moved"
    assert all(v.equal(second.networks.state_dict()[k]) for k, v in after.items()), "same seed, same weights"


def test_a_resume_that_cannot_be_is_refused_in_words(penguins, tmp_path: Path) -> None:
    frame, schema = penguins
    model = tiny_vae(2)
    model.fit(frame, schema=schema)
    with pytest.raises(ModelError, match="has 2 epochs, so it cannot go on from epoch 2"):
        model.fit(frame, schema=schema, start_epoch=2)
    with pytest.raises(ModelError, match="resume it with that"):
        model.fit(frame, schema=schema, condition="species", start_epoch=1)
    with pytest.raises(ModelError, match="has not been trained yet"):
        tiny_vae().fit(frame, schema=schema, start_epoch=1)
    with pytest.raises(ModelError, match="start_epoch must be a whole number"):
        model.fit(frame, schema=schema, start_epoch=-1)


# ----- the app's runs ----------------------------------------------------------------------------------
def test_a_killed_run_is_recovered_then_resumed_to_its_full_epochs(root: Path, penguins) -> None:
    folder = root / SESSION / "20260101-000000-vae-0001"
    killed_run(folder, penguins)
    (info,) = runs.saved_runs(SESSION, folder.parent)  # the restarted server lists the session's runs
    assert info.status == "interrupted" and info.epochs_completed == 4
    assert runs.resumable_epoch(folder) == 4

    run = runs.resume_run(SESSION, folder.parent, info.run_id)
    assert run.wait(timeout=120)
    done = run.current_info()
    assert done.status == "finished", done.message
    assert done.epochs_completed == EPOCHS and done.resumed_from == info.run_id and done.start_epoch == 4
    assert 0 < done.check_seconds < done.seconds + 1

    snap = run.snapshot()
    steps_per_epoch = len(penguins[0]) // 64
    assert [point["step"] for point in snap.history] == list(range(1, EPOCHS * steps_per_epoch + 1))
    assert snap.history[0]["epoch"] == 1 and snap.history[-1]["epoch"] == EPOCHS, "the curve starts at epoch 1"
    checked = [record["epoch"] for record in snap.quality]
    assert checked[:2] == [2, 4] and checked[-1] == EPOCHS, "the quality curve goes on from the old checks"
    saved = [s["epoch"] for s in runs.run_snapshots(run.directory)]
    assert saved[:2] == [2, 4] and saved[-1] == EPOCHS
    model = gen_models.load(run.directory)
    assert model.result is not None and model.result.epochs_completed == EPOCHS
    assert len(model.sample(20, seed=0)) == 20
    best = max(snap.quality, key=lambda record: record["quality"])
    assert done.best_epoch == best["epoch"]
    pd.testing.assert_frame_equal(
        model.sample(20, seed=3),
        gen_models.load(run.directory / runs.SNAPSHOTS_DIR / snapshot_name(best["epoch"])).sample(20, seed=3),
    )
    old = runs.read_info(folder)
    assert old is not None and old.status == "interrupted", "the old run stays as it was"


def test_a_run_killed_after_its_last_epochs_snapshot_offers_no_resume(root: Path, penguins) -> None:
    folder = root / SESSION / "20260101-000000-vae-0002"
    killed_run(folder, penguins, stop_after=EPOCHS)  # every epoch trained; killed before run.json said so
    (info,) = runs.saved_runs(SESSION, folder.parent)
    assert info.status == "interrupted" and info.kept_epoch is not None, "a snapshot is its model"
    assert runs.run_snapshots(folder)[-1]["epoch"] == EPOCHS
    assert runs.resumable_epoch(folder) is None
    with pytest.raises(runs.TrainingRefused, match="reached its last epoch"):
        runs.resume_run(SESSION, folder.parent, info.run_id)


def test_a_stopped_run_resumes_and_refusals_say_why(root: Path, penguins) -> None:
    frame, schema = penguins
    folder = root / SESSION
    model = gen_models.create("vae", epochs=300, batch_size=64, seed=0)  # checked about every 20 epochs
    first = runs.start_run(SESSION, folder, model, frame, schema, None, "penguins", "penguins")
    wait_for(lambda: len(runs.run_snapshots(first.directory)) >= 2)
    first.stop()
    assert first.wait(timeout=60) and first.current_info().status == "stopped"
    last = runs.resumable_epoch(first.directory)
    assert last is not None and last < 300

    with pytest.raises(runs.TrainingRefused, match="no run nope"):
        runs.resume_run(SESSION, folder, "nope")
    second = runs.resume_run(SESSION, folder, first.run_id)
    with pytest.raises(runs.TrainingRefused, match="already has a run"):
        runs.resume_run(SESSION, folder, first.run_id)  # one run at a time per session, as for new runs
    assert second.wait(timeout=120)
    info = second.current_info()
    assert info.status == "finished" and info.epochs_completed == 300 and info.start_epoch == last
    with pytest.raises(
        runs.TrainingRefused, match="Only a stopped or interrupted run can be resumed; this one is finished"
    ):
        runs.resume_run(SESSION, folder, second.run_id)


def test_the_train_page_resumes_an_interrupted_run_through_the_line(root: Path, penguins, monkeypatch) -> None:
    monkeypatch.setenv(runs.MAX_TRAININGS_VARIABLE, "1")
    folder = root / SESSION / "20260101-000000-vae-0001"
    killed_run(folder, penguins)
    frame, schema = penguins
    blocker_model = gen_models.create("vae", epochs=100_000, batch_size=64, seed=0)
    blocker = runs.start_run(OTHER, root / OTHER, blocker_model, frame, schema, None, "penguins", "penguins")

    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["session"] = SESSION
    at.run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    button = at.button(key=f"resume_{folder.name}")
    assert "epoch 4" in button.label and "optimiser" in (button.help or "").lower()
    button.click().run()
    assert not at.exception
    (resumed,) = [run for run in runs.session_runs(SESSION) if run.info.resumed_from == folder.name]
    assert resumed.snapshot().queue_position == 1, "it waits in line like any run"
    assert "Waiting: 1st in line" in " ".join(str(element.value) for element in at.info)

    blocker.stop()
    assert resumed.wait(timeout=120) and resumed.current_info().status == "finished"
    at.run()
    assert not at.exception
    captions = " ".join(str(element.value) for element in at.caption)
    assert f"finished · {EPOCHS} epochs" in captions and "resumed from epoch 4" in captions
    assert "of training time" in captions


def test_a_resumed_runs_progress_bar_starts_part_of_the_way_along(penguins) -> None:
    frame, schema = penguins
    info = runs.RunInfo("r", "vae", "penguins", None, None, {}, "2026-01-01T00:00:00+00:00", start_epoch=4)
    run = runs.TrainingRun(SESSION, Path("unused"), info, tiny_vae(), frame, schema)
    run._on_step({"epoch": 6, "epochs": 8, "step": 30, "elapsed": 1.0, "remaining": 1.0, "loss": 0.5})
    assert run.snapshot().progress["fraction"] == pytest.approx(0.75), "4 of 8 epochs before, half of the rest now"


# ----- the command line: train --resume DIR ------------------------------------------------------------
def resume(model: str, source: Path, out: Path) -> subprocess.CompletedProcess:
    """`python -m gen_models train --data penguins --model MODEL --resume SOURCE --out OUT`."""
    command = ["train", "--data", "penguins", "--model", model, "--resume", str(source), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "gen_models", *command], capture_output=True, text=True, timeout=300, env=env
    )


def test_the_cli_resumes_a_snapshot_for_the_rest_of_its_epochs(penguins, tmp_path: Path) -> None:
    frame, schema = penguins
    model = tiny_vae()
    model.fit(frame, schema=schema, on_epoch=lambda m: m["epoch"] == 3 and model.save(tmp_path / "epoch_3"))
    done = resume("vae", tmp_path / "epoch_3", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "resuming after epoch 3" in done.stderr and "resumed after epoch 3" in done.stderr
    resumed = gen_models.load(tmp_path / "out")
    assert resumed.result is not None and resumed.result.epochs_completed == EPOCHS
    assert [r["step"] for r in resumed.history] == [r["step"] for r in model.history]

    again = resume("vae", tmp_path / "out", tmp_path / "x")
    assert again.returncode == 2 and "cannot go on from epoch 8" in again.stderr and "Traceback" not in again.stderr
    wrong = resume("gan", tmp_path / "epoch_3", tmp_path / "x")
    assert wrong.returncode == 2 and "pass --model vae" in wrong.stderr
