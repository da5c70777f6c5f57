"""`inspect`: what the library reads and infers from a file or a bundled data set, without training."""

from __future__ import annotations

import argparse
import json
from typing import Any

from gen_models.data.sources import read_source


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("inspect", help="show how a file is read: columns, kinds, layout, warnings")
    p.add_argument("--data", required=True, help="a CSV/Parquet/Excel file, or the name of a bundled data set")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def summary(source: str) -> dict[str, Any]:
    """The `inspect --json` contract: rows, columns (name, kind, dtype, reason, missing_rate, n_unique), layout,
    how the file was read (None for a bundled data set) and warnings."""
    from gen_models.data import infer_schema

    found = read_source(source)
    schema = infer_schema(found.frame, ignore_unusable=True)
    layout = found.layout.to_dict()
    layout["format"] = ("wide" if found.layout.wide else "long") if found.layout.kind == "sequences" else None
    layout["reason"] = found.layout_reason or "the bundled data set's own layout"
    columns = [
        {
            "name": spec.name,
            "kind": spec.kind,
            "dtype": spec.dtype,
            "reason": spec.reason,
            "missing_rate": spec.missing_rate,
            "n_unique": spec.n_unique,
        }
        for spec in schema.columns
    ]
    read = None if found.read is None else found.read.to_dict()
    return {"rows": len(found.frame), "columns": columns, "layout": layout, "read": read, "warnings": schema.warnings}


def run(args: argparse.Namespace) -> int:
    info = summary(args.data)
    if args.json:
        print(json.dumps(info, indent=1, default=str))
        return 0
    read = info["read"]
    print(f"{args.data}: {info['rows']:,} rows, {len(info['columns'])} columns")
    if read is not None:
        from gen_models.data.reading import ReadInfo

        print(f"read as    {ReadInfo(**read).describe()}")
    layout = info["layout"]
    print(f"layout     {layout['kind']}: {layout['reason']}")
    width = max([len(str(column["name"])) for column in info["columns"]] + [6])
    for column in info["columns"]:
        missing = f", {column['missing_rate']:.0%} empty" if column["missing_rate"] else ""
        print(f"  {str(column['name']):<{width}}  {column['kind']:<11} {column['reason']}{missing}")
    for warning in info["warnings"]:
        print(f"warning: {warning}")
    return 0
