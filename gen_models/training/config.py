"""Settings every model shares, checking settings, and reading them from text or JSON.

Every Config checks its own values in `__post_init__` with the `check_*` functions below, so a bad
setting is refused when the model is created (or loaded), with a sentence naming the field, the
value and what it takes, rather than as a shape error deep inside training.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
import types
import typing
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from gen_models.errors import ModelError

DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:\d+)?")
PRECISIONS = ("fp32", "bf16")  # TrainConfig.precision

# torch seeds its generators with a 64-bit integer; larger seeds overflow.
MAX_SEED = 2**63 - 1
# Widest layer or latent vector a setting may ask for: 16,384 x 16,384 weights are already 1 GB.
MAX_LAYER_SIZE = 16_384


@dataclass
class TrainConfig:
    """Settings every model shares. Model configs extend this with their own networks' settings."""

    epochs: int | None = None  # passes over the data; None = enough for about `auto_steps` steps
    auto_steps: int = 600  # the step budget used when epochs is None: small tables get more epochs
    max_epochs: int | None = None  # ... but, when set, at most this many (so a small table is not learnt by heart)
    batch_size: int = 500  # rows per step; capped at the number of rows
    seed: int = 0  # one seed fixes initial weights, batch order and noise: a rerun on the same machine repeats exactly
    device: str = "auto"  # "auto" picks CUDA when present, else CPU; or "cpu", "cuda", "cuda:1"
    # "bf16": training steps run under torch.autocast in bfloat16 (mixed precision: matrix products in bf16, weights,
    # sums and losses in float32). Its exponent range is float32's, so no loss scaling is needed; it is off by
    # default because it rounds every product to 8 bits of mantissa: worth it on GPUs with bf16 units, not on CPUs.
    precision: str = "fp32"

    def __post_init__(self) -> None:
        if self.epochs is not None:
            check_whole("epochs", self.epochs, 0)  # 0: build the networks without training them (a baseline)
        check_whole("auto_steps", self.auto_steps, 1)
        if self.max_epochs is not None:
            check_whole("max_epochs", self.max_epochs, 1)
        check_whole("batch_size", self.batch_size, 1)
        check_whole("seed", self.seed, 0, MAX_SEED)
        if not isinstance(self.device, str) or not DEVICE_PATTERN.fullmatch(self.device):
            raise ModelError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', not {self.device!r}.")
        check_choice("precision", self.precision, PRECISIONS)


# ----- checking settings ---------------------------------------------------------------------------
def _is_whole(value: Any) -> bool:
    # bool is an int in Python, but `latent_dim=True` is a mistake, not a 1.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_whole(name: str, value: Any, minimum: int, maximum: int | None = None) -> None:
    """Refuse anything but a whole number of at least `minimum` (and at most `maximum`), naming `name`."""
    if not _is_whole(value) or value < minimum:
        raise ModelError(f"{name} must be a whole number of at least {minimum}, not {value!r}.")
    if maximum is not None and value > maximum:
        raise ModelError(f"{name} must be a whole number from {minimum} to {maximum:,}, not {value!r}.")


def check_number(
    name: str, value: Any, low: float, high: float = math.inf, *, low_open: bool = False, high_open: bool = False
) -> None:
    """Refuse anything but a finite number in the range from `low` to `high` (each end excluded when open)."""
    fits = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if fits:
        fits = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not fits:
        allowed = f" greater than {low:g}" if low_open else f", {low:g} or more"
        if math.isfinite(high):
            allowed += f" and below {high:g}" if high_open else f" and at most {high:g}"
        raise ModelError(f"{name} must be a finite number{allowed}, not {value!r}.")


def check_sizes(name: str, value: Any, *, allow_empty: bool = True) -> None:
    """Refuse anything but a list of layer sizes, each a whole number of at least 1."""
    if not isinstance(value, tuple | list) or not all(_is_whole(size) and size >= 1 for size in value):
        raise ModelError(f"{name} must be a list of layer sizes, each a whole number of at least 1, not {value!r}.")
    if any(size > MAX_LAYER_SIZE for size in value):
        raise ModelError(
            f"{name}: a layer of more than {MAX_LAYER_SIZE:,} units would not fit in memory, not {value!r}."
        )
    if not value and not allow_empty:
        raise ModelError(f"{name} must have at least one layer size, not {value!r}.")


def check_choice(name: str, value: Any, choices: Collection[str]) -> None:
    """Refuse a value that is not one of `choices`."""
    if value not in choices:
        raise ModelError(f"Unknown {name} {value!r}: {name} must be one of {', '.join(choices)}.")


def check_flag(name: str, value: Any) -> None:
    """Refuse anything but True or False."""
    if not isinstance(value, bool):
        raise ModelError(f"{name} must be true or false, not {value!r}.")


# ----- reading settings -------------------------------------------------------------------------------
def config_from_dict(config_cls: type[TrainConfig], values: dict[str, Any]) -> TrainConfig:
    """Rebuild a config from its JSON form (`dataclasses.asdict`): lists become tuples again.

    Raises ModelError for fields the Config lacks and, through its `__post_init__`, for bad values.
    """
    fields = {field.name for field in dataclasses.fields(config_cls)}
    unknown = sorted(set(values) - fields)
    if unknown:
        raise ModelError(f"{config_cls.__name__} has no setting {', '.join(map(repr, unknown))}.")
    converted = {name: tuple(value) if isinstance(value, list) else value for name, value in values.items()}
    return config_cls(**converted)


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
