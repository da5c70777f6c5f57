"""Command line: everything the app does with models, without a browser.

    python -m gen_models list [--json]
    python -m gen_models datasets [--json]
    python -m gen_models inspect --data FILE|NAME [--json]
    python -m gen_models train --data FILE.csv|NAME --model NAME --out DIR [--epochs N] [--batch-size N]
                               [--seed N] [--condition COLUMN] [--discrete COL,COL...] [--kind COL=KIND ...]
                               [--image-shape HxW | --sequence-key COL --sequence-index COL | --wide] [--label COL]
                               [--set NAME=VALUE ...]   (any model setting, e.g. --set c1_tilt=20)
    python -m gen_models info DIR [--json]
    python -m gen_models sample DIR --rows N --out FILE.csv [--seed N] [--code NAME=VALUE ...] [--condition VALUE]
                                [--direction NAME=VALUE ...]
    python -m gen_models directions DIR [--count N] [--method regression|pca|sefa] [--json]
    python -m gen_models evaluate --real FILE.csv|NAME --synthetic FILE.csv [--target COLUMN] [--json]
    python -m gen_models design DIR --target COLUMN --value V|min|max --rows N --out FILE.csv [--seed N]
                                [--data FILE.csv|NAME] [--method gradient|evolution] [--steps N]
                                [--condition VALUE] [--data-space-out FILE.csv] [--json]
    python -m gen_models encode DIR --data FILE.csv|NAME --out FEATURES.csv [--keep COL,...]
    python -m gen_models augment --data FILE.csv|NAME --target COLUMN --model NAME [--rows N] [--train-rows N]
                                 [--seed N] [--rare-only] [--kind COL=KIND ...] [--set NAME=VALUE ...] [--json]

One module per command, each with `add_parser(subparsers)` and `run(args) -> int`; `list` and `datasets`
share catalog.py. Problems with the input print one clear line to stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys

from gen_models.cli import augment, catalog, design, directions, encode, evaluate, info, inspect, sample, train
from gen_models.cli.common import EXIT_USER_ERROR, Parser
from gen_models.errors import USER_ERRORS

# In the order `--help` lists them.
COMMANDS = (catalog, inspect, train, info, sample, directions, evaluate, design, encode, augment)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m gen_models", description="Latent Lab: train and sample generative models.")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; argv defaults to sys.argv[1:]. Returns the exit status (0, or 2 for bad input).

    Usage mistakes and --help leave through argparse's SystemExit (status 2 and 0), as console scripts expect.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except USER_ERRORS as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as err:  # unwritable output path, full disk, ...
        print(f"error: {err.strerror or err} ({err.filename})", file=sys.stderr)
        return EXIT_USER_ERROR
