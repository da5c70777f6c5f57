"""Shared fixtures: a small mixed table with every column kind and some missing values."""

from __future__ import annotations

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
