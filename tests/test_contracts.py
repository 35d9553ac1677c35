"""Architecture contracts that import-linter (``lint-imports``, configured in pyproject.toml)
cannot express: no import circle among the modules of ``service/``, no feature importing
another feature's views, and no HTTP in a feature's domain modules (``service.py`` and every
module beside it but ``views*.py``, ``forms.py`` and ``pages.py``).

The import graph comes from grimp (import-linter's engine), imports under ``TYPE_CHECKING``
left out: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

from tests.conftest import ROOT

FEATURES = ROOT / "service" / "features"
#: What a feature's domain module must not take from Flask: the request and its context.
HTTP_NAMES = {"request", "session", "g", "url_for", "Response", "make_response", "redirect"}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("service", exclude_type_checking_imports=True)


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    modules = sorted(graph.modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_known_cycle() -> None:
    fake = grimp.ImportGraph()
    for name in ("p", "p.a", "p.b", "p.c"):
        fake.add_module(name)
    fake.add_import(importer="p.a", imported="p.b")
    fake.add_import(importer="p.b", imported="p.a")
    fake.add_import(importer="p.c", imported="p.a")
    assert _cycles(fake) == [["p.a", "p.b"]]


def test_no_import_circle_among_the_modules_of_service(graph: grimp.ImportGraph) -> None:
    assert _cycles(graph) == []


def _feature_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["service", "features"] else None


def _is_views(module: str) -> bool:
    return module.rsplit(".", 1)[-1].startswith("views")


def test_the_features_are_found(graph: grimp.ImportGraph) -> None:
    features = {_feature_of(m) for m in graph.modules} - {None}
    assert {"journey", "caseload", "profiles", "record", "synthesis", "followup"} <= features
    assert any(_is_views(m) for m in graph.modules)


def test_no_module_imports_another_features_views(graph: grimp.ImportGraph) -> None:
    offending = []
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if not _is_views(imported):
                continue
            if _feature_of(imported) is not None and _feature_of(imported) != _feature_of(module):
                offending.append(f"{module} -> {imported}")
    assert offending == []


def _http_imports(path: Path) -> list[str]:
    """``flask`` names that read or answer the request, imported by a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("flask", "werkzeug.wrappers"):
            bad += [f"{node.module}.{a.name}" for a in node.names if a.name in HTTP_NAMES]
        elif isinstance(node, ast.Import):
            bad += [a.name for a in node.names if a.name == "flask"]
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in HTTP_NAMES
            and isinstance(node.value, ast.Name)
            and node.value.id == "flask"
        ):
            bad.append(f"flask.{node.attr}")
    return bad


def test_the_http_check_catches_what_it_should(tmp_path: Path) -> None:
    sample = tmp_path / "service.py"
    sample.write_text(
        "import flask\nfrom flask import request, current_app\nx = flask.url_for\n",
        encoding="utf-8",
    )
    assert sorted(_http_imports(sample)) == ["flask", "flask.request", "flask.url_for"]


def _domain_modules() -> list[Path]:
    """Every module of a feature but its views, its forms and its page renderers."""
    return sorted(
        p
        for p in FEATURES.glob("*/*.py")
        if not p.stem.startswith("views") and p.stem not in ("forms", "pages", "__init__")
    )


def test_the_domain_modules_are_found() -> None:
    names = {f"{p.parent.name}.{p.stem}" for p in _domain_modules()}
    assert {"journey.service", "journey.store", "record.service", "synthesis.service"} <= names


@pytest.mark.parametrize("path", _domain_modules(), ids=lambda p: f"{p.parent.name}.{p.stem}")
def test_a_features_domain_module_speaks_no_http(path: Path) -> None:
    assert _http_imports(path) == []
