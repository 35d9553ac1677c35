"""A busy database never loses an answer silently: autosave answers 503 with Retry-After,
stores nothing, and the same answer succeeds once the database is free again."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from service.features.journey import answering
from service.features.journey import consent as consent_records
from tests.service.conftest import World, sign_in_beneficiary


def test_busy_database_gives_503_then_the_retry_is_stored(
    db_app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.extensions import db
    from service.models import Answer, Consent

    with db_app.app_context(), db.standalone() as s:
        s.add(
            Consent(
                bilan_id=world.bilan,
                beneficiary_id=world.beneficiary,
                text_version=consent_records.CONSENT_VERSION,
                accepted=True,
            )
        )
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    url = f"/espace/questionnaires/{world.assignments['ipip-bfi-25']}/reponses"
    real = answering.save_answer

    def locked(*args: object, **kwargs: object) -> object:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(answering, "save_answer", locked)
    busy = client.post(url, json={"item": "A1", "value": 4, "page": 1})
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "2"
    assert "renvoyée" in busy.get_json()["error"]
    with db_app.app_context():
        assert db.session.scalars(select(Answer)).all() == []

    monkeypatch.setattr(answering, "save_answer", real)
    ok = client.post(url, json={"item": "A1", "value": 4, "page": 1})
    assert ok.status_code == 200 and ok.get_json()["saved"] is True
    with db_app.app_context():
        stored = db.session.scalars(select(Answer)).all()
    assert [(a.item_id, a.value) for a in stored] == [("A1", 4)]
