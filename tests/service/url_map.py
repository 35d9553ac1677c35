"""Every rule of the app's URL map as a concrete URL, for tests that walk all routes."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask
from werkzeug.routing import Rule

from tests.service.conftest import World


def path_values(world: World) -> dict[str, object]:
    """A value for each path argument, pointing at the world's first bilan (1 otherwise)."""
    return {
        "bilan_id": world.bilan,
        "assignment_id": world.assignments["ipip-bfi-25"],
        "instrument_id": "ipip-bfi-25",
        "fmt": "csv",
        "token": "jeton-invalide",
        "filename": "boussole.css",
        "code_rome": "D1102",
    }


def urls(
    app: Flask, world: World, method: str, *, extra: dict[str, object] | None = None
) -> Iterator[tuple[Rule, str]]:
    """Each rule accepting ``method`` with its URL; for POST, only the rules without a GET
    (a GET is walked on its own). ``extra`` adds or replaces path values."""
    values = {**path_values(world), **(extra or {})}
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        for rule in app.url_map.iter_rules():
            methods = rule.methods or set()
            if method not in methods or (method == "POST" and "GET" in methods):
                continue
            args = {a: values.get(a, 1) for a in rule.arguments}
            if "fmt" in args and "synthesis" in rule.endpoint:
                args["fmt"] = "json"  # the synthesis has no CSV
            yield rule, adapter.build(rule.endpoint, args)
