"""`design`: find rows whose target column a surrogate regressor predicts near a value (or min / max)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np
import pandas as pd

from gen_models.cli.common import load_table
from gen_models.data.origin import training_data_source
from gen_models.errors import DataError, ModelError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
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
    p.set_defaults(run=run)


def training_data(model: Any, data: str | None) -> pd.DataFrame:
    """The real table to design against: --data, else the source recorded when the model was saved."""
    source = training_data_source(model, override=data)
    if source is None:
        raise DataError("This model does not record the data it was trained on: pass it with --data FILE.csv.")
    frame, layout = load_table(source)  # read as --data reads it, with the same messages
    if layout.kind != "table":
        raise DataError("design works on tables; this data is images or time series.")
    return frame


def run(args: argparse.Namespace) -> int:
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
        print_summary(summary)
    print(f"Wrote {len(result.rows)} designed rows to {args.out}", file=sys.stderr)
    return 0


def print_summary(summary: dict[str, Any]) -> None:
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
