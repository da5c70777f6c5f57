"""Latent tools: a differentiable view of decoded rows (`features`), design by latent search (`design`),
new items near real ones by perturbing their codes (`perturbation`) and the directions in a latent space that
change a model's output most (`directions`)."""
