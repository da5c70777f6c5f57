"""Trained models the user can explore: pretrained ones shipped in `pretrained/` and the session's runs.

Loaded models are cached with `st.cache_resource`, shared by every session and never changed
after loading (sampling does not modify a model), keyed by the directory and the modification
time of its model.json, so a re-saved model is loaded afresh.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

import gen_models
from gen_models.catalogue import META_FILE
from gen_models.data.layouts import DataLayout
from gen_models.data.origin import data_origin, training_data_of
from gen_models.errors import USER_ERRORS
from ui.core import runs
from ui.widgets.state import PROJECT_ROOT

if TYPE_CHECKING:
    from gen_models.models import GenerativeModel  # imports torch: pages that load models import it

# Ready-made models: pretrained/ in the project; LATENT_LAB_PRETRAINED points elsewhere (tests, benchmarks).
PRETRAINED_DIR = Path(os.environ.get("LATENT_LAB_PRETRAINED") or PROJECT_ROOT / "pretrained")
TABLE_KINDS = ("table", "toy2d")  # bundled sets that are plain tables of columns


@dataclass(frozen=True)
class ModelSource:
    """A model directory the pickers offer."""

    key: str  # "pretrained:<folder>" or "run:<run id>": stable across reruns and pages
    label: str
    path: Path
    kind: str  # "pretrained" | "run"

    @property
    def stamp(self) -> float:
        """Changes when the model is re-saved; part of the cache key."""
        try:
            return (self.path / META_FILE).stat().st_mtime
        except OSError:
            return 0.0


@st.cache_data(max_entries=64, show_spinner=False)
def _pretrained_label(path: str, stamp: float) -> str:
    try:
        meta = json.loads((Path(path) / META_FILE).read_text(encoding="utf-8"))
        architecture = meta.get("model", "?")
    except (OSError, ValueError):
        architecture = "unreadable"
    return f"{Path(path).name} · pretrained {architecture}"


def pretrained_sources() -> list[ModelSource]:
    sources = []
    for meta in sorted(PRETRAINED_DIR.glob(f"*/{META_FILE}")):
        path = meta.parent
        label = _pretrained_label(str(path), meta.stat().st_mtime)
        sources.append(ModelSource(key=f"pretrained:{path.name}", label=label, path=path, kind="pretrained"))
    return sources


def run_sources(session: str, runs_dir: Path) -> list[ModelSource]:
    """The session's runs that left a model behind, newest first, each followed by its saved
    epoch snapshots (key "run:<run id>@epoch_0040"), so any checked epoch can be explored."""
    sources = []
    for info in runs.saved_runs(session, runs_dir):
        if not (info.has_model and (runs_dir / info.run_id / META_FILE).is_file()):
            continue
        path = runs_dir / info.run_id
        sources.append(ModelSource(key=f"run:{info.run_id}", label=f"Your run · {info.title}", path=path, kind="run"))
        for snap in runs.run_snapshots(path):
            quality = "" if snap["quality"] is None else f" (quality {snap['quality']:.2f})"
            sources.append(
                ModelSource(
                    key=f"run:{info.run_id}@{snap['path'].name}",
                    label=f"Your run · {info.title} · epoch {snap['epoch']}{quality}",
                    path=snap["path"],
                    kind="run",
                )
            )
    return sources


@st.cache_data(max_entries=128, show_spinner=False)
def _summary(path: str, stamp: float) -> dict[str, Any]:
    """{"model": architecture, "kind": "table" | "images" | "sequences"} from model.json, without loading weights."""
    try:
        meta = json.loads((Path(path) / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"model": None, "kind": None}
    return {"model": meta.get("model"), "kind": (meta.get("layout") or {}).get("kind", "table")}


def source_summary(source: ModelSource) -> dict[str, Any]:
    return _summary(str(source.path), source.stamp)


def pick_model(
    session: str, runs_dir: Path, widget_key: str, accept: Callable[[dict[str, Any]], bool] | None = None
) -> ModelSource | None:
    """A model selectbox shared by the model pages: the choice follows the user between pages.

    Defaults to the newest own run, else the first pretrained model. `accept` keeps only the models
    whose summary ({"model", "kind"}, see `source_summary`) it approves, for pages that need e.g. a
    table model. Returns None when there is none.
    """
    sources = run_sources(session, runs_dir) + pretrained_sources()
    if accept is not None:
        sources = [source for source in sources if accept(source_summary(source))]
    if not sources:
        return None
    by_key = {source.key: source for source in sources}
    current = st.session_state.get("model_key")
    if current not in by_key:
        current = sources[0].key
    if st.session_state.get(widget_key) not in by_key:
        st.session_state[widget_key] = current  # set before the widget exists: its starting value
    choice = st.selectbox(
        "Model",
        options=list(by_key),
        format_func=lambda key: by_key[key].label,
        key=widget_key,
        help="Pretrained models come with Latent Lab; your runs are the models you trained on the Train page.",
    )
    st.session_state["model_key"] = choice
    return by_key[choice]


@st.cache_resource(max_entries=16, show_spinner="Loading the model…")
def load_model(path: str, stamp: float) -> GenerativeModel:
    """A model directory, loaded once per server and shared (read-only) by all sessions."""
    return gen_models.load(path)


def load_source(source: ModelSource) -> GenerativeModel:
    """The model behind a source; raises CheckpointError (a user error) when it is damaged."""
    return load_model(str(source.path), source.stamp)


def pick_and_load(
    session: str,
    runs_dir: Path,
    widget_key: str,
    empty_message: str,
    link_to_train: bool = True,
    accept: Callable[[dict[str, Any]], bool] | None = None,
):
    """The model picker every model page starts with: (source, model), or a clear message and a stopped page.

    Stops the page with `empty_message` when there is no model yet (plus a link to Train), and with
    the library's own message when the chosen model cannot be loaded.
    """
    source = pick_model(session, runs_dir, widget_key, accept)
    if source is None:
        st.info(empty_message)
        if link_to_train:
            st.page_link("app_pages/train.py", label="Train a model", icon=":material/model_training:")
        st.stop()
    try:
        model = load_source(source)
    except USER_ERRORS as error:
        st.error(f"This model cannot be loaded. {error}")
        st.stop()
    return source, model


@st.cache_data(max_entries=16, show_spinner=False)
def real_data(path: str, stamp: float) -> pd.DataFrame | None:
    """The real table a model was trained on, when it can be found; None otherwise.

    Own runs keep a copy of their training table. Otherwise the library finds it from model.json
    (`gen_models.data.origin`: the bundled data set or file recorded there, as the CLI's `design`
    does, else a bundled table with exactly the model's columns); otherwise there is none.
    """
    directory = Path(path)
    saved = runs.load_training_data(directory)
    if saved is not None:
        return saved
    try:
        return training_data_of(data_origin(directory), match_columns=True)
    except USER_ERRORS:
        return None


def real_data_for(source: ModelSource) -> pd.DataFrame | None:
    return real_data(str(source.path), source.stamp)


def model_card(source: ModelSource) -> str | None:
    card = source.path / "MODEL_CARD.md"
    return card.read_text(encoding="utf-8") if card.is_file() else None


def card_summary(source: ModelSource) -> str | None:
    """The model card's one-line summary: its first line after the title (what, trained on what)."""
    card = model_card(source)
    if card is None:
        return None
    lines = [line.strip() for line in card.splitlines() if line.strip() and not line.startswith("#")]
    return lines[0] if lines else None


def card_figures(source: ModelSource) -> dict[str, object]:
    """The measured figures of a pretrained model (card.json), as {name: number or short text}.

    Newer cards keep them under "figures"; older ones had the quality scores at the top level.
    Lists (e.g. a figure per slider position) are left out: they do not fit on one line.
    """
    try:
        card = json.loads((source.path / "card.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    figures = card.get("figures") or {k: card[k] for k in ("quality", "column_shapes", "pair_trends") if k in card}
    shown = {k: v for k, v in figures.items() if isinstance(v, int | float | str) and not isinstance(v, bool)}
    if "training_seconds" in card:
        shown["training time (s)"] = card["training_seconds"]
    return shown


def data_kind(model: GenerativeModel) -> str:
    """What a model generates: "table", "images" or "sequences"; pages branch on this to pick a view."""
    return model.layout.kind


def column_kinds(model: GenerativeModel) -> dict[str, str]:
    """Column -> kind for the columns the model generates (ignored ones left out)."""
    assert model.schema is not None
    return model.schema.kinds()


def image_shape(model: GenerativeModel) -> tuple[int, int]:
    """(height, width) of an image model's pictures."""
    return tuple(model.encoder.shape)  # type: ignore[return-value]


def real_images(model: GenerativeModel, frame: pd.DataFrame) -> np.ndarray:
    """Real images in the model's pixel order as (n, H*W) in [-1, 1], the scale of `sample_encoded`."""
    return model.encoder.transform(frame)


def sequence_curves(encoder: Any, frame: pd.DataFrame) -> tuple[list, np.ndarray, list[str]]:
    """Sequences in a frame of the training layout -> (step labels, (n, T, F) values, value names).

    `encoder` is a fitted SequenceEncoder (`model.encoder`). Values stay in the original units
    (the frame comes from `model.decode` or the real data); long frames are ordered by key then
    index, as the encoder reads them.
    """
    values, _ = encoder.series(frame)  # series shorter than the longest come padded with their last values
    if encoder.layout.wide:  # steps and channels as the encoder reads them (one channel: "value")
        return encoder.step_names, values, encoder.channel_names
    return list(encoder.index_values), values, list(encoder.value_columns)


def sequence_labels(layout: DataLayout, frame: pd.DataFrame) -> pd.Series | None:
    """One label per sequence (in key order), or None when the layout has no label column."""
    if layout.label is None or layout.label not in frame:
        return None
    if layout.wide:
        return frame[layout.label].reset_index(drop=True)
    ordered = frame.sort_values([layout.sequence_key, layout.sequence_index], kind="stable")
    return ordered.groupby(layout.sequence_key, sort=False)[layout.label].first().reset_index(drop=True)


def index_name(model: GenerativeModel) -> str:
    """What the x axis of a sequence plot is: the index column, or "step" for wide data."""
    return model.layout.sequence_index or "step"


def sequences_wide(model: GenerativeModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Long sequences -> one row per sequence: the key, one column per (value, step), the label.

    Columns are named `<value>_<step>` (e.g. value_0 … value_29), steps in order.
    """
    layout = model.layout
    steps, values, names = sequence_curves(model.encoder, frame)
    n = len(values)
    ordered = frame.sort_values([layout.sequence_key, layout.sequence_index], kind="stable")
    wide = pd.DataFrame({layout.sequence_key: ordered[layout.sequence_key].unique()[:n]})
    columns = {f"{name}_{step}": values[:, t, f] for f, name in enumerate(names) for t, step in enumerate(steps)}
    wide = pd.concat([wide, pd.DataFrame(columns)], axis=1)
    labels = sequence_labels(layout, frame)
    if labels is not None:
        wide[layout.label] = labels.to_numpy()
    return wide
