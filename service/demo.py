"""Demo data: a centre, a counsellor, an admin, a beneficiary with three questionnaires to
take, and a second one whose questionnaires are done (for the counsellor's side).

Used by ``boussole demo`` so that a newcomer can take a questionnaire in a minute.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.model import Instrument
from scoring.simulate import simulate_answers
from service.extensions import db
from service.features.accounts.invitations import create_invitation
from service.features.journey import completion
from service.features.journey import consent as consent_records
from service.features.journey import store as answer_store
from service.models import Assignment, Beneficiary, Bilan, Centre, StaffUser
from service.models.states import BilanStatus
from service.security import hash_password

COUNSELLOR_EMAIL = "conseil@demo.boussole.test"
ADMIN_EMAIL = "admin@demo.boussole.test"
DEMO_INSTRUMENTS = ("riasec-60", "valeurs-travail", "ipip-bfi-25")


def _completed_demo_bilan(
    session: Session, centre: Centre, counsellor: StaffUser, instruments: dict[str, Instrument]
) -> None:
    """A second, fictitious person whose three questionnaires are done (simulated answers),
    so that the counsellor's profile review and report can be tried at once."""
    person = Beneficiary(
        centre_id=centre.id, first_name="Bastien", last_name="Moreau", language="fr"
    )
    session.add(person)
    session.flush()
    bilan = Bilan(centre_id=centre.id, beneficiary_id=person.id, status=BilanStatus.INVESTIGATION)
    bilan.counsellors.append(counsellor)
    session.add(bilan)
    session.flush()
    consent_records.record_consent(session, bilan, person, accepted=True, keep_for_followup=False)
    for k, iid in enumerate(DEMO_INSTRUMENTS):
        inst = instruments[iid]
        assignment = Assignment(
            bilan_id=bilan.id, instrument_id=inst.id, instrument_version=inst.version
        )
        session.add(assignment)
        session.flush()
        row = simulate_answers(inst, 1, seed=7 + k).iloc[0]
        for item in inst.numeric_items:
            value = row.get(item.id)
            if value is not None and value == value:  # not NaN
                v = float(value)
                answer_store.upsert_answer(
                    session, assignment.id, item.id, int(v) if v.is_integer() else v
                )
        answer_store.add_page_seconds(session, assignment.id, 1, 8.0 * len(inst.items))
        completion.complete(session, assignment, inst, per_page=6)


@dataclass(frozen=True)
class DemoAccess:
    counsellor_email: str
    counsellor_password: str | None  # None when the accounts already existed
    admin_email: str
    invitation_token: str


def seed_demo(app: Flask) -> DemoAccess:
    """Create the demo records if absent; always issue a fresh invitation link."""
    instruments = app.extensions["boussole.instruments"]
    with app.app_context(), db.standalone() as session:
        password = None
        centre = session.scalars(
            select(Centre).where(Centre.name == "Centre de démonstration")
        ).first()
        if centre is None:
            password = secrets.token_urlsafe(9)
            centre = Centre(name="Centre de démonstration")
            session.add(centre)
            session.flush()
            counsellor = StaffUser(
                centre_id=centre.id,
                email=COUNSELLOR_EMAIL,
                name="Claire Dubois",
                role="counsellor",
                password_hash=hash_password(password),
            )
            admin = StaffUser(
                centre_id=centre.id,
                email=ADMIN_EMAIL,
                name="Admin du centre",
                role="admin",
                password_hash=hash_password(password),
            )
            beneficiary = Beneficiary(
                centre_id=centre.id, first_name="Camille", last_name="Martin", language="fr"
            )
            session.add_all([counsellor, admin, beneficiary])
            session.flush()
            bilan = Bilan(centre_id=centre.id, beneficiary_id=beneficiary.id)
            bilan.counsellors.append(counsellor)
            session.add(bilan)
            session.flush()
            for iid in DEMO_INSTRUMENTS:
                inst = instruments[iid]
                session.add(
                    Assignment(
                        bilan_id=bilan.id,
                        instrument_id=inst.id,
                        instrument_version=inst.version,
                        show_results_now=True,
                    )
                )
            _completed_demo_bilan(session, centre, counsellor, instruments)
        person = session.scalars(
            select(Beneficiary).where(Beneficiary.centre_id == centre.id).order_by(Beneficiary.id)
        ).first()
        if person is None:  # pragma: no cover - created above
            raise RuntimeError("demo beneficiary missing")
        token = create_invitation(session, person, days=app.config["INVITATION_DAYS"])
    return DemoAccess(COUNSELLOR_EMAIL, password, ADMIN_EMAIL, token)
