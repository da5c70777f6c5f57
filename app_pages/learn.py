"""Learn page: how each architecture works, and the sampling ideas every generator builds on.

Two tabs. "Architectures" shows one architecture at a time from `ui.core.architectures`: its diagram,
what each network receives and returns, each loss term as a sentence and a formula, and what to
watch for in its curves. "Sampling basics" draws three small interactive figures computed by
`gen_models.teaching.sampling_basics`: inverse transform sampling, rejection sampling and
Metropolis-Hastings. Each interactive part is a fragment, so a slider reruns only its own figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from gen_models.models import REGISTRY
from gen_models.teaching import sampling_basics as sb
from ui.core.architectures import ARCHITECTURES, NOTATION, dot
from ui.core.plots import GENERATED_COLOUR, LINE_COLOURS, REAL_COLOUR

BINS = 40  # histogram bars per figure
CURVE_POINTS = 300  # points of each density or CDF curve
ARROWS = 5  # u -> x arrows drawn on the CDF: enough to follow, few enough to read
SHOWN_POINTS = 1500  # rejection sampling: points drawn on the scatter (all of them count in the numbers)
TARGET_COLOUR = LINE_COLOURS[1]
ENVELOPE_COLOUR = LINE_COLOURS[2]
PLOT_CONFIG = {"displayModeBar": False}


# ----- small figure helpers -------------------------------------------------------------------------
def _styled(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.08, "xanchor": "right", "x": 1.0},
        plot_bgcolor="white",
        bargap=0.02,
    )
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(gridcolor="#eef0f3")
    return fig


def _density_bars(values: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Bar centres and heights of a histogram scaled as a density over [low, high], comparable to a pdf.

    Values outside the range are not drawn, but still count in the total, so bars and curve agree.
    """
    counts, edges = np.histogram(values, bins=BINS, range=(low, high))
    width = edges[1] - edges[0]
    return (edges[:-1] + edges[1:]) / 2, counts / (max(len(values), 1) * width)


def _histogram_against_target(
    fig: go.Figure, values: np.ndarray, target: sb.Density1D, low: float, high: float, col: int, legend: bool
) -> None:
    """Histogram of `values` (bars) and the target density (line) in subplot column `col`."""
    centres, heights = _density_bars(values, low, high)
    grid = np.linspace(low, high, CURVE_POINTS)
    fig.add_trace(
        go.Bar(x=centres, y=heights, name="samples", marker_color=GENERATED_COLOUR, opacity=0.7, showlegend=legend),
        row=1,
        col=col,
    )
    fig.add_trace(
        go.Scatter(
            x=grid,
            y=target.pdf(grid),
            mode="lines",
            name="target density p(x)",
            line={"color": TARGET_COLOUR, "width": 2},
            showlegend=legend,
        ),
        row=1,
        col=col,
    )


# ----- Architectures tab ------------------------------------------------------------------------------
@st.fragment
def architecture_explainer() -> None:
    names = [name for name in REGISTRY if name in ARCHITECTURES]
    name = st.selectbox(
        "Architecture",
        names,
        format_func=lambda n: f"{ARCHITECTURES[n].title} ({n})",
        key="learn_architecture",
    )
    architecture = ARCHITECTURES[name]
    left, right = st.columns([2, 3])
    with left:
        st.subheader(architecture.title)
        st.markdown(architecture.explanation.replace("\n", "  \n"))
    with right:
        st.graphviz_chart(dot(architecture), width="stretch")

    st.markdown("**The networks**")
    table = pd.DataFrame(
        [(net.name, net.receives, net.outputs) for net in architecture.networks],
        columns=["Network", "Receives", "Outputs"],
    )
    st.table(table, hide_index=True)

    st.markdown("**The loss terms**")
    st.caption(NOTATION)
    for term in architecture.losses:
        curve = f" (the “{term.curve.replace('_', ' ')}” curve on the Train page)" if term.curve else ""
        st.markdown(f"**{term.name}**{curve}: {term.sentence}")
        st.latex(term.formula)

    st.markdown("**What to watch for in the curves**")
    st.markdown("\n".join(f"- {line}" for line in architecture.watch))
    st.markdown("**Signs of trouble**")
    st.markdown(
        "\n".join(f"- **{sign.name}.** {sign.sign} *What to try:* {sign.remedy}" for sign in architecture.failures)
    )


# ----- Sampling basics tab ------------------------------------------------------------------------------
def inverse_transform_figure(target: sb.Density1D, draw: sb.InverseTransformDraw) -> go.Figure:
    low, high = target.plot_range()
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=("1 · uniform numbers u", "2 · read the CDF backwards", "3 · x = F⁻¹(u) against p(x)"),
        horizontal_spacing=0.07,
    )
    # Panel 1: the u are flat on [0, 1], the simplest distribution there is.
    centres, heights = _density_bars(draw.uniform, 0.0, 1.0)
    fig.add_trace(
        go.Bar(x=centres, y=heights, marker_color=REAL_COLOUR, name="uniform u", showlegend=False), row=1, col=1
    )
    fig.add_trace(
        go.Scatter(x=[0, 1], y=[1, 1], mode="lines", line={"color": TARGET_COLOUR, "width": 2}, showlegend=False),
        row=1,
        col=1,
    )
    # Panel 2: the CDF, and a few of the draws followed from u (height) across to the curve and down to x.
    grid = np.linspace(low, high, CURVE_POINTS)
    fig.add_trace(
        go.Scatter(
            x=grid, y=target.cdf(grid), mode="lines", name="CDF F(x)", line={"color": LINE_COLOURS[0], "width": 2}
        ),
        row=1,
        col=2,
    )
    # All arrows are one trace of broken lines (None ends each one): plotly annotations, one per
    # arrow, cost ~10 ms each to validate. An arrow-shaped marker, turned along the line, marks x.
    path_x: list[float | None] = []
    path_y: list[float | None] = []
    for u, x in zip(draw.uniform[:ARROWS], draw.samples[:ARROWS], strict=True):
        x = float(np.clip(x, low, high))  # a rare far draw is pinned to the edge of the picture
        path_x += [low, x, x, None]  # across at height u, then down to x
        path_y += [float(u), float(u), 0.0, None]
    fig.add_trace(
        go.Scatter(
            x=path_x,
            y=path_y,
            mode="lines+markers",
            name="u → x",
            line={"color": "#6b7280", "width": 1.2},
            marker={"symbol": "arrow", "angleref": "previous", "size": [0, 0, 11, 0] * ARROWS, "color": "#6b7280"},
            hoverinfo="skip",
        ),
        row=1,
        col=2,
    )
    # Panel 3: the pushed-through numbers follow the target.
    _histogram_against_target(fig, draw.samples, target, low, high, col=3, legend=True)
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    fig.update_xaxes(title_text="u", row=1, col=1)
    fig.update_xaxes(title_text="x", row=1, col=2)
    fig.update_xaxes(title_text="x", row=1, col=3)
    return _styled(fig, height=330)


@st.fragment
def inverse_transform_demo() -> None:
    st.subheader("1 · Inverse transform sampling")
    st.markdown(
        "A computer can easily draw numbers *u* spread evenly between 0 and 1. To turn them into draws "
        "from another distribution, take its cumulative distribution function *F* (the share of the "
        "probability lying below *x*) and read it backwards: *x* = F⁻¹(*u*). Where the target is dense, "
        "F climbs steeply, so many values of *u* land on a short stretch of *x*. The exponential has a "
        "formula for F⁻¹; the two-bump mixture has none, so its F is tabulated finely and read backwards "
        "numerically."
    )
    c1, c2, c3 = st.columns(3)
    target_name = c1.selectbox("Target distribution", list(sb.TARGETS), key="learn_it_target")
    n = c2.slider("Number of samples", 100, 20_000, 2_000, step=100, key="learn_it_n")
    seed = c3.number_input("Seed", 0, 10_000, 0, key="learn_it_seed")
    target = sb.TARGETS[target_name]
    draw = sb.inverse_transform_sample(target, n, int(seed))
    st.plotly_chart(inverse_transform_figure(target, draw), key="learn_it_figure", config=PLOT_CONFIG)
    st.caption(
        f"The grey arrows follow the first {ARROWS} draws from *u* across to the CDF and down to *x*. "
        f"Sample mean {draw.samples.mean():.2f} against the target's {target.mean():.2f}; "
        f"standard deviation {draw.samples.std():.2f} against {target.std():.2f}. More samples bring "
        "the histogram closer to the curve."
    )


def rejection_figure(target: sb.Density1D, proposal: sb.NormalMixture, draw: sb.RejectionDraw) -> go.Figure:
    low, high = target.plot_range()
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("points under the envelope M·q(x)", "accepted x against p(x)"),
        horizontal_spacing=0.08,
    )
    shown = slice(0, SHOWN_POINTS)
    x, heights, accepted = draw.proposals[shown], draw.heights[shown], draw.accepted[shown]
    for keep, name, colour in ((False, "rejected", REAL_COLOUR), (True, "accepted", GENERATED_COLOUR)):
        mask = accepted == keep
        fig.add_trace(
            go.Scatter(
                x=x[mask].astype(np.float32),
                y=heights[mask].astype(np.float32),
                mode="markers",
                name=name,
                marker={"color": colour, "size": 4, "opacity": 0.7},
            ),
            row=1,
            col=1,
        )
    grid = np.linspace(low, high, CURVE_POINTS)
    fig.add_trace(
        go.Scatter(
            x=grid,
            y=draw.envelope * proposal.pdf(grid),
            mode="lines",
            name="envelope M·q(x)",
            line={"color": ENVELOPE_COLOUR, "width": 2, "dash": "dash"},
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=grid, y=target.pdf(grid), mode="lines", line={"color": TARGET_COLOUR, "width": 2}, showlegend=False
        ),
        row=1,
        col=1,
    )
    _histogram_against_target(fig, draw.samples, target, low, high, col=2, legend=True)
    fig.update_xaxes(range=[low, high])
    return _styled(fig, height=340)


@st.fragment
def rejection_demo() -> None:
    st.subheader("2 · Rejection sampling")
    st.markdown(
        "When F⁻¹ is out of reach but the density *p(x)* can be evaluated, draw from an easy *proposal* "
        "*q* instead (here a normal centred on 0), raised by a factor *M* until the envelope *M·q(x)* "
        "lies above *p(x)* everywhere. Each proposal *x* gets a random height between 0 and *M·q(x)*; "
        "it is kept if that height also lies under *p(x)*. The kept points are spread evenly under "
        "*p*, so their *x* values follow *p*. Both densities have area 1, so on average one "
        "proposal in *M* is kept: a proposal shaped unlike the target needs a large *M* and wastes draws."
    )
    c1, c2, c3 = st.columns(3)
    width = c1.slider(
        "Proposal spread (std of q)",
        1.5,
        6.0,
        2.5,
        step=0.25,
        key="learn_rs_width",
        help="Much narrower and q's tails would be thinner than the target's: no M could cover them.",
    )
    n = c2.slider("Number of proposals", 200, 20_000, 2_000, step=200, key="learn_rs_n")
    seed = c3.number_input("Seed", 0, 10_000, 0, key="learn_rs_seed")
    target = sb.TWO_BUMPS
    proposal = sb.NormalMixture(weights=(1.0,), means=(0.0,), stds=(float(width),), name="Proposal")
    draw = sb.rejection_sample(target, proposal, n, int(seed))
    m1, m2, m3 = st.columns(3)
    m1.metric("Envelope factor M", f"{draw.envelope:.2f}")
    m2.metric("Accepted", f"{draw.acceptance_rate:.1%}", help=f"{int(draw.accepted.sum()):,} of {n:,} proposals")
    m3.metric("Expected, 1/M", f"{1 / draw.envelope:.1%}")
    st.plotly_chart(rejection_figure(target, proposal, draw), key="learn_rs_figure", config=PLOT_CONFIG)
    if n > SHOWN_POINTS:
        st.caption(f"The scatter shows the first {SHOWN_POINTS:,} proposals; the numbers and histogram use all {n:,}.")


def chain_figure(target: sb.Density1D, chain: sb.Chain) -> go.Figure:
    low, high = target.plot_range()
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.62, 0.38],
        subplot_titles=("the chain, step by step", "where it spent its time, against p(x)"),
        horizontal_spacing=0.08,
    )
    fig.add_trace(
        go.Scatter(
            y=chain.states.astype(np.float32),
            mode="lines",
            name="chain",
            line={"color": GENERATED_COLOUR, "width": 1},
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    _histogram_against_target(fig, chain.states, target, low, high, col=2, legend=True)
    fig.update_xaxes(title_text="step", row=1, col=1)
    fig.update_yaxes(title_text="x", range=[low, high], row=1, col=1)
    fig.update_xaxes(title_text="x", range=[low, high], row=1, col=2)
    return _styled(fig, height=340)


@st.fragment
def metropolis_demo() -> None:
    st.subheader("3 · Metropolis–Hastings")
    st.markdown(
        "This one needs *p(x)* only up to a constant factor, which is often all one has. A walker starts "
        "somewhere and, at every step, proposes a random move of typical size *step*. A move uphill "
        "(to a denser place) is always taken; a move downhill is taken with probability "
        "*p(new)* / *p(old)*; otherwise the walker stays put and that place counts once more. In the "
        "long run the time spent at each *x* is proportional to *p(x)*. But the samples are correlated: "
        "with tiny steps nearly every move is taken yet the walker crawls and may never cross to the "
        "other bump; with huge steps nearly every move is rejected and the chain sits still for long "
        "stretches. The effective sample size counts how many independent draws the chain is worth."
    )
    c1, c2, c3, c4 = st.columns(4)
    step = c1.select_slider(
        "Step size",
        options=[0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 100.0],
        value=2.0,
        key="learn_mh_step",
    )
    n_steps = c2.slider("Number of steps", 500, 20_000, 5_000, step=500, key="learn_mh_n")
    start = c3.slider("Starting point", -4.0, 5.0, -2.0, step=0.5, key="learn_mh_start")
    seed = c4.number_input("Seed", 0, 10_000, 0, key="learn_mh_seed")
    target = sb.TWO_BUMPS
    chain = sb.metropolis_hastings(sb.mixture_log_density(target), float(start), float(step), n_steps, int(seed))
    m1, m2, m3 = st.columns(3)
    m1.metric("Moves accepted", f"{chain.acceptance_rate:.0%}")
    m2.metric("Effective sample size", f"{sb.effective_sample_size(chain.states):,.0f} of {n_steps:,}")
    m3.metric("Chain mean (target)", f"{chain.states.mean():.2f} ({target.mean():.2f})")
    st.plotly_chart(chain_figure(target, chain), key="learn_mh_figure", config=PLOT_CONFIG)
    st.caption(
        "For a one-dimensional random walk, accepting roughly 40–50% of moves tends to mix best; try a step "
        "of 0.05 and of 100 to see the two ways it goes wrong."
    )


def sampling_basics() -> None:
    st.markdown(
        "Every generative model answers one question: *how do I draw new examples from a distribution?* "
        "Before neural networks, statisticians had several answers for a single number. They are worth "
        "seeing because a generator is built on the first one."
    )
    inverse_transform_demo()
    st.divider()
    rejection_demo()
    st.divider()
    metropolis_demo()
    st.divider()
    st.subheader("From sampling to generators")
    st.markdown(
        "Rejection sampling and Metropolis–Hastings both need the density *p(x)*, and both slow down "
        "badly in many dimensions: in a space of 784 pixels almost every proposal is rejected, and a "
        "random walk takes forever to get anywhere. Nobody can write down the density of handwritten "
        "digits or of penguin measurements anyway. Inverse transform sampling needs no density at "
        "sampling time: just a function that pushes simple random numbers to the right places, in one "
        "go. A generator is exactly that, learnt instead of derived: a network that maps simple noise "
        "*z* (uniform or normal numbers) to items *x*, trained until its outputs are spread like the "
        "data. It is a learnt, high-dimensional inverse transform, and drawing from it is as cheap as "
        "one pass through the network. The noise even keeps the geometry the sliders rely on: nearby "
        "*z* give similar items, just as nearby *u* give nearby *x* above."
    )


# ----- the page ----------------------------------------------------------------------------------------
st.title("Learn: how generative models work")
st.write(
    "What is inside each model you can train here, what its losses mean and how to read its curves; and "
    "the classic ways of drawing random examples that generative models grow out of."
)
architectures_tab, sampling_tab = st.tabs(["Architectures", "Sampling basics"])
with architectures_tab:
    architecture_explainer()
with sampling_tab:
    sampling_basics()
