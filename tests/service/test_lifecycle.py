"""The content of a bilan is destroyed on schedule (R6313-4 to R6313-8, GDPR), and a
withdrawn consent stops every processing of its results at once.

The clock is faked (``service.dates.utcnow``, which ``paris_today`` reads): the bilan ends
on 31 August 2026, ``boussole purge`` runs on the days around the deadlines.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service import dates
from service.dates import PARIS
from service.features.followup import service as followup
from service.features.journey.consent import CONSENT_VERSION
from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff
from tests.service.test_counsellor import complete

BFI = "ipip-bfi-25"
RIASEC = "riasec-60"
VALUES = "valeurs-travail"
END = dt.datetime(2026, 8, 31, 12, tzinfo=PARIS)

#: Every free-text column of content, and where the marker goes (see ``plant``).
MARKER = "MARQUEUR-UNIQUE-"


def marker(where: str) -> str:
    return f"{MARKER}{where}-7f3a"


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.datetime], None]:
    """Set the time the service reads (``dates.utcnow``, hence ``paris_today``)."""

    def set_now(moment: dt.datetime) -> None:
        fixed = moment.astimezone(dt.UTC)
        monkeypatch.setattr(dates, "utcnow", lambda: fixed)

    set_now(END - dt.timedelta(days=10))
    return set_now


@pytest.fixture
def cli(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Any]]:
    from service.cli import main

    monkeypatch.setenv("BOUSSOLE_DATABASE_URL", db_url)
    monkeypatch.setenv("BOUSSOLE_MAIL_FOLDER", str(tmp_path / "cli-mail"))
    monkeypatch.setenv("BOUSSOLE_SECRET_KEY", "x" * 40)
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(main, ["purge", *args])
        assert result.exit_code == 0, result.output
        return result

    yield run


def consent(
    app: Flask,
    world: World,
    *,
    keep: bool,
    accepted: bool = True,
    at: dt.datetime,
    months: int = 12,
) -> None:
    from service.extensions import db
    from service.features.journey.consent import record_consent
    from service.models import Beneficiary, Bilan

    with app.app_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        person = s.get(Beneficiary, world.beneficiary)
        assert bilan is not None and person is not None
        c = record_consent(
            s, bilan, person, accepted=accepted, keep_for_followup=keep, keep_months=months
        )
        c.recorded_at = at.astimezone(dt.UTC)


def plant(app: Flask, world: World) -> None:
    """Complete the three questionnaires and write a marker in every content text field."""
    from service.extensions import db
    from service.features.journey import store
    from service.models import (
        ActionItem,
        Assignment,
        Bilan,
        BilanStep,
        CounsellorNote,
        GapTarget,
        Interview,
        PersonalWork,
        PortfolioChange,
        PortfolioEntry,
        Realisation,
        RealisationLink,
        ScoreRecord,
        SynthesisItem,
        SynthesisVersion,
    )

    for iid in (BFI, RIASEC, VALUES):
        complete(app, world.assignments[iid])
    with app.app_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        bilan.objectives = marker("objectives")
        bilan.report_comment = marker("report_comment")
        bilan.report_released_at = dates.utcnow()
        bfi = world.assignments[BFI]
        a = s.get(Assignment, bfi)
        assert a is not None
        a.report_comment = marker("assignment_comment")
        a.released_at = dates.utcnow()
        store.upsert_answer(s, bfi, "texte.libre", marker("answer"))
        record = s.scalars(select(ScoreRecord).where(ScoreRecord.assignment_id == bfi)).one()
        record.notes = marker("score_notes")
        step = BilanStep(
            bilan_id=bilan.id,
            position=1,
            phase="investigation",
            name="Capital personnel",
            objectives=marker("step_objectives"),
            interview_hours=2,
            personal_hours=1,
        )
        s.add(step)
        s.flush()
        held = (END - dt.timedelta(days=20)).astimezone(dt.UTC)
        s.add_all(
            [
                CounsellorNote(bilan_id=bilan.id, author_id=world.counsellor, text=marker("note")),
                CounsellorNote(
                    bilan_id=bilan.id,
                    assignment_id=bfi,
                    author_id=world.counsellor,
                    text=marker("assignment_note"),
                ),
                Interview(
                    bilan_id=bilan.id,
                    step_id=step.id,
                    held_at=held,
                    minutes=90,
                    mode="presentiel",
                    topic=marker("interview_topic"),
                ),
                PersonalWork(
                    bilan_id=bilan.id,
                    step_id=step.id,
                    done_on=held.date(),
                    minutes=45,
                    kind="recherches",
                    description=marker("work_description"),
                ),
                SynthesisVersion(
                    bilan_id=bilan.id,
                    version=1,
                    circumstances=marker("circumstances"),
                    competences=marker("competences"),
                    project=marker("project"),
                    observations=marker("observations"),
                ),
                SynthesisItem(bilan_id=bilan.id, assignment_id=bfi, element="summary"),
                ActionItem(bilan_id=bilan.id, text=marker("action"), owner=marker("owner")),
            ]
        )
        entry = PortfolioEntry(
            bilan_id=bilan.id, label=marker("portfolio_entry"), rating=3, source="emploi"
        )
        realisation = Realisation(
            bilan_id=bilan.id,
            title=marker("realisation_title"),
            context=marker("realisation_context"),
            action=marker("realisation_action"),
            result=marker("realisation_result"),
            period=marker("realisation_period"),
        )
        s.add_all([entry, realisation])
        s.flush()
        s.add_all(
            [
                RealisationLink(realisation_id=realisation.id, entry_id=entry.id),
                GapTarget(
                    bilan_id=bilan.id,
                    code_rome="D1102",
                    label=marker("gap_target"),
                    appellation=marker("gap_appellation"),
                ),
                PortfolioChange(
                    bilan_id=bilan.id,
                    actor_kind="beneficiary",
                    actor_id=world.beneficiary,
                    action="add_entry",
                    snapshot=marker("portfolio_change"),
                ),
            ]
        )


def end_bilan(app: Flask, world: World, clock: Callable[[dt.datetime], None]) -> None:
    """End the bilan on :data:`END`, the clock set to that moment."""
    from service.extensions import db
    from service.models import Bilan

    with app.test_request_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        clock(END)
        followup.end_bilan(s, bilan, app.extensions["boussole.instruments"], when=END)


def content_counts(app: Flask, world: World) -> dict[str, int]:
    from service.extensions import db
    from service.features.lifecycle.service import content_of
    from service.models import Bilan

    with app.app_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        return content_of(s, bilan)


def proofs(app: Flask, world: World) -> dict[str, Any]:
    """The administrative proofs of the bilan, as the record and the attestation read them."""
    from service.extensions import db
    from service.features.followup.attendance import build_attendance
    from service.features.record import service as record
    from service.models import AuditEvent, Bilan, Consent, Interview, PersonalWork

    with app.test_request_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        summary = record.hours_summary(s, bilan)
        attendance = build_attendance(s, bilan, "fr")
        return {
            "ended": bilan.ended_at,
            "status": bilan.status,
            "assignments": [(a.instrument_id, a.status) for a in bilan.assignments],
            "interviews": [(i.held_at, i.minutes, i.mode) for i in s.scalars(select(Interview))],
            "work": [(w.done_on, w.minutes, w.kind) for w in s.scalars(select(PersonalWork))],
            "hours": summary,
            "attendance": (
                attendance.questionnaire_minutes,
                attendance.personal_minutes,
                attendance.interviews,
                attendance.questionnaires_done,
            ),
            "consents": s.scalar(select(func.count()).select_from(Consent)),
            "audit": s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action.not_like("purge:%"))
            ),
        }


def purge_events(app: Flask, world: World) -> list[tuple[str, str, int | None]]:
    from service.extensions import db
    from service.models import AuditEvent

    with app.app_context(), db.standalone() as s:
        return [
            (e.actor, e.action, e.bilan_id)
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.action.like("purge:%")).order_by(AuditEvent.id)
            )
        ]


ALL_KINDS = {
    "answers",
    "page_timings",
    "scores",
    "notes",
    "synthesis_items",
    "synthesis_versions",
    "action_plan",
    "portfolio_entries",
    "portfolio_realisations",
    "gap_targets",
    "portfolio_history",
    "interview_topics",
    "work_descriptions",
    "step_objectives",
    "report_comments",
    "objectives",
}


# --- the schedule -------------------------------------------------------------------------


def test_content_is_destroyed_when_the_bilan_ends_without_agreement(
    db_app: Flask, world: World, clock: Callable[[dt.datetime], None], cli: Callable[..., Any]
) -> None:
    consent(db_app, world, keep=False, at=END - dt.timedelta(days=60))
    plant(db_app, world)
    assert set(content_counts(db_app, world)) >= ALL_KINDS

    # running: nothing is due
    assert "rien à détruire" in cli().output
    assert set(content_counts(db_app, world)) >= ALL_KINDS

    end_bilan(db_app, world, clock)
    before = proofs(db_app, world)
    assert before["hours"].total.tests == 30 and before["attendance"][0] == 30  # 3 x 600 s
    clock(END + dt.timedelta(hours=1))
    # a dry run lists and keeps everything
    dry = cli("--dry-run").output
    assert f"bilan {world.bilan} (end)" in dry and "answers" in dry and "simulation" in dry
    assert set(content_counts(db_app, world)) >= ALL_KINDS
    assert purge_events(db_app, world) == []

    out = cli().output
    assert f"bilan {world.bilan} (end)" in out and "détruit : 1 bilan" in out
    assert content_counts(db_app, world) == {}
    assert proofs(db_app, world) == before  # no proof lost, hours and attestation unchanged
    events = purge_events(db_app, world)
    assert {action for _, action, _ in events} >= {f"purge:{k}" for k in ALL_KINDS}
    assert {(actor, bilan) for actor, _, bilan in events} == {("system:purge", world.bilan)}

    # idempotent: the next day, nothing more, no new event
    clock(END + dt.timedelta(days=1))
    assert "rien à détruire" in cli().output
    assert len(purge_events(db_app, world)) == len(events)


def test_with_the_agreement_content_is_kept_until_twelve_months_after_the_end(
    db_app: Flask, world: World, clock: Callable[[dt.datetime], None], cli: Callable[..., Any]
) -> None:
    consent(db_app, world, keep=True, at=END - dt.timedelta(days=60))
    plant(db_app, world)
    end_bilan(db_app, world, clock)
    for day in (
        END + dt.timedelta(days=1),
        dt.datetime(2027, 3, 1, 8, tzinfo=PARIS),
        dt.datetime(2027, 8, 30, 23, tzinfo=PARIS),
    ):
        clock(day)
        assert "rien à détruire" in cli().output
        assert set(content_counts(db_app, world)) >= ALL_KINDS
    clock(dt.datetime(2027, 8, 31, 6, tzinfo=PARIS))  # 12 months after the end
    out = cli().output
    assert f"bilan {world.bilan} (agreed_period)" in out
    assert content_counts(db_app, world) == {}


def test_revoking_the_agreement_after_the_end_destroys_at_once(
    db_app: Flask, world: World, clock: Callable[[dt.datetime], None], cli: Callable[..., Any]
) -> None:
    consent(db_app, world, keep=True, at=END - dt.timedelta(days=60))
    plant(db_app, world)
    end_bilan(db_app, world, clock)
    clock(END + dt.timedelta(days=30))
    assert "rien à détruire" in cli().output
    assert set(content_counts(db_app, world)) >= ALL_KINDS
    consent(db_app, world, keep=False, at=END + dt.timedelta(days=30))  # agreement revoked
    assert content_counts(db_app, world) == {}  # not at the next run: now
    events = purge_events(db_app, world)
    assert {actor for actor, _, _ in events} == {f"beneficiary:{world.beneficiary}"}
    clock(END + dt.timedelta(days=31))
    assert "rien à détruire" in cli().output


def test_the_beneficiary_can_no_longer_open_the_report_once_destroyed(
    db_app: Flask, world: World, clock: Callable[[dt.datetime], None], cli: Callable[..., Any]
) -> None:
    consent(db_app, world, keep=False, at=END - dt.timedelta(days=60))
    plant(db_app, world)
    end_bilan(db_app, world, clock)
    camille = db_app.test_client()
    sign_in_beneficiary(camille, db_app, world.beneficiary)
    assert camille.get(f"/espace/bilans/{world.bilan}/rapport").status_code == 200
    clock(END + dt.timedelta(hours=2))
    cli()
    sign_in_beneficiary(camille, db_app, world.beneficiary)  # two hours idle: signed out
    assert camille.get(f"/espace/bilans/{world.bilan}/rapport").status_code == 403
    claire = db_app.test_client()
    sign_in_staff(claire, "claire@test.fr")
    assert claire.get(f"/conseil/bilans/{world.bilan}/rapport").status_code == 404
    record = claire.get(f"/conseil/bilans/{world.bilan}/dossier")
    assert record.status_code == 200
    page = record.get_data(as_text=True)
    assert MARKER not in page
    assert "Contenu détruit le 31 août 2026" in page


def test_the_record_page_shows_the_agreement_and_the_destruction_day(
    db_app: Flask, world: World, clock: Callable[[dt.datetime], None]
) -> None:
    consent(db_app, world, keep=True, at=dt.datetime(2026, 6, 2, 10, tzinfo=PARIS))
    end_bilan(db_app, world, clock)
    claire = db_app.test_client()
    sign_in_staff(claire, "claire@test.fr")
    page = claire.get(f"/conseil/bilans/{world.bilan}/dossier").get_data(as_text=True)
    assert "donné le 2 juin 2026 (texte 2026-12-v2)" in page
    assert "Destruction du contenu prévue le 31 août 2027." in page
    consent(db_app, world, keep=False, at=dt.datetime(2026, 9, 2, 10, tzinfo=PARIS))  # revoked
    page = claire.get(f"/conseil/bilans/{world.bilan}/dossier").get_data(as_text=True)
    assert "Pas d’accord écrit pour conserver le contenu" in page
    assert "Destruction du contenu prévue le 31 août 2026." in page


# --- nothing left in the raw database -----------------------------------------------------


def _sqlite_path(db_url: str) -> Path:
    return Path(db_url.removeprefix("sqlite:///"))


def test_no_marker_is_left_in_the_raw_database(
    db_app: Flask,
    world: World,
    db_url: str,
    clock: Callable[[dt.datetime], None],
    cli: Callable[..., Any],
) -> None:
    consent(db_app, world, keep=False, at=END - dt.timedelta(days=60))
    plant(db_app, world)
    end_bilan(db_app, world, clock)
    from service.db import Base
    from service.extensions import db

    assert db.engine is not None
    if db.engine.dialect.name != "sqlite":  # the same check, through the table contents
        texts_before = _all_texts_pg(db.engine, Base)
        assert MARKER in texts_before
        clock(END + dt.timedelta(hours=1))
        cli()
        assert MARKER not in _all_texts_pg(db.engine, Base)
        return
    db.engine.dispose()
    path = _sqlite_path(db_url)
    assert MARKER in _all_texts_sqlite(path)
    assert MARKER.encode() in _raw_bytes(path)  # the byte search does see them
    clock(END + dt.timedelta(hours=1))
    cli()
    assert MARKER not in _all_texts_sqlite(path)
    # not in the file either: secure_delete zeroes freed pages, the WAL was checkpointed
    assert MARKER.encode() not in _raw_bytes(path)


def _raw_bytes(path: Path) -> bytes:
    """The database file and its write-ahead log, byte for byte."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _all_texts_sqlite(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        out = []
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                out.extend(str(v) for v in row if v is not None)
        return "\n".join(out)
    finally:
        conn.close()


def _all_texts_pg(engine: Any, base: Any) -> str:
    out = []
    with engine.connect() as conn:
        for table in base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                out.extend(str(v) for v in row if v is not None)
    return "\n".join(out)


# --- withdrawn consent --------------------------------------------------------------------


def test_every_sqlite_connection_turns_secure_delete_on(tmp_path: Path) -> None:
    """Debian's SQLite has it on by default, other builds do not: the app sets it."""
    from service.db import _sqlite_pragmas

    conn = sqlite3.connect(tmp_path / "x.sqlite")
    try:
        conn.execute("PRAGMA secure_delete=OFF")
        _sqlite_pragmas(conn, None)
        assert conn.execute("PRAGMA secure_delete").fetchone() == (1,)
    finally:
        conn.close()


def _counsellor_result_urls(world: World) -> list[str]:
    bfi = world.assignments[BFI]
    return [
        f"/conseil/questionnaires/{bfi}/profil",
        f"/conseil/questionnaires/{bfi}/profil?reponses=1",
        f"/conseil/bilans/{world.bilan}/rapport",
        f"/conseil/bilans/{world.bilan}/rapport.pdf",
    ]


def test_withdrawn_consent_stops_the_counsellor_seeing_results(
    db_app: Flask, world: World, clock: Callable[[dt.datetime], None]
) -> None:
    consent(db_app, world, keep=True, at=END - dt.timedelta(days=60))
    plant(db_app, world)
    claire: FlaskClient = db_app.test_client()
    sign_in_staff(claire, "claire@test.fr")
    before = {u: claire.get(u).status_code for u in _counsellor_result_urls(world)}
    assert before[_counsellor_result_urls(world)[0]] == 200
    export = claire.get(f"/conseil/bilans/{world.bilan}/scores.json").get_data(as_text=True)
    assert BFI in export
    compare = claire.get(f"/conseil/bilans/{world.bilan}/comparaison").get_data(as_text=True)

    consent(db_app, world, keep=False, accepted=False, at=END - dt.timedelta(days=5))
    for url in _counsellor_result_urls(world):
        assert claire.get(url).status_code == 404, url
    for fmt in ("json", "csv"):
        data = claire.get(f"/conseil/bilans/{world.bilan}/scores.{fmt}").get_data(as_text=True)
        assert BFI not in data and "riasec" not in data.lower()
    after = claire.get(f"/conseil/bilans/{world.bilan}/comparaison").get_data(as_text=True)
    assert len(after) < len(compare)
    caseload = claire.get("/conseil/portefeuille.csv")
    if caseload.status_code == 200:
        assert "Camille" not in caseload.get_data(as_text=True)
    # nor the person: the report and the results of a released questionnaire
    camille = db_app.test_client()
    sign_in_beneficiary(camille, db_app, world.beneficiary)
    assert camille.get(f"/espace/bilans/{world.bilan}/rapport").status_code == 403
    released = f"/espace/questionnaires/{world.assignments[BFI]}/resultats"
    assert camille.get(released).status_code == 403
    consent(db_app, world, keep=False, accepted=True, at=END - dt.timedelta(days=4))
    assert camille.get(released).status_code == 200  # consent given again: shown again
    assert claire.get(_counsellor_result_urls(world)[0]).status_code == 200


# --- erasure by the person ----------------------------------------------------------------


def test_after_the_end_the_person_erases_the_content_with_a_confirmation(
    db_app: Flask, world: World, clock: Callable[[dt.datetime], None]
) -> None:
    """While the bilan runs, even after a withdrawal, the person asks the centre (the
    request page is offered, immediate erasure is not); after the end, the content is
    kept only by their agreement: they erase it themselves, at once."""
    consent(db_app, world, keep=True, at=END - dt.timedelta(days=60))
    plant(db_app, world)
    camille = db_app.test_client()
    sign_in_beneficiary(camille, db_app, world.beneficiary)
    url = f"/espace/bilans/{world.bilan}/effacement"
    ask = f"/espace/bilans/{world.bilan}/demande-effacement"
    consent_url = f"/espace/bilans/{world.bilan}/consentement"
    assert camille.get(url).status_code == 403  # bilan running: not offered
    page = camille.get(consent_url).get_data(as_text=True)
    assert url not in page and ask in page

    camille.post(consent_url, data={"refuse": "1", "text_version": CONSENT_VERSION})
    assert camille.get(url).status_code == 403  # withdrawn, still running: a request
    consent_page = camille.get(consent_url).get_data(as_text=True)
    assert ask in consent_page and url not in consent_page
    assert set(content_counts(db_app, world)) >= ALL_KINDS  # a withdrawal destroys nothing

    consent(db_app, world, keep=True, at=END - dt.timedelta(days=4))  # agreed again
    end_bilan(db_app, world, clock)
    sign_in_beneficiary(camille, db_app, world.beneficiary)  # the clock moved: signed out
    assert url in camille.get(consent_url).get_data(as_text=True)
    page = camille.get(url)
    assert page.status_code == 200 and "Ce qui est conservé" in page.get_data(as_text=True)

    unconfirmed = camille.post(url, data={})
    assert unconfirmed.status_code == 422
    assert "Cochez la case" in unconfirmed.get_data(as_text=True)
    assert set(content_counts(db_app, world)) >= ALL_KINDS  # nothing destroyed

    other = db_app.test_client()
    sign_in_beneficiary(other, db_app, world.other_beneficiary)
    assert other.post(url, data={"confirm": "y"}).status_code == 404

    done = camille.post(url, data={"confirm": "y"})
    assert done.status_code == 302
    assert content_counts(db_app, world) == {}
    events = purge_events(db_app, world)
    assert events and {actor for actor, _, _ in events} == {f"beneficiary:{world.beneficiary}"}


# --- the person's archive -----------------------------------------------------------------


def _zip(client: FlaskClient, world: World) -> dict[str, bytes]:
    import io
    import zipfile

    response = client.get(f"/espace/bilans/{world.bilan}/mes-donnees.zip")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_person_downloads_all_their_data_as_a_zip_even_without_pdf(
    db_app: Flask,
    world: World,
    clock: Callable[[dt.datetime], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reports.restitution import PdfUnavailable
    from service.features.profiles import service as restitution

    consent(db_app, world, keep=False, at=END - dt.timedelta(days=60))
    plant(db_app, world)  # report released, a synthesis version (not shared yet)
    camille = db_app.test_client()
    sign_in_beneficiary(camille, db_app, world.beneficiary)

    def no_pdf(*args: Any, **kwargs: Any) -> bytes:
        raise PdfUnavailable("no PDF engine")

    monkeypatch.setattr(restitution, "report_pdf", no_pdf)
    files = _zip(camille, world)
    assert {"reponses.json", "reponses.csv", "scores.csv", "scores.json"} <= set(files)
    assert "rapport-restitution.html" in files and "rapport-restitution.pdf" not in files
    assert marker("answer").encode() in files["reponses.json"]
    portfolio = json.loads(files["portefeuille.json"])
    assert [e["libelle"] for e in portfolio["competences"]] == [marker("portfolio_entry")]
    assert portfolio["competences"][0]["niveau"] == 3
    assert portfolio["realisations"][0]["resultat"] == marker("realisation_result")
    assert portfolio["realisations"][0]["competences"] == [portfolio["competences"][0]["id"]]
    assert portfolio["analyses"][0]["code_rome"] == "D1102"
    assert BFI in files["scores.json"].decode()
    readme = files["LISEZMOI.txt"].decode()
    assert "PDF ne sont pas disponibles" in readme
    assert "Aucun document de synthèse" in readme  # the draft was never shared
    assert not any(n.startswith("synthese") for n in files)

    from service.extensions import db
    from service.models import SynthesisVersion

    with db_app.app_context(), db.standalone() as s:
        s.scalars(select(SynthesisVersion)).one().shared_at = dates.utcnow()
    files = _zip(camille, world)
    assert {"synthese.docx", "synthese.json"} <= set(files)
    assert marker("project").encode() in files["synthese.json"]

    other = db_app.test_client()
    sign_in_beneficiary(other, db_app, world.other_beneficiary)
    assert other.get(f"/espace/bilans/{world.bilan}/mes-donnees.zip").status_code == 404


# --- telling the person before the destruction --------------------------------------------


def test_the_person_is_told_14_days_ahead_on_the_home_page_and_once_by_mail(
    db_app: Flask,
    world: World,
    clock: Callable[[dt.datetime], None],
    cli: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from service.models import Beneficiary, Bilan
    from tests.service.test_counsellor import set_values

    monkeypatch.setenv("BOUSSOLE_PUBLIC_URL", "https://boussole.example")
    consent(db_app, world, keep=False, at=END - dt.timedelta(days=60))
    set_values(db_app, Beneficiary, world.beneficiary, email="camille@exemple.fr")
    set_values(db_app, Bilan, world.bilan, planned_end=dt.date(2026, 8, 31))
    camille = db_app.test_client()
    sign_in_beneficiary(camille, db_app, world.beneficiary)
    zip_link = f"/espace/bilans/{world.bilan}/mes-donnees.zip"
    mail = tmp_path / "cli-mail"

    clock(dt.datetime(2026, 8, 16, 9, tzinfo=PARIS))  # 15 days before: not yet
    sign_in_beneficiary(camille, db_app, world.beneficiary)  # the clock moved: signed out
    assert "seront détruits le" not in camille.get("/espace/").get_data(as_text=True)
    assert "avis de destruction envoyés par e-mail : 0" in cli().output

    clock(dt.datetime(2026, 8, 17, 9, tzinfo=PARIS))  # 14 days before
    sign_in_beneficiary(camille, db_app, world.beneficiary)
    home = camille.get("/espace/").get_data(as_text=True)
    assert zip_link in home and "seront détruits le 31 août 2026" in home
    assert "avis de destruction envoyés par e-mail : 1" in cli().output
    (sent,) = list(mail.glob("*.eml"))
    import email
    import email.policy

    message = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "31 août 2026" in text and "https://boussole.example/espace/" in text
    clock(dt.datetime(2026, 8, 18, 9, tzinfo=PARIS))
    assert "avis de destruction envoyés par e-mail : 0" in cli().output  # once per bilan
    assert len(list(mail.glob("*.eml"))) == 1
