"""The counsellor is told when a questionnaire is completed: a "nouveau" notice on their
dashboard (theirs only, cleared by opening the profile or dismissing it) and, if they asked
for it on their account page, a mail with no result and no name. Anonymous questionnaires
(satisfaction, follow-up) notify nobody."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.models import utcnow
from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff
from tests.service.test_counsellor import BFI, RIASEC, complete

NEWS = "Nouveau : "


class Box:
    """A mailer that keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))


@pytest.fixture
def box(db_app: Flask) -> Box:
    mailer = Box()
    db_app.extensions["boussole.mail"] = mailer
    return mailer


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    sign_in_staff(client, email)
    return client


def _notices(app: Flask) -> int:
    from service.extensions import db
    from service.models import CompletionNotice

    with app.app_context(), db.standalone() as s:
        return int(s.scalar(select(func.count()).select_from(CompletionNotice)) or 0)


def _opt_in(client: FlaskClient, wanted: bool = True) -> None:
    response = client.post("/mon-compte", data={"notify_completions": "y"} if wanted else {})
    assert response.status_code == 302, response.status_code


def test_the_bilans_counsellor_sees_the_notice_and_nobody_else(db_app: Flask, world: World) -> None:
    claire, paul = _client(db_app, "claire@test.fr"), _client(db_app, "paul@test.fr")
    assert NEWS not in claire.get("/conseil/").get_data(as_text=True)
    complete(db_app, world.assignments[BFI])
    name = db_app.extensions["boussole.instruments"][BFI].name.fr
    page = claire.get("/conseil/").get_data(as_text=True)
    assert "Nouveau : 1 questionnaire terminé depuis votre dernière visite" in page
    assert f"Camille Martin a terminé « {name} »" in page
    assert f'href="/conseil/questionnaires/{world.assignments[BFI]}/profil"' in page
    other = paul.get("/conseil/").get_data(as_text=True)
    assert NEWS not in other and "Camille Martin" not in other
    # opening the profile clears it; a second questionnaire makes a new one
    assert claire.get(f"/conseil/questionnaires/{world.assignments[BFI]}/profil").status_code == 200
    assert NEWS not in claire.get("/conseil/").get_data(as_text=True)
    complete(db_app, world.assignments[RIASEC])
    assert "Nouveau : 1 questionnaire" in claire.get("/conseil/").get_data(as_text=True)


def test_a_notice_is_dismissed_by_its_counsellor_only(db_app: Flask, world: World) -> None:
    from service.extensions import db
    from service.models import CompletionNotice

    claire, paul = _client(db_app, "claire@test.fr"), _client(db_app, "paul@test.fr")
    complete(db_app, world.assignments[BFI])
    complete(db_app, world.assignments[RIASEC])
    assert "Nouveau : 2 questionnaires terminés" in claire.get("/conseil/").get_data(as_text=True)
    with db_app.app_context(), db.standalone() as s:
        notice = s.scalars(
            select(CompletionNotice).where(CompletionNotice.assignment_id == world.assignments[BFI])
        ).one()
        notice_id = notice.id
    assert paul.post(f"/conseil/nouveautes/{notice_id}/vu").status_code == 404
    assert _notices(db_app) == 2
    response = claire.post(f"/conseil/nouveautes/{notice_id}/vu", data={"next": "/conseil/?q=x"})
    assert response.status_code == 302 and response.headers["Location"] == "/conseil/?q=x"
    page = claire.get("/conseil/").get_data(as_text=True)
    assert "Nouveau : 1 questionnaire terminé" in page
    assert claire.post(f"/conseil/nouveautes/{notice_id}/vu").status_code == 404  # gone


def test_mail_only_to_counsellors_who_asked_without_result_or_name(
    db_app: Flask, world: World, box: Box
) -> None:
    from service.extensions import db
    from service.models import Bilan, StaffUser

    claire = _client(db_app, "claire@test.fr")
    with db_app.app_context(), db.standalone() as s:  # Paul follows the bilan too
        bilan = s.get(Bilan, world.bilan)
        paul = s.get(StaffUser, world.other_counsellor)
        assert bilan is not None and paul is not None
        bilan.counsellors.append(paul)
    complete(db_app, world.assignments[BFI])
    assert box.sent == []  # off by default
    page = claire.get("/mon-compte").get_data(as_text=True)
    assert 'name="notify_completions"' in page and "checked" not in page
    _opt_in(claire)
    assert "checked" in claire.get("/mon-compte").get_data(as_text=True)
    complete(db_app, world.assignments[RIASEC])
    assert [to for to, _s, _b in box.sent] == ["claire@test.fr"]  # not Paul: not asked
    _to, subject, body = box.sent[0]
    assert subject == "Boussole : un questionnaire a été terminé"
    assert db_app.extensions["boussole.instruments"][RIASEC].name.fr in body
    assert f"/conseil/bilans/{world.bilan}" in body
    for private in ("Camille", "Martin", "Social", "Artistique", "score"):
        assert private not in body
    _opt_in(claire, wanted=False)
    complete(db_app, world.assignments["valeurs-travail"])
    assert len(box.sent) == 1


def test_no_mail_when_the_completion_is_rolled_back(db_app: Flask, world: World, box: Box) -> None:
    from service.extensions import db
    from service.features.journey import completion
    from service.features.journey import store as answer_store
    from service.models import Assignment
    from tests.service.test_counsellor import answers_for

    _opt_in(_client(db_app, "claire@test.fr"))
    aid = world.assignments[BFI]
    with db_app.test_request_context():
        s = db.session
        for item, value in answers_for(db_app, BFI).items():
            answer_store.upsert_answer(s, aid, item, value)
        s.commit()
        a = s.get(Assignment, aid)
        assert a is not None
        done = completion.complete(s, a, db_app.extensions["boussole.instruments"][BFI], per_page=6)
        assert done.completed
        s.rollback()
    assert box.sent == [] and _notices(db_app) == 0


def test_anonymous_questionnaires_notify_nobody(db_app: Flask, world: World, box: Box) -> None:
    from service.extensions import db
    from service.features.followup import service as followup
    from service.models import Bilan
    from tests.service.test_satisfaction_anonymity import satisfaction_answers

    claire = _client(db_app, "claire@test.fr")
    _opt_in(claire)
    with db_app.app_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        result = followup.end_bilan(
            s, bilan, db_app.extensions["boussole.instruments"], when=utcnow()
        )
        assert result.satisfaction is not None
        survey = result.satisfaction.id
    complete(db_app, survey, satisfaction_answers(), seconds=1)
    assert box.sent == [] and _notices(db_app) == 0
    assert NEWS not in claire.get("/conseil/").get_data(as_text=True)
    complete(db_app, world.assignments[BFI])  # the same counsellor, a scored questionnaire
    assert len(box.sent) == 1 and _notices(db_app) == 1


def test_the_account_page_is_for_staff_and_refuses_a_bad_token(
    csrf_app: Flask, world: World
) -> None:
    visitor = csrf_app.test_client()
    assert visitor.get("/mon-compte").status_code == 302  # to the sign-in page
    person = csrf_app.test_client()
    sign_in_beneficiary(person, csrf_app, world.beneficiary)
    assert person.get("/mon-compte").status_code == 403
    admin = csrf_app.test_client()
    page = admin.get("/connexion").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    admin.post(
        "/connexion",
        data={"email": "admin@test.fr", "password": world.password, "csrf_token": token},
    )
    assert "Mon compte" in admin.get("/mon-compte").get_data(as_text=True)
    refused = admin.post("/mon-compte", data={"notify_completions": "y"})
    assert refused.status_code == 400
    from service.extensions import db
    from service.models import StaffUser

    with csrf_app.app_context(), db.standalone() as s:
        staff = s.get(StaffUser, world.admin)
        assert staff is not None and staff.notify_completions is False


def test_the_bilan_page_marks_the_new_questionnaire(db_app: Flask, world: World) -> None:
    claire = _client(db_app, "claire@test.fr")
    page = claire.get(f"/conseil/bilans/{world.bilan}").get_data(as_text=True)
    assert '<span class="badge">nouveau</span>' not in page
    complete(db_app, world.assignments[BFI])
    page = claire.get(f"/conseil/bilans/{world.bilan}").get_data(as_text=True)
    name = db_app.extensions["boussole.instruments"][BFI].name.fr
    assert f'<span class="badge">nouveau</span> {name}' in page
    assert page.count('<span class="badge">nouveau</span>') == 1


def test_a_mail_that_fails_does_not_undo_the_completion(
    db_app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    from service.extensions import db
    from service.models import Assignment

    class Broken:
        def send(self, to: str, subject: str, body: str) -> None:
            raise RuntimeError("the mail server answered nonsense")

    _opt_in(_client(db_app, "claire@test.fr"))
    db_app.extensions["boussole.mail"] = Broken()
    complete(db_app, world.assignments[BFI])
    with db_app.app_context(), db.standalone() as s:
        assignment = s.get(Assignment, world.assignments[BFI])
        assert assignment is not None and assignment.is_completed
    assert _notices(db_app) == 1
    assert "completion notice to claire@test.fr not sent" in caplog.text
