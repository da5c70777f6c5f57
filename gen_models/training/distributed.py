"""One model trained by several processes (torchrun): data-parallel, with gradients averaged before each step.

    torchrun --standalone --nproc_per_node=2 -m gen_models train --data big.parquet --model wgan_gp --out m

torchrun starts the processes ("ranks") and sets RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE;
`from_environment` reads them and `start` joins the group: gloo on the CPU, NCCL on GPUs (one GPU per
process on a node, by LOCAL_RANK). What each piece of training does across ranks:

- data: each rank reads only its own shard of the file's rows (`train` uses `read_source(..., shard=)`: every
  WORLD_SIZE-th row, all shards one size, so every rank takes the same number of steps; the last rows % WORLD_SIZE
  rows are left out), so memory per rank is about its share of the table. Rank 0 infers the schema from its shard
  and sends it to the others. The encoder is fitted once, on rank 0's shard (interleaved rows: the same mix as the
  whole table, and more than the bounded samples the encoder fits its mixtures on), plus a row for each
  categorical level or empty cell that only other shards hold (`add_rows_for_the_encoder`), and sent to the
  others as its JSON description (`to_dict`, the form model.json keeps), so every rank encodes alike. Each rank
  then encodes and trains on its own shard (`own_rows`; a frame not read as a shard is cut here the same way);
- weights: built from the same seed, then rank 0's are broadcast, so all ranks start equal; each rank then
  draws its own noise (seed + rank). Gradients are averaged over ranks just before every optimiser step
  (`average_gradients_before_steps`), so every rank applies the same update and the weights stay equal.
  Batch-norm running statistics are rank 0's, broadcast after each epoch (as DDP broadcasts buffers);
- the loop: each step's losses are averaged over ranks (a NaN or inf on any rank makes the mean non-finite
  everywhere, so the NaN guard stops every rank at the same step), and a stop request on any rank stops
  all (`agree_on_step`); the health check and early stopping agree through `any_rank`;
- output: only rank 0 writes the model directory, in the usual format, loadable with `gen_models.load`.

Why not `DistributedDataParallel` wrappers: an architecture here owns several networks and optimisers and
runs them in its own `train_step` (a critic stepped several times per generator step, a generator loss that
passes through the critic without stepping it, WGAN-GP's gradient penalty through `autograd.grad` with
`create_graph`, which DDP does not support). DDP's all-reduce is tied to one module's forward and backward;
averaging each optimiser's gradients in a step pre-hook is the same arithmetic (the mean gradient over ranks
before the update) in one place, for every architecture, with no change to their code.

A rank that fails ends the run: torchrun stops the other processes when one exits with an error, and a rank
that stops answering makes the others' collective calls fail after $LATENT_LAB_DIST_TIMEOUT seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch
import torch.distributed as dist
from torch import nn

from gen_models.data.reading import SHARD_ATTR
from gen_models.data.schema import TableSchema
from gen_models.errors import ModelError

TIMEOUT_VARIABLE = "LATENT_LAB_DIST_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 300  # rank 0 fits the encoder while the others wait for it


@dataclass(frozen=True)
class Ranks:
    """This process's place among torchrun's processes."""

    rank: int  # 0 .. world_size - 1; rank 0 fits the encoder, prints progress and writes the model
    world_size: int
    local_rank: int  # on this machine: picks the GPU
    local_world_size: int  # processes on this machine: they share its cores


def from_environment(environ: dict[str, str] | None = None) -> Ranks | None:
    """The ranks torchrun set in the environment, or None when this process was not started by torchrun."""
    environ = os.environ if environ is None else environ
    if "WORLD_SIZE" not in environ:
        return None
    names = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")
    try:
        values = [int(environ.get(name, "1" if name == "LOCAL_WORLD_SIZE" else "0")) for name in names]
    except ValueError:
        raise ModelError(f"torchrun's {', '.join(names)} must be whole numbers.") from None
    ranks = Ranks(*values)
    if not 0 <= ranks.rank < ranks.world_size:
        raise ModelError(f"RANK must be between 0 and WORLD_SIZE - 1 ({ranks.world_size - 1}), not {ranks.rank}.")
    return ranks


def timeout_seconds(environ: dict[str, str] | None = None) -> float:
    """$LATENT_LAB_DIST_TIMEOUT, else the default: how long a collective call waits for the other ranks."""
    environ = os.environ if environ is None else environ
    text = environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        raise ModelError(f"${TIMEOUT_VARIABLE} must be a number of seconds, not {text!r}.") from None
    if seconds <= 0:
        raise ModelError(f"${TIMEOUT_VARIABLE} must be more than 0 seconds, not {text}.")
    return seconds


def start(ranks: Ranks, device: torch.device) -> None:
    """Join the process group: NCCL when training on CUDA (this rank's GPU is LOCAL_RANK), else gloo."""
    if device.type == "cuda":
        if ranks.local_rank >= torch.cuda.device_count():
            raise ModelError(
                f"Process {ranks.local_rank} on this machine needs GPU {ranks.local_rank}, but there are "
                f"{torch.cuda.device_count()}: start at most that many processes per node."
            )
        torch.cuda.set_device(ranks.local_rank)  # "cuda" now means this rank's GPU
    backend = "nccl" if device.type == "cuda" else "gloo"
    try:
        dist.init_process_group(backend, timeout=dt.timedelta(seconds=timeout_seconds()))
    except (RuntimeError, ValueError) as err:
        raise ModelError(f"Process {ranks.rank} could not join the other {ranks.world_size - 1}: {err}") from None


def finish() -> None:
    """Leave the process group (if this process joined one)."""
    if active():
        dist.destroy_process_group()


def active() -> bool:
    """Whether this process trains together with others (`start` was called)."""
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    return dist.get_rank() if active() else 0


def world_size() -> int:
    return dist.get_world_size() if active() else 1


def _device() -> torch.device:
    """Where collective tensors must be: NCCL only moves GPU tensors."""
    return torch.device("cuda") if dist.get_backend() == "nccl" else torch.device("cpu")


def own_rows(data: pd.DataFrame) -> pd.DataFrame:
    """This rank's shard: rows rank, rank + W, rank + 2W, ... of the first len(data) // W * W rows.

    Interleaved, so a sorted file still gives every rank the same mix; equal sizes (up to W - 1 rows left out),
    so every rank takes the same number of steps per epoch. A frame read as this rank's shard
    (`gen_models.data.reading.read_table_shard`, marked in its attrs) is this rank's rows already: its first
    `rows` rows are returned (rank 0's rows added for the encoder after them are not trained on).
    """
    size = world_size()
    marked = data.attrs.get(SHARD_ATTR)
    if marked is not None:
        if (marked["rank"], marked["world_size"]) != (rank(), size):
            raise ModelError(
                f"These rows are process {marked['rank']}'s shard of {marked['world_size']}, but this is process "
                f"{rank()} of {size}."
            )
        return data.iloc[: marked["rows"]]
    usable = len(data) // size * size
    if usable == 0:
        raise ModelError(f"{len(data)} rows cannot be shared by {size} processes: each needs at least one row.")
    return data.iloc[rank() : usable : size]


def broadcast_json(value: Any, src: int = 0) -> Any:
    """Rank `src`'s JSON-friendly `value`, on every rank (the others pass anything, e.g. None).

    Sent as UTF-8 JSON bytes, not pickles: what arrives is plain data, read as model.json would be.
    """
    device = _device()
    payload = json.dumps(value).encode() if rank() == src else b""
    length = torch.tensor([len(payload)], dtype=torch.long, device=device)
    dist.broadcast(length, src=src)
    buffer = torch.zeros(int(length.item()), dtype=torch.uint8, device=device)
    if rank() == src:
        buffer.copy_(torch.frombuffer(bytearray(payload), dtype=torch.uint8))
    dist.broadcast(buffer, src=src)
    return json.loads(buffer.cpu().numpy().tobytes().decode()) if rank() != src else value


def broadcast_schema(schema: TableSchema | None) -> TableSchema:
    """Rank 0's schema on every rank (the others pass None): each inferred from its own shard could differ."""
    return TableSchema.from_dict(broadcast_json(schema.to_dict() if rank() == 0 else None))


def add_rows_for_the_encoder(data: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """On rank 0: its shard followed by a few rows made for fitting the encoder; on the others, `data` itself.

    The encoder is fitted on rank 0's shard, which holds the same mix of values as the whole table (interleaved
    rows), but a rare categorical level, or a column's few empty cells, can lie in other shards only, and a rank
    cannot encode what the encoder never saw. So every rank sends the levels of its categorical columns and the
    columns where it has empty cells (JSON, one broadcast per rank), and rank 0 appends, for each one it lacks,
    a copy of its first row with that cell set to the level (or emptied). These rows are for the encoder only:
    the shard mark keeps the shard's row count, so `own_rows` trains on the shard alone. Only for frames read as
    a shard (`SHARD_ATTR`); levels that are not plain JSON values (str, number, bool) are not sent.
    """
    if SHARD_ATTR not in data.attrs:
        return data
    used = [name for name in schema.used_columns if name in data.columns]
    categorical = [name for name in used if schema.column(name).kind == "categorical"]
    mine = {
        "levels": {name: _plain_levels(data[name]) for name in categorical},
        "empty": [name for name in used if bool(data[name].isna().any())],
    }
    everyone = [broadcast_json(mine if rank() == source else None, src=source) for source in range(world_size())]
    if rank() != 0:
        return data
    seen = {name: {json.dumps(level) for level in mine["levels"][name]} for name in categorical}
    empty = set(mine["empty"])
    changes: list[tuple[str, Any]] = []  # (column, level), or (column, None) for an empty cell
    for other in everyone[1:]:
        for name in categorical:
            for level in other["levels"][name]:
                if json.dumps(level) not in seen[name]:
                    seen[name].add(json.dumps(level))
                    changes.append((name, level))
        for name in other["empty"]:
            if name not in empty:
                empty.add(name)
                changes.append((name, None))
    if not changes:
        return data
    extra = data.iloc[[0] * len(changes)].reset_index(drop=True)  # copies of the first row, in the shard's dtypes
    for name in {name for name, _ in changes}:
        cells = extra[name].astype(object).tolist()
        for i, (column, value) in enumerate(changes):
            if column == name:
                cells[i] = value
        try:
            extra[name] = pd.Series(cells, dtype=object).astype(data[name].dtype)
        except (TypeError, ValueError):  # e.g. an empty cell in a column of int64: let pandas pick (float64)
            extra[name] = pd.Series(cells)
    fitting = pd.concat([data, extra], ignore_index=True)
    fitting.attrs = {**data.attrs, SHARD_ATTR: dict(data.attrs[SHARD_ATTR])}
    return fitting


def _plain_levels(column: pd.Series) -> list[Any]:
    """The distinct present values of a column that JSON carries as they are (str, int, float, bool)."""
    values = [value.item() if hasattr(value, "item") else value for value in column.dropna().unique().tolist()]
    return [value for value in values if isinstance(value, (str, int, float, bool))]


def summed(tensor: torch.Tensor) -> torch.Tensor:
    """The element-wise sum of `tensor` over ranks (a new tensor on tensor's device)."""
    total = tensor.detach().to(_device(), copy=True)
    dist.all_reduce(total)
    return total.to(tensor.device)


def smallest(value: int) -> int:
    """The smallest `value` over ranks."""
    number = torch.tensor([value], dtype=torch.long, device=_device())
    dist.all_reduce(number, op=dist.ReduceOp.MIN)
    return int(number.item())


def any_rank(flag: bool) -> bool:
    """True on every rank when `flag` is true on at least one."""
    return smallest(0 if flag else 1) == 0


def broadcast_state(networks: nn.Module, *, buffers_only: bool = False) -> None:
    """Overwrite every rank's parameters and buffers (or only buffers) with rank 0's, in place."""
    tensors = list(networks.buffers()) if buffers_only else [*networks.parameters(), *networks.buffers()]
    with torch.no_grad():
        for tensor in tensors:
            if tensor.device == _device():
                dist.broadcast(tensor.data, src=0)
            else:
                copy = tensor.data.to(_device())
                dist.broadcast(copy, src=0)
                tensor.data.copy_(copy)


def agree_on_step(losses: dict[str, float], stop: bool) -> tuple[dict[str, float], bool]:
    """One all-reduce per step: (each loss averaged over ranks, whether any rank asked to stop)."""
    values = torch.tensor([*losses.values(), 1.0 if stop else 0.0], dtype=torch.float64, device=_device())
    dist.all_reduce(values)
    means = (values[:-1] / world_size()).tolist()
    return dict(zip(losses, means, strict=True)), bool(values[-1].item() > 0)


def _average_hook(optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
    """Before `optimizer.step()`: replace its parameters' gradients with their mean over ranks (one all-reduce).

    A parameter without a gradient is skipped; every rank runs the same code, so the same ones are.
    """
    grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads]).to(_device())
    dist.all_reduce(flat)
    flat /= world_size()
    offset = 0
    for grad in grads:
        grad.copy_(flat[offset : offset + grad.numel()].view_as(grad))
        offset += grad.numel()


def average_gradients_before_steps(model: object) -> int:
    """Hook every optimiser the model holds (its attributes) so each step uses gradients averaged over ranks.

    Returns how many optimisers were hooked; a model that keeps none cannot train across processes (ModelError).
    """
    optimizers = [value for value in vars(model).values() if isinstance(value, torch.optim.Optimizer)]
    if not optimizers:
        raise ModelError(f"{type(model).__name__} keeps no optimiser, so it cannot train across processes.")
    for optimizer in optimizers:
        optimizer.register_step_pre_hook(_average_hook)
    return len(optimizers)
