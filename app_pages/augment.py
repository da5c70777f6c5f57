"""Augment page: do a generator's rows, or its latent codes, help a predictive model on real hold-out rows?

Its own page, not a section of Evaluate: Evaluate judges a model that is already trained, while this
measure trains a fresh generator on part of the table (the hold-out must stay unseen). The page reads the
widgets, calls `gen_models.evaluation.augmentation.augment` and draws its four scores.

The training here is bounded, because the server is shared: at most MAX_ROWS real rows and MAX_EPOCHS
epochs, one augmentation at a time per server, and none while every training slot (ui.core.runs) is busy
or while this session has a run training on the Train page.
"""

from __future__ import annotations

import threading

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import gen_models
from gen_models.data.datasets import list_datasets
from gen_models.errors import USER_ERRORS
from gen_models.evaluation.augmentation import SCORE_LABELS, AugmentResult, augment, holdout_size
from gen_models.latent.codes import reads_codes
from gen_models.models import REGISTRY
from ui.core import runs
from ui.widgets.state import current_data, infer_schema_safely, session_id

MAX_ROWS = 2000  # real rows used: a bigger table is sampled down (seeded), so a run takes a minute, not ten
MAX_EPOCHS = 100
DEFAULT_EPOCHS = 30
SHARES = {"all (100 %)": 1.0, "a fifth (20 %)": 0.2, "a twentieth (5 %)": 0.05}
YOUR_DATA = "your data (from the Data page)"

sid = session_id()
st.title("8 · Augment")
st.write(
    "Can generated rows make a predictive model better? The real rows are split once into **training rows** "
    "(80 %) and a **hold-out** (20 %) that nobody learns from. A generator learns the training rows; then one "
    "predictive model (gradient boosting) is trained four ways — on the real rows, on real + generated rows, "
    "on generated rows only, and on the real rows plus their latent codes as extra columns (models with an "
    "encoder) — and each is scored on the same real hold-out."
)


@st.cache_resource
def augment_slot() -> threading.Semaphore:
    """One augmentation at a time on this server: each trains a model in the page's own thread."""
    return threading.Semaphore(1)


@st.cache_data(max_entries=8, show_spinner=False)
def bundled_table(name: str) -> pd.DataFrame:
    return gen_models.load_dataset(name)


tables = [info.name for info in list_datasets() if info.kind == "table"]
data = current_data()
own = data is not None and data.dataset_name is None and data.layout.kind == "table" and data.schema is not None
choice = st.selectbox("Data", tables + ([YOUR_DATA] if own else []), key="augment_data")
if choice == YOUR_DATA:
    assert data is not None and data.schema is not None
    frame, schema = data.frame, data.schema
else:
    frame = bundled_table(choice)
    schema = infer_schema_safely(frame)

left, middle, right = st.columns(3)
target = left.selectbox("Column to predict", schema.used_columns, key="augment_target")
models = [name for name, cls in REGISTRY.items() if "table" in cls.data_kinds]
model_name = middle.selectbox(
    "Generator",
    models,
    key="augment_model",
    format_func=lambda n: f"{n} (has an encoder)" if reads_codes(REGISTRY[n]) else n,
)
share_label = right.selectbox("Training rows to keep", list(SHARES), key="augment_share")
left, middle, right = st.columns(3)
epochs = left.number_input("Generator epochs", 1, MAX_EPOCHS, DEFAULT_EPOCHS, key="augment_epochs")
seed = middle.number_input("Seed", 0, 10_000, 0, key="augment_seed")
rare_only = right.toggle(
    "Generate only the rarer classes",
    key="augment_rare",
    help="For a categorical target: the generated rows are all of the classes rarer than the most frequent one, "
    "filling the gaps; the generator is conditioned on the target (cgan, wgan_gp, aae, autoregressive).",
)

if len(frame) > MAX_ROWS:
    frame = frame.sample(MAX_ROWS, random_state=int(seed)).sort_index()
    st.caption(f"The table has more than {MAX_ROWS:,} rows: a seeded sample of {MAX_ROWS:,} is used here.")


def busy_reason() -> str | None:
    """Why training cannot start now (the shared server's limits), or None."""
    if any(run.running for run in runs.session_runs(sid)):
        return "This session has a run training on the Train page; let it finish (or stop it) first."
    training, _ = runs.trainings_now()
    if training >= runs.max_trainings():
        return f"The server is busy: {training} training(s) running, the most it takes. Try again in a few minutes."
    return None


def measure() -> AugmentResult | None:
    """Run `augment` with the widgets' choices, showing the generator's progress; None after an error."""
    n_rows = len(frame) - holdout_size(len(frame))
    share = SHARES[share_label]
    train_rows = None if share == 1.0 else max(2, round(n_rows * share))
    with st.status(f"Training {model_name} on the training rows…", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(metrics: dict) -> None:
            bar.progress(metrics["epoch"] / max(1, metrics["epochs"]), text=f"epoch {metrics['epoch']}")

        try:
            result = augment(
                frame,
                target,
                model_name,
                train_rows=train_rows,
                seed=int(seed),
                rare_only=rare_only,
                settings={"epochs": int(epochs)},
                schema=schema,
                on_epoch=progress,
            )
        except USER_ERRORS as error:
            status.update(label="Could not measure", state="error")
            st.error(str(error))
            return None
        status.update(label=f"Measured in {result.training['seconds']:.0f} s of training", state="complete")
    return result


if st.button("Train and measure", type="primary", key="augment_run"):
    reason = busy_reason()
    slot = augment_slot()
    if reason is not None:
        st.error(reason)
    elif not slot.acquire(blocking=False):
        st.error("Another augmentation is running on this server. Try again in a minute.")
    else:
        try:
            st.session_state["augment_result"] = measure()
        finally:
            slot.release()


def scores_figure(result: AugmentResult) -> go.Figure:
    """The four scores as bars, the real rows' score as a dashed line to compare against."""
    metric = "macro F1" if result.metric == "macro_f1" else "R²"
    names = [name for name in SCORE_LABELS if result.scores[name] is not None]
    values = [result.scores[name] for name in names]
    colours = ["#888888" if name == "real" else ("#2a9d8f" if result.gains[name] > 0 else "#e76f51") for name in names]
    figure = go.Figure(
        go.Bar(
            x=[SCORE_LABELS[name] for name in names],
            y=values,
            marker_color=colours,
            text=[f"{v:.3f}" for v in values],
            textposition="outside",
        )
    )
    figure.add_hline(y=result.scores["real"], line_dash="dash", line_color="#888888")
    figure.update_layout(
        title={"text": f"{metric} on the same {result.holdout_rows} real hold-out rows"},
        yaxis_title=metric,
        height=380,
        margin={"t": 50, "b": 10},
    )
    return figure


def verdict(result: AugmentResult) -> str:
    """Whether augmentation helped here, by how much, and that this is one split."""
    metric = "macro F1" if result.metric == "macro_f1" else "R²"
    base, gain = result.scores["real"], result.gains["real_synthetic"]
    if gain is None or base is None:
        return "The scores could not be computed on these rows."
    rows = "rows of the rarer classes" if result.rare_only else "rows"
    if gain > 0:
        said = f"**helped here**: {result.synthetic_rows} generated {rows} raised {metric} by {gain:.3f}"
    elif gain < 0:
        said = f"**did not help here**: {result.synthetic_rows} generated {rows} lowered {metric} by {-gain:.3f}"
    else:
        said = f"**made no difference here**: {metric} stayed the same with {result.synthetic_rows} generated {rows}"
    text = f"Augmentation {said} ({base:.3f} → {base + gain:.3f}, {result.train_rows} real training rows)."
    codes_gain = result.gains["real_codes"]
    if codes_gain is not None:
        text += f" The latent codes as extra columns changed it by {codes_gain:+.3f}."
    return (
        text + f" This is one split and one seed, scored on {result.holdout_rows} hold-out rows: a difference of a "
        "few hundredths can be chance, so try another seed before trusting it."
    )


result = st.session_state.get("augment_result")
if result is not None:
    st.plotly_chart(scores_figure(result), key="augment_chart", config={"displayModeBar": False})
    st.markdown(verdict(result))
    if result.scores["real_codes"] is None:
        st.caption(f"{result.model} has no encoder, so there are no latent codes to add as columns.")
    if result.training["status"] != "finished":
        st.warning(f"The generator's training {result.training['status']}: {result.training['message']}")
    st.caption(
        f"Predicting {result.target}: {result.model} trained {result.training['epochs']} epochs on "
        f"{result.train_rows} rows"
        + (f", conditioned on {result.condition}" if result.condition else "")
        + (f"; rows generated per class: {result.generated_classes}" if result.generated_classes else "")
        + f". Predictive model: gradient boosting (seed {result.seed})."
    )
