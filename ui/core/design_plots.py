"""Figures of the Design page: designed rows, data-space rows and real rows side by side.

Every figure uses the same three colours: real rows grey, rows from the latent space purple, rows
from the naive data-space route orange (and, for perturbation, the original rows black).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.core.plots import GENERATED_COLOUR, REAL_COLOUR, _style, as_numbers

DATA_SPACE_COLOUR = "#ea580c"
ORIGINAL_COLOUR = "#111827"
COLOURS = {
    "real": REAL_COLOUR,
    "latent": GENERATED_COLOUR,
    "data space": DATA_SPACE_COLOUR,
    "originals": ORIGINAL_COLOUR,
}
NAMES = {
    "real": "real rows",
    "latent": "through the latent space",
    "data space": "directly in data space",
    "originals": "the rows perturbed",
}
BINS = 30
MAX_REAL_POINTS = 2000  # real points drawn on the map; more only slows the browser


PERTURBATION_NAMES = {**NAMES, "latent": "noise on the codes", "data space": "noise on the data"}


def projection_figure(
    points: Mapping[str, np.ndarray], title: str, height: int = 420, names: Mapping[str, str] = NAMES
) -> go.Figure:
    """2-D map (n, 2) per set, real rows underneath; sets drawn in the order given."""
    fig = go.Figure()
    for name, xy in points.items():
        if name == "real" and len(xy) > MAX_REAL_POINTS:
            xy = xy[np.random.default_rng(0).choice(len(xy), MAX_REAL_POINTS, replace=False)]
        real = name == "real"
        fig.add_trace(
            go.Scattergl(
                x=xy[:, 0],
                y=xy[:, 1],
                mode="markers",
                name=names.get(name, name),
                marker={
                    "color": COLOURS.get(name, GENERATED_COLOUR),
                    "size": 5 if real else 8,
                    "opacity": 0.45 if real else 0.9,
                    "symbol": "x" if name == "originals" else "circle",
                },
            )
        )
    fig.update_xaxes(title_text="1st principal direction of the real rows", zeroline=False)
    fig.update_yaxes(title_text="2nd principal direction", zeroline=False)
    fig = _style(fig, title, height=height)
    # Below the plot: above it, four legend entries run into the title.
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0.0})
    return fig


def column_sets_figure(
    column: str, kind: str, sets: Mapping[str, pd.Series], height: int = 260, names: Mapping[str, str] = NAMES
) -> go.Figure:
    """Share of rows per bin (numbers) or level (categories), one bar series per set.

    The bins span every set's values: a set that leaves the real range stretches the axis, which
    is exactly what the reader should see.
    """
    fig = go.Figure()
    if kind == "categorical":
        labels = {name: s.astype("object").where(s.notna(), "(empty)").astype(str) for name, s in sets.items()}
        order = list(pd.concat(labels.values()).value_counts().index[:15])
        for name, values in labels.items():
            shares = values.value_counts(normalize=True)
            fig.add_trace(
                go.Bar(
                    x=order,
                    y=[float(shares.get(level, 0.0)) for level in order],
                    name=names.get(name, name),
                    marker_color=COLOURS.get(name),
                )
            )
        fig.update_layout(barmode="group")
    else:
        numbers = {name: as_numbers(s, kind) for name, s in sets.items()}
        pooled = np.concatenate(list(numbers.values()))
        if pooled.size:
            low, high = float(pooled.min()), float(pooled.max())
            edges = np.linspace(low, high if high > low else low + 1.0, BINS + 1)
            centres = (edges[:-1] + edges[1:]) / 2
            x = pd.to_datetime(centres.astype(np.int64)) if kind == "datetime" else centres
            for name, values in numbers.items():
                counts, _ = np.histogram(values, bins=edges)
                fig.add_trace(
                    go.Bar(
                        x=x,
                        y=counts / max(1, counts.sum()),
                        name=names.get(name, name),
                        marker_color=COLOURS.get(name),
                        opacity=0.6,
                    )
                )
        fig.update_layout(barmode="overlay")
    fig.update_yaxes(title_text="share of rows", tickformat=".0%")
    return _style(fig, column, height=height)


def predictions_figure(
    sets: Mapping[str, np.ndarray], target: str, value: float | None, tolerance: float, height: int = 320
) -> go.Figure:
    """The surrogate's prediction for each row of each set (a dot per row), with the goal as a band."""
    fig = go.Figure()
    for name, predictions in sets.items():
        base = name.split(" (")[0]
        fig.add_trace(
            go.Box(
                y=predictions,
                name=name,
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker={"color": COLOURS.get(base, DATA_SPACE_COLOUR), "size": 6},
                line={"color": COLOURS.get(base, DATA_SPACE_COLOUR)},
                fillcolor="rgba(0,0,0,0)",
                showlegend=False,
            )
        )
    if value is not None:
        fig.add_hrect(y0=value - tolerance, y1=value + tolerance, fillcolor="#16a34a", opacity=0.15, line_width=0)
        fig.add_hline(y=value, line={"color": "#16a34a", "dash": "dash"}, annotation_text="target")
    fig.update_yaxes(title_text=f"predicted {target}")
    return _style(fig, "What the surrogate predicts for each row", height=height)


def progress_figure(history: Sequence[dict[str, float]], height: int = 260) -> go.Figure:
    """Median distance from the goal over search steps, per route (log scale when it spans decades)."""
    frame = pd.DataFrame(history)
    fig = go.Figure()
    for name in ("latent", "data space"):
        if name in frame:
            fig.add_trace(
                go.Scatter(
                    x=np.arange(1, len(frame) + 1),
                    y=frame[name],
                    mode="lines",
                    name=NAMES[name],
                    line={"color": COLOURS[name], "width": 2},
                )
            )
    fig.update_xaxes(title_text="search step")
    fig.update_yaxes(title_text="median miss (lower is better)")
    return _style(fig, "Search progress", height=height)
