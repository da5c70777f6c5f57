"""`directions`: the discovered directions of a trained model (`gen_models.latent.directions`), as text or JSON."""

from __future__ import annotations

import argparse
import json

from gen_models.errors import ModelError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from gen_models.latent.directions import DEFAULT_COUNT, DEFAULT_METHOD, METHODS

    p = subparsers.add_parser("directions", help="the directions in a model's latent space that change it most")
    p.add_argument("dir", help="model directory")
    p.add_argument("--count", type=int, default=DEFAULT_COUNT, help=f"how many (default {DEFAULT_COUNT})")
    p.add_argument(
        "--method", choices=METHODS, default=DEFAULT_METHOD, help=f"how to find them (default {DEFAULT_METHOD})"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gen_models import load
    from gen_models.latent.directions import directions_of, find_directions

    if args.count < 1:
        raise ModelError("--count must be at least 1.")
    model = load(args.dir)
    found = directions_of(model)  # the saved ones, or the default search
    if args.count != len(found.items) or args.method != found.method:
        found = find_directions(model, count=args.count, method=args.method)
    listed = [{"name": d.name, "label": d.label, "effects": d.effects} for d in found.items]
    if args.json:
        print(json.dumps({"model": model.name, "method": found.method, "directions": listed}, indent=1))
        return 0
    print(f"{len(listed)} directions in {model.name}'s latent space ({found.method}); a step from -2 to +2 gives:")
    for direction in listed:
        print(f"  {direction['name']}: {direction['label']}")
    print("Move along one with: python -m gen_models sample DIR --direction NAME=VALUE (values in prior stds).")
    return 0
