"""Latent codes of real rows as a feature table: what `encode` writes and the Augment measure's fourth score uses.

A model with an encoder (`has_encoder`: VAE, AAE, BiGAN, the autoregressive model's quantiles u_<column>)
maps every real row to its whole latent vector; InfoGAN's Q head reads back only its named codes (c1, c2,
...), not the noise, so it gives those. Columns are named after the model's codes (`latent_codes()`), one
row per input row, in the input's order. Deterministic: encoders are run in eval mode and draw nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gen_models.errors import DataError, ModelError
from gen_models.models import REGISTRY, GenerativeModel


def reads_codes(model_class: type[GenerativeModel]) -> bool:
    """Whether models of this class can map real rows to codes: an encoder, or InfoGAN's Q head."""
    return model_class.has_encoder or hasattr(model_class, "read_real_codes")


def encoding_models() -> list[str]:
    """Registry names of the architectures whose trained models `codes_of` accepts, in registry order."""
    return [name for name, cls in REGISTRY.items() if reads_codes(cls)]


def code_names(model: GenerativeModel) -> list[str]:
    """The feature columns `codes_of` gives `model`: one per continuous code, one per level of a categorical one."""
    codes = model.latent_codes()
    if not model.has_encoder:  # InfoGAN: c1 as its level, then the continuous codes; no noise
        codes = [code for code in codes if code.role != "noise"]
        return [code.name for code in codes]
    names = []
    for code in codes:
        if code.kind == "categorical":
            names.extend(f"{code.name}={level}" for level in code.levels)
        else:
            names.append(code.name)
    return names


def codes_of(model: GenerativeModel, data: pd.DataFrame) -> pd.DataFrame:
    """The codes `model` gives each real row of `data`: (n_rows, n_codes) named by `code_names`.

    Floats, except InfoGAN's categorical c1, which is its most likely level (a whole number).

    The index is a fresh 0..n-1 range (row i is data's i-th row). Raises ModelError for a model that
    cannot read codes (naming those that can), DataError for data lacking the model's columns or for
    time series (a series, not a row, has codes).
    """
    if not reads_codes(type(model)):
        raise ModelError(
            f"{model.name} has no encoder: it cannot map real rows to codes. "
            f"Models that can: {', '.join(encoding_models())}."
        )
    if not model.fitted:
        raise ModelError(f"This {model.name} model has not been trained yet: call fit(data) first.")
    if model.layout.kind == "sequences":
        raise DataError("encode gives one row of codes per table row or image; time series have codes per series.")
    if len(data) == 0:
        raise DataError("The table has no rows to encode.")
    missing = [column for column in model.encoder.columns if column not in data.columns]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise DataError(f"The data lacks the model's column(s): {shown}.", column=missing[0])
    values = model.encode(data) if model.has_encoder else model.read_real_codes(data)
    frame = pd.DataFrame(np.asarray(values, dtype=np.float64), columns=code_names(model))
    if not model.has_encoder:  # InfoGAN's c1 is a level (0, 1, ...), not a quantity
        for code in model.latent_codes():
            if code.kind == "categorical" and code.role != "noise":
                frame[code.name] = frame[code.name].astype(np.int64)
    return frame


def encode_table(model: GenerativeModel, data: pd.DataFrame, keep: list[str] | None = None) -> pd.DataFrame:
    """The `keep` columns of `data` (as they are) followed by its rows' codes: (n_rows, len(keep) + n_codes).

    Raises DataError naming a `keep` column that `data` lacks or that clashes with a code's name.
    """
    keep = list(keep or [])
    absent = [column for column in keep if column not in data.columns]
    if absent:
        raise DataError(
            f"There is no column '{absent[0]}' to keep. Columns: {', '.join(map(str, data.columns))}.",
            column=absent[0],
        )
    codes = codes_of(model, data)
    clashes = [column for column in keep if column in codes.columns]
    if clashes:
        raise DataError(f"The kept column '{clashes[0]}' has the name of one of the codes.", column=clashes[0])
    kept = data[keep].reset_index(drop=True)
    return pd.concat([kept, codes], axis=1)
