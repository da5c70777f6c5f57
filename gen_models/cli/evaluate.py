"""`evaluate`: score synthetic rows against real ones (quality, detection, utility, privacy)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gen_models.cli.common import load_table
from gen_models.errors import DataError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="score synthetic rows against real ones")
    p.add_argument("--real", required=True, help="the real data: a CSV file or a bundled data set's name")
    p.add_argument("--synthetic", required=True, help="the synthetic CSV file (same columns)")
    p.add_argument("--target", help="a column to predict: adds train-on-synthetic / test-on-real utility")
    p.add_argument("--seed", type=int, default=0, help="seed for the cross-validation splits (default 0)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gen_models.data import infer_schema, read_csv
    from gen_models.evaluation import evaluate
    from gen_models.evaluation.report import worst_columns

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
    report = evaluate(real[columns], synthetic[columns], target=args.target, kinds=schema.kinds(), seed=args.seed)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    scored = report["rows_scored"]
    if scored["real"] < scored["real_total"] or scored["synthetic"] < scored["synthetic_total"]:
        print(
            f"scored on a seeded sample: {scored['real']:,} of {scored['real_total']:,} real rows, "
            f"{scored['synthetic']:,} of {scored['synthetic_total']:,} synthetic"
        )
    print(f"quality        {report['quality']:.3f}   (1 = same distributions; mean of the two below)")
    print(f"  column shapes {report['column_shapes']:.3f}  (1 - KS / 1 - TVD per column)")
    if report["pair_trends"] is not None:
        print(f"  pair trends   {report['pair_trends']:.3f}  (correlation / contingency similarity, related pairs)")
    else:
        print("  pair trends   -      (no pair of columns is clearly related in the real data)")
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
    worst = worst_columns(report)[:3]
    print("worst columns  " + ", ".join(f"{name} {score:.3f}" for name, score in worst))
    return 0
