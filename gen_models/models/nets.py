"""Network building blocks shared by every architecture.

`mlp` builds the fully connected bodies; `SpanHead` turns a generator's raw output into an encoded
row by applying each span's activation (tanh for values, softmax or Gumbel-softmax for one-hot
spans), so every table model ends the same way and its output can go straight to
`TabularEncoder.inverse_transform`. `gradient_penalty` is WGAN-GP's, used by the model and by the
teaching playground.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from gen_models.data import Span


def mlp(
    in_dim: int,
    hidden: Sequence[int],
    out_dim: int,
    *,
    negative_slope: float = 0.2,
    dropout: float = 0.0,
    batch_norm: bool = False,
) -> nn.Sequential:
    """A plain multilayer perceptron: (batch, in_dim) -> (batch, out_dim), no output activation.

    Hidden layers use LeakyReLU (slope `negative_slope`; 0 gives ReLU) with optional batch
    normalisation (generators) or dropout (discriminators).
    """
    layers: list[nn.Module] = []
    width = in_dim
    for size in hidden:
        layers.append(nn.Linear(width, size))
        if batch_norm:
            layers.append(nn.BatchNorm1d(size))
        layers.append(nn.LeakyReLU(negative_slope) if negative_slope > 0 else nn.ReLU())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


def gumbel_softmax(logits: torch.Tensor, tau: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Differentiable sample from a categorical distribution: (batch, k) logits -> (batch, k) weights.

    Written out (rather than `F.gumbel_softmax`) so sampling can take a seeded generator.
    """
    # Draw on the generator's own device (sampling uses a CPU generator even for a CUDA model).
    uniform = torch.rand(logits.shape, generator=generator).to(logits.device)
    exponential = (-torch.log(uniform.clamp_min(1e-10))).clamp_min(1e-10)
    gumbel = -torch.log(exponential)
    return torch.softmax((logits + gumbel) / tau, dim=-1)


def gradient_penalty(
    critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """E[(||grad critic(x_hat)|| - 1)^2] on random interpolates x_hat of real and fake (n, d) rows: a scalar.

    The interpolation weights (one per row) come from `generator` when given (a CPU generator, so a
    seeded caller repeats exactly), else from torch's global generator on the rows' device.
    """
    if generator is None:
        alpha = torch.rand(real.shape[0], 1, device=real.device)
    else:
        alpha = torch.rand(real.shape[0], 1, generator=generator).to(real.device)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()


class SpanHead(nn.Module):
    """Applies each span's activation to a raw generator output of shape (batch, output_dim).

    - `mode="gumbel"`: one-hot spans become Gumbel-softmax samples (CTGAN's trick: the
      discriminator sees near one-hot vectors, and sampling categories stays random);
    - `mode="softmax"`: plain softmax probabilities (WGAN-GP feeds these raw to the critic);
    value spans always go through tanh, matching the encoder's [-1, 1] values.
    """

    def __init__(self, spans: Sequence[Span], tau: float = 0.2):
        super().__init__()
        # Spans tile the encoded row in order; concatenating per-span pieces relies on it.
        expected_start = 0
        for span in spans:
            if span.start != expected_start:
                raise ValueError(f"spans must tile the row in order; {span} starts at {span.start}")
            expected_start += span.width
        self.tau = tau
        self.spans = [(s.start, s.width, s.activation) for s in spans]

    def forward(
        self, raw: torch.Tensor, mode: str = "gumbel", generator: torch.Generator | None = None
    ) -> torch.Tensor:
        pieces = []
        for start, width, activation in self.spans:
            block = raw[:, start : start + width]
            if activation == "tanh":
                pieces.append(torch.tanh(block))
            elif mode == "gumbel":
                pieces.append(gumbel_softmax(block, self.tau, generator))
            else:
                pieces.append(torch.softmax(block, dim=-1))
        return torch.cat(pieces, dim=1)


def span_reconstruction_loss(raw: torch.Tensor, target: torch.Tensor, spans: Sequence[Span]) -> torch.Tensor:
    """Per-row reconstruction loss of a decoder's raw output against encoded rows.

    raw, target: (batch, output_dim). Values: squared error after tanh; one-hot spans:
    cross-entropy against the target's argmax. Returns (batch,) so callers can weight rows.
    """
    loss = raw.new_zeros(raw.shape[0])
    for span in spans:
        block = slice(span.start, span.start + span.width)
        if span.activation == "tanh":
            loss = loss + ((torch.tanh(raw[:, block]) - target[:, block]) ** 2).sum(dim=1)
        else:
            loss = loss + nn.functional.cross_entropy(raw[:, block], target[:, block].argmax(dim=1), reduction="none")
    return loss
