"""The one training loop every model shares.

A model supplies `networks` (an nn.ModuleDict) and `train_step(x, c) -> {loss name: float}`;
this module does everything around it: seeding, device choice, shuffling into batches,
callbacks with a metrics dict after every step and epoch (the app's live curves and the CLI's
progress lines both read these), a stop event checked every step, a per-step loss history, and
a guard that stops on a NaN or infinite loss and puts back the last good weights.
"""

from __future__ import annotations

import copy
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from gen_models.errors import ModelError
from gen_models.training import distributed
from gen_models.training.config import TrainConfig

Metrics = dict[str, Any]
Callback = Callable[[Metrics], None]


@dataclass
class TrainResult:
    """How a call to `fit` ended."""

    status: str  # "finished" | "stopped" (stop event) | "diverged" (NaN/inf loss; last good weights kept)
    message: str  # one plain sentence for the user
    epochs_completed: int
    steps: int
    seconds: float


class Trainable(Protocol):
    networks: nn.ModuleDict

    def train_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]: ...

    def end_epoch(self, epoch: int, epochs: int) -> str | None:
        """Called after each epoch: a sentence saying why training should end here (early stopping), or None."""
        ...

    def sample_encoded(self, n: int, seed: int | None = None) -> torch.Tensor:
        """(n, data_dim) generated items, encoded: what the health check looks at."""
        ...


def select_device(name: str = "auto") -> torch.device:
    """'auto' -> CUDA when available, else CPU; anything else is passed to torch.device."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"device {name!r} needs a GPU that torch can use, and there is none here: use auto or cpu.")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ModelError("device 'mps' needs Apple's Metal GPU, which torch cannot use here: use auto or cpu.")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA) global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def epoch_steps(config: TrainConfig, n_rows: int) -> int:
    """Batches per epoch: every full batch of the rows, but with `epochs` left to the step budget (None) at most
    `auto_steps`, so that a table of millions of rows still trains for about the budget's steps (its one epoch
    then sees a random auto_steps x batch_size of the rows)."""
    full = max(1, n_rows // max(1, min(config.batch_size, n_rows)))
    return full if config.epochs is not None else min(full, config.auto_steps)


def resolve_epochs(config: TrainConfig, n_rows: int) -> int:
    """The number of epochs a run will do: `config.epochs`, or enough for about `auto_steps` steps (at most
    `max_epochs` where that is set)."""
    if config.epochs is not None:
        return config.epochs
    epochs = max(1, math.ceil(config.auto_steps / epoch_steps(config, n_rows)))
    return epochs if config.max_epochs is None else min(epochs, config.max_epochs)


# The health check draws this many items ...
HEALTH_ROWS = 100
# ... about every this many steps (and after the last epoch); fixed seed, its own generator, no global RNG.
HEALTH_STEPS = 20
HEALTH_SEED = 12_345
# Collapse: fewer distinct generated items than this share of the distinct real ones in as many rows.
MIN_DISTINCT_SHARE = 0.05


def _distinct_rows(x: torch.Tensor) -> int:
    """Distinct items among encoded rows (n, data_dim), compared to 3 decimals."""
    return len(np.unique(np.round(x.detach().cpu().numpy().astype(np.float64), 3), axis=0))


def _unhealthy(model: Trainable, real_distinct: int) -> str | None:
    """Why the generated items are unusable (NaN / infinite values, or almost all the same), or None."""
    with torch.no_grad():
        sample = model.sample_encoded(HEALTH_ROWS, seed=HEALTH_SEED)
    if not torch.isfinite(sample).all():
        return "the generated rows hold missing or infinite numbers"
    distinct = _distinct_rows(sample)
    if real_distinct >= 2 and distinct <= max(1, MIN_DISTINCT_SHARE * real_distinct):
        return f"it generates almost the same row every time ({distinct} different in {HEALTH_ROWS}: mode collapse)"
    return None


def _bad_loss(losses: dict[str, float]) -> str | None:
    for name, value in losses.items():
        if not math.isfinite(value):
            return name
    return None


def run_training(
    model: Trainable,
    x: torch.Tensor,
    c: torch.Tensor | None,
    config: TrainConfig,
    *,
    history: list[Metrics],
    on_step: Callback | None = None,
    on_epoch: Callback | None = None,
    stop_event: threading.Event | None = None,
    start_epoch: int = 0,
) -> TrainResult:
    """Train `model` on encoded rows.

    x: (n_rows, data_dim) encoded rows, already on the model's device.
    c: (n_rows, cond_dim) one-hot conditions, or None for unconditional models.
    history: per-step metrics are appended here ({"epoch", "step", loss names...}).
    on_step / on_epoch receive a metrics dict: the step's losses (or the epoch's mean losses)
    plus "epoch", "epochs", "step", "elapsed" and "remaining" (seconds, estimated).
    start_epoch: epochs already done (a resumed training, its weights and `history` so far given):
        training runs epochs start_epoch + 1 to the budget, in the batch order a run from the start has.
    """
    n_rows = x.shape[0]
    batch_size = max(1, min(config.batch_size, n_rows))
    # Drop a last partial batch unless it is the only one: batch norm dislikes tiny batches.
    steps_per_epoch = epoch_steps(config, n_rows)
    epochs = resolve_epochs(config, n_rows)
    # Going on needs an epoch left; epochs=0 (networks built, never trained: a baseline) starts nowhere.
    if start_epoch < 0 or (start_epoch > 0 and start_epoch >= epochs):
        raise ModelError(f"This training has {epochs} epochs, so it cannot go on from epoch {start_epoch}.")
    order_rng = torch.Generator().manual_seed(config.seed)
    for _ in range(start_epoch):  # the batch orders of the epochs done: a resumed run goes on as one from the start
        torch.randperm(n_rows, generator=order_rng)
    started = time.perf_counter()
    step = len(history)
    # A deep copy: state_dict() shares its tensors with the live weights, which keep changing.
    last_good = copy.deepcopy(model.networks.state_dict())
    last_healthy, healthy_epoch = last_good, start_epoch
    real_distinct = _distinct_rows(x[torch.randperm(n_rows, generator=torch.Generator().manual_seed(0))[:HEALTH_ROWS]])
    if distributed.active():  # one threshold everywhere: ranks hold equal weights, so their health checks agree
        real_distinct = distributed.smallest(real_distinct)
    check_every = max(1, math.ceil(HEALTH_STEPS / steps_per_epoch))
    model.networks.train()
    # Mixed precision when asked (TrainConfig.precision). A model's train_step runs its backward pass too, so
    # that runs under autocast as well: its ops take the dtypes of their forward ops, as they would outside it.
    precision = torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=config.precision == "bf16")

    for epoch in range(start_epoch + 1, epochs + 1):
        order = torch.randperm(n_rows, generator=order_rng).to(x.device)
        sums: dict[str, float] = {}
        for i in range(steps_per_epoch):
            rows = order[i * batch_size : (i + 1) * batch_size]
            with precision:
                losses = model.train_step(x[rows], None if c is None else c[rows])
            step += 1
            stopping = stop_event is not None and stop_event.is_set()
            if distributed.active():  # mean losses: a NaN on any rank is a NaN on all, so the guard below agrees
                losses, stopping = distributed.agree_on_step(losses, stopping)
            bad = _bad_loss(losses)
            if bad is not None:
                # The end of the last epoch, unless its rows were already unusable: then the last healthy check.
                kept = epoch - 1
                model.networks.load_state_dict(last_good)
                if kept != healthy_epoch and _unhealthy(model, real_distinct) is not None:
                    model.networks.load_state_dict(last_healthy)
                    kept = healthy_epoch
                return TrainResult(
                    status="diverged",
                    message=(
                        f"Training stopped at epoch {epoch}, step {i + 1}: the {bad.replace('_', ' ')} "
                        f"became {losses[bad]}. The model keeps the weights from the end of epoch "
                        f"{kept}. Try a smaller learning rate or a different seed."
                    ),
                    epochs_completed=kept,
                    steps=step,
                    seconds=time.perf_counter() - started,
                )
            record = {"epoch": epoch, "step": step, **losses}
            history.append(record)
            for name, value in losses.items():
                sums[name] = sums.get(name, 0.0) + value
            if on_step is not None:
                on_step(_progress(record, epoch - 1 + (i + 1) / steps_per_epoch, epochs, started, start_epoch))
            if not distributed.active():  # alone, a stop asked for by on_step counts at once
                stopping = stop_event is not None and stop_event.is_set()
            if stopping:
                return TrainResult(
                    status="stopped",
                    message=f"Training was stopped during epoch {epoch} (step {step}).",
                    epochs_completed=epoch - 1,
                    steps=step,
                    seconds=time.perf_counter() - started,
                )
        if distributed.active():  # batch-norm statistics are rank 0's, as DDP's broadcast buffers
            distributed.broadcast_state(model.networks, buffers_only=True)
        last_good = copy.deepcopy(model.networks.state_dict())
        if epoch % check_every == 0 or epoch == epochs:
            problem = _unhealthy(model, real_distinct)
            if problem is not None:
                model.networks.load_state_dict(last_healthy)
                return TrainResult(
                    status="diverged",
                    message=(
                        f"Training stopped after epoch {epoch}: {problem}. The model keeps the weights from "
                        f"epoch {healthy_epoch}, the last that generated usable rows. Try a smaller learning rate "
                        "or a different seed."
                    ),
                    epochs_completed=healthy_epoch,
                    steps=step,
                    seconds=time.perf_counter() - started,
                )
            last_healthy, healthy_epoch = last_good, epoch
        ending = model.end_epoch(epoch, epochs)  # before on_epoch: an early stop may put back better weights
        if distributed.active() and distributed.any_rank(ending is not None):  # each judges its own shard
            ending = ending or "Stopped early: another process's held-back rows stopped improving."
        if on_epoch is not None:
            means = {name: total / steps_per_epoch for name, total in sums.items()}
            on_epoch(_progress({"epoch": epoch, "step": step, **means}, epoch, epochs, started, start_epoch))
        if ending is not None:
            return TrainResult(
                status="finished",
                message=ending,
                epochs_completed=epoch,
                steps=step,
                seconds=time.perf_counter() - started,
            )

    resumed = f", resumed after epoch {start_epoch}" if start_epoch else ""
    return TrainResult(
        status="finished",
        message=f"Trained {epochs} epochs ({step} steps{resumed}).",
        epochs_completed=epochs,
        steps=step,
        seconds=time.perf_counter() - started,
    )


def _progress(record: Metrics, epochs_done: float, epochs: int, started: float, start_epoch: int = 0) -> Metrics:
    """Add timing to a metrics record; remaining time comes from the average pace since `started` (at start_epoch)."""
    elapsed = time.perf_counter() - started
    remaining = elapsed / (epochs_done - start_epoch) * (epochs - epochs_done)
    return {**record, "epochs": epochs, "elapsed": elapsed, "remaining": remaining}
