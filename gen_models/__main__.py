"""Command line: everything the app does with models, without a browser.

    python -m gen_models list [--json]
    python -m gen_models datasets [--json]
    python -m gen_models train --data FILE.csv|NAME --model NAME --out DIR [--epochs N] [--batch-size N]
                               [--seed N] [--condition COLUMN] [--discrete COL,COL...] [--kind COL=KIND ...]
                               [--image-shape HxW | --sequence-key COL --sequence-index COL | --wide] [--label COL]
                               [--set NAME=VALUE ...]   (any model setting, e.g. --set c1_tilt=20)
    python -m gen_models info DIR [--json]
    python -m gen_models sample DIR --rows N --out FILE.csv [--seed N] [--code NAME=VALUE ...] [--condition VALUE]
    python -m gen_models evaluate --real FILE.csv|NAME --synthetic FILE.csv [--target COLUMN] [--json]
    python -m gen_models design DIR --target COLUMN --value V|min|max --rows N --out FILE.csv [--seed N]
                                [--data FILE.csv|NAME] [--method gradient|evolution] [--steps N]
                                [--condition VALUE] [--data-space-out FILE.csv] [--json]

Problems with the input print one clear line to stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gen_models.data.layouts import DataLayout, parse_image_shape
from gen_models.errors import USER_ERRORS, DataError, ModelError

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage mistakes with our exit status and one plain line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USER_ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m gen_models", description="Latent Lab: train and sample generative models.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = commands.add_parser("list", help="list the model architectures")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = commands.add_parser("datasets", help="list the bundled data sets that --data accepts by name")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = commands.add_parser("train", help="train a model on a CSV file or a bundled data set")
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
        "--kind",
        action="append",
        default=[],
        metavar="COL=KIND",
        help="set a column's kind: continuous, integer, categorical, datetime or ignore (repeatable)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set one of the model's settings, e.g. c1_tilt=20 or generator_hidden=128,128 (repeatable; "
        "an unknown name prints the model's settings)",
    )

    p = commands.add_parser("info", help="describe a trained model directory")
    p.add_argument("dir", help="model directory")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = commands.add_parser("sample", help="generate rows from a trained model")
    p.add_argument("dir", help="model directory")
    p.add_argument("--rows", type=int, required=True, help="number of rows to write")
    p.add_argument("--out", required=True, help="CSV file to write")
    p.add_argument("--seed", type=int, help="random seed; the same seed gives the same rows")
    p.add_argument("--code", action="append", default=[], metavar="NAME=VALUE", help="fix a latent code (repeatable)")
    p.add_argument("--condition", help="value of the condition column, for conditional models")
    p = commands.add_parser("evaluate", help="score synthetic rows against real ones")
    p.add_argument("--real", required=True, help="the real data: a CSV file or a bundled data set's name")
    p.add_argument("--synthetic", required=True, help="the synthetic CSV file (same columns)")
    p.add_argument("--target", help="a column to predict: adds train-on-synthetic / test-on-real utility")
    p.add_argument("--seed", type=int, default=0, help="seed for the cross-validation splits (default 0)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = commands.add_parser(
        "design", help="find rows whose target column a surrogate regressor predicts near a value (or min / max)"
    )
    p.add_argument("dir", help="a trained table model's directory")
    p.add_argument("--target", required=True, help="the numeric column to steer")
    p.add_argument("--value", required=True, help="the value to hit, or 'min' / 'max'")
    p.add_argument("--rows", type=int, required=True, help="number of designed rows to write")
    p.add_argument("--out", required=True, help="CSV file for the designed rows")
    p.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same rows (default 0)")
    p.add_argument(
        "--data", help="the real data the model was trained on (default: the data set named in the model directory)"
    )
    p.add_argument("--method", choices=["gradient", "evolution"], default="gradient", help="search (default gradient)")
    p.add_argument("--steps", type=int, help="search steps (default 200 gradient, 100 evolution)")
    p.add_argument("--condition", help="value of the condition column, for conditional models")
    p.add_argument("--data-space-out", metavar="FILE.csv", help="also write the rows found directly in data space")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {
        "list": cmd_list,
        "datasets": cmd_datasets,
        "train": cmd_train,
        "info": cmd_info,
        "sample": cmd_sample,
        "evaluate": cmd_evaluate,
        "design": cmd_design,
    }
    try:
        return handlers[args.command](args)
    except USER_ERRORS as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as err:  # unwritable output path, full disk, ...
        print(f"error: {err.strerror or err} ({err.filename})", file=sys.stderr)
        return EXIT_USER_ERROR


# ----- commands ------------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    from gen_models import list_models

    models = list_models()
    if args.json:
        print(json.dumps([{"name": n, "description": d} for n, d in models.items()], indent=1))
    else:
        width = max(map(len, models))
        for name, description in models.items():
            print(f"{name:<{width}}  {description}")
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from gen_models.data.datasets import list_datasets

    infos = list_datasets()
    if args.json:
        rows = [
            {
                "name": i.name,
                "title": i.title,
                "kind": i.kind,
                "rows": i.n_rows,
                "label": i.label,
                "description": i.description,
                "source": i.source,
                "licence": i.licence,
            }
            for i in infos
        ]
        print(json.dumps(rows, indent=1))
    else:
        width = max(len(i.name) for i in infos)
        for info in infos:
            print(f"{info.name:<{width}}  {info.kind:<9}  {info.n_rows:>6} rows  {info.title}")
    return 0


def load_table(source: str) -> tuple[pd.DataFrame, DataLayout]:
    """A CSV path (read as a table), or a bundled data set's name (with its own layout)."""
    from gen_models.data import read_csv
    from gen_models.data.datasets import dataset_info, list_datasets, load_dataset

    path = Path(source)
    if path.is_file():
        return read_csv(path), DataLayout()
    names = [info.name for info in list_datasets()]
    if source in names:
        return load_dataset(source), dataset_info(source).layout
    if path.suffix.lower() in {".csv", ".txt", ".tsv"} or "/" in source:
        raise DataError(f"There is no file '{source}'.")
    raise DataError(f"'{source}' is neither a file nor a bundled data set. Bundled data sets: {', '.join(names)}.")


def layout_from_args(args: argparse.Namespace, default: DataLayout) -> DataLayout:
    """Layout flags win over a bundled data set's own layout; none given keeps it."""
    if args.image_shape and (args.sequence_key or args.sequence_index or args.wide):
        raise DataError("Choose images (--image-shape) or time series (--sequence-key/--wide), not both.")
    if args.image_shape:
        return DataLayout(kind="images", image_shape=parse_image_shape(args.image_shape), label=args.label)
    if args.sequence_key or args.sequence_index or args.wide:
        return DataLayout(
            kind="sequences",
            sequence_key=args.sequence_key,
            sequence_index=args.sequence_index,
            wide=args.wide,
            label=args.label,
        )
    if args.label:
        if default.kind == "table":
            raise DataError("--label is for images and time series; for tables use --condition.")
        return dataclasses.replace(default, label=args.label)
    return default


def _pairs(items: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ModelError(f"{what} must look like NAME=VALUE, not '{item}'.")
        pairs[name.strip()] = value.strip()
    return pairs


def _model_settings(model_name: str, items: list[str]) -> dict[str, Any]:
    """--set NAME=VALUE pairs -> settings typed like the model's Config fields."""
    from gen_models.models import REGISTRY
    from gen_models.training import setting_from_text

    if model_name not in REGISTRY:
        return {}  # create() names the known models
    config_cls = REGISTRY[model_name].Config
    return {name: setting_from_text(config_cls, name, text) for name, text in _pairs(items, "--set").items()}


def _fmt_seconds(seconds: float) -> str:
    if seconds != seconds:  # NaN: not known yet
        return "?"
    return f"{seconds:.0f}s" if seconds < 120 else f"{seconds / 60:.1f}min"


def cmd_train(args: argparse.Namespace) -> int:
    from gen_models import create

    settings: dict[str, Any] = {"seed": args.seed, **_model_settings(args.model, args.set)}
    if args.epochs is not None:
        if args.epochs < 1:
            raise ModelError("--epochs must be at least 1.")
        settings["epochs"] = args.epochs
    if args.batch_size is not None:
        if args.batch_size < 1:
            raise ModelError("--batch-size must be at least 1.")
        settings["batch_size"] = args.batch_size
    model = create(args.model, **settings)
    data, layout = load_table(args.data)
    layout = layout_from_args(args, layout)
    discrete = [c.strip() for c in args.discrete.split(",") if c.strip()]
    kinds = _pairs(args.kind, "--kind")

    from gen_models.data import infer_schema, validate_table

    schema = infer_schema(data, overrides=kinds or None, discrete=discrete or None)
    if layout.kind == "table":
        validate_table(data, schema)  # before announcing the run: a bad table fails fast
    for warning in schema.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"Training {model.name} on {len(data)} rows x {len(data.columns)} columns "
        f"({layout.kind}, seed {model.config.seed}).",
        file=sys.stderr,
    )

    last_print = [0.0]

    def progress(metrics: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - last_print[0] < 1.0 and metrics["epoch"] != metrics["epochs"]:
            return  # at most one line a second, plus the last epoch
        last_print[0] = now
        losses = "  ".join(
            f"{k} {v:.4f}" for k, v in metrics.items() if k not in {"epoch", "epochs", "step", "elapsed", "remaining"}
        )
        print(
            f"epoch {metrics['epoch']}/{metrics['epochs']}  {losses}  "
            f"elapsed {_fmt_seconds(metrics['elapsed'])}  remaining {_fmt_seconds(metrics['remaining'])}",
            file=sys.stderr,
        )

    # Train in a worker thread so Ctrl-C can stop it cleanly and the partial model is still saved.
    stop = threading.Event()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = model.fit(
                data, condition=args.condition, layout=layout, schema=schema, on_epoch=progress, stop_event=stop
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
    # Remember where the data came from, so `design` and the app can find it again.
    origin = {"data_file": str(Path(args.data).resolve())} if Path(args.data).is_file() else {"dataset": args.data}
    out = model.save(args.out, extra=origin)
    level = "warning: " if result.status == "diverged" else ""
    print(f"{level}{result.message} Took {result.seconds:.1f}s. Saved to {out}", file=sys.stderr)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from gen_models import load

    model = load(args.dir)
    info = model.describe()
    if args.json:
        print(json.dumps(info, indent=1))
        return 0
    assert model.schema is not None
    print(f"model: {model.name} — {model.description}")
    if model.layout.kind != "table":
        print(f"data: {model.layout.kind} ({json.dumps(model.layout.to_dict())})")
    if model.layout.kind == "table":
        print("columns:")
        for col in model.schema.columns:
            print(f"  {col.name}: {col.kind}")
    else:
        columns = info["columns"]
        print(f"columns: {len(columns)} ({', '.join(columns[:3])}, ..., {columns[-1]})")
    if info["condition"]:
        print(f"condition: {info['condition']['column']} in {info['condition']['values']}")
    print("codes:")
    for code in info["codes"]:
        span = f"levels {code['levels']}" if code["kind"] == "categorical" else f"{code['low']:g} to {code['high']:g}"
        print(f"  {code['name']}: {code['kind']}, {span} — {code['meaning']}")
    if model.result is not None:
        print(f"training: {model.result.message} ({model.result.seconds:.1f}s)")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from gen_models import load

    if args.rows < 1:
        raise ModelError("--rows must be at least 1.")
    model = load(args.dir)
    codes = _pairs(args.code, "--code")
    rows = model.sample(args.rows, codes=codes, condition=args.condition, seed=args.seed)
    rows.to_csv(args.out, index=False)
    print(f"Wrote {len(rows)} rows to {args.out}", file=sys.stderr)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from gen_models.data import infer_schema, read_csv
    from gen_models.evaluation import evaluate

    real, layout = load_table(args.real)
    if layout.kind != "table":
        raise DataError("evaluate scores tables; images and time series are scored by the benchmarks in bench/.")
    if not Path(args.synthetic).is_file():
        raise DataError(f"There is no file '{args.synthetic}'.")
    synthetic = read_csv(args.synthetic)
    schema = infer_schema(real)
    columns = schema.used_columns
    missing = [c for c in columns if c not in synthetic.columns]
    if missing:
        raise DataError(f"The synthetic file lacks the real data's column(s): {', '.join(missing)}.", column=missing[0])
    if args.target is not None and args.target not in columns:
        raise DataError(f"There is no column '{args.target}' to predict.", column=args.target)
    kinds = {c.name: c.kind for c in schema.columns if c.kind != "ignore"}
    report = evaluate(real[columns], synthetic[columns], target=args.target, kinds=kinds, seed=args.seed)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"quality        {report['quality']:.3f}   (1 = same distributions; mean of the two below)")
    print(f"  column shapes {report['column_shapes']:.3f}  (1 - KS / 1 - TVD per column)")
    if report["pair_trends"] is not None:
        print(f"  pair trends   {report['pair_trends']:.3f}  (correlation / contingency similarity per pair)")
    print(f"detection AUC  {report['detection_auc']:.3f}   (0.5 = a classifier cannot tell synthetic from real)")
    if report["utility"]:
        u = report["utility"]
        print(
            f"utility        {u['metric']} train-on-synthetic {u['train_synthetic']:.3f} vs train-on-real "
            f"{u['train_real']:.3f} (ratio {u['ratio'] if u['ratio'] is None else round(u['ratio'], 3)})"
        )
    p = report["privacy"]
    print(
        f"privacy        median distance to closest real row: synthetic {p['dcr_synthetic_median']:.3f}, "
        f"real hold-out {p['dcr_holdout_median']:.3f}; exact copies {p['exact_copies']:.1%}"
    )
    worst = sorted(report["columns"].items(), key=lambda item: item[1])[:3]
    print("worst columns  " + ", ".join(f"{name} {score:.3f}" for name, score in worst))
    return 0


def training_data(model: Any, data: str | None) -> pd.DataFrame:
    """The real table to design against: --data, else the source recorded when the model was saved."""
    if data is not None:
        frame, layout = load_table(data)
    elif model.extra.get("dataset"):
        frame, layout = load_table(model.extra["dataset"])
    elif model.extra.get("data_file") and Path(model.extra["data_file"]).is_file():
        frame, layout = load_table(model.extra["data_file"])
    else:
        raise DataError("This model does not record the data it was trained on: pass it with --data FILE.csv.")
    if layout.kind != "table":
        raise DataError("design works on tables; this data is images or time series.")
    return frame


def cmd_design(args: argparse.Namespace) -> int:
    from gen_models import load
    from gen_models.latent.design import design

    model = load(args.dir)
    if model.layout.kind != "table":
        raise ModelError(f"design works on table models; this {model.name} makes {model.layout.kind}.")
    if args.steps is not None and args.steps < 1:
        raise ModelError("--steps must be at least 1.")
    real = training_data(model, args.data)
    missing = [c for c in model.encoder.columns if c not in real.columns]
    if missing:
        raise DataError(f"The data lacks the model's column(s): {', '.join(missing)}.", column=missing[0])
    result = design(
        model,
        real,
        args.target,
        args.value,
        rows=args.rows,
        method=args.method,
        steps=args.steps,
        condition=args.condition,
        seed=args.seed,
    )
    result.rows.to_csv(args.out, index=False)
    if args.data_space_out:
        result.data_space_rows.to_csv(args.data_space_out, index=False)
    summary = {
        "target": args.target,
        "goal": result.goal if result.goal != "value" else result.value,
        "rows": len(result.rows),
        "surrogate_r2": result.surrogate_r2,
        "surrogate_mae": result.surrogate_mae,
        "tolerance": result.tolerance,
        "latent": {
            "median_prediction": float(np.median(result.predictions)),
            "hit_share": result.hit_share(result.predictions),
            **result.realism["latent"],
        },
        "data_space": {
            "median_prediction": float(np.median(result.data_space_predictions)),
            "hit_share": result.hit_share(result.data_space_predictions),
            "median_prediction_snapped": float(np.median(result.data_space_snapped)),
            **result.realism["data space"],
        },
    }
    if args.json:
        print(json.dumps(summary, indent=1, default=lambda v: None if v != v else v))
    else:
        _print_design(summary, result)
    print(f"Wrote {len(result.rows)} designed rows to {args.out}", file=sys.stderr)
    return 0


def _print_design(summary: dict[str, Any], result: Any) -> None:
    goal = summary["goal"]
    aim = f"as {'low' if goal == 'min' else 'high'} as possible" if goal in ("min", "max") else f"near {goal:g}"
    print(f"Designed {summary['rows']} rows with '{summary['target']}' predicted {aim}.")
    print(
        f"surrogate      R² {summary['surrogate_r2']:.3f} on held-out real rows "
        f"(mean error {summary['surrogate_mae']:.4g}): its predictions are only as good as this"
    )
    for name, key in (("latent space", "latent"), ("data space", "data_space")):
        s = summary[key]
        hits = "" if goal in ("min", "max") else f", {s['hit_share']:.0%} within ±{summary['tolerance']:.3g}"
        print(f"{name:<14} median prediction {s['median_prediction']:.4g}{hits}")
        print(
            f"{'':<14} distance to nearest real row {s['nearest_real']:.2f} (real rows: {s['real_to_real']:.2f}); "
            f"out of range {s['out_of_range']:.0%}; between categories {s['between_levels']:.0%}; "
            f"unseen category combinations {s['unseen_combinations']:.0%}"
        )
    print(
        f"{'':<14} with categories snapped to real levels, the data-space rows are predicted "
        f"{summary['data_space']['median_prediction_snapped']:.4g} (median)"
    )


if __name__ == "__main__":
    sys.exit(main())
