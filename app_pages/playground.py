"""2-D playground: watch a vanilla GAN or a WGAN-GP learn a cloud of points in the plane, live.

A thin page over `gen_models.teaching.playground`: the widgets choose the data and the settings, one
`Playground` per browser session lives in session state, and a fragment trains a few steps and
redraws itself every half second while playing. Changing a setting that needs a new model rebuilds it.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from gen_models.data.errors import DataError
from gen_models.data.reading import read_csv
from gen_models.teaching.playground import (
    MIN_POINTS,
    VARIANTS,
    Playground,
    points_from_frame,
    points_in_cells,
    recommended_config,
)

FRAME_SECONDS = 0.5  # redraw interval while playing; on 2 cores a faster browser redraw slows training
SHOWN_POINTS = 400  # real and generated points drawn each: enough to see the shape, light to redraw
GRID_SIZE = 50  # heatmap resolution (50 x 50 scores per frame)
LOSS_POINTS = 300  # the loss chart averages the history into at most this many points per line
TOYS = {
    "ring": "Ring of 8 Gaussians",
    "moons": "Two moons",
    "spiral": "Spiral",
    "draw": "Draw your own",
}
LEARNING_RATES = [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2]
BATCH_SIZES = [32, 64, 128, 256, 512]
SPEEDS = [1, 2, 5, 10, 20, 50]  # generator steps per frame while playing
LOSS_LABELS = {
    "discriminator": "discriminator loss",
    "generator": "generator loss",
    "critic": "critic loss",
    "gradient_penalty": "gradient penalty",
    "wasserstein_estimate": "real minus generated score",
}
CANVAS_HALF = 3.0  # the drawing canvas spans -3..3 on both axes (the ring has radius 2)
CANVAS_CELLS = 41  # grid points per side on the canvas: a lasso picks cells of about 0.15 x 0.15
POINTS_PER_CELL = 3  # real points added per selected canvas cell
CANVAS_SHOWN = 2000  # at most this many drawn points shown on the canvas (all of them are learnt from)
REAL_COLOUR = "rgba(90, 90, 90, 0.55)"
GENERATED_COLOUR = "#e4572e"

state = st.session_state
state.setdefault("pg", None)  # the Playground, or None while the chosen data cannot be learnt from
state.setdefault("pg_signature", None)  # what the Playground was built from; a change means a new one
state.setdefault("pg_playing", False)
state.setdefault("pg_drawn", np.zeros((0, 2)))  # the user's own points, (n, 2)
state.setdefault("pg_drawn_version", 0)  # bumped at every change of pg_drawn
state.setdefault("pg_upload_message", None)  # ("error" | "success", text) from the last upload

st.title("2-D playground")
st.write(
    "Watch a GAN learn, step by step. Grey dots are real points; orange dots are points the generator "
    "makes from a fixed set of random inputs, so you see the same dots move as it learns. The background "
    "shows how the discriminator (or critic) judges every place in the plane."
)
st.info(
    "**What to look for.** On the ring with the **vanilla GAN**, the orange dots bunch into one clump that "
    "chases whichever spot the discriminator currently rates most 'real', then hops elsewhere as soon as the "
    "discriminator catches up: it never covers more than one or two of the 8 blobs at a time. That is *mode "
    "collapse*. With **WGAN-GP** the dots spread round the whole ring within a few hundred steps and then slowly "
    "tighten onto the 8 blobs, guided by a critic whose background is a smooth slope up towards the real points. "
    "Then give the vanilla GAN's discriminator the same learning rate as its generator: it usually finds the "
    "whole ring too, because collapse comes from the balance between the two networks.",
    icon=":material/school:",
)


# ----- settings ---------------------------------------------------------------------------------
left, middle, right = st.columns(3)
toy = left.selectbox("Distribution to learn", list(TOYS), format_func=TOYS.get, key="pg_toy")
variant = left.radio("GAN variant", list(VARIANTS), format_func=VARIANTS.get, horizontal=True, key="pg_variant")
# Per-variant keys: switching the variant starts its learning rates and step ratio from the ones that suit it.
recommended = recommended_config(variant)
critic = "critic" if variant == "wgan_gp" else "discriminator"
lr_generator = middle.select_slider(
    "Generator learning rate",
    LEARNING_RATES,
    value=recommended.lr_generator,
    format_func=lambda rate: f"{rate:g}",
    key=f"pg_lr_g_{variant}",
)
lr_discriminator = middle.select_slider(
    f"{critic.capitalize()} learning rate",
    LEARNING_RATES,
    value=recommended.lr_discriminator,
    format_func=lambda rate: f"{rate:g}",
    key=f"pg_lr_d_{variant}",
)
d_steps = right.number_input(
    f"{critic.capitalize()} steps per generator step", 1, 10, recommended.d_steps, key=f"pg_d_steps_{variant}"
)
batch_size = right.select_slider("Batch size", BATCH_SIZES, value=recommended.batch_size, key="pg_batch")
seed = right.number_input("Seed", 0, 1_000_000, 0, key="pg_seed")
config = recommended_config(
    variant,
    lr_generator=lr_generator,
    lr_discriminator=lr_discriminator,
    d_steps=int(d_steps),
    batch_size=batch_size,
    seed=int(seed),
)


# ----- draw your own ----------------------------------------------------------------------------
def set_drawn(points: np.ndarray) -> None:
    state.pg_drawn = points
    state.pg_drawn_version += 1  # also gives the canvas a new key, which clears its selection


def add_selected(canvas_key: str) -> None:
    """on_select of the canvas: fill every selected grid cell with a few real points."""
    selection = state[canvas_key].selection
    # Only the faint grid (the figure's first trace) marks cells; the drawn points above it do not.
    cells = np.array([[p["x"], p["y"]] for p in selection.points if p.get("curve_number", 0) == 0])
    if len(cells):
        spacing = 2 * CANVAS_HALF / (CANVAS_CELLS - 1)
        added = points_in_cells(cells, spacing, POINTS_PER_CELL, seed=state.pg_drawn_version)
        set_drawn(np.concatenate([state.pg_drawn, added]))


def load_upload() -> None:
    """on_change of the file uploader: the file's points replace the drawn ones, or a message says why not."""
    upload = state.pg_upload
    if upload is None:  # the file was removed: keep the points it gave
        state.pg_upload_message = None
        return
    try:
        points = points_from_frame(read_csv(upload.getvalue()))
    except DataError as error:
        state.pg_upload_message = ("error", f"{upload.name}: {error}")
        return
    set_drawn(points)
    state.pg_upload_message = ("success", f"Loaded {len(points):,} points from {upload.name}.")


def canvas_figure(drawn: np.ndarray) -> go.Figure:
    """The faint grid to select cells from (first trace) under the points drawn so far."""
    drawn = drawn[:: max(1, len(drawn) // CANVAS_SHOWN)]
    ticks = np.linspace(-CANVAS_HALF, CANVAS_HALF, CANVAS_CELLS)
    grid_x, grid_y = np.meshgrid(ticks, ticks)
    figure = go.Figure(
        [
            go.Scatter(
                x=grid_x.ravel(),
                y=grid_y.ravel(),
                mode="markers",
                marker={"size": 4, "color": "rgba(120, 120, 120, 0.15)"},
                hoverinfo="none",
                name="canvas",
            ),
            go.Scatter(
                x=drawn[:, 0],
                y=drawn[:, 1],
                mode="markers",
                marker={"size": 4, "color": REAL_COLOUR},
                name="your points",
            ),
        ]
    )
    limits = [-CANVAS_HALF - 0.1, CANVAS_HALF + 0.1]
    figure.update_layout(
        dragmode="lasso",
        height=420,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        showlegend=False,
        xaxis={"range": limits, "zeroline": False},
        yaxis={"range": limits, "zeroline": False, "scaleanchor": "x"},
    )
    return figure


def drawing_section() -> None:
    st.subheader("Your points")
    st.caption(
        "Streamlit has no drawing canvas, so draw by selecting: drag a lasso (or pick the box tool at the top "
        "right of the chart) around an area of the faint grid, and that area fills with points. Each "
        "selection adds more; areas selected twice get twice as dense. Or upload a CSV file with two "
        "columns of numbers (x and y, or the first two numeric columns)."
    )
    canvas_key = f"pg_canvas_{state.pg_drawn_version}"
    st.plotly_chart(
        canvas_figure(state.pg_drawn),
        key=canvas_key,
        on_select=lambda: add_selected(canvas_key),
        selection_mode=("lasso", "box"),
        config={"displaylogo": False, "modeBarButtonsToRemove": ["toImage"]},
        width=460,  # square: the canvas keeps equal axis scales, so a wide chart would pad the sides
    )
    c1, c2 = st.columns([1, 3])
    c1.button("Clear my points", on_click=set_drawn, args=(np.zeros((0, 2)),), key="pg_clear")
    c2.caption(f"{len(state.pg_drawn):,} points drawn.")
    st.file_uploader("Or upload a CSV file of points", type=["csv"], key="pg_upload", on_change=load_upload)
    if state.pg_upload_message is not None:
        kind, text = state.pg_upload_message
        (st.error if kind == "error" else st.success)(text)


if toy == "draw":
    drawing_section()


# ----- the model --------------------------------------------------------------------------------
def build() -> Playground | None:
    """The session's Playground for the chosen data and settings, rebuilt when they changed."""
    signature = (toy, state.pg_drawn_version if toy == "draw" else None, config)
    if state.pg_signature == signature and state.pg is not None:
        return state.pg  # a failed build is tried again, so its message shows at every rerun
    previous = state.pg
    try:
        if toy == "draw":
            playground = Playground(state.pg_drawn, config, toy=None)
        else:
            playground = Playground.from_toy(toy, config)
    except DataError as error:
        state.pg, state.pg_signature, state.pg_playing = None, signature, False
        if toy == "draw" and len(state.pg_drawn) < MIN_POINTS:
            st.warning(
                f"Draw at least {MIN_POINTS} points to learn from (now {len(state.pg_drawn)}): select an area of "
                "the grid above, or upload a CSV file."
            )
        else:
            st.error(f"These points cannot be learnt from: {error}")
        return None
    if previous is not None and previous.steps > 0:
        st.info(
            f"Settings changed, so a new model was built: training starts again from step 0 "
            f"(the previous one had trained {previous.steps:,} steps).",
            icon=":material/restart_alt:",
        )
    state.pg, state.pg_signature = playground, signature
    return playground


if build() is None:
    st.stop()


def play() -> None:
    state.pg_playing = not state.pg_playing


def single_step() -> None:
    state.pg_playing = False
    state.pg.step(1)


def reset() -> None:
    state.pg_playing = False
    state.pg.reset()


playing = state.pg_playing
b1, b2, b3, b4 = st.columns([1, 1, 1, 3])
b1.button(
    "Pause" if playing else "Play",
    on_click=play,
    icon=":material/pause:" if playing else ":material/play_arrow:",
    type="primary",
    key="pg_play",
    width="stretch",
)
b2.button("Single step", on_click=single_step, icon=":material/skip_next:", key="pg_step", width="stretch")
b3.button("Reset", on_click=reset, icon=":material/restart_alt:", key="pg_reset", width="stretch")
speed = b4.select_slider("Generator steps per frame while playing", SPEEDS, value=10, key="pg_speed")


# ----- the live view ----------------------------------------------------------------------------
def plane_figure(playground: Playground) -> go.Figure:
    """The critic's heatmap under the real (grey) and generated (orange) points."""
    bounds = playground.bounds()
    xs, ys, values = playground.surface(GRID_SIZE, bounds)
    gan = playground.config.variant == "gan"
    heatmap = go.Heatmap(
        x=xs,
        y=ys,
        z=values,
        colorscale="Blues",
        zmin=0.0 if gan else None,
        zmax=1.0 if gan else None,
        colorbar={"title": {"text": "P(real)" if gan else "critic score"}, "thickness": 12},
        hovertemplate="x %{x:.2f}, y %{y:.2f}: %{z:.2f}<extra></extra>",
    )
    real = playground.real[:: max(1, len(playground.real) // SHOWN_POINTS)]
    generated = playground.generated(SHOWN_POINTS)
    figure = go.Figure(
        [
            heatmap,
            go.Scatter(
                x=real[:, 0], y=real[:, 1], mode="markers", marker={"size": 4, "color": REAL_COLOUR}, name="real"
            ),
            go.Scatter(
                x=generated[:, 0],
                y=generated[:, 1],
                mode="markers",
                marker={"size": 5, "color": GENERATED_COLOUR},
                name="generated",
            ),
        ]
    )
    figure.update_layout(
        height=520,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": 1.06},
        xaxis={"range": bounds[:2], "zeroline": False},
        yaxis={"range": bounds[2:], "zeroline": False, "scaleanchor": "x"},
    )
    return figure


def loss_figure(history: dict[str, list[float]]) -> go.Figure:
    """One line per loss term against the generator step; long histories averaged into LOSS_POINTS buckets."""
    figure = go.Figure()
    for name, values in history.items():
        steps = np.arange(1, len(values) + 1)
        if len(values) > LOSS_POINTS:
            steps = np.array([chunk.mean() for chunk in np.array_split(steps, LOSS_POINTS)])
            values = [chunk.mean() for chunk in np.array_split(np.asarray(values), LOSS_POINTS)]
        figure.add_trace(go.Scatter(x=steps, y=values, mode="lines", name=LOSS_LABELS.get(name, name)))
    figure.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": 1.12},
        xaxis={"title": {"text": "generator step"}},
    )
    return figure


def diverged(playground: Playground) -> bool:
    """True when the latest value of some loss is not a finite number (a learning rate too high, say)."""
    return playground.steps > 0 and not all(np.isfinite(values[-1]) for values in playground.history.values())


def live_view(playing: bool) -> None:
    playground: Playground = state.pg
    if playing:
        playground.step(speed)
        if diverged(playground):
            state.pg_playing = False
            st.rerun()  # a full rerun draws the page paused, with the warning below
    if diverged(playground):
        st.warning(
            "Training has diverged: a loss is no longer a number. Press Reset, or lower the learning rates.",
            icon=":material/warning:",
        )
    m1, m2, m3 = st.columns(3)
    m1.metric("Generator steps", f"{playground.steps:,}")
    scores = playground.ring_scores()
    if scores is not None:
        m2.metric("Ring modes covered", f"{scores['modes_covered']} of 8")
        m3.metric("High-quality points", f"{scores['high_quality']:.0%}")
    plot, losses = st.columns([3, 2])
    with plot:
        st.plotly_chart(plane_figure(playground), key="pg_plane", config={"displayModeBar": False})
        if playground.config.variant == "gan":
            st.caption("Background: the discriminator's probability that a point is real (white 0, dark blue 1).")
        else:
            st.caption(
                "Background: the critic's score (darker = more real). Only differences matter: the generator "
                "moves its points uphill."
            )
    with losses:
        if playground.steps:
            st.plotly_chart(loss_figure(playground.history), key="pg_losses", config={"displayModeBar": False})
        else:
            st.caption("The losses appear here once training starts.")
        if scores is not None:
            st.caption(
                "A blob (mode) counts as covered when at least 1/8 of its fair share of the generated points lie "
                "within 0.25 of its centre; a point is high quality when it lies within 3 standard deviations "
                "(0.06) of a blob's centre."
            )


st.fragment(live_view, run_every=FRAME_SECONDS if playing else None)(playing)
