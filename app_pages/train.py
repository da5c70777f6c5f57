"""Train page: choose an architecture and settings, train in the background, watch it learn."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import streamlit as st
import torch

import gen_models
from gen_models.data.datasets import dataset_info
from gen_models.data.layouts import item_count
from gen_models.data.schema import conditionable_columns
from gen_models.errors import USER_ERRORS, ModelError
from gen_models.models import REGISTRY
from gen_models.training import TrainConfig, resolve_epochs, setting_from_text
from ui.core import runs
from ui.core.architectures import ARCHITECTURES, dot
from ui.core.plots import distribution_figure, image_grid_png, loss_figure, png_width, sequences_figure
from ui.widgets.models import sequence_curves
from ui.widgets.quality import (
    QUALITY_HINT,
    SEQUENCE_QUALITY_HINT,
    default_settings,
    has_own_budget,
    quality_figure,
    series_check_line,
)
from ui.widgets.state import choose_bundled, current_data, session_id, session_runs_dir

# The live view redraws its progress and curves this often while a run trains, and its generated samples
# (new ones come a few times a run) less often: every redraw costs the server CPU that training could use.
POLL_SECONDS = 2.0
SAMPLES_POLL_SECONDS = 6.0
LIVE_COLUMNS = 4
LIVE_IMAGES = 16  # images: generated and real grids of 4x4
LIVE_SEQUENCES = 10
STATUS_ICONS = {
    "queued": ":material/schedule:",
    "running": ":material/hourglass_top:",
    "finished": ":material/check_circle:",
    "stopped": ":material/stop_circle:",
    "diverged": ":material/warning:",
    "failed": ":material/error:",
    "interrupted": ":material/warning:",
    "cancelled": ":material/cancel:",
}
BASE_FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}

sid = session_id()
runs_dir = session_runs_dir()

st.title("2 · Train a model")
st.write(
    "Training shows a model many batches of your rows until it can make up new rows that look like "
    "them. It runs in the background: you can look at other pages and come back, or reload the page."
)


@st.cache_data(max_entries=16, show_spinner=False)
def run_zip(directory: str, stamp: float) -> bytes:
    """A run's zip, built once (`stamp` changes when the run does): bytes, not a deferred callable, so a click
    right after another download cannot find its file gone (MediaFileStorageError)."""
    return runs.zip_run(Path(directory))


def fmt_seconds(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


# ----- the training form ------------------------------------------------------------------------
def training_form() -> None:
    data = current_data()
    if data is None:
        st.info("First choose the data to learn from.")
        st.page_link("app_pages/data.py", label="Choose data", icon=":material/table:")
        st.button("Or use the Palmer penguins example", on_click=choose_bundled, args=("penguins",), key="use_penguins")
        return
    if data.schema is None:
        st.error("The chosen data cannot be trained on yet: its column kinds need fixing on the Data page.")
        st.page_link("app_pages/data.py", label="Fix the data", icon=":material/table:")
        return
    schema = data.schema
    st.caption(f"Training data: **{data.label}** — {len(data.frame):,} rows, {len(schema.used_columns)} columns.")

    left, right = st.columns([3, 2])
    with left:
        offered = [n for n in REGISTRY if data.layout.kind in REGISTRY[n].data_kinds]  # e.g. RCGAN: series only
        # A good first choice per data kind: the autoregressive models, which give the most realistic tables and
        # series here (README: bench_peers, bench_series).
        preferred = {"sequences": "series_ar", "images": "wgan_gp"}.get(data.layout.kind, "autoregressive")
        name = st.radio(
            "Architecture",
            options=offered,
            format_func=lambda n: ARCHITECTURES[n].title if n in ARCHITECTURES else n,
            horizontal=True,
            index=offered.index(preferred) if preferred in offered else 0,
            key="train_architecture",
        )
        cls = REGISTRY[name]
        architecture = ARCHITECTURES.get(name)
        if data.layout.kind == "table" and "autoregressive" in offered:
            st.caption(
                "**Recommended for tables: Autoregressive model** (best quality: see the README's comparison with "
                "other tools). It writes a row column by column, and its sliders on Explore are each column's "
                "quantile: u = 0.9 asks for a value at the 90th percentile among rows like this one so far."
            )
        st.markdown((architecture.explanation if architecture else cls.description).replace("\n", "  \n"))
    with right:
        if architecture is not None:
            st.graphviz_chart(dot(architecture), width="stretch")

    condition = None
    can_start = True
    if cls.supports_condition:
        categorical = conditionable_columns(schema, data.layout)  # images and series: only their label
        if not categorical and cls.needs_condition:
            st.error(
                f"{name} needs a category column to condition on, and this table has none. "
                "Pick another architecture, or set a column's kind to categorical on the Data page."
            )
            can_start = False
        else:
            options = ([] if cls.needs_condition else [None]) + categorical
            # A bundled set names its natural label (species for penguins): the best default.
            # An uploaded image or series file names its label in the layout (an RCGAN then learns each class).
            label = dataset_info(data.dataset_name).label if data.dataset_name else data.layout.label
            condition = st.selectbox(
                "Condition on (category column)",
                options=options,
                index=options.index(label) if label in options else 0,
                format_func=lambda c: "nothing (unconditional)" if c is None else c,
                key=f"train_condition_{name}",
                help="A conditional model learns each category separately, so later you can ask for rows of one.",
            )

    # Budgets count items: rows of a table, images, or whole series (67 series of 24 steps are 67 items).
    n_items = item_count(data.frame, data.layout)
    item_word = {"table": "rows", "images": "images", "sequences": "series"}[data.layout.kind]
    epochs_default, batch_default = default_settings(n_items)
    own_budget = has_own_budget(name)  # a model that caps its own epochs (autoregressive)
    if own_budget:  # start from the budget it would choose itself, so the cap that keeps it from memorising holds
        epochs_default, batch_default = resolve_epochs(cls.Config(), n_items), cls.Config().batch_size
    c1, c2, c3 = st.columns(3)
    # Keys include the data and its layout so a new table or reading starts from its own sensible defaults.
    budget_key = data.source if data.layout.kind == "table" else f"{data.source}_{data.layout.kind}_{n_items}"
    budget_key += f"_{name}" if own_budget else ""
    epochs = c1.number_input(
        "Epochs (passes over the data)", 1, 10_000, epochs_default, key=f"train_epochs_{budget_key}"
    )
    batch_size = c2.number_input(
        f"Batch size ({item_word} per step)", 2, 100_000, batch_default, key=f"train_batch_{budget_key}"
    )
    seed = c3.number_input(
        "Seed", 0, 2**31 - 1, 0, key="train_seed", help="The same seed and settings train the same model again."
    )
    steps = int(epochs) * max(1, n_items // min(int(batch_size), n_items))
    st.caption(f"That is {steps:,} training steps over {n_items:,} {item_word}.")

    settings: dict[str, object] = {"epochs": int(epochs), "batch_size": int(batch_size), "seed": int(seed)}
    with st.expander("Advanced settings"):
        settings.update(advanced_settings(cls.Config, name))
    try:  # every setting is checked now, not when the run starts: creating a model only checks its Config
        gen_models.create(name, **settings)
    except USER_ERRORS as error:
        st.error(f"{error} Change it under Advanced settings to start training.")
        can_start = False

    running = [run for run in runs.session_runs(sid) if run.running]
    if running:
        st.caption("One training at a time per session: stop the current one or let it finish first.")
    keep_best = False  # images: no score is checked during training, so no epoch is "best"
    if data.layout.kind in ("table", "sequences"):
        scored = "rows" if data.layout.kind == "table" else "series (how hard they are to tell from real ones)"
        keep_best = st.checkbox(
            "Keep the best epoch",
            value=True,
            key="train_keep_best",
            help=f"Generated {scored} are scored every few epochs. When on, the model ends with the weights of its "
            "best-scoring epoch instead of the last one (later epochs of a GAN can get worse).",
        )
    else:
        st.caption(
            f"Keep the best epoch is for tables and series, which are scored every few epochs. A model of "
            f"{data.layout.kind} ends with its last epoch's weights; judge it on the Evaluate page."
        )
    st.button(
        "Start training",
        type="primary",
        disabled=bool(running) or not can_start,
        on_click=start_training,
        args=(name, settings, condition, keep_best),
        key="start_training",
    )
    if message := st.session_state.pop("start_error", None):
        st.error(message)


def advanced_settings(config_cls: type, name: str) -> dict[str, object]:
    """One input per model-specific Config field, starting at the field's default."""
    values: dict[str, object] = {}
    fields = [f for f in dataclasses.fields(config_cls) if f.name not in BASE_FIELDS]
    columns = st.columns(3)
    for i, field in enumerate(fields):
        default = field.default
        label = field.name.replace("_", " ")
        key = f"adv_{name}_{field.name}"
        with columns[i % 3]:
            if isinstance(default, bool):
                values[field.name] = st.checkbox(label, value=default, key=key)
            elif isinstance(default, int):
                values[field.name] = int(st.number_input(label, value=default, step=1, key=key))
            elif isinstance(default, float):
                values[field.name] = float(st.number_input(label, value=default, format="%g", key=key))
            elif isinstance(default, tuple):
                text = st.text_input(
                    label, value=", ".join(map(str, default)), key=key, help="Layer sizes, e.g. 256, 256"
                )
                try:
                    values[field.name] = setting_from_text(config_cls, field.name, text)
                except ModelError as err:
                    st.error(f"{err} Until it is fixed, training uses the default.")
                    values[field.name] = default
    device_options = ["auto", "cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    values["device"] = st.selectbox(
        "Device", device_options, key=f"adv_{name}_device", help="auto: the GPU when there is one, else the CPU."
    )
    if torch.cuda.is_available():  # bf16 pays on a GPU's bf16 units; on a CPU it is only slower
        values["precision"] = st.selectbox(
            "Precision",
            ["fp32", "bf16"],
            key=f"adv_{name}_precision",
            help="bf16: mixed precision, faster on recent GPUs; fp32: full precision everywhere.",
        )
    return values


def start_training(name: str, settings: dict[str, object], condition: str | None, keep_best: bool = True) -> None:
    """Button callback: create the model and start its thread; problems go to `start_error`."""
    data = current_data()
    if data is None or data.schema is None:
        return
    try:
        model = gen_models.create(name, **settings)
    except USER_ERRORS as error:
        st.session_state["start_error"] = str(error)
        return
    try:
        run = runs.start_run(
            sid,
            runs_dir,
            model,
            data.frame,
            data.schema,
            condition,
            data.label,
            data.dataset_name,
            keep_best=keep_best,
            layout=data.layout,
        )
    except runs.TrainingRefused as refusal:  # this session has a run already (another tab?), or the line is full
        st.session_state["start_error"] = str(refusal)
        return
    st.session_state["watch_run"] = run.run_id


# ----- the live view ------------------------------------------------------------------------------
def watched_run() -> runs.TrainingRun | None:
    """The run the live view follows: the one started last in this browser session, else the newest."""
    watch = st.session_state.get("watch_run")
    run = runs.get_run(sid, watch) if watch else None
    if run is None:
        in_memory = runs.session_runs(sid)
        run = in_memory[0] if in_memory else None
    return run


def live_view(run: runs.TrainingRun, polling: bool) -> None:
    snap = run.snapshot()
    info = snap.info
    st.subheader(f"{STATUS_ICONS.get(info.status, '')} {info.model} on {info.data_label}")
    progress = snap.progress
    if snap.queue_position is not None:
        waiting_message(snap.queue_position)
        st.button("Cancel", on_click=run.stop, key=f"stop_{info.run_id}", help="Leave the line; nothing is trained.")
    elif snap.running:
        if progress:
            fraction = min(1.0, progress.get("fraction", 0.0))
            st.progress(
                fraction,
                text=(
                    f"Epoch {int(progress['epoch'])} of {int(progress['epochs'])} · "
                    f"{fmt_seconds(progress['elapsed'])} elapsed · about {fmt_seconds(progress['remaining'])} left"
                    + checks_share(snap.check_seconds, progress["elapsed"])
                ),
            )
        else:
            st.progress(0.0, text="Starting… (the first steps take a few seconds)")
        st.button("Stop training", on_click=run.stop, key=f"stop_{info.run_id}", help="The model so far is kept.")
    else:
        show_result(info)

    losses_and_quality(snap)
    if polling and not snap.running:
        st.rerun()  # a full rerun re-creates these fragments without polling and refreshes the run list
    go_to_explore_if_asked()


def live_samples(run: runs.TrainingRun) -> None:
    """The latest generated rows (images, series) beside the real ones: a fragment of its own, polled less often."""
    snap = run.snapshot()
    if snap.samples is not None and run.layout is not None and run.layout.kind != "table":
        live_items(run, snap)
    elif snap.samples is not None:
        st.markdown(f"**Generated rows at epoch {snap.samples_epoch}**: 500 rows in purple, the real data in grey")
        columns = live_columns(run)
        grid = st.columns(len(columns))
        kinds = run.schema.kinds(include_ignored=True)
        for i, column in enumerate(columns):
            with grid[i]:
                figure = distribution_figure(column, kinds[column], snap.samples[column], run.frame[column], height=220)
                figure.update_layout(showlegend=False)  # the heading says which colour is which
                st.plotly_chart(figure, key=f"live_{i}", config={"displayModeBar": False})


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd"."""
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def waiting_message(position: int) -> None:
    training, _ = runs.trainings_now()
    st.info(
        f"Waiting: {ordinal(position)} in line. This server trains {runs.max_trainings()} model(s) at once and "
        f"{training} are training now; this run starts by itself when a slot frees up.",
        icon=":material/schedule:",
    )


def live_items(run: runs.TrainingRun, snap: runs.RunSnapshot) -> None:
    """Images: a small grid of generated images beside real ones. Series: generated curves over real ones."""
    encoder = run.model.encoder  # fitted before the first epoch, so before the first samples
    if run.layout.kind == "images":
        st.markdown(f"**Generated images at epoch {snap.samples_epoch}**, beside real ones")
        shape, side = encoder.shape, int(LIVE_IMAGES**0.5)
        left, right, _ = st.columns([1, 1, 1])
        for column, frame, title in ((left, snap.samples, "generated"), (right, run.frame, "real")):
            picture = image_grid_png(encoder.transform(frame.head(LIVE_IMAGES)), shape, columns=side, cell=40)
            column.image(picture, caption=title, width=png_width(picture))
        return
    steps, generated, names = sequence_curves(encoder, snap.samples)
    _, real, _ = sequence_curves(encoder, run.frame)
    st.markdown(f"**Generated series at epoch {snap.samples_epoch}**: purple, over real ones in grey")
    x_name = run.layout.sequence_index or "step"
    figure = sequences_figure(steps, generated[:LIVE_SEQUENCES, :, 0], real[:LIVE_SEQUENCES, :, 0], names[0], x_name)
    st.plotly_chart(figure, key="live_sequences", config={"displayModeBar": False})


def live_columns(run: runs.TrainingRun) -> list[str]:
    """A few columns to watch: the condition first (if any), then the first used columns."""
    used = run.schema.used_columns
    first = [run.info.condition] if run.info.condition in used else []
    return (first + [c for c in used if c not in first])[:LIVE_COLUMNS]


def loss_hint(model: str) -> str:
    if model in ("gan", "cgan"):
        return (
            "GAN losses go up and down as the two networks compete; steady lines do not mean good rows. "
            "Watch the samples."
        )
    if model == "wgan_gp":
        return "The critic loss should move towards zero as generated rows get closer to the real ones."
    if model == "vae":
        return "The reconstruction loss should fall; the KL divergence keeps the codes close to a standard normal."
    if model == "flow":
        return "The negative log-likelihood measures the fit itself: lower is better. It should fall, then flatten."
    if model == "mmd":
        return "The MMD² is a distance between generated and real rows: it falls as they get closer, then flattens."
    return "One line per loss the model reports."


def checks_share(check_seconds: float, seconds: float) -> str:
    """The words " · quality checks took 6% of training time"; empty before there is anything to say."""
    if check_seconds <= 0 or seconds <= 0:
        return ""
    return f" · quality checks took {min(1.0, check_seconds / seconds):.0%} of training time"


def show_result(info: runs.RunInfo) -> None:
    if info.status == "finished":
        st.success(f"{info.message} Took {fmt_seconds(info.seconds)}{checks_share(info.check_seconds, info.seconds)}.")
    elif info.status in ("stopped", "diverged", "interrupted"):
        st.warning(info.message + (" The model so far is saved." if info.has_model else ""))
    elif info.status == "failed":
        st.error(info.message)
    if info.has_model:
        st.button("Explore this model", on_click=open_in_explore, args=(info.run_id,), key=f"explore_{info.run_id}")
        snapshot_picker(info)


def losses_and_quality(snap: runs.RunSnapshot) -> None:
    """The loss curves and, beside them, the quality of the generated rows every few epochs."""
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(loss_figure(snap.history), key="loss_chart", config={"displayModeBar": False})
        st.caption(loss_hint(snap.info.model))
    with right:
        if snap.quality_note:
            st.caption(snap.quality_note)
            return
        best = max(snap.quality, key=lambda r: r["quality"], default=None)  # max keeps the earliest on a tie
        figure = quality_figure(snap.quality, best["epoch"] if best else None, height=320)
        st.plotly_chart(figure, key="quality_chart", config={"displayModeBar": False})
        series = bool(snap.quality) and "discriminative_auc" in snap.quality[-1]  # a sequence model's checks
        hint = SEQUENCE_QUALITY_HINT if series else QUALITY_HINT
        if best is not None:
            st.caption(f"**Best so far: epoch {best['epoch']}, quality {best['quality']:.2f}.** {hint}")
            if series:
                st.caption(series_check_line(snap.quality[-1]))
        else:
            st.caption(f"The first score comes after a few epochs. {hint}")


def snapshot_picker(info: runs.RunInfo) -> None:
    """After a run: choose any scored epoch to explore or generate from (each was saved whole)."""
    snapshots = runs.run_snapshots(runs_dir / info.run_id)
    if not snapshots:
        return
    by_name = {snap["path"].name: snap for snap in snapshots}
    best = info.best_epoch
    names = list(by_name)
    default = next((i for i, n in enumerate(names) if by_name[n]["epoch"] == best), len(names) - 1)

    def label(name: str) -> str:
        snap = by_name[name]
        score = "" if snap["quality"] is None else f" · quality {snap['quality']:.2f}"
        return f"epoch {snap['epoch']}{score}" + (" · best" if snap["epoch"] == best else "")

    kept = "the best epoch" if info.keep_best and best is not None else "the last epoch"
    st.caption(f"The saved model has the weights of {kept}. Every scored epoch was also saved: pick one to use.")
    pick, explore, generate = st.columns([2, 1, 1], vertical_alignment="bottom")
    name = pick.selectbox("Saved epoch", names, index=default, format_func=label, key=f"snapshot_{info.run_id}")
    key = f"run:{info.run_id}@{name}"
    for column, text, page, button_key in (
        (explore, "Explore this epoch", "app_pages/explore.py", f"snap_explore_{info.run_id}"),
        (generate, "Generate from it", "app_pages/generate.py", f"snap_generate_{info.run_id}"),
    ):
        column.button(text, on_click=open_snapshot, args=(key, page), key=button_key)
    if page := st.session_state.pop("go_to_page", None):
        st.switch_page(page)


def open_snapshot(model_key: str, page: str) -> None:
    """Button callback: make the snapshot the chosen model; the page switch happens in the body."""
    st.session_state["model_key"] = model_key
    st.session_state["go_to_page"] = page


def open_in_explore(run_id: str) -> None:
    """Button callback; the switch itself happens in the script body (callbacks cannot switch pages)."""
    st.session_state["model_key"] = f"run:{run_id}"
    st.session_state["go_to_explore"] = True


def go_to_explore_if_asked() -> None:
    if st.session_state.pop("go_to_explore", False):
        st.switch_page("app_pages/explore.py")


# ----- the runs list ------------------------------------------------------------------------------
def resume_button(info: runs.RunInfo, busy: bool) -> None:
    """A stopped or interrupted run with an epoch snapshot: train on from it (a new run, in line like any)."""
    epoch = runs.resumable_epoch(runs_dir / info.run_id)
    if epoch is None:
        return
    st.button(
        f"Resume training from epoch {epoch}",
        key=f"resume_{info.run_id}",
        on_click=resume_training,
        args=(info.run_id,),
        disabled=busy,
        help=f"A new run loads the weights saved at epoch {epoch} and trains the rest of the same epochs on the "
        "same data and settings; its loss curve and quality checks go on from here, and this run stays as it is. "
        "The optimiser restarts (its state is not saved), so the first steps may move a little more.",
    )


def resume_training(run_id: str) -> None:
    """Button callback: start the resumed run; a refusal (busy, nothing to resume from) goes to `resume_error`."""
    try:
        run = runs.resume_run(sid, runs_dir, run_id)
    except runs.TrainingRefused as refusal:
        st.session_state["resume_error"] = str(refusal)
        return
    st.session_state["watch_run"] = run.run_id


def runs_list() -> None:
    infos = runs.saved_runs(sid, runs_dir)
    st.subheader("Your runs")
    if message := st.session_state.pop("resume_error", None):
        st.error(message)
    if not infos:
        st.caption("Runs you start appear here, saved so you can explore, download or delete them later.")
        return
    st.caption(
        "These runs belong to this session's address: bookmark it to come back to them. The address is the key: "
        "anyone with the link sees and can delete them (see Home)."
    )
    for notice in runs.disk_notices(sid):
        st.warning(notice, icon=":material/hard_drive:")
    busy = any(run.running for run in runs.session_runs(sid))  # one run at a time per session (runs enforces it)
    for info in infos:
        with st.container(border=True):
            head, buttons = st.columns([3, 2])
            with head:
                st.markdown(f"{STATUS_ICONS.get(info.status, '')} **{info.title}**")
                if info.status == "running":
                    detail = "training now: watch it above"
                elif info.status == "queued":
                    detail = "waiting for a training slot: see above"
                else:
                    detail = f"{info.status} · {info.epochs_completed} epochs · {fmt_seconds(info.seconds)}"
                if info.condition:
                    detail += f" · conditioned on {info.condition}"
                if info.resumed_from:
                    detail += f" · resumed from epoch {info.start_epoch}"
                detail += checks_share(info.check_seconds, info.seconds)
                st.caption(detail + (f" — {info.message}" if info.message else ""))
                if info.status in runs.RESUMABLE_STATUSES:
                    resume_button(info, busy)
            with buttons:
                b1, b2, b3 = st.columns(3)
                if info.has_model:
                    b1.button(
                        "Explore", key=f"list_explore_{info.run_id}", on_click=open_in_explore, args=(info.run_id,)
                    )
                    b2.download_button(
                        "Download",
                        data=run_zip(str(runs_dir / info.run_id), info.seconds),
                        file_name=f"{info.run_id}.zip",
                        mime="application/zip",
                        key=f"zip_{info.run_id}",
                        on_click="ignore",
                        help="The model directory as a zip: load it with gen_models.load(folder).",
                    )
                with b3.popover("Delete", disabled=info.status == "running"):
                    st.write("Delete this run and its model for good?")
                    st.button(
                        "Yes, delete",
                        key=f"delete_{info.run_id}",
                        on_click=runs.delete_run,
                        args=(sid, runs_dir, info.run_id),
                        type="primary",
                    )


training_form()
run = watched_run()
if run is not None:
    st.divider()
    polling = run.running
    st.fragment(live_view, run_every=POLL_SECONDS if polling else None)(run, polling)
    st.fragment(live_samples, run_every=SAMPLES_POLL_SECONDS if polling else None)(run)
st.divider()
runs_list()
go_to_explore_if_asked()
