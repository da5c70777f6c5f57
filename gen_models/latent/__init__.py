"""Latent tools: a differentiable view of decoded rows (`features`), design by latent search (`design`) and
new items near real ones by perturbing their codes (`perturbation`)."""
