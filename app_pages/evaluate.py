"""Evaluate page: how good are synthetic rows, honestly? Scores, worst columns first, pictures, a report.

Image and sequence models get their own measures: images are read by a classifier trained on the real ones
(recognisability, which classes they are read as) and compared for variety (diversity); sequences are told
from real ones by a classifier (discriminative score), carry their label or not (train on synthetic, test on
real), and are drawn as the mean and spread per step beside the real ones.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import gen_models
from gen_models.data.datasets import list_datasets
from gen_models.errors import USER_ERRORS
from gen_models.evaluation.report import html_report, worst_columns, worst_pairs
from gen_models.models import GenerativeModel
from gen_models.models.flow import Flow
from ui.core.plots import (
    autocorrelation_figure,
    class_share_figure,
    distribution_figure,
    image_grid_png,
    pixels_to_encoded,
    png_width,
    sequence_band_figure,
)
from ui.widgets import quality as q
from ui.widgets.models import (
    TABLE_KINDS,
    ModelSource,
    column_kinds,
    data_kind,
    image_shape,
    index_name,
    pick_and_load,
    real_data_for,
)
from ui.widgets.state import current_data, infer_schema_safely, session_id, session_runs_dir

MAX_ROWS = 5000  # synthetic rows scored: the scores barely move beyond this, and the page stays quick
COLUMN_PLOTS = 6  # distribution plots shown before "show all"
NONE = "(none)"
MAX_ITEMS = 2000  # images or sequences scored: enough for the classifiers, quick on a CPU
IMAGES_SHOWN = 32  # images: generated and real grids of 4 x 8

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


def from_model() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], str, str | None]:
    """(real, synthetic, kinds, title, note on the model's quality figure) for a trained table model.

    Image and sequence models are judged by their own measures here, then the page stops; so it does
    when there is no model.
    """
    source, model = pick_and_load(
        sid,
        session_runs_dir(),
        "evaluate_model",
        "There is no trained model yet. Train one first, or evaluate a synthetic CSV file.",
        link_to_train=False,
    )
    if data_kind(model) != "table":
        evaluate_media(source, model)
        st.stop()
    kinds = column_kinds(model)
    real = training = real_data_for(source)
    if real is None:
        real = upload_real("The data this model learnt from is not available: upload the real table.")
    missing = [c for c in kinds if c not in real.columns]
    if missing:
        st.error(f"The real table lacks the model's column(s): {', '.join(missing)}.")
        st.stop()
    left, right = st.columns(2)
    n = int(
        left.number_input(
            "Rows to generate", 100, MAX_ROWS, q.QUALITY_ROWS, step=100, key="eval_rows",
            help=f"Compared with as many real rows (a seeded sample when the real table is larger). "
            f"{q.QUALITY_ROWS:,} rows with seed {q.QUALITY_SEED} give the model's quality figure, as on Train and "
            "Generate; more rows give steadier scores.",
        )
    )  # fmt: skip
    seed = int(right.number_input("Seed", 0, 2**31 - 1, 0, key="eval_seed", help="Same seed, same rows."))
    synthetic = generated(source.key, source.stamp, n, seed, model)
    scored = q.quality_rows(real[list(kinds)], n, seed)
    note = None
    standard = q.model_quality(source.key, source.stamp, model, training) if training is not None else None
    if standard is not None:
        same = n == q.QUALITY_ROWS and seed == q.QUALITY_SEED
        note = (
            "This quality is the model's figure, the one the Train, Generate and Compare pages show."
            if same
            else f"The model's quality figure on the Train, Generate and Compare pages is {standard['quality']:.2f} "
            f"({q.QUALITY_ROWS:,} rows, seed {q.QUALITY_SEED}); here {n:,} rows with seed {seed} are scored."
        )
    title = f"{source.label}: {n:,} generated rows against {len(scored):,} real rows"
    if isinstance(model, Flow):
        flow_outliers(source, model, real[list(kinds)], synthetic[list(kinds)], seed)
    return scored, synthetic[list(kinds)], kinds, title, note


OUTLIERS = 5  # rows shown of each kind, least likely first


@st.cache_data(max_entries=8, show_spinner="Scoring rows by the flow's likelihood…")
def least_likely(model_key: str, stamp: float, n: int, seed: int, _model: Flow, _rows: pd.DataFrame) -> pd.DataFrame:
    """The OUTLIERS least likely of `_rows` under the flow, with their log-likelihood first; cached per model."""
    scored = _rows.assign(**{"log-likelihood": _model.log_likelihood(_rows)})
    return scored.nsmallest(OUTLIERS, "log-likelihood")[["log-likelihood", *_rows.columns]]


def flow_outliers(source: ModelSource, model: Flow, real: pd.DataFrame, synthetic: pd.DataFrame, seed: int) -> None:
    """A flow knows each row's likelihood: the rows it finds least likely, real and generated."""
    with st.expander("Outliers by the model: the rows the flow finds least likely"):
        st.caption(
            "Log-likelihood of each row under the flow (higher = more typical). Odd real rows may be errors in "
            "the data or rare cases the model has not learnt; odd generated rows are its own mistakes."
        )
        st.markdown("**Real rows**")
        st.dataframe(least_likely(source.key, source.stamp, len(real), -1, model, real), hide_index=True)
        st.markdown("**Generated rows**")
        st.dataframe(least_likely(source.key, source.stamp, len(synthetic), seed, model, synthetic), hide_index=True)


def upload_real(prompt: str) -> pd.DataFrame:
    upload = st.file_uploader(prompt, type=["csv", "tsv", "txt"], key="eval_real_upload")
    if upload is None:
        st.stop()
    try:
        return gen_models.read_csv(upload.getvalue())
    except USER_ERRORS as error:
        st.error(f"**{upload.name}** could not be read. {error}")
        st.stop()


def from_csv() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], str, None]:
    """(real, synthetic, kinds, title, no note) for an uploaded synthetic CSV and a chosen real table."""
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
    title = f"{upload.name} against the real table"
    return real[list(kinds)], synthetic[list(kinds)].head(MAX_ROWS), kinds, title, None


# ----- images and sequences ------------------------------------------------------------------------
def evaluate_media(source: ModelSource, model: GenerativeModel) -> None:
    """The measures for a model of images or sequences, against its training data."""
    real = real_data_for(source)
    if real is None:
        st.info("The data this model learnt from is not available, so its images or sequences cannot be judged.")
        return
    kind = data_kind(model)
    layout = model.layout
    count = real[layout.sequence_key].nunique() if kind == "sequences" and not layout.wide else len(real)
    item = "Images" if kind == "images" else "Sequences"
    left, right = st.columns(2)
    n = int(
        left.number_input(
            f"{item} to generate", 10, MAX_ITEMS, min(max(count, 10), MAX_ITEMS), step=100, key=f"eval_items_{kind}",
            help=f"As many as the real data holds ({count:,}), up to {MAX_ITEMS:,}.",
        )
    )  # fmt: skip
    seed = int(right.number_input("Seed", 0, 2**31 - 1, 0, key="eval_seed", help="Same seed, same results."))
    try:
        if kind == "images":
            evaluate_images(source, model, real, n, seed)
        else:
            evaluate_sequences(source, model, real, n, seed)
    except ValueError as error:  # e.g. too few items for the classifiers' folds
        st.error(f"These {item.lower()} cannot be scored: {error}.")


def card(column: DeltaGenerator, label: str, value: str, explanation: str) -> None:
    """One bordered score card in `column`: the number and a plain line about it."""
    with column.container(border=True):
        st.metric(label, value)
        st.caption(explanation)


def evaluate_images(source: ModelSource, model: GenerativeModel, real: pd.DataFrame, n: int, seed: int) -> None:
    scores = q.image_scores(source.key, source.stamp, n, seed, model, real)
    st.subheader("Scores")
    cards = st.columns(3)
    card(
        cards[0],
        "Diversity",
        f"{scores['diversity']:.2f}",
        "Mean distance between generated images relative to real ones: about 1 = as varied as the real images, "
        "near 0 = every image alike (mode collapse).",
    )
    if "confidence" in scores:
        card(
            cards[1],
            "Recognisability",
            f"{scores['confidence']:.2f}",
            f"How sure a classifier of the real images is of what each generated image shows (real images: "
            f"{scores['real_confidence']:.2f}). The classifier is right on {scores['held_out_accuracy']:.0%} of "
            "real images it did not learn from.",
        )
        never = scores["never_drawn"]
        card(
            cards[2],
            "Classes drawn",
            f"{len(scores['shares']) - len(never)} of {len(scores['shares'])}",
            ("Never drawn: " + ", ".join(never) + "." if never else "Every real class is among the generated images.")
            + " A class far rarer than in the real data means the model seldom makes it.",
        )
        st.plotly_chart(
            class_share_figure(scores["real_shares"], scores["shares"]),
            key="eval_class_shares",
            config={"displayModeBar": False},
        )
    else:
        cards[1].caption("The real images have no label column, so the classifier measures cannot run.")
    encoder = model.encoder
    shown = min(IMAGES_SHOWN, n, len(real))
    left, right = st.columns(2)
    for column, name, frame in (
        (left, "generated", scores["images"]),
        (right, "real", real.sample(n=shown, random_state=seed)),
    ):
        pixels = frame[encoder.pixel_columns].to_numpy()[:shown]
        picture = image_grid_png(pixels_to_encoded(pixels, encoder.low, encoder.high), image_shape(model), columns=8)
        column.image(picture, width=png_width(picture), caption=f"{shown} {name} images")


def evaluate_sequences(source: ModelSource, model: GenerativeModel, real: pd.DataFrame, n: int, seed: int) -> None:
    scores = q.sequence_scores(source.key, source.stamp, n, seed, model, real)
    st.subheader("Scores")
    cards = st.columns(3)
    auc = scores["discriminative_auc"]
    card(
        cards[0],
        "Discriminative score (AUC)",
        f"{auc:.2f}",
        "Can a classifier tell generated sequences from real ones? 0.5 = no (best), 1.0 = always. "
        + ("**hard to tell apart**" if auc < 0.65 else "**easy to tell apart**"),
    )
    tstr = scores["tstr"]
    if tstr is not None:
        label = model.layout.label
        card(
            cards[1],
            f"Train on synthetic, test on real (accuracy, {label})",
            f"{tstr['train_synthetic']:.2f}",
            f"A classifier of {label} trained on generated sequences, tested on real ones; trained on real ones "
            f"instead: {tstr['train_real']:.2f}. Near-equal means each {label}'s shape was learnt.",
        )
    else:
        cards[1].caption("The sequences have no label with two classes or more, so train-on-synthetic cannot run.")
    card(
        cards[2],
        "Autocorrelation gap",
        f"{scores['autocorrelation_gap']:.3f}",
        "How far the generated series' mean autocorrelation (at lags 1 to half the length) is from the real "
        "one's, on average: 0 = as smooth and as periodic as the real series.",
    )
    names = scores["names"]
    left, right = st.columns(2)
    feature = names.index(left.selectbox("Value to plot", names, key="eval_sequence_value")) if len(names) > 1 else 0
    real_values, generated_values = scores["real"][:, :, feature], scores["generated"][:, :, feature]
    if scores["real_labels"] is not None and scores["generated_labels"] is not None:
        # Each class apart: pooled, a sine and a sawtooth average out to a flat line.
        classes = sorted(set(scores["real_labels"]))
        chosen = right.selectbox(f"Sequences of {model.layout.label}", classes, key="eval_sequence_class")
        real_values = real_values[scores["real_labels"] == chosen]
        generated_values = generated_values[scores["generated_labels"] == chosen]
    if len(generated_values) == 0:
        st.info("The model made no sequence of this class among these; generate more, or pick another class.")
        return
    figure = sequence_band_figure(scores["steps"], real_values, generated_values, names[feature], index_name(model))
    st.plotly_chart(figure, key="eval_sequence_bands", config={"displayModeBar": False})
    st.caption(
        f"Grey, mean dashed: {len(real_values):,} real sequences; purple: {len(generated_values):,} generated ones. "
        "The bands should lie on each other at every step (where they do, they blend into one): where they part, "
        "the model gets that stretch wrong."
    )
    lags = autocorrelation_figure(
        scores["real_autocorrelation"][:, feature], scores["generated_autocorrelation"][:, feature], names[feature]
    )
    st.plotly_chart(lags, key="eval_sequence_autocorrelation", config={"displayModeBar": False})
    st.caption(
        f"All sequences together; |accuracy - 0.5| of the real-vs-generated classifier: "
        f"{scores['discriminative_gap']:.3f} (0 = cannot tell; the unit TimeGAN and Diffusion-TS report)."
    )


real, synthetic, kinds, title, figure_note = from_model() if mode == "A trained model" else from_csv()
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
if figure_note:
    st.caption(figure_note)


@st.cache_data(max_entries=4, show_spinner="Writing the report…")
def report_html(report: dict, real: pd.DataFrame, synthetic: pd.DataFrame, title: str) -> bytes:
    """The HTML report as bytes, once per scores: a deferred callable's file would be gone after a rerun."""
    return html_report(report, real, synthetic, title=title).encode("utf-8")


st.download_button(
    "Download the report (HTML)",
    report_html(report, real, synthetic, f"Latent Lab report: {title}"),
    file_name="latent_lab_report.html",
    mime="text/html",
    key="eval_report",
    on_click="ignore",
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
