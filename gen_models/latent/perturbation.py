"""Perturbation sampling: new items near real ones, by adding noise to their latent codes.

For a model with an encoder (VAE, AAE, BiGAN): encode real items, add Gaussian noise of a chosen
scale to the codes, decode. The decoder only makes what it learned to make, so the new items stay
on the data's distribution even when the noise is large: they just drift toward other typical
items. Next to it, the naive alternative: the same relative noise added to the data itself
(to standardised numbers and one-hot categories of a table, or to the pixels / values of images
and sequences), which quickly gives numbers out of range and category combinations never seen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from gen_models.errors import DataError, ModelError
from gen_models.latent.design import feature_space, nearest_distances, realism, snap_levels
from gen_models.models.base import GenerativeModel

MAX_ITEMS = 2000  # originals x copies per call: enough for any figure, quick on a CPU
MAX_IMAGE_REFERENCE = 2000  # real images compared against: each distance costs H*W operations


@dataclass
class PerturbationResult:
    """New items from noisy codes, next to items from noisy data, both tied to their originals."""

    scale: float  # noise std, in prior std (codes) and in column std (data) units
    originals: pd.DataFrame  # the n real items that were perturbed
    latent_items: pd.DataFrame  # n * per_item items decoded from noisy codes
    data_items: pd.DataFrame  # n * per_item items from noise added to the data
    source: np.ndarray  # (n * per_item,) index into `originals` of each new item
    realism: dict[str, dict[str, float]]  # "latent" / "data space": see `gen_models.latent.design.realism`
    features: dict[str, np.ndarray]  # tables only: "real", "originals", "latent", "data space" (n, width)


def _code_scales(model: GenerativeModel) -> torch.Tensor:
    """(code_width,) each code's prior std: the unit in which noise is measured."""
    scales = []
    for code in model.latent_codes():
        if code.kind != "continuous":
            raise ModelError(f"{model.name}'s codes include a categorical one; perturbation needs continuous codes.")
        if code.prior == "uniform":
            low, high = code.prior_range or (code.low, code.high)
            scales.append((high - low) / np.sqrt(12.0))  # a uniform's std
        else:
            scales.append(code.std)
    return torch.tensor(scales, dtype=torch.float32)


def perturb(
    model: GenerativeModel,
    items: pd.DataFrame,
    scale: float,
    per_item: int = 5,
    seed: int = 0,
    real: pd.DataFrame | None = None,
) -> PerturbationResult:
    """`per_item` new items around each row of `items`, through the codes and through the data.

    scale: noise std relative to each code's prior std (and to each column's std for the data
        route); 0 gives reconstructions (latent) and copies (data).
    real: the real data to measure realism against (default: `items` themselves).
    """
    if not model.has_encoder:
        raise ModelError(
            f"{model.name} has no encoder, so real items cannot be placed in its latent space. "
            "Use a VAE, an adversarial autoencoder (AAE) or a BiGAN."
        )
    if not np.isfinite(scale) or scale < 0:
        raise DataError(f"The noise scale must be a number of at least 0 (got {scale}).")
    if len(items) == 0:
        raise DataError("Pick at least one real item to perturb.")
    if per_item < 1 or len(items) * per_item > MAX_ITEMS:
        raise DataError(f"Ask for 1 to {MAX_ITEMS:,} new items in all (got {len(items)} x {per_item}).")
    real = items if real is None else real
    generator = torch.Generator().manual_seed(seed)
    source = np.repeat(np.arange(len(items)), per_item)

    # Through the codes.
    codes = torch.from_numpy(model.encode(items)).repeat_interleave(per_item, dim=0)
    noise = torch.randn(codes.shape, generator=generator)
    c = model.conditions_of(items)
    c = None if c is None else c.repeat_interleave(per_item, dim=0)
    with torch.no_grad():
        encoded = model.generate_from_latent(codes + scale * noise * _code_scales(model), c, seed=seed)
    latent_items = model.decode(encoded.cpu(), None if c is None else c.cpu())

    if model.encoder.kind == "table":
        # Every row the space reads must fit its encoder: for a model with its own (token) encoding that is
        # fitted here, the generated items too, not only the few real ones.
        space = feature_space(model, real, pd.concat([real, items, latent_items], ignore_index=True))
        with torch.no_grad():
            original_features = space.from_frame(items).repeat_interleave(per_item, dim=0)
            noisy = original_features + scale * torch.randn(original_features.shape, generator=generator)
            # A table cell holds one level: judge the rows as they come out, categories snapped.
            noisy = snap_levels(space, noisy)
            data_items = space.to_frame(noisy)
            real_features = space.from_frame(real)
            latent_features = space.from_frame(latent_items)
        everything = torch.ones(space.width, dtype=torch.bool)
        scores = {
            "latent": realism(space, real, latent_items, real_features, latent_features, everything),
            "data space": realism(space, real, data_items, real_features, noisy, everything),
        }
        features = {
            "real": real_features.numpy(),
            "originals": space.from_frame(items).numpy(),
            "latent": latent_features.numpy(),
            "data space": noisy.numpy(),
        }
    else:
        # Images and sequences: noise on the encoded values in [-1, 1], whose std sets the unit.
        original = torch.from_numpy(model.encoder.transform(items)).repeat_interleave(per_item, dim=0)
        unit = float(torch.from_numpy(model.encoder.transform(real)).std()) or 1.0
        noisy = original + scale * unit * torch.randn(original.shape, generator=generator)
        data_items = model.decode(noisy, None if c is None else c.cpu())
        reference = torch.from_numpy(model.encoder.transform(real))
        scores = {}
        for route, points in (("latent", encoded.cpu()), ("data space", noisy.clamp(-1, 1))):
            nearest, real_to_real = nearest_distances(reference, points, limit=MAX_IMAGE_REFERENCE)
            scores[route] = {"nearest_real": nearest, "real_to_real": real_to_real}
        features = {}
    return PerturbationResult(
        scale=float(scale),
        originals=items.reset_index(drop=True),
        latent_items=latent_items,
        data_items=data_items,
        source=source,
        realism=scores,
        features=features,
    )
