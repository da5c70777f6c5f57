"""Explore page: move a trained model's latent codes and watch the generated rows change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from gen_models.errors import USER_ERRORS
from gen_models.models import GenerativeModel, LatentCode
from ui import codes as code_ui
from ui.models import ModelSource, column_kinds, data_kind, load_source, model_card, pick_model, real_data_for
from ui.plots import distribution_figure, latent_map_figure, traversal_figure
from ui.state import session_id, session_runs_dir

ROWS = 1000  # rows generated for the distributions
TRAVERSAL_STEPS = 7
TRAVERSAL_ROWS = 400  # rows per traversal step
NOISE_SHOWN = 8  # noise dimensions shown before "show all"
MAP_POINTS = 3000
ANY = "any (as often as in the training data)"

sid = session_id()
st.title("3 · Explore the latent space")
st.write(
    "A generative model turns a few random numbers — its **latent codes** — into a row. Move a code's "
    "slider and the rows it makes change at once: that shows what the model has learnt to put where."
)

source = pick_model(sid, session_runs_dir(), "explore_model")
if source is None:
    st.info("There is no trained model yet. Train one first; it will appear here.")
    st.page_link("app_pages/train.py", label="Train a model", icon=":material/model_training:")
    st.stop()
try:
    model = load_source(source)
except USER_ERRORS as error:
    st.error(f"This model cannot be loaded. {error}")
    st.stop()

real = real_data_for(source)
summary = model.describe()
condition_text = f", conditioned on {model.condition_column}" if model.condition_column else ""
st.caption(
    f"{model.name} · makes rows with {len(summary['columns'])} columns{condition_text} · "
    + (
        "compared with the data it was trained on (grey)."
        if real is not None
        else "its training data is not available."
    )
)
if (card := model_card(source)) is not None:
    with st.expander("About this model (model card)"):
        st.markdown(card)


@st.cache_data(max_entries=8, show_spinner="Placing the real rows in the latent space…")
def encoded_rows(model_key: str, stamp: float, _model: GenerativeModel, _real: pd.DataFrame) -> np.ndarray:
    """(n_rows, latent_dim) codes of the real rows; cached per model (key + save time)."""
    return _model.encode(_real)


def explore(source: ModelSource, model: GenerativeModel, real: pd.DataFrame | None) -> None:
    """Everything the sliders drive; a fragment, so a slider move reruns only this part."""
    key = source.key
    codes = model.latent_codes()
    main = [c for c in codes if c.role != "noise"]
    noise = [c for c in codes if c.role == "noise"]
    held = code_ui.held_codes(key)
    seed_key = f"seed:{key}"
    st.session_state.setdefault(seed_key, 0)

    st.subheader("Latent codes")
    st.caption(
        "Move a slider to **hold** that code at one value for every row; codes you have not moved are "
        "drawn at random for each row, so you still see the whole spread of rows."
    )
    if main:
        code_ui.code_grid(key, main)
    if noise:
        with st.expander(
            f"Noise dimensions ({len(noise)}): plain random inputs with no set meaning", expanded=not main
        ):
            show_all = len(noise) > NOISE_SHOWN and st.toggle(f"Show all {len(noise)}", key=f"all_noise:{key}")
            code_ui.code_grid(key, noise if show_all else noise[:NOISE_SHOWN])

    condition = None
    if model.condition_column is not None:
        levels = [ANY, *model.condition_levels]
        choice = st.selectbox(f"{model.condition_column} (the condition)", levels, key=f"condition:{key}")
        condition = None if choice == ANY else choice

    b1, b2, _ = st.columns([1, 1, 3])
    b1.button(
        "New random draw",
        key=f"redraw:{key}",
        help="Draw new random values for the codes that are not held.",
        on_click=lambda: st.session_state.update({seed_key: st.session_state[seed_key] + 1}),
    )
    b2.button("Release all codes", key=f"release:{key}", on_click=code_ui.release_all, args=(key, codes))
    st.caption(code_ui.describe_held(held) + f" Random draw #{st.session_state[seed_key]}.")

    seed = st.session_state[seed_key]
    try:
        rows = model.sample(ROWS, codes=dict(held), condition=condition, seed=seed)
    except USER_ERRORS as error:
        st.error(str(error))
        return
    kinds = column_kinds(model)

    tab_names = ["Generated rows", "Traversal: one code at a time"]
    can_encode = bool(model.has_encoder and real is not None and _codes_match_encoder(codes))
    if can_encode:
        tab_names.append("Map of the real rows")
    tabs = st.tabs(tab_names)
    with tabs[0]:
        rows_view(key, rows, real, kinds)
    with tabs[1]:
        traversal_view(key, model, codes, held, condition, seed, real, kinds)
    if can_encode:
        with tabs[2]:
            assert real is not None
            encoder_view(source, model, codes, real, seed)


def _codes_match_encoder(codes: list[LatentCode]) -> bool:
    """`encode` returns one number per continuous code, in order; anything else is not mapped here."""
    return all(code.kind == "continuous" for code in codes)


def rows_view(key: str, rows: pd.DataFrame, real: pd.DataFrame | None, kinds: dict[str, str]) -> None:
    st.dataframe(rows.head(8), hide_index=True)
    st.caption(f"The first 8 of {ROWS:,} generated rows.")
    columns = list(kinds)
    chosen = st.multiselect("Columns to compare", columns, default=columns[:3], key=f"compare:{key}")
    grid = st.columns(3)
    for i, column in enumerate(chosen):
        with grid[i % 3]:
            real_column = real[column] if real is not None and column in real else None
            figure = distribution_figure(column, kinds[column], rows[column], real_column)
            st.plotly_chart(figure, key=f"dist_{i}", config={"displayModeBar": False})


def traversal_view(
    key: str,
    model: GenerativeModel,
    codes: list[LatentCode],
    held: dict,
    condition: object,
    seed: int,
    real: pd.DataFrame | None,
    kinds: dict[str, str],
) -> None:
    st.caption(
        f"Sweep one code across its range in {TRAVERSAL_STEPS} steps while the held codes stay put, and see "
        "how a column changes. A code that matters moves the line; one that does not leaves it flat."
    )
    left, right = st.columns(2)
    by_name = {code.name: code for code in codes}
    code_name = left.selectbox("Code to sweep", list(by_name), key=f"sweep_code:{key}")
    # Start on a number column other than the condition: the condition stays fixed along a sweep.
    watchable = [c for c in kinds if c != model.condition_column] or list(kinds)
    numeric = [c for c in watchable if kinds[c] in ("continuous", "integer")]
    column = right.selectbox(
        "Column to watch",
        watchable,
        index=watchable.index(numeric[0]) if numeric else 0,
        key=f"sweep_column:{key}",
    )
    code = by_name[code_name]
    steps: list = (
        list(code.levels)
        if code.kind == "categorical"
        else [float(v) for v in np.linspace(code.low, code.high, TRAVERSAL_STEPS)]
    )
    frames = [
        model.sample(TRAVERSAL_ROWS, codes={**held, code.name: value}, condition=condition, seed=seed)
        for value in steps
    ]
    real_column = real[column] if real is not None and column in real else None
    st.plotly_chart(
        traversal_figure(code.name, steps, column, kinds[column], frames, real_column),
        key="traversal",
        config={"displayModeBar": False},
    )


def encoder_view(
    source: ModelSource, model: GenerativeModel, codes: list[LatentCode], real: pd.DataFrame, seed: int
) -> None:
    key = source.key
    latent = encoded_rows(key, source.stamp, model, real)
    names = [code.name for code in codes]

    st.caption("Each dot is a real row, placed by the codes the encoder gives it. × marks the sliders.")
    c1, c2, c3 = st.columns(3)
    x_name = c1.selectbox("Across", names, index=0, key=f"map_x:{key}")
    y_name = c2.selectbox("Up", names, index=min(1, len(names) - 1), key=f"map_y:{key}")
    categorical = [c for c in real.columns if real[c].nunique() <= 15]
    colour = c3.selectbox(
        "Colour by",
        [None, *categorical],
        index=1 if categorical else 0,
        key=f"map_colour:{key}",
        format_func=lambda c: "nothing" if c is None else c,
    )
    shown = np.arange(len(real))[:MAP_POINTS]
    by_name = {code.name: code for code in codes}
    marker = (code_ui.slider_value(key, by_name[x_name]), code_ui.slider_value(key, by_name[y_name]))
    figure = latent_map_figure(
        latent[shown],
        names.index(x_name),
        names.index(y_name),
        x_name,
        y_name,
        real[colour].iloc[shown] if colour else None,
        marker,
    )
    st.plotly_chart(figure, key="latent_map", config={"displayModeBar": False})

    st.markdown("**Start from a real row**")
    row = st.number_input("Row number", 1, len(real), 1, key=f"start_row:{key}")
    st.dataframe(real.iloc[[row - 1]], hide_index=True)
    st.button(
        "Set the sliders to this row's codes",
        key=f"use_row:{key}",
        on_click=code_ui.hold_values,
        args=(key, codes, dict(zip(names, latent[row - 1].tolist(), strict=True))),
        help="Every code is then held, so the generated rows are this row as the model rebuilds it. Edit from there.",
    )

    st.markdown("**Blend two real rows**")
    a_col, b_col = st.columns(2)
    first = a_col.number_input("From row", 1, len(real), 1, key=f"blend_a:{key}")
    last = b_col.number_input("To row", 1, len(real), min(2, len(real)), key=f"blend_b:{key}")
    start, end = latent[first - 1], latent[last - 1]
    blended = []
    for t in np.linspace(0.0, 1.0, TRAVERSAL_STEPS):
        point = start + t * (end - start)
        row_frame = model.sample(1, codes=dict(zip(names, point.tolist(), strict=True)), seed=seed)
        blended.append(row_frame.assign(**{"blend": f"{t:.0%}"}))
    table = pd.concat(blended, ignore_index=True)
    st.dataframe(table[["blend", *[c for c in table.columns if c != "blend"]]], hide_index=True)
    st.caption("Rows decoded along the straight line between the two rows' codes (0% = the first row).")


if data_kind(model) != "table":
    st.warning(f"This model makes {data_kind(model)}; this page can only show tables so far.")
    st.stop()
st.fragment(explore)(source, model, real)
