"""The version of the gen_models library, in one place: the package, saved models and pyproject.toml read it."""

__version__ = "0.1.0"
