"""Design page: rows that hit a target (search in latent space) and new rows near real ones (perturbation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import gen_models
from gen_models.data.writing import write_csv
from gen_models.errors import USER_ERRORS
from gen_models.latent.design import DesignResult, design, fit_surrogate, projection
from gen_models.latent.perturbation import PerturbationResult, perturb
from gen_models.models import REGISTRY, GenerativeModel
from ui.core import design_plots as plots
from ui.core.plots import image_grid_png, png_width, sequences_figure
from ui.widgets.models import ModelSource, column_kinds, data_kind, image_shape, pick_and_load, real_data_for
from ui.widgets.state import session_id, session_runs_dir

ANY = "(any: drawn at the data's rates)"
GOALS = {"near a value": "value", "as low as possible": "min", "as high as possible": "max"}
METHODS = {
    "gradient descent through the generator": "gradient",
    "gradient-free evolution over the codes": "evolution",
}

sid = session_id()
st.title("7 · Design")
st.write(
    "Use a trained model's latent space to **make** data, not just sample it: rows whose target column "
    "lands where you want, or new rows close to real ones. Each result is shown next to the naive "
    "alternative that works on the data directly, so you can see why the latent space is worth it."
)
# One section at a time (not tabs): each stops the page on its own when it lacks a model or data.
MODES = ["Rows that hit a target", "New rows near real ones"]
mode = st.radio("What to make", MODES, horizontal=True, key="design_mode", label_visibility="collapsed")


def real_table(source: ModelSource, model: GenerativeModel, key: str) -> pd.DataFrame:
    """The real table the model learnt from (or an uploaded one); stops the tab with a message if missing."""
    real = real_data_for(source)
    if real is None:
        upload = st.file_uploader(
            "The data this model learnt from is not available: upload the real table (CSV).", type=["csv"], key=key
        )
        if upload is None:
            st.stop()
        try:
            real = gen_models.read_csv(upload.getvalue())
        except USER_ERRORS as error:
            st.error(f"**{upload.name}** could not be read. {error}")
            st.stop()
    missing = [c for c in model.encoder.columns if c not in real.columns]
    if missing:
        st.error(f"The real table lacks the model's column(s): {', '.join(missing)}.")
        st.stop()
    return real


@st.cache_resource(max_entries=16, show_spinner="Teaching a surrogate model to predict the target…")
def surrogate_for(model_key: str, stamp: float, target: str, seed: int, _model: GenerativeModel, _real: pd.DataFrame):
    """The fitted surrogate, shared by reruns and sessions (it is never changed after fitting)."""
    return fit_surrogate(_model, _real, target, seed=seed)


# ---------------------------------------------------------------------------------------------
# Rows that hit a target
# ---------------------------------------------------------------------------------------------


def design_controls(model: GenerativeModel, real: pd.DataFrame) -> dict | None:
    kinds = column_kinds(model)
    numeric = [c for c, k in kinds.items() if k in ("continuous", "integer")]
    if not numeric:
        st.info("This model's table has no numeric column to aim at. Pick a model trained on a table with numbers.")
        return None
    left, middle, right = st.columns(3)
    target = left.selectbox(
        "Target column", numeric, key="design_target", help="The number you want the designed rows to have."
    )
    goal = GOALS[middle.radio("Aim", list(GOALS), key="design_goal")]
    present = pd.to_numeric(real[target], errors="coerce").dropna()
    value = right.number_input(
        f"Target value of {target}",
        value=float(round(present.quantile(0.75), 2)) if len(present) else 0.0,
        key=f"design_value:{target}",
        help=f"Real rows range from {present.min():.4g} to {present.max():.4g}." if len(present) else None,
        disabled=goal != "value",
    )
    left, middle, right = st.columns(3)
    rows = int(left.number_input("Rows to design", 1, 500, 20, key="design_rows"))
    method = METHODS[middle.selectbox("Search", list(METHODS), key="design_method")]
    condition = None
    if model.condition_column is not None:
        choice = right.selectbox(
            f"{model.condition_column} (the condition)", [ANY, *model.condition_levels], key="design_condition"
        )
        condition = None if choice == ANY else choice
    with st.expander("Search settings"):
        a, b, c = st.columns(3)
        steps = int(
            a.number_input("Steps", 10, 2000, 200 if method == "gradient" else 100, key=f"design_steps:{method}")
        )
        plausibility = b.slider(
            "Plausibility weight", 0.0, 2.0, 0.1, 0.05, key="design_plausibility",
            help="How strongly codes are kept where the generator was trained (their prior). "
            "0 lets the search wander to unlikely codes; more keeps rows typical but may miss the target.",
        )  # fmt: skip
        seed = int(c.number_input("Seed", 0, 2**31 - 1, 0, key="design_seed", help="Same seed, same rows."))
    submitted = st.button("Design rows", type="primary", key="design_go")
    return {
        "target": target,
        "goal": goal,
        "value": float(value) if goal == "value" else goal,
        "rows": rows,
        "method": method,
        "condition": condition,
        "steps": steps,
        "plausibility": float(plausibility),
        "seed": seed,
        "submitted": submitted,
    }


def show_design(result: DesignResult, real: pd.DataFrame, kinds: dict[str, str]) -> None:
    target, latent, naive = result.target, result.realism["latent"], result.realism["data space"]
    aim = (
        f"near **{result.value:g}** (hits: within ±{result.tolerance:.3g})"
        if result.goal == "value"
        else f"as **{'low' if result.goal == 'min' else 'high'}** as possible"
    )
    st.markdown(f"**{len(result.rows)} rows** with *{target}* predicted {aim}.")
    a, b, c, d = st.columns(4)
    if result.goal == "value":
        a.metric("Hits, latent space", f"{result.hit_share(result.predictions):.0%}")
        b.metric(
            "Hits, data space",
            f"{result.hit_share(result.data_space_predictions):.0%}",
            help="As the surrogate scored the moved features.",
        )
        c.metric(
            "Hits, data space snapped",
            f"{result.hit_share(result.data_space_snapped):.0%}",
            help="The same data-space rows with each category snapped to its most likely level, as a table shows "
            "them: the surrogate's score changes, because the search had exploited in-between categories.",
        )
    else:
        a.metric("Median prediction, latent", f"{np.median(result.predictions):.4g}")
        b.metric("Median prediction, data space", f"{np.median(result.data_space_predictions):.4g}")
        c.metric("Real data's range", f"{real[target].min():.4g} – {real[target].max():.4g}")
    d.metric("Surrogate R²", f"{result.surrogate_r2:.2f}", help="On real rows it never saw (1 = perfect).")

    yardstick = latent["real_to_real"]
    table = pd.DataFrame(
        {
            "through the latent space": _realism_column(latent),
            "directly in data space": _realism_column(naive),
        },
        index=[
            "distance to the nearest real row (median)",
            "rows with a number outside the real range",
            "rows with a category between levels",
            "rows with a combination of categories never seen",
        ],
    )
    st.markdown("**How realistic are the rows?**")
    st.dataframe(table)
    st.caption(
        f"Distances are measured on standardised numbers and category indicators; a real row's nearest other "
        f"real row is {yardstick:.2f} away (median), so rows about that far are as typical as real ones."
    )

    left, right = st.columns(2)
    with left:
        sets = {
            "latent": result.predictions,
            "data space": result.data_space_predictions,
            "data space (categories snapped)": result.data_space_snapped,
        }
        st.plotly_chart(
            plots.predictions_figure(sets, target, result.value, result.tolerance),
            key="design_predictions",
            config={"displayModeBar": False},
        )
    with right:
        st.plotly_chart(
            plots.projection_figure(projection(result.features), "The rows on a map of the real data"),
            key="design_map",
            config={"displayModeBar": False},
        )
    columns = [c for c in kinds if c != target]
    chosen = st.multiselect(
        "Columns to compare", columns, default=columns[: min(3, len(columns))], key="design_compare_columns"
    )
    grid = st.columns(3)
    for i, column in enumerate(chosen):
        sets = {"real": real[column], "latent": result.rows[column], "data space": result.data_space_rows[column]}
        with grid[i % 3]:
            st.plotly_chart(
                plots.column_sets_figure(column, kinds[column], sets),
                key=f"design_column_{i}",
                config={"displayModeBar": False},
            )
    st.plotly_chart(plots.progress_figure(result.history), key="design_progress", config={"displayModeBar": False})

    st.markdown("**The designed rows**")
    st.caption(
        f"Every column comes from the generator; *predicted {target}* is the surrogate's prediction from the "
        f"other columns. The search asked both to meet the goal."
    )
    st.dataframe(result.rows, hide_index=True)
    st.download_button(
        "Download the designed rows (CSV)",
        write_csv(result.rows).encode("utf-8"),
        file_name=f"designed_{target}.csv",
        mime="text/csv",
        key="design_download",
        type="primary",
    )
    with st.expander("The rows found directly in data space (for comparison)"):
        st.dataframe(result.data_space_rows, hide_index=True)
        st.download_button(
            "Download them (CSV)",
            write_csv(result.data_space_rows).encode("utf-8"),
            file_name=f"data_space_{target}.csv",
            mime="text/csv",
            key="design_download_naive",
        )


def _realism_column(scores: dict[str, float]) -> list[str]:
    return [
        f"{scores['nearest_real']:.2f}",
        f"{scores['out_of_range']:.0%}",
        f"{scores['between_levels']:.0%}",
        f"{scores['unseen_combinations']:.0%}",
    ]


def design_section() -> None:
    st.write(
        "Pick a numeric column and a goal. A small neural network (the **surrogate**) learns to predict that "
        "column from the others in the real data. Then hundreds of random codes are moved, all at once, until "
        "the rows the generator makes from them are predicted on target, while a penalty keeps each code "
        "typical for the model. Beside it, the same surrogate is satisfied by moving real rows' numbers and "
        "categories directly: it gets what it asks for, in rows that no longer look like data."
    )
    source, model = pick_and_load(
        sid,
        session_runs_dir(),
        "design_model",
        "There is no trained table model yet. Train one on a table (for example the penguins) first.",
        accept=lambda summary: summary["kind"] == "table",
    )
    real = real_table(source, model, "design_upload")
    settings = design_controls(model, real)
    if settings is not None:
        try:
            surrogate = surrogate_for(source.key, source.stamp, settings["target"], 0, model, real)
        except USER_ERRORS as error:
            st.error(str(error))
            st.stop()
        st.caption(
            f"Surrogate for *{settings['target']}*: R² {surrogate.r2:.2f} and mean error {surrogate.mae:.4g} on "
            "real rows it did not learn from. Designed rows are only as trustworthy as this prediction."
        )
        request = (source.key, source.stamp, *(v for k, v in settings.items() if k != "submitted"))
        if settings["submitted"]:
            try:
                with st.spinner("Searching the latent space…"):
                    result = design(
                        model,
                        real,
                        settings["target"],
                        settings["value"],
                        rows=settings["rows"],
                        method=settings["method"],
                        steps=settings["steps"],
                        plausibility=settings["plausibility"],
                        condition=settings["condition"],
                        seed=settings["seed"],
                        surrogate=surrogate,
                    )
                st.session_state["design_result"] = (request, result)
            except USER_ERRORS as error:
                st.error(str(error))
        stored = st.session_state.get("design_result")
        if stored is not None and stored[0][:3] == request[:3]:  # same model and target
            if stored[0] != request:
                st.info("The settings changed: press **Design rows** to search again. Showing the last result.")
            show_design(stored[1], real, column_kinds(model))
        else:
            st.info("Choose a goal and press **Design rows**.")


# ---------------------------------------------------------------------------------------------
# New rows near real ones
# ---------------------------------------------------------------------------------------------


@st.cache_data(max_entries=32, show_spinner=False)
def perturbed(
    model_key: str, stamp: float, picked: tuple, scale: float, copies: int, seed: int, _model, _items, _real
) -> PerturbationResult:
    return perturb(_model, _items, scale, per_item=copies, seed=seed, real=_real)


def pick_items(model: GenerativeModel, real: pd.DataFrame, key: str) -> tuple[pd.DataFrame, tuple]:
    """The real items to perturb: rows ticked in the table, else a seeded random handful."""
    kind = data_kind(model)
    a, b = st.columns(2)
    n_random = int(a.number_input("Random real items to start from", 1, 50, 6, key=f"{key}_n"))
    draw = int(
        b.number_input(
            "Random pick number", 0, 10_000, 0, key=f"{key}_draw", help="Change it for another random handful."
        )
    )
    picked: list[int] = []
    if kind == "table":
        with st.expander("…or tick real rows yourself"):
            event = st.dataframe(real, on_select="rerun", selection_mode="multi-row", key=f"{key}_table", height=240)
            picked = list(event.selection.rows) if event is not None else []
    if picked:
        index = tuple(sorted(picked))
    elif kind == "sequences":
        keys = real[model.layout.sequence_key].unique() if not model.layout.wide else np.arange(len(real))
        chosen = np.random.default_rng(draw).choice(len(keys), size=min(n_random, len(keys)), replace=False)
        index = tuple(int(i) for i in np.sort(chosen))
        if not model.layout.wide:
            wanted = set(keys[list(index)])
            return real[real[model.layout.sequence_key].isin(wanted)], ("seq", *index)
    else:
        chosen = np.random.default_rng(draw).choice(len(real), size=min(n_random, len(real)), replace=False)
        index = tuple(int(i) for i in np.sort(chosen))
    return real.iloc[list(index)], index


def show_perturbation(model: GenerativeModel, result: PerturbationResult, real: pd.DataFrame) -> None:
    latent, naive = result.realism["latent"], result.realism["data space"]
    kind = data_kind(model)
    table = {
        "distance to the nearest real item (median)": (latent["nearest_real"], naive["nearest_real"]),
    }
    if kind == "table":
        table["rows with a number outside the real range"] = (latent["out_of_range"], naive["out_of_range"])
        table["rows with a combination of categories never seen"] = (
            latent["unseen_combinations"],
            naive["unseen_combinations"],
        )
    frame = pd.DataFrame(table, index=["noise on the codes", "noise on the data"]).T
    formatted = frame.apply(
        lambda row: [f"{v:.2f}" if row.name.startswith("distance") else f"{v:.0%}" for v in row], axis=1
    )
    st.dataframe(pd.DataFrame(formatted.tolist(), index=frame.index, columns=frame.columns))
    st.caption(
        f"A real item's nearest other real item is {latent['real_to_real']:.2f} away (median): items about that "
        "far from the data are as typical as real ones."
    )
    if kind == "table":
        # Real rows underneath, the perturbed originals on top.
        points = projection({name: result.features[name] for name in ("real", "data space", "latent", "originals")})
        st.plotly_chart(
            plots.projection_figure(points, "Where the new rows land", names=plots.PERTURBATION_NAMES),
            key="perturb_map",
            config={"displayModeBar": False},
        )
        kinds = column_kinds(model)
        columns = list(kinds)
        chosen = st.multiselect("Columns to compare", columns, default=columns[:3], key="perturb_columns")
        grid = st.columns(3)
        for i, column in enumerate(chosen):
            sets = {
                "real": real[column],
                "latent": result.latent_items[column],
                "data space": result.data_items[column],
            }
            with grid[i % 3]:
                st.plotly_chart(
                    plots.column_sets_figure(column, kinds[column], sets, names=plots.PERTURBATION_NAMES),
                    key=f"perturb_column_{i}",
                    config={"displayModeBar": False},
                )
        left, right = st.columns(2)
        left.markdown("**Noise on the codes**")
        left.dataframe(result.latent_items.head(20), hide_index=True)
        right.markdown("**Noise on the data**")
        right.dataframe(result.data_items.head(20), hide_index=True)
    elif kind == "images":
        shape = image_shape(model)
        copies = len(result.source) // len(result.originals)
        columns = 1 + copies
        for title, items in (("noise on the codes", result.latent_items), ("noise on the data", result.data_items)):
            encoded = model.encoder.transform(items)
            originals = model.encoder.transform(result.originals)
            # One row per original: the original first, then its copies.
            cells = np.concatenate(
                [
                    np.concatenate([originals[i : i + 1], encoded[i * copies : (i + 1) * copies]])
                    for i in range(len(originals))
                ]
            )
            png = image_grid_png(cells, shape, columns=columns)
            st.markdown(f"**{title.capitalize()}** — first column: the real image")
            st.image(png, width=png_width(png))
    else:
        from ui.widgets.models import index_name, sequence_curves

        for title, items in (("Noise on the codes", result.latent_items), ("Noise on the data", result.data_items)):
            steps, values, names = sequence_curves(model.encoder, items)
            _, real_values, _ = sequence_curves(model.encoder, result.originals)
            st.plotly_chart(
                sequences_figure(steps, values[:, :, 0], real_values[:, :, 0], names[0], index_name(model), title),
                key=f"perturb_{title}",
                config={"displayModeBar": False},
            )
    st.download_button(
        "Download the items made through the codes (CSV)",
        write_csv(result.latent_items).encode("utf-8"),
        file_name="perturbed.csv",
        mime="text/csv",
        key="perturb_download",
    )


def perturb_section() -> None:
    st.write(
        "Encode real items, add random noise to their codes and decode: new items *near* real ones. The decoder "
        "only makes what it learnt to make, so even large noise gives typical items. Beside it, the same relative "
        "noise added to the data itself: numbers leave their range and categories combine in ways never seen."
    )
    encoders = {name for name, cls in REGISTRY.items() if cls.has_encoder}
    source, model = pick_and_load(
        sid,
        session_runs_dir(),
        "perturb_model",
        "There is no trained model with an encoder yet: train a VAE, an adversarial autoencoder or a BiGAN.",
        accept=lambda summary: summary["model"] in encoders,
    )
    real = real_data_for(source)
    if real is None:
        st.info("The data this model learnt from is not available, so there are no real items to start from.")
    else:
        items, picked = pick_items(model, real, "perturb")
        a, b, c = st.columns(3)
        scale = a.slider(
            "Noise scale", 0.0, 3.0, 0.5, 0.1, key="perturb_scale",
            help="Standard deviation of the noise, in units of each code's prior spread (and of each column's "
            "spread for the data route). 0 gives reconstructions and exact copies.",
        )  # fmt: skip
        copies = int(b.number_input("New items per real item", 1, 20, 5, key="perturb_copies"))
        seed = int(c.number_input("Seed", 0, 2**31 - 1, 0, key="perturb_seed"))
        try:
            result = perturbed(source.key, source.stamp, picked, float(scale), copies, seed, model, items, real)
        except USER_ERRORS as error:
            st.error(str(error))
        else:
            show_perturbation(model, result, real)


if mode == MODES[0]:
    design_section()
else:
    perturb_section()
