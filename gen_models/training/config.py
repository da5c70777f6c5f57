"""Settings every model shares, and reading a setting typed as text (the CLI's --set, the Train page)."""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any

from gen_models.errors import ModelError


@dataclass
class TrainConfig:
    """Settings every model shares. Model configs extend this with their own networks' settings."""

    epochs: int | None = None  # passes over the data; None = enough for about `auto_steps` steps
    auto_steps: int = 600  # the step budget used when epochs is None: small tables get more epochs
    batch_size: int = 500  # rows per step; capped at the number of rows
    seed: int = 0  # one seed fixes initial weights, batch order and noise: a rerun on the same machine repeats exactly
    device: str = "auto"  # "auto" picks CUDA when present, else CPU; or "cpu", "cuda", "cuda:1"


def setting_from_text(config_cls: type[TrainConfig], name: str, text: str) -> Any:
    """A setting typed as `text` ("20", "true", "128, 64") -> the value its Config field takes.

    Bools take true/false/yes/no/1/0, layer sizes a comma-separated list of whole numbers, an
    optional field "none". A name the Config lacks comes back as the text: the model's constructor
    then refuses it and lists the settings there are. Raises ModelError for a value of the wrong kind.
    """
    fields = {field.name: field for field in dataclasses.fields(config_cls)}
    if name not in fields:
        return text
    hint = typing.get_type_hints(config_cls)[name]
    optional = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
    if optional:
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    kind = typing.get_origin(hint) or hint
    text = text.strip()
    try:
        if optional and text.lower() == "none":
            return None
        if kind is bool:
            flags = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
            return flags[text.lower()]
        if kind is tuple:
            return tuple(int(part) for part in text.replace(" ", "").split(",") if part)
        return kind(text)  # int, float or str
    except (KeyError, ValueError):
        what = {bool: "true or false", tuple: "a list of whole numbers, e.g. 256, 256"}.get(kind, kind.__name__)
        default = fields[name].default
        raise ModelError(f"'{text}' does not suit {name}: it takes {what} (default {default!r}).") from None
