"""Shared fixtures: a small mixed table with every column kind and some missing values; a runs root for the
app's training runs that is cleaned up after each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def make_mixed_table(n: int = 160, seed: int = 0) -> pd.DataFrame:
    """n rows: continuous (bimodal, with missing), integer, string category (with missing), bool, datetime."""
    rng = np.random.default_rng(seed)
    species = rng.choice(["Adelie", "Gentoo", "Chinstrap"], size=n, p=[0.5, 0.3, 0.2])
    mass = np.where(species == "Gentoo", rng.normal(5000, 300, n), rng.normal(3700, 250, n))
    mass[rng.random(n) < 0.05] = np.nan
    island = rng.choice(["Biscoe", "Dream", "Torgersen"], size=n).astype(object)
    island[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "species": species,
            "island": island,
            "body_mass_g": mass,
            "flipper_mm": rng.integers(170, 230, n),
            "tagged": rng.random(n) < 0.4,
            "seen_on": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
        }
    )


@pytest.fixture(scope="session")
def mixed_table() -> pd.DataFrame:
    return make_mixed_table()


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The app's runs root for this test; afterwards every session under it is stopped and forgotten."""
    from ui.core import runs  # the app's run registry: only the tests of runs need it

    monkeypatch.setenv("LATENT_LAB_RUNS", str(tmp_path))
    yield tmp_path
    for session in set(runs._REGISTRY) | set(runs._LAST_SEEN):
        runs.forget_session(session, tmp_path / session)
