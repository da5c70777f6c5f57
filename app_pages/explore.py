"""Explore page: move a trained model's latent codes and watch what it makes change at once.

Three views, picked by what the model makes: rows of a table (distributions), images (a grid
drawn as one PNG) or sequences (curves). Each has a traversal (one code swept across its range
while the rest stay put) and, for models with an encoder, real items placed in the code space.
Everything the sliders drive runs in a fragment, so a slider move reruns only that part.

Sliders come in groups. "Directions found in this model" (`gen_models.latent.directions`) come first,
each with its computed label under it, and the raw dimensions go into a closed section; a model with
no more codes of its own than directions (InfoGAN, the AAE, the RCGAN: a few codes its training gave
a meaning) keeps those first, then its directions. Every direction can be swept in the traversal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from gen_models.data.writing import write_csv
from gen_models.errors import USER_ERRORS
from gen_models.latent.directions import directions_of
from gen_models.models import GenerativeModel, LatentCode
from gen_models.models.flow import Flow
from ui.core.plots import (
    distribution_figure,
    image_grid_png,
    latent_map_figure,
    png_width,
    sequence_traversal_figure,
    sequences_figure,
    traversal_figure,
)
from ui.widgets import codes as code_ui
from ui.widgets.models import (
    ModelSource,
    column_kinds,
    data_kind,
    image_shape,
    index_name,
    model_card,
    pick_and_load,
    real_data_for,
    real_images,
    sequence_curves,
    sequence_labels,
)
from ui.widgets.state import session_id, session_runs_dir

ROWS = 1000  # rows generated for the distributions
TRAVERSAL_STEPS = 7
TRAVERSAL_ROWS = 400  # rows per traversal step
NOISE_SHOWN = 8  # noise dimensions shown before "show all"
MAP_POINTS = 3000
ANY = "any (as often as in the training data)"
GRID_SIDE = 8  # images: an 8x8 grid of samples
IMAGE_STEPS = 9  # images: columns of a traversal or a blend
IMAGE_DRAWS = 6  # images: rows of a traversal (random draws of the other codes)
SEQUENCES_SHOWN = 12  # sequences: curves drawn at once (more would hide each other)
SEQUENCE_DRAWS = 3  # sequences: panels of a traversal

sid = session_id()
st.title("3 · Explore the latent space")
st.write(
    "A generative model turns a few random numbers — its **latent codes** — into a row of a table, an "
    "image or a time series. Move a code's slider and what it makes changes at once: that shows what the "
    "model has learnt to put where."
)

source, model = pick_and_load(
    sid, session_runs_dir(), "explore_model", "There is no trained model yet. Train one first; it will appear here."
)

real = real_data_for(source)
kind = data_kind(model)
condition_text = f", conditioned on {model.condition_column}" if model.condition_column else ""
if kind == "images":
    height, width = image_shape(model)
    makes = f"makes {height}×{width} images"
elif kind == "sequences":
    makes = f"makes sequences of {model.encoder.steps} steps × {model.encoder.features} value(s)"
else:
    makes = f"makes rows with {len(model.describe()['columns'])} columns"
st.caption(
    f"{model.name} · {makes}{condition_text} · "
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


def direction_sliders(model: GenerativeModel) -> list[LatentCode]:
    """The model's discovered directions as sliders (saved with it, or found once per loaded model), or none."""
    if model.directions_ is not None:
        return code_ui.direction_codes(model.directions_)
    try:
        with st.spinner("Finding the directions that change this model's output most…"):
            return code_ui.direction_codes(directions_of(model))
    except USER_ERRORS as error:  # e.g. a diverged model whose outputs are not numbers
        st.info(f"No directions for this model: {error}")
        return []


def direction_labels(model: GenerativeModel) -> dict[str, str]:
    """{direction name: label}: what a step from -2 to +2 along it does."""
    return {d.name: d.label for d in model.directions_.items} if model.directions_ is not None else {}


def codes_first(codes: list[LatentCode], directions: list[LatentCode]) -> bool:
    """A model's own codes come before its directions when they are few (InfoGAN, AAE, RCGAN): see the docstring."""
    own = [c for c in codes if c.role != "noise"]
    return bool(own) and len(own) <= len(directions) or not directions


def sweep_order(model: GenerativeModel) -> list[LatentCode]:
    """Every slider in the order the page shows them: the traversal offers them in this order too."""
    codes, directions = model.latent_codes(), direction_sliders(model)
    own, noise = [c for c in codes if c.role != "noise"], [c for c in codes if c.role == "noise"]
    return own + directions + noise if codes_first(codes, directions) else directions + own + noise


def direction_values(
    model: GenerativeModel, key: str, values: dict, name: str | None = None, value: object = None
) -> tuple[dict, dict]:
    """(codes, directions) for `model.sample`: the held ones, with `name` (a code or a direction) set to `value`."""
    codes, moved = dict(values), dict(code_ui.held_codes(code_ui.directions_key(key)))
    if name is not None:
        (moved if name in {d.name for d in direction_sliders(model)} else codes)[name] = value
    return codes, moved


def controls(source: ModelSource, model: GenerativeModel) -> tuple[dict, object, int]:
    """The code and direction sliders, the condition and the draw buttons -> (held codes, condition, seed).

    Held directions live apart (`code_ui.directions_key`); `direction_values` reads them.
    """
    key = source.key
    codes = model.latent_codes()
    directions = direction_sliders(model)
    main = [c for c in codes if c.role != "noise"]
    noise = [c for c in codes if c.role == "noise"]
    held = code_ui.held_codes(key)
    moved = code_ui.held_codes(code_ui.directions_key(key))
    seed_key = f"seed:{key}"
    st.session_state.setdefault(seed_key, 0)
    item = {"images": "image", "sequences": "sequence"}.get(data_kind(model), "row")
    own_first = codes_first(codes, directions)

    if main and own_first:
        st.subheader("Latent codes")
        st.caption(
            f"Move a slider to **hold** that code at one value for every {item}; codes you have not moved are "
            f"drawn at random for each {item}, so you still see the whole spread of what the model makes."
        )
        code_ui.code_grid(key, main, levels=code_ui.measured_levels(source.path))
    if directions:
        st.subheader("Directions found in this model")
        st.caption(
            "Each slider moves every random draw along one direction in the latent space: a combination of the "
            f"raw dimensions, found by measuring which change what the model makes most (and set apart from each "
            f"other). Under each, what a step from -2 to +2 does to the {item}s it makes. 0 is the middle of the "
            "prior; a direction you have not moved is left to chance, like a code."
        )
        code_ui.direction_grid(key, directions, direction_labels(model))
    raw = noise if own_first else main + noise
    if raw:
        what = "plain random inputs with no set meaning" if not main or own_first else "the model's own axes"
        with st.expander(f"Raw latent dimensions ({len(raw)}): {what}", expanded=not directions and not main):
            show_all = len(raw) > NOISE_SHOWN and st.toggle(f"Show all {len(raw)}", key=f"all_noise:{key}")
            code_ui.code_grid(key, raw if show_all else raw[:NOISE_SHOWN])

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
    b2.button("Release all codes", key=f"release:{key}", on_click=release_everything, args=(key, codes, directions))
    moved_text = f" Directions set: {code_ui.held_list(moved)}." if moved else ""
    st.caption(code_ui.describe_held(held, item) + moved_text + f" Random draw #{st.session_state[seed_key]}.")
    return dict(held), condition, st.session_state[seed_key]


def release_everything(key: str, codes: list[LatentCode], directions: list[LatentCode]) -> None:
    """Button callback: every code and every direction back to random."""
    code_ui.release_all(key, codes)
    code_ui.release_all(code_ui.directions_key(key), directions)


def explore(source: ModelSource, model: GenerativeModel, real: pd.DataFrame | None) -> None:
    """Everything the sliders drive; a fragment, so a slider move reruns only this part."""
    held, condition, seed = controls(source, model)
    try:
        if data_kind(model) == "images":
            explore_images(source, model, real, held, condition, seed)
        elif data_kind(model) == "sequences":
            explore_sequences(source, model, real, held, condition, seed)
        else:
            explore_table(source, model, real, held, condition, seed)
    except USER_ERRORS as error:  # e.g. a held level the model does not know
        st.error(str(error))


def explore_table(
    source: ModelSource, model: GenerativeModel, real: pd.DataFrame | None, held: dict, condition: object, seed: int
) -> None:
    key = source.key
    codes = model.latent_codes()
    kinds = column_kinds(model)

    tab_names = ["Generated rows", "Traversal: one code at a time"]
    can_encode = bool(model.has_encoder and real is not None and _codes_match_encoder(codes))
    if can_encode:
        tab_names.append("Map of the real rows")
    tabs = lazy_tabs(key, tab_names)
    if tabs[0].open:
        with tabs[0]:
            codes_now, moved = direction_values(model, key, held)
            rows = model.sample(ROWS, codes=codes_now, condition=condition, seed=seed, directions=moved)
            rows_view(key, rows, real, kinds)
    if tabs[1].open:
        with tabs[1]:
            traversal_view(key, model, sweep_order(model), held, condition, seed, real, kinds)
    if can_encode and tabs[2].open:
        with tabs[2]:
            assert real is not None
            encoder_view(source, model, codes, real, seed)


def lazy_tabs(key: str, names: list[str]) -> list:
    """Tabs whose hidden content does not run: a slider move recomputes and redraws only the open one.

    The selection is kept per model (and per set of tabs) in session state, so it survives reruns.
    """
    return st.tabs(names, key=f"view:{key}:{len(names)}", on_change="rerun")


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
    labels = direction_labels(model)
    code_name = left.selectbox(
        "Code to sweep", list(by_name), key=f"sweep_code:{key}", format_func=sweep_name(by_name, labels)
    )
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
    frames = []
    for value in steps:
        codes_at, moved = direction_values(model, key, held, code.name, value)
        frames.append(model.sample(TRAVERSAL_ROWS, codes=codes_at, condition=condition, seed=seed, directions=moved))
    # A direction's traversal also charts the columns its label names: what it was found to move.
    named = model.directions_.get(code.name).named if code.role == "direction" and model.directions_ else ()
    watched = list(dict.fromkeys([column, *(c for c in named if c in kinds)]))
    per_row = 1 if len(watched) == 1 else 2  # two charts side by side stay readable
    grid = [place for _ in range(0, len(watched), per_row) for place in st.columns(per_row)]
    for i, (place, shown) in enumerate(zip(grid, watched, strict=False)):
        real_column = real[shown] if real is not None and shown in real else None
        place.plotly_chart(
            traversal_figure(code.name, steps, shown, kinds[shown], frames, real_column),
            key="traversal" if i == 0 else f"traversal_{i}",
            config={"displayModeBar": False},
        )


LIKELIHOOD = "likelihood (the flow's)"  # a colour for the map of a model that knows each row's likelihood
LIKELIHOOD_BANDS = ("least likely fifth", "second fifth", "middle fifth", "fourth fifth", "most likely fifth")


@st.cache_data(max_entries=8, show_spinner="Scoring the real rows by the flow's likelihood…")
def likelihood_bands(model_key: str, stamp: float, _model: Flow, _real: pd.DataFrame) -> pd.Series:
    """Each real row's fifth by the flow's log-likelihood, as a label the map colours by; cached per model."""
    ranks = pd.Series(_model.log_likelihood(_real)).rank(method="first").to_numpy() - 1
    fifths = np.minimum(ranks * len(LIKELIHOOD_BANDS) // len(ranks), len(LIKELIHOOD_BANDS) - 1).astype(int)
    return pd.Series([LIKELIHOOD_BANDS[i] for i in fifths], index=_real.index, name=LIKELIHOOD)


def map_rows(count: int, labels: pd.Series | None, most: int = MAP_POINTS, seed: int = 0) -> np.ndarray:
    """Positions of the real items the map shows: all `count`, or a seeded sample of about `most`.

    The sample is stratified by `labels` (each class in its share, at least one item each): the first rows
    of a file sorted by class would show only its first classes.
    """
    if count <= most:
        return np.arange(count)
    rng = np.random.default_rng(seed)
    if labels is None:
        return np.sort(rng.choice(count, size=most, replace=False))
    classes, _ = pd.factorize(labels.to_numpy(), use_na_sentinel=False)  # an empty label is a class too
    picked = [
        rng.permutation(members)[: max(1, round(most * len(members) / count))]
        for members in (np.flatnonzero(classes == c) for c in np.unique(classes))
    ]
    return np.sort(np.concatenate(picked))


def other_class_row(labels: pd.Series | None, count: int) -> int:
    """The first row (0-based) of another class than row 0's, so a blend starts across classes; else row 1."""
    if labels is not None:
        different = np.flatnonzero(labels.astype(str).to_numpy() != str(labels.iloc[0]))
        if len(different):
            return int(different[0])
    return min(1, count - 1)


def map_figure(
    key: str, codes: list[LatentCode], latent: np.ndarray, x_name: str, y_name: str, colour: pd.Series | None
):  # noqa: ANN201 - a plotly Figure
    """Real items at their codes (x_name across, y_name up; a sample stratified by colour), × at the sliders."""
    shown = map_rows(len(latent), colour)
    by_name = {code.name: code for code in codes}
    names = list(by_name)
    marker = (code_ui.slider_value(key, by_name[x_name]), code_ui.slider_value(key, by_name[y_name]))
    return latent_map_figure(
        latent[shown],
        names.index(x_name),
        names.index(y_name),
        x_name,
        y_name,
        None if colour is None else colour.iloc[shown],
        marker,
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
    # The model's own schema says which columns are categories: the page does not guess again.
    categorical = [column for column, kind in column_kinds(model).items() if kind == "categorical"]
    likelihood = [LIKELIHOOD] if isinstance(model, Flow) else []  # a flow scores every row
    colour = c3.selectbox(
        "Colour by",
        [None, *likelihood, *categorical],
        index=1 if categorical or likelihood else 0,
        key=f"map_colour:{key}",
        format_func=lambda c: "nothing" if c is None else c,
    )
    if colour == LIKELIHOOD:
        assert isinstance(model, Flow)
        colours: pd.Series | None = likelihood_bands(key, source.stamp, model, real)
    else:
        colours = real[colour] if colour else None
    figure = map_figure(key, codes, latent, x_name, y_name, colours)
    st.plotly_chart(figure, key="latent_map", config={"displayModeBar": False})

    st.download_button(
        "Download the real rows' codes (CSV)",
        write_csv(pd.concat([real.reset_index(drop=True), pd.DataFrame(latent, columns=names)], axis=1)),
        file_name=f"{model.name}_codes.csv",
        mime="text/csv",
        key=f"codes_csv:{key}",
        on_click="ignore",
        help="Every real row with its codes after its columns, as `python -m gen_models encode` writes them: "
        "features for a predictive model of your own.",
    )

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
    to_default = other_class_row(colours, len(real)) + 1
    last = b_col.number_input("To row", 1, len(real), to_default, key=f"blend_b:{key}")
    start, end = latent[first - 1], latent[last - 1]
    blended = []
    for t in np.linspace(0.0, 1.0, TRAVERSAL_STEPS):
        point = start + t * (end - start)
        row_frame = model.sample(1, codes=dict(zip(names, point.tolist(), strict=True)), seed=seed)
        blended.append(row_frame.assign(**{"blend": f"{t:.0%}"}))
    table = pd.concat(blended, ignore_index=True)
    st.dataframe(table[["blend", *[c for c in table.columns if c != "blend"]]], hide_index=True)
    st.caption("Rows decoded along the straight line between the two rows' codes (0% = the first row).")


# ----- images ----------------------------------------------------------------------------------
@st.cache_data(max_entries=8, show_spinner=False)
def real_pixels(model_key: str, stamp: float, _model: GenerativeModel, _real: pd.DataFrame) -> np.ndarray:
    """(n_images, H*W) real images in [-1, 1]; cached per model (key + save time)."""
    return real_images(_model, _real)


def sweep_values(code: LatentCode, steps: int) -> list:
    """The values a traversal visits: every level, or `steps` evenly spaced numbers over the range."""
    if code.kind == "categorical":
        return list(code.levels)
    return [float(v) for v in np.linspace(code.low, code.high, steps)]


def value_label(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def sweep_name(by_name: dict[str, LatentCode], labels: dict[str, str]):  # noqa: ANN201 - a format_func
    """How the traversal's selectbox names a code: noise marked, a direction with its label (`direction_labels`)."""

    def name(n: str) -> str:
        if n in labels:
            return f"{n}: {labels[n]}"
        return f"{n} (noise)" if by_name[n].role == "noise" else n

    return name


def pick_sweep_code(key: str, model: GenerativeModel) -> LatentCode:
    """A selectbox of the codes and directions, in the order the sliders show them (`sweep_order`)."""
    by_name = {code.name: code for code in sweep_order(model)}
    labels = direction_labels(model)
    name = st.selectbox(
        "Code to sweep", list(by_name), key=f"sweep_code:{key}", format_func=sweep_name(by_name, labels)
    )
    return by_name[name]


def image_samples(model: GenerativeModel, key: str, held: dict, condition: object, seed: int) -> bytes:
    """The 8x8 grid the sliders drive, as PNG bytes: sample, then tile into one picture."""
    codes, moved = direction_values(model, key, held)
    images = model.sample_encoded(GRID_SIDE * GRID_SIDE, codes=codes, condition=condition, seed=seed, directions=moved)
    return image_grid_png(images.numpy(), image_shape(model), columns=GRID_SIDE)


def image_traversal(
    model: GenerativeModel, key: str, code: LatentCode, held: dict, condition: object, seed: int
) -> tuple[bytes, list]:
    """Rows = random draws of the other codes, columns = `code` swept: PNG bytes and the values.

    The same seed for every column gives every column the same draws of the other codes, so a
    row changes only where the swept code acts.
    """
    values = sweep_values(code, IMAGE_STEPS)
    columns = []
    for value in values:
        codes_at, moved = direction_values(model, key, held, code.name, value)
        columns.append(
            model.sample_encoded(IMAGE_DRAWS, codes=codes_at, condition=condition, seed=seed, directions=moved).numpy()
        )
    grid = np.stack(columns, axis=1).reshape(IMAGE_DRAWS * len(values), -1)  # row-major: draw, then value
    labels = [f"{code.name}={value_label(v)}" if i == 0 else value_label(v) for i, v in enumerate(values)]
    return image_grid_png(grid, image_shape(model), columns=len(values), column_labels=labels), values


def explore_images(
    source: ModelSource, model: GenerativeModel, real: pd.DataFrame | None, held: dict, condition: object, seed: int
) -> None:
    key = source.key
    codes = model.latent_codes()
    can_encode = bool(model.has_encoder and real is not None and _codes_match_encoder(codes))
    tabs = lazy_tabs(
        key,
        ["Generated images", "Traversal: one code at a time"]
        + (["Real images in the code space"] if can_encode else []),
    )
    if tabs[0].open:
        with tabs[0]:
            picture = image_samples(model, key, held, condition, seed)
            st.image(picture, caption=f"{GRID_SIDE * GRID_SIDE} generated images", width=png_width(picture))
    if tabs[1].open:
        with tabs[1]:
            st.caption(
                "Each row is one random draw of the other codes; each column sets one code to a value, from the "
                "lowest on the left to the highest on the right. A code that matters changes the picture along "
                "the row the same way in every row; one that does not leaves the row alike."
            )
            code = pick_sweep_code(key, model)
            picture, _ = image_traversal(model, key, code, held, condition, seed)
            st.image(picture, width=png_width(picture))
            ending = "" if code.meaning.endswith(".") else "."  # some meanings are whole sentences already
            st.caption(f"**{code.name}**: {code.meaning}{ending}")
    if can_encode and tabs[2].open:
        with tabs[2]:
            assert real is not None
            image_encoder_view(source, model, codes, real, seed)


def image_encoder_view(
    source: ModelSource, model: GenerativeModel, codes: list[LatentCode], real: pd.DataFrame, seed: int
) -> None:
    """Real images placed by the encoder, started from, and blended: where the model puts real data."""
    key = source.key
    latent = encoded_rows(key, source.stamp, model, real)
    pixels = real_pixels(key, source.stamp, model, real)
    names = [code.name for code in codes]
    label = model.layout.label if model.layout.label in real else None
    shape = image_shape(model)

    st.caption(
        "Each dot is a real image, placed by the codes the encoder gives it"
        + (f" and coloured by its {label}" if label else "")
        + ". × marks the sliders: images from there look like the real ones around it."
    )
    c1, c2 = st.columns(2)
    x_name = c1.selectbox("Across", names, index=0, key=f"map_x:{key}")
    y_name = c2.selectbox("Up", names, index=min(1, len(names) - 1), key=f"map_y:{key}")
    figure = map_figure(key, codes, latent, x_name, y_name, real[label] if label else None)
    figure.update_layout(title={"text": "Real images in the code space"})
    st.plotly_chart(figure, key="latent_map", config={"displayModeBar": False})

    def condition_of(i: int) -> object:
        """A conditioned model rebuilds an image with that image's own label."""
        return real[label].iloc[i] if model.condition_column is not None and label else None

    def decode(point: np.ndarray, i: int) -> np.ndarray:
        codes_at = dict(zip(names, point.tolist(), strict=True))
        return model.sample_encoded(1, codes=codes_at, condition=condition_of(i), seed=seed).numpy()

    st.markdown("**Start from a real image**")
    left, right = st.columns([1, 2])
    with left:
        number = st.number_input("Image number", 1, len(real), 1, key=f"start_row:{key}")
        st.button(
            "Set the sliders to this image's codes",
            key=f"use_row:{key}",
            on_click=code_ui.hold_values,
            args=(key, codes, dict(zip(names, latent[number - 1].tolist(), strict=True))),
            help="Every code is then held, so the generated images are this image as the model rebuilds it. "
            "Move one slider from there to see what that code changes.",
        )
    with right:
        i = number - 1
        pair = np.concatenate([pixels[[i]], decode(latent[i], i)])
        title = f"{label} {real[label].iloc[i]}" if label else f"image {number}"
        picture = image_grid_png(pair, shape, columns=2, column_labels=["real", "rebuilt"], cell=84)
        st.image(picture, caption=title, width=png_width(picture))

    st.markdown("**Blend two real images**")
    a_col, b_col = st.columns(2)
    first = a_col.number_input("From image", 1, len(real), 1, key=f"blend_a:{key}") - 1
    to_default = other_class_row(real[label] if label else None, len(real)) + 1
    last = b_col.number_input("To image", 1, len(real), to_default, key=f"blend_b:{key}") - 1
    fractions = np.linspace(0.0, 1.0, IMAGE_STEPS - 2)
    blended = [decode(latent[first] + t * (latent[last] - latent[first]), first) for t in fractions]
    strip = np.concatenate([pixels[[first]], *blended, pixels[[last]]])
    labels = ["from", *[f"{t:.0%}" for t in fractions], "to"]
    picture = image_grid_png(strip, shape, columns=len(strip), column_labels=labels)
    st.image(picture, width=png_width(picture))
    ends = f" (a {label} {real[label].iloc[first]} and a {label} {real[label].iloc[last]})" if label else ""
    st.caption(
        f"The images decoded along the straight line between the two images' codes, with the real images "
        f"at both ends{ends}. Smooth changes mean the code space is well organised between them."
    )


# ----- sequences --------------------------------------------------------------------------------
@st.cache_data(max_entries=8, show_spinner=False)
def real_sequences(model_key: str, stamp: float, _model: GenerativeModel, _real: pd.DataFrame):  # noqa: ANN201
    """(values (n, T, F), labels or None) of the real sequences; cached per model."""
    _, values, _ = sequence_curves(_model.encoder, _real)
    labels = sequence_labels(_model.layout, _real)
    return values, None if labels is None else labels.to_numpy()


def generated_curves(
    model: GenerativeModel, n: int, held: dict, condition: object, seed: int, moved: dict | None = None
) -> tuple[list, np.ndarray, list[str]]:
    """n generated sequences in the original units: (step labels, (n, T, F), value names); `moved`: directions."""
    x, c = model.sample_with_condition(n, codes=held, condition=condition, seed=seed, directions=moved)
    return sequence_curves(model.encoder, model.decode(x, c))


def explore_sequences(
    source: ModelSource, model: GenerativeModel, real: pd.DataFrame | None, held: dict, condition: object, seed: int
) -> None:
    key = source.key
    codes_now, moved_now = direction_values(model, key, held)
    steps, values, names = generated_curves(model, SEQUENCES_SHOWN, codes_now, condition, seed, moved_now)
    feature = 0
    if len(names) > 1:
        feature = names.index(st.selectbox("Value to plot", names, key=f"seq_value:{key}"))
    real_values = None
    if real is not None:
        all_real, labels = real_sequences(key, source.stamp, model, real)
        if condition is not None and labels is not None:
            all_real = all_real[labels.astype(str) == str(condition)]
        real_values = all_real[:SEQUENCES_SHOWN, :, feature]
    x_name = index_name(model)

    codes = model.latent_codes()
    can_encode = bool(model.has_encoder and real is not None and _codes_match_encoder(codes))
    tabs = lazy_tabs(
        key,
        ["Generated sequences", "Traversal: one code at a time"] + (["Start from a real series"] if can_encode else []),
    )
    if tabs[0].open:
        with tabs[0]:
            figure = sequences_figure(steps, values[:, :, feature], real_values, names[feature], x_name, height=380)
            st.plotly_chart(figure, key="sequences", config={"displayModeBar": False})
            st.caption(
                f"{SEQUENCES_SHOWN} generated sequences (purple)"
                + (f" over {len(real_values)} real ones (grey)" if real_values is not None else "")
                + ". Move a code and watch every purple curve change the same way."
            )
    if tabs[1].open:
        with tabs[1]:
            st.caption(
                "Each panel is one random draw of the other codes; in it, one curve per value of the swept code, "
                "from light orange (lowest) to dark purple (highest). A code that matters fans the curves out."
            )
            code = pick_sweep_code(key, model)
            sweep = sweep_values(code, TRAVERSAL_STEPS)
            per_value = []
            for v in sweep:
                codes_at, moved = direction_values(model, key, held, code.name, v)
                curves_at = generated_curves(model, SEQUENCE_DRAWS, codes_at, condition, seed, moved)[1]
                per_value.append(curves_at[:, :, feature])
            curves = np.stack(per_value, axis=1)  # (draws, values, T)
            figure = sequence_traversal_figure(steps, code.name, sweep, curves, names[feature], x_name)
            st.plotly_chart(figure, key="sequence_traversal", config={"displayModeBar": False})
    if can_encode and tabs[2].open:
        with tabs[2]:
            assert real is not None
            sequence_encoder_view(source, model, codes, real, feature, seed)


def hold_series(key: str, codes: list[LatentCode], values: dict, condition_column: str | None, label: object) -> None:
    """Button callback: hold a real series' codes and, for a conditioned model, select its label too."""
    code_ui.hold_values(key, codes, values)
    if condition_column is not None and label is not None:
        st.session_state[f"condition:{key}"] = label  # one of the model's levels (see sequence_encoder_view)


def sequence_encoder_view(
    source: ModelSource, model: GenerativeModel, codes: list[LatentCode], real: pd.DataFrame, feature: int, seed: int
) -> None:
    """A real series, its codes, and the series the model rebuilds from them: encode, then edit by moving sliders."""
    key = source.key
    latent = encoded_rows(key, source.stamp, model, real)  # (n_series, n_codes), in key order
    all_real, labels = real_sequences(key, source.stamp, model, real)
    names = [code.name for code in codes]
    number = st.number_input("Series number", 1, len(latent), 1, key=f"start_row:{key}")
    i = number - 1
    label = None if labels is None else labels[i]
    if model.condition_column is not None and label is not None:
        # The condition selector's option for this label (the model's own level, whatever its type here).
        label = next((level for level in model.condition_levels if str(level) == str(label)), None)
    condition = label if model.condition_column is not None else None
    codes_at = dict(zip(names, latent[i].tolist(), strict=True))
    steps, rebuilt, value_names = generated_curves(model, 1, codes_at, condition, seed)
    title = f"series {number}" + (f" ({model.layout.label} {label})" if label is not None else "")
    figure = sequences_figure(
        steps, rebuilt[:, :, feature], all_real[[i], :, feature], value_names[feature], index_name(model), title
    )
    st.plotly_chart(figure, key="series_rebuilt", config={"displayModeBar": False})
    st.caption(
        "The real series in grey, the one the model rebuilds from its codes in purple (they coincide when the "
        "model's codes describe the series exactly). Hold its codes, then move one slider to edit the series "
        "from that step on."
    )
    st.button(
        "Set the sliders to this series' codes",
        key=f"use_row:{key}",
        on_click=hold_series,
        args=(key, codes, codes_at, model.condition_column, label),
        help="Every code is then held"
        + (f", and the {model.condition_column} set to this series'" if model.condition_column else "")
        + ", so the generated series are this one as the model rebuilds it.",
    )


st.fragment(explore)(source, model, real)
