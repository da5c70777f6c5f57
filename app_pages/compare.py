"""Compare page: train several architectures on the same data, seed and budget, then rank them."""

from __future__ import annotations

import streamlit as st

from gen_models.catalogue import MODEL_TITLES
from gen_models.data.datasets import dataset_info
from gen_models.data.schema import conditionable_columns
from gen_models.models import REGISTRY
from ui.core import runs
from ui.widgets import quality as q
from ui.widgets.state import choose_bundled, current_data, session_id, session_runs_dir

POLL_SECONDS = 1.0
DEFAULT_MODELS = ("gan", "wgan_gp", "vae")
STATUS_TEXT = {
    "waiting": ":material/schedule: waiting",
    "training": ":material/hourglass_top: training",
    "scoring": ":material/analytics: scoring",
    "done": ":material/check_circle: done",
    "failed": ":material/error: failed",
    "skipped": ":material/block: skipped",
}

sid = session_id()
runs_dir = session_runs_dir()
st.title("6 · Compare architectures")
st.write(
    "Which kind of model suits your table best? Each chosen architecture is trained in turn on the "
    "same data with the same seed and number of epochs, then all are scored the same way. Training "
    "runs in the background; every model also appears on the Train page as a run of its own."
)


def title(name: str) -> str:
    """The name the app shows for an architecture ("Variational autoencoder" for "vae")."""
    return MODEL_TITLES.get(name, name)


def form() -> None:
    data = current_data()
    if data is None:
        st.info("First choose the data to learn from.")
        st.page_link("app_pages/data.py", label="Choose data", icon=":material/table:")
        st.button("Or use the Palmer penguins example", on_click=choose_bundled, args=("penguins",), key="cmp_penguins")
        return
    if data.schema is None:
        st.error("The chosen data cannot be trained on yet: its column kinds need fixing on the Data page.")
        return
    schema = data.schema
    st.caption(f"Data: **{data.label}** — {len(data.frame):,} rows, {len(schema.used_columns)} columns.")
    table_models = [name for name, cls in REGISTRY.items() if "table" in cls.data_kinds]
    models = st.multiselect(
        "Architectures to compare",
        table_models,
        default=[m for m in DEFAULT_MODELS if m in table_models],
        format_func=title,
        key="cmp_models",
    )
    categorical = conditionable_columns(schema)  # the comparison trains table models on the table
    label = dataset_info(data.dataset_name).label if data.dataset_name else None
    condition = label if label in categorical else (categorical[0] if categorical else None)
    needing = [m for m in models if REGISTRY[m].needs_condition]
    if needing and condition is None:
        st.error(f"{', '.join(map(title, needing))} need a category column, and this table has none.")
        return
    if needing:
        st.caption(f"{', '.join(map(title, needing))} must be conditioned on a category: it uses **{condition}**.")

    c1, c2, c3, c4 = st.columns(4)
    epochs_default, batch_default = q.default_settings(len(data.frame))  # the Train page's budget
    epochs = c1.number_input(
        "Epochs (each)", 1, 5000, epochs_default, key=f"cmp_epochs_{data.source}",
        help="The Train page's default for this table: about 1,000 training steps.",
    )  # fmt: skip
    batch = c2.number_input("Batch size", 2, 100_000, batch_default, key=f"cmp_batch_{data.source}")
    own = [m for m in models if q.has_own_budget(m)]
    if own:
        st.caption(
            f"{', '.join(map(title, own))} keep their own budget (their epochs and batch size, chosen so that a "
            "small table is not learnt by heart); the others use the epochs and batch size below."
        )
    seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="cmp_seed")
    targets = [None, *schema.used_columns]
    target = c4.selectbox(
        "Column to predict (utility)",
        targets,
        index=targets.index(label) if label in targets else 0,
        format_func=lambda c: "none" if c is None else c,
        key=f"cmp_target_{data.source}",
        help="Utility: does a model trained on the synthetic rows predict this column on real rows?",
    )
    comparison = q.current_comparison(sid)
    busy = any(run.running for run in runs.session_runs(sid)) or (comparison is not None and comparison.running)
    if busy:
        st.caption("A training is running in this session: wait for it to finish or stop it first.")
    st.button(
        "Start the comparison",
        type="primary",
        disabled=busy or len(models) < 2,
        on_click=start,
        args=(models, {"epochs": int(epochs), "batch_size": int(batch), "seed": int(seed)}, condition, target),
        key="cmp_start",
        help="Choose at least two architectures.",
    )


def start(models: list[str], settings: dict, condition: str | None, target: str | None) -> None:
    """Button callback: queue the architectures in one background thread."""
    data = current_data()
    if data is None or data.schema is None:
        return
    entries = [q.Entry(m, condition if REGISTRY[m].needs_condition else None) for m in models]
    q.start_comparison(
        q.Comparison(
            session=sid,
            runs_dir=runs_dir,
            entries=entries,
            settings=settings,
            frame=data.frame,
            schema=data.schema,
            data_label=data.label,
            dataset=data.dataset_name,
            target=target,
        )
    )


def progress(comparison: q.Comparison, polling: bool) -> None:
    """Where each architecture is, the quality curves so far, and the leaderboard."""
    entries = comparison.snapshot()
    running = comparison.running
    head, button = st.columns([4, 1])
    head.subheader("Progress" if running else "Results")
    if running:
        button.button("Stop", on_click=comparison.stop, key="cmp_stop", help="Stops the current model, skips the rest.")
    curves = {}
    for entry in entries:
        line = f"**{title(entry.model)}** — {STATUS_TEXT[entry.status]}"
        run = runs.get_run(sid, entry.run_id) if entry.run_id else None
        if run is not None:
            snap = run.snapshot()
            if snap.quality:
                curves[title(entry.model)] = snap.quality
            if entry.status == "training" and snap.progress:
                line += f" · epoch {int(snap.progress['epoch'])} of {int(snap.progress['epochs'])}"
        elif entry.run_id:
            curves[title(entry.model)] = runs.quality_records(runs_dir / entry.run_id)
        if entry.status in ("failed", "skipped", "waiting") and entry.message:
            line += f" · {entry.message}"
        st.markdown(line)
    if curves:
        st.plotly_chart(q.quality_curves_figure(curves), key="cmp_curves", config={"displayModeBar": False})

    board = q.leaderboard(entries)
    if not board.empty:
        st.subheader("Leaderboard")
        st.caption(
            "↑ higher is better, ↓ lower is better; the best in each column is green. Quality: 0 to 1, where "
            "1 = same columns and relationships. Detection AUC: 0.5 = a classifier cannot tell synthetic rows "
            "from real ones. Utility: a model trained on synthetic rows, scored on real ones. Each model keeps "
            "the weights of its best epoch. Quality alone can mislead: look at all three."
        )
        st.dataframe(q.highlight_best(board), hide_index=True, key="cmp_leaderboard")
    if polling and not running:
        st.rerun()  # a full rerun stops the polling and enables the form again


form()
comparison = q.current_comparison(sid)
if comparison is not None:
    st.divider()
    polling = comparison.running
    st.fragment(progress, run_every=POLL_SECONDS if polling else None)(comparison, polling)
