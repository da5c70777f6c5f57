"""The quality pages under AppTest: Evaluate, Compare, and the Train page's quality chart and snapshots."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import gen_models
from gen_models.training import resolve_epochs

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture
def runs_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LATENT_LAB_RUNS", str(tmp_path))
    return tmp_path


def run_until(at: AppTest, done: Callable[[AppTest], bool], timeout: float = 90.0) -> AppTest:
    """Rerun until `done(at)`: AppTest does not rerun `run_every` fragments by itself."""
    deadline = time.monotonic() + timeout
    while not done(at):
        assert not at.exception, at.exception
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.3)
        at.run()
    return at


def chart(at: AppTest, title: str) -> dict:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return next(s for s in specs if s["layout"].get("title", {}).get("text", "").startswith(title))


def test_evaluate_scores_a_pretrained_model(runs_root: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("app_pages/evaluate.py").run()
    at.selectbox(key="evaluate_model").select("pretrained:wgan_gp_penguins").run()
    assert not at.exception and not at.error
    cards = {m.label: m.value for m in at.metric}
    assert 0.5 < float(cards["Quality"]) <= 1.0
    assert cards["Detection AUC"] == "not run", "the classifier tests wait to be asked for"
    assert "Exact copies of real rows" in cards and "Coverage" in cards
    assert at.get("download_button")[0].proto.label == "Download the report (HTML)"
    # Worst column first: its chart comes before the others.
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    column_scores = [float(t.rsplit("·", 1)[1]) for t in titles if "·" in t]
    assert column_scores == sorted(column_scores) and len(column_scores) == 6
    assert any(t.startswith("Difference") for t in titles) and any("2-D map" in t for t in titles)

    at.selectbox(key="eval_target").select("species").run()
    at.toggle(key="eval_classifiers").set_value(True).run()
    assert not at.exception and not at.error
    cards = {m.label: m.value for m in at.metric}
    assert 0.5 <= float(cards["Detection AUC"]) <= 1.0
    assert "Utility (F1, predicting species)" in cards


def test_compare_trains_two_models_and_ranks_them(runs_root: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("app_pages/compare.py").run()
    at.button(key="cmp_penguins").click().run()
    at.multiselect(key="cmp_models").set_value(["gan", "vae"]).run()
    at.number_input(key="cmp_epochs_bundled:penguins").set_value(2).run()
    at.button(key="cmp_start").click().run()
    assert not at.exception and not at.error
    run_until(at, lambda at: bool(at.dataframe) and len(at.dataframe[0].value) == 2)
    board = at.dataframe[0].value
    assert list(board["Model"]) == ["GAN", "Variational autoencoder"], "the models' titles (MODEL_TITLES)"
    assert board["Quality ↑"].between(0, 1).all() and board["Detection AUC ↓"].between(0.5, 1).all()
    assert board["Utility ↑"].notna().all(), "penguins' species is the default utility target"
    assert (board["Training time (s) ↓"] >= 0).all() and (board["Best epoch"] >= 1).all()
    assert len(chart(at, "Quality while training")["data"]) == 2
    # Each architecture became an ordinary run of the session.
    assert len(list(runs_root.glob("*/*/run.json"))) == 2


def test_compare_gives_the_autoregressive_model_its_own_budget(runs_root: Path) -> None:
    """The comparison's epochs are for the others: the autoregressive model keeps the cap that stops it memorising."""
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("app_pages/compare.py").run()
    at.button(key="cmp_penguins").click().run()
    at.multiselect(key="cmp_models").set_value(["autoregressive", "vae"]).run()
    assert "keep their own budget" in " ".join(c.value for c in at.caption)
    at.number_input(key="cmp_epochs_bundled:penguins").set_value(2).run()
    at.button(key="cmp_start").click().run()
    run_until(at, lambda at: bool(at.dataframe) and len(at.dataframe[0].value) == 2, timeout=180)
    completed = {}
    for path in runs_root.glob("*/*/run.json"):
        info = json.loads(path.read_text())
        completed[info["model"]] = info["epochs_completed"]
    config = gen_models.REGISTRY["autoregressive"].Config()
    assert completed == {"autoregressive": resolve_epochs(config, 344), "vae": 2}


def test_train_shows_quality_keeps_the_best_and_offers_snapshots(
    runs_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every epoch's snapshot is offered here; on a busy machine the checks' time budget (tests/test_monitor.py)
    # would skip some of a 4-epoch run's checks, so this test lifts it.
    from ui.core import runs

    monkeypatch.setattr(runs, "CHECK_SHARE", None)
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("app_pages/train.py").run()
    at.button(key="use_penguins").click().run()
    at.radio(key="train_architecture").set_value("vae").run()
    at.number_input(key="train_epochs_bundled:penguins").set_value(4).run()
    assert at.checkbox(key="train_keep_best").value, "keep best is the default"
    at.button(key="start_training").click().run()
    run_until(at, lambda at: "Kept the best epoch" in " ".join(s.value for s in at.success))
    figure = chart(at, "Quality of the generated rows")
    assert figure["layout"]["yaxis"]["range"] == [0, 1]
    assert "Best so far: epoch" in " ".join(c.value for c in at.caption)

    run_id = at.session_state["watch_run"]
    info = json.loads(next(runs_root.glob(f"*/{run_id}/run.json")).read_text())
    assert info["keep_best"] and 1 <= info["best_epoch"] <= 4
    picker = at.selectbox(key=f"snapshot_{run_id}")
    assert [o.split(" ")[1] for o in picker.options] == ["1", "2", "3", "4"]
    assert picker.value == f"epoch_{info['best_epoch']:04d}", "the best epoch is offered first"
    picker.set_value("epoch_0002").run()
    at.button(key=f"snap_explore_{run_id}").click().run()
    assert not at.exception
    assert at.session_state["model_key"] == f"run:{run_id}@epoch_0002"
    assert at.selectbox(key="explore_model").value == f"run:{run_id}@epoch_0002"
