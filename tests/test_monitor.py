"""QualityMonitor: scores at the right epochs, keeps the best weights, writes loadable snapshots."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch

import gen_models
from gen_models.data.layouts import DataLayout
from gen_models.training.monitor import (
    CheckBudget,
    QualityMonitor,
    default_every,
    list_snapshots,
    load_records,
    snapshot_name,
)


def tiny_model(epochs: int) -> gen_models.GenerativeModel:
    return gen_models.create(
        "wgan_gp", epochs=epochs, batch_size=40, seed=0, generator_hidden=(32,), critic_hidden=(32,)
    )


def states(model: gen_models.GenerativeModel) -> dict[str, dict[str, torch.Tensor]]:
    return {name: {k: v.clone() for k, v in net.state_dict().items()} for name, net in model.networks.items()}


def assert_same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].keys() == b[name].keys()
        for key in a[name]:
            assert torch.equal(a[name][key], b[name][key]), f"{name}.{key} differs"


def test_default_every_gives_ten_to_twenty_checks() -> None:
    for epochs in (1, 5, 12, 30, 100, 300, 1000, 5000):
        every = default_every(epochs)
        checks = len([e for e in range(1, epochs + 1) if e % every == 0 or e == epochs])
        assert checks == epochs or 10 <= checks <= 20, (epochs, every, checks)


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory, mixed_table: pd.DataFrame):
    """A 7-epoch run checked every 3 epochs, with snapshots: (model, monitor, snapshot dir, last weights)."""
    snapshots = tmp_path_factory.mktemp("snapshots")
    model = tiny_model(7)
    monitor = QualityMonitor(model, mixed_table, every=3, rows=200, snapshot_dir=snapshots)
    model.fit(mixed_table, on_epoch=monitor)
    last = states(model)
    return model, monitor, snapshots, last


def test_records_appear_every_few_epochs_and_at_the_end(monitored) -> None:
    _, monitor, _, _ = monitored
    records = monitor.records()
    assert [r["epoch"] for r in records] == [3, 6, 7]
    for record in records:
        assert 0.0 <= record["quality"] <= 1.0
        assert record["quality"] == pytest.approx((record["column_shapes"] + record["pair_trends"]) / 2)
    best = monitor.best()
    assert best is not None and best["quality"] == max(r["quality"] for r in records)


def test_snapshots_load_and_carry_their_scores(monitored) -> None:
    _, monitor, snapshots, _ = monitored
    listed = list_snapshots(snapshots)
    assert [s["epoch"] for s in listed] == [3, 6, 7]
    for snap, record in zip(listed, monitor.records(), strict=True):
        assert snap["quality"] == pytest.approx(record["quality"])
        loaded = gen_models.load(snap["path"])
        rows = loaded.sample(50, seed=1)
        assert len(rows) == 50 and set(rows.columns) >= {"species", "body_mass_g"}


def test_restore_best_gives_the_best_snapshot_weights(monitored) -> None:
    model, monitor, snapshots, last = monitored
    best = monitor.restore_best(model)
    assert best == monitor.best()
    saved = gen_models.load(snapshots / snapshot_name(best["epoch"]))
    assert_same_weights(states(model), states(saved))
    pd.testing.assert_frame_equal(model.sample(100, seed=5), saved.sample(100, seed=5))
    if best["epoch"] != 7:  # the last epoch's weights differ from the best ones
        with pytest.raises(AssertionError):
            assert_same_weights(states(model), last)


def test_records_round_trip_through_json(monitored, tmp_path: Path) -> None:
    _, monitor, _, _ = monitored
    monitor.save_records(tmp_path / "quality.json")
    again = load_records(tmp_path / "quality.json")
    assert again["records"] == monitor.records() and again["best"] == monitor.best()
    assert load_records(tmp_path / "missing.json")["records"] == []


def test_monitoring_does_not_change_what_training_learns(mixed_table: pd.DataFrame) -> None:
    plain = tiny_model(3)
    plain.fit(mixed_table)
    watched = tiny_model(3)
    monitor = QualityMonitor(watched, mixed_table, every=1, rows=100, keep_best=False)
    watched.fit(mixed_table, on_epoch=monitor)
    assert len(monitor.records()) == 3
    assert monitor.restore_best(watched) is None, "keep_best=False keeps the last weights"
    assert_same_weights(states(plain), states(watched))


def test_images_are_declined_without_a_crash(mixed_table: pd.DataFrame) -> None:
    model = tiny_model(1)
    model.layout = DataLayout(kind="images", image_shape=(2, 2))
    monitor = QualityMonitor(model, mixed_table)
    monitor({"epoch": 1, "epochs": 1})
    assert not monitor.applies and "images" in (monitor.reason or "")
    assert monitor.records() == [] and monitor.restore_best() is None


def test_a_budget_skips_due_checks_that_would_exceed_its_share_but_never_the_last(mixed_table: pd.DataFrame) -> None:
    model = tiny_model(6)
    budget = CheckBudget(1e-9)  # far less than any check costs: only the first (cost not known yet) and the last
    monitor = QualityMonitor(model, mixed_table, every=1, rows=100, budget=budget)
    model.fit(mixed_table, on_epoch=monitor)
    assert [r["epoch"] for r in monitor.records()] == [1, 6]
    assert budget.seconds > 0, "the checks were timed"

    unlimited = CheckBudget(None)
    monitor = QualityMonitor(tiny_model(3), mixed_table, every=1, rows=100, budget=unlimited)
    monitor.model.fit(mixed_table, on_epoch=monitor)
    assert [r["epoch"] for r in monitor.records()] == [1, 2, 3] and unlimited.seconds > 0
    with pytest.raises(ValueError, match="share must be between 0 and 1"):
        CheckBudget(1.5)
