"""Plain-words explainers for each architecture: a title, two lines, a network diagram (Graphviz DOT),
what each network receives and returns, each loss term in a sentence and a formula, and what to
watch for in the curves.

Only architectures in `gen_models.models.REGISTRY` are offered on the Train page; an entry here
for one not yet in the registry is simply unused until it arrives. A registered architecture
without an entry falls back to its own one-line `description` and no diagram.

Everything here describes the code in `gen_models/models/`: the sizes and weights quoted are read
from each model's Config defaults, so they stay true when a default changes. Each loss term names
the curve (`curve`, a key of the training history) that shows it on the Train page, and
tests/test_learn.py checks that those are the curves the models really report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gen_models.catalogue import MODEL_TITLES
from gen_models.models.aae import AAEConfig
from gen_models.models.bigan import BiGANConfig
from gen_models.models.gan import GANConfig
from gen_models.models.infogan import CODE_PRIOR, InfoGANConfig
from gen_models.models.rcgan import RCGANConfig
from gen_models.models.vae import VAEConfig
from gen_models.models.wgan_gp import WGANGPConfig


@dataclass(frozen=True)
class Network:
    """One network of an architecture, with the shapes of what flows through it in words."""

    name: str  # as on the diagram, e.g. "Generator G"
    receives: str
    outputs: str


@dataclass(frozen=True)
class LossTerm:
    """One term of the training objective."""

    name: str
    sentence: str  # one plain sentence: what it measures and who is trained to lower it
    formula: str  # LaTeX for st.latex, written to match the code
    curve: str | None = None  # its key in the training history (its line on the Train page), None if not plotted


@dataclass(frozen=True)
class FailureSign:
    """A common way training goes wrong, how to see it, and what to try."""

    name: str
    sign: str
    remedy: str


@dataclass(frozen=True)
class Architecture:
    title: str
    explanation: str  # two short lines for someone who has never trained a model
    diagram: str  # body of a DOT digraph: nodes and edges
    networks: tuple[Network, ...] = ()
    losses: tuple[LossTerm, ...] = ()
    watch: tuple[str, ...] = ()  # what the curves should do when training goes well
    failures: tuple[FailureSign, ...] = ()


# Read once, shown on the Learn page above the formulas.
NOTATION = (
    r"In the formulas, $x$ is a real item (a row, an image or a series) and $z$ random noise; "
    r"$\mathbb{E}$ is the average over a training batch; a discriminator's raw score $D(\cdot)$ becomes a "
    r"probability of *real* through $\sigma(t) = 1/(1+e^{-t})$; $\log$ is the natural logarithm. "
    r"An item reaches the networks *encoded* as $d$ numbers: each number of the item becomes a value in "
    r"$[-1, 1]$, and each category a *one-hot block*, a 0 for every level but a 1 for its own (a number "
    r"column may add small one-hot blocks too: which of its usual ranges it falls in, whether it is missing). "
    r"$n$ is the batch size."
)

_NOISE = 'z [label="random\\nnoise z", shape=ellipse, style=filled, fillcolor="#ede9fe"];'
_REAL = 'x [label="real rows", shape=note, style=filled, fillcolor="#e5e7eb"];'
_FAKE = 'xg [label="generated\\nrows", shape=note, style=filled, fillcolor="#ede9fe"];'
_CATEGORY = 'c [label="category c", shape=ellipse, style=filled, fillcolor="#ffedd5"];'

_GAN = GANConfig()
_WGAN = WGANGPConfig()
_VAE = VAEConfig()
_INFO = InfoGANConfig()
_AAE = AAEConfig()
_BIGAN = BiGANConfig()
_RCGAN = RCGANConfig()


def _layers(sizes: tuple[int, ...]) -> str:
    """(256, 256) -> '2 hidden layers of 256'."""
    if len(set(sizes)) == 1:
        return f"{len(sizes)} hidden layer{'s' if len(sizes) > 1 else ''} of {sizes[0]}"
    return "hidden layers of " + ", ".join(map(str, sizes))


# ----- shared wording ---------------------------------------------------------------------------
# The vanilla GAN's two terms recur (InfoGAN, and in spirit every adversarial model here).
_D_LOSS = (
    r"\mathcal{L}_D = -\mathbb{E}_{x}\left[\log \sigma\big(D(x)\big)\right]"
    r" - \mathbb{E}_{z}\left[\log\left(1 - \sigma\big(D(G(z))\big)\right)\right]"
)
_G_LOSS = r"\mathcal{L}_G = -\mathbb{E}_{z}\left[\log \sigma\big(D(G(z))\big)\right]"
_D_SENTENCE = (
    "The discriminator is trained to call real items real and generated ones generated: the binary "
    "cross-entropy of its verdicts on a real batch plus that on a generated batch."
)
_G_SENTENCE = (
    "The generator is trained to make the discriminator call its items real; this is the "
    "'non-saturating' form, which still gives the generator a strong push when the discriminator is winning."
)
_GAN_BALANCE = (
    "When the discriminator can no longer tell the two apart, its loss sits near 2 log 2 ≈ 1.39 and the "
    "generator's near log 2 ≈ 0.69. Hovering around those values is the balance you want."
)
_GAN_NOT_QUALITY = (
    "The losses score the contest between the two networks, not the quality of the items: they can stay "
    "flat while the samples get much better. Judge by the live samples and the quality score."
)
_D_WINS = FailureSign(
    "The discriminator wins",
    "Discriminator loss falls towards 0 while the generator loss climbs and keeps climbing; samples stay "
    "noisy or stop improving.",
    "The generator gets almost no useful signal. Raise the discriminator's 'dropout' (Advanced settings) "
    "to slow it down, or switch to WGAN-GP, whose critic keeps giving a signal.",
)
_MODE_COLLAPSE = FailureSign(
    "Mode collapse",
    "The samples look alike: some categories, bumps of a histogram or kinds of item never appear, even "
    "though the losses look calm.",
    "Compare real and generated columns on the Evaluate page. Try another seed, keep the best epoch, or "
    "use WGAN-GP (its 'pac' setting judges several rows at once, which fights this).",
)
_OSCILLATION = FailureSign(
    "Oscillation",
    "The losses swing in big waves and the samples change style from one epoch to the next instead of settling.",
    "Keep the best epoch (the quality score picks it), lower the learning rate, or use WGAN-GP.",
)

_RECONSTRUCTION = (
    r"\sum_{j \,\in\, \text{values}} \big(\tanh(\hat{x}_j) - x_j\big)^2"
    r" - \sum_{s \,\in\, \text{one-hot blocks}} \log \operatorname{softmax}(\hat{x}_s)_{x_s}"
)
_RECONSTRUCTION_WORDS = (
    "squared error on each value (after tanh) plus cross-entropy on each one-hot block (such as a "
    "category), summed over the item and averaged over the batch"
)


ARCHITECTURES: dict[str, Architecture] = {
    "gan": Architecture(
        MODEL_TITLES["gan"],
        "A generator turns random noise into rows; a discriminator tries to tell them from real rows.\n"
        "Each improves by beating the other. Fast, but its loss curves say little: watch the samples.",
        f'{_NOISE} {_REAL} {_FAKE} G [label="Generator G"]; D [label="Discriminator D"];'
        ' v [label="real or\\ngenerated?", shape=plaintext];'
        " z -> G -> xg -> D; x -> D; D -> v;",
        networks=(
            Network(
                "Generator G",
                f"A batch of noise vectors: {_GAN.latent_dim} random numbers per item, drawn from a standard "
                f"normal (n × {_GAN.latent_dim}).",
                "One encoded item per noise vector (n × d): values through tanh, each one-hot block as a near "
                f"one-hot pick (Gumbel-softmax). Inside: {_layers(_GAN.generator_hidden)} with batch norm and "
                "ReLU.",
            ),
            Network(
                "Discriminator D",
                "A batch of encoded items, real or generated (n × d).",
                "One raw score per item (n × 1); σ(score) is its probability of being real. Inside: "
                f"{_layers(_GAN.discriminator_hidden)} with LeakyReLU and {_GAN.dropout:.0%} dropout, which slows "
                "it down so the generator keeps learning.",
            ),
        ),
        losses=(
            LossTerm("Discriminator loss", _D_SENTENCE, _D_LOSS, "discriminator_loss"),
            LossTerm("Generator loss", _G_SENTENCE, _G_LOSS, "generator_loss"),
        ),
        watch=(
            _GAN_NOT_QUALITY,
            _GAN_BALANCE,
            "The quality chart beside the losses is the curve to follow: every few epochs it scores generated "
            "items against real ones.",
        ),
        failures=(_MODE_COLLAPSE, _OSCILLATION, _D_WINS),
    ),
    "cgan": Architecture(
        MODEL_TITLES["cgan"],
        "A GAN where both networks also see a category (for example the species).\n"
        "After training you can ask for rows of one category: “500 Gentoo penguins”.",
        f"{_NOISE} {_REAL} {_FAKE} {_CATEGORY}"
        ' G [label="Generator G"]; D [label="Discriminator D"]; v [label="real or\\ngenerated?", shape=plaintext];'
        " z -> G; c -> G; G -> xg -> D; x -> D; c -> D; D -> v;",
        networks=(
            Network(
                "Generator G",
                f"Noise ({_GAN.latent_dim} numbers per item) joined with the wanted category as a one-hot block "
                f"of k numbers, one per category (n × ({_GAN.latent_dim} + k)).",
                "One encoded item per input (n × d), as in the GAN; in a table, the item's own category column "
                "is then set to the wanted category, so it always says what was asked for.",
            ),
            Network(
                "Discriminator D",
                "An encoded item, real or generated, joined with its category's one-hot block (n × (d + k)).",
                "One raw score per item (n × 1): does this item look like a real item *of this category*?",
            ),
        ),
        losses=(
            LossTerm(
                "Discriminator loss",
                "As in the GAN, but every verdict is about an (item, category) pair; generated items get the "
                "categories of the real batch, so each category is practised as often as it occurs.",
                r"\mathcal{L}_D = -\mathbb{E}_{x,c}\left[\log \sigma\big(D(x, c)\big)\right]"
                r" - \mathbb{E}_{z,c}\left[\log\left(1 - \sigma\big(D(G(z, c), c)\big)\right)\right]",
                "discriminator_loss",
            ),
            LossTerm(
                "Generator loss",
                "The generator is trained to make items the discriminator accepts as real for the category "
                "it was given (the non-saturating form).",
                r"\mathcal{L}_G = -\mathbb{E}_{z,c}\left[\log \sigma\big(D(G(z, c), c)\big)\right]",
                "generator_loss",
            ),
        ),
        watch=(
            _GAN_NOT_QUALITY,
            _GAN_BALANCE,
            "Generate each category separately (Explore or Generate page): every category should look like "
            "its own real rows, not like the overall average.",
        ),
        failures=(
            FailureSign(
                "The category is ignored",
                "Rows asked for different categories look the same apart from the category column.",
                "Train longer; the networks need enough steps on each category, so rare ones are learnt last.",
            ),
            _MODE_COLLAPSE,
            _OSCILLATION,
        ),
    ),
    "wgan_gp": Architecture(
        MODEL_TITLES["wgan_gp"],
        "Like a GAN, but a critic scores how real rows look instead of saying yes or no.\n"
        "Training is steadier, and its distance estimate shrinks as the rows get better. A good first choice.",
        f'{_NOISE} {_REAL} {_FAKE} G [label="Generator G"]; C [label="Critic"];'
        ' s [label="realism\\nscore", shape=plaintext]; z -> G -> xg -> C; x -> C; C -> s;',
        networks=(
            Network(
                "Generator G",
                f"Noise: {_WGAN.latent_dim} standard-normal numbers per item (n × {_WGAN.latent_dim}), joined "
                "with a one-hot category block when the model is conditioned.",
                "One encoded item per input (n × d). While training, each one-hot block is a softmax: "
                "probabilities, not a sampled level, so the critic's gradient reaches every level; when "
                f"generating, one level is drawn from them. Inside: {_layers(_WGAN.generator_hidden)} with batch "
                "norm and ReLU.",
            ),
            Network(
                "Critic C",
                "Encoded items, real or generated (n × d), with their category block when conditioned. With "
                "'pac' above 1, that many items are joined into one input (n/pac × pac·d); the default is "
                f"{_WGAN.pac}.",
                "One unbounded realism score per input (n × 1): not a probability, higher means more real. "
                f"Inside: {_layers(_WGAN.critic_hidden)} with LeakyReLU and no batch norm (the gradient penalty "
                "is taken item by item).",
            ),
        ),
        losses=(
            LossTerm(
                "Wasserstein estimate",
                "The critic's average score on real items minus that on generated ones: while the critic is "
                "kept smooth, this estimates how far apart the real and generated distributions are.",
                r"\hat{W} = \mathbb{E}_{x}\left[C(x)\right] - \mathbb{E}_{z}\left[C\big(G(z)\big)\right]",
                "wasserstein_estimate",
            ),
            LossTerm(
                "Gradient penalty",
                "Keeps the critic smooth: at random points on the line between a real and a generated item, "
                "the steepness of the critic's score should be 1.",
                r"\mathrm{GP} = \mathbb{E}_{\hat{x}}"
                r"\left[\big(\lVert \nabla_{\hat{x}} C(\hat{x}) \rVert_2 - 1\big)^2\right],"
                r"\quad \hat{x} = \alpha x + (1 - \alpha)\, G(z),\ \alpha \sim \mathcal{U}(0, 1)",
                "gradient_penalty",
            ),
            LossTerm(
                "Critic loss",
                f"The critic is trained to make the estimate large while paying λ = {_WGAN.gp_weight:g} times "
                f"the penalty; it takes {_WGAN.n_critic} steps for every generator step.",
                r"\mathcal{L}_C = -\hat{W} + \lambda\, \mathrm{GP}, \quad \lambda = " + f"{_WGAN.gp_weight:g}",
                "critic_loss",
            ),
            LossTerm(
                "Generator loss",
                "The generator is trained to raise the critic's score of its items.",
                r"\mathcal{L}_G = -\mathbb{E}_{z}\left[C\big(G(z)\big)\right]",
                "generator_loss",
            ),
        ),
        watch=(
            "The Wasserstein estimate is the curve that tracks quality: large at first, it shrinks towards 0 "
            "as generated items come closer to real ones. The critic loss is roughly its negative, so it "
            "climbs from below towards 0.",
            "The generator loss has no fixed zero (the critic's scores can all shift together): read its "
            "trend, not its level.",
            "The gradient penalty should stay small next to the Wasserstein estimate: a large or growing "
            "penalty means the critic is steeper than allowed and its estimate is no longer trustworthy.",
        ),
        failures=(
            FailureSign(
                "The estimate stops shrinking",
                "The Wasserstein estimate levels off well above 0, or creeps back up, while samples stay poor.",
                "Train longer, or give the critic more steps per generator step ('n critic' under Advanced "
                "settings; the paper uses 5).",
            ),
            FailureSign(
                "Wild swings",
                "The critic loss and the estimate jump between large positive and negative values.",
                "Lower the learning rate, or raise 'gp weight' so the critic is held smoother.",
            ),
            FailureSign(
                "Mode collapse",
                "Rarer than in a plain GAN, but possible: some categories or bumps never appear.",
                "Set 'pac' to 2 or more (with a batch size divisible by it) so the critic sees several rows at "
                "once and can spot a lack of variety.",
            ),
        ),
    ),
    "vae": Architecture(
        MODEL_TITLES["vae"],
        "An encoder squeezes each row into a few numbers (its code); a decoder rebuilds the row from them.\n"
        "Every code has a meaning you can slide, and real rows can be placed on the same map.",
        f'{_REAL} E [label="Encoder E"];'
        ' ms [label="mean μ,\\nspread σ", shape=plaintext];'
        ' zc [label="code z = μ + σ·ε", shape=ellipse, style=filled, fillcolor="#ede9fe"];'
        ' p [label="N(0, I):\\nwhen generating", shape=ellipse];'
        ' Dec [label="Decoder"]; xr [label="rebuilt rows", shape=note, style=filled, fillcolor="#ede9fe"];'
        " x -> E -> ms -> zc -> Dec -> xr; p -> zc [style=dashed];",
        networks=(
            Network(
                "Encoder E",
                "A batch of real encoded items (n × d).",
                f"For each item, a mean μ and a log-variance log σ² of its code, {_VAE.latent_dim} numbers each "
                f"(n × {_VAE.latent_dim}, twice): a small cloud in the code space where the item may sit. "
                f"Inside: {_layers(_VAE.encoder_hidden)} with ReLU.",
            ),
            Network(
                "Decoder",
                f"Codes (n × {_VAE.latent_dim}): while training, a point of each item's cloud, z = μ + σ·ε with "
                "ε standard normal; when generating, a draw from N(0, I) or the sliders' values.",
                "One raw item per code (n × d): values through tanh, each one-hot block as scores from which "
                f"a level is drawn. Inside: {_layers(_VAE.decoder_hidden)} with ReLU.",
            ),
        ),
        losses=(
            LossTerm(
                "Reconstruction loss",
                f"How far the rebuilt item is from the item that went in: {_RECONSTRUCTION_WORDS}.",
                r"\mathcal{L}_{\text{rec}} = \mathbb{E}_{x}\Big[" + _RECONSTRUCTION + r"\Big],"
                r"\quad \hat{x} = \mathrm{Dec}(\mu + \sigma \odot \varepsilon)",
                "reconstruction_loss",
            ),
            LossTerm(
                "KL divergence",
                "How far each item's code cloud is from the standard normal N(0, I) that generation draws "
                "from; it keeps the code space tidy, so that any point decodes to something plausible.",
                r"\mathrm{KL} = \mathbb{E}_{x}\Big[-\tfrac{1}{2} \sum_{i=1}^{"
                + str(_VAE.latent_dim)
                + r"} \big(1 + \log \sigma_i^2 - \mu_i^2 - \sigma_i^2\big)\Big]",
                "kl_divergence",
            ),
            LossTerm(
                "Total loss",
                "What encoder and decoder are trained to lower together: reconstruction plus β times the KL "
                f"divergence, with β = {_VAE.beta:g} ('beta' under Advanced settings).",
                r"\mathcal{L} = \mathcal{L}_{\text{rec}} + \beta\, \mathrm{KL}, \quad \beta = " + f"{_VAE.beta:g}",
                "loss",
            ),
        ),
        watch=(
            "Unlike a GAN's, a VAE's total loss does track how well it models the data: it should fall "
            "quickly, then flatten.",
            "Reconstruction and KL pull against each other. Reconstruction falls as the codes carry more about "
            "each item; the KL often rises early (the codes spread out to say more) and then settles.",
            "The KL measures how much the codes say about each item, summed over the code dimensions: near 0 "
            "means they say nothing.",
        ),
        failures=(
            FailureSign(
                "Posterior collapse",
                "The KL curve drops to about 0 and stays there; every slider does nothing and all samples look "
                "like one average row.",
                "Lower 'beta' (for example to 0.5) so the codes can afford to carry information.",
            ),
            FailureSign(
                "Blurry, averaged rows",
                "Generated values bunch near the middle of each column; extremes, rare categories and sharp "
                "relationships between columns are missing.",
                "A common VAE weakness: lower 'beta', add code dimensions ('latent dim'), or try a GAN.",
            ),
            FailureSign(
                "Good rebuilds, poor samples",
                "The reconstruction loss is very low but rows drawn from N(0, I) look wrong.",
                "The codes have drifted away from N(0, I) (too small a 'beta'): raise it back towards 1.",
            ),
        ),
    ),
    "infogan": Architecture(
        MODEL_TITLES["infogan"],
        "A GAN whose generator also gets a few named codes; a helper network Q must guess them back.\n"
        "That pushes each code to control one visible property, which makes its sliders meaningful.",
        f'{_NOISE} {_REAL} {_FAKE} cc [label="codes c", shape=ellipse, style=filled, fillcolor="#ffedd5"];'
        ' G [label="Generator G"]; B [label="shared body"]; D [label="D head"]; Q [label="Q head"];'
        ' v [label="real or\\ngenerated?", shape=plaintext]; g [label="guess of c", shape=plaintext];'
        " z -> G; cc -> G; G -> xg -> B; x -> B; B -> D -> v; B -> Q -> g; cc -> g [style=dashed];",
        networks=(
            Network(
                "Generator G",
                f"Per item: the categorical code c1 as a one-hot block of {_INFO.n_levels}, {_INFO.n_continuous} "
                f"continuous codes drawn uniformly from [-{CODE_PRIOR:g}, {CODE_PRIOR:g}] and {_INFO.noise_dim} "
                f"standard-normal noise numbers (n × {_INFO.n_levels + _INFO.n_continuous + _INFO.noise_dim}).",
                "One encoded item per input (n × d). For images whose height and width are multiples of 4 "
                "(like 28 × 28 digits) it is a small convolutional net: two fully connected layers (the first "
                f"{_INFO.fc_width} wide), then two upsampling convolutions to the full image, ending in tanh. "
                f"Otherwise {_layers(_INFO.generator_hidden)} ending in tanh values and one-hot picks, as in the GAN.",
            ),
            Network(
                "Shared body",
                "Encoded items, real or generated (n × d).",
                f"A feature vector per item: n × {_INFO.fc_width} for the convolutional net, "
                f"n × {_INFO.discriminator_hidden[-1]} for the fully connected one. Both heads read it.",
            ),
            Network(
                "D head",
                "The shared features.",
                "One raw score per item (n × 1): real or generated.",
            ),
            Network(
                "Q head",
                "The shared features of generated items.",
                f"Its guess of the codes: {_INFO.n_levels} scores for c1's level (n × {_INFO.n_levels}) and a mean "
                f"for each continuous code (n × {_INFO.n_continuous}); with 'learn std', also a spread for each. "
                f"Inside: one hidden layer of {_INFO.q_hidden}.",
            ),
        ),
        losses=(
            LossTerm(
                "Discriminator loss",
                _D_SENTENCE + " D is the shared body followed by the D head.",
                _D_LOSS,
                "discriminator_loss",
            ),
            LossTerm("Generator loss", _G_SENTENCE, _G_LOSS, "generator_loss"),
            LossTerm(
                "Categorical information loss",
                "Cross-entropy of Q's guess of c1 from the item that c1 helped make: low when the level of c1 "
                "can be read off the item.",
                r"\mathcal{L}_{\text{cat}} = -\mathbb{E}_{z,c}\left[\log Q\big(c_1 \mid G(z, c)\big)\right]",
                "categorical_info_loss",
            ),
            LossTerm(
                "Continuous information loss",
                "Half the squared error of Q's guesses of the continuous codes (a Gaussian log-likelihood with "
                "a fixed spread of 1, up to a constant), summed over the codes.",
                r"\mathcal{L}_{\text{cont}} = \mathbb{E}_{z,c}\Big[\sum_{j=2}^{"
                + str(_INFO.n_continuous + 1)
                + r"} \tfrac{1}{2}\big(c_j - \hat{c}_j\big)^2\Big], \quad \hat{c}_j = Q_j\big(G(z, c)\big)",
                "continuous_info_loss",
            ),
            LossTerm(
                "Tilted categorical information loss (images; 'c1 tilt' 20 by default, 0 turns it off)",
                "The same cross-entropy, read from a copy of each generated image rotated by a random angle of "
                "up to 'c1 tilt' degrees; it is added to the categorical term on both sides (its own curve on "
                "the Train page, “tilted categorical info loss”). Levels that differ only by slant cannot be "
                "told apart once tilted, so G is pushed to make levels differ in shape and to leave slant to "
                "the continuous codes. Not in the InfoGAN paper; uses no labels.",
                r"\mathcal{L}_{\text{tilt}} = -\mathbb{E}_{z,c,\theta}\left[\log Q\big(c_1 \mid "
                r"R_\theta\, G(z, c)\big)\right], \quad \theta \sim U[-t, t]",
            ),
            LossTerm(
                "What each side lowers",
                "Both sides are trained to lower the information terms: D and Q add them to the discriminator "
                "loss, the generator adds them to its own, weighted by "
                rf"$\lambda_{{\text{{cat}}}} = {_INFO.info_weight:g}$ and "
                rf"$\lambda_{{\text{{cont}}}} = {_INFO.continuous_weight:g}$ (smaller, so the continuous codes "
                "do not drown c1 out).",
                r"\mathcal{L}_{D,Q} = \mathcal{L}_D + \lambda_{\text{cat}} (\mathcal{L}_{\text{cat}}"
                r" + \mathcal{L}_{\text{tilt}}) + \lambda_{\text{cont}} \mathcal{L}_{\text{cont}}, \qquad"
                r" \mathcal{L}_{G}^{\text{total}} = \mathcal{L}_G + \lambda_{\text{cat}} (\mathcal{L}_{\text{cat}}"
                r" + \mathcal{L}_{\text{tilt}}) + \lambda_{\text{cont}} \mathcal{L}_{\text{cont}}",
            ),
        ),
        watch=(
            f"The categorical information loss starts near log {_INFO.n_levels} ≈ {math.log(_INFO.n_levels):.2f} (Q "
            f"guessing among {_INFO.n_levels} levels at random) and should fall well below it: the lower, the "
            "more clearly c1 decides what is drawn.",
            # Q guessing 0 for a code uniform on [-a, a] scores half its variance, a^2 / 6.
            f"The continuous information loss starts near {_INFO.n_continuous * CODE_PRIOR**2 / 6:.2f} (Q "
            f"guessing 0 for codes uniform on [-{CODE_PRIOR:g}, {CODE_PRIOR:g}]) and should fall too.",
            "The discriminator and generator losses behave like a plain GAN's: they do not track quality.",
        ),
        failures=(
            FailureSign(
                "Codes ignored",
                "The information losses stay near their starting values; moving c1 or c2 changes little.",
                "Train longer (the codes settle late), or raise 'info weight'.",
            ),
            FailureSign(
                "c1 finds other groups",
                "c1's levels split the items in a way that is not the classes you expected (two digits share a "
                "level, one digit spans two).",
                "Expected now and then: the codes are found, not taught. Try another seed or train longer. On "
                "images, keep 'c1 tilt' at about 20 so that levels cannot differ by slant alone (two digits "
                "that share two levels split by slant, such as 4 and 9, are the common case without it).",
            ),
            _MODE_COLLAPSE,
        ),
    ),
    "aae": Architecture(
        MODEL_TITLES["aae"],
        "An autoencoder whose codes are pushed, by a discriminator, to look like a chosen random shape.\n"
        "Decoding any point of that shape then gives a plausible row.",
        f'{_REAL} E [label="Encoder E"]; zc [label="code z", shape=ellipse, style=filled, fillcolor="#ede9fe"];'
        ' Dec [label="Decoder"]; D [label="Discriminator D"];'
        f' p [label="prior samples\\nN(0, {_AAE.prior_std:g}²·I)", shape=ellipse];'
        ' c [label="label c\\n(supervised)", shape=ellipse, style="filled,dashed", fillcolor="#ffedd5"];'
        ' v [label="prior or\\nencoder?", shape=plaintext];'
        ' xr [label="rebuilt rows", shape=note, style=filled, fillcolor="#ede9fe"];'
        " x -> E -> zc -> Dec -> xr; zc -> D; p -> D; D -> v; c -> Dec [style=dashed];",
        networks=(
            Network(
                "Encoder E",
                "A batch of real encoded items (n × d). In the supervised variant on a table, the label "
                "column is blanked out first, so the code cannot simply copy it.",
                f"One code per item (n × {_AAE.code_dim}): a single point, with no randomness. Inside: "
                f"{_layers(_AAE.encoder_hidden)} with ReLU.",
            ),
            Network(
                "Decoder",
                f"Codes (n × {_AAE.code_dim}); in the supervised variant joined with the label's one-hot block "
                f"(n × ({_AAE.code_dim} + k)), so the code only has to hold the style.",
                "One raw item per code (n × d): values through tanh, scores for each one-hot block. Inside: "
                f"{_layers(_AAE.decoder_hidden)} with ReLU.",
            ),
            Network(
                "Discriminator D",
                f"Codes (n × {_AAE.code_dim}), either the encoder's or samples of the prior, divided by the "
                f"prior's spread {_AAE.prior_std:g} so it sees numbers of about unit size.",
                "One raw score per code (n × 1): drawn from the prior, or made by the encoder? Inside: "
                f"{_layers(_AAE.discriminator_hidden)} with LeakyReLU.",
            ),
        ),
        losses=(
            LossTerm(
                "Reconstruction loss",
                f"First update of each step, for encoder and decoder: {_RECONSTRUCTION_WORDS}, between each item "
                "and its rebuild Dec(E(x)) (with the label, in the supervised variant).",
                r"\mathcal{L}_{\text{rec}} = \mathbb{E}_{x}\Big[" + _RECONSTRUCTION + r"\Big],"
                r"\quad \hat{x} = \mathrm{Dec}\big(E(x)\big)",
                "reconstruction_loss",
            ),
            LossTerm(
                "Discriminator loss",
                "Second update: D learns to tell prior samples p from the encoder's codes. The prior is a "
                f"normal with spread {_AAE.prior_std:g} in each of the {_AAE.code_dim} code dimensions (a ring "
                "of bumps or a uniform box can be chosen from Python instead).",
                r"\mathcal{L}_D = -\mathbb{E}_{p \sim \mathcal{N}(0,\, s^2 I)}"
                r"\left[\log \sigma\big(D(p / s)\big)\right]"
                r" - \mathbb{E}_{x}\left[\log\left(1 - \sigma\big(D(E(x) / s)\big)\right)\right],"
                r"\quad s = " + f"{_AAE.prior_std:g}",
                "discriminator_loss",
            ),
            LossTerm(
                "Encoder adversarial loss",
                "Third update, for the encoder alone: acting as a generator, it is rewarded when D takes its "
                "codes for prior samples. This is what makes the codes fill the prior's shape.",
                r"\mathcal{L}_E = -\mathbb{E}_{x}\left[\log \sigma\big(D(E(x) / s)\big)\right]",
                "encoder_adversarial_loss",
            ),
        ),
        watch=(
            "The reconstruction loss should fall steadily, as for any autoencoder: it measures how much of "
            f"each item its {_AAE.code_dim} code numbers keep.",
            "The adversarial pair should hover near balance (discriminator near 1.39, encoder near 0.69): the "
            "codes are then spread like the prior, and any prior sample decodes to a plausible item.",
            "The two goals compete: squeezing the codes into the prior costs some reconstruction. On the "
            "Explore page, the map of real items' codes should fill the prior's round cloud without big holes.",
        ),
        failures=(
            FailureSign(
                "Codes off the prior",
                "The discriminator loss heads to 0 and the encoder's climbs; the code map shows clumps, holes "
                "or codes far outside the cloud, and prior samples decode to nonsense.",
                "Train longer: the three updates need many steps to settle.",
            ),
            FailureSign(
                "Poor rebuilds",
                "The reconstruction loss stalls high; rebuilt items lose their details.",
                f"{_AAE.code_dim} numbers may be too few for this data: raise 'code dim'.",
            ),
            FailureSign(
                "Label ignored (supervised)",
                "Changing the label leaves the item unchanged, or the code map coloured by label shows one "
                "cluster per label (the code still holds the class).",
                "Train longer; check that the label column was chosen as the condition.",
            ),
        ),
    ),
    "bigan": Architecture(
        MODEL_TITLES["bigan"],
        "A GAN that also learns an encoder from rows back to noise; the discriminator judges (row, code) pairs.\n"
        "So real rows can be placed in the latent space and edited.",
        f'{_NOISE} {_REAL} {_FAKE} G [label="Generator G"]; E [label="Encoder E"];'
        ' ez [label="code E(x)", shape=ellipse, style=filled, fillcolor="#ede9fe"]; D [label="Discriminator D"];'
        ' v [label="real pair or\\ngenerated pair?", shape=plaintext];'
        " z -> G -> xg; x -> E -> ez; xg -> D; z -> D; x -> D; ez -> D; D -> v;",
        networks=(
            Network(
                "Generator G",
                f"Codes: {_BIGAN.latent_dim} standard-normal numbers per item (n × {_BIGAN.latent_dim}).",
                f"One encoded item per code (n × d). Inside: {_layers(_BIGAN.generator_hidden)} with batch norm "
                "and ReLU.",
            ),
            Network(
                "Encoder E",
                "Real encoded items (n × d).",
                f"One code per item (n × {_BIGAN.latent_dim}), on the generator's axes; no randomness. Inside: "
                f"{_layers(_BIGAN.encoder_hidden)} with LeakyReLU.",
            ),
            Network(
                "Discriminator D",
                f"Pairs of an item and a code, joined (n × (d + {_BIGAN.latent_dim})): a real item with its "
                "encoding (x, E(x)), or a generated item with the code that made it (G(z), z).",
                "One raw score per pair (n × 1): real pair or generated pair? Inside: "
                f"{_layers(_BIGAN.discriminator_hidden)} with LeakyReLU and {_BIGAN.dropout:.0%} dropout.",
            ),
        ),
        losses=(
            LossTerm(
                "Discriminator loss",
                "Cross-entropy of telling real pairs (x, E(x)) from generated pairs (G(z), z).",
                r"\mathcal{L}_D = -\mathbb{E}_{x}\left[\log \sigma\big(D(x, E(x))\big)\right]"
                r" - \mathbb{E}_{z}\left[\log\left(1 - \sigma\big(D(G(z), z)\big)\right)\right]",
                "discriminator_loss",
            ),
            LossTerm(
                "Generator and encoder loss",
                "G and E are trained together, as one player, with the labels swapped: they win when real pairs "
                "look generated and generated pairs look real. Fooling D fully needs E to undo G.",
                r"\mathcal{L}_{G,E} = -\mathbb{E}_{x}\left[\log\left(1 - \sigma\big(D(x, E(x))\big)\right)\right]"
                r" - \mathbb{E}_{z}\left[\log \sigma\big(D(G(z), z)\big)\right]",
                "generator_encoder_loss",
            ),
        ),
        watch=(
            "As in any GAN, the losses score the contest, not the quality: watch the samples.",
            "At balance, when D cannot tell the pairs apart, both losses sit near 2 log 2 ≈ 1.39.",
            "Check the encoder too: on the Explore page's map of real items, similar items should land near "
            "each other. Rebuilding an item from its code, G(E(x)), usually keeps its gist (which digit) "
            "more than its details: the inversion is loose in practice.",
        ),
        failures=(
            _D_WINS,
            FailureSign(
                "Encoder not inverting",
                "Real items' codes bunch in a corner or far outside ±3, and starting from a real row gives an "
                "unrelated item.",
                "Train longer: the three-player game needs many steps. Fewer code dimensions ('latent dim') are "
                "easier to invert.",
            ),
            _MODE_COLLAPSE,
        ),
    ),
    "rcgan": Architecture(
        MODEL_TITLES["rcgan"],
        "A conditional GAN whose networks read and write sequences step by step (recurrent networks).\n"
        "It makes time series, optionally of a chosen category.",
        'z [label="latent z\\n(per series)", shape=ellipse, style=filled, fillcolor="#ede9fe"];'
        ' e [label="noise e_t\\n(every step)", shape=ellipse, style=filled, fillcolor="#ede9fe"];'
        f' {_CATEGORY} G [label="recurrent\\nGenerator"]; D [label="recurrent\\nDiscriminator"];'
        ' xs [label="generated\\nsequences", shape=note, style=filled, fillcolor="#ede9fe"];'
        ' xr [label="real\\nsequences", shape=note, style=filled, fillcolor="#e5e7eb"];'
        ' Q [label="Q head"]; v [label="real or generated?\\n(at every step)", shape=plaintext];'
        ' g [label="guess of z", shape=plaintext];'
        " z -> G; e -> G; c -> G; G -> xs -> D; xr -> D; c -> D; D -> v; D -> Q -> g;",
        networks=(
            Network(
                "Generator G (LSTM)",
                f"At each of the T time steps: {_RCGAN.step_noise_dim} fresh noise numbers e_t, the series' "
                f"{_RCGAN.code_dim} latent codes z (the same at every step) and, when conditioned, the category's "
                f"one-hot block (also the same at every step): n × T × ({_RCGAN.step_noise_dim} + "
                f"{_RCGAN.code_dim} + k).",
                "At each step, the F values of the series through a linear layer and tanh (n × T × F), kept as "
                f"n × T·F. Inside: one LSTM layer of {_RCGAN.generator_hidden} units.",
            ),
            Network(
                "Discriminator D (LSTM)",
                "A series, real or generated (n × T × F), with, when conditioned, the category's one-hot block "
                "joined at every step (n × T × (F + k)).",
                "A raw real-or-generated score at every step (n × T): the score at step t judges the series up "
                f"to t. Inside: one LSTM layer of {_RCGAN.discriminator_hidden} units.",
            ),
            Network(
                "Q head",
                f"D's last hidden state for a generated series (n × {_RCGAN.discriminator_hidden}).",
                f"Its estimate of the series' latent codes z (n × {_RCGAN.code_dim}).",
            ),
        ),
        losses=(
            LossTerm(
                "Discriminator loss",
                "Cross-entropy of D's verdicts averaged over all T steps and the batch, plus "
                f"λ = {_RCGAN.info_weight:g} times Q's error at reading z back (this curve includes that term).",
                r"\mathcal{L}_D = -\frac{1}{T} \sum_{t=1}^{T}"
                r" \Big(\mathbb{E}_{x}\left[\log \sigma\big(D_t(x, c)\big)\right]"
                r" + \mathbb{E}_{z}\left[\log\left(1 - \sigma\big(D_t(G(z, c), c)\big)\right)\right]\Big)"
                r" + \lambda\, \mathcal{L}_{\text{info}}",
                "discriminator_loss",
            ),
            LossTerm(
                "Generator loss",
                "The generator wants D to call every step of its series real (the non-saturating form, averaged "
                "over steps); this curve shows only this part.",
                r"\mathcal{L}_G = -\frac{1}{T} \sum_{t=1}^{T}"
                r" \mathbb{E}_{z}\left[\log \sigma\big(D_t(G(z, c), c)\big)\right]",
                "generator_loss",
            ),
            LossTerm(
                "Information loss",
                "Squared error of Q's estimate of z from the generated series. The generator lowers "
                rf"$\mathcal{{L}}_G + {_RCGAN.info_weight:g}\,\mathcal{{L}}_{{\text{{info}}}}$, so it is "
                "rewarded for making z readable from the whole series, which ties z to series-wide features "
                "such as frequency and amplitude.",
                r"\mathcal{L}_{\text{info}} = \mathbb{E}_{z}"
                r"\left[\big\lVert Q\big(G(z, c)\big) - z \big\rVert^2\right]",
                "info_loss",
            ),
        ),
        watch=(
            f"The information loss starts near {_RCGAN.code_dim} (Q guessing 0 for {_RCGAN.code_dim} "
            "standard-normal codes) and should fall well below it: then the sliders z0, z1, ... control clear "
            "features of the series.",
            "The adversarial losses behave like a GAN's and do not track quality: compare generated curves "
            "with real ones.",
            f"The discriminator's learning rate is {_RCGAN.discriminator_lr / _RCGAN.lr:g} times the generator's "
            "(by design: it keeps D a useful judge), so its loss often sits below the generator's.",
        ),
        failures=(
            FailureSign(
                "Codes ignored",
                f"The information loss stays near {_RCGAN.code_dim}; moving z0 or z1 changes little, and the "
                "per-step noise makes all the variety.",
                "Train longer, or raise 'info weight'.",
            ),
            FailureSign(
                "Mode collapse",
                "All generated series have the same shape or frequency, or every category looks the same.",
                "Train longer or try another seed; keep the best epoch.",
            ),
            FailureSign(
                "Noise or flat lines",
                "Generated series stay jagged noise or flat; the discriminator loss is near 0 from early on.",
                "The generator lost the race: train longer, or lower 'discriminator lr'.",
            ),
        ),
    ),
}


def dot(architecture: Architecture) -> str:
    """A complete left-to-right DOT graph, small enough to sit beside the explanation."""
    return (
        'digraph { rankdir=LR; bgcolor="transparent"; '
        'node [shape=box, style="rounded,filled", fillcolor="#f5f3ff", fontname="sans-serif", fontsize=11]; '
        f'edge [color="#6b7280"]; {architecture.diagram} }}'
    )
