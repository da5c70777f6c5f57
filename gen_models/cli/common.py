"""What every command shares: the parser class, the exit status for input problems, reading --data."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import pandas as pd

from gen_models.data.layouts import DataLayout, parse_image_shape
from gen_models.data.sources import read_source
from gen_models.errors import DataError, ModelError

EXIT_USER_ERROR = 2


class Parser(argparse.ArgumentParser):
    """argparse that reports usage mistakes with our exit status and one plain line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USER_ERROR)


def add_kind_argument(p: argparse.ArgumentParser) -> None:
    """--kind COL=KIND (repeatable): a column's kind, as `infer_schema`'s overrides take it (read with `pairs`)."""
    p.add_argument(
        "--kind",
        action="append",
        default=[],
        metavar="COL=KIND",
        help="set a column's kind: continuous, integer, categorical, datetime or ignore (repeatable)",
    )


def add_set_argument(p: argparse.ArgumentParser, help_text: str) -> None:
    """--set NAME=VALUE (repeatable): one of a model's settings (read with `train.model_settings`)."""
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help=help_text)


def load_table(source: str) -> tuple[pd.DataFrame, DataLayout]:
    """The table and layout of `read_source`."""
    found = read_source(source)
    return found.frame, found.layout


def writable_directory(path: str) -> Path:
    """Create `path` if needed and check a file can be written there, before hours of training are spent.

    Raises DataError when it exists as a file; OSError (reported by the CLI as one line) when it cannot be made.
    """
    directory = Path(path)
    if directory.exists() and not directory.is_dir():
        raise DataError(f"--out '{path}' is a file; give a folder for the model.")
    directory.mkdir(parents=True, exist_ok=True)
    probe = directory / ".latent-lab-write-check"
    probe.write_bytes(b"")
    probe.unlink()
    return directory


def layout_given(args: argparse.Namespace) -> bool:
    """Whether any layout flag was given (they then replace the data's own or inferred layout)."""
    return bool(args.image_shape or args.sequence_key or args.sequence_index or args.wide or args.label)


def layout_from_args(args: argparse.Namespace, default: DataLayout) -> DataLayout:
    """Layout flags win over a bundled data set's own (or a file's inferred) layout; none given keeps it."""
    if args.image_shape and (args.sequence_key or args.sequence_index or args.wide):
        raise DataError("Choose images (--image-shape) or time series (--sequence-key/--wide), not both.")
    if args.image_shape:
        return DataLayout(kind="images", image_shape=parse_image_shape(args.image_shape), label=args.label)
    if args.sequence_key or args.sequence_index or args.wide:
        return DataLayout(
            kind="sequences",
            sequence_key=args.sequence_key,
            sequence_index=args.sequence_index,
            wide=args.wide,
            label=args.label,
        )
    if args.label:
        if default.kind == "table":
            raise DataError("--label is for images and time series; for tables use --condition.")
        return dataclasses.replace(default, label=args.label)
    return default


def pairs(items: list[str], what: str) -> dict[str, str]:
    """Repeated NAME=VALUE flags (`what` names the flag in the message) -> {name: value}, both stripped."""
    found = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ModelError(f"{what} must look like NAME=VALUE, not '{item}'.")
        found[name.strip()] = value.strip()
    return found
