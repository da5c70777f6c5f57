"""Reading and writing model directories, without unpickling anything.

A model directory holds:
- `weights.safetensors`: every network's tensors, keyed "<network>.<parameter>";
- `model.json`: architecture name, config, data schema, encoder state, condition, latent code
  descriptions, loss history, training result, notes, package versions, and the SHA-256 of the
  weights file, so a truncated or altered weights file is caught before it is read.

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
    save_file(tensors, str(path / WEIGHTS_FILE))
    record = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **meta,
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
        "weights_sha256": _sha256(path / WEIGHTS_FILE),
    }
    (path / META_FILE).write_text(json.dumps(record, indent=1, allow_nan=True), encoding="utf-8")
    return path


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
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"'{meta_path}' is not a Latent Lab model file.")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(
            f"'{path}' was saved by a newer Latent Lab (format {meta['format_version']}); update to load it."
        )
    return meta


def read_weights(directory: str | os.PathLike, meta: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The weights of a model directory whose `model.json` is `meta`, after checking them against its checksum."""
    weights_path = Path(directory) / WEIGHTS_FILE
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
