"""`train`: fit a model on a CSV file or a bundled data set and save it, with progress on stderr.

Under torchrun (`torchrun --nproc_per_node=N -m gen_models train ...`) every process runs this command and they
train one model together (`gen_models.training.distributed`): each reads only its shard of the rows, rank 0's
schema and encoder are sent to the others; only rank 0 prints progress and writes --out.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gen_models.cli.common import (
    add_kind_argument,
    add_set_argument,
    layout_from_args,
    layout_given,
    pairs,
    writable_directory,
)
from gen_models.data.sources import read_source
from gen_models.errors import ModelError

if TYPE_CHECKING:
    from gen_models.models import GenerativeModel
    from gen_models.training.distributed import Ranks


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train a model on a CSV file or a bundled data set")
    p.add_argument("--data", required=True, help="a CSV file, or the name of a bundled data set")
    p.add_argument("--model", required=True, help="architecture name (see `list`)")
    p.add_argument("--out", required=True, help="directory to write the trained model to")
    p.add_argument("--epochs", type=int, help="passes over the data (default: the model's)")
    p.add_argument("--batch-size", type=int, help="rows per training step (default: the model's)")
    p.add_argument("--seed", type=int, default=0, help="random seed; the same seed repeats a run (default 0)")
    p.add_argument("--condition", help="categorical column to condition on (cgan needs one; wgan_gp may use one)")
    p.add_argument("--discrete", default="", help="comma-separated columns to treat as categorical")
    p.add_argument("--image-shape", metavar="HxW", help="the data are images, one per row: e.g. 28x28")
    p.add_argument("--sequence-key", metavar="COL", help="time series in long format: the column naming each series")
    p.add_argument("--sequence-index", metavar="COL", help="time series in long format: the column ordering steps")
    p.add_argument("--wide", action="store_true", help="time series in wide format: one row per series")
    p.add_argument("--label", metavar="COL", help="images / time series: the label column (kept out of the values)")
    p.add_argument(
        "--resume",
        metavar="DIR",
        help="go on training the model saved in DIR (stopped with Ctrl-C, or an app run's epoch snapshot) for the "
        "rest of its epochs on the same --data, with its own settings; its optimiser restarts",
    )
    add_kind_argument(p)
    add_set_argument(
        p,
        "set one of the model's settings, e.g. c1_tilt=20 or generator_hidden=128,128 (repeatable; "
        "an unknown name prints the model's settings)",
    )
    p.set_defaults(run=run)


def model_settings(model_name: str, items: list[str]) -> dict[str, Any]:
    """--set NAME=VALUE pairs -> settings typed like the model's Config fields."""
    from gen_models.models import REGISTRY
    from gen_models.training import setting_from_text

    if model_name not in REGISTRY:
        return {}  # create() names the known models
    config_cls = REGISTRY[model_name].Config
    return {name: setting_from_text(config_cls, name, text) for name, text in pairs(items, "--set").items()}


def resumed_model(args: argparse.Namespace, ranks: Ranks | None) -> tuple[GenerativeModel, int]:
    """--resume DIR: the saved model and the epochs it has done; ModelError when it cannot go on from there."""
    from gen_models import load

    if ranks is not None:
        raise ModelError("--resume trains in one process: start it without torchrun.")
    if args.set or args.epochs is not None or args.batch_size is not None:
        raise ModelError(
            "--resume goes on with the saved model's own settings: leave out --set, --epochs and --batch-size."
        )
    model = load(args.resume)
    if model.name != args.model:
        raise ModelError(f"{args.resume} holds a {model.name} model, not {args.model}: pass --model {model.name}.")
    if model.result is not None:
        done = model.result.epochs_completed
    else:  # an epoch snapshot, saved before training ended: its history ends with the epoch it was saved at
        done = max((int(record["epoch"]) for record in model.history), default=0)
    if done < 1:
        raise ModelError(
            f"The model in {args.resume} has not finished an epoch: there is nothing to resume; train anew."
        )
    return model, done


def format_seconds(seconds: float) -> str:
    if seconds != seconds:  # NaN: not known yet
        return "?"
    return f"{seconds:.0f}s" if seconds < 120 else f"{seconds / 60:.1f}min"


def run(args: argparse.Namespace) -> int:
    from gen_models.training import distributed, select_device

    ranks = distributed.from_environment()
    if ranks is None:
        return train(args, None)
    device = model_settings(args.model, args.set).get("device", "auto")  # TrainConfig's default
    distributed.start(ranks, select_device(str(device)))
    try:
        return train(args, ranks)
    except RuntimeError as err:  # a collective call failed: another process ended or stopped answering
        print(
            f"error: process {ranks.rank} of {ranks.world_size}: another process ended or stopped answering, so "
            f"training together stopped (see that process's error; here: {type(err).__name__})",
            file=sys.stderr,
        )
        return 1
    finally:
        distributed.finish()


def train(args: argparse.Namespace, ranks: Ranks | None) -> int:
    """The command, alone or as one of torchrun's processes (`ranks`)."""
    from gen_models import create
    from gen_models.latent.directions import store_directions
    from gen_models.training.threads import set_training_threads

    def say(line: str) -> None:
        if ranks is None or ranks.rank == 0:
            print(line, file=sys.stderr)

    settings: dict[str, Any] = {"seed": args.seed, **model_settings(args.model, args.set)}
    if args.epochs is not None:
        if args.epochs < 1:
            raise ModelError("--epochs must be at least 1.")
        settings["epochs"] = args.epochs
    if args.batch_size is not None:
        if args.batch_size < 1:
            raise ModelError("--batch-size must be at least 1.")
        settings["batch_size"] = args.batch_size
    model, start_epoch = resumed_model(args, ranks) if args.resume else (create(args.model, **settings), 0)
    condition = model.condition_column if start_epoch and args.condition is None else args.condition
    if ranks is None or ranks.rank == 0:
        writable_directory(args.out)  # before reading and training, so a typo in --out costs nothing
    # Under torchrun each process reads only its own rows (every N-th), not the whole file.
    source = read_source(args.data, shard=None if ranks is None else (ranks.rank, ranks.world_size))
    data = source.frame
    layout = layout_from_args(args, source.layout)
    if source.read is not None:
        say(f"Read {args.data}: {source.read.describe()}.")
    if source.layout_reason and not layout_given(args):
        say(f"Layout: {source.layout_reason} (layout flags override it.)")
    discrete = [c.strip() for c in args.discrete.split(",") if c.strip()]
    kinds = pairs(args.kind, "--kind")

    from gen_models.data import infer_schema, validate_table

    schema = None
    if ranks is None or ranks.rank == 0:
        schema = infer_schema(data, overrides=kinds or None, discrete=discrete or None)
    if ranks is not None:  # rank 0's, inferred from its shard: the same kinds and dtypes everywhere
        from gen_models.training import distributed

        schema = distributed.broadcast_schema(schema)
    if layout.kind == "table":
        validate_table(data, schema)  # before announcing the run: a bad table fails fast
    for warning in schema.warnings:
        say(f"warning: {warning}")
    # Processes on one machine share its cores (and their starts would read as load, so it is not measured).
    threads = set_training_threads(1 if ranks is None else ranks.local_world_size, measure_load=ranks is None)
    rows = len(data) if source.shard is None else source.shard.file_rows
    together = "" if ranks is None else f", {ranks.world_size} processes, each on its 1/{ranks.world_size} of the rows"
    if source.shard is not None:
        together += f" ({source.shard.rows} each, read by that process alone)"
    if start_epoch:
        together += f"; resuming after epoch {start_epoch}, with the saved settings and a fresh optimiser"
    say(
        f"Training {model.name} on {rows} rows x {len(data.columns)} columns "
        f"({layout.kind}, seed {model.config.seed}{together}; {threads.threads} thread"
        f"{'s' * (threads.threads != 1)}: {threads.reason})."
    )

    if ranks is not None and layout.kind == "table":
        # The encoder is fitted on rank 0's shard: with a row for each level or empty cell only other shards hold.
        data = distributed.add_rows_for_the_encoder(data, schema)

    last_print = [0.0]

    def progress(metrics: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - last_print[0] < 1.0 and metrics["epoch"] != metrics["epochs"]:
            return  # at most one line a second, plus the last epoch
        last_print[0] = now
        losses = "  ".join(
            f"{k} {v:.4f}" for k, v in metrics.items() if k not in {"epoch", "epochs", "step", "elapsed", "remaining"}
        )
        say(
            f"epoch {metrics['epoch']}/{metrics['epochs']}  {losses}  "
            f"elapsed {format_seconds(metrics['elapsed'])}  remaining {format_seconds(metrics['remaining'])}"
        )

    # Train in a worker thread so Ctrl-C can stop it cleanly and the partial model is still saved.
    stop = threading.Event()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = model.fit(
                data,
                condition=condition,
                layout=layout,
                schema=schema,
                on_epoch=progress,
                stop_event=stop,
                start_epoch=start_epoch,
            )
        except BaseException as err:  # handed to the main thread, which reports it
            outcome["error"] = err

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        print("Stopping after the current step...", file=sys.stderr)
        stop.set()
        worker.join()
    if "error" in outcome:
        raise outcome["error"]
    result = outcome["result"]
    if ranks is not None and ranks.rank != 0:
        return 0  # rank 0 writes the model
    # Remember where the data came from, so `design` and the app can find it again.
    origin = {"data_file": str(Path(args.data).resolve())} if Path(args.data).is_file() else {"dataset": args.data}
    store_directions(model)  # saved with the model, so `directions`, `info` and the app need not search again
    out = model.save(args.out, extra=origin)
    level = "warning: " if result.status == "diverged" else ""
    print(f"{level}{result.message} Took {result.seconds:.1f}s. Saved to {out}", file=sys.stderr)
    return 0
