"""Generate page: make as many rows, images or sequences as you need, preview them, download them.

Downloads keep the training data's layout: the same columns for tables, pixel columns (+ label)
for images, long (one row per step) or wide (one row per sequence) files for time series.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from gen_models.data.writing import write_csv
from gen_models.errors import USER_ERRORS
from gen_models.models import GenerativeModel
from ui.core.export import bundle, snippet
from ui.core.plots import image_grid_png, pixels_to_encoded, png_width, sequences_figure
from ui.widgets import codes as code_ui
from ui.widgets import quality as q
from ui.widgets.models import (
    ModelSource,
    data_kind,
    image_shape,
    index_name,
    pick_and_load,
    real_data_for,
    sequence_curves,
    sequences_wide,
)
from ui.widgets.state import session_id, session_runs_dir

MAX_ROWS = 100_000
MAX_ITEMS = 10_000  # images or sequences: 10,000 MNIST digits are already a 20 MB CSV
PREVIEW_ROWS = 100
PREVIEW_IMAGES = 64
PREVIEW_SEQUENCES = 12
ANY = "any (as often as in the training data)"
RANDOM_CODES = "Draw all codes at random (the usual choice)"
HOLD_CODES = "Hold some codes at fixed values"

sid = session_id()
st.title("4 · Generate new data")
st.write(
    "Make new rows, images or time series with a trained model and download them. The same model, "
    "settings and seed always give exactly the same results, so you can make them again later."
)

source, model = pick_and_load(
    sid, session_runs_dir(), "generate_model", "There is no trained model yet. Train one first; it will appear here."
)
kind = data_kind(model)
ITEM = {"images": "Images", "sequences": "Sequences"}.get(kind, "Rows")  # what the generated items are called
ONE_ITEM = {"images": "image", "sequences": "sequence"}.get(kind, "row")


@st.cache_data(max_entries=8, show_spinner="Generating…")
def generate(
    model_key: str, stamp: float, n: int, codes_json: str, condition: Any, seed: int, _model: GenerativeModel
) -> pd.DataFrame:
    """Rows for these settings; cached so that clicking a download does not generate them again."""
    return _model.sample(n, codes=json.loads(codes_json), condition=condition, seed=seed)


@st.cache_data(max_entries=4, show_spinner="Preparing the CSV file…")
def as_csv(rows: pd.DataFrame, keep_formulas: bool) -> bytes:
    """Cached: 10,000 images are a 20 MB CSV, too slow to rewrite on every rerun of the page.

    Text cells a spreadsheet would run as a formula get a leading apostrophe unless `keep_formulas`.
    """
    return write_csv(rows, keep_formulas=keep_formulas).encode("utf-8")


@st.cache_data(max_entries=4, show_spinner="Preparing the JSON file…")
def as_json(rows: pd.DataFrame) -> bytes:
    return rows.to_json(orient="records", date_format="iso", indent=1).encode("utf-8")


@st.cache_data(max_entries=4, show_spinner="Preparing the Parquet file…")
def as_parquet(rows: pd.DataFrame) -> bytes:
    return rows.to_parquet(index=False)


@st.cache_data(max_entries=4, show_spinner="Preparing the zip file…")
def as_bundle(model_dir: str, stamp: float, n: int, codes_json: str, condition: Any, seed: int) -> bytes:
    """The model + recipe zip as bytes, built once per settings.

    Bytes, not a deferred callable: a deferred download's file is dropped at the next rerun, so clicking it
    right after another download failed ("Deferred file ... not found") and nothing was saved.
    """
    return bundle(Path(model_dir), n, json.loads(codes_json), condition, seed)


def code_values(source: ModelSource, model: GenerativeModel) -> dict[str, Any]:
    """The codes to hold fixed: none (the start), or the chosen ones (offered at the values held on Explore).

    Codes held on Explore are never used without the user choosing to: the page starts from random codes
    and says which codes Explore holds.
    """
    codes = model.latent_codes()
    held_on_explore = code_ui.held_codes(source.key)
    mode = st.radio(
        "Latent codes",
        [RANDOM_CODES, HOLD_CODES],
        index=0,
        horizontal=True,
        key=f"gen_mode:{source.key}",
        help="Holding a code gives rows that all share that property, as on the Explore page.",
    )
    if mode == RANDOM_CODES:
        if held_on_explore:
            st.caption(
                f"On the Explore page you hold {code_ui.held_list(held_on_explore)}. They are not used here: "
                f'choose "{HOLD_CODES}" to start from them.'
            )
        return {}
    by_name = {code.name: code for code in codes}
    chosen = st.multiselect(
        "Codes to hold", list(by_name), default=list(held_on_explore), key=f"gen_codes:{source.key}"
    )
    draws = code_ui.measured_levels(source.path)
    values: dict[str, Any] = {}
    grid = st.columns(4)
    for i, name in enumerate(chosen):
        code = by_name[name]
        start = held_on_explore.get(name)
        with grid[i % 4]:
            if code.kind == "categorical":
                levels = list(code.levels)
                values[name] = st.selectbox(
                    name,
                    levels,
                    index=levels.index(start) if start in levels else 0,
                    format_func=lambda level, name=name: code_ui.level_label(level, draws.get(name)),
                    key=f"gen_value:{source.key}:{name}",
                )
            else:
                values[name] = st.number_input(
                    name,
                    float(code.low),
                    float(code.high),
                    float(start) if start is not None else code_ui.resting_value(code),
                    step=0.1,
                    key=f"gen_value:{source.key}:{name}",
                )
    return values


left, middle, right = st.columns(3)
n_rows = int(
    left.number_input(
        ITEM,
        1,
        MAX_ROWS if kind == "table" else MAX_ITEMS,
        1000 if kind == "table" else 100,
        step=100,
        key=f"gen_rows_{kind}" if kind != "table" else "gen_rows",
    )
)
seed = int(middle.number_input("Seed", 0, 2**31 - 1, 0, key="gen_seed", help="Same seed, same results."))
condition = None
if model.condition_column is not None:
    choice = right.selectbox(
        f"{model.condition_column} (the condition)", [ANY, *model.condition_levels], key=f"gen_condition:{source.key}"
    )
    condition = None if choice == ANY else choice
held = code_values(source, model)

try:
    rows = generate(source.key, source.stamp, n_rows, json.dumps(held), condition, seed, model)
except USER_ERRORS as error:
    st.error(str(error))
    st.stop()
if held:  # the user chose to hold codes: say so where the results start
    st.info(code_ui.describe_held(held, ONE_ITEM), icon=":material/push_pin:")

if kind == "images":
    st.subheader(f"{n_rows:,} images")
    shown = min(n_rows, PREVIEW_IMAGES)
    pixels = rows[model.encoder.pixel_columns].to_numpy()[:shown]  # the downloaded values, redrawn
    picture = image_grid_png(pixels_to_encoded(pixels, model.encoder.low, model.encoder.high), image_shape(model))
    st.image(picture, width=png_width(picture), caption=f"The first {shown} of {n_rows:,} images.")
    height, width = image_shape(model)
    label_note = f" and the `{model.condition_column}` column" if model.condition_column else ""
    st.caption(
        f"Each image is one row of {height * width} pixel columns (read row by row from the top left), in the "
        f"training data's range {model.encoder.low:g} to {model.encoder.high:g}{label_note}."
    )
elif kind == "sequences":
    st.subheader(f"{n_rows:,} sequences")
    steps, values, names = sequence_curves(model.encoder, rows)
    shown = min(n_rows, PREVIEW_SEQUENCES)
    figure = sequences_figure(steps, values[:shown, :, 0], None, names[0], index_name(model))
    figure.update_layout(showlegend=False)
    st.plotly_chart(figure, key="gen_sequences", config={"displayModeBar": False})
    st.caption(f"The first {shown} of {n_rows:,} sequences ({names[0]}).")
    if not model.layout.wide:
        file_layout = st.radio(
            "File layout",
            ["long", "wide"],
            format_func=lambda f: {
                "long": "Long: one row per time step, like the training data",
                "wide": "Wide: one row per sequence, one column per step",
            }[f],
            horizontal=True,
            key="gen_sequence_layout",
        )
        if file_layout == "wide":
            rows = sequences_wide(model, rows)
    st.dataframe(rows.head(PREVIEW_ROWS), hide_index=True)
else:
    st.subheader(f"{len(rows):,} rows")
    st.dataframe(rows.head(PREVIEW_ROWS), hide_index=True)
    if len(rows) > PREVIEW_ROWS:
        st.caption(f"The first {PREVIEW_ROWS} rows; the downloads hold all {len(rows):,}.")

real = real_data_for(source) if kind == "table" else None  # the quality figure compares tables
score = q.model_quality(source.key, source.stamp, model, real) if real is not None else None
if score is not None:
    trends = f", pair trends {score['pair_trends']:.2f}" if score["pair_trends"] is not None else ""
    st.metric(
        "Quality of this model",
        f"{score['quality']:.2f}",
        help="0 to 1; 1 would be indistinguishable from the real data column by column and pair by pair.",
    )
    note = (
        " Your rows hold codes or a condition, so they are deliberately unlike the whole table: the figure is "
        "the model's own, measured without them."
        if held or condition is not None
        else ""
    )
    st.caption(
        f"Column shapes {score['column_shapes']:.2f}{trends}. The model's figure, the same as on the Train, "
        f"Evaluate and Compare pages: {q.QUALITY_ROWS:,} rows generated with seed {q.QUALITY_SEED} against "
        f"{min(q.QUALITY_ROWS, len(real)):,} real rows.{note}"
    )

st.markdown("**Download**")
d1, d2, d3, d4 = st.columns(4)
stem = f"{source.path.name}_{n_rows}_{ITEM.lower()}_seed{seed}"
keep_formulas = st.session_state.get("keep_formulas", False)
# Every download is bytes built once (cached) and needs no rerun when clicked (on_click="ignore"), so one
# download never takes the file of another away, however quickly they are clicked one after the other.
d1.download_button(
    "Download CSV", as_csv(rows, keep_formulas), f"{stem}.csv", "text/csv", key="download_csv", on_click="ignore"
)
try:
    parquet = as_parquet(rows)
except (ImportError, ValueError, TypeError) as error:  # pyarrow missing, or a column it cannot store
    d2.caption(f"Parquet is not available for these rows: {error}")
else:
    d2.download_button(
        "Download Parquet",
        parquet,
        f"{stem}.parquet",
        "application/vnd.apache.parquet",
        key="download_parquet",
        on_click="ignore",
    )
d3.download_button(
    "Download JSON", as_json(rows), f"{stem}.json", "application/json", key="download_json", on_click="ignore"
)
d4.download_button(
    "Download model + recipe (zip)",
    as_bundle(str(source.path), source.stamp, n_rows, json.dumps(held), condition, seed),
    file_name=f"{stem}_recipe.zip",
    mime="application/zip",
    key="download_bundle",
    on_click="ignore",
    help="The model folder, the seed and settings, and regenerate.py which makes exactly these rows again.",
)
st.checkbox(
    "CSV: keep text cells that start with =, +, -, @ as they are",
    key="keep_formulas",
    help="Off (safer): such cells, taken from your data, get a leading ' so that a spreadsheet shows them as "
    "text instead of running them as formulas.",
)
with st.expander("Make these rows again in Python"):
    st.code(snippet(n_rows, held, condition, seed), language="python")
    st.caption('Unzip the "model + recipe" download and run regenerate.py next to its model folder.')
