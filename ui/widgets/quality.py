"""Quality views shared by the Train, Evaluate and Compare pages, and the comparison queue.

Figures are built with `plotly.graph_objects` (fast enough to redraw while polling). Scores come
from `gen_models.evaluation`; the model-based ones (detection, utility) are cached per data, so a
rerun never repeats them. `Comparison` trains several architectures one after another in a
background thread, reusing `ui.core.runs.start_run`; like a run's thread, it never calls Streamlit.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import gen_models
from gen_models.catalogue import MODEL_TITLES
from gen_models.data import TableSchema
from gen_models.errors import USER_ERRORS
from gen_models.evaluation import coverage, detection_auc, privacy, quality_score, utility
from gen_models.evaluation.report import EXPLANATIONS, correlation_matrices, coverage_text, pca_projection
from gen_models.training.monitor import SEQUENCE_ROWS
from ui.core import runs
from ui.core.plots import GENERATED_COLOUR, REAL_COLOUR, _style

log = logging.getLogger(__name__)

# The model's quality figure: rows generated with seed 0 against at most as many real rows (a sample drawn
# with seed 0), as gen_models.training.monitor measures it while training (its DEFAULT_ROWS and seed).
QUALITY_ROWS = 1000
QUALITY_SEED = 0
QUALITY_HINT = (
    "Quality compares 1,000 generated rows with 1,000 real ones every few epochs (1 = same columns and "
    "relationships). Higher is better. It is measured because GAN losses do not say whether the rows are good. "
    "Generate, Evaluate and Compare show the same figure for the finished model."
)
SEQUENCE_QUALITY_HINT = (
    f"For series, quality is 1 - 2 × |AUC - 0.5| of a classifier telling {SEQUENCE_ROWS} generated series from "
    f"{SEQUENCE_ROWS} real ones (or all of them, if fewer) every few epochs: 1 = it cannot tell them apart, "
    "0 = it always can. Higher is better. The Evaluate page shows the per-step bands and autocorrelations behind it."
)
SCORE_ROWS = 5000  # synthetic rows scored by the comparison: the scores barely move beyond this

# How often a comparison waiting for the session's other training tries again.
COMPARE_RETRY_SECONDS = 1.0


def default_settings(n_rows: int) -> tuple[int, int]:
    """Epochs and batch size that give about 1,000 training steps: enough for a first look at small tables,
    in well under a minute on a laptop CPU for the bundled examples. The Train and Compare pages both start
    from them, so a comparison's models get the budget a single run would."""
    batch_size = int(min(500, max(32, n_rows // 4)))
    steps_per_epoch = max(1, n_rows // batch_size)
    epochs = int(min(300, max(10, round(1000 / steps_per_epoch))))
    return epochs, batch_size


def has_own_budget(model_name: str) -> bool:
    """Whether the model caps its own epochs (the autoregressive model's `max_epochs`, so that a small table is
    not learnt by heart): the Train and Compare pages then start from its budget, not `default_settings`."""
    return getattr(gen_models.REGISTRY[model_name].Config(), "max_epochs", None) is not None


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


def series_check_line(record: dict[str, Any]) -> str:
    """One line on a sequence model's latest check: its AUC, TSTR / TRTR when labelled, the autocorrelation gap."""
    parts = [f"Latest check (epoch {record['epoch']}): real-vs-generated AUC {record['discriminative_auc']:.2f}"]
    if record.get("tstr_ratio") is not None:
        parts.append(f"train-on-generated / train-on-real accuracy {record['tstr_ratio']:.2f}")
    parts.append(f"autocorrelation gap {record['autocorrelation_gap']:.3f} (0 = same)")
    return " · ".join(parts) + "."


def quality_figure(records: list[dict[str, Any]], best_epoch: int | None = None, height: int = 260) -> go.Figure:
    """Quality (0..1) per checked epoch, the best check marked with a star."""
    fig = go.Figure()
    if records:
        fig.add_trace(
            go.Scatter(
                x=[r["epoch"] for r in records],
                y=[r["quality"] for r in records],
                mode="lines+markers",
                name="quality",
                line={"color": GENERATED_COLOUR, "width": 2},
                hovertemplate="epoch %{x}<br>quality %{y:.3f}<extra></extra>",
            )
        )
        best = next((r for r in records if r["epoch"] == best_epoch), None)
        if best is not None:
            fig.add_trace(
                go.Scatter(
                    x=[best["epoch"]],
                    y=[best["quality"]],
                    mode="markers",
                    name="best",
                    marker={"symbol": "star", "size": 14, "color": "#ca8a04"},
                    hovertemplate="best: epoch %{x}, quality %{y:.3f}<extra></extra>",
                )
            )
    fig.update_yaxes(range=[0, 1], title_text="quality (higher is better)")
    fig.update_xaxes(title_text="epoch")
    fig = _style(fig, "Quality of the generated rows", height=height)
    fig.update_layout(showlegend=False)
    return fig


def quality_curves_figure(curves: dict[str, list[dict[str, Any]]]) -> go.Figure:
    """One quality-over-epochs line per model, for the Compare page."""
    from ui.core.plots import LINE_COLOURS

    fig = go.Figure()
    for i, (name, records) in enumerate(curves.items()):
        fig.add_trace(
            go.Scatter(
                x=[r["epoch"] for r in records],
                y=[r["quality"] for r in records],
                mode="lines+markers",
                name=name,
                line={"color": LINE_COLOURS[i % len(LINE_COLOURS)], "width": 2},
            )
        )
    fig.update_yaxes(range=[0, 1], title_text="quality (higher is better)")
    fig.update_xaxes(title_text="epoch")
    return _style(fig, "Quality while training", height=300)


def correlation_figures(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str]) -> list[go.Figure]:
    """Three heatmaps: real correlations, synthetic correlations, and synthetic minus real."""
    real_corr, synthetic_corr = correlation_matrices(real, synthetic, kinds)
    if real_corr.empty:
        return []
    figures = []
    for title, matrix, scale in (
        ("Real", real_corr, "RdBu"),
        ("Synthetic", synthetic_corr, "RdBu"),
        ("Difference (synthetic − real)", synthetic_corr - real_corr, "PuOr"),
    ):
        labels = [str(c) for c in matrix.columns]
        longest = max(len(label) for label in labels)
        fig = go.Figure(
            go.Heatmap(
                z=matrix.to_numpy(),
                x=labels,
                y=labels,
                zmin=-1,
                zmax=1,
                colorscale=scale,
                text=np.round(matrix.to_numpy(), 2),
                texttemplate="%{text}" if len(labels) <= 8 else None,
                hovertemplate="%{y} × %{x}: %{z:.2f}<extra></extra>",
                showscale=False,  # the captions and the printed values say what the colours mean
            )
        )
        fig = _style(fig, title, height=340 + 6 * longest)
        # The house margins are 10 px: column names need room, or "flipper_length_mm" is cut to "ength_mm".
        fig.update_xaxes(automargin=True, tickangle=-45 if longest > 4 else 0)
        fig.update_yaxes(automargin=True, autorange="reversed")
        figures.append(fig)
    return figures


def pca_figure(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str]) -> go.Figure:
    """Real and synthetic rows on the real data's first two principal components."""
    xy_real, xy_synthetic, explained = pca_projection(real, synthetic, kinds)
    fig = go.Figure()
    for name, xy, colour in (("real", xy_real, REAL_COLOUR), ("synthetic", xy_synthetic, GENERATED_COLOUR)):
        fig.add_trace(
            go.Scattergl(
                x=xy[:, 0], y=xy[:, 1], mode="markers", name=name, marker={"size": 4, "color": colour, "opacity": 0.5}
            )
        )
    fig.update_xaxes(title_text=f"component 1 ({explained[0]:.0%} of the spread)")
    fig.update_yaxes(title_text=f"component 2 ({explained[1]:.0%})")
    return _style(fig, "Rows on a 2-D map (PCA of the real rows)", height=420)


# ---------------------------------------------------------------------------
# Scores, cached per data
# ---------------------------------------------------------------------------


def standard_quality(model: gen_models.GenerativeModel, real: pd.DataFrame) -> dict[str, Any] | None:
    """The model's one quality figure: {"quality", "column_shapes", "pair_trends"}, or None for non-tables.

    Measured by the training's own `QualityMonitor.check`, so the Train page's figure for the epoch a
    model kept and the figure Generate, Evaluate and Compare show for it are the same number: QUALITY_ROWS
    rows generated with seed QUALITY_SEED against as many real rows at most (a seeded sample), with the
    model's column kinds. None when the model makes images or sequences, or the real table lacks a column.
    """
    from gen_models.training.monitor import QualityMonitor  # torch and scikit-learn: only where measured

    monitor = QualityMonitor(model, real, rows=QUALITY_ROWS, seed=QUALITY_SEED, keep_best=False)
    try:
        record = monitor.check(epoch=0)
    except ValueError:  # the monitor's reason: not a table, or a column missing from the real table
        return None
    return {key: record[key] for key in ("quality", "column_shapes", "pair_trends")}


@st.cache_data(max_entries=32, show_spinner="Measuring the model's quality…")
def model_quality(
    model_key: str, stamp: float, _model: gen_models.GenerativeModel, _real: pd.DataFrame
) -> dict[str, Any] | None:
    """`standard_quality`, cached per model version; `_real` must be the model's own training data."""
    return standard_quality(_model, _real)


def quality_rows(real: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """The real rows a quality figure compares `rows` generated rows with: all, or a seeded sample of `rows`.

    The rule `QualityMonitor` follows, so that `rows=QUALITY_ROWS, seed=QUALITY_SEED` gives the model's figure.
    """
    return real.sample(n=rows, random_state=seed).reset_index(drop=True) if len(real) > rows else real


@st.cache_data(max_entries=16, show_spinner="Scoring the rows…")
def fast_scores(real: pd.DataFrame, synthetic: pd.DataFrame, kinds_json: str) -> dict[str, Any]:
    """Fidelity, privacy and coverage (well under a second on a few thousand rows)."""
    kinds = json.loads(kinds_json)
    report = quality_score(real, synthetic, kinds)
    report["privacy"] = privacy(real, synthetic, kinds)
    report["coverage"] = coverage(real, synthetic, kinds)
    report["kinds"] = kinds
    return report


@st.cache_data(max_entries=16, show_spinner="Training the classifiers (a few seconds)…")
def model_scores(real: pd.DataFrame, synthetic: pd.DataFrame, kinds_json: str, target: str | None) -> dict[str, Any]:
    """Detection AUC, and utility for `target` when one is chosen: each fits models, so it is cached."""
    kinds = json.loads(kinds_json)
    scores: dict[str, Any] = {"detection_auc": detection_auc(real, synthetic, kinds), "utility": None}
    if target is not None:
        scores["utility"] = utility(real, synthetic, target, kinds)
    return scores


# ---------------------------------------------------------------------------
# Images and sequences: their own measures (gen_models.evaluation.images / .sequences)
# ---------------------------------------------------------------------------


@st.cache_resource(max_entries=4, show_spinner="Training a classifier on the real images (a few seconds)…")
def image_classifier(model_key: str, stamp: float, _real: pd.DataFrame, label: str) -> Any:
    """A classifier of the real labelled images (`evaluation.images.DigitClassifier`), once per model version."""
    from gen_models.evaluation.images import fit_digit_classifier

    return fit_digit_classifier(_real, label=label)


@st.cache_data(max_entries=8, show_spinner="Scoring the images…")
def image_scores(
    model_key: str, stamp: float, n: int, seed: int, _model: gen_models.GenerativeModel, _real: pd.DataFrame
) -> dict[str, Any]:
    """Diversity of n generated images against the real ones, and, with a label column, how they are read.

    Returns {"images": the generated frame, "diversity": mean pairwise distance relative to real images (about 1
    = as varied, near 0 = every image alike)} plus, when the real images are labelled, "held_out_accuracy" of the
    classifier, "confidence" and "real_confidence" (its mean top probability on generated and on real images),
    "shares" and "real_shares" ({class: share read as it}) and "never_drawn" (classes no generated image reads as).
    """
    from gen_models.evaluation.images import diversity, recognisability

    images = _model.sample(n, seed=seed)
    label = _model.layout.label if _model.layout.label in _real else None
    reference = _real.sample(n=min(n, len(_real)), random_state=seed)
    scores: dict[str, Any] = {
        "images": images,
        "diversity": diversity(images, reference=reference, label=label, seed=seed),
    }
    if label is not None:
        classifier = image_classifier(model_key, stamp, _real, label)
        generated, real = recognisability(classifier, images), recognisability(classifier, reference)
        scores.update(
            held_out_accuracy=classifier.held_out_accuracy,
            confidence=generated["mean_confidence"],
            real_confidence=real["mean_confidence"],
            shares={str(k): v for k, v in generated["class_share"].items()},
            real_shares={str(k): v for k, v in real["class_share"].items()},
        )
        scores["never_drawn"] = [c for c, share in scores["shares"].items() if share == 0 and scores["real_shares"][c]]
    return scores


@st.cache_data(max_entries=8, show_spinner="Scoring the sequences (a few seconds)…")
def sequence_scores(
    model_key: str, stamp: float, n: int, seed: int, _model: gen_models.GenerativeModel, _real: pd.DataFrame
) -> dict[str, Any]:
    """n generated sequences against the real ones: the discriminative score and, with labels, TSTR.

    Returns {"steps", "names" (value columns), "real" (m, T, F), "generated" (n, T, F), "real_labels" (m,) and
    "generated_labels" (n,) as text or None, "discriminative_auc", "discriminative_gap" (|accuracy - 0.5|), "tstr",
    "autocorrelation_gap", "real_autocorrelation" and "generated_autocorrelation" (lags, F)}: "tstr" is
    `train_synthetic_test_real`'s {"train_synthetic", "train_real", "ratio"}, or None when the data has no label with
    two classes or more.
    """
    from gen_models.evaluation.sequences import (
        autocorrelation,
        autocorrelation_gap,
        discriminative_scores,
        train_synthetic_test_real,
    )
    from ui.widgets.models import sequence_curves, sequence_labels

    frame = _model.sample(n, seed=seed)
    steps, real, names = sequence_curves(_model.encoder, _real)
    _, generated, _ = sequence_curves(_model.encoder, frame)
    real_labels, generated_labels = sequence_labels(_model.layout, _real), sequence_labels(_model.layout, frame)
    tstr = None
    if real_labels is not None and generated_labels is not None and real_labels.nunique() >= 2:
        tstr = train_synthetic_test_real(real, real_labels.to_numpy(), generated, generated_labels.to_numpy(), seed)
    told = discriminative_scores(real, generated, seed)
    return {
        "steps": steps,
        "names": names,
        "real": real,
        "generated": generated,
        "real_labels": None if real_labels is None else real_labels.astype(str).to_numpy(),
        "generated_labels": None if generated_labels is None else generated_labels.astype(str).to_numpy(),
        "discriminative_auc": told["auc"],
        "discriminative_gap": told["accuracy_gap"],
        "tstr": tstr,
        "autocorrelation_gap": autocorrelation_gap(real, generated),
        "real_autocorrelation": autocorrelation(real),
        "generated_autocorrelation": autocorrelation(generated),
    }


def kinds_of(schema: TableSchema) -> dict[str, str]:
    return schema.kinds()


def score_cards(report: dict[str, Any]) -> None:
    """One bordered card per score: the number and one plain line about it."""
    cards: list[tuple[str, str, str, str | None]] = [
        ("Quality", f"{report['quality']:.2f}", EXPLANATIONS["quality"], _grade(report["quality"])),
        ("Column shapes", f"{report['column_shapes']:.2f}", EXPLANATIONS["column_shapes"], None),
    ]
    if report.get("pair_trends") is not None:
        cards.append(("Pair trends", f"{report['pair_trends']:.2f}", EXPLANATIONS["pair_trends"], None))
    auc = report.get("detection_auc")
    cards.append(
        (
            "Detection AUC",
            "not run" if auc is None else f"{auc:.2f}",
            EXPLANATIONS["detection_auc"],
            None if auc is None else ("hard to tell apart" if auc < 0.65 else "easy to tell apart"),
        )
    )
    u = report.get("utility")
    if u is not None:
        metric = "F1" if u["metric"] == "macro_f1" else "R²"
        value = "n/a" if u["train_synthetic"] is None else f"{u['train_synthetic']:.2f}"
        baseline = "n/a" if u["train_real"] is None else f"{u['train_real']:.2f}"
        cards.append(
            (
                f"Utility ({metric}, predicting {u['target']})",
                value,
                f"Trained on synthetic rows, tested on real ones; trained on real rows instead: {baseline}.",
                None,
            )
        )
    p = report["privacy"]
    cards.append(
        (
            "Distance to closest real row",
            f"{p['dcr_synthetic_median']:.2f}",
            f"Median for synthetic rows; new real rows sit at {p['dcr_holdout_median']:.2f}. Much smaller = copying.",
            None,
        )
    )
    cards.append(("Exact copies of real rows", f"{p['exact_copies']:.1%}", EXPLANATIONS["exact_copies"], None))
    c = report["coverage"]
    missing = sum(len(levels) for levels in c["missing_categories"].values())
    cards.append(
        (
            "Coverage",
            "complete" if missing == 0 else f"{missing} missing",
            coverage_text(c) + ".",
            None,
        )
    )
    per_row = 4
    for start in range(0, len(cards), per_row):
        columns = st.columns(per_row)
        for column, (label, value, explanation, note) in zip(columns, cards[start : start + per_row], strict=False):
            with column.container(border=True):
                st.metric(label, value)
                st.caption(explanation + (f" **{note}**" if note else ""))


def _grade(quality: float) -> str:
    return "good" if quality >= 0.85 else "fair" if quality >= 0.7 else "poor"


# ---------------------------------------------------------------------------
# Comparing architectures: one run after another in the background
# ---------------------------------------------------------------------------


@dataclass
class Entry:
    """One architecture in a comparison: its run once started, its scores once finished."""

    model: str
    condition: str | None
    run_id: str | None = None
    status: str = "waiting"  # waiting | training | scoring | done | failed | skipped
    message: str = ""
    scores: dict[str, Any] = field(default_factory=dict)


@dataclass
class Comparison:
    """Train `entries` one after another on the same data, seed and budget, then score each.

    The thread only uses the library and `ui.core.runs`; the page polls `snapshot()`.
    """

    session: str
    runs_dir: Path
    entries: list[Entry]
    settings: dict[str, Any]  # epochs, batch_size, seed: the same for every architecture but those with their own
    # budget (`has_own_budget`), which keep their own epochs and batch size
    frame: pd.DataFrame
    schema: TableSchema
    data_label: str
    dataset: str | None
    target: str | None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _current: runs.TrainingRun | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="compare", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the run in progress and skip the ones still waiting."""
        self._stop.set()
        with self._lock:
            current = self._current
        if current is not None:
            current.stop()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def snapshot(self) -> list[Entry]:
        with self._lock:
            return [Entry(e.model, e.condition, e.run_id, e.status, e.message, dict(e.scores)) for e in self.entries]

    def _set(self, entry: Entry, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(entry, name, value)

    def _work(self) -> None:
        for entry in self.entries:
            if self._stop.is_set():
                self._set(entry, status="skipped", message="The comparison was stopped.")
                continue
            settings = self.settings
            if has_own_budget(entry.model):  # its own epochs and batch size; the seed stays shared
                settings = {k: v for k, v in settings.items() if k not in ("epochs", "batch_size")}
            try:
                model = gen_models.create(entry.model, **settings)
            except USER_ERRORS as error:
                self._set(entry, status="failed", message=str(error))
                continue
            run = self._start_when_allowed(entry, model)
            if run is None:
                self._set(entry, status="skipped", message="The comparison was stopped.")
                continue
            with self._lock:
                self._current = run
                entry.run_id, entry.status = run.run_id, "training"
            run.wait()
            info = run.snapshot().info
            if not info.has_model:
                self._set(entry, status="failed", message=info.message)
                continue
            self._set(entry, status="scoring")
            try:
                scores = self._score(run.model)
            except Exception as error:  # a scoring bug must not stop the remaining architectures
                log.exception("Scoring %s failed", entry.model)
                self._set(entry, status="failed", message=f"Scoring failed ({type(error).__name__}: {error}).")
                continue
            scores.update(seconds=info.seconds, best_epoch=info.best_epoch)
            self._set(entry, status="done", message=info.message, scores=scores)
        with self._lock:
            self._current = None

    def _start_when_allowed(self, entry: Any, model: gen_models.GenerativeModel) -> runs.TrainingRun | None:
        """Start `model`'s run; while the session already trains (a run started on the Train page, another tab),
        wait for it instead of failing, as the server allows one training per session. None if stopped first."""
        while not self._stop.is_set():
            try:
                return runs.start_run(
                    self.session,
                    self.runs_dir,
                    model,
                    self.frame,
                    self.schema,
                    entry.condition,
                    self.data_label,
                    self.dataset,
                )
            except runs.TrainingRefused as refusal:
                self._set(entry, status="waiting", message=str(refusal))
                self._stop.wait(COMPARE_RETRY_SECONDS)
        return None

    def _score(self, model: gen_models.GenerativeModel) -> dict[str, Any]:
        """Quality, detection AUC and utility of the trained model's rows against the training table."""
        kinds = kinds_of(self.schema)
        real = self.frame[list(kinds)]
        started = time.perf_counter()
        synthetic = model.sample(min(len(real), SCORE_ROWS), seed=self.settings.get("seed", 0))[list(kinds)]
        figure = standard_quality(model, real)
        scores: dict[str, Any] = {
            "quality": None if figure is None else figure["quality"],  # the figure Train and Generate show
            "detection_auc": detection_auc(real, synthetic, kinds),
            "utility": None,
        }
        if self.target is not None:
            scores["utility"] = utility(real, synthetic, self.target, kinds)
        scores["scoring_seconds"] = time.perf_counter() - started
        return scores


_COMPARISONS: dict[str, Comparison] = {}
_COMPARISONS_LOCK = threading.Lock()


def start_comparison(comparison: Comparison) -> Comparison:
    """Register `comparison` as the session's current one and start it."""
    with _COMPARISONS_LOCK:
        _COMPARISONS[comparison.session] = comparison
    comparison.start()
    return comparison


def current_comparison(session: str) -> Comparison | None:
    with _COMPARISONS_LOCK:
        return _COMPARISONS.get(session)


def leaderboard(entries: list[Entry]) -> pd.DataFrame:
    """One row per architecture that finished: the numbers the Compare page ranks."""
    rows = []
    for entry in entries:
        if entry.status != "done":
            continue
        s = entry.scores
        u = s.get("utility")
        rows.append(
            {
                "Model": MODEL_TITLES.get(entry.model, entry.model),
                "Quality ↑": s["quality"],
                "Detection AUC ↓": s["detection_auc"],
                "Utility ↑": None if not u else u["train_synthetic"],
                "Training time (s) ↓": s["seconds"],
                "Best epoch": s.get("best_epoch"),
            }
        )
    frame = pd.DataFrame(rows)
    if not frame.empty and frame["Utility ↑"].isna().all():
        frame = frame.drop(columns="Utility ↑")
    return frame


def highlight_best(frame: pd.DataFrame) -> Any:
    """A Styler that colours the best value of each ranked column (↑ highest, ↓ lowest)."""
    styler = frame.style.format(
        {c: "{:.3f}" for c in frame.columns if "↑" in c or "AUC" in c}
        | {"Training time (s) ↓": "{:.1f}", "Best epoch": "{:.0f}"},
        na_rep="–",
    )
    for column in frame.columns:
        if "↑" in column:
            styler = styler.highlight_max(subset=[column], color="#dcfce7")
        elif "↓" in column:
            styler = styler.highlight_min(subset=[column], color="#dcfce7")
    return styler
