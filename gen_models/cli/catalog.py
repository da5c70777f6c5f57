"""`list` and `datasets`: what the library offers, as text or JSON."""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("list", help="list the model architectures")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)

    p = subparsers.add_parser("datasets", help="list the bundled data sets that --data accepts by name")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return show_models(args) if args.command == "list" else show_datasets(args)


def show_models(args: argparse.Namespace) -> int:
    from gen_models import list_models

    models = list_models()
    if args.json:
        print(json.dumps([{"name": n, "description": d} for n, d in models.items()], indent=1))
    else:
        width = max(map(len, models))
        for name, description in models.items():
            print(f"{name:<{width}}  {description}")
    return 0


def show_datasets(args: argparse.Namespace) -> int:
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
