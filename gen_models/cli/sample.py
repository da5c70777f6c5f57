"""`sample`: generate rows from a trained model into a CSV file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from gen_models.cli.common import pairs
from gen_models.data.writing import write_csv, write_parquet_chunks
from gen_models.errors import ModelError

if TYPE_CHECKING:
    import pandas as pd

# Rows made at a time: 100,000 rows of a wide table stay well under a gigabyte.
CHUNK_ROWS = 100_000
# Later chunks' seeds step by this much, far from the seeds people type.
SEED_STRIDE = 1_000_003


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sample", help="generate rows from a trained model")
    p.add_argument("dir", help="model directory")
    p.add_argument("--rows", type=int, required=True, help="number of rows to write")
    p.add_argument("--out", required=True, help="CSV file to write, or Parquet when it ends in .parquet")
    p.add_argument("--seed", type=int, help="random seed; the same seed gives the same rows")
    p.add_argument("--code", action="append", default=[], metavar="NAME=VALUE", help="fix a latent code (repeatable)")
    p.add_argument("--condition", help="value of the condition column, for conditional models")
    p.add_argument(
        "--direction",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="move along a discovered direction (see `directions DIR`), VALUE in prior stds (repeatable)",
    )
    p.add_argument(
        "--fix",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="fix a column's value and fill in the rest of each row (repeatable; autoregressive models)",
    )
    p.add_argument(
        "--keep-formulas",
        action="store_true",
        help="write text cells starting with = + - @ as they are (by default they get a leading ' so that a "
        "spreadsheet shows them as text instead of running them as formulas)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gen_models import load

    if args.rows < 1:
        raise ModelError("--rows must be at least 1.")
    model = load(args.dir)
    codes = pairs(args.code, "--code")
    fixed = pairs(args.fix, "--fix") or None
    directions = pairs(args.direction, "--direction") or None

    # Any row count with bounded memory: rows are made and appended in chunks. The first chunk is exactly
    # model.sample(n, seed=seed); each later chunk has its own seed derived from it, so a rerun repeats the file.
    def chunks() -> Iterator[pd.DataFrame]:  # each made as the one before is written
        # Only table rows are chunked: a series' id is numbered within one call, so chunks would repeat ids.
        for chunk, n in enumerate(chunk_sizes(args.rows, None if model.layout.kind == "table" else args.rows)):
            seed = args.seed if chunk == 0 or args.seed is None else args.seed + chunk * SEED_STRIDE
            yield model.sample(n, codes=codes, condition=args.condition, seed=seed, fixed=fixed, directions=directions)

    if str(args.out).lower().endswith(".parquet"):
        written = write_parquet_chunks(chunks(), args.out)
    else:
        written = 0
        with open(args.out, "w", encoding="utf-8", newline="") as handle:
            for chunk, rows in enumerate(chunks()):
                write_csv(rows, handle, keep_formulas=args.keep_formulas, header=chunk == 0)
                written += len(rows)
    print(f"Wrote {written} rows to {args.out}", file=sys.stderr)
    return 0


def chunk_sizes(total: int, chunk: int | None = None) -> list[int]:
    """Row counts of the chunks `sample` writes: CHUNK_ROWS each, the rest last."""
    chunk = chunk or CHUNK_ROWS
    return [chunk] * (total // chunk) + ([total % chunk] if total % chunk else [])
