"""No 5xx on malformed input, on any URL rule, for any role (the payload classes are in
``tests/service/fuzz.py``; ``bench/bench_fuzz.py`` is the longer run).

The sweep sends every rule GET and POST as anonymous, beneficiary, counsellor and admin,
with real ids, ids beyond the database's range and 0; hypothesis then draws mixed
requests (rule, role, field values). Both print the number of requests sent.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from service.features.journey import consent as consent_records
from tests.service import fuzz
from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff

pytestmark = pytest.mark.slow  # about 40 s of CPU; runs in the normal suite

#: Set by ``bench/bench_fuzz.py`` for the longer run.
EVERY_PAYLOAD = bool(os.environ.get("FUZZ_EVERY_PAYLOAD"))


def _setup(app: Flask, world: World) -> dict[str, Any]:
    """Consent, a planned calendar (steps and interviews), then the real ids by name."""
    from service.extensions import db
    from service.models import (
        ActionItem,
        BilanStep,
        CentreStep,
        CompletionNotice,
        Consent,
        Interview,
        PersonalWork,
        SynthesisItem,
        WebhookDelivery,
    )

    with app.app_context(), db.standalone() as s:
        s.add(
            Consent(
                bilan_id=world.bilan,
                beneficiary_id=world.beneficiary,
                text_version=consent_records.CONSENT_VERSION,
                accepted=True,
            )
        )
    staff = app.test_client()
    sign_in_staff(staff, "claire@test.fr")
    planned = staff.post(
        f"/conseil/bilans/{world.bilan}/dossier/calendrier",
        data={"plan-start_date": "2026-11-02", "plan-at": "09:00"},
    )
    assert planned.status_code == 302
    real: dict[str, Any] = {
        "bilan_id": world.bilan,
        "assignment_id": world.assignments["ipip-bfi-25"],
        "staff_id": world.other_counsellor,
        "page": 1,
        "instrument_id": "ipip-bfi-25",
        "fmt": "csv",
        "token": "jeton-inconnu",
        "filename": "boussole.css",
    }
    models = {
        "step_id": BilanStep,
        "interview_id": Interview,
        "work_id": PersonalWork,
        "action_id": ActionItem,
        "item_id": SynthesisItem,
        "notice_id": CompletionNotice,
    }
    with app.app_context(), db.standalone() as s:
        for name, model in models.items():
            real[name] = s.scalar(select(func.min(model.id))) or 1
        real["centre_step_id"] = s.scalar(select(func.min(CentreStep.id))) or 1
        from service.features.webhooks import service as hooks

        endpoint = hooks.create_endpoint(
            s,
            centre_id=world.centre,
            url="http://127.0.0.1:9/",
            events=["bilan.ended"],
            created_by=None,
            production=False,
            allow_private=False,
        ).endpoint
        hooks.emit(s, world.centre, "bilan.ended", {"bilan_id": world.bilan})
        s.flush()
        real["endpoint_id"] = endpoint.id
        real["delivery_id"] = s.scalar(select(func.min(WebhookDelivery.id)))
    return real


@pytest.fixture
def fuzzing(db_app: Flask, world: World) -> tuple[dict[str, FlaskClient], dict[str, Any]]:
    db_app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 answer, as in production
    real = _setup(db_app, world)
    clients = {"anonymous": db_app.test_client()}
    clients["beneficiary"] = db_app.test_client()
    sign_in_beneficiary(clients["beneficiary"], db_app, world.beneficiary)
    clients["counsellor"] = db_app.test_client()
    sign_in_staff(clients["counsellor"], "claire@test.fr")
    clients["admin"] = db_app.test_client()
    sign_in_staff(clients["admin"], "admin@test.fr")
    return clients, real


def _slow(rule: Any) -> bool:
    """PDF documents take seconds each: swept with their ids, not with every payload."""
    return str(rule.rule).endswith(".pdf")


def test_every_rule_and_role_survives_the_payload_classes(
    db_app: Flask, fuzzing: tuple[dict[str, FlaskClient], dict[str, Any]]
) -> None:
    clients, real = fuzzing
    tally = fuzz.Tally()
    full = EVERY_PAYLOAD  # bench/bench_fuzz.py: every payload everywhere, PDFs included
    fuzz.sweep(db_app, clients, real, tally, every_payload=full, skip=None if full else _slow)
    print(f"fuzz sweep: {tally.sent} requests sent, {len(tally.failures)} answered 5xx")
    print("\n".join(tally.failures))
    slowest = ", ".join(f"{k} {v:.1f} s" for k, v in tally.seconds.most_common(8))
    print(f"slowest: {slowest}")
    assert tally.sent > 1000
    assert tally.failures == []


VALUES = st.one_of(
    st.sampled_from(fuzz.BAD_VALUES),
    st.text(max_size=30),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.dates().map(lambda d: d.isoformat()),
)


@settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_drawn_requests_never_answer_5xx(
    db_app: Flask,
    fuzzing: tuple[dict[str, FlaskClient], dict[str, Any]],
    data: st.DataObject,
) -> None:
    clients, real = fuzzing
    rules = [r for r in fuzz.rules(db_app) if r.endpoint != "static" and not _slow(r)]
    rule = data.draw(st.sampled_from(rules), label="rule")
    role = data.draw(st.sampled_from(sorted(clients)), label="role")
    if role != "anonymous" and rule.endpoint in fuzz.SESSION_ENDERS:
        role = "anonymous"
    variants = dict(fuzz.path_values(rule, real))
    values = variants[data.draw(st.sampled_from(sorted(variants)), label="ids")]
    names = data.draw(
        st.lists(st.sampled_from(fuzz.form_fields()), max_size=6, unique=True), label="fields"
    )
    form = {name: data.draw(VALUES, label=name) for name in names}
    as_json = data.draw(st.booleans(), label="json")
    method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
    body = {"json": form} if as_json else {"data": form}
    payload = fuzz.Payload("drawn", body, query=form if method == "GET" else {})
    tally = fuzz.Tally()
    tally.send(clients[role], method, fuzz.build_url(rule, values), payload, role)
    assert tally.failures == []


def test_missing_or_bad_csrf_token_is_a_4xx_on_every_post_rule(csrf_app: Flask) -> None:
    """CSRF on, as in production: no token, a forged one, a JSON array; never a 5xx."""
    csrf_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = csrf_app.test_client()
    sent, statuses = 0, set()
    for rule in fuzz.rules(csrf_app):
        if "POST" not in rule.methods:
            continue
        url = fuzz.build_url(rule, dict.fromkeys(rule.arguments, 1))
        for kwargs in (
            {"data": {"csrf_token": "forged"}},
            {"data": {}},
            {"json": [1, 2, 3], "headers": {"X-CSRFToken": "forged"}},
        ):
            response = client.post(url, **kwargs)
            sent += 1
            statuses.add(response.status_code)
            assert response.status_code < 500, (url, kwargs, response.status_code)
    print(f"CSRF: {sent} requests sent, statuses {sorted(statuses)}")
    assert 400 in statuses
