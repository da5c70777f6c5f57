"""Sliders and selectors for a model's latent codes, built from `model.latent_codes()`.

Rule the user sees: a code you move is *held* at that value for every generated row; codes you
have not touched are drawn at random for each row, so the rows still show the model's spread.
Held values live in session state per model (`held:<model key>`), outside the widgets, so they
survive page switches (Streamlit forgets the state of widgets that are not on screen) and the
Generate page can reuse them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from gen_models.models import LatentCode

RANDOM = "random for each row"
SLIDER_STEPS = 100  # slider resolution over a code's range
MAX_SEGMENTS = 12  # categorical codes with at most this many levels get one button per level


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


def measured_levels(model_dir: Path) -> dict[str, dict[str, str]]:
    """{code name: {level as text: what it draws}} from the model card's measured mapping, or {}.

    A card (card.json, pretrained models only) may hold `figures["<code>_levels"]` = {level: {"draws": class,
    "share": ...}}: what a classifier reads in the images made with the code held at that level.
    """
    try:
        figures = json.loads((model_dir / "card.json").read_text(encoding="utf-8")).get("figures") or {}
    except (OSError, ValueError, AttributeError):
        return {}
    found: dict[str, dict[str, str]] = {}
    for key, value in figures.items():
        if key.endswith("_levels") and isinstance(value, dict):
            found[key.removesuffix("_levels")] = {
                str(level): str(entry["draws"]) for level, entry in value.items() if isinstance(entry, dict)
            }
    return found


def level_label(level: Any, draws: dict[str, str] | None) -> str:
    """A level as its button shows it: "level 8 · 3s" when the card measured what it draws, else "8"."""
    if draws and str(level) in draws:
        return f"level {level} · {draws[str(level)]}s"
    return str(level)


def uses_segments(code: LatentCode) -> bool:
    """Few levels (InfoGAN's ten): a row of buttons, one click per level, beats a dropdown."""
    return code.kind == "categorical" and len(code.levels) <= MAX_SEGMENTS


def _widget_rest(code: LatentCode) -> Any:
    """The widget's own value for "not held": no button pressed, or the "random" entry."""
    return None if uses_segments(code) else resting_value(code)


def slider_value(model_key: str, code: LatentCode) -> float:
    """A continuous code's current slider position (its resting value when not held)."""
    return float(held_codes(model_key).get(code.name, resting_value(code)))


def _on_change(model_key: str, code: LatentCode) -> None:
    value = st.session_state[widget_key(model_key, code)]
    held = held_codes(model_key)
    if value is None or value == RANDOM:
        held.pop(code.name, None)
    else:
        held[code.name] = value


def code_widget(model_key: str, code: LatentCode, draws: dict[str, str] | None = None) -> None:
    """One slider (continuous code) or selector (categorical code); moving it holds the code.

    `draws`: what each level of a categorical code draws ({level as text: class}, see `measured_levels`).
    """
    key = widget_key(model_key, code)
    held = held_codes(model_key)
    if key not in st.session_state:  # first time on screen (or back from another page)
        st.session_state[key] = held.get(code.name, _widget_rest(code))
    label = f"{code.name} · held" if code.name in held else code.name
    help_text = code.meaning[:1].upper() + code.meaning[1:] + "."
    if draws:
        help_text += (
            " Each level is named by what the model card measured it draws: the class a digit classifier reads "
            "in most of the images made at that level."
        )
    if uses_segments(code):
        st.segmented_control(
            label + ("" if code.name in held else " · random: pick a level to hold it"),
            list(code.levels),
            format_func=lambda level: level_label(level, draws),
            key=key,
            on_change=_on_change,
            args=(model_key, code),
            help=help_text + " Click the chosen level again to make the code random again.",
        )
    elif code.kind == "categorical":
        st.selectbox(
            label,
            [RANDOM, *code.levels],
            format_func=lambda level: level if level == RANDOM else level_label(level, draws),
            key=key,
            on_change=_on_change,
            args=(model_key, code),
            help=help_text,
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


def code_grid(
    model_key: str, codes: Sequence[LatentCode], per_row: int = 4, levels: dict[str, dict[str, str]] | None = None
) -> None:
    """Level buttons first, each on its own line (ten buttons need the width), then sliders in rows.

    `levels`: what each categorical code's levels draw, {code name: {level as text: class}} (`measured_levels`).
    """
    levels = levels or {}
    for code in codes:
        if uses_segments(code):
            code_widget(model_key, code, levels.get(code.name))
    others = [code for code in codes if not uses_segments(code)]
    for start in range(0, len(others), per_row):
        columns = st.columns(per_row)
        for column, code in zip(columns, others[start : start + per_row], strict=False):
            with column:
                code_widget(model_key, code, levels.get(code.name))


def release_all(model_key: str, codes: Sequence[LatentCode]) -> None:
    """Button callback: every code back to random, every widget back to its resting value."""
    held_codes(model_key).clear()
    for code in codes:
        st.session_state[widget_key(model_key, code)] = _widget_rest(code)


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


def held_list(held: dict[str, Any]) -> str:
    """The held codes as "z0 = 2.50, c1 = 3"."""
    return ", ".join(
        f"{name} = {value:.2f}" if isinstance(value, float) else f"{name} = {value}" for name, value in held.items()
    )


def describe_held(held: dict[str, Any], item: str = "row") -> str:
    """One sentence saying which codes are held; `item` names what the model makes (row, image…)."""
    if not held:
        return f"No code is held: every {item} draws all its codes at random."
    return f"Held for every {item}: {held_list(held)}. The other codes are drawn at random for each {item}."


# ----- discovered directions (gen_models.latent.directions) ---------------------------------------------
def directions_key(model_key: str) -> str:
    """The model key under which direction sliders keep their held values: apart from the codes, since
    `model.sample` takes them separately (`directions=`) and the Generate page offers codes only."""
    return f"{model_key}#directions"


def direction_codes(directions: Any) -> list[LatentCode]:
    """A model's `Directions` as slider descriptions: values in prior standard deviations over ±3."""
    return [
        LatentCode(
            name=direction.name,
            kind="continuous",
            meaning=(
                "a direction found in this model's latent space: the combination of its raw dimensions that "
                f"changes its output most after those before it. A step from -2 to +2 gives: {direction.label}"
            ),
            low=-3.0,
            high=3.0,
            role="direction",
        )
        for direction in directions.items
    ]


def direction_grid(model_key: str, codes: Sequence[LatentCode], labels: dict[str, str], per_row: int = 3) -> None:
    """One slider per direction, in rows, each with its label (what a step from -2 to +2 does) under it."""
    key = directions_key(model_key)
    for start in range(0, len(codes), per_row):
        columns = st.columns(per_row)
        for column, code in zip(columns, codes[start : start + per_row], strict=False):
            with column:
                code_widget(key, code)
                st.caption(labels[code.name])
