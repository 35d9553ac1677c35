"""The contract tests (marker ``contract``) stay out of the README's command and of the
floors run, and run when ``-m`` names them (.ci/run's own step): the collection hook of
tests/conftest.py, called on stand-in items."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tests.conftest import pytest_collection_modifyitems


class Item:
    def __init__(self, name: str, *markers: str) -> None:
        self.name = name
        self.markers = markers

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.markers else None


def _run(markexpr: str) -> tuple[list[str], list[str]]:
    deselected: list[Any] = []
    config = SimpleNamespace(
        getoption=lambda name: markexpr if name == "markexpr" else None,
        hook=SimpleNamespace(pytest_deselected=lambda items: deselected.extend(items)),
    )
    items: list[Any] = [Item("api"), Item("contract", "contract"), Item("page", "browser")]
    pytest_collection_modifyitems(config, items)  # type: ignore[arg-type]
    return [i.name for i in items], [i.name for i in deselected]


def test_the_contract_tests_run_only_when_asked_for() -> None:
    assert _run("") == (["api", "page"], ["contract"])  # the README's command
    assert _run("not browser") == (["api", "page"], ["contract"])  # the floors run
    assert _run("contract") == (["api", "contract", "page"], [])  # .ci/run's step
