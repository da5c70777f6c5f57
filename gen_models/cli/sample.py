"""`sample`: generate rows from a trained model into a CSV file."""

from __future__ import annotations

import argparse
import sys

from gen_models.cli.common import pairs
from gen_models.errors import ModelError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sample", help="generate rows from a trained model")
    p.add_argument("dir", help="model directory")
    p.add_argument("--rows", type=int, required=True, help="number of rows to write")
    p.add_argument("--out", required=True, help="CSV file to write")
    p.add_argument("--seed", type=int, help="random seed; the same seed gives the same rows")
    p.add_argument("--code", action="append", default=[], metavar="NAME=VALUE", help="fix a latent code (repeatable)")
    p.add_argument("--condition", help="value of the condition column, for conditional models")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gen_models import load

    if args.rows < 1:
        raise ModelError("--rows must be at least 1.")
    model = load(args.dir)
    codes = pairs(args.code, "--code")
    rows = model.sample(args.rows, codes=codes, condition=args.condition, seed=args.seed)
    rows.to_csv(args.out, index=False)
    print(f"Wrote {len(rows)} rows to {args.out}", file=sys.stderr)
    return 0
