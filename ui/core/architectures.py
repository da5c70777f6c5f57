"""Plain-words explainers for each architecture: a title, two lines, a network diagram (Graphviz DOT),
what each network receives and returns, each loss term in a sentence and a formula, and what to
watch for in the curves.

The text lives in ui/content/: one Markdown file per architecture (`gan.md`, ...) and `shared.md`
for passages several of them use. Titles come from `gen_models.catalogue.MODEL_TITLES`. Only
architectures in `gen_models.models.REGISTRY` are offered on the Train page; a file for one not
yet in the registry is simply unused until it arrives. A registered architecture without a file
falls back to its own one-line `description` and no diagram.

The sizes and weights the text quotes are read from each model's Config defaults (`SETTINGS`
below), so they stay true when a default changes. Each loss term names the curve (`curve`, a key
of the training history) that shows it on the Train page, and tests/test_learn.py checks that
those are the curves the models really report.

The format of a content file, section by section (text before the first section is a note for
the reader and is skipped):

    ## explanation              two paragraphs: the two lines shown under the title
    ## diagram                  a ```dot block: the nodes and edges of the diagram
    ## network: NAME            then `### receives` and `### outputs`
    ## loss: NAME               then `### sentence`, `### formula` (a ```latex block), optionally `### curve`
    ## watch                    a list, one `- ` item per line of advice
    ## failure: NAME            then `### sign` and `### remedy`

Lines of a paragraph, of a list item or of a fenced block are joined with single spaces, and the
paragraphs of a field with a line break, so files can be wrapped freely. `{{name}}` is replaced by
the architecture's setting of that name or by the section `name` of shared.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from gen_models.catalogue import MODEL_TITLES
from gen_models.models.aae import AAEConfig
from gen_models.models.bigan import BiGANConfig
from gen_models.models.flow import FlowConfig
from gen_models.models.gan import GANConfig
from gen_models.models.infogan import CODE_PRIOR, InfoGANConfig
from gen_models.models.mmd import MMDConfig
from gen_models.models.rcgan import RCGANConfig
from gen_models.models.series_ar import SeriesARConfig
from gen_models.models.vae import VAEConfig
from gen_models.models.wgan_gp import WGANGPConfig

CONTENT_DIR = Path(__file__).resolve().parents[1] / "content"
SHARED_FILE = "shared.md"


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


# ----- settings quoted by the text, from the Config defaults ------------------------------------
def _layers(sizes: tuple[int, ...]) -> str:
    """(256, 256) -> '2 hidden layers of 256'."""
    if len(set(sizes)) == 1:
        return f"{len(sizes)} hidden layer{'s' if len(sizes) > 1 else ''} of {sizes[0]}"
    return "hidden layers of " + ", ".join(map(str, sizes))


def _settings() -> dict[str, dict[str, str]]:
    """Architecture -> placeholder -> its text, as the content files quote them."""
    series = SeriesARConfig()
    gan, wgan, vae, info, aae, bigan, rcgan, flow, mmd = (
        GANConfig(),
        WGANGPConfig(),
        VAEConfig(),
        InfoGANConfig(),
        AAEConfig(),
        BiGANConfig(),
        RCGANConfig(),
        FlowConfig(),
        MMDConfig(),
    )
    return {
        "gan": {
            "latent_dim": str(gan.latent_dim),
            "generator_layers": _layers(gan.generator_hidden),
            "discriminator_layers": _layers(gan.discriminator_hidden),
            "dropout_percent": f"{gan.dropout:.0%}",
        },
        "cgan": {"latent_dim": str(gan.latent_dim)},  # the conditional GAN uses the GAN's Config
        "wgan_gp": {
            "latent_dim": str(wgan.latent_dim),
            "generator_layers": _layers(wgan.generator_hidden),
            "critic_layers": _layers(wgan.critic_hidden),
            "pac": str(wgan.pac),
            "gp_weight": f"{wgan.gp_weight:g}",
            "n_critic": str(wgan.n_critic),
        },
        "vae": {
            "latent_dim": str(vae.latent_dim),
            "encoder_layers": _layers(vae.encoder_hidden),
            "decoder_layers": _layers(vae.decoder_hidden),
            "beta": f"{vae.beta:g}",
        },
        "infogan": {
            "n_levels": str(info.n_levels),
            "n_continuous": str(info.n_continuous),
            "last_continuous_index": str(info.n_continuous + 1),  # c1 is categorical, c2 ... are continuous
            "noise_dim": str(info.noise_dim),
            "generator_inputs": str(info.n_levels + info.n_continuous + info.noise_dim),
            "code_prior": f"{CODE_PRIOR:g}",
            "fc_width": str(info.fc_width),
            "generator_layers": _layers(info.generator_hidden),
            "body_width": str(info.discriminator_hidden[-1]),
            "q_hidden": str(info.q_hidden),
            "info_weight": f"{info.info_weight:g}",
            "continuous_weight": f"{info.continuous_weight:g}",
            "log_n_levels": f"{math.log(info.n_levels):.2f}",
            # Q guessing 0 for a code uniform on [-a, a] scores half its variance, a^2 / 6.
            "continuous_start": f"{info.n_continuous * CODE_PRIOR**2 / 6:.2f}",
        },
        "aae": {
            "code_dim": str(aae.code_dim),
            "prior_std": f"{aae.prior_std:g}",
            "encoder_layers": _layers(aae.encoder_hidden),
            "decoder_layers": _layers(aae.decoder_hidden),
            "discriminator_layers": _layers(aae.discriminator_hidden),
        },
        "bigan": {
            "latent_dim": str(bigan.latent_dim),
            "generator_layers": _layers(bigan.generator_hidden),
            "encoder_layers": _layers(bigan.encoder_hidden),
            "discriminator_layers": _layers(bigan.discriminator_hidden),
            "dropout_percent": f"{bigan.dropout:.0%}",
        },
        "rcgan": {
            "step_noise_dim": str(rcgan.step_noise_dim),
            "code_dim": str(rcgan.code_dim),
            "generator_hidden": str(rcgan.generator_hidden),
            "discriminator_hidden": str(rcgan.discriminator_hidden),
            "info_weight": f"{rcgan.info_weight:g}",
            "discriminator_lr_ratio": f"{rcgan.discriminator_lr / rcgan.lr:g}",
        },
        "flow": {
            "n_couplings": str(flow.n_couplings),
            "coupling_layers": _layers(flow.hidden),
            # -log N(y; 0, 1) averaged over y ~ N(0, 1): the loss per number before the flow has learnt anything.
            "start_nll": f"{0.5 * math.log(2 * math.pi * math.e):.2f}",
        },
        "mmd": {
            "latent_dim": str(mmd.latent_dim),
            "generator_layers": _layers(mmd.generator_hidden),
            "n_bandwidths": str(len(mmd.bandwidths)),
            "bandwidths": ", ".join(f"{width:g}" for width in mmd.bandwidths),
        },
        "series_ar": {
            "hidden": str(series.hidden),
            "head_hidden": str(series.head_hidden),
            "step_embedding": str(series.step_embedding),
            "max_bins": str(series.max_bins),
        },
    }


SETTINGS: dict[str, dict[str, str]] = _settings()


# ----- reading the content files ------------------------------------------------------------------
def sections(text: str, level: int) -> list[tuple[str, str]]:
    """The (heading, body) pairs of a Markdown text's headings of one level ('## ' for 2), in order.

    Text before the first such heading is dropped; fenced blocks are never taken for headings.
    """
    marker = "#" * level + " "
    found: list[tuple[str, list[str]]] = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith(marker):
            found.append((line[len(marker) :].strip(), []))
        elif found:
            found[-1][1].append(line)
    return [(heading, "\n".join(body).strip()) for heading, body in found]


def field_text(body: str) -> str:
    """A field's text: a fenced block's lines joined with spaces, or paragraphs (lines joined with spaces)
    joined with line breaks."""
    lines = body.strip().splitlines()
    if lines and lines[0].startswith("```"):
        if lines[-1].strip() != "```":
            raise ValueError(f"unclosed fenced block: {body[:60]!r}")
        return " ".join(line.strip() for line in lines[1:-1] if line.strip())
    paragraphs = re.split(r"\n\s*\n", body.strip())
    return "\n".join(" ".join(line.strip() for line in paragraph.splitlines()) for paragraph in paragraphs)


def list_items(body: str) -> tuple[str, ...]:
    """The items of a Markdown list ('- ' items, continuation lines indented), each joined into one line."""
    items: list[list[str]] = []
    for line in body.splitlines():
        if line.startswith("- "):
            items.append([line[2:].strip()])
        elif line.strip():
            if not items:
                raise ValueError(f"text before the first list item: {line!r}")
            items[-1].append(line.strip())
    return tuple(" ".join(item) for item in items)


def fill(text: str, values: Mapping[str, str], where: str) -> str:
    """`text` with each {{name}} replaced by values[name]; an unknown name is an error, not left in the page."""

    def value(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise KeyError(f"{where}: no setting or shared passage named {{{{{match.group(1)}}}}}")
        return values[match.group(1)]

    return re.sub(r"\{\{(\w+)\}\}", value, text)


def _subfields(heading: str, body: str, names: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, str]:
    """The `### ` subsections of one section, checked against the names that section takes."""
    found = {name: field_text(text) for name, text in sections(body, 3)}
    missing = [name for name in names if name not in found]
    unknown = [name for name in found if name not in names + optional]
    if missing or unknown:
        raise ValueError(f"section {heading!r}: missing {missing}, unknown {unknown}")
    return found


@cache
def shared_passages() -> dict[str, str]:
    """The sections of shared.md: name -> its text (they take no placeholders themselves)."""
    text = (CONTENT_DIR / SHARED_FILE).read_text(encoding="utf-8")
    return {name: field_text(body) for name, body in sections(text, 2)}


def parse_architecture(title: str, text: str, values: Mapping[str, str], where: str = "") -> Architecture:
    """An `Architecture` from the text of a content file, placeholders filled from `values`."""
    explanation = diagram = None
    networks: list[Network] = []
    losses: list[LossTerm] = []
    watch: tuple[str, ...] = ()
    failures: list[FailureSign] = []
    for heading, raw in sections(text, 2):
        body = fill(raw, values, f"{where} {heading}")
        kind, _, name = heading.partition(":")
        name = name.strip()
        if heading == "explanation":
            explanation = field_text(body)
        elif heading == "diagram":
            diagram = field_text(body)
        elif heading == "watch":
            watch = list_items(body)
        elif kind == "network" and name:
            fields = _subfields(heading, body, ("receives", "outputs"))
            networks.append(Network(name, fields["receives"], fields["outputs"]))
        elif kind == "loss" and name:
            fields = _subfields(heading, body, ("sentence", "formula"), optional=("curve",))
            losses.append(LossTerm(name, fields["sentence"], fields["formula"], fields.get("curve")))
        elif kind == "failure" and name:
            fields = _subfields(heading, body, ("sign", "remedy"))
            failures.append(FailureSign(name, fields["sign"], fields["remedy"]))
        else:
            raise ValueError(f"{where}: unknown section {heading!r}")
    if explanation is None or diagram is None:
        raise ValueError(f"{where}: an explainer needs an 'explanation' and a 'diagram' section")
    return Architecture(title, explanation, diagram, tuple(networks), tuple(losses), watch, tuple(failures))


def load_architecture(name: str) -> Architecture:
    """The explainer of registry name `name`, from ui/content/<name>.md."""
    path = CONTENT_DIR / f"{name}.md"
    values = {**shared_passages(), **SETTINGS.get(name, {})}
    return parse_architecture(MODEL_TITLES[name], path.read_text(encoding="utf-8"), values, where=str(path.name))


ARCHITECTURES: dict[str, Architecture] = {
    name: load_architecture(name) for name in MODEL_TITLES if (CONTENT_DIR / f"{name}.md").exists()
}

# Read once, shown on the Learn page above the formulas.
NOTATION = shared_passages()["notation"]


def dot(architecture: Architecture) -> str:
    """A complete left-to-right DOT graph, small enough to sit beside the explanation."""
    return (
        'digraph { rankdir=LR; bgcolor="transparent"; '
        'node [shape=box, style="rounded,filled", fillcolor="#f5f3ff", fontname="sans-serif", fontsize=11]; '
        f'edge [color="#6b7280"]; {architecture.diagram} }}'
    )
