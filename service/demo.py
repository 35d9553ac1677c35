"""Demo data: a centre, a counsellor, an admin and a beneficiary with three questionnaires.

Used by ``boussole demo`` so that a newcomer can take a questionnaire in a minute.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from service.extensions import db
from service.invitations import create_invitation
from service.models import Assignment, Beneficiary, Bilan, Centre, StaffUser
from service.security import hash_password

COUNSELLOR_EMAIL = "conseil@demo.boussole.test"
ADMIN_EMAIL = "admin@demo.boussole.test"
DEMO_INSTRUMENTS = ("riasec-60", "valeurs-travail", "ipip-bfi-25")


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
        person = session.scalars(
            select(Beneficiary).where(Beneficiary.centre_id == centre.id)
        ).first()
        if person is None:  # pragma: no cover - created above
            raise RuntimeError("demo beneficiary missing")
        token = create_invitation(session, person, days=app.config["INVITATION_DAYS"])
    return DemoAccess(COUNSELLOR_EMAIL, password, ADMIN_EMAIL, token)
