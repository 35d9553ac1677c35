"""The person's requests for erasure answered by the centre's admin (GDPR art. 17 and
12.3), the keeping period the person agrees to (3, 6 or 12 months after the end), and the
synthesis without results while consent is withdrawn.

The clock is faked as in ``test_lifecycle`` (``service.dates.utcnow``): the bilan ends on
31 August 2026; the fixture's clock starts ten days before, on 21 August 2026 at 12:00 in
Paris, so a request made then is due, one month later, on 21 September 2026.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.dates import PARIS
from service.features.journey.consent import CONSENT_VERSION
from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff
from tests.service.test_counsellor import set_values
from tests.service.test_lifecycle import (
    ALL_KINDS,
    END,
    MARKER,
    cli,
    clock,
    consent,
    content_counts,
    end_bilan,
    plant,
    purge_events,
)

__all__ = ["cli", "clock"]  # fixtures

ASK = "/espace/bilans/{}/demande-effacement"
MINE = "/espace/mes-donnees/demandes-effacement"
LIST = "/admin/demandes-rgpd"
MESSAGE = "Merci d’effacer mes questionnaires"


def requests_rows(app: Flask) -> list[dict[str, Any]]:
    from service.extensions import db
    from service.models import ErasureRequest

    with app.app_context(), db.standalone() as s:
        return [
            {
                "id": r.id,
                "status": str(r.status),
                "message": r.message,
                "reason": r.refusal_reason,
                "answered_by": r.answered_by,
                "bilan": r.bilan_id,
            }
            for r in s.scalars(select(ErasureRequest).order_by(ErasureRequest.id))
        ]


def audit_actions(app: Flask) -> list[tuple[str, str]]:
    from service.extensions import db
    from service.models import AuditEvent

    with app.app_context(), db.standalone() as s:
        return [
            (e.actor, e.action)
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.action.like("erasure%")).order_by(AuditEvent.id)
            )
        ]


def other_centre_admin(app: Flask) -> str:
    from service.extensions import db
    from service.models import Centre, StaffUser
    from service.security import hash_password

    with app.app_context(), db.standalone() as s:
        centre = Centre(name="Autre centre")
        s.add(centre)
        s.flush()
        s.add(
            StaffUser(
                centre_id=centre.id,
                email="root@autre.fr",
                name="root",
                role="admin",
                password_hash=hash_password("mot-de-passe-de-test"),
            )
        )
    return "root@autre.fr"


def staff(app: Flask, email_address: str) -> FlaskClient:
    client = app.test_client()
    sign_in_staff(client, email_address)
    return client


def person(app: Flask, beneficiary_id: int) -> FlaskClient:
    client = app.test_client()
    sign_in_beneficiary(client, app, beneficiary_id)
    return client


def ask(app: Flask, world: World) -> FlaskClient:
    camille = person(app, world.beneficiary)
    done = camille.post(ASK.format(world.bilan), data={"message": MESSAGE})
    assert done.status_code == 302 and done.headers["Location"].endswith(MINE)
    return camille


def mails(tmp_path: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted((tmp_path / "mail").glob("*.eml"))
    ]


def body(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


# --- asking -------------------------------------------------------------------------------


def test_the_person_asks_once_and_sees_the_deadline(
    db_app: Flask, world: World, clock: Callable[[dt.datetime], None]
) -> None:
    consent(db_app, world, keep=False, at=END - dt.timedelta(days=60))
    camille = person(db_app, world.beneficiary)
    page = camille.get(ASK.format(world.bilan))
    assert page.status_code == 200 and "Message pour le centre" in page.get_data(as_text=True)
    too_long = camille.post(ASK.format(world.bilan), data={"message": "x" * 2001})
    assert too_long.status_code == 422
    assert "Le message dépasse 2 000 caractères." in too_long.get_data(as_text=True)
    assert requests_rows(db_app) == []

    ask(db_app, world)
    mine_page = camille.get(MINE)
    assert mine_page.status_code == 200, mine_page.headers
    mine = mine_page.get_data(as_text=True)
    assert "En attente de réponse" in mine
    assert "au plus tard le 21 septembre 2026" in mine, mine[mine.find("doit vous") :][:200]

    again = camille.post(ASK.format(world.bilan), data={"message": "encore"})
    assert again.status_code == 409
    assert "déjà une demande d’effacement en attente" in again.get_data(as_text=True)
    assert "déjà une demande" in camille.get(ASK.format(world.bilan)).get_data(as_text=True)
    rows = requests_rows(db_app)
    assert len(rows) == 1 and rows[0]["status"] == "pending" and rows[0]["message"] == MESSAGE
    # the audit log says who asked, never what they wrote
    assert audit_actions(db_app) == [(f"beneficiary:{world.beneficiary}", "erasure_request")]


def test_after_a_withdrawal_the_request_is_offered(db_app: Flask, world: World) -> None:
    consent(db_app, world, keep=False, at=END - dt.timedelta(days=60))
    camille = person(db_app, world.beneficiary)
    camille.post(
        f"/espace/bilans/{world.bilan}/consentement",
        data={"refuse": "1", "text_version": CONSENT_VERSION},
    )
    page = camille.get(f"/espace/bilans/{world.bilan}/consentement").get_data(as_text=True)
    assert ASK.format(world.bilan) in page
    assert MINE in camille.get("/espace/").get_data(as_text=True)  # "Mes données"


# --- answering ----------------------------------------------------------------------------


def test_the_admin_sees_the_count_and_the_deadline_and_carries_it_out(
    db_app: Flask, world: World, clock: Callable[[dt.datetime], None], tmp_path: Path
) -> None:
    consent(db_app, world, keep=False, at=END - dt.timedelta(days=60))
    plant(db_app, world)
    set_values(db_app, _beneficiary_model(), world.beneficiary, email="camille@exemple.fr")
    ask(db_app, world)
    admin = staff(db_app, "admin@test.fr")
    assert "1 demande d’effacement attend votre réponse." in admin.get("/admin/").get_data(
        as_text=True
    )
    listing = admin.get(LIST).get_data(as_text=True)
    assert "Camille Martin" in listing and "21 septembre 2026" in listing
    assert "délai dépassé" not in listing
    assert MARKER not in listing  # no content of the bilan on the admin's pages

    clock(dt.datetime(2026, 9, 22, 9, tzinfo=PARIS))  # the day after the deadline
    admin = staff(db_app, "admin@test.fr")
    assert "délai dépassé" in admin.get(LIST).get_data(as_text=True)
    (row,) = requests_rows(db_app)
    page = admin.get(f"{LIST}/{row['id']}").get_data(as_text=True)
    assert MESSAGE in page and MARKER not in page

    no_choice = admin.post(f"{LIST}/{row['id']}", data={})
    assert no_choice.status_code == 422
    assert "Choisissez d’effacer ou de refuser." in no_choice.get_data(as_text=True)
    assert set(content_counts(db_app, world)) >= ALL_KINDS

    done = admin.post(f"{LIST}/{row['id']}", data={"decision": "carry_out"})
    assert done.status_code == 302
    assert content_counts(db_app, world) == {}
    (row,) = requests_rows(db_app)  # the proof is kept, the message is not
    assert row["status"] == "done" and row["message"] is None
    assert row["answered_by"] == world.admin
    events = purge_events(db_app, world)
    assert events and {actor for actor, _, _ in events} == {f"staff:{world.admin}"}
    assert audit_actions(db_app)[-1] == (f"staff:{world.admin}", "erasure_carried_out")
    assert "1 demande" not in admin.get("/admin/").get_data(as_text=True)
    assert admin.post(f"{LIST}/{row['id']}", data={"decision": "refuse"}).status_code == 403

    (sent,) = mails(tmp_path)
    text = body(sent)
    assert "répondu à votre demande d’effacement" in text
    assert MESSAGE not in text and MARKER not in text and "/espace/mes-donnees/" in text
    camille = person(db_app, world.beneficiary)
    assert "Effacement réalisé le 22 septembre 2026" in camille.get(MINE).get_data(as_text=True)


def _beneficiary_model() -> Any:
    from service.models import Beneficiary

    return Beneficiary


def test_the_admin_refuses_with_a_written_reason(
    db_app: Flask, world: World, clock: Callable[[dt.datetime], None], tmp_path: Path
) -> None:
    consent(db_app, world, keep=False, at=END - dt.timedelta(days=60))
    plant(db_app, world)
    set_values(db_app, _beneficiary_model(), world.beneficiary, email="camille@exemple.fr")
    camille = ask(db_app, world)
    (row,) = requests_rows(db_app)
    admin = staff(db_app, "admin@test.fr")
    url = f"{LIST}/{row['id']}"
    no_reason = admin.post(url, data={"decision": "refuse", "reason": "  "})
    assert no_reason.status_code == 422
    assert "Écrivez le motif du refus" in no_reason.get_data(as_text=True)
    assert requests_rows(db_app)[0]["status"] == "pending"

    reason = "Le document de synthèse doit encore vous être remis (R6313-4)."
    assert admin.post(url, data={"decision": "refuse", "reason": reason}).status_code == 302
    (row,) = requests_rows(db_app)
    assert (row["status"], row["reason"], row["message"]) == ("refused", reason, MESSAGE)
    assert set(content_counts(db_app, world)) >= ALL_KINDS  # nothing destroyed
    assert audit_actions(db_app)[-1] == (f"staff:{world.admin}", "erasure_refused")
    assert admin.post(url, data={"decision": "carry_out"}).status_code == 403  # final
    mine = camille.get(MINE).get_data(as_text=True)
    assert "Refusée le 21 août 2026" in mine and "R6313-4" in mine
    (sent,) = mails(tmp_path)
    assert "R6313-4" not in body(sent)  # the reason is read in the space, not mailed
    # no request pending any more: the person may ask again
    assert camille.post(ASK.format(world.bilan), data={}).status_code == 302
    assert [r["status"] for r in requests_rows(db_app)] == ["refused", "pending"]


# --- who can ------------------------------------------------------------------------------


def test_who_can_ask_see_and_answer(db_app: Flask, world: World) -> None:
    consent(db_app, world, keep=False, at=END - dt.timedelta(days=60))
    ask(db_app, world)
    (row,) = requests_rows(db_app)
    answer = f"{LIST}/{row['id']}"
    dominique = person(db_app, world.other_beneficiary)
    assert dominique.get(ASK.format(world.bilan)).status_code == 404
    assert dominique.post(ASK.format(world.bilan), data={}).status_code == 404
    assert "Merci" not in dominique.get(MINE).get_data(as_text=True)  # only their own
    assert dominique.get(LIST).status_code == 403
    assert dominique.post(answer, data={"decision": "carry_out"}).status_code == 403

    for counsellor in ("claire@test.fr", "paul@test.fr"):
        client = staff(db_app, counsellor)
        assert client.get(LIST).status_code == 403
        assert client.get(answer).status_code == 403
        assert client.post(answer, data={"decision": "carry_out"}).status_code == 403
        assert client.get(ASK.format(world.bilan)).status_code == 403

    foreign = staff(db_app, other_centre_admin(db_app))
    listing = foreign.get(LIST)
    assert listing.status_code == 200 and "Camille" not in listing.get_data(as_text=True)
    assert foreign.get(answer).status_code == 404
    assert foreign.post(answer, data={"decision": "carry_out"}).status_code == 404

    anonymous = db_app.test_client()
    for url in (LIST, answer, MINE, ASK.format(world.bilan)):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert requests_rows(db_app)[0]["status"] == "pending"  # nobody above changed it


# --- the agreed keeping period ------------------------------------------------------------


def test_content_is_destroyed_at_the_end_of_a_three_month_agreement(
    db_app: Flask, world: World, clock: Callable[[dt.datetime], None], cli: Callable[..., Any]
) -> None:
    consent(db_app, world, keep=True, months=3, at=dt.datetime(2026, 6, 2, 10, tzinfo=PARIS))
    plant(db_app, world)
    claire = staff(db_app, "claire@test.fr")
    record = claire.get(f"/conseil/bilans/{world.bilan}/dossier").get_data(as_text=True)
    assert "3 mois après la fin" in record  # the planned end is not set yet: no day
    end_bilan(db_app, world, clock)
    claire = staff(db_app, "claire@test.fr")
    record = claire.get(f"/conseil/bilans/{world.bilan}/dossier").get_data(as_text=True)
    assert "Conservation convenue jusqu’au 30 novembre 2026." in record  # 31 Aug + 3 months
    assert "donné le 2 juin 2026 (texte 2026-12-v2)" in record
    camille = person(db_app, world.beneficiary)
    assert "3 mois après la fin du bilan" in camille.get("/espace/").get_data(as_text=True)

    for day in (END + dt.timedelta(days=1), dt.datetime(2026, 11, 29, 23, tzinfo=PARIS)):
        clock(day)
        assert "rien à détruire" in cli().output
        assert set(content_counts(db_app, world)) >= ALL_KINDS
    clock(dt.datetime(2026, 11, 30, 6, tzinfo=PARIS))
    assert f"bilan {world.bilan} (agreed_period)" in cli().output
    assert content_counts(db_app, world) == {}


def _consents(app: Flask) -> list[tuple[bool, bool, int | None]]:
    from service.extensions import db
    from service.models import Consent

    with app.app_context(), db.standalone() as s:
        return [
            (c.accepted, c.keep_for_followup, c.keep_months)
            for c in s.scalars(select(Consent).order_by(Consent.id))
        ]


def test_the_person_chooses_the_period_and_can_only_shorten_it_after_the_end(
    db_app: Flask, world: World, clock: Callable[[dt.datetime], None]
) -> None:
    camille = person(db_app, world.beneficiary)
    url = f"/espace/bilans/{world.bilan}/consentement"
    agree = {"accept": "1", "text_version": CONSENT_VERSION, "keep_for_followup": "y"}
    for bad in ("24", "0", "douze"):
        refused = camille.post(url, data={**agree, "keep_months": bad})
        assert refused.status_code == 422, bad
        assert "Choisissez une durée de 3, 6 ou 12 mois." in refused.get_data(as_text=True)
    assert _consents(db_app) == []
    assert camille.post(url, data={**agree, "keep_months": "6"}).status_code == 302
    assert _consents(db_app) == [(True, True, 6)]
    page = camille.get(url).get_data(as_text=True)
    (six,) = re.findall(r'<input[^>]*value="6"[^>]*>', page)
    assert "checked" in six and "checked" not in re.findall(r'<input[^>]*value="12"[^>]*>', page)[0]

    plant(db_app, world)
    end_bilan(db_app, world, clock)
    clock(END + dt.timedelta(days=100))  # 9 December 2026: past 3 months, within 6
    camille = person(db_app, world.beneficiary)
    assert camille.post(url, data={**agree, "keep_months": "12"}).status_code == 302
    assert _consents(db_app)[-1] == (True, True, 6)  # not lengthened after the end
    assert set(content_counts(db_app, world)) >= ALL_KINDS
    assert camille.post(url, data={**agree, "keep_months": "3"}).status_code == 302
    assert _consents(db_app)[-1] == (True, True, 3)
    assert content_counts(db_app, world) == {}  # the shorter period is over: destroyed now


# --- the synthesis while consent is withdrawn ---------------------------------------------


def test_withdrawal_hides_the_results_of_the_synthesis_not_its_written_parts(
    db_app: Flask, world: World, clock: Callable[[dt.datetime], None]
) -> None:
    import json

    from service.extensions import db
    from service.models import SynthesisItem

    consent(db_app, world, keep=False, at=END - dt.timedelta(days=60))
    plant(db_app, world)
    with db_app.app_context(), db.standalone() as s:
        for item in s.scalars(select(SynthesisItem)):
            item.decision = "approved"
    claire = staff(db_app, "claire@test.fr")
    page = claire.get(f"/conseil/bilans/{world.bilan}/synthese").get_data(as_text=True)
    assert "Décision de la personne" in page and "Accepté" in page
    before = json.loads(claire.get(f"/conseil/bilans/{world.bilan}/synthese.json").data)
    assert before["results"], before.keys()

    consent(db_app, world, keep=False, accepted=False, at=END - dt.timedelta(days=5))
    page = claire.get(f"/conseil/bilans/{world.bilan}/synthese").get_data(as_text=True)
    assert "Décision de la personne" not in page and "a retiré son accord" in page
    assert "MARQUEUR-UNIQUE-circumstances" in page  # the written parts stay
    raw = claire.get(f"/conseil/bilans/{world.bilan}/synthese.json").get_data(as_text=True)
    after = json.loads(raw)
    assert after["results"] == []
    assert "MARQUEUR-UNIQUE-circumstances" in raw and "MARQUEUR-UNIQUE-project" in raw
