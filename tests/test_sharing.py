"""Safe to share (issue #15): bounded training, private sessions, bounded memory and disk, killed runs,
atomic files, and pages that follow their data (ui.core.runs unit tests, AppTest for the pages).

Runs go to temporary folders; every session a test uses is forgotten afterwards, so no run outlives its test.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import types
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import gen_models
from ui.core import runs
from ui.core.plots import bin_edges, distribution_figure

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
OLD_SESSION = "00000000aa15"  # the 12-hex shape sessions had before tokens: still accepted
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


@pytest.fixture(scope="module")
def penguins() -> tuple[pd.DataFrame, gen_models.TableSchema]:
    frame = gen_models.load_dataset("penguins")
    return frame, gen_models.infer_schema(frame)


def start(root: Path, session: str, data: tuple, epochs: int = 100_000, **settings) -> runs.TrainingRun:
    """A VAE run on penguins; the default epochs outlast any test, which stops it."""
    frame, schema = data
    model = gen_models.create("vae", epochs=epochs, batch_size=64, seed=0, **settings)
    return runs.start_run(session, root / session, model, frame, schema, None, "penguins", "penguins")


def wait_for(condition, timeout: float = 120.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def texts(at: AppTest, kind: str) -> str:
    return " ".join(str(element.value) for element in getattr(at, kind))


# ----- 1. bounded training ------------------------------------------------------------------------------
def test_the_default_limit_leaves_a_core_for_pages_and_the_variable_sets_it(monkeypatch) -> None:
    monkeypatch.delenv(runs.MAX_TRAININGS_VARIABLE, raising=False)
    assert runs.max_trainings() == max(1, len(os.sched_getaffinity(0)) - 1)
    monkeypatch.setenv(runs.MAX_TRAININGS_VARIABLE, "3")
    assert runs.max_trainings() == 3
    monkeypatch.setenv(runs.MAX_TRAININGS_VARIABLE, "0")
    assert runs.max_trainings() == 1  # at least one
    monkeypatch.setenv(runs.MAX_TRAININGS_VARIABLE, "lots")
    assert runs.max_trainings() == max(1, len(os.sched_getaffinity(0)) - 1)  # unreadable: the default


def test_a_second_run_of_one_session_is_refused_naming_the_first(root: Path, penguins, monkeypatch) -> None:
    monkeypatch.setenv(runs.MAX_TRAININGS_VARIABLE, "4")
    first = start(root, OLD_SESSION, penguins)
    with pytest.raises(runs.TrainingRefused, match=first.run_id) as refusal:
        start(root, OLD_SESSION, penguins)  # e.g. a second tab with the same address
    assert "already has a run training" in str(refusal.value)
    assert [run.run_id for run in runs.session_runs(OLD_SESSION)] == [first.run_id]
    other = start(root, "00000000bb15", penguins)  # another session is not held back
    assert other.snapshot().queue_position is None


def test_runs_beyond_the_limit_wait_in_line_and_start_when_a_slot_frees(root: Path, penguins, monkeypatch) -> None:
    monkeypatch.setenv(runs.MAX_TRAININGS_VARIABLE, "1")
    monkeypatch.setenv(runs.MAX_WAITING_VARIABLE, "2")
    first = start(root, "000000000001", penguins)
    second = start(root, "000000000002", penguins)
    third = start(root, "000000000003", penguins)
    assert (first.snapshot().queue_position, second.snapshot().queue_position) == (None, 1)
    assert third.snapshot().queue_position == 2 and third.running
    assert json.loads((third.directory / runs.RUN_FILE).read_text())["status"] == "queued"
    with pytest.raises(runs.TrainingRefused, match="server is busy"):
        start(root, "000000000004", penguins)  # the line is full
    assert runs.trainings_now() == (1, 2)

    first.stop()
    assert first.wait(timeout=120)
    assert second.snapshot().info.status == "running" and third.snapshot().queue_position == 1
    third.stop()  # leaves the line without training
    assert third.wait(timeout=5) and third.snapshot().info.status == "cancelled"
    assert json.loads((third.directory / runs.RUN_FILE).read_text())["status"] == "cancelled"
    wait_for(lambda: second.snapshot().history)  # the second really trains
    assert runs.trainings_now() == (1, 0)


def test_training_threads_run_at_a_lower_priority_than_pages(root: Path, penguins, monkeypatch) -> None:
    server = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    frame, schema = penguins
    model = gen_models.create("vae", epochs=1, batch_size=64, seed=0)
    fit, seen = model.fit, []

    def fit_and_look(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))  # in the training thread
        return fit(*args, **kwargs)

    monkeypatch.setattr(model, "fit", fit_and_look)
    run = runs.start_run(OLD_SESSION, root / OLD_SESSION, model, frame, schema, None, "penguins", "penguins")
    assert run.wait(timeout=120)
    assert seen == [min(19, server + runs.TRAINING_NICENESS)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == server  # the serving thread is unchanged


def test_the_train_page_shows_the_place_in_line_and_refuses_a_second_tab(root: Path, penguins, monkeypatch) -> None:
    monkeypatch.setenv(runs.MAX_TRAININGS_VARIABLE, "1")
    blocker = start(root, "00000000cc15", penguins)  # someone else's training holds the only slot
    tab = AppTest.from_file(APP, default_timeout=60)
    tab.query_params["session"] = OLD_SESSION
    tab.run()
    tab.switch_page("app_pages/train.py").run()
    tab.button(key="use_penguins").click().run()
    other_tab = AppTest.from_file(APP, default_timeout=60)  # the same address in a second tab, drawn before
    other_tab.query_params["session"] = OLD_SESSION
    other_tab.run()
    other_tab.switch_page("app_pages/train.py").run()
    assert not other_tab.button(key="start_training").disabled

    tab.button(key="start_training").click().run()
    assert not tab.exception
    assert "Waiting: 1st in line" in texts(tab, "info")
    other_tab.button(key="start_training").click().run()
    mine = runs.session_runs(OLD_SESSION)
    assert len(mine) == 1, "the second tab did not start a second run"
    assert "already has a run waiting to train: autoregressive on Palmer penguins" in texts(other_tab, "error")
    assert mine[0].run_id in texts(other_tab, "error")

    blocker.stop()
    wait_for(lambda: mine[0].snapshot().info.status == "running")
    tab.run()
    assert "Waiting" not in texts(tab, "info")


# ----- 2. private sessions ------------------------------------------------------------------------------
def test_a_new_session_gets_an_unguessable_token_and_a_malformed_one_is_not_used(root: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    first = at.query_params["session"]
    assert TOKEN.fullmatch(first)
    assert AppTest.from_file(APP, default_timeout=60).run().query_params["session"] != first
    for crafted in ("../../etc", "..", "0123456789AB", "a" * 33, "x/y" * 11 + "z"):
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params["session"] = crafted
        at.run()
        at.switch_page("app_pages/train.py").run()
        assert not at.exception
        assert TOKEN.fullmatch(at.query_params["session"]), crafted
    assert all(TOKEN.fullmatch(path.name) or path.name == OLD_SESSION for path in root.iterdir())


def test_an_old_12_hex_session_keeps_its_runs(root: Path, penguins) -> None:
    run = start(root, OLD_SESSION, penguins, epochs=2)
    assert run.wait(timeout=120)
    runs.drop_idle_sessions(now=time.monotonic() + runs.idle_seconds() + 1)  # as after a server restart
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["session"] = OLD_SESSION
    at.run()
    at.switch_page("app_pages/train.py").run()
    assert at.query_params["session"] == OLD_SESSION
    assert any(run.run_id in (button.key or "") for button in at.button)


def test_downloads_do_not_carry_the_session_id(root: Path, penguins) -> None:
    session = "Abc_-" + "x" * 27  # a token's shape
    run = start(root, session, penguins, epochs=2)
    assert run.wait(timeout=120)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["session"] = session
    at.run()
    at.switch_page("app_pages/train.py").run()
    buttons = at.get("download_button")
    assert buttons, "the run can be downloaded"
    assert all(session not in str(button.proto) for button in buttons)
    assert session not in run.run_id  # the zip is named after the run (and so are its folders inside)
    with zipfile.ZipFile(io.BytesIO(runs.zip_run(run.directory))) as archive:
        for name in archive.namelist():
            assert session not in name and session.encode() not in archive.read(name)


def test_home_says_what_protects_a_session_and_forgetting_deletes_it(root: Path, penguins) -> None:
    run = start(root, OLD_SESSION, penguins, epochs=2)
    assert run.wait(timeout=120)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["session"] = OLD_SESSION
    at.run()
    said = texts(at, "markdown")
    assert "bookmark this address to come back to your runs" in said
    assert "The address is the key: anyone with the link sees and can delete this session's data and models" in said
    assert "the app has no accounts — put it behind a login proxy for shared use" in said

    at.button(key="forget_session").click().run()
    assert not at.exception
    assert not (root / OLD_SESSION).exists(), "the session's files are deleted"
    assert runs.session_runs(OLD_SESSION) == []
    assert TOKEN.fullmatch(at.query_params["session"])
    assert "This is a new session, with a new address" in texts(at, "success")
    at.switch_page("app_pages/train.py").run()
    assert "Runs you start appear here" in texts(at, "caption")


# ----- 3. memory and disk -------------------------------------------------------------------------------
def test_an_ended_run_lets_go_of_its_model_and_table_and_reads_them_back(root: Path, penguins) -> None:
    frame, _ = penguins
    run = start(root, OLD_SESSION, penguins, epochs=2)
    assert run.wait(timeout=120)
    assert run._model is None and run._frame is None and run.monitor is None
    pd.testing.assert_frame_equal(run.frame, frame)
    assert run.model.sample(5, seed=0).shape == (5, frame.shape[1])
    assert run.snapshot().quality, "the quality checks stay for the page"


def test_idle_sessions_are_dropped_from_memory_but_not_from_disk(root: Path, penguins, monkeypatch) -> None:
    monkeypatch.setenv(runs.MAX_TRAININGS_VARIABLE, "2")
    done = start(root, OLD_SESSION, penguins, epochs=2)
    assert done.wait(timeout=120)
    busy = start(root, "00000000dd15", penguins)
    later = time.monotonic() + runs.idle_seconds() + 1
    dropped = runs.drop_idle_sessions(now=later)
    assert OLD_SESSION in dropped and "00000000dd15" not in dropped  # the training one stays
    assert runs.get_run(OLD_SESSION, done.run_id) is None
    assert [info.run_id for info in runs.saved_runs(OLD_SESSION, root / OLD_SESSION)] == [done.run_id]
    assert runs.get_run("00000000dd15", busy.run_id) is busy


def test_the_disk_limit_deletes_the_oldest_ended_runs_first(root: Path, monkeypatch) -> None:
    monkeypatch.setenv(runs.DISK_MB_VARIABLE, "1")
    folder = root / OLD_SESSION
    for day, status in ((1, "finished"), (2, "failed"), (3, "finished"), (4, "finished")):
        info = runs.RunInfo(f"run{day}", "vae", "penguins", None, None, {}, f"2026-01-0{day}T00:00:00", status)
        (folder / info.run_id).mkdir(parents=True)
        runs.write_info(folder / info.run_id, info)
        (folder / info.run_id / "weights.safetensors").write_bytes(b"0" * 400_000)
    deleted = runs.keep_under_disk_limit(OLD_SESSION, folder, keep="run1")
    assert [info.run_id for info in deleted] == ["run2", "run3"]  # oldest first; run1 is kept as asked
    assert sorted(path.name for path in folder.iterdir()) == ["run1", "run4"]
    assert runs.folder_bytes(folder) <= 1_000_000
    (notice,) = runs.disk_notices(OLD_SESSION)
    assert "the oldest runs were deleted: vae on penguins · 2026-01-02 00:00 UTC" in notice


# ----- 4. killed runs -----------------------------------------------------------------------------------
KILLED_SERVER = """
import sys, time
from pathlib import Path
import gen_models
from ui.core import runs
folder = Path(sys.argv[1])
frame = gen_models.load_dataset("penguins")
model = gen_models.create("vae", epochs=600, batch_size=64, seed=0)
run = runs.start_run("00000000aa15", folder, model, frame, gen_models.infer_schema(frame), None, "penguins", "penguins")
print(run.run_id, flush=True)
time.sleep(600)
"""


def test_a_run_of_a_killed_server_keeps_its_best_snapshot_as_its_model(root: Path) -> None:
    folder = root / OLD_SESSION
    server = subprocess.Popen(
        [sys.executable, "-c", KILLED_SERVER, str(folder)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        run_id = server.stdout.readline().strip()
        snapshots = folder / run_id / runs.SNAPSHOTS_DIR
        wait_for(lambda: len(list(snapshots.glob("*/model.json"))) >= 3, timeout=120)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    assert json.loads((folder / run_id / runs.RUN_FILE).read_text())["status"] == "running"

    (info,) = runs.saved_runs(OLD_SESSION, folder)  # the restarted server lists the session's runs
    saved = runs.run_snapshots(folder / run_id)
    best = max(saved, key=lambda snap: snap["quality"])
    assert info.status == "interrupted" and info.has_model
    assert info.epochs_completed == saved[-1]["epoch"] > 0
    assert info.kept_epoch == best["epoch"] == info.best_epoch
    assert f"Interrupted at epoch {saved[-1]['epoch']}; best snapshot kept (epoch {best['epoch']}" in info.message
    assert json.loads((folder / run_id / runs.RUN_FILE).read_text())["status"] == "interrupted"
    model = gen_models.load(folder / run_id)
    pd.testing.assert_frame_equal(model.sample(20, seed=1), gen_models.load(best["path"]).sample(20, seed=1))

    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["session"] = OLD_SESSION
    at.run()
    at.switch_page("app_pages/train.py").run()
    assert f"interrupted · {saved[-1]['epoch']} epochs" in texts(at, "caption")
    assert at.button(key=f"list_explore_{run_id}")
    at.switch_page("app_pages/generate.py").run()
    assert not at.exception and at.selectbox(key="generate_model").value == f"run:{run_id}"


def test_recovery_skips_a_torn_snapshot_and_a_waiting_run_is_marked_too(root: Path, penguins) -> None:
    frame, schema = penguins
    folder = root / OLD_SESSION / "20260101-000000-vae-0001"
    folder.mkdir(parents=True)
    model = gen_models.create("vae", epochs=2, batch_size=64, seed=0)
    model.fit(frame, schema=schema)
    for epoch, quality in ((2, 0.9), (4, 0.5)):
        record = {"epoch": epoch, "quality": quality, "column_shapes": quality, "pair_trends": quality}
        model.save(folder / runs.SNAPSHOTS_DIR / f"epoch_{epoch:04d}", add_extra=record)
    weights = folder / runs.SNAPSHOTS_DIR / "epoch_0002" / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # killed while writing the best one
    info = runs.RunInfo(folder.name, "vae", "penguins", "penguins", None, {}, "2026-01-01T00:00:00+00:00")
    runs.write_info(folder, info)
    waiting = dataclasses.replace(info, run_id="20260101-000001-vae-0002", status="queued")
    (folder.parent / waiting.run_id).mkdir()
    runs.write_info(folder.parent / waiting.run_id, waiting)

    recovered = {i.run_id: i for i in runs.saved_runs(OLD_SESSION, folder.parent)}
    assert recovered[folder.name].kept_epoch == 4 and recovered[folder.name].epochs_completed == 4
    assert gen_models.load(folder).sample(3, seed=0).shape[0] == 3
    assert recovered[waiting.run_id].status == "interrupted" and not recovered[waiting.run_id].has_model


# ----- 5. atomic files ----------------------------------------------------------------------------------
def test_a_write_that_fails_half_way_leaves_the_old_run_json(tmp_path: Path) -> None:
    info = runs.RunInfo("r", "vae", "penguins", None, None, {}, "2026-01-01T00:00:00")
    runs.write_info(tmp_path, info)
    before = (tmp_path / runs.RUN_FILE).read_text()

    def half_then_crash(path: Path) -> None:
        path.write_text(before[:10])
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        runs._write_atomically(tmp_path / runs.RUN_FILE, half_then_crash)
    assert (tmp_path / runs.RUN_FILE).read_text() == before
    assert [path.name for path in tmp_path.iterdir()] == [runs.RUN_FILE], "no temporary file is left"


def test_a_finished_run_folder_holds_only_whole_files(root: Path, penguins) -> None:
    run = start(root, OLD_SESSION, penguins, epochs=2)
    assert run.wait(timeout=120)
    names = sorted(path.name for path in run.directory.iterdir())
    assert names == ["data.parquet", "model.json", "quality.json", "run.json", "snapshots", "weights.safetensors"]
    assert gen_models.load(run.directory).sample(3, seed=0).shape[0] == 3


# ----- 6. pages that follow their data ------------------------------------------------------------------
def test_evaluate_works_for_a_run_trained_on_60_rows(root: Path, penguins) -> None:
    frame, _ = penguins
    small = frame.head(60).reset_index(drop=True)
    model = gen_models.create("vae", epochs=2, batch_size=16, seed=0)
    schema = gen_models.infer_schema(small)
    run = runs.start_run(OLD_SESSION, root / OLD_SESSION, model, small, schema, None, "60 penguins", None)
    assert run.wait(timeout=120) and run.snapshot().info.status == "finished"
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["session"] = OLD_SESSION
    at.run()
    at.switch_page("app_pages/evaluate.py").run()
    assert not at.exception, at.exception  # was: StreamlitValueBelowMinError, 60 rows below a minimum of 100
    assert "Scores" in texts(at, "subheader")


def test_bin_edges_increase_for_any_finite_values() -> None:
    top = np.finfo(float).max
    for low, high in ((-1e308, 1e308), (-top, top), (1e308, 1e308), (top, top), (5.0, 5.0), (0.0, 1.0)):
        edges = bin_edges(low, high)
        assert np.isfinite(edges).all() and np.all(np.diff(edges) >= 0), (low, high)
        assert edges[0] <= low and edges[-1] >= high
    figure = distribution_figure("x", "continuous", None, pd.Series([-1e308, 0.0, 1.0, 1e308]))
    assert figure.data[0].y.sum() == pytest.approx(1.0)
    assert "so far apart that most fall in one bar" in figure.layout.annotations[0].text


def test_the_data_page_draws_a_column_holding_1e308(root: Path) -> None:
    csv = "a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(40)) + "1e308,1\n-1e308,2\n"
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/data.py").run()
    at.radio(key="data_source").set_value("My own file").run()
    at.file_uploader(key="csv_upload").upload("huge.csv", csv.encode(), "text/csv").run()
    assert not at.exception, at.exception
    # The table is refused in words (a model computes in 32-bit numbers), naming the column and the row ...
    errors = " ".join(element.value for element in at.error)
    assert "Column 'a' holds 1e+308 in row 41" in errors
    # ... and the chart of such a column, were one drawn, does not break either.
    figure = distribution_figure("a", "continuous", None, pd.read_csv(io.StringIO(csv))["a"])
    notes = [note.text for note in figure.layout.annotations]
    assert any("Values range from -1e+308 to 1e+308" in note for note in notes)


def test_a_comparison_waits_for_the_sessions_other_training_instead_of_dying(monkeypatch):
    from ui.core import runs
    from ui.widgets import quality

    attempts = []

    def refuse_twice(*args, **kwargs):
        attempts.append(1)
        if len(attempts) < 3:
            raise runs.TrainingRefused("This session is already training 'penguins · vae'.")
        return "the run"

    monkeypatch.setattr(runs, "start_run", refuse_twice)
    monkeypatch.setattr(quality, "COMPARE_RETRY_SECONDS", 0.01)
    comparison = quality.Comparison.__new__(quality.Comparison)
    comparison._stop = threading.Event()
    comparison._lock = threading.Lock()
    for name in ("session", "runs_dir", "frame", "schema", "data_label", "dataset"):
        setattr(comparison, name, None)
    entry = types.SimpleNamespace(condition=None, status="queued", message="")
    assert comparison._start_when_allowed(entry, model=None) == "the run"
    assert len(attempts) == 3 and entry.status == "waiting" and "already training" in entry.message


def test_home_offers_the_session_link_to_copy(root: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    token = at.query_params["session"]
    assert any(f"?session={token}" in block.value for block in at.code)
