"""Data page: pick a bundled data set or upload a CSV, say what one item is, check how it is read.

Tables get the column-kinds editor. Images and time series are tables too (one row per image,
or one row per time step): the user says how to read them (a `DataLayout`), and the page shows
the first images or curves so a wrong shape or column choice is visible at once.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gen_models.data import validate_table
from gen_models.data.datasets import list_datasets
from gen_models.data.encoders import make_encoder
from gen_models.data.layout_inference import infer_layout
from gen_models.data.layouts import DataLayout, parse_image_shape
from gen_models.data.reading import read_table
from gen_models.data.schema import KINDS
from gen_models.errors import USER_ERRORS
from ui.core.plots import distribution_figure, image_grid_png, png_width, sequences_figure
from ui.widgets.models import sequence_curves, sequence_labels
from ui.widgets.state import DataChoice, choose_bundled, current_data, infer_schema_safely, save_data_choice, set_data

MAX_SUMMARY_PLOTS = 12
PREVIEW_ROWS = 10
PREVIEW_IMAGES = 32
PREVIEW_SEQUENCES = 12
KIND_WORDS = {"table": "table", "toy2d": "table", "images": "images", "sequences": "time series"}
NONE = "(none)"
UPLOAD_TYPES = ["csv", "tsv", "txt", "gz", "xlsx", "parquet"]
LAYOUT_WIDGETS = ("layout_kind", "layout_shape", "layout_label", "layout_key", "layout_index", "layout_wide")

st.title("1 · Your data")
st.write(
    "A generative model learns from examples. A **table** has one row per example (a person, a day, a "
    "penguin) and one column per property. **Images** come as one row per picture, one column per pixel. "
    "**Time series** come as one row per time step, or one row per series. Pick a bundled example or upload "
    "your own file (CSV, Excel, Parquet); then check below how it will be read."
)

source = st.radio(
    "Where is your data?",
    ["A bundled example", "My own file"],
    horizontal=True,
    index=1 if (d := current_data()) is not None and d.source.startswith("upload:") else 0,
    key="data_source",
)

if source == "A bundled example":
    by_name = {info.name: info for info in list_datasets()}
    data = current_data()
    chosen = data.dataset_name if data is not None and data.dataset_name in by_name else "penguins"
    name = st.selectbox(
        "Example data set",
        options=list(by_name),
        index=list(by_name).index(chosen),
        format_func=lambda n: (
            f"{by_name[n].title} · {KIND_WORDS.get(by_name[n].kind, '')} · {by_name[n].n_rows:,} rows"
        ),
        key="dataset_pick",
    )
    info = by_name[name]
    st.write(info.description)
    st.caption(f"Source: {info.source}. Licence: {info.licence}.")
    try:
        choose_bundled(name)
    except USER_ERRORS as error:  # e.g. the package holding the file is missing
        st.error(str(error))
else:
    st.write(
        f"**Upload a file (at most {st.get_option('server.maxUploadSize')} MB)**: a CSV file whose first line "
        "holds the column names (commas, "
        "semicolons or tabs between values; decimal points or commas are both understood), a gzip-compressed "
        "CSV, an Excel workbook (.xlsx) or a Parquet file."
    )
    upload = st.file_uploader("Data file", type=UPLOAD_TYPES, key="csv_upload")
    if upload is not None:
        data = current_data()
        read = None
        megabytes = f"{upload.size / 1e6:,.1f} MB"
        try:
            with st.spinner(f"Reading {upload.name} ({megabytes}) ..."):  # a large file takes seconds
                read = read_table(upload.getvalue())
        except USER_ERRORS as error:
            st.error(f"**{upload.name}** could not be used. {error}")
            if data is not None:
                st.info(f"Your previous data, **{data.label}**, is still selected.")
        sheet = None
        if read is not None and len(read.sheets) > 1:
            sheet = st.selectbox("Sheet", read.sheets, key=f"sheet_{upload.file_id}", help="The workbook's sheets.")
        source = f"upload:{upload.name}:{upload.file_id}" + (f":{sheet}" if sheet else "")
        if read is not None and (data is None or data.source != source):
            try:
                with st.spinner(
                    f"Reading the kinds of {len(read.frame.columns)} columns in {len(read.frame):,} rows ..."
                ):
                    if sheet is not None and sheet != read.info.sheet:
                        read = read_table(upload.getvalue(), sheet=sheet)
                    schema = infer_schema_safely(read.frame)
            except USER_ERRORS as error:
                st.error(f"**{upload.name}** could not be used. {error}")
                if data is not None:
                    st.info(f"Your previous data, **{data.label}**, is still selected.")
            else:
                guess = infer_layout(read.frame)
                for key in LAYOUT_WIDGETS:  # a new file starts from its own guess, not the last file's choices
                    st.session_state.pop(key, None)
                set_data(
                    DataChoice(
                        label=upload.name,
                        source=source,
                        frame=read.frame,
                        inferred=schema,
                        schema=schema,
                        layout=guess.layout,
                        read_note=read.info.describe(),
                        layout_guess=guess.reason,
                    )
                )

data = current_data()
if data is None:
    st.info("No data chosen yet: pick an example or upload a file above.")
    st.stop()

frame = data.frame


def layout_form(data: DataChoice) -> DataLayout | None:
    """For an uploaded file: what one item is. Returns the layout, or None after showing why not."""
    columns = list(data.frame.columns)
    if data.read_note:
        st.caption(f"Read as: {data.read_note}.")
    if data.layout_guess:
        st.info(
            f"Latent Lab's guess: {data.layout_guess} Change it below if that is wrong.", icon=":material/lightbulb:"
        )
    kinds = {"table": "A table", "images": "Images (one row per image)", "sequences": "Time series"}
    kind = st.radio(
        "What is in the file?",
        list(kinds),
        format_func=kinds.get,
        index=list(kinds).index(data.layout.kind),
        horizontal=True,
        key="layout_kind",
    )
    if kind == "table":
        return DataLayout()
    current = data.layout if data.layout.kind == kind else DataLayout()

    def column_pick(label: str, key: str, default: str | None, optional: bool, help: str) -> str | None:
        options = ([NONE] if optional else []) + columns
        start = default if default in options else options[0]
        choice = st.selectbox(label, options, index=options.index(start), key=key, help=help)
        return None if choice == NONE else choice

    try:
        if kind == "images":
            c1, c2 = st.columns(2)
            shape_text = c1.text_input(
                "Image size (height x width)",
                "x".join(map(str, current.image_shape)) if current.image_shape else "28x28",
                key="layout_shape",
                help="Each row must then have height × width pixel columns, read row by row from the top left.",
            )
            with c2:
                label = column_pick(
                    "Label column", "layout_label", current.label or "label", True, "What each image shows, if known."
                )
            return DataLayout(kind="images", image_shape=parse_image_shape(shape_text), label=label)
        wide = st.radio(
            "Layout",
            [False, True],
            format_func=lambda w: (
                "Wide: one row per series, one column per step"
                if w
                else "Long: one row per time step, with a series id and a step column"
            ),
            index=int(current.wide),
            horizontal=True,
            key="layout_wide",
        )
        c1, c2, c3 = st.columns(3)
        key = index = None
        if not wide:
            with c1:
                key = column_pick(
                    "Series id column", "layout_key", current.sequence_key, False, "Names the series a row belongs to."
                )
            with c2:
                index = column_pick(
                    "Step column", "layout_index", current.sequence_index, False, "Orders the steps within a series."
                )
        with c3:
            label = column_pick(
                "Label column", "layout_label", current.label, True, "One category per series (optional)."
            )
        return DataLayout(kind="sequences", sequence_key=key, sequence_index=index, label=label, wide=wide)
    except USER_ERRORS as error:
        st.error(str(error))
        return None


def items_view(data: DataChoice) -> None:
    """Images or time series: check the layout by reading the data with it, then show the first items."""
    layout = data.layout
    try:
        schema = infer_schema_safely(data.frame)
        encoder = make_encoder(layout, schema).fit(data.frame)  # the same checks training makes
    except USER_ERRORS as error:
        data.schema = None
        st.error(f"{error} Change the settings above; training is possible once this is fixed.")
        return
    data.schema = schema
    if layout.kind == "images":
        height, width = layout.image_shape
        shown = data.frame.head(PREVIEW_IMAGES)
        picture = image_grid_png(encoder.transform(shown), (height, width))
        labels = f", showing {', '.join(map(str, shown[layout.label].tolist()))}" if layout.label else ""
        st.subheader(f"{data.label}: {len(data.frame):,} images of {height}×{width} pixels")
        st.image(picture, width=png_width(picture), caption=f"The first {len(shown)} images{labels}.")
        counted = f"{len(data.frame):,} images"
    else:
        steps, values, names = sequence_curves(encoder, data.frame)
        labels = sequence_labels(layout, data.frame)
        st.subheader(f"{data.label}: {len(values):,} series of {encoder.shape_words()}")
        figure = sequences_figure(
            steps, values[:PREVIEW_SEQUENCES, :, 0], None, names[0], layout.sequence_index or "step"
        )
        figure.update_layout(showlegend=False)
        st.plotly_chart(figure, key="data_sequences", config={"displayModeBar": False})
        st.caption(f"The first {min(PREVIEW_SEQUENCES, len(values))} series ({names[0]}).")
        counted = f"{len(values):,} series"
    if layout.label:
        per_label = sequence_labels(layout, data.frame) if layout.kind == "sequences" else data.frame[layout.label]
        counts = per_label.value_counts().sort_index()
        st.caption(f"Label `{layout.label}`: " + ", ".join(f"{level} ({n})" for level, n in counts.items()) + ".")
    st.success(f"Ready to train on {counted}.", icon=":material/check_circle:")
    st.page_link("app_pages/train.py", label="Next: train a model", icon=":material/model_training:")
    with st.expander("The table as read from the file"):
        st.dataframe(data.frame.head(PREVIEW_ROWS), hide_index=True)


if data.source.startswith("upload:"):
    layout = layout_form(data)
    if layout is None:
        data.schema = None
        st.stop()
    if layout != data.layout:
        data.layout = layout
        save_data_choice(data)
if data.layout.kind != "table":
    items_view(data)
    st.stop()

st.subheader(f"{data.label}: {len(frame):,} rows, {frame.shape[1]} columns")
st.dataframe(frame.head(PREVIEW_ROWS), hide_index=True)
st.caption(f"The first {min(PREVIEW_ROWS, len(frame))} rows.")

# ----- column kinds ------------------------------------------------------------------------------
st.subheader("How each column is treated")
st.write(
    "Latent Lab guessed a kind for each column and says why. Change a kind in the **kind** column "
    "if the guess is wrong — for example a numbered code that is really a category — or set a "
    "column to **ignore** to leave it out (names and IDs are best ignored)."
)

inferred = data.inferred  # without the user's changes: the reasons shown are the guesses
kinds = inferred.kinds(include_ignored=True)
kinds.update(data.overrides)
table = pd.DataFrame(
    {
        "column": [spec.name for spec in inferred.columns],
        "kind": [kinds[spec.name] for spec in inferred.columns],
        "why": ["set by you" if spec.name in data.overrides else spec.reason for spec in inferred.columns],
        "empty": [spec.missing_rate for spec in inferred.columns],
        "different values": [spec.n_unique for spec in inferred.columns],
    }
)
# The editor's key changes after each applied edit, so it always starts from the stored kinds
# (an editor keeps its edits relative to the table it was first given).
version = st.session_state.setdefault("schema_editor_version", 0)
editor_key = f"schema_editor_{version}"


def apply_kind_edits() -> None:
    edits = st.session_state[editor_key].get("edited_rows", {})
    for row, change in edits.items():
        if "kind" in change and change["kind"]:
            column = table.loc[int(row), "column"]
            data.overrides[column] = change["kind"]
            if change["kind"] == inferred.column(column).kind:
                del data.overrides[column]  # back to the guess: no longer an override
    st.session_state["schema_editor_version"] = version + 1
    save_data_choice(data)


st.data_editor(
    table,
    key=editor_key,
    on_change=apply_kind_edits,
    hide_index=True,
    disabled=["column", "why", "empty", "different values"],
    column_config={
        "kind": st.column_config.SelectboxColumn("kind", options=list(KINDS), required=True, width="small"),
        "why": st.column_config.TextColumn("why", width="large"),
        "empty": st.column_config.NumberColumn("empty", format="percent", width="small"),
    },
)

try:
    schema = infer_schema_safely(frame, overrides=data.overrides)
    validate_table(frame, schema)
except USER_ERRORS as error:
    data.schema = None
    # Only a problem with one column can be mended by changing its kind; too few rows cannot.
    advice = " Change the column's kind above, or" if getattr(error, "column", None) else ""
    st.error(f"{error}{advice} Training is possible once this is fixed.")
else:
    data.schema = schema
    for warning in schema.warnings:
        st.warning(warning)
    st.success(
        f"Ready to train on {len(schema.used_columns)} of {frame.shape[1]} columns.",
        icon=":material/check_circle:",
    )
    st.page_link("app_pages/train.py", label="Next: train a model", icon=":material/model_training:")

# ----- summaries -----------------------------------------------------------------------------------
if data.schema is not None:
    st.subheader("What the columns look like")
    used = [spec for spec in data.schema.columns if spec.kind != "ignore"]
    if len(used) > MAX_SUMMARY_PLOTS:
        st.caption(f"Showing the first {MAX_SUMMARY_PLOTS} of {len(used)} columns.")
    grid = st.columns(3)
    for i, spec in enumerate(used[:MAX_SUMMARY_PLOTS]):
        with grid[i % 3]:
            figure = distribution_figure(spec.name, spec.kind, generated=None, real=frame[spec.name], height=220)
            figure.update_layout(showlegend=False)
            st.plotly_chart(figure, key=f"summary_{i}", config={"displayModeBar": False})
