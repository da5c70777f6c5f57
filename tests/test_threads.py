"""The thread rule (gen_models/training/threads.py): cores shared among runs, never more than the free cores."""

from __future__ import annotations

import os

import pytest
import torch

from gen_models.errors import ModelError
from gen_models.training import threads


def test_cores_are_divided_among_concurrent_runs() -> None:
    assert threads.choose_threads(1, cores=8, environ={}).threads == 8
    assert threads.choose_threads(3, cores=8, environ={}).threads == 2
    assert threads.choose_threads(16, cores=8, environ={}).threads == 1  # never fewer than one
    assert threads.choose_threads(2, reserved=1, cores=8, environ={}).threads == 3


def test_busy_cores_are_left_to_their_work() -> None:
    assert threads.choose_threads(1, busy=3.2, cores=8, environ={}).threads == 5
    assert threads.choose_threads(2, busy=3.2, cores=8, environ={}).threads == 4  # the share is smaller
    choice = threads.choose_threads(1, busy=2.0, cores=2, environ={})
    assert choice.threads == 1 and "2.0 busy" in choice.reason


def test_the_environment_variable_wins() -> None:
    choice = threads.choose_threads(4, busy=8.0, cores=8, environ={threads.THREADS_VARIABLE: "6"})
    assert choice.threads == 6 and threads.THREADS_VARIABLE in choice.reason
    with pytest.raises(ModelError, match="whole number"):
        threads.choose_threads(1, cores=8, environ={threads.THREADS_VARIABLE: "many"})
    with pytest.raises(ModelError, match="at least 1"):
        threads.choose_threads(0, cores=8, environ={})


def test_available_cores_is_the_affinity_set_at_most() -> None:
    assert 1 <= threads.available_cores() <= len(os.sched_getaffinity(0))


def test_busy_cores_is_measured_within_the_cores() -> None:
    busy = threads.busy_cores(window=0.05)
    assert busy is not None and 0.0 <= busy <= len(os.sched_getaffinity(0)) + 1e-9


def test_setting_gives_torch_the_count(monkeypatch: pytest.MonkeyPatch) -> None:
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv(threads.THREADS_VARIABLE, "1")
        assert threads.set_training_threads(4, measure_load=False).threads == 1
        assert torch.get_num_threads() == 1
        monkeypatch.delenv(threads.THREADS_VARIABLE)
        assert threads.set_training_threads(requested=2).threads == 2  # a recipe's exact count
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
