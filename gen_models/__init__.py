"""Latent Lab's library: train generative models on tables and explore their latent codes.

import gen_models
data = gen_models.load_dataset("penguins")
model = gen_models.create("wgan_gp", epochs=300, seed=0)
model.fit(data)
rows = model.sample(1000, seed=1)
model.save("runs/penguins")
again = gen_models.load("runs/penguins")
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# Only torch-free modules are imported here: the app's first page imports gen_models for the data
# sets and the model list, and torch alone takes seconds to import. The model classes and the
# checkpoint code load on first use: the imports inside load, create, design, perturb, augment, encode_table,
# load_dataset and __getattr__ below are there for that, not to get round an import cycle (there is none).
from gen_models.catalogue import MODEL_DESCRIPTIONS
from gen_models.data import DataError, infer_schema, read_csv
from gen_models.data.writing import write_csv
from gen_models.errors import CheckpointError, ModelError
from gen_models.version import __version__

if TYPE_CHECKING:
    from gen_models.models import REGISTRY, GenerativeModel, LatentCode

_LAZY = ("REGISTRY", "GenerativeModel", "LatentCode")  # from gen_models.models, which imports torch


def __getattr__(name: str) -> Any:
    """`gen_models.GenerativeModel` and friends, imported when first asked for."""
    if name in _LAZY:
        import gen_models.models

        return getattr(gen_models.models, name)
    raise AttributeError(f"module 'gen_models' has no attribute '{name}'")


def list_models() -> dict[str, str]:
    """Registry name -> one-line description, in registry order (without importing torch)."""
    return dict(MODEL_DESCRIPTIONS)


def load(directory: str | os.PathLike) -> GenerativeModel:
    """A saved model directory -> the model, ready to sample. Nothing is unpickled; damage raises CheckpointError."""
    from gen_models.checkpoint import read_metadata, read_weights
    from gen_models.models import REGISTRY

    meta = read_metadata(directory)
    cls = REGISTRY.get(meta.get("model"))
    if cls is None:
        raise CheckpointError(f"'{directory}' holds an unknown model type {meta.get('model')!r}.")
    tensors = read_weights(directory, meta)
    try:
        return cls.from_state(meta, tensors)
    except CheckpointError as err:
        raise CheckpointError(f"'{directory}' cannot be loaded. {err}") from None


def create(name: str, **settings: Any) -> GenerativeModel:
    """A new, untrained model: `create("wgan_gp", epochs=300, seed=0)`. Settings are its Config fields."""
    from gen_models.models import REGISTRY

    if name not in REGISTRY:
        raise ModelError(f"There is no model called '{name}'. Available: {', '.join(REGISTRY)}.")
    return REGISTRY[name](**settings)


def design(model: GenerativeModel, real, target: str, value, rows: int = 20, **options: Any):  # noqa: ANN001, ANN201
    """Rows whose `target` a surrogate predicts near `value` (or "min" / "max"), found in latent space.

    Returns a `gen_models.latent.design.DesignResult`; see `gen_models.latent.design.design` for the options.
    """
    from gen_models.latent.design import design as _design

    return _design(model, real, target, value, rows, **options)


def perturb(model: GenerativeModel, items, scale: float, per_item: int = 5, **options: Any):  # noqa: ANN001, ANN201
    """New items near real ones: noise on their codes (models with an encoder), beside noise on the data.

    Returns a `gen_models.latent.perturbation.PerturbationResult`; see `gen_models.latent.perturbation.perturb`.
    """
    from gen_models.latent.perturbation import perturb as _perturb

    return _perturb(model, items, scale, per_item, **options)


def augment(data, target: str, model_name: str, **options: Any):  # noqa: ANN001, ANN201
    """Does adding `model_name`'s rows (or its latent codes) help predict `target` on real hold-out rows?

    Returns a `gen_models.evaluation.augmentation.AugmentResult`; see `gen_models.evaluation.augmentation.augment`.
    """
    from gen_models.evaluation.augmentation import augment as _augment

    return _augment(data, target, model_name, **options)


def encode_table(model: GenerativeModel, data, keep: list[str] | None = None):  # noqa: ANN001, ANN201
    """A DataFrame: the `keep` columns of `data`, then each row's latent codes (models with an encoder, InfoGAN).

    See `gen_models.latent.codes.encode_table`.
    """
    from gen_models.latent.codes import encode_table as _encode_table

    return _encode_table(model, data, keep)


def load_dataset(name: str, seed: int = 0):  # noqa: ANN201 - returns a DataFrame
    """A bundled data set by name (see `python -m gen_models datasets`)."""
    from gen_models.data.datasets import load_dataset as _load

    return _load(name, seed=seed)


__all__ = [
    "CheckpointError",
    "DataError",
    "GenerativeModel",
    "LatentCode",
    "ModelError",
    "REGISTRY",
    "__version__",
    "augment",
    "create",
    "design",
    "encode_table",
    "infer_schema",
    "list_models",
    "load",
    "load_dataset",
    "perturb",
    "read_csv",
    "write_csv",
]
