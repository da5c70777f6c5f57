"""`augment`: does training a predictive model on generated rows (or latent codes) help on real data?"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from gen_models.cli.common import add_kind_argument, add_set_argument, load_table, pairs
from gen_models.cli.train import format_seconds, model_settings
from gen_models.errors import DataError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "augment", help="measure whether a model's rows or codes help predict a column on real hold-out rows"
    )
    p.add_argument("--data", required=True, help="a CSV file, or the name of a bundled table")
    p.add_argument("--target", required=True, help="the column to predict from the others")
    p.add_argument("--model", required=True, help="the generator's architecture (see `list`)")
    p.add_argument("--rows", type=int, help="synthetic rows to add (default: as many as the training rows)")
    p.add_argument("--train-rows", type=int, help="keep only this many of the 80%% training rows (a small data set)")
    p.add_argument("--seed", type=int, default=0, help="seed for the split, the generator and the predictor")
    p.add_argument("--rare-only", action="store_true", help="categorical target: generate only the rarer classes")
    add_kind_argument(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    add_set_argument(p, "one of the generator's settings, e.g. epochs=50 (repeatable)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gen_models.data import infer_schema
    from gen_models.evaluation.augmentation import SCORE_LABELS, augment

    settings = model_settings(args.model, args.set)
    data, layout = load_table(args.data)
    if layout.kind != "table":
        raise DataError(f"augment measures tables; '{args.data}' holds {layout.kind}.")
    schema = infer_schema(data, overrides=pairs(args.kind, "--kind") or None)
    last_print = [0.0]

    def progress(metrics: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - last_print[0] >= 1.0 or metrics["epoch"] == metrics["epochs"]:
            last_print[0] = now
            print(
                f"training {args.model}: epoch {metrics['epoch']}/{metrics['epochs']}  "
                f"remaining {format_seconds(metrics['remaining'])}",
                file=sys.stderr,
            )

    result = augment(
        data,
        args.target,
        args.model,
        rows=args.rows,
        train_rows=args.train_rows,
        seed=args.seed,
        rare_only=args.rare_only,
        settings=settings,
        schema=schema,
        on_epoch=progress,
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=1))
        return 0
    metric = "macro F1" if result.metric == "macro_f1" else "R²"
    print(
        f"Predicting {result.target} ({metric} on the same {result.holdout_rows} real hold-out rows); "
        f"{result.train_rows} real training rows, {result.synthetic_rows} synthetic rows from {result.model}"
        + (
            f" (only rarer classes: {', '.join(f'{k} {v}' for k, v in result.generated_classes.items())})"
            if result.rare_only
            else ""
        )
        + "."
    )
    for name, label in SCORE_LABELS.items():
        score = result.scores[name]
        if score is None:
            reason = "this model has no encoder" if name == "real_codes" else "no usable rows"
            print(f"  {label:<32} -       ({reason})")
            continue
        gain = "" if name == "real" else f"  {result.gains[name]:+.3f} vs real rows"
        print(f"  {label:<32} {score:.3f}{gain}")
    if result.training["status"] != "finished":
        print(f"warning: the generator's training {result.training['status']}: {result.training['message']}")
    print("One split and one seed: differences of a few hundredths can be chance.")
    return 0
