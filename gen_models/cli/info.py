"""`info`: describe a trained model directory, as text or JSON."""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("info", help="describe a trained model directory")
    p.add_argument("dir", help="model directory")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
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
    print("directions (a step from -2 to +2; `directions DIR` for more):")
    for direction in info["directions"]:
        print(f"  {direction['name']}: {direction['label']}")
    if model.result is not None:
        print(f"training: {model.result.message} ({model.result.seconds:.1f}s)")
    return 0
