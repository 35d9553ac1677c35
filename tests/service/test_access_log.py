"""Who accessed my data (issue 12, section 7): the beneficiary sees which staff member
viewed or exported their results, report and synthesis, and when; nobody else sees that
page; and no route changes or deletes an audit entry, it only appends."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import event, select

from tests.service.conftest import World, helpers
from tests.service.url_map import urls

PAGE = "/espace/mes-donnees/consultations"


def _claire_looks(db_app: Flask, world: World) -> None:
    claire = db_app.test_client()
    helpers.sign_in_staff(claire, "claire@test.fr")
    assert claire.get(f"/conseil/bilans/{world.bilan}/scores.csv").status_code == 200
    assert claire.get(f"/conseil/bilans/{world.bilan}/attestation").status_code == 200


def test_the_person_sees_who_viewed_or_exported_their_data(db_app: Flask, world: World) -> None:
    _claire_looks(db_app, world)
    client = db_app.test_client()
    helpers.sign_in_beneficiary(client, db_app, world.beneficiary)
    home = client.get("/espace/").get_data(as_text=True)
    assert PAGE in home
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    listed = html[html.index('<ol class="accesses">') : html.index("</ol>")]
    assert "claire (conseiller ou conseillère) a exporté vos scores (CSV)." in listed
    assert "claire (conseiller ou conseillère) a consulté votre attestation d’assiduité." in listed
    assert "2 consultations de vos données" in html
    # Names, not ids; no content.
    assert "staff:" not in html and f"staff:{world.counsellor}" not in html
    assert response.headers["Cache-Control"] == "no-store"


def test_the_newest_access_comes_first(db_app: Flask, world: World) -> None:
    _claire_looks(db_app, world)
    client = db_app.test_client()
    helpers.sign_in_beneficiary(client, db_app, world.beneficiary)
    html = client.get(PAGE).get_data(as_text=True)
    assert html.index("attestation d’assiduité") < html.index("a exporté vos scores")


def test_another_beneficiary_does_not_see_them(db_app: Flask, world: World) -> None:
    _claire_looks(db_app, world)
    other = db_app.test_client()
    helpers.sign_in_beneficiary(other, db_app, world.other_beneficiary)
    html = other.get(PAGE).get_data(as_text=True)
    assert "claire" not in html
    assert "Personne n’a encore consulté ni exporté vos résultats." in html


@pytest.mark.parametrize("email", ["claire@test.fr", "admin@test.fr"])
def test_staff_cannot_open_the_page(db_app: Flask, world: World, email: str) -> None:
    client = db_app.test_client()
    helpers.sign_in_staff(client, email)
    assert client.get(PAGE).status_code == 403


def test_anonymous_is_sent_to_sign_in(db_app: Flask, world: World) -> None:
    response = db_app.test_client().get(PAGE)
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_the_person_s_own_views_and_other_actions_are_not_listed(
    db_app: Flask, world: World
) -> None:
    from service.extensions import db
    from service.models import AuditEvent

    with db_app.app_context(), db.standalone() as s:
        s.add(
            AuditEvent(
                actor=f"beneficiary:{world.beneficiary}", action="view_report", bilan_id=world.bilan
            )
        )
        s.add(
            AuditEvent(actor=f"staff:{world.counsellor}", action="end_bilan", bilan_id=world.bilan)
        )
        s.add(
            AuditEvent(
                actor=f"staff:{world.other_counsellor}",
                action="view_report",
                bilan_id=world.other_bilan,
            )
        )
    client = db_app.test_client()
    helpers.sign_in_beneficiary(client, db_app, world.beneficiary)
    html = client.get(PAGE).get_data(as_text=True)
    assert '<ol class="accesses">' not in html
    assert "Personne n’a encore consulté ni exporté vos résultats." in html


ROLES = {
    "anonymous": None,
    "beneficiary": "beneficiary",
    "counsellor": "claire@test.fr",
    "admin": "admin@test.fr",
}


def test_no_route_updates_or_deletes_an_audit_entry(db_app: Flask, world: World) -> None:
    """Every route of the URL map, GET and POST, for every role: the only statements on
    audit_event are INSERTs (and reads)."""
    from service.extensions import db

    statements: list[str] = []
    with db_app.app_context():
        engine = db.engine

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "audit_event" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        for role, who in ROLES.items():
            client = db_app.test_client()
            if role == "beneficiary":
                helpers.sign_in_beneficiary(client, db_app, world.beneficiary)
            elif who:
                helpers.sign_in_staff(client, who)
            for method in ("GET", "POST"):
                for _rule, url in urls(db_app, world, method):
                    response = client.open(url, method=method, data={})
                    response.close()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    writes = [s for s in statements if not re.match(r"\s*SELECT\b", s, re.I)]
    assert any(s.lstrip().upper().startswith("INSERT") for s in writes), statements[:5]
    assert all(s.lstrip().upper().startswith("INSERT") for s in writes), writes


def test_the_log_is_append_only_in_the_model(db_app: Flask, world: World) -> None:
    """Even a future route that tried would fail: the ORM refuses to update or delete an
    audit entry."""
    from service.extensions import db
    from service.models import AuditEvent
    from service.models.audit import AuditLogIsAppendOnly

    with db_app.app_context(), db.standalone() as s:
        s.add(AuditEvent(actor="staff:1", action="view_report", bilan_id=world.bilan))
    with db_app.app_context(), pytest.raises(AuditLogIsAppendOnly), db.standalone() as s:
        row = s.scalars(select(AuditEvent)).one()
        row.action = "rien"
        s.flush()
    with db_app.app_context(), pytest.raises(AuditLogIsAppendOnly), db.standalone() as s:
        s.delete(s.scalars(select(AuditEvent)).one())
        s.flush()
