"""Plotly figures for the pages, built with `plotly.graph_objects` (fast enough to redraw per slider move).

Histograms are computed here with NumPy and drawn as bars: the browser gets 30 numbers per
column instead of every row, and real and generated data share the same bins.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

REAL_COLOUR = "#9aa4b2"
GENERATED_COLOUR = "#6d28d9"
LINE_COLOURS = ["#6d28d9", "#ea580c", "#0891b2", "#16a34a", "#db2777", "#ca8a04"]
BINS = 30
MAX_LEVELS = 15  # bars per categorical chart; rarer levels are summed into "other"
MAX_LOSS_POINTS = 1500


def _style(fig: go.Figure, title: str | None = None, height: int = 260) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": 14}} if title else None,
        height=height,
        margin={"l": 10, "r": 10, "t": 36 if title else 10, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        plot_bgcolor="white",
        bargap=0.05,
    )
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(gridcolor="#eef0f3")
    return fig


def loss_figure(history: Sequence[dict[str, float]]) -> go.Figure:
    """One line per loss over training steps; long runs are averaged down to ~1,500 points."""
    fig = go.Figure()
    if history:
        frame = pd.DataFrame(history)
        losses = [c for c in frame.columns if c not in ("epoch", "step")]
        if len(frame) > MAX_LOSS_POINTS:
            # Average consecutive steps: keeps the trend and the curve's level, drops jitter.
            group = np.arange(len(frame)) // int(np.ceil(len(frame) / MAX_LOSS_POINTS))
            frame = frame.groupby(group).mean()
        for i, name in enumerate(losses):
            fig.add_trace(
                go.Scatter(
                    x=frame["step"].to_numpy(),
                    y=frame[name].to_numpy(),
                    mode="lines",
                    name=name.replace("_", " "),
                    line={"color": LINE_COLOURS[i % len(LINE_COLOURS)], "width": 1.5},
                )
            )
    fig.update_xaxes(title_text="training step")
    return _style(fig, "Losses", height=320)


def _as_numbers(series: pd.Series, kind: str) -> np.ndarray:
    """Finite values of a numeric or datetime column as floats (datetimes as nanoseconds)."""
    if kind == "datetime":
        times = pd.to_datetime(series, errors="coerce").dropna()
        return times.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(float)
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return values[np.isfinite(values)]


def _labels(series: pd.Series) -> pd.Series:
    return series.astype("object").where(series.notna(), "(empty)").astype(str)


def distribution_figure(
    column: str,
    kind: str,
    generated: pd.Series | None,
    real: pd.Series | None,
    height: int = 240,
) -> go.Figure:
    """Share of rows per bin (numbers, dates) or per level (categories): real vs generated."""
    fig = go.Figure()
    named = [
        (name, s, colour)
        for name, s, colour in (("real", real, REAL_COLOUR), ("generated", generated, GENERATED_COLOUR))
        if s is not None
    ]
    if kind == "categorical":
        labels = {name: _labels(s) for name, s, _ in named}
        first = labels[named[0][0]]
        order = list(first.value_counts().index[:MAX_LEVELS])
        for name, _, colour in named:
            shares = labels[name].value_counts(normalize=True)
            y = [float(shares.get(level, 0.0)) for level in order]
            other = 1.0 - sum(y)
            x = list(order) + (["other"] if other > 1e-9 and len(shares) > len(order) else [])
            if len(x) > len(order):
                y.append(other)
            fig.add_trace(go.Bar(x=x, y=y, name=name, marker_color=colour))
        fig.update_layout(barmode="group")
    else:
        values = {name: _as_numbers(s, kind) for name, s, _ in named}
        pooled = np.concatenate([v for v in values.values()]) if values else np.array([])
        if pooled.size:
            low, high = float(pooled.min()), float(pooled.max())
            if high <= low:
                high = low + 1.0
            edges = np.linspace(low, high, BINS + 1)
            centres = (edges[:-1] + edges[1:]) / 2
            x = pd.to_datetime(centres.astype(np.int64)) if kind == "datetime" else centres
            for name, _, colour in named:
                counts, _ = np.histogram(values[name], bins=edges)
                shares = counts / max(1, counts.sum())
                fig.add_trace(go.Bar(x=x, y=shares, name=name, marker_color=colour, opacity=0.65))
        fig.update_layout(barmode="overlay")
    fig.update_yaxes(title_text="share of rows", tickformat=".0%")
    return _style(fig, column, height=height)


def traversal_figure(
    code: str,
    steps: Sequence[object],
    column: str,
    kind: str,
    frames: Sequence[pd.DataFrame],
    real: pd.Series | None,
) -> go.Figure:
    """How `column` changes as `code` takes each value in `steps` (one generated frame per step).

    Numbers: the mean with a band from the 10th to the 90th percentile; categories: the share of
    each level, stacked.
    """
    fig = go.Figure()
    x = [f"{s:.2f}" if isinstance(s, float) else str(s) for s in steps]
    if kind == "categorical":
        labels = [_labels(frame[column]) for frame in frames]
        levels = list(pd.concat(labels).value_counts().index[:MAX_LEVELS])
        for i, level in enumerate(levels):
            y = [float((lab == level).mean()) for lab in labels]
            fig.add_trace(go.Bar(x=x, y=y, name=str(level), marker_color=LINE_COLOURS[i % len(LINE_COLOURS)]))
        fig.update_layout(barmode="stack")
        fig.update_yaxes(title_text="share of rows", tickformat=".0%")
    else:
        stats = []
        for frame in frames:
            v = _as_numbers(frame[column], kind)
            stats.append((np.mean(v), *np.percentile(v, [10, 90])) if v.size else (np.nan,) * 3)
        mean, p10, p90 = (np.array(s, dtype=float) for s in zip(*stats, strict=True))
        as_x = (lambda a: pd.to_datetime(a.astype(np.int64))) if kind == "datetime" else (lambda a: a)
        fig.add_trace(go.Scatter(x=x, y=as_x(p90), mode="lines", line={"width": 0}, showlegend=False))
        fig.add_trace(
            go.Scatter(
                x=x,
                y=as_x(p10),
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(109, 40, 217, 0.15)",
                name="10th-90th percentile",
            )
        )
        fig.add_trace(
            go.Scatter(x=x, y=as_x(mean), mode="lines+markers", name="mean", line={"color": GENERATED_COLOUR})
        )
        if real is not None:
            real_values = _as_numbers(real, kind)
            if real_values.size:
                real_mean = float(np.mean(real_values))
                fig.add_trace(
                    go.Scatter(
                        x=[x[0], x[-1]],
                        y=as_x(np.array([real_mean, real_mean])),
                        mode="lines",
                        name="real mean",
                        line={"color": REAL_COLOUR, "dash": "dash"},
                    )
                )
        fig.update_yaxes(title_text=column)
    fig.update_xaxes(title_text=f"value of {code}", type="category")
    return _style(fig, f"{column} as {code} changes", height=320)


def latent_map_figure(
    codes: np.ndarray,
    x_dim: int,
    y_dim: int,
    x_name: str,
    y_name: str,
    colour: pd.Series | None,
    marker: tuple[float, float] | None,
) -> go.Figure:
    """Real rows placed by their codes (two dimensions), coloured by a column, with the slider position."""
    fig = go.Figure()
    if colour is None:
        fig.add_trace(
            go.Scattergl(
                x=codes[:, x_dim],
                y=codes[:, y_dim],
                mode="markers",
                name="real rows",
                marker={"size": 5, "color": REAL_COLOUR, "opacity": 0.7},
            )
        )
    else:
        labels = _labels(colour).to_numpy()
        for i, level in enumerate(pd.Series(labels).value_counts().index[:MAX_LEVELS]):
            mask = labels == level
            fig.add_trace(
                go.Scattergl(
                    x=codes[mask, x_dim],
                    y=codes[mask, y_dim],
                    mode="markers",
                    name=str(level),
                    marker={"size": 5, "color": LINE_COLOURS[i % len(LINE_COLOURS)], "opacity": 0.7},
                )
            )
    if marker is not None:
        fig.add_trace(
            go.Scatter(
                x=[marker[0]],
                y=[marker[1]],
                mode="markers",
                name="sliders",
                marker={"size": 16, "color": "black", "symbol": "x"},
            )
        )
    fig.update_xaxes(title_text=x_name, zeroline=True, zerolinecolor="#d0d5dd")
    fig.update_yaxes(title_text=y_name, zeroline=True, zerolinecolor="#d0d5dd")
    return _style(fig, "Real rows in the latent space", height=420)
