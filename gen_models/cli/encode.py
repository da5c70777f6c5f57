"""`encode`: real rows -> their latent codes, one row per input row, as a CSV of features."""

from __future__ import annotations

import argparse
import sys

from gen_models.cli.common import load_table


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("encode", help="write real rows' latent codes as features (models with an encoder)")
    p.add_argument("dir", help="model directory")
    p.add_argument("--data", required=True, help="the rows to encode: a CSV file or a bundled data set's name")
    p.add_argument("--out", required=True, help="CSV file to write: the kept columns, then one column per code")
    p.add_argument("--keep", default="", metavar="COL,...", help="comma-separated columns to copy over, e.g. an id")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gen_models import load
    from gen_models.data.writing import write_csv
    from gen_models.latent.codes import encode_table

    model = load(args.dir)
    data, _ = load_table(args.data)
    keep = [column.strip() for column in args.keep.split(",") if column.strip()]
    features = encode_table(model, data, keep)
    write_csv(features, args.out)
    codes = len(features.columns) - len(keep)
    print(f"Wrote {len(features)} rows x {codes} codes ({model.name}) to {args.out}.", file=sys.stderr)
    return 0
