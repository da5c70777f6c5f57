"""Data page: pick a bundled table or upload a CSV, check how each column will be treated."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import gen_models
from gen_models.data import validate_table
from gen_models.data.datasets import list_datasets
from gen_models.data.schema import KINDS
from gen_models.errors import USER_ERRORS
from ui.models import TABLE_KINDS
from ui.plots import distribution_figure
from ui.state import DataChoice, choose_bundled, current_data, infer_schema_safely, save_data_choice, set_data

MAX_SUMMARY_PLOTS = 12
PREVIEW_ROWS = 10

st.title("1 · Your data")
st.write(
    "A generative model learns from a table: one row per example (a person, a day, a penguin), one "
    "column per property. Pick one of the bundled example tables or upload your own CSV file; then "
    "check below how each column will be treated."
)

source = st.radio(
    "Where is your data?",
    ["A bundled example", "My own CSV file"],
    horizontal=True,
    index=1 if (d := current_data()) is not None and d.source.startswith("upload:") else 0,
    key="data_source",
)

if source == "A bundled example":
    tables = [info for info in list_datasets() if info.kind in TABLE_KINDS]
    by_name = {info.name: info for info in tables}
    data = current_data()
    chosen = data.dataset_name if data is not None and data.dataset_name in by_name else "penguins"
    name = st.selectbox(
        "Example table",
        options=list(by_name),
        index=list(by_name).index(chosen),
        format_func=lambda n: f"{by_name[n].title} · {by_name[n].n_rows:,} rows",
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
        "**Upload a CSV file (at most 50 MB)**: the first line holds the column names, commas (or "
        "semicolons/tabs) separate the values. From Excel: *Save as → CSV UTF-8*."
    )
    upload = st.file_uploader("CSV file", type=["csv", "tsv", "txt"], key="csv_upload")
    if upload is not None:
        data = current_data()
        if data is None or data.source != f"upload:{upload.name}:{upload.file_id}":
            try:
                frame = gen_models.read_csv(upload.getvalue())
                schema = infer_schema_safely(frame)
            except USER_ERRORS as error:
                st.error(f"**{upload.name}** could not be used. {error}")
                if data is not None:
                    st.info(f"Your previous data, **{data.label}**, is still selected.")
            else:
                set_data(
                    DataChoice(
                        label=upload.name,
                        source=f"upload:{upload.name}:{upload.file_id}",
                        frame=frame,
                        inferred=schema,
                        schema=schema,
                    )
                )

data = current_data()
if data is None:
    st.info("No data chosen yet: pick an example or upload a file above.")
    st.stop()

frame = data.frame
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
kinds = {spec.name: spec.kind for spec in inferred.columns}
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
    st.error(f"{error} Change the column's kind above; training is possible once this is fixed.")
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
