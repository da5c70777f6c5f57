"""Reading and writing model directories, without unpickling anything.

A model directory holds:
- `weights.safetensors`: every network's tensors, keyed "<network>.<parameter>";
- `model.json`: architecture name, config, data schema, encoder state, condition, latent code
  descriptions, loss history, training result, notes, package versions, the SHA-256 of the
  weights file, so a truncated or altered weights file is caught before it is read, and the
  SHA-256 of model.json's own content (`meta_sha256`), so an edited model.json is caught too
  (files saved before it existed have none and are read on trust, after the type checks).

Saving is crash-safe: both files are first written beside their targets as `*.tmp`, then
model.json and then the weights are moved into place (`os.replace`, atomic on one file system).
A save killed at any moment leaves the old model whole, or the new model.json beside the new
weights still named `weights.safetensors.tmp`; reading finishes that last move, so either the old
or the new model loads, never neither.

This module only handles files: what goes in them is the model's own state
(`GenerativeModel.to_state` / `from_state`), and `gen_models.load` picks the class. So it never
imports the models.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import safetensors
import torch
from safetensors.torch import load_file, save_file

from gen_models.catalogue import META_FILE, WEIGHTS_FILE
from gen_models.errors import CheckpointError
from gen_models.version import __version__

FORMAT = "latent-lab-model"
FORMAT_VERSION = 1
TMP_SUFFIX = ".tmp"
# model.json's parts and the JSON types they must have; anything else is refused before it is used.
META_TYPES: dict[str, type | tuple[type, ...]] = {
    "model": str,
    "config": dict,
    "schema": dict,
    "encoder": dict,
    "layout": (dict, type(None)),
    "condition": (dict, type(None)),
    "codes": list,
    "history": list,
    "result": (dict, type(None)),
    "extra": (dict, type(None)),
    "weights_sha256": str,
}
REQUIRED_META = ("model", "config", "schema", "encoder", "weights_sha256")

__all__ = ["FORMAT", "FORMAT_VERSION", "META_FILE", "WEIGHTS_FILE", "read_metadata", "read_weights", "write_model"]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    return {
        "gen_models": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "safetensors": safetensors.__version__,
        "python": platform.python_version(),
    }


def write_model(directory: str | os.PathLike, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> Path:
    """Write a model's state to `directory` (created if needed); returns the directory's path.

    meta: the JSON-friendly half of `GenerativeModel.to_state()`; the format, the save time, the
        package versions and the weights' checksum are added here.
    tensors: the weights, "<network>.<parameter>" -> CPU tensor.
    """
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    weights, weights_tmp = path / WEIGHTS_FILE, path / (WEIGHTS_FILE + TMP_SUFFIX)
    meta_file, meta_tmp = path / META_FILE, path / (META_FILE + TMP_SUFFIX)
    save_file(tensors, str(weights_tmp))
    record = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **meta,
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
        "weights_sha256": _sha256(weights_tmp),
    }
    record["meta_sha256"] = _content_sha256(record)
    with meta_tmp.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(record, indent=1, allow_nan=True))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(meta_tmp, meta_file)  # from here on the new model is complete (see the module docstring)
    os.replace(weights_tmp, weights)
    return path


def _content_sha256(record: dict[str, Any]) -> str:
    """SHA-256 of a model.json record without its own `meta_sha256`, in a canonical form."""
    content = {key: value for key, value in record.items() if key != "meta_sha256"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, allow_nan=True).encode("utf-8")).hexdigest()


def read_metadata(directory: str | os.PathLike) -> dict[str, Any]:
    """The parsed `model.json` of a model directory, checked to be a Latent Lab model this version reads."""
    path = Path(directory)
    if not path.is_dir():
        raise CheckpointError(f"'{path}' is not a model directory (no such folder).")
    meta_path = path / META_FILE
    if not meta_path.is_file():
        raise CheckpointError(f"'{path}' is not a Latent Lab model: it has no {META_FILE}.")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"'{meta_path}' is damaged: it is not valid JSON ({err}).") from None
    except RecursionError:
        raise CheckpointError(f"'{meta_path}' is damaged: it is nested far too deeply to be a model file.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"'{meta_path}' is not a Latent Lab model file.")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"'{meta_path}' is damaged: its format_version is {version!r}, not a whole number.")
    if version > FORMAT_VERSION:
        raise CheckpointError(f"'{path}' was saved by a newer Latent Lab (format {version}); update to load it.")
    _check_meta_types(meta, meta_path)
    if "meta_sha256" in meta and meta["meta_sha256"] != _content_sha256(meta):
        raise CheckpointError(f"'{meta_path}' does not match its own checksum: it was edited or damaged.")
    return meta


def _check_meta_types(meta: dict[str, Any], meta_path: Path) -> None:
    """Refuse a model.json whose parts are missing or of the wrong JSON type, naming the part."""
    for key in REQUIRED_META:
        if key not in meta:
            raise CheckpointError(f"'{meta_path}' is incomplete: it has no '{key}'.")
    for key, expected in META_TYPES.items():
        if key in meta and not isinstance(meta[key], expected):
            raise CheckpointError(
                f"'{meta_path}' is damaged: its '{key}' is a {type(meta[key]).__name__}, which a model file never has."
            )
    columns = meta["schema"].get("columns")
    if not isinstance(columns, list) or not all(
        isinstance(column, dict) and isinstance(column.get("name"), str | int) for column in columns
    ):
        raise CheckpointError(f"'{meta_path}' is damaged: its schema's columns are not a list of named columns.")


def read_weights(directory: str | os.PathLike, meta: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The weights of a model directory whose `model.json` is `meta`, after checking them against its checksum."""
    weights_path = Path(directory) / WEIGHTS_FILE
    pending = Path(directory) / (WEIGHTS_FILE + TMP_SUFFIX)
    if pending.is_file() and _sha256(pending) == meta.get("weights_sha256"):
        os.replace(pending, weights_path)  # a save was stopped after its model.json: finish it
    if not weights_path.is_file():
        raise CheckpointError(f"'{directory}' has no {WEIGHTS_FILE}: the model's weights are missing.")
    if _sha256(weights_path) != meta.get("weights_sha256"):
        raise CheckpointError(
            f"'{weights_path}' does not match the checksum in {META_FILE}: it is truncated or was changed."
        )
    try:
        return load_file(str(weights_path))
    except Exception as err:  # safetensors raises its own error types for malformed files
        raise CheckpointError(f"'{weights_path}' could not be read as safetensors: {err}") from None
