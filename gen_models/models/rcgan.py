"""RCGAN (Esteban, Hyland & Rätsch, 2017): a recurrent, optionally conditional GAN for time series.

G: an LSTM run over T steps. Its input at step t is [per-step noise e_t, per-sequence latent z,
   label one-hot c], z and c repeated at every step; a linear layer + tanh maps each hidden
   state to the step's F values. Shapes: z (n, code_dim), c (n, k), e (n, T, step_noise_dim)
   -> x (n, T, F), returned flattened step-major as (n, T*F) like every encoded sequence.
D: an LSTM over [x_t, c] with a real/fake logit at *every* step, as in the paper. A one-way LSTM's
   step-t logit judges the prefix x_0..x_t, so early steps get their own gradient instead of
   waiting for it to flow back through the whole sequence, and the last step still judges the
   whole series. A second head Q on D's final hidden state estimates z (InfoGAN, Chen et al.
   2016): G is rewarded when z can be read back off the sequence it made.
Loss: non-saturating cross-entropy, averaged over steps, plus `info_weight` times Q's squared
error (the mutual-information lower bound for a fixed-variance Gaussian Q).

Why the information term: a recurrent GAN with full-size noise at every step can make every wave
from the per-step noise alone, so nothing asks z to mean anything in particular. Shrinking the
per-step noise (`step_noise_std`) would push variation into z, but the waves also need a third
free factor, phase, which must come from somewhere. The Q head instead asks that z be readable
back from the whole sequence, which favours sequence-level factors (frequency, amplitude) and
leaves phase and detail to the per-step noise. Measured runs are noted at the settings below;
the pretrained model's figures are on the card of pretrained/rcgan_waves (bench/bench_rcgan.py).

For real series the defaults (the paper's model) fall short: on hourly temperatures a classifier
tells generated days from real ones every time. Settings off by default address it, each one
measured on its own and together in the README ("Real time series"; bench_rcgan's VARIANTS):
- `moment_weight`: feature matching on per-step moments (TimeGAN's moment loss, Yoon et al.
  2019) of the values, their step-to-step changes and the changes of those, within each label,
  against running real moments: the per-step bands then sit on the real ones;
- `step_noise_std=0` with more codes (`code_dim`): full-size fresh noise at every step makes
  hour-to-hour jitter that real series do not have; with none, all variety comes from z;
- `critic="wgan_gp"`: D becomes a Wasserstein critic with a gradient penalty through the LSTM
  (double backward; about twice the time per step);
- `critic_sees_changes`: D reads each step's change beside its value.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gen_models.catalogue import MODEL_DESCRIPTIONS
from gen_models.models.base import GenerativeModel, LatentCode
from gen_models.models.nets import gradient_penalty
from gen_models.training.config import (
    MAX_LAYER_SIZE,
    TrainConfig,
    check_choice,
    check_flag,
    check_number,
    check_whole,
)

# What D can be (the `critic` setting). A str field checked against these, not a Literal: the command
# line's --set builds a setting from its field's type.
CRITICS = ("gan", "wgan_gp")


@dataclass
class RCGANConfig(TrainConfig):
    auto_steps: int = 1500  # LSTM GANs need more steps than table GANs
    batch_size: int = 128
    code_dim: int = 2  # per-sequence latent z0, z1, ...: the sliders
    step_noise_dim: int = 4  # per-step noise e_t: phase and detail the codes do not explain
    step_noise_std: float = 1.0  # std of e_t; 0 makes the generator deterministic given z and c
    generator_hidden: int = 64  # LSTM width of the generator
    discriminator_hidden: int = 64  # LSTM width of the discriminator
    lr: float = 1e-3  # generator's Adam learning rate, betas (0.5, 0.999)
    # Measured on waves (1,000 sequences, seed 0, train-on-synthetic accuracy "TSTR" of a logistic
    # regression, and each code's Spearman correlation with frequency / amplitude):
    #   equal rates, info 1.0, batch 64, 1,100 steps: D near chance, TSTR 0.59, output stuck at 1 cycle;
    #   equal rates, info 0, batch 64, 700 steps: TSTR 0.60, both codes move amplitude (|rho| 0.85),
    #     frequency little (|rho| <= 0.36);
    #   D rate 3x (TTUR), info 1.0, batch 64, 1,100 steps: TSTR 0.63, each code moves both properties;
    #   D rate 3x, info 0.3, batch 128, 1,100 steps: TSTR 0.94, z0 -> frequency (-0.87), z1 -> amplitude (0.80);
    #   the same, 1,500 steps (the defaults; pretrained/rcgan_waves): TSTR 0.948.
    # Untried for lack of CPU time: small per-step noise, label smoothing, several D steps per G step.
    discriminator_lr: float = 3e-3  # 3x the generator's rate (TTUR, Heusel et al. 2017)
    info_weight: float = 0.3  # weight of the InfoGAN term tying z to the sequence; 0 turns it off
    label_smoothing: float = 0.0  # D's target for real steps is 1 - this (Salimans et al. 2016); untried
    # D's real/fake logit at every step (the paper) or only at the last. Final-only was no better in the
    # one run made (TSTR 0.57 at equal rates, 700 steps), and every step gives every step a gradient.
    every_step: bool = True
    # How D judges: "gan" is the paper's per-step real/fake cross-entropy; "wgan_gp" makes D a Wasserstein
    # critic (its per-step scores averaged, no sigmoid) held near 1-Lipschitz by a gradient penalty on
    # interpolated sequences (Gulrajani et al. 2017), which needs no balance of D against G.
    critic: str = "gan"
    gp_weight: float = 10.0  # weight of the gradient penalty (wgan_gp only)
    critic_steps: int = 1  # critic updates per generator update (wgan_gp only)
    # Feature matching on per-step moments (TimeGAN, Yoon et al. 2019, weights its version 100): the L1 gap
    # between the real and generated per-step mean and std, and the same for the step-to-step changes and
    # their changes (which say how smooth a series is), within each label. 0 turns it off.
    moment_weight: float = 0.0
    # Also show D each step's change from the step before (0 at the first step), beside the values: jitter
    # that an LSTM reading values alone hardly notices is then in plain sight.
    critic_sees_changes: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        check_whole("code_dim", self.code_dim, 1, MAX_LAYER_SIZE)
        check_whole("step_noise_dim", self.step_noise_dim, 0)
        check_number("step_noise_std", self.step_noise_std, 0)
        check_whole("generator_hidden", self.generator_hidden, 1, MAX_LAYER_SIZE)
        check_whole("discriminator_hidden", self.discriminator_hidden, 1, MAX_LAYER_SIZE)
        check_number("lr", self.lr, 0, low_open=True)
        check_number("discriminator_lr", self.discriminator_lr, 0, low_open=True)
        check_number("info_weight", self.info_weight, 0)
        check_number("label_smoothing", self.label_smoothing, 0, 1, high_open=True)
        check_flag("every_step", self.every_step)
        check_choice("critic", self.critic, CRITICS)
        check_number("gp_weight", self.gp_weight, 0)
        check_whole("critic_steps", self.critic_steps, 1, 20)
        check_number("moment_weight", self.moment_weight, 0)
        check_flag("critic_sees_changes", self.critic_sees_changes)


class _Generator(nn.Module):
    """(n, T, step_noise_dim + code_dim + k) per-step inputs -> (n, T, F) values in [-1, 1]."""

    def __init__(self, in_dim: int, hidden: int, features: int):
        super().__init__()
        self.lstm = nn.LSTM(in_dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, features)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        hidden, _ = self.lstm(inputs)
        return torch.tanh(self.out(hidden))


class _Discriminator(nn.Module):
    """(n, T, F + k) -> per-step logits (n, T) and Q's estimate of z from the last step (n, code_dim)."""

    def __init__(self, in_dim: int, hidden: int, code_dim: int):
        super().__init__()
        self.lstm = nn.LSTM(in_dim, hidden, batch_first=True)
        self.logit = nn.Linear(hidden, 1)
        self.q = nn.Sequential(nn.Linear(hidden, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, code_dim))

    def forward(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden, _ = self.lstm(inputs)
        return self.logit(hidden).squeeze(-1), self.q(hidden[:, -1])


class RCGAN(GenerativeModel):
    name = "rcgan"
    description = MODEL_DESCRIPTIONS["rcgan"]
    Config = RCGANConfig
    config: RCGANConfig
    supports_condition = True
    data_kinds = ("sequences",)

    def build(self, data_dim: int, cond_dim: int) -> None:
        cfg = self.config
        assert self.encoder is not None
        self.steps, self.features = self.encoder.steps, self.encoder.features
        assert self.steps * self.features == data_dim
        g_in = cfg.step_noise_dim + cfg.code_dim + cond_dim
        # The generator comes first: the training loop's NaN guard and tests treat the first
        # network as the one whose weights make the samples.
        self.networks = nn.ModuleDict(
            {
                "generator": _Generator(g_in, cfg.generator_hidden, self.features),
                "discriminator": _Discriminator(
                    self.features * (2 if cfg.critic_sees_changes else 1) + cond_dim,
                    cfg.discriminator_hidden,
                    cfg.code_dim,
                ),
            }
        )
        self.opt_g = torch.optim.Adam(self.networks["generator"].parameters(), lr=cfg.lr, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(
            self.networks["discriminator"].parameters(), lr=cfg.discriminator_lr, betas=(0.5, 0.999)
        )
        self._real_sums: list[torch.Tensor] | None = None  # running real moments for feature matching

    def latent_codes(self) -> list[LatentCode]:
        return [
            LatentCode(
                name=f"z{i}",
                kind="continuous",
                meaning=(
                    f"per-sequence latent {i}, fed to the generator at every step; trained to be "
                    "readable back from the sequence, measured to control frequency/amplitude "
                    "on waves (see the model card)"
                ),
                low=-3.0,
                high=3.0,
            )
            for i in range(self.config.code_dim)
        ]

    def _step_inputs(self, z: torch.Tensor, c: torch.Tensor | None, generator: torch.Generator | None) -> torch.Tensor:
        """(n, T, step_noise_dim + code_dim + k): fresh noise per step, z and c repeated over steps."""
        cfg = self.config
        n = z.shape[0]
        shape = (n, self.steps, cfg.step_noise_dim)
        # At sampling time the noise comes from the caller's CPU generator, so a seed repeats it.
        noise = torch.randn(shape, generator=generator) if generator is not None else torch.randn(shape)
        parts = [cfg.step_noise_std * noise.to(z.device), z[:, None, :].expand(n, self.steps, z.shape[1])]
        if c is not None:
            parts.append(c[:, None, :].expand(n, self.steps, c.shape[1]))
        return torch.cat(parts, dim=2)

    def generate(
        self, z: torch.Tensor, c: torch.Tensor | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """z: (n, code_dim), c: (n, k) or None -> (n, T*F) encoded sequences in [-1, 1]."""
        x = self.networks["generator"](self._step_inputs(z, c, generator))
        return x.reshape(x.shape[0], -1)

    def discriminate(self, x: torch.Tensor, c: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (n, T*F) -> per-step logits (n, T) and estimated z (n, code_dim)."""
        seq = x.reshape(x.shape[0], self.steps, self.features)
        if self.config.critic_sees_changes:
            changes = torch.cat([torch.zeros_like(seq[:, :1]), seq[:, 1:] - seq[:, :-1]], dim=1)
            seq = torch.cat([seq, changes], dim=2)
        if c is not None:
            seq = torch.cat([seq, c[:, None, :].expand(-1, self.steps, -1)], dim=2)
        return self.networks["discriminator"](seq)

    def train_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]:
        if self.config.critic == "wgan_gp":
            return self._wgan_gp_step(x, c)
        return self._gan_step(x, c)

    def _moment_sums(self, flat: torch.Tensor, weights: torch.Tensor) -> list[torch.Tensor]:
        """Per-label sums for the moments feature matching compares, from (n, T*F) rows and (n, k) label
        weights: [row counts (k,), then sums and sums of squares of the values (k, T*F), of the
        step-to-step changes (k, (T-1)*F) and of the changes of those (k, (T-2)*F)]."""
        seq = flat.reshape(flat.shape[0], self.steps, self.features)
        changes = seq[:, 1:] - seq[:, :-1]
        bends = (changes[:, 1:] - changes[:, :-1]).reshape(flat.shape[0], -1)
        changes = changes.reshape(flat.shape[0], -1)
        sums = [weights.sum(dim=0)]
        for values in (flat, changes, bends):
            sums += [weights.T @ values, weights.T @ values**2]
        return sums

    def _moment_gap(self, real: torch.Tensor, fake: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        """Scalar L1 gap between the real and the generated per-step mean and std, and those of the
        step-to-step changes and of their changes (how smooth and how bent a series is, which per-step
        moments alone leave free: white noise of the right size matches them), within each label
        of c (n, k) (one group when c is None).

        The real side is a running average over batches (decay 0.95, about 20 batches), so G chases
        the data's moments rather than one batch's noise; the generated side is this batch's.
        """
        weights = c if c is not None else real.new_ones(real.shape[0], 1)
        with torch.no_grad():
            sums = self._moment_sums(real, weights)
            if self._real_sums is None:
                self._real_sums = sums
            else:
                self._real_sums = [0.95 * r + 0.05 * s for r, s in zip(self._real_sums, sums, strict=True)]
        fake_sums = self._moment_sums(fake, weights)
        present = (weights.sum(dim=0) > 0) & (self._real_sums[0] > 0)  # labels in this batch, and seen before

        def moments(found: list[torch.Tensor]) -> list[torch.Tensor]:
            count = found[0][present, None]
            result = []
            for total, squares in zip(found[1::2], found[2::2], strict=True):
                mean = total[present] / count
                result += [mean, (squares[present] / count - mean**2).clamp_min(1e-8).sqrt()]
            return result

        return sum((r - f).abs().mean() for r, f in zip(moments(self._real_sums), moments(fake_sums), strict=True))

    def _update_generator(
        self,
        g_loss: torch.Tensor,
        info_g: torch.Tensor,
        x: torch.Tensor,
        fake: torch.Tensor,
        c: torch.Tensor | None,
        losses: dict[str, float],
    ) -> dict[str, float]:
        """One G update, either critic's: its adversarial loss, the InfoGAN term and, when on, the moment gap
        between real x and generated `fake` (n, T*F); `losses` gains "moment_loss" then, and is returned."""
        cfg = self.config
        total = g_loss + cfg.info_weight * info_g
        if cfg.moment_weight > 0:
            moment = self._moment_gap(x, fake, c)
            total = total + cfg.moment_weight * moment
            losses["moment_loss"] = moment.item()
        self.opt_g.zero_grad(set_to_none=True)
        total.backward()
        self.opt_g.step()
        return losses

    def _gan_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]:
        """The paper's step: per-step cross-entropy for D, non-saturating loss for G."""
        cfg = self.config
        n = x.shape[0]
        bce = nn.functional.binary_cross_entropy_with_logits
        judged = self.steps if cfg.every_step else 1  # which steps' logits enter the loss: all, or the last
        real_target = torch.full((n, judged), 1.0 - cfg.label_smoothing, device=x.device)
        ones = torch.ones(n, judged, device=x.device)
        zeros = torch.zeros(n, judged, device=x.device)

        z = torch.randn(n, cfg.code_dim, device=x.device)
        fake = self.generate(z, c)
        real_logits, _ = self.discriminate(x, c)
        fake_logits, z_read = self.discriminate(fake.detach(), c)
        real_logits, fake_logits = real_logits[:, -judged:], fake_logits[:, -judged:]
        info_d = ((z_read - z) ** 2).sum(dim=1).mean()  # Q learns to read z off generated sequences
        d_loss = bce(real_logits, real_target) + bce(fake_logits, zeros) + cfg.info_weight * info_d
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()

        fake_logits, z_read = self.discriminate(fake, c)
        fake_logits = fake_logits[:, -judged:]
        info_g = ((z_read - z) ** 2).sum(dim=1).mean()  # ...and G learns to make z readable
        g_loss = bce(fake_logits, ones)  # non-saturating: maximise log D(G(z)) at every step
        losses = {"discriminator_loss": d_loss.item(), "generator_loss": g_loss.item(), "info_loss": info_g.item()}
        return self._update_generator(g_loss, info_g, x, fake, c, losses)

    def _wgan_gp_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]:
        """`critic_steps` critic updates (Wasserstein loss + gradient penalty + Q's error), then one G update."""
        cfg = self.config
        n = x.shape[0]

        def score(rows: torch.Tensor) -> torch.Tensor:  # (n, T*F) -> (n,) critic values, step scores averaged
            return self.discriminate(rows, c)[0][:, -(self.steps if cfg.every_step else 1) :].mean(dim=1)

        for _ in range(cfg.critic_steps):
            z = torch.randn(n, cfg.code_dim, device=x.device)
            fake = self.generate(z, c).detach()
            _, z_read = self.discriminate(fake, c)
            info_d = ((z_read - z) ** 2).sum(dim=1).mean()
            wasserstein = score(fake).mean() - score(x).mean()
            penalty = gradient_penalty(score, x, fake)
            d_loss = wasserstein + cfg.gp_weight * penalty + cfg.info_weight * info_d
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            self.opt_d.step()

        z = torch.randn(n, cfg.code_dim, device=x.device)
        fake = self.generate(z, c)
        step_scores, z_read = self.discriminate(fake, c)
        g_loss = -step_scores[:, -(self.steps if cfg.every_step else 1) :].mean()
        info_g = ((z_read - z) ** 2).sum(dim=1).mean()
        losses = {
            "discriminator_loss": d_loss.item(),
            "generator_loss": g_loss.item(),
            "info_loss": info_g.item(),
            "wasserstein_distance": -wasserstein.item(),
        }
        return self._update_generator(g_loss, info_g, x, fake, c, losses)
