"""Conditional GAN (Mirza & Osindero, 2014): the GAN where both networks see a label.

G: (z, one-hot label) -> encoded row whose label column is set to that label.
D: (encoded row, one-hot label) -> logit. Sampling can ask for a given label: "give me 500
Gentoo penguins". The training loop, losses and networks are the GAN's; only the
requirement of a condition column differs.
"""

from __future__ import annotations

from gen_models.catalogue import MODEL_DESCRIPTIONS
from gen_models.models.gan import GAN


class CGAN(GAN):
    name = "cgan"
    description = MODEL_DESCRIPTIONS["cgan"]
    supports_condition = True
    needs_condition = True
