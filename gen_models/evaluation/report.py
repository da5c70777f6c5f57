"""Turn an evaluation (see `evaluation.evaluate`) into things people read: plain-words scores,
worst-first lists, correlation matrices, a 2-D map of the rows, and a self-contained HTML report.

The HTML report is one file with no scripts and no network resources (no fonts, no plotly.js):
tables plus small inline SVG bar charts, so it opens anywhere, offline, and can be mailed around.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from gen_models.evaluation.columns import NUMERIC_KINDS, category_labels, infer_kinds, numeric_values

# One line per score, shared by the app's score cards and the HTML report.
EXPLANATIONS = {
    "quality": "Overall fidelity, 0 to 1, as SDMetrics' quality report defines it: the mean of column shapes and "
    "pair trends. Higher is better.",
    "column_shapes": "How closely each column's values are spread like the real ones (1 = same distribution).",
    "pair_trends": "How well the relationships between columns are kept (correlations, joint counts), judged on the "
    "pairs that are clearly related in the real data (|correlation| > 0.5 or Cramér's V > 0.3).",
    "detection_auc": "Can a classifier tell synthetic rows from real ones? 0.5 = no (best), 1.0 = always.",
    "utility": "A model trained on synthetic rows, tested on real ones, compared with one trained on real rows.",
    "privacy": "Distance from synthetic rows to their closest real row; much closer than new real rows means copying.",
    "exact_copies": "Share of synthetic rows identical to a real row. Should be near 0.",
    "coverage": "Real categories never generated, and generated numbers outside the real range.",
}
MAX_MAP_ROWS = 2000  # rows per table in the 2-D map: enough to see the shape, light to draw
MAX_ONE_HOT = 20  # most frequent levels one-hot encoded per categorical column in the map
SVG_BINS = 12
MAX_NAMED_LEVELS = 8  # missing categories named in a coverage sentence before "and N more"


# ---------------------------------------------------------------------------
# Ordering and summaries
# ---------------------------------------------------------------------------


def worst_columns(report: dict[str, Any]) -> list[tuple[str, float]]:
    """(column, shape score), worst first; columns without a score (no value on one side) are left out."""
    scored = [(column, score) for column, score in report["columns"].items() if score is not None]
    return sorted(scored, key=lambda item: item[1])


def worst_pairs(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The pairs that count towards pair trends ({"columns", "metric", "score", "real", "counted"}), worst first."""
    return sorted((pair for pair in report["pairs"] if pair["counted"]), key=lambda pair: pair["score"])


def score_summary(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(name, value as text, explanation) for every score in `report`, in reading order."""
    rows = [("Quality", f"{report['quality']:.3f}", EXPLANATIONS["quality"])]
    rows.append(("Column shapes", f"{report['column_shapes']:.3f}", EXPLANATIONS["column_shapes"]))
    if report.get("pair_trends") is not None:
        rows.append(("Pair trends", f"{report['pair_trends']:.3f}", EXPLANATIONS["pair_trends"]))
    if report.get("detection_auc") is not None:
        rows.append(("Detection AUC", f"{report['detection_auc']:.3f}", EXPLANATIONS["detection_auc"]))
    utility = report.get("utility")
    if utility:
        metric = "macro F1" if utility["metric"] == "macro_f1" else "R²"
        scores = f"{_fmt(utility['train_synthetic'])} vs {_fmt(utility['train_real'])}"
        text = f"{scores} ({metric} predicting {utility['target']}: trained on synthetic vs on real rows)"
        rows.append(("Utility", text, EXPLANATIONS["utility"]))
    privacy = report.get("privacy")
    if privacy:
        text = f"synthetic {privacy['dcr_synthetic_median']:.3f} vs real hold-out {privacy['dcr_holdout_median']:.3f}"
        rows.append(("Privacy (median distance to closest real row)", text, EXPLANATIONS["privacy"]))
        rows.append(("Exact copies", f"{privacy['exact_copies']:.1%}", EXPLANATIONS["exact_copies"]))
    coverage = report.get("coverage")
    if coverage:
        rows.append(("Coverage", coverage_text(coverage), EXPLANATIONS["coverage"]))
    return rows


def missing_categories_text(coverage: dict[str, Any], most: int = MAX_NAMED_LEVELS) -> str:
    """What was never generated, by name: "never generated: marital 'Widowed', race 'Other'".

    At most `most` levels are named, then "and N more"; "every real category was generated" when none is missing.
    """
    named = [f"{column} '{level}'" for column, levels in (coverage.get("missing_categories") or {}).items()
             for level in levels]  # fmt: skip
    if not named:
        return "every real category was generated"
    more = f" and {len(named) - most} more" if len(named) > most else ""
    return "never generated: " + ", ".join(named[:most]) + more


def out_of_range_text(coverage: dict[str, Any]) -> str:
    """The column whose generated numbers leave the real range most often, with its share."""
    outside = coverage.get("out_of_range") or {}
    column, worst = max(outside.items(), key=lambda item: item[1], default=(None, 0.0))
    if column is None or worst == 0.0:
        return "no generated number outside the real range"
    return f"up to {worst:.1%} of a column's numbers outside the real range ({column})"


def coverage_text(coverage: dict[str, Any]) -> str:
    """One sentence naming the real categories never generated and the worst out-of-range column."""
    text = f"{missing_categories_text(coverage)}; {out_of_range_text(coverage)}"
    return text[:1].upper() + text[1:]


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


# ---------------------------------------------------------------------------
# Correlations and the 2-D map
# ---------------------------------------------------------------------------


def numeric_columns(kinds: dict[str, str]) -> list[str]:
    return [column for column, kind in kinds.items() if kind in NUMERIC_KINDS]


def correlation_matrices(
    real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pearson correlation matrices of the numeric columns: (real, synthetic).

    An undefined correlation (a constant column) is 0, as in `evaluation.pair_trends`.
    Both are empty (0 x 0) when there are fewer than two numeric columns.
    """
    kinds = kinds or infer_kinds(real)
    columns = numeric_columns(kinds)
    if len(columns) < 2:
        empty = pd.DataFrame()
        return empty, empty

    def matrix(frame: pd.DataFrame) -> pd.DataFrame:
        values = pd.DataFrame({c: numeric_values(frame[c], kinds[c]) for c in columns})
        return values.corr().fillna(0.0)

    return matrix(real), matrix(synthetic)


def pca_projection(
    real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """Real and synthetic rows on the first two principal components of the *real* rows.

    Features: numeric columns standardised on the real rows (missing -> the mean), categorical
    ones one-hot over their 20 most frequent real levels. At most 2,000 rows of each table
    (seeded). Returns ((n_real, 2), (n_synthetic, 2), share of variance each axis explains).
    Fitting on the real rows only keeps the axes the same whatever model is judged.
    """
    kinds = kinds or infer_kinds(real)
    rng = np.random.default_rng(seed)
    real = _at_most(real, MAX_MAP_ROWS, rng)
    synthetic = _at_most(synthetic, MAX_MAP_ROWS, rng)
    real_blocks, synthetic_blocks = [], []
    for column, kind in kinds.items():
        if kind == "categorical":
            real_labels = category_labels(real[column])
            levels = pd.Series(real_labels).value_counts().index[:MAX_ONE_HOT]
            real_blocks.append(np.stack([real_labels == level for level in levels], axis=1).astype(float))
            synthetic_labels = category_labels(synthetic[column])
            synthetic_blocks.append(np.stack([synthetic_labels == level for level in levels], axis=1).astype(float))
        else:
            real_values = numeric_values(real[column], kind)
            mean = np.nanmean(real_values) if np.isfinite(real_values).any() else 0.0
            scale = np.nanstd(real_values) if np.isfinite(real_values).any() else 1.0
            scale = scale if scale > 0 else 1.0
            for values, blocks in (
                (real_values, real_blocks),
                (numeric_values(synthetic[column], kind), synthetic_blocks),
            ):
                scaled = (np.where(np.isnan(values), mean, values) - mean) / scale
                blocks.append(scaled[:, None])
    x_real, x_synthetic = np.hstack(real_blocks), np.hstack(synthetic_blocks)
    components = min(2, x_real.shape[1], len(x_real))
    pca = PCA(n_components=components, random_state=seed).fit(x_real)
    xy_real, xy_synthetic = pca.transform(x_real), pca.transform(x_synthetic)
    explained = list(pca.explained_variance_ratio_)
    if components < 2:  # a single feature: put everything on a line
        xy_real = np.column_stack([xy_real[:, 0], np.zeros(len(xy_real))])
        xy_synthetic = np.column_stack([xy_synthetic[:, 0], np.zeros(len(xy_synthetic))])
        explained += [0.0] * (2 - components)
    return xy_real, xy_synthetic, (float(explained[0]), float(explained[1]))


def _at_most(frame: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(frame) <= n:
        return frame
    return frame.iloc[np.sort(rng.choice(len(frame), size=n, replace=False))]


# ---------------------------------------------------------------------------
# The HTML report
# ---------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 960px; margin: 2em auto; color: #1f2937; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #e5e7eb; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #f0f1f3; vertical-align: middle; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.muted { color: #6b7280; font-size: 0.9em; }
.grid { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid #e5e7eb; border-radius: 6px; padding: 6px 8px; }
.legend span { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px; }
"""
REAL_COLOUR = "#9aa4b2"
SYNTHETIC_COLOUR = "#6d28d9"


def html_report(
    report: dict[str, Any], real: pd.DataFrame, synthetic: pd.DataFrame, title: str = "Synthetic data report"
) -> str:
    """A self-contained HTML page: every score with its explanation, worst columns and pairs,
    coverage, and a small real-vs-synthetic bar chart per column (inline SVG).

    report: the dict from `evaluation.evaluate` (or `quality_score` plus any extra scores).
    real, synthetic: the tables that were scored (for the per-column charts).
    """
    kinds = report.get("kinds") or infer_kinds(real)
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="muted">{len(real):,} real rows, {len(synthetic):,} synthetic rows, {len(kinds)} columns. '
        f"Made by Latent Lab on {dt.date.today().isoformat()}.</p>",
        "<h2>Scores</h2><table><tr><th>Score</th><th>Value</th><th>What it means</th></tr>",
    ]
    for name, value, explanation in score_summary(report):
        parts.append(f'<tr><td>{esc(name)}</td><td class="num">{esc(value)}</td><td>{esc(explanation)}</td></tr>')
    parts.append("</table>")

    parts.append("<h2>Columns, worst first</h2>")
    parts.append(f'<p class="muted">{esc(EXPLANATIONS["column_shapes"])}</p>')
    parts.append("<table><tr><th>Column</th><th>Kind</th><th>Shape score</th><th></th></tr>")
    for column, score in worst_columns(report):
        parts.append(
            f"<tr><td>{esc(str(column))}</td><td>{esc(kinds.get(column, '?'))}</td>"
            f'<td class="num">{score:.3f}</td><td>{_score_bar(score)}</td></tr>'
        )
    parts.append("</table>")

    pairs = worst_pairs(report)
    if pairs:
        parts.append("<h2>Column pairs, worst first</h2>")
        parts.append(f'<p class="muted">{esc(EXPLANATIONS["pair_trends"])} Showing up to 20.</p>')
        parts.append("<table><tr><th>Columns</th><th>Measured by</th><th>Score</th><th></th></tr>")
        for pair in pairs[:20]:
            names = " & ".join(esc(str(c)) for c in pair["columns"])
            parts.append(
                f'<tr><td>{names}</td><td>{esc(pair["metric"])}</td><td class="num">{pair["score"]:.3f}</td>'
                f"<td>{_score_bar(pair['score'])}</td></tr>"
            )
        parts.append("</table>")

    coverage = report.get("coverage") or {}
    if coverage.get("missing_categories"):
        parts.append("<h2>Categories never generated</h2><table><tr><th>Column</th><th>Levels</th></tr>")
        for column, levels in coverage["missing_categories"].items():
            parts.append(f"<tr><td>{esc(str(column))}</td><td>{esc(', '.join(map(str, levels)))}</td></tr>")
        parts.append("</table>")

    parts.append("<h2>Distributions, worst first</h2>")
    parts.append(
        f'<p class="legend muted">Share of rows per bin or category:<span style="background:{REAL_COLOUR}"></span>real'
        f'<span style="background:{SYNTHETIC_COLOUR}"></span>synthetic</p><div class="grid">'
    )
    for column, score in worst_columns(report):
        svg = _distribution_svg(real[column], synthetic[column], kinds.get(column, "categorical"))
        parts.append(
            f'<div class="card"><div>{esc(str(column))} <span class="muted">{score:.3f}</span></div>{svg}</div>'
        )
    parts.append("</div></body></html>")
    return "\n".join(parts)


def _score_bar(score: float, width: int = 160) -> str:
    """A horizontal bar of length `score` (0..1), red to green."""
    score = float(np.clip(score, 0.0, 1.0))
    colour = "#16a34a" if score >= 0.85 else "#ca8a04" if score >= 0.7 else "#dc2626"
    return (
        f'<svg width="{width}" height="10" role="img" aria-label="{score:.3f}">'
        f'<rect width="{width}" height="10" fill="#f0f1f3"/>'
        f'<rect width="{score * width:.1f}" height="10" fill="{colour}"/></svg>'
    )


def _distribution_svg(real: pd.Series, synthetic: pd.Series, kind: str, width: int = 280, height: int = 90) -> str:
    """Paired bars per bin (numbers, equal-width bins over both tables) or per level (top 8 categories)."""
    if kind == "categorical":
        real_labels = pd.Series(category_labels(real)).fillna("(empty)")
        synthetic_labels = pd.Series(category_labels(synthetic)).fillna("(empty)")
        levels = list(real_labels.value_counts().index[:8])
        p = real_labels.value_counts(normalize=True).reindex(levels, fill_value=0.0).to_numpy()
        q = synthetic_labels.value_counts(normalize=True).reindex(levels, fill_value=0.0).to_numpy()
        labels = [str(level) for level in levels]
    else:
        real_values = numeric_values(real, kind)
        synthetic_values = numeric_values(synthetic, kind)
        real_values, synthetic_values = (
            real_values[~np.isnan(real_values)],
            synthetic_values[~np.isnan(synthetic_values)],
        )
        pooled = np.concatenate([real_values, synthetic_values])
        if pooled.size == 0:
            return '<p class="muted">no values</p>'
        edges = np.histogram_bin_edges(pooled, bins=SVG_BINS)
        p = np.histogram(real_values, bins=edges)[0] / max(1, len(real_values))
        q = np.histogram(synthetic_values, bins=edges)[0] / max(1, len(synthetic_values))
        labels = []
    top = max(float(p.max(initial=0)), float(q.max(initial=0)), 1e-9)
    slot = width / max(1, len(p))
    bar = max(1.0, slot / 2 - 1)
    plot_height = height - (14 if labels else 2)
    rects = []
    for i, (a, b) in enumerate(zip(p, q, strict=True)):
        x = i * slot
        for offset, share, colour in ((0.0, a, REAL_COLOUR), (bar, b, SYNTHETIC_COLOUR)):
            h = plot_height * share / top
            rects.append(
                f'<rect x="{x + offset:.1f}" y="{plot_height - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{colour}"/>'
            )
        if labels:
            text = html.escape(labels[i][:6])
            rects.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - 2}" font-size="9" text-anchor="middle">{text}</text>'
            )
    return f'<svg width="{width}" height="{height}" role="img">{"".join(rects)}</svg>'
