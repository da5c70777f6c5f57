"""Evaluate page: how good are synthetic rows, honestly? Scores, worst columns first, pictures, a report."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

import gen_models
from gen_models.data.datasets import list_datasets
from gen_models.errors import USER_ERRORS
from gen_models.evaluation.report import html_report, worst_columns, worst_pairs
from gen_models.models import GenerativeModel
from ui.core.plots import distribution_figure
from ui.widgets import quality as q
from ui.widgets.models import TABLE_KINDS, column_kinds, data_kind, pick_and_load, real_data_for
from ui.widgets.state import current_data, infer_schema_safely, session_id, session_runs_dir

MAX_ROWS = 5000  # synthetic rows scored: the scores barely move beyond this, and the page stays quick
COLUMN_PLOTS = 6  # distribution plots shown before "show all"
NONE = "(none)"

sid = session_id()
st.title("5 · Evaluate")
st.write(
    "How close are generated rows to the real ones? Each score below answers one question in plain "
    "words. Judge a trained model, or any synthetic CSV file against the real table it imitates."
)

mode = st.radio("What to evaluate", ["A trained model", "A synthetic CSV file"], horizontal=True, key="eval_mode")


@st.cache_data(max_entries=8, show_spinner="Generating rows…")
def generated(model_key: str, stamp: float, n: int, seed: int, _model: GenerativeModel) -> pd.DataFrame:
    """The model's rows for this size and seed, cached per model version."""
    return _model.sample(n, seed=seed)


def from_model() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], str]:
    """(real, synthetic, kinds, title) for a trained table model; stops the page when there is none."""
    source, model = pick_and_load(
        sid,
        session_runs_dir(),
        "evaluate_model",
        "There is no trained model yet. Train one first, or evaluate a synthetic CSV file.",
        link_to_train=False,
    )
    if data_kind(model) != "table":
        st.info(f"This model makes {data_kind(model)}; these scores compare table columns. Pick a table model.")
        st.stop()
    kinds = column_kinds(model)
    real = real_data_for(source)
    if real is None:
        real = upload_real("The data this model learnt from is not available: upload the real table.")
    missing = [c for c in kinds if c not in real.columns]
    if missing:
        st.error(f"The real table lacks the model's column(s): {', '.join(missing)}.")
        st.stop()
    left, right = st.columns(2)
    n = int(
        left.number_input(
            "Rows to generate", 100, MAX_ROWS, min(len(real), MAX_ROWS), step=100, key="eval_rows",
            help="As many as the real table (up to 5,000) compares like with like.",
        )
    )  # fmt: skip
    seed = int(right.number_input("Seed", 0, 2**31 - 1, 0, key="eval_seed", help="Same seed, same rows."))
    synthetic = generated(source.key, source.stamp, n, seed, model)
    return real[list(kinds)], synthetic[list(kinds)], kinds, f"{source.label}: {n:,} generated rows"


def upload_real(prompt: str) -> pd.DataFrame:
    upload = st.file_uploader(prompt, type=["csv", "tsv", "txt"], key="eval_real_upload")
    if upload is None:
        st.stop()
    try:
        return gen_models.read_csv(upload.getvalue())
    except USER_ERRORS as error:
        st.error(f"**{upload.name}** could not be read. {error}")
        st.stop()


def from_csv() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], str]:
    """(real, synthetic, kinds, title) for an uploaded synthetic CSV and a chosen real table."""
    upload = st.file_uploader("Synthetic CSV file", type=["csv", "tsv", "txt"], key="eval_synthetic_upload")
    tables = {info.name: info for info in list_datasets() if info.kind in TABLE_KINDS}
    data = current_data()
    options = (["current"] if data is not None else []) + list(tables) + ["upload"]
    labels = {
        "current": f"My data from the Data page ({data.label})" if data else "",
        "upload": "Upload the real table",
    }
    choice = st.selectbox(
        "Real table to compare with",
        options,
        format_func=lambda o: labels.get(o) or f"{tables[o].title} (bundled)",
        key="eval_real_choice",
    )
    if upload is None:
        st.info("Upload a CSV of synthetic rows with the same columns as the real table.")
        st.stop()
    try:
        synthetic = gen_models.read_csv(upload.getvalue())
    except USER_ERRORS as error:
        st.error(f"**{upload.name}** could not be read. {error}")
        st.stop()
    if choice == "current":
        real, schema = data.frame, data.schema or infer_schema_safely(data.frame)
    else:
        real = gen_models.load_dataset(choice) if choice != "upload" else upload_real("Real CSV file")
        try:
            schema = infer_schema_safely(real)
        except USER_ERRORS as error:
            st.error(f"The real table cannot be used. {error}")
            st.stop()
    kinds = q.kinds_of(schema)
    missing = [c for c in kinds if c not in synthetic.columns]
    if missing:
        st.error(f"The synthetic file lacks the real table's column(s): {', '.join(missing)}.")
        st.stop()
    return real[list(kinds)], synthetic[list(kinds)].head(MAX_ROWS), kinds, f"{upload.name} against the real table"


real, synthetic, kinds, title = from_model() if mode == "A trained model" else from_csv()
kinds_json = json.dumps(kinds)
try:
    report = dict(q.fast_scores(real, synthetic, kinds_json))
except ValueError as error:  # e.g. an empty table: the metrics say what is wrong
    st.error(f"These tables cannot be compared: {error}.")
    st.stop()

# ----- the model-based scores: opt-in, since each fits classifiers (cached afterwards) --------------
left, right = st.columns([2, 3])
targets = [NONE, *kinds]
target = left.selectbox(
    "Column to predict, for the utility score",
    targets,
    key="eval_target",
    help="Utility asks: does a model trained on synthetic rows predict this column on real rows as well?",
)
right.write("")  # lines the toggle up with the select box
heavy = right.toggle(
    "Run the classifier tests (detection and utility, a few seconds)",
    key="eval_classifiers",
    help="They train small models to tell real from synthetic rows and to predict the chosen column.",
)
report.update(detection_auc=None, utility=None)
if heavy:
    try:
        report.update(q.model_scores(real, synthetic, kinds_json, None if target == NONE else target))
    except ValueError as error:
        st.error(f"The classifier tests could not run: {error}.")

st.subheader("Scores")
q.score_cards(report)
st.download_button(
    "Download the report (HTML)",
    data=lambda: html_report(report, real, synthetic, title=f"Latent Lab report: {title}"),
    file_name="latent_lab_report.html",
    mime="text/html",
    key="eval_report",
    help="One self-contained page with every score, the worst columns and pairs, and small charts.",
)

# ----- columns and pairs, worst first ----------------------------------------------------------------
st.subheader("Columns, worst first")
st.caption("Grey: real rows; purple: generated rows. A score of 1 means the same spread of values.")
ranked = worst_columns(report)
show_all = len(ranked) > COLUMN_PLOTS and st.toggle(f"Show all {len(ranked)} columns", key="eval_all_columns")
shown = ranked if show_all else ranked[:COLUMN_PLOTS]
for i, (column, score) in enumerate(shown):
    if i % 3 == 0:
        grid = st.columns(3)  # a row of three, so the charts read left to right, worst first
    with grid[i % 3]:
        figure = distribution_figure(column, kinds[column], synthetic[column], real[column], height=230)
        figure.update_layout(title={"text": f"{column} · {score:.2f}"}, showlegend=i == 0)
        st.plotly_chart(figure, key=f"eval_column_{column}", config={"displayModeBar": False})

pairs = worst_pairs(report)
if pairs:
    st.subheader("Column pairs, worst first")
    st.caption("Numbers: do the correlations match? Otherwise: are the combinations as frequent as in the real rows?")
    st.dataframe(
        pd.DataFrame(
            {
                "columns": [" & ".join(p["columns"]) for p in pairs],
                "measured by": [p["metric"] for p in pairs],
                "score": [p["score"] for p in pairs],
            }
        ),
        hide_index=True,
        height=min(400, 36 + 35 * len(pairs)),
        column_config={"score": st.column_config.ProgressColumn("score", min_value=0.0, max_value=1.0, format="%.3f")},
    )

correlations = q.correlation_figures(real, synthetic, kinds)
if correlations:
    st.subheader("Correlations between number columns")
    st.caption("Blue: grow together; red: one grows as the other shrinks. The right map should be pale everywhere.")
    for column, figure in zip(st.columns(3), correlations, strict=True):
        with column:
            st.plotly_chart(figure, key=f"eval_corr_{figure.layout.title.text}", config={"displayModeBar": False})

st.subheader("All columns at once: a 2-D map")
st.caption(
    "Each dot is a row, placed by its two main directions of variation in the real data. Purple dots "
    "should cover the grey clouds: gaps mean kinds of rows the model never makes."
)
st.plotly_chart(q.pca_figure(real, synthetic, kinds), key="eval_pca", config={"displayModeBar": False})
