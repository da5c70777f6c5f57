"""Sliders and selectors for a model's latent codes, built from `model.latent_codes()`.

Rule the user sees: a code you move is *held* at that value for every generated row; codes you
have not touched are drawn at random for each row, so the rows still show the model's spread.
Held values live in session state per model (`held:<model key>`), outside the widgets, so they
survive page switches (Streamlit forgets the state of widgets that are not on screen) and the
Generate page can reuse them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from gen_models.models import LatentCode

RANDOM = "random for each row"
SLIDER_STEPS = 100  # slider resolution over a code's range


def held_codes(model_key: str) -> dict[str, Any]:
    """{code name: value} of the codes the user holds for this model (mutable, in session state)."""
    return st.session_state.setdefault(f"held:{model_key}", {})


def widget_key(model_key: str, code: LatentCode) -> str:
    return f"code:{model_key}:{code.name}"


def resting_value(code: LatentCode) -> Any:
    """Where a code's widget sits when not held: the prior's centre, or "random" for categories."""
    if code.kind == "categorical":
        return RANDOM
    return (code.low + code.high) / 2 if code.prior == "uniform" else 0.0


def slider_value(model_key: str, code: LatentCode) -> float:
    """A continuous code's current slider position (its resting value when not held)."""
    return float(held_codes(model_key).get(code.name, resting_value(code)))


def _on_change(model_key: str, code: LatentCode) -> None:
    value = st.session_state[widget_key(model_key, code)]
    held = held_codes(model_key)
    if value == RANDOM:
        held.pop(code.name, None)
    else:
        held[code.name] = value


def code_widget(model_key: str, code: LatentCode) -> None:
    """One slider (continuous code) or selector (categorical code); moving it holds the code."""
    key = widget_key(model_key, code)
    held = held_codes(model_key)
    if key not in st.session_state:  # first time on screen (or back from another page)
        st.session_state[key] = held.get(code.name, resting_value(code))
    label = f"{code.name} · held" if code.name in held else code.name
    help_text = code.meaning[:1].upper() + code.meaning[1:] + "."
    if code.kind == "categorical":
        st.selectbox(
            label, [RANDOM, *code.levels], key=key, on_change=_on_change, args=(model_key, code), help=help_text
        )
    else:
        st.slider(
            label,
            min_value=float(code.low),
            max_value=float(code.high),
            step=round((code.high - code.low) / SLIDER_STEPS, 6),
            key=key,
            on_change=_on_change,
            args=(model_key, code),
            help=help_text,
        )


def code_grid(model_key: str, codes: Sequence[LatentCode], per_row: int = 4) -> None:
    for start in range(0, len(codes), per_row):
        columns = st.columns(per_row)
        for column, code in zip(columns, codes[start : start + per_row], strict=False):
            with column:
                code_widget(model_key, code)


def release_all(model_key: str, codes: Sequence[LatentCode]) -> None:
    """Button callback: every code back to random, every widget back to its resting value."""
    held_codes(model_key).clear()
    for code in codes:
        st.session_state[widget_key(model_key, code)] = resting_value(code)


def hold_values(model_key: str, codes: Sequence[LatentCode], values: dict[str, Any]) -> None:
    """Button callback: hold the given codes at the given values (clipped to the slider ranges)."""
    held = held_codes(model_key)
    by_name = {code.name: code for code in codes}
    for name, value in values.items():
        code = by_name[name]
        if code.kind == "continuous":
            value = round(min(max(float(value), code.low), code.high), 2)
        held[name] = value
        st.session_state[widget_key(model_key, code)] = value


def describe_held(held: dict[str, Any]) -> str:
    if not held:
        return "No code is held: every row draws all its codes at random."
    parts = [
        f"{name} = {value:.2f}" if isinstance(value, float) else f"{name} = {value}" for name, value in held.items()
    ]
    return "Held for every row: " + ", ".join(parts) + ". The other codes are drawn at random for each row."
