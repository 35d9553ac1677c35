"""Contract tests of the API (issue 14): schemathesis generates requests for every
operation of ``/api/v1/openapi.json`` (valid ones and invalid ones) and checks each answer
against the document itself: no 5xx, the body matches the documented schema of its status,
the status and the content type are documented, and so are the response headers.

Generic on purpose: the operations come from the document, never from a list here, so a
route added later is tested as soon as it is in the document. Ids that exist: a path
parameter whose name is in :func:`_known_ids` is drawn half of the time from the world's
records (else the detail routes would only ever answer 404), and so is a ``cursor`` among
those of ``CURSOR_KEYS`` (random text never decodes); every ``GET`` answering 200
with an ``ETag`` is replayed with ``If-None-Match`` (its 304 must be documented too).

One test per token: one per scope, one with every scope, each on SQLite and (when
``BOUSSOLE_TEST_DATABASE_URL`` is set) PostgreSQL. A token lacking an operation's scope
gets a few examples of it (the 403 must be documented); one holding it gets the full count.

Deselected unless asked for (``-m contract``, see tests/conftest.py): .ci/run runs it as its
own step, with a deterministic seed (``derandomize``) so that a failure is reproducible.
``BOUSSOLE_CONTRACT_BUDGET`` changes the number of examples (see ``BUDGET``).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from service.extensions import db
from service.models import API_SCOPES, Assignment, Beneficiary, Bilan, BilanStatus
from tests.service.conftest import World

pytestmark = pytest.mark.contract

#: Examples per generation mode (positive, negative) shared out among the operations of
#: the document, for a token holding their scope: BUDGET // operations, between FEW and
#: MOST each; a token without the scope gets FEW. Chosen so that the whole step stays
#: around a minute and a half on a loaded 2-core machine (docs/api.md, "Tests de contrat");
#: deterministic for a given document.
BUDGET = int(os.environ.get("BOUSSOLE_CONTRACT_BUDGET", "250"))
MOST = 40
FEW = 4

TOKENS = [(scope,) for scope in API_SCOPES] + [API_SCOPES]


def _fill_records(app: Flask, world: World) -> None:
    """Give the world's records what an empty one lacks, so that the documented schemas
    meet dates, date-times and texts, not only nulls: an administrative record filled in
    and ended, and a local norm version."""
    import datetime as dt

    from service.models import LocalNorm

    with app.app_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.other_bilan)
        assert bilan is not None
        bilan.funding = "CPF"
        bilan.commanditaire = "Entreprise « Les Ateliers »"
        bilan.convention_date = dt.date(2026, 1, 5)
        bilan.convention_signed = True
        bilan.start_date = dt.date(2026, 1, 12)
        bilan.planned_end = dt.date(2026, 3, 20)
        bilan.ended_at = dt.datetime(2026, 3, 20, 17, 30, tzinfo=dt.UTC)
        bilan.status = BilanStatus.TERMINE
        bfi = app.extensions["boussole.instruments"]["ipip-bfi-25"]
        s.add(
            LocalNorm(
                centre_id=world.centre,
                instrument_id=bfi.id,
                instrument_version=bfi.version,
                norm_version=f"local:{world.centre}:2026-02-01:40",
                built_at=dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC),
                n=40,
                min_n=30,
                table={},
            )
        )


def _known_ids(app: Flask, world: World) -> dict[str, list[Any]]:
    """Values of path parameters that exist, by parameter name (records of the world's
    centre and of no other)."""
    with app.app_context(), db.standalone() as s:
        bilans = [b.id for b in s.query(Bilan).filter_by(centre_id=world.centre)]
        people = [b.id for b in s.query(Beneficiary).filter_by(centre_id=world.centre)]
        assignments = [a.id for a in s.query(Assignment).filter(Assignment.bilan_id.in_(bilans))]
    return {
        "bilan_id": bilans,
        "beneficiary_id": people,
        "assignment_id": assignments,
        "instrument_id": [*sorted(world.assignments), "Inconnu"],
    }


#: Cursors that the lists could meet: made by the API's own encoder (a page's last key at
#: the edges of the database's integers, a key of the wrong kind), since random text is
#: almost never a cursor that decodes.
CURSOR_KEYS = ("0", "1", "2147483647", "2147483648", "9999999999", "-1", "abc", "", "1" * 30)


def _choices(operation: Any, known: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Fixed parts of some requests: known values of the operation's path parameters (at
    most 12 combinations), each with or without a crafted ``cursor`` when it takes one."""
    from service.features.api import paging

    names = [p.name for p in operation.path_parameters if known.get(p.name)]
    combos = itertools.islice(itertools.product(*(known[n] for n in names)), 12)
    paths = [dict(zip(names, values, strict=True)) for values in combos] if names else [{}]
    queries: list[dict[str, Any] | None] = [None]
    if "cursor" in {p.name for p in operation.query}:
        queries += [{"cursor": paging.encode(key)} for key in CURSOR_KEYS]
    return [
        {"path_parameters": path or None, "query": query}
        for path in paths
        for query in queries
        if path or query
    ]


def _scope_of(operation: Any) -> str | None:
    for requirement in operation.definition.raw.get("security") or []:
        for roles in requirement.values():
            if roles:
                return str(roles[0])
    return None


def _strategy(operation: Any, mode: Any, choices: list[dict[str, Any]]) -> Any:
    """Half generated from the document alone, half with some parts fixed (``choices``)."""
    from hypothesis import strategies as st

    generated = operation.as_strategy(generation_mode=mode)
    if not choices:
        return generated
    fixed = st.sampled_from(choices).flatmap(
        lambda kwargs: operation.as_strategy(generation_mode=mode, **kwargs)
    )
    return st.one_of(fixed, generated)


def _run(
    operation: Any,
    mode: Any,
    examples: int,
    headers: dict[str, str],
    strategy: Any,
    seen: dict[str, set[int]],
) -> list[str]:
    """Run ``examples`` cases of ``operation``; the failures found (one per kind: hypothesis
    shrinks each to its smallest example)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks: list[Callable[..., Any]] = [
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
    ]

    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        response = case.call_and_validate(headers=headers, checks=checks)
        seen.setdefault(operation.label, set()).add(response.status_code)
        etag = response.headers.get("etag")
        if case.method.upper() == "GET" and response.status_code == 200 and etag:
            case.headers = {**(case.headers or {}), "If-None-Match": etag[0]}
            again = case.call_and_validate(headers=headers, checks=checks)
            assert again.status_code == 304, f"If-None-Match {etag[0]}: {again.status_code}"
            seen[operation.label].add(304)

    try:
        check()
    except (Exception, BaseExceptionGroup) as exc:  # reported with the others at the end
        return [f"{operation.label} ({mode.value}): {_describe(exc)}"]
    return []


def _describe(exc: BaseException) -> str:
    """schemathesis's failure group as text: its message and each failure's."""
    parts = [str(exc)]
    for sub in getattr(exc, "exceptions", ()):
        parts.append(f"  - {type(sub).__name__}: {sub}")
    return "\n".join(parts)


@pytest.mark.parametrize("scopes", TOKENS, ids=lambda s: "+".join(s))
def test_every_operation_keeps_its_contract(
    db_app: Flask, world: World, scopes: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    import schemathesis
    from schemathesis import GenerationMode

    from tests.service.test_api import bearer, make_token

    headers = bearer(make_token(db_app, world.centre, scopes, name="Contrat"))
    db_app.config["API_RATE_LIMIT"] = "1000000/minute"  # the limiter's 429 is tested elsewhere
    _fill_records(db_app, world)
    known = _known_ids(db_app, world)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", db_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5, "the OpenAPI document lost its operations"
    full = max(FEW, min(MOST, BUDGET // len(operations)))
    failures: list[str] = []
    seen: dict[str, set[int]] = {}
    for operation in operations:
        scope = _scope_of(operation)
        examples = full if scope is None or scope in scopes else FEW
        choices = _choices(operation, known)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = _strategy(operation, mode, choices)
            failures += _run(operation, mode, examples, headers, strategy, seen)
    with capsys.disabled():  # what the run reached, in CI's log
        print(f"\n  token {'+'.join(scopes)}:")
        for label, statuses in sorted(seen.items()):
            print(f"    {label}: {' '.join(map(str, sorted(statuses)))}")
    assert not failures, "\n\n".join(failures)
