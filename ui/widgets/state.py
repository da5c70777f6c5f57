"""Per-browser-session state: the session id kept in the URL, the chosen data, the runs folder.

A Streamlit session ends when the browser tab reloads. To find a user's training runs again,
each session gets an id that lives in the URL (`?session=...`): a reload keeps the URL, so the
new session reads the same id and sees the same runs, in memory and on disk.

That id is the session's only key: the app has no accounts, and anyone with the address sees and
can delete the session's data and models. So it is unguessable (`secrets.token_urlsafe`, 192 bits),
only ids of the shapes made here are accepted from the URL (anything else starts a new session and
never names a folder), and it is kept out of file names and downloads.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

import gen_models
from gen_models.data import DataError, TableSchema, validate_table
from gen_models.data.datasets import dataset_info
from gen_models.data.layouts import DataLayout
from ui.core import runs

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # ui/widgets/state.py -> the repository root
SESSION_PARAM = "session"
# Session ids become folder names, so only accept what `new_session_id` makes (no "../"): 32 URL-safe
# characters, or the 12 hex digits of sessions made before, whose folders keep working.
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{32}|[0-9a-f]{12}")
SESSION_BYTES = 24  # token_urlsafe(24): 32 characters


def runs_root() -> Path:
    """Folder holding every session's runs: $LATENT_LAB_RUNS, else `runs/` in the project."""
    configured = os.environ.get("LATENT_LAB_RUNS")
    return Path(configured).expanduser() if configured else PROJECT_ROOT / "runs"


def new_session_id() -> str:
    return secrets.token_urlsafe(SESSION_BYTES)


def is_session_id(text: str) -> bool:
    """Whether `text` has the shape of a session id (new or old), and so is safe as a folder name."""
    return _SESSION_ID.fullmatch(text) is not None


def session_id() -> str:
    """This browser's session id, taken from the URL or made up, and always written back to it.

    Page switches may drop query parameters, so the id is also kept in session state and put
    back into the URL on every run.
    """
    sid = st.session_state.get("session_id")
    if sid is None:
        from_url = st.query_params.get(SESSION_PARAM, "")
        sid = from_url if is_session_id(from_url) else new_session_id()
        st.session_state["session_id"] = sid
    if st.query_params.get(SESSION_PARAM) != sid:
        st.query_params[SESSION_PARAM] = sid
    return sid


def session_runs_dir() -> Path:
    return runs_root() / session_id()


def forget_this_session() -> None:
    """Button callback: stop and delete this session's runs, models and data, then start a new session
    (a new id, so the old address no longer opens anything)."""
    runs.forget_session(session_id(), session_runs_dir())
    st.session_state.clear()
    sid = new_session_id()
    st.session_state["session_id"] = sid
    st.query_params[SESSION_PARAM] = sid
    st.session_state["session_forgotten"] = True  # the page says so once


@dataclass
class DataChoice:
    """The table the user picked on the Data page, and how its columns should be treated."""

    label: str  # shown to the user: "Palmer penguins (bundled)" or "my_file.csv"
    source: str  # "bundled:<name>" or "upload:<file name>"
    frame: pd.DataFrame
    inferred: TableSchema  # Latent Lab's guesses, before the user's changes
    overrides: dict[str, str] = field(default_factory=dict)  # column -> kind chosen by the user
    schema: TableSchema | None = None  # guesses + changes; None while they make the table unusable
    layout: DataLayout = field(default_factory=DataLayout)  # what one item is: a row, an image, a sequence
    read_note: str = ""  # uploads: how the file was read, e.g. "CSV, columns separated by semicolons, decimal comma"
    layout_guess: str = ""  # uploads: the layout Latent Lab proposed, and why

    @property
    def dataset_name(self) -> str | None:
        """The bundled data set's registry name, or None for an uploaded file."""
        return self.source.split(":", 1)[1] if self.source.startswith("bundled:") else None


DATA_CHOICE_FILE = "current_data.json"
DATA_UPLOAD_FILE = "current_data.parquet"


def current_data() -> DataChoice | None:
    """The chosen data; after a browser reload it is read back from the session's folder."""
    if "data" not in st.session_state:
        st.session_state["data"] = _restore_data_choice()
    return st.session_state["data"]


def set_data(data: DataChoice) -> None:
    """Make `data` the current data and keep a copy on disk, so a reload does not lose it."""
    st.session_state["data"] = data
    save_data_choice(data)


def save_data_choice(data: DataChoice) -> None:
    """Write the choice (and an uploaded table) to the session's folder; call again after kind changes."""
    directory = session_runs_dir()
    directory.mkdir(parents=True, exist_ok=True)
    if data.dataset_name is None and _saved_source() != data.source:
        try:
            data.frame.to_parquet(directory / DATA_UPLOAD_FILE, index=False)
        except (ValueError, TypeError, ImportError):  # a column Parquet cannot store: not kept over a reload
            (directory / DATA_UPLOAD_FILE).unlink(missing_ok=True)
    choice = {
        "label": data.label,
        "source": data.source,
        "overrides": data.overrides,
        "layout": data.layout.to_dict(),
        "read_note": data.read_note,
        "layout_guess": data.layout_guess,
    }
    (directory / DATA_CHOICE_FILE).write_text(json.dumps(choice), encoding="utf-8")


def _saved_source() -> str | None:
    try:
        return json.loads((session_runs_dir() / DATA_CHOICE_FILE).read_text(encoding="utf-8"))["source"]
    except (OSError, ValueError, KeyError):
        return None


def _restore_data_choice() -> DataChoice | None:
    directory = session_runs_dir()
    try:
        choice = json.loads((directory / DATA_CHOICE_FILE).read_text(encoding="utf-8"))
        source = choice["source"]
        if source.startswith("bundled:"):
            frame = gen_models.load_dataset(source.split(":", 1)[1])
        else:
            frame = pd.read_parquet(directory / DATA_UPLOAD_FILE)
        inferred = infer_schema_safely(frame)
    except (OSError, ValueError, KeyError, DataError):
        return None  # nothing saved, or saved by an older version: start afresh
    data = DataChoice(
        label=choice["label"],
        source=source,
        frame=frame,
        inferred=inferred,
        overrides=dict(choice["overrides"]),
        layout=DataLayout.from_dict(choice.get("layout") or {}),
        read_note=str(choice.get("read_note", "")),
        layout_guess=str(choice.get("layout_guess", "")),
    )
    try:
        data.schema = infer_schema_safely(frame, data.overrides)
        validate_table(frame, data.schema)
    except DataError:
        data.schema = None
    return data


def choose_bundled(name: str) -> DataChoice:
    """Load a bundled data set and make it the current data (keeps it if it already is)."""
    data = current_data()
    if data is not None and data.source == f"bundled:{name}":
        return data
    info = dataset_info(name)
    frame = gen_models.load_dataset(name)
    inferred = infer_schema_safely(frame)
    data = DataChoice(
        label=f"{info.title} (bundled)", source=f"bundled:{name}", frame=frame, inferred=inferred, layout=info.layout
    )
    data.schema = inferred
    set_data(data)
    return data


def infer_schema_safely(frame: pd.DataFrame, overrides: dict[str, str] | None = None) -> TableSchema:
    """`infer_schema`, except that a column whose *guessed* kind cannot be used (a text column with
    hundreds of different values) is set to "ignore" with a warning instead of refusing the table.

    Kinds the user chose are not second-guessed: a problem with one of those still raises DataError.
    """
    return gen_models.infer_schema(frame, overrides=overrides, ignore_unusable=True)
