"""The Learn page: complete, well-formed explainers for every architecture, samplers that really draw
from their targets, and the page itself under AppTest."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from streamlit.testing.v1 import AppTest

import gen_models
from gen_models.data.layouts import DataLayout
from gen_models.models import REGISTRY
from gen_models.models.aae import AAEConfig
from gen_models.models.infogan import InfoGANConfig
from gen_models.models.wgan_gp import WGANGPConfig
from gen_models.teaching import sampling_basics as sb
from ui.core.architectures import ARCHITECTURES, NOTATION, dot

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "app_pages" / "learn.py")

# The KaTeX commands the formulas use. A typo such as \mathbbE or \lamda would render as red
# error text in the browser; an unknown command here fails the test instead.
KATEX_COMMANDS = {
    "mathcal", "mathbb", "mathrm", "operatorname", "text", "hat", "log", "tanh", "frac", "tfrac", "sum",
    "left", "right", "big", "Big", "lVert", "rVert", "nabla", "sigma", "lambda", "alpha", "beta", "mu",
    "varepsilon", "odot", "sim", "mid", "in", "quad", "qquad", "cdot", "theta",
}  # fmt: skip


# ----- explainers -------------------------------------------------------------------------------------
def latex_problems(latex: str) -> list[str]:
    """What would stop KaTeX rendering `latex`: unbalanced braces or \\left/\\right, unknown commands."""
    problems = []
    depth = 0
    for char in re.sub(r"\\[{}]", "", latex):  # \{ and \} are literal braces, not groups
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            problems.append("a } closes more groups than were opened")
            break
    if depth > 0:
        problems.append(f"{depth} unclosed {{")
    commands = re.findall(r"\\([A-Za-z]+)", latex)
    if commands.count("left") != commands.count("right"):
        problems.append("\\left and \\right do not pair up")
    unknown = sorted(set(commands) - KATEX_COMMANDS)
    if unknown:
        problems.append(f"unknown commands {unknown}")
    if "$" in latex:
        problems.append("st.latex takes the formula without $ signs")
    return problems


def inline_math(markdown: str) -> list[str]:
    """The $...$ pieces of a Markdown text (st.markdown renders them with KaTeX)."""
    assert markdown.count("$") % 2 == 0, f"unpaired $ in: {markdown}"
    return re.findall(r"\$([^$]+)\$", markdown)


DOT_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<arrow>->)|(?P<word>[A-Za-z_]\w*|-?\d+(?:\.\d+)?)|(?P<punct>[{}\[\];,=]))'
)


def parse_dot(text: str) -> tuple[set[str], list[tuple[str, str]]]:
    """Parse the DOT subset `dot()` writes: `digraph { statements }` -> (declared nodes, edges).

    Statements: `graph|node|edge [attrs]`, `name=value`, `id [attrs]` (a node) and `a -> b -> ... [attrs]`
    (edges); attrs are `key=value` pairs. Anything else raises AssertionError with the offending place.
    """
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text.rstrip()):
        match = DOT_TOKEN.match(text, position)
        assert match, f"unexpected text at {position}: {text[position : position + 30]!r}"
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    tokens.append(("end", ""))

    i = 0

    def take(kind: str, value: str | None = None) -> str:
        nonlocal i
        got_kind, got = tokens[i]
        assert got_kind == kind and (value is None or got == value), f"expected {value or kind}, got {got!r}"
        i += 1
        return got

    def peek(value: str) -> bool:
        return tokens[i][1] == value

    def attributes() -> None:
        take("punct", "[")
        while not peek("]"):
            take("word")
            take("punct", "=")
            assert tokens[i][0] in ("word", "string"), f"attribute value expected, got {tokens[i][1]!r}"
            take(tokens[i][0])
            if peek(",") or peek(";"):
                take("punct")
        take("punct", "]")

    nodes: set[str] = set()
    edges: list[tuple[str, str]] = []
    take("word", "digraph")
    take("punct", "{")
    while not peek("}"):
        first = take("word")
        if first in ("graph", "node", "edge"):
            attributes()
        elif peek("="):
            take("punct", "=")
            take(tokens[i][0])  # a graph attribute's value: a word or a string
        else:
            chain = [first]
            while peek("->"):
                take("arrow")
                chain.append(take("word"))
            if len(chain) == 1:
                assert first not in nodes, f"node {first} declared twice"
                nodes.add(first)
            edges += list(zip(chain, chain[1:], strict=False))
            if peek("["):
                attributes()
        if peek(";"):
            take("punct", ";")
    take("punct", "}")
    take("end")
    return nodes, edges


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_registered_architecture_has_a_complete_explainer(name: str) -> None:
    assert name in ARCHITECTURES, f"{name} has no explainer in ui/core/architectures.py"
    arch = ARCHITECTURES[name]
    assert arch.title and arch.explanation.count("\n") == 1, "a title and an explanation of two lines"
    assert arch.networks and arch.losses and arch.watch and arch.failures
    for net in arch.networks:
        assert net.name and net.receives and net.outputs, net
        assert "×" in net.receives + net.outputs, f"{name} {net.name}: shapes are given, as n × ..."
    for term in arch.losses:
        assert term.name and term.sentence and term.formula, term
    for sign in arch.failures:
        assert sign.name and sign.sign and sign.remedy, sign
    assert all(line.strip() for line in arch.watch)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_formula_is_latex_that_katex_accepts(name: str) -> None:
    arch = ARCHITECTURES[name]
    for term in arch.losses:
        assert not latex_problems(term.formula), (term.name, latex_problems(term.formula), term.formula)
        for piece in inline_math(term.sentence):
            assert not latex_problems(piece), (term.name, latex_problems(piece), piece)
    for piece in inline_math(NOTATION):
        assert not latex_problems(piece), piece


def test_the_latex_check_catches_broken_formulas() -> None:
    assert not latex_problems(r"\mathcal{L}_D = -\mathbb{E}_{x}\left[\log \sigma\big(D(x)\big)\right]")
    assert latex_problems(r"\frac{1}{T")
    assert latex_problems(r"\frac{1}}{T}")
    assert latex_problems(r"\left[ x")
    assert latex_problems(r"\lamda x")


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_diagram_is_well_formed_dot(name: str) -> None:
    nodes, edges = parse_dot(dot(ARCHITECTURES[name]))
    assert edges, "a diagram has arrows"
    used = {end for edge in edges for end in edge}
    assert used <= nodes, f"edges to undeclared nodes (typos?): {sorted(used - nodes)}"
    assert nodes <= used, f"nodes with no arrow: {sorted(nodes - used)}"


def test_the_dot_check_catches_broken_diagrams() -> None:
    with pytest.raises(AssertionError):
        parse_dot('digraph { a [label="x]; }')  # unclosed string
    with pytest.raises(AssertionError):
        parse_dot("digraph { a; b; a -> b; ")  # unclosed graph
    with pytest.raises(AssertionError):
        parse_dot("digraph { a [label=]; }")


def test_quoted_settings_are_the_models_defaults() -> None:
    critic = next(t for t in ARCHITECTURES["wgan_gp"].losses if t.curve == "critic_loss")
    assert critic.formula.endswith(f"\\lambda = {WGANGPConfig().gp_weight:g}")
    aae_d = next(t for t in ARCHITECTURES["aae"].losses if t.curve == "discriminator_loss")
    assert aae_d.formula.endswith(f"s = {AAEConfig().prior_std:g}")
    info = InfoGANConfig()
    generator = ARCHITECTURES["infogan"].networks[0]
    assert f"one-hot block of {info.n_levels}" in generator.receives
    assert f"{info.n_continuous} continuous codes" in generator.receives
    assert "LSTM" in ARCHITECTURES["rcgan"].networks[0].name


def tiny_training_data(name: str) -> tuple[pd.DataFrame, DataLayout, str | None]:
    """A few rows (or waves) each model can train on for a couple of steps."""
    if "table" in REGISTRY[name].data_kinds:
        rng = np.random.default_rng(0)
        frame = pd.DataFrame({"size": rng.normal(size=64), "kind": rng.choice(["a", "b"], size=64)})
        return frame, DataLayout(), "kind" if REGISTRY[name].needs_condition else None
    waves = gen_models.load_dataset("waves")
    layout = DataLayout(kind="sequences", sequence_key="sequence", sequence_index="step", label="kind")
    return waves[waves["sequence"] < 32].reset_index(drop=True), layout, None


@pytest.mark.parametrize("name", list(REGISTRY))
def test_loss_terms_name_the_curves_the_model_reports(name: str) -> None:
    """Every curve a model plots is explained, and every explained curve is one it plots."""
    frame, layout, condition = tiny_training_data(name)
    model = gen_models.create(name, epochs=1, batch_size=32, seed=0)
    model.fit(frame, condition=condition, layout=layout)
    reported = set(model.history[-1]) - {"epoch", "step"}
    explained = {term.curve for term in ARCHITECTURES[name].losses if term.curve}
    assert explained == reported


# ----- samplers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("target", list(sb.TARGETS.values()), ids=list(sb.TARGETS))
def test_inverse_transform_draws_follow_the_target(target: sb.Density1D) -> None:
    draw = sb.inverse_transform_sample(target, 20_000, seed=0)
    assert draw.uniform.shape == draw.samples.shape == (20_000,)
    assert ((draw.uniform > 0) & (draw.uniform < 1)).all()
    assert stats.kstest(draw.uniform, "uniform").pvalue > 0.01
    assert stats.kstest(draw.samples, target.cdf).pvalue > 0.01
    assert draw.samples.mean() == pytest.approx(target.mean(), abs=0.03 * target.std())
    assert draw.samples.std() == pytest.approx(target.std(), rel=0.03)


def test_numerical_inverse_cdf_reads_the_cdf_backwards() -> None:
    u = np.linspace(0.001, 0.999, 999)
    assert np.abs(sb.TWO_BUMPS.cdf(sb.TWO_BUMPS.inverse_cdf(u)) - u).max() < 1e-4
    # The closed forms agree with SciPy's.
    assert np.allclose(sb.EXPONENTIAL.inverse_cdf(u), stats.expon.ppf(u))
    assert np.allclose(sb.STANDARD_NORMAL.inverse_cdf(u), stats.norm.ppf(u))
    x = np.linspace(-5, 6, 500)
    area = np.sum(sb.TWO_BUMPS.pdf(x)) * (x[1] - x[0])
    assert area == pytest.approx(1.0, abs=1e-3)


def test_samplers_repeat_exactly_with_a_seed() -> None:
    proposal = sb.NormalMixture(weights=(1.0,), means=(0.0,), stds=(2.5,))
    log_p = sb.mixture_log_density(sb.TWO_BUMPS)
    assert np.array_equal(
        sb.inverse_transform_sample(sb.TWO_BUMPS, 500, 7).samples,
        sb.inverse_transform_sample(sb.TWO_BUMPS, 500, 7).samples,
    )
    assert np.array_equal(
        sb.rejection_sample(sb.TWO_BUMPS, proposal, 500, 7).accepted,
        sb.rejection_sample(sb.TWO_BUMPS, proposal, 500, 7).accepted,
    )
    assert np.array_equal(
        sb.metropolis_hastings(log_p, 0.0, 1.0, 500, 7).states, sb.metropolis_hastings(log_p, 0.0, 1.0, 500, 7).states
    )
    assert not np.array_equal(
        sb.inverse_transform_sample(sb.TWO_BUMPS, 500, 7).samples,
        sb.inverse_transform_sample(sb.TWO_BUMPS, 500, 8).samples,
    )


@pytest.mark.parametrize("width", [1.5, 2.5, 5.0])
def test_rejection_keeps_about_one_in_m_and_the_kept_follow_the_target(width: float) -> None:
    target = sb.TWO_BUMPS
    proposal = sb.NormalMixture(weights=(1.0,), means=(0.0,), stds=(width,))
    n = 40_000
    draw = sb.rejection_sample(target, proposal, n, seed=1)
    grid = np.linspace(-12, 12, 5001)
    assert (draw.envelope * proposal.pdf(grid) >= target.pdf(grid) * (1 - 1e-6)).all(), "the envelope covers p"
    expected = 1 / draw.envelope
    assert abs(draw.acceptance_rate - expected) < 4 * math.sqrt(expected * (1 - expected) / n)
    assert (draw.heights[draw.accepted] < target.pdf(draw.samples)).all()
    assert stats.kstest(draw.samples, target.cdf).pvalue > 0.01


def test_metropolis_with_a_reasonable_step_matches_the_target() -> None:
    target = sb.TWO_BUMPS
    chain = sb.metropolis_hastings(sb.mixture_log_density(target), start=-2.0, step=2.5, n_steps=20_000, seed=0)
    assert chain.states.shape == chain.accepted.shape == (20_000,)
    assert 0.3 < chain.acceptance_rate < 0.7
    kept = chain.states[1_000:]  # past the start
    assert kept.mean() == pytest.approx(target.mean(), abs=0.15)
    assert kept.std() == pytest.approx(target.std(), rel=0.08)
    assert sb.effective_sample_size(kept) > 1_000


def test_metropolis_with_too_small_or_too_large_a_step_mixes_badly() -> None:
    log_p = sb.mixture_log_density(sb.TWO_BUMPS)
    good = sb.metropolis_hastings(log_p, -2.0, 2.5, 10_000, seed=0)
    tiny = sb.metropolis_hastings(log_p, -2.0, 0.05, 10_000, seed=0)
    huge = sb.metropolis_hastings(log_p, -2.0, 100.0, 10_000, seed=0)
    assert tiny.acceptance_rate > 0.9 and huge.acceptance_rate < 0.1
    good_ess = sb.effective_sample_size(good.states)
    assert sb.effective_sample_size(tiny.states) < good_ess / 10
    assert sb.effective_sample_size(huge.states) < good_ess / 2


def test_effective_sample_size_of_known_chains() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    assert sb.effective_sample_size(rng.standard_normal(n)) == pytest.approx(n, rel=0.15)
    # AR(1) with coefficient phi: worth n (1 - phi) / (1 + phi) independent draws.
    phi, x = 0.9, np.empty(n)
    x[0] = 0.0
    noise = rng.standard_normal(n)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + noise[i]
    assert sb.effective_sample_size(x) == pytest.approx(n * (1 - phi) / (1 + phi), rel=0.3)
    assert sb.effective_sample_size(np.full(100, 3.0)) == 1.0


# ----- the page ---------------------------------------------------------------------------------------
@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LATENT_LAB_RUNS", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_page_shows_both_parts(page: AppTest) -> None:
    assert page.title[0].value.startswith("Learn")
    assert [tab.label for tab in page.tabs] == ["Architectures", "Sampling basics"]
    assert len(page.get("plotly_chart")) == 3, "inverse transform, rejection and Metropolis-Hastings figures"
    assert page.get("graphviz_chart") and page.latex
    assert "From sampling to generators" in [h.value for h in page.subheader]


def test_every_architecture_explainer_renders(page: AppTest) -> None:
    for name in REGISTRY:
        page.selectbox(key="learn_architecture").select(name).run()
        assert not page.exception, name
        arch = ARCHITECTURES[name]
        shown = [latex.value for latex in page.latex]  # st.latex wraps each formula in $$ ... $$
        assert len(shown) == len(arch.losses)
        assert all(term.formula in value for term, value in zip(arch.losses, shown, strict=True))
        assert page.get("graphviz_chart")[0].proto.spec == dot(arch)
        assert page.table[0].value["Network"].tolist() == [net.name for net in arch.networks]


def test_moving_the_sampling_sliders_reruns_each_figure(page: AppTest) -> None:
    def figure(key: str) -> dict:
        chart = next(c for c in page.get("plotly_chart") if c.proto.id and key in c.proto.id)
        return json.loads(chart.proto.spec)

    before = figure("learn_it_figure")
    page.slider(key="learn_it_n").set_value(5_000).run()
    page.selectbox(key="learn_it_target").select("Exponential (rate 1)").run()
    assert not page.exception
    assert figure("learn_it_figure") != before

    page.slider(key="learn_rs_width").set_value(5.0).run()
    assert not page.exception
    assert float(metric(page, "Envelope factor M")) > 2.5  # a wide proposal needs a tall envelope

    page.select_slider(key="learn_mh_step").set_value(100.0).run()
    assert not page.exception
    assert int(metric(page, "Moves accepted").rstrip("%")) < 10  # huge steps are nearly all rejected
    page.select_slider(key="learn_mh_step").set_value(0.05).run()
    assert int(metric(page, "Moves accepted").rstrip("%")) > 90  # tiny steps nearly all accepted
