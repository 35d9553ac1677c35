"""End of the bilan, 6-month follow-up, reminders and the ``boussole suivi`` command.

Dates are computed by hand: a bilan ended on 31 August 2026 has its follow-up on
28 February 2027 (no 31 February); reminders fall 7, 14 and 21 days after the assignment,
then stop (3 at most).
"""

from __future__ import annotations

import datetime as dt
import doctest
import email
import email.policy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select

from service import dates
from service.features.followup import service as followup
from tests.service.conftest import World, open_invitation, sign_in_beneficiary, sign_in_staff

PARIS = followup.PARIS
BASE = "https://boussole.exemple.fr"


class FakeMailer:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.fail = fail

    def send(self, to: str, subject: str, body_text: str) -> None:
        if self.fail:
            raise OSError("serveur SMTP injoignable")
        self.sent.append((to, subject, body_text))


def paris(y: int, m: int, d: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(y, m, d, hour, tzinfo=PARIS)


def set_values(app: Flask, model: Any, pk: int, **values: Any) -> None:
    from service.extensions import db

    with app.app_context(), db.standalone() as s:
        row = s.get(model, pk)
        for k, v in values.items():
            setattr(row, k, v)


def end(app: Flask, bilan_id: int, when: dt.datetime) -> followup.EndResult:
    from service.extensions import db
    from service.models import Bilan

    with app.test_request_context(), db.standalone() as s:
        bilan = s.get(Bilan, bilan_id)
        assert bilan is not None
        return followup.end_bilan(s, bilan, app.extensions["boussole.instruments"], when=when)


def run(app: Flask, today: dt.date, mailer: FakeMailer) -> followup.FollowupSummary:
    from service.extensions import db

    with app.app_context(), db.standalone() as s:
        return followup.run_followups(
            s, app.extensions["boussole.instruments"], mailer, today=today, base_url=BASE + "/"
        )


def auto(app: Flask, bilan_id: int) -> list[tuple[str, str | None, str, str]]:
    """(instrument, purpose, language, status) of the automatic assignments of a bilan."""
    from service.extensions import db
    from service.models import Assignment

    with app.app_context(), db.standalone() as s:
        return [
            (a.instrument_id, a.purpose, a.language, a.status)
            for a in s.scalars(
                select(Assignment)
                .where(Assignment.bilan_id == bilan_id, Assignment.purpose.is_not(None))
                .order_by(Assignment.id)
            )
        ]


def bilan_state(app: Flask, bilan_id: int) -> tuple[str, dt.date | None, dt.datetime | None]:
    from service.extensions import db
    from service.models import Bilan

    with app.app_context(), db.standalone() as s:
        b = s.get(Bilan, bilan_id)
        assert b is not None
        return b.status, b.followup_date, b.ended_at


def auto_reminders(app: Flask) -> int:
    from service.extensions import db
    from service.models import AuditEvent

    with app.app_context(), db.standalone() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == followup.AUTO_REMINDER)
            )
            or 0
        )


# --- dates ---------------------------------------------------------------------------------


def test_the_date_helpers_doctests_pass() -> None:
    result = doctest.testmod(dates)
    assert result.failed == 0 and result.attempted >= 8


@pytest.mark.parametrize(
    ("ended", "expected"),
    [
        (paris(2026, 8, 31), dt.date(2027, 2, 28)),  # no 31 February
        (paris(2023, 8, 31), dt.date(2024, 2, 29)),  # leap year
        (paris(2026, 5, 20), dt.date(2026, 11, 20)),
        (paris(2026, 12, 31), dt.date(2027, 6, 30)),  # June has 30 days
        # 31 May, 23:30 in Paris is still 31 May there (21:30 UTC): 30 November
        (dt.datetime(2026, 5, 31, 21, 30, tzinfo=dt.UTC), dt.date(2026, 11, 30)),
        # 31 May, 22:30 UTC is already 1 June in Paris (summer time): 1 December
        (dt.datetime(2026, 5, 31, 22, 30, tzinfo=dt.UTC), dt.date(2026, 12, 1)),
    ],
)
def test_followup_date_is_six_months_after_the_end_in_paris(
    ended: dt.datetime, expected: dt.date
) -> None:
    assert followup.followup_date_for(ended) == expected


# --- end of the bilan ----------------------------------------------------------------------


def test_end_bilan_sets_status_followup_date_and_assigns_satisfaction_once(
    db_app: Flask, world: World
) -> None:
    from service.models import Beneficiary

    set_values(db_app, Beneficiary, world.beneficiary, language="en")
    first = end(db_app, world.bilan, paris(2026, 8, 31, 17))
    assert not first.already_ended and first.assigned_now
    assert first.followup_date == dt.date(2027, 2, 28)
    status, followup_date, ended_at = bilan_state(db_app, world.bilan)
    assert status == "termine" and followup_date == dt.date(2027, 2, 28)
    assert followup.paris_date(ended_at or dt.datetime.min) == dt.date(2026, 8, 31)
    # in the beneficiary's language, for the "end" moment
    assert auto(db_app, world.bilan) == [("satisfaction-fin-bilan", "end", "en", "not_started")]

    again = end(db_app, world.bilan, paris(2026, 9, 15))
    assert again.already_ended and not again.assigned_now
    assert auto(db_app, world.bilan) == [("satisfaction-fin-bilan", "end", "en", "not_started")]
    assert bilan_state(db_app, world.bilan)[2] == ended_at  # the first end is kept


def test_end_bilan_keeps_a_followup_date_already_chosen(db_app: Flask, world: World) -> None:
    from service.models import Bilan

    set_values(db_app, Bilan, world.bilan, followup_date=dt.date(2026, 12, 1))
    result = end(db_app, world.bilan, paris(2026, 9, 1))
    assert result.followup_date == dt.date(2026, 12, 1)
    assert bilan_state(db_app, world.bilan)[1] == dt.date(2026, 12, 1)


def test_end_bilan_refuses_a_future_date_or_one_before_the_start(
    db_app: Flask, world: World
) -> None:
    from service.models import Bilan

    tomorrow = dt.datetime.now(PARIS) + dt.timedelta(days=1)
    with pytest.raises(followup.FollowupError, match="futur"):
        end(db_app, world.bilan, tomorrow)
    set_values(db_app, Bilan, world.bilan, start_date=dt.date(2026, 3, 2))
    with pytest.raises(followup.FollowupError, match="2 mars 2026"):
        end(db_app, world.bilan, paris(2026, 3, 1))
    assert bilan_state(db_app, world.bilan) == ("preliminaire", None, None)
    assert auto(db_app, world.bilan) == []


def test_counsellor_ends_the_bilan_from_the_page(db_app: Flask, world: World) -> None:
    claire = db_app.test_client()
    sign_in_staff(claire, "claire@test.fr")
    url = f"/conseil/bilans/{world.bilan}/fin"
    page = claire.get(url).get_data(as_text=True)
    assert "Terminer le bilan" in page and 'type="date"' in page

    bad = claire.post(url, data={"ended_on": "31/02/2026"})
    assert bad.status_code == 422
    assert "Date de fin : indiquez une date valide" in bad.get_data(as_text=True)
    future = (dt.datetime.now(PARIS).date() + dt.timedelta(days=3)).isoformat()
    refused = claire.post(url, data={"ended_on": future})
    assert refused.status_code == 422
    assert "ne peut pas être dans le futur" in refused.get_data(as_text=True)
    assert auto(db_app, world.bilan) == []

    done = claire.post(url, data={"ended_on": "2026-08-31"}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert done.status_code == 200
    assert "Bilan terminé le 31 août 2026" in html
    assert "Suivi à 6 mois prévu le 28 février 2027" in html
    assert "Le questionnaire de satisfaction de fin de bilan est assigné." in html
    assert "Satisfaction de fin de bilan" in html

    twice = claire.post(url, data={}, follow_redirects=True).get_data(as_text=True)
    assert "déjà terminé" in twice
    assert auto(db_app, world.bilan) == [("satisfaction-fin-bilan", "end", "fr", "not_started")]
    from tests.service.test_counsellor import audit_actions

    assert audit_actions(db_app).count((f"staff:{world.counsellor}", "end_bilan")) == 1


def test_ending_can_mail_a_link_to_the_satisfaction_questionnaire(
    db_app: Flask, world: World
) -> None:
    from service.models import Beneficiary

    mailer = FakeMailer()
    db_app.extensions["boussole.mail"] = mailer
    set_values(
        db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr", sign_in_way="mail"
    )
    claire = db_app.test_client()
    sign_in_staff(claire, "claire@test.fr")
    claire.post(f"/conseil/bilans/{world.bilan}/fin", data={"send_link": "y"})
    assert len(mailer.sent) == 1
    to, subject, body = mailer.sent[0]
    assert to == "camille@exemple.fr" and "avis" in subject
    link = next(w for w in body.split() if "/invitation/" in w)
    person = db_app.test_client()
    assert open_invitation(person, link.split("localhost", 1)[1]).status_code == 302  # a valid link
    home = person.get("/espace/").get_data(as_text=True)
    assert "Satisfaction de fin de bilan" in home


def test_only_the_counsellors_of_the_bilan_can_end_it(db_app: Flask, world: World) -> None:
    url = f"/conseil/bilans/{world.bilan}/fin"
    paul = db_app.test_client()
    sign_in_staff(paul, "paul@test.fr")
    admin = db_app.test_client()
    sign_in_staff(admin, "admin@test.fr")
    person = db_app.test_client()
    sign_in_beneficiary(person, db_app, world.beneficiary)
    anonymous = db_app.test_client()
    for client, code in ((paul, 404), (admin, 404), (person, 403)):
        assert client.get(url).status_code == code
        assert client.post(url, data={"ended_on": "2026-08-31"}).status_code == code
    response = anonymous.post(url, data={"ended_on": "2026-08-31"})
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert bilan_state(db_app, world.bilan) == ("preliminaire", None, None)
    assert auto(db_app, world.bilan) == []


# --- the follow-up job ---------------------------------------------------------------------


def test_followup_starts_on_its_date_once_and_mails_a_working_link(
    db_app: Flask, world: World
) -> None:
    from service.models import Beneficiary

    set_values(
        db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr", sign_in_way="mail"
    )
    end(db_app, world.bilan, paris(2026, 5, 20))  # follow-up on 20 November 2026
    mailer = FakeMailer()

    before = run(db_app, dt.date(2026, 11, 19), mailer)
    assert before.followups_started == 0 and mailer.sent == []
    assert bilan_state(db_app, world.bilan)[0] == "termine"

    summary = run(db_app, dt.date(2026, 11, 20), mailer)
    assert (summary.followups_started, summary.questionnaires_assigned, summary.links_sent) == (
        1,
        2,
        1,
    )
    assert bilan_state(db_app, world.bilan)[0] == "suivi"
    assert auto(db_app, world.bilan) == [
        ("satisfaction-fin-bilan", "end", "fr", "not_started"),
        ("suivi-6-mois", "followup", "fr", "not_started"),
        ("satisfaction-fin-bilan", "followup", "fr", "not_started"),
    ]
    to, _subject, body = mailer.sent[0]
    assert to == "camille@exemple.fr"
    assert "« Suivi à 6 mois »" in body and "« Satisfaction de fin de bilan »" in body
    link = next(w for w in body.split() if w.startswith(BASE + "/invitation/"))
    person = db_app.test_client()
    assert open_invitation(person, link.removeprefix(BASE)).status_code == 302  # the link signs in
    assert "Suivi à 6 mois" in person.get("/espace/").get_data(as_text=True)

    again = run(db_app, dt.date(2026, 11, 20), mailer)
    assert (again.followups_started, again.questionnaires_assigned, again.links_sent) == (0, 0, 0)
    assert len(mailer.sent) == 1 and len(auto(db_app, world.bilan)) == 3


def test_followup_waits_for_an_ended_bilan(db_app: Flask, world: World) -> None:
    """A follow-up date on a running bilan (set by hand) starts nothing until it ends."""
    from service.models import Bilan

    set_values(db_app, Bilan, world.bilan, followup_date=dt.date(2026, 6, 1))
    summary = run(db_app, dt.date(2026, 11, 20), FakeMailer())
    assert summary.followups_started == 0 and auto(db_app, world.bilan) == []


def test_followup_without_email_still_assigns_and_a_mail_failure_is_counted(
    db_app: Flask, world: World
) -> None:
    from service.models import Beneficiary

    end(db_app, world.bilan, paris(2026, 5, 20))
    end(db_app, world.other_bilan, paris(2026, 5, 20))
    set_values(db_app, Beneficiary, world.other_beneficiary, email="dominique@exemple.fr")
    summary = run(db_app, dt.date(2026, 11, 20), FakeMailer(fail=True))
    assert summary.followups_started == 2 and summary.questionnaires_assigned == 4
    assert summary.without_email == 1 and summary.mail_failures == 1 and summary.links_sent == 0
    assert bilan_state(db_app, world.other_bilan)[0] == "suivi"


def test_followup_waits_when_its_questionnaires_are_not_installed(
    db_app: Flask, world: World
) -> None:
    from service.extensions import db

    end(db_app, world.bilan, paris(2026, 5, 20))
    installed = dict(db_app.extensions["boussole.instruments"])
    del installed["suivi-6-mois"]
    with db_app.app_context(), db.standalone() as s:
        summary = followup.run_followups(
            s, installed, FakeMailer(), today=dt.date(2026, 11, 20), base_url=BASE
        )
    assert summary.missing_instruments == ["suivi-6-mois"] and summary.followups_started == 0
    assert bilan_state(db_app, world.bilan)[0] == "termine"  # a later run will start it


# --- reminders -----------------------------------------------------------------------------


def test_reminders_after_7_days_then_every_7_days_at_most_3(db_app: Flask, world: World) -> None:
    from service.models import Assignment, Beneficiary

    set_values(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    result = end(db_app, world.bilan, paris(2026, 8, 31))
    assert result.satisfaction is not None
    aid = result.satisfaction.id
    set_values(db_app, Assignment, aid, assigned_at=paris(2026, 9, 1, 18))
    mailer = FakeMailer()
    # (day, reminders sent that day): 6 days is too early; 7 days after; not the next
    # day; 7 days after the previous one; then the third; then none (3 at most).
    schedule = [
        (dt.date(2026, 9, 7), 0),
        (dt.date(2026, 9, 8), 1),
        (dt.date(2026, 9, 9), 0),
        (dt.date(2026, 9, 14), 0),
        (dt.date(2026, 9, 15), 1),
        (dt.date(2026, 9, 22), 1),
        (dt.date(2026, 9, 29), 0),
        (dt.date(2026, 10, 30), 0),
    ]
    for day, expected in schedule:
        summary = run(db_app, day, mailer)
        assert summary.reminders_sent == expected, day
    assert len(mailer.sent) == 3 and auto_reminders(db_app) == 3
    assert summary.reminders_exhausted == 1
    to, subject, body = mailer.sent[-1]
    assert to == "camille@exemple.fr" and subject.startswith("Rappel")
    assert "« Satisfaction de fin de bilan »" in body and BASE + "/invitation/" in body
    # the other questionnaires of the bilan (assigned by the counsellor) are never reminded
    assert "Intérêts" not in body and "RIASEC" not in body


def test_a_counsellor_reminder_counts_for_the_7_days(db_app: Flask, world: World) -> None:
    from service.models import Assignment, Beneficiary

    set_values(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    result = end(db_app, world.bilan, paris(2026, 8, 31))
    assert result.satisfaction is not None
    aid = result.satisfaction.id
    set_values(
        db_app,
        Assignment,
        aid,
        assigned_at=paris(2026, 9, 1),
        reminded_at=paris(2026, 9, 5),  # "Relancer par e-mail" on 5 September
    )
    mailer = FakeMailer()
    assert run(db_app, dt.date(2026, 9, 8), mailer).reminders_sent == 0
    assert run(db_app, dt.date(2026, 9, 12), mailer).reminders_sent == 1


def test_no_reminder_once_completed_or_closed_or_without_address(
    db_app: Flask, world: World
) -> None:
    from service.models import Assignment, Beneficiary, Bilan
    from tests.service.test_counsellor import complete

    result = end(db_app, world.bilan, paris(2026, 8, 31))
    other = end(db_app, world.other_bilan, paris(2026, 8, 31))
    assert result.satisfaction is not None and other.satisfaction is not None
    for aid in (result.satisfaction.id, other.satisfaction.id):
        set_values(db_app, Assignment, aid, assigned_at=paris(2026, 9, 1))
    mailer = FakeMailer()
    summary = run(db_app, dt.date(2026, 9, 8), mailer)  # nobody has an address
    assert summary.reminders_sent == 0 and summary.without_email == 2 and mailer.sent == []

    set_values(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    set_values(db_app, Beneficiary, world.other_beneficiary, email="dominique@exemple.fr")
    complete(db_app, result.satisfaction.id, {"SAT14": 4})
    set_values(db_app, Bilan, world.other_bilan, status="clos")
    summary = run(db_app, dt.date(2026, 9, 8), mailer)
    assert summary.reminders_sent == 0 and mailer.sent == []


def test_one_reminder_mail_for_both_followup_questionnaires(db_app: Flask, world: World) -> None:
    from service.models import Beneficiary
    from tests.service.test_counsellor import complete

    set_values(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    result = end(db_app, world.bilan, paris(2026, 5, 20))
    assert result.satisfaction is not None

    complete(db_app, result.satisfaction.id, {"SAT14": 3})  # the end survey was answered
    mailer = FakeMailer()
    run(db_app, dt.date(2026, 11, 20), mailer)  # follow-up starts: 1 mail with the link
    summary = run(db_app, dt.date(2026, 11, 27), mailer)
    assert (summary.reminders_sent, summary.questionnaires_reminded) == (1, 2)
    assert len(mailer.sent) == 2
    body = mailer.sent[1][2]
    assert "« Suivi à 6 mois »" in body and "« Satisfaction de fin de bilan »" in body


# --- the command ---------------------------------------------------------------------------


def test_boussole_suivi_command(
    db_app: Flask,
    world: World,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from service.cli import main
    from service.models import Beneficiary

    set_values(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    end(db_app, world.bilan, paris(2026, 8, 31))  # follow-up on 28 February 2027
    folder = tmp_path / "cli-mail"
    monkeypatch.setenv("BOUSSOLE_DATABASE_URL", db_url)
    monkeypatch.setenv("BOUSSOLE_MAIL_FOLDER", str(folder))
    monkeypatch.setenv("BOUSSOLE_SECRET_KEY", "x" * 40)
    runner = CliRunner()

    # the day before: no follow-up yet, but the end survey (assigned today, not answered)
    # is reminded once
    early = runner.invoke(main, ["suivi", "--date", "2027-02-27", "--base-url", BASE])
    assert early.exit_code == 0, early.output
    assert "bilans passés en suivi à 6 mois : 0" in early.output
    assert "relances envoyées : 1 (1 questionnaire)" in early.output
    assert len(list(folder.glob("*.eml"))) == 1

    result = runner.invoke(main, ["suivi", "--date", "2027-02-28", "--base-url", BASE])
    assert result.exit_code == 0, result.output
    assert "Suivi du 28/02/2027" in result.output
    assert "bilans passés en suivi à 6 mois : 1" in result.output
    assert "questionnaires assignés : 2" in result.output
    assert "liens de suivi envoyés par e-mail : 1" in result.output
    assert "relances envoyées : 0" in result.output
    messages = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in folder.glob("*.eml")
    ]
    (message,) = [m for m in messages if "six mois" in str(m["Subject"])]
    assert message["To"] == "camille@exemple.fr"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and BASE + "/invitation/" in body.get_content()
    assert bilan_state(db_app, world.bilan)[0] == "suivi"

    # the base URL comes from BOUSSOLE_PUBLIC_URL when not given; without either: an error
    missing = runner.invoke(main, ["suivi", "--date", "2027-02-28"])
    assert missing.exit_code == 1 and "--base-url" in missing.output
    monkeypatch.setenv("BOUSSOLE_PUBLIC_URL", BASE)
    assert runner.invoke(main, ["suivi", "--date", "2027-02-28"]).exit_code == 0
    bad = runner.invoke(main, ["suivi", "--date", "28/02/2027"])
    assert bad.exit_code == 2


def test_boussole_suivi_exits_1_when_a_mail_fails(
    db_app: Flask,
    world: World,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from service.cli import main
    from service.models import Beneficiary

    set_values(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    end(db_app, world.bilan, paris(2026, 8, 31))
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the mail folder should be", encoding="utf-8")
    monkeypatch.setenv("BOUSSOLE_DATABASE_URL", db_url)
    monkeypatch.setenv("BOUSSOLE_MAIL_FOLDER", str(blocked))
    monkeypatch.setenv("BOUSSOLE_SECRET_KEY", "x" * 40)
    result = CliRunner().invoke(main, ["suivi", "--date", "2027-02-28", "--base-url", BASE])
    assert result.exit_code == 1
    assert "1 e-mail n’a pas pu être envoyé" in result.output
    assert bilan_state(db_app, world.bilan)[0] == "suivi"  # the rest is recorded


def test_no_reminder_on_top_of_the_followup_mail(db_app: Flask, world: World) -> None:
    """The end survey, never answered nor reminded, is due for a reminder on the day the
    follow-up starts: the person gets the follow-up mail only."""
    from service.models import Assignment, Beneficiary

    set_values(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    result = end(db_app, world.bilan, paris(2026, 5, 20))
    assert result.satisfaction is not None
    set_values(db_app, Assignment, result.satisfaction.id, assigned_at=paris(2026, 5, 20))
    mailer = FakeMailer()
    summary = run(db_app, dt.date(2026, 11, 20), mailer)
    assert (summary.links_sent, summary.reminders_sent) == (1, 0)
    assert len(mailer.sent) == 1
    # a week later, the two follow-up questionnaires are reminded together; the end
    # survey no longer is (its moment has passed)
    later = run(db_app, dt.date(2026, 11, 27), mailer)
    assert (later.reminders_sent, later.questionnaires_reminded) == (1, 2)
    assert mailer.sent[1][2].count("« Satisfaction de fin de bilan »") == 1
