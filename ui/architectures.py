"""Plain-words explanations and small network diagrams (Graphviz DOT) for each architecture.

Only architectures in `gen_models.models.REGISTRY` are offered on the Train page; an entry here
for one not yet in the registry is simply unused until it arrives. A registered architecture
without an entry falls back to its own one-line `description` and no diagram.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Architecture:
    title: str
    explanation: str  # two short lines for someone who has never trained a model
    diagram: str  # body of a DOT digraph: nodes and edges


_NOISE = 'z [label="random\\nnoise z", shape=ellipse, style=filled, fillcolor="#ede9fe"];'
_REAL = 'x [label="real rows", shape=note, style=filled, fillcolor="#e5e7eb"];'
_FAKE = 'xg [label="generated\\nrows", shape=note, style=filled, fillcolor="#ede9fe"];'

ARCHITECTURES: dict[str, Architecture] = {
    "gan": Architecture(
        "GAN",
        "A generator turns random noise into rows; a discriminator tries to tell them from real rows.\n"
        "Each improves by beating the other. Fast, but its loss curves say little: watch the samples.",
        f'{_NOISE} {_REAL} {_FAKE} G [label="Generator G"]; D [label="Discriminator D"];'
        ' v [label="real or\\ngenerated?", shape=plaintext];'
        " z -> G -> xg -> D; x -> D; D -> v;",
    ),
    "cgan": Architecture(
        "Conditional GAN",
        "A GAN where both networks also see a category (for example the species).\n"
        "After training you can ask for rows of one category: “500 Gentoo penguins”.",
        f'{_NOISE} {_REAL} {_FAKE} c [label="category c", shape=ellipse, style=filled, fillcolor="#ffedd5"];'
        ' G [label="Generator G"]; D [label="Discriminator D"]; v [label="real or\\ngenerated?", shape=plaintext];'
        " z -> G; c -> G; G -> xg -> D; x -> D; c -> D; D -> v;",
    ),
    "wgan_gp": Architecture(
        "WGAN-GP",
        "Like a GAN, but a critic scores how real rows look instead of saying yes or no.\n"
        "Training is steadier and the critic's loss falls as the rows get better. A good first choice.",
        f'{_NOISE} {_REAL} {_FAKE} G [label="Generator G"]; C [label="Critic"];'
        ' s [label="realism\\nscore", shape=plaintext]; z -> G -> xg -> C; x -> C; C -> s;',
    ),
    "vae": Architecture(
        "Variational autoencoder",
        "An encoder squeezes each row into a few numbers (its code); a decoder rebuilds the row from them.\n"
        "Every code has a meaning you can slide, and real rows can be placed on the same map.",
        f'{_REAL} E [label="Encoder E"]; zc [label="code z", shape=ellipse, style=filled, fillcolor="#ede9fe"];'
        ' Dec [label="Decoder"]; xr [label="rebuilt rows", shape=note, style=filled, fillcolor="#ede9fe"];'
        " x -> E -> zc -> Dec -> xr;",
    ),
    "infogan": Architecture(
        "InfoGAN",
        "A GAN whose generator also gets a few named codes; a helper network Q must guess them back.\n"
        "That pushes each code to control one visible property, which makes its sliders meaningful.",
        f'{_NOISE} {_REAL} {_FAKE} cc [label="codes c", shape=ellipse, style=filled, fillcolor="#ffedd5"];'
        ' G [label="Generator G"]; D [label="Discriminator D"]; Q [label="Q: guess c"];'
        " z -> G; cc -> G; G -> xg -> D; x -> D; xg -> Q;",
    ),
    "aae": Architecture(
        "Adversarial autoencoder",
        "An autoencoder whose codes are pushed, by a discriminator, to look like a chosen random shape.\n"
        "Decoding any point of that shape then gives a plausible row.",
        f'{_REAL} E [label="Encoder E"]; zc [label="code z", shape=ellipse, style=filled, fillcolor="#ede9fe"];'
        ' Dec [label="Decoder"]; D [label="Discriminator D"]; p [label="prior\\nsamples", shape=ellipse];'
        ' xr [label="rebuilt rows", shape=note, style=filled, fillcolor="#ede9fe"];'
        " x -> E -> zc -> Dec -> xr; zc -> D; p -> D;",
    ),
    "bigan": Architecture(
        "BiGAN",
        "A GAN that also learns an encoder from rows back to noise; the discriminator judges (row, code) pairs.\n"
        "So real rows can be placed in the latent space and edited.",
        f'{_NOISE} {_REAL} {_FAKE} G [label="Generator G"]; E [label="Encoder E"]; D [label="Discriminator D"];'
        " z -> G -> xg; x -> E; xg -> D; z -> D; x -> D; E -> D;",
    ),
    "rcgan": Architecture(
        "Recurrent conditional GAN",
        "A conditional GAN whose networks read and write sequences step by step (recurrent networks).\n"
        "It makes time series, optionally of a chosen category.",
        f'{_NOISE} c [label="category c", shape=ellipse, style=filled, fillcolor="#ffedd5"];'
        ' G [label="recurrent\\nGenerator"]; D [label="recurrent\\nDiscriminator"];'
        ' xs [label="sequences", shape=note]; z -> G; c -> G; G -> xs -> D; c -> D;',
    ),
}


def dot(architecture: Architecture) -> str:
    """A complete left-to-right DOT graph, small enough to sit beside the explanation."""
    return (
        'digraph { rankdir=LR; bgcolor="transparent"; '
        'node [shape=box, style="rounded,filled", fillcolor="#f5f3ff", fontname="sans-serif", fontsize=11]; '
        f'edge [color="#6b7280"]; {architecture.diagram} }}'
    )
