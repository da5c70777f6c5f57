"""Saving and loading model directories without unpickling anything.

A model directory holds:
- `weights.safetensors`: every network's tensors, keyed "<network>.<parameter>";
- `model.json`: architecture name, config, data schema, encoder state, condition, latent code
  descriptions, loss history, training result, package versions, and the SHA-256 of the
  weights file, so a truncated or altered weights file is caught before it is read.
"""

from __future__ import annotations

import dataclasses
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
from gen_models.data import TableSchema
from gen_models.data.encoders import encoder_from_dict
from gen_models.data.layouts import DataLayout
from gen_models.errors import CheckpointError
from gen_models.models import REGISTRY, GenerativeModel
from gen_models.training import TrainResult

FORMAT = "latent-lab-model"
FORMAT_VERSION = 1


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    from gen_models import __version__

    return {
        "gen_models": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "safetensors": safetensors.__version__,
        "python": platform.python_version(),
    }


def save_model(model: GenerativeModel, directory: str | os.PathLike, extra: dict[str, Any] | None = None) -> Path:
    """Write `model` to `directory` (created if needed); returns the directory's path."""
    encoder = model._require_fitted()
    assert model.schema is not None
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    tensors = {
        f"{net_name}.{key}": value.detach().cpu().contiguous()
        for net_name, net in model.networks.items()
        for key, value in net.state_dict().items()
    }
    save_file(tensors, str(path / WEIGHTS_FILE))
    condition = None
    if model.condition_column is not None:
        condition = {
            "column": model.condition_column,
            "values": list(model.condition_levels),
            "frequencies": list(model.condition_frequencies),
        }
    result = dataclasses.asdict(model.result) if model.result is not None else None
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": model.name,
        "config": dataclasses.asdict(model.config),
        "layout": model.layout.to_dict(),
        "schema": model.schema.to_dict(),
        "encoder": encoder.to_dict(),
        "condition": condition,
        "codes": [code.to_dict() for code in model.latent_codes()],
        "result": result,
        "history": model.history,
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
        "weights_sha256": _sha256(path / WEIGHTS_FILE),
        "extra": extra or {},
    }
    (path / META_FILE).write_text(json.dumps(meta, indent=1, allow_nan=True), encoding="utf-8")
    return path


def read_metadata(directory: str | os.PathLike) -> dict[str, Any]:
    """The parsed `model.json` of a model directory, checked to be a Latent Lab model."""
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
    if meta.get("model") not in REGISTRY:
        raise CheckpointError(f"'{path}' holds an unknown model type {meta.get('model')!r}.")
    return meta


def load_model(directory: str | os.PathLike) -> GenerativeModel:
    """Rebuild a saved model, ready to sample. Never unpickles; any damage raises CheckpointError."""
    path = Path(directory)
    meta = read_metadata(path)
    weights_path = path / WEIGHTS_FILE
    if not weights_path.is_file():
        raise CheckpointError(f"'{path}' has no {WEIGHTS_FILE}: the model's weights are missing.")
    if _sha256(weights_path) != meta.get("weights_sha256"):
        raise CheckpointError(
            f"'{weights_path}' does not match the checksum in {META_FILE}: it is truncated or was changed."
        )
    try:
        tensors = load_file(str(weights_path))
    except Exception as err:  # safetensors raises its own error types for malformed files
        raise CheckpointError(f"'{weights_path}' could not be read as safetensors: {err}") from None

    cls = REGISTRY[meta["model"]]
    try:
        config = _config_from_dict(cls.Config, meta["config"])
        model = cls(config)
        model.schema = TableSchema.from_dict(meta["schema"])
        model.layout = DataLayout.from_dict(meta.get("layout") or {})
        model.encoder = encoder_from_dict(meta["encoder"])
        condition = meta.get("condition")
        cond_dim = 0
        if condition is not None:
            model.condition_column = condition["column"]
            model.condition_levels = list(condition["values"])
            model.condition_frequencies = list(condition["frequencies"])
            cond_dim = len(model.condition_levels)
        model.history = list(meta.get("history") or [])
        model.extra = dict(meta.get("extra") or {})
        if meta.get("result"):
            model.result = TrainResult(**meta["result"])
        model.build(model.encoder.output_dim, cond_dim)
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"'{path / META_FILE}' is incomplete or inconsistent: {err}") from None

    for net_name, net in model.networks.items():
        prefix = f"{net_name}."
        state = {key[len(prefix) :]: value for key, value in tensors.items() if key.startswith(prefix)}
        try:
            net.load_state_dict(state, strict=True)
        except RuntimeError as err:
            raise CheckpointError(f"The weights in '{weights_path}' do not fit this {cls.name} model: {err}") from None
        net.eval()
    return model


def _config_from_dict(config_cls: type, values: dict[str, Any]) -> Any:
    """Rebuild a config dataclass from JSON, turning lists back into tuples where the field is a tuple."""
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"unknown config fields {sorted(unknown)}")
    converted = {name: tuple(value) if isinstance(value, list) else value for name, value in values.items()}
    return config_cls(**converted)
