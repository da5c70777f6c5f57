"""The library's import graph: no cycles between gen_models modules, and no reaching up into the app.

Every `import` statement counts, at module level and inside functions alike: an import moved into a
function to get round a cycle still leaves the cycle in the design, so the graph keeps it.

How an import becomes edges, following what Python executes:
- `import gen_models.a.b` and `from gen_models.a.b import name` depend on module `gen_models.a.b`;
  `from gen_models.a import b` depends on `gen_models.a.b` when that is a module, else on the
  package `gen_models.a` (its __init__ must have run to define `b`).
- Importing `gen_models.a.b` also runs the __init__ of every package above it, so those are edges
  too, except the packages above the importing module itself: they are already running when it
  runs (a submodule is only ever executed after its package has started), so a package whose
  __init__ imports its submodules, and a submodule importing its sibling, is not a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "gen_models"
APP_PACKAGES = ("ui", "app_pages", "streamlit")


def module_files() -> dict[str, Path]:
    """Module name -> file, for every module under gen_models/ (a package is its __init__.py)."""
    modules = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def packages_above(module: str) -> list[str]:
    """The packages whose __init__ runs before `module`: "gen_models.a.b" -> ["gen_models", "gen_models.a"]."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imported_names(module: str, path: Path, modules: dict[str, Path]) -> list[str]:
    """Every absolute module name `module`'s import statements name, resolved as the docstring says."""
    is_package = path.name == "__init__.py"
    targets = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's own package, one level up per extra dot
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                targets.append(submodule if submodule in modules else source)
    return targets


def import_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(gen_models module -> the gen_models modules it depends on, module -> the app packages it imports)."""
    modules = module_files()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    app_imports: dict[str, set[str]] = {}
    for module, path in modules.items():
        running = set(packages_above(module))
        for target in imported_names(module, path, modules):
            top = target.split(".")[0]
            if top in APP_PACKAGES:
                app_imports.setdefault(module, set()).add(target)
            if top != PACKAGE:
                continue
            if target not in modules:
                raise AssertionError(f"{module} imports {target}, which is not a module of {PACKAGE}")
            graph[module].add(target)
            graph[module].update(package for package in packages_above(target) if package not in running)
        graph[module].discard(module)
    return graph, app_imports


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None: a depth-first search that remembers the path it is on."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for target in sorted(graph[node]):
            if target in on_path:
                return path[path.index(target) :] + [target]
            if target not in done:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def test_gen_models_has_no_import_cycle() -> None:
    graph, _ = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_gen_models_never_imports_the_app_or_streamlit() -> None:
    _, app_imports = import_graph()
    assert app_imports == {}, app_imports


def test_checkpoint_only_handles_files() -> None:
    graph, _ = import_graph()
    assert not any(target.startswith(f"{PACKAGE}.models") for target in graph[f"{PACKAGE}.checkpoint"])


# ----- the checker itself, on small made-up graphs ------------------------------------------------------
def test_the_cycle_finder_reports_a_cycle_and_accepts_a_tree() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


@pytest.mark.parametrize(
    ("module", "above"),
    [
        ("gen_models", []),
        ("gen_models.data", ["gen_models"]),
        ("gen_models.data.reading", ["gen_models", "gen_models.data"]),
    ],
)
def test_packages_above(module: str, above: list[str]) -> None:
    assert packages_above(module) == above


def test_a_package_importing_its_submodules_is_no_cycle_but_a_name_from_a_package_is_an_edge() -> None:
    graph, _ = import_graph()
    data = f"{PACKAGE}.data"
    assert f"{data}.reading" in graph[data]  # data/__init__.py imports its submodules ...
    assert data not in graph[f"{data}.reading"]  # ... which do not depend on the package they run inside
    assert data in graph[f"{PACKAGE}.models.base"]  # `from gen_models.data import TableSchema` runs data/__init__


def test_no_module_imports_another_modules_private_names():
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "gen_models"
    crossings = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gen_models"):
                crossings += [
                    f"{path.relative_to(package.parent)}: {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    assert not crossings, "private names imported across modules:\n" + "\n".join(crossings)
