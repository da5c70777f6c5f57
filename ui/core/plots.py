"""Figures for the pages: Plotly charts (`plotly.graph_objects`) and image grids as one PNG.

Histograms are computed here with NumPy and drawn as bars: the browser gets 30 numbers per
column instead of every row, and real and generated data share the same bins.

Image grids are tiled into one array and encoded once as a PNG (`image_grid_png`): 64 MNIST
digits are ~30 kB to send and one <img> to draw, where a Plotly heatmap of the same pixels is a
~400 kB spec the browser must lay out (see bench/bench_app.py for the measured difference).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from PIL import Image, ImageDraw, ImageFont
from plotly.subplots import make_subplots

from gen_models.evaluation.columns import numeric_values

REAL_COLOUR = "#9aa4b2"
GENERATED_COLOUR = "#6d28d9"
LINE_COLOURS = ["#6d28d9", "#ea580c", "#0891b2", "#16a34a", "#db2777", "#ca8a04"]
GRID_COLOUR = "#eef0f3"
BINS = 30
MAX_LEVELS = 15  # bars per categorical chart; rarer levels are summed into "other"
MAX_LOSS_POINTS = 1500


def _layout(title: str | None, height: int) -> dict:
    """The house layout as a plain dict: passed whole to go.Figure, it is validated once (fast)."""
    layout = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 36 if title else 10, "b": 10},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        "plot_bgcolor": "white",
        "bargap": 0.05,
        "xaxis": {"showgrid": False},
        "yaxis": {"gridcolor": GRID_COLOUR},
    }
    if title:
        layout["title"] = {"text": title, "font": {"size": 14}}
    return layout


def _style(fig: go.Figure, title: str | None = None, height: int = 260) -> go.Figure:
    """Apply the house layout to a figure built step by step (every axis, for subplots too)."""
    fig.update_layout({k: v for k, v in _layout(title, height).items() if k not in ("xaxis", "yaxis")})
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(gridcolor=GRID_COLOUR)
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


def as_numbers(series: pd.Series, kind: str) -> np.ndarray:
    """Finite values of a numeric or datetime column as floats (datetimes as nanoseconds), as the evaluation reads
    them (gen_models.evaluation.columns.numeric_values), without the missing ones."""
    values = numeric_values(series, kind)
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
    """Share of rows per bin (numbers, dates) or per level (categories): real vs generated.

    Built from plain dicts in one go.Figure call: validating once instead of per update is ~10x
    faster (about 2 ms instead of 13-18 ms), and the Explore page redraws three of these per slider move.
    """
    named = [
        (name, s, colour)
        for name, s, colour in (("real", real, REAL_COLOUR), ("generated", generated, GENERATED_COLOUR))
        if s is not None
    ]
    traces, annotations = [], []
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
            traces.append({"type": "bar", "x": x, "y": y, "name": name, "marker": {"color": colour}})
    else:
        values = {name: as_numbers(s, kind) for name, s, _ in named}
        pooled = np.concatenate([v for v in values.values()]) if values else np.array([])
        if pooled.size:
            low, high = float(pooled.min()), float(pooled.max())
            edges = bin_edges(low, high)
            centres = edges[:-1] / 2 + edges[1:] / 2  # halves first: the sum of two edges near 1e308 overflows
            x = pd.to_datetime(centres.astype(np.int64)) if kind == "datetime" else centres
            if not np.isfinite(high - low):
                spread = f"Values range from {low:.3g} to {high:.3g}"
                annotations.append(_note(f"{spread}, so far apart that most fall in one bar: is one a placeholder?"))
            for name, _, colour in named:
                counts, _ = np.histogram(values[name], bins=edges)
                shares = counts / max(1, counts.sum())
                traces.append(
                    {"type": "bar", "x": x, "y": shares, "name": name, "marker": {"color": colour}, "opacity": 0.65}
                )
    layout = _layout(column, height)
    layout["barmode"] = "group" if kind == "categorical" else "overlay"
    layout["yaxis"].update(title={"text": "share of rows"}, tickformat=".0%")
    layout["annotations"] = annotations
    return go.Figure(data=traces, layout=layout)


def bin_edges(low: float, high: float, bins: int = BINS) -> np.ndarray:
    """`bins + 1` non-decreasing edges from `low` to `high`, for any finite floats.

    np.linspace computes high - low, which overflows to inf for values near ±1.8e308 (and then
    np.histogram refuses the edges); mixing the two ends, low * (1 - t) + high * t, never does.
    A single value gets a range of width 1 around it (or its neighbouring floats, where 1 is too small to count).
    """
    if high <= low:
        middle = low
        low, high = middle - 0.5, middle + 0.5
        if high <= low:  # 0.5 is below this float's precision: the neighbouring floats (never past the largest)
            largest = np.finfo(float).max
            low, high = float(np.nextafter(middle, -largest)), float(np.nextafter(middle, largest))
    t = np.linspace(0.0, 1.0, bins + 1)
    edges = low * (1 - t) + high * t
    return np.maximum.accumulate(np.clip(edges, low, high))  # rounding must not make an edge step back


def _note(text: str) -> dict:
    """A line of small amber text at the top of a figure, saying what about its data is odd."""
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1,
        "xanchor": "left",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 11, "color": "#b45309"},
    }


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
            v = as_numbers(frame[column], kind)
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
            real_values = as_numbers(real, kind)
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


# ----- images ----------------------------------------------------------------------------------
IMAGE_CELL = 56  # pixels a small image is scaled up to (nearest neighbour: crisp, not blurred)
GAP = 2  # pixels between images
GAP_SHADE = 215  # light grey lines between the white cells
LABEL_HEIGHT = 22  # header band for column labels


def image_cells(encoded: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(n, H*W) model outputs in [-1, 1] -> (n, H, W) uint8 greys, ink dark on white.

    Every bundled image set stores ink as the high value, so high values are drawn dark.
    """
    ink = (np.clip(np.asarray(encoded, dtype=np.float32), -1, 1) + 1) / 2
    return (255 * (1 - ink)).reshape(len(ink), *shape).round().astype(np.uint8)


def pixels_to_encoded(pixels: np.ndarray, low: float, high: float) -> np.ndarray:
    """Pixel values in their original range [low, high] -> [-1, 1], the scale `image_cells` takes."""
    return 2 * (np.asarray(pixels, dtype=np.float32) - low) / max(high - low, 1e-9) - 1


def tile(cells: np.ndarray, columns: int, scale: int) -> np.ndarray:
    """(n, H, W) uint8 -> one (rows*(H*scale+GAP)-GAP, ...) uint8 array: the images in a grid."""
    n, height, width = cells.shape
    rows = -(-n // columns)
    big = cells.repeat(scale, axis=1).repeat(scale, axis=2)  # nearest-neighbour upscaling
    cell_h, cell_w = height * scale, width * scale
    out = np.full((rows * (cell_h + GAP) - GAP, columns * (cell_w + GAP) - GAP), GAP_SHADE, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        out[r * (cell_h + GAP) : r * (cell_h + GAP) + cell_h, c * (cell_w + GAP) : c * (cell_w + GAP) + cell_w] = big[i]
    return out


def image_grid_png(
    encoded: np.ndarray,
    shape: tuple[int, int],
    columns: int = 8,
    column_labels: Sequence[str] | None = None,
    cell: int = IMAGE_CELL,
) -> bytes:
    """(n, H*W) images in [-1, 1] -> PNG bytes of one grid, `columns` images per row.

    column_labels: a header above each column (e.g. the code value of a traversal).
    """
    scale = max(1, round(cell / max(shape)))
    grid = tile(image_cells(encoded, shape), columns, scale)
    picture = Image.fromarray(grid, mode="L")
    if column_labels is not None:
        picture = _with_header(picture, column_labels, shape[1] * scale)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=False, compress_level=1)  # level 1: fast, still small
    return buffer.getvalue()


def png_width(png: bytes) -> int:
    """A PNG's width in pixels, read from its header. Pass it to `st.image(width=...)`: with the
    default width a long caption widens the element and the picture is stretched (blurred)."""
    return int.from_bytes(png[16:20], "big")


def _with_header(picture: Image.Image, labels: Sequence[str], cell_width: int) -> Image.Image:
    """The picture with a white band on top holding one centred label per column."""
    framed = Image.new("L", (picture.width, picture.height + LABEL_HEIGHT), 255)
    framed.paste(picture, (0, LABEL_HEIGHT))
    draw = ImageDraw.Draw(framed)
    font = _font()
    for i, label in enumerate(labels):
        centre = i * (cell_width + GAP) + cell_width / 2
        draw.text((centre, LABEL_HEIGHT / 2), str(label), fill=60, font=font, anchor="mm")
    return framed


_FONT: ImageFont.FreeTypeFont | ImageFont.ImageFont | None = None


def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    global _FONT  # loaded once: building the default font takes a few milliseconds
    if _FONT is None:
        _FONT = ImageFont.load_default(size=13)
    return _FONT


# ----- sequences -------------------------------------------------------------------------------
def _lines(x: Sequence[object], curves: np.ndarray) -> tuple[list[object], np.ndarray]:
    """Many curves (n, T) as ONE trace: the curves joined with gaps (None). One trace draws far
    faster in the browser than n traces."""
    n, steps = curves.shape
    xs = (list(x) + [None]) * n
    ys = np.column_stack([curves, np.full(n, np.nan)]).reshape(-1)
    return xs, ys


def sequences_figure(
    x: Sequence[object],
    generated: np.ndarray,
    real: np.ndarray | None,
    value_name: str,
    index_name: str,
    title: str | None = None,
    height: int = 320,
) -> go.Figure:
    """Generated curves (n, T) in purple over a few real ones (m, T) in grey."""
    fig = go.Figure()
    if real is not None and len(real):
        xs, ys = _lines(x, real)
        fig.add_trace(
            go.Scatter(x=xs, y=ys, mode="lines", name="real", line={"color": REAL_COLOUR, "width": 1}, opacity=0.8)
        )
    xs, ys = _lines(x, generated)
    fig.add_trace(
        go.Scatter(x=xs, y=ys, mode="lines", name="generated", line={"color": GENERATED_COLOUR, "width": 1.3})
    )
    fig.update_xaxes(title_text=index_name)
    fig.update_yaxes(title_text=value_name)
    return _style(fig, title, height=height)


def _ramp(fraction: float) -> str:
    """A colour from light orange (0) to dark purple (1): the order of a code's values at a glance."""
    start, end = np.array([251, 146, 60]), np.array([76, 29, 149])
    r, g, b = (start + (end - start) * fraction).round().astype(int)
    return f"rgb({r},{g},{b})"


def sequence_traversal_figure(
    x: Sequence[object],
    code: str,
    steps: Sequence[object],
    curves: np.ndarray,
    value_name: str,
    index_name: str,
) -> go.Figure:
    """Small multiples: one panel per random draw of the other codes; in each, one curve per value
    of `code` (curves: (n_draws, n_steps, T)), coloured from light (first value) to dark (last)."""
    draws = curves.shape[0]
    fig = make_subplots(rows=1, cols=draws, shared_yaxes=True, horizontal_spacing=0.02,
                        subplot_titles=[f"draw {i + 1}" for i in range(draws)])  # fmt: skip
    labels = [f"{s:.2f}" if isinstance(s, float) else str(s) for s in steps]
    for d in range(draws):
        for j, label in enumerate(labels):
            fig.add_trace(
                go.Scatter(
                    x=list(x),
                    y=curves[d, j],
                    mode="lines",
                    name=f"{code} = {label}",
                    legendgroup=label,
                    showlegend=d == 0,
                    line={"color": _ramp(j / max(1, len(labels) - 1)), "width": 1.6},
                ),
                row=1,
                col=d + 1,
            )
    fig.update_xaxes(title_text=index_name, showgrid=False)
    fig.update_yaxes(title_text=value_name, row=1, col=1)
    fig.update_yaxes(gridcolor=GRID_COLOUR)
    fig.update_layout(
        height=340,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        plot_bgcolor="white",
        legend={"orientation": "v", "x": 1.01, "y": 1.0},
    )
    return fig


def sequence_band_figure(
    x: Sequence[object], real: np.ndarray, generated: np.ndarray, value_name: str, index_name: str, height: int = 340
) -> go.Figure:
    """Mean ± one standard deviation per step of real (m, T) and generated (n, T) sequences, as bands.

    Where the purple band leaves the grey one, the model makes that step too high, too low, too flat or too
    spread out; the per-step view shows *where* in the sequence, which a single score cannot.
    """
    fig = go.Figure()
    xs = list(x)
    sets = (
        ("real", real, "rgba(154,164,178,0.35)", {"color": REAL_COLOUR, "width": 2, "dash": "dash"}),
        ("generated", generated, "rgba(109,40,217,0.18)", {"color": GENERATED_COLOUR, "width": 2}),
    )
    moments = {name: (np.nanmean(values, axis=0), np.nanstd(values, axis=0)) for name, values, _, _ in sets}
    for name, _, fill, _ in sets:  # the bands first, so that both means stay visible on top of them
        mean, std = moments[name]
        fig.add_trace(
            go.Scatter(
                x=xs + xs[::-1],
                y=np.concatenate([mean + std, (mean - std)[::-1]]),
                fill="toself",
                fillcolor=fill,
                line={"width": 0},
                hoverinfo="skip",
                name=f"{name}: mean ± 1 std",
                legendgroup=name,
            )
        )
    for name, _, _, line in sets[::-1]:  # the real mean dashed and last: seen even where the two coincide
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=moments[name][0],
                mode="lines",
                name=f"{name}: mean",
                legendgroup=name,
                showlegend=False,
                line=line,
            )
        )
    fig.update_xaxes(title_text=index_name)
    fig.update_yaxes(title_text=value_name)
    return _style(fig, f"{value_name}: mean ± std per {index_name}", height=height)


def class_share_figure(real: dict[str, float], generated: dict[str, float], height: int = 300) -> go.Figure:
    """Share of real and of generated items read as each class ({class: share}), side by side."""
    classes = list(real)
    fig = go.Figure()
    for name, shares, colour in (("real", real, REAL_COLOUR), ("generated", generated, GENERATED_COLOUR)):
        fig.add_trace(
            go.Bar(
                x=classes,
                y=[shares.get(c, 0.0) for c in classes],
                name=name,
                marker_color=colour,
                hovertemplate="%{x}: %{y:.1%}<extra>" + name + "</extra>",
            )
        )
    fig.update_xaxes(title_text="class read by the classifier", type="category")
    fig.update_yaxes(title_text="share", tickformat=".0%")
    return _style(fig, "What the images are read as", height=height)


def autocorrelation_figure(real: np.ndarray, generated: np.ndarray, value_name: str, height: int = 300) -> go.Figure:
    """Mean autocorrelation at lags 1..L of real and generated series, (L,) each, as two lines.

    Close lines mean the generated series are as smooth (high at small lags) and as periodic (bumps at
    the period) as the real ones; a generated line that drops faster is too jagged.
    """
    fig = go.Figure()
    lags = list(range(1, len(real) + 1))
    # The real line wide and underneath: where the generated one lies on it, it still shows as a grey edge.
    for name, values, colour, width in (("real", real, REAL_COLOUR, 6), ("generated", generated, GENERATED_COLOUR, 2)):
        fig.add_trace(
            go.Scatter(
                x=lags,
                y=values,
                mode="lines+markers",
                name=name,
                line={"color": colour, "width": width},
                marker={"size": width + 4},
            )
        )
    fig.update_xaxes(title_text="lag (steps)")
    fig.update_yaxes(title_text="autocorrelation", range=[-1, 1])
    return _style(fig, f"{value_name}: autocorrelation by lag", height=height)
