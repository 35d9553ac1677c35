"""The attestation of attendance of a bilan, from the database to :mod:`reports.attendance`.

Only administrative records are read: the bilan's dates, funding and commanditaire, the
interviews (date, duration, mode: never their topic), the personal work (minutes: never
its description), the time measured on the questionnaires' pages and how many
questionnaires were completed (never which ones, never their answers or scores). The
questionnaires assigned for the satisfaction survey and the follow-up (``purpose`` set)
are not part of the bilan's work and are not counted.
"""

from __future__ import annotations

import gettext
import math

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reports.attendance import Attendance, InterviewLine, render_html
from reports.restitution import render_pdf
from service.dates import paris_date, paris_today
from service.models import Assignment, Bilan, Centre, Interview, PageTiming, PersonalWork
from service.models.states import AssignmentStatus


def build_attendance(session: Session, bilan: Bilan, lang: str) -> Attendance:
    centre = session.get(Centre, bilan.centre_id)
    interviews = tuple(
        InterviewLine(day=paris_date(held_at), minutes=int(minutes), mode=mode)
        for held_at, minutes, mode in session.execute(
            select(Interview.held_at, Interview.minutes, Interview.mode)
            .where(Interview.bilan_id == bilan.id)
            .order_by(Interview.held_at)
        )
    )
    personal = session.scalar(
        select(func.coalesce(func.sum(PersonalWork.minutes), 0)).where(
            PersonalWork.bilan_id == bilan.id
        )
    )
    own = (Assignment.bilan_id == bilan.id, Assignment.purpose.is_(None))
    seconds = session.scalar(
        select(func.coalesce(func.sum(PageTiming.seconds), 0.0))
        .join(Assignment, Assignment.id == PageTiming.assignment_id)
        .where(*own)
    )
    kept = session.scalar(  # the time kept once the page timings were destroyed
        select(func.coalesce(func.sum(Assignment.kept_seconds), 0.0)).where(*own)
    )
    seconds = float(seconds or 0.0) + float(kept or 0.0)
    done = session.scalar(
        select(func.count())
        .select_from(Assignment)
        .where(*own, Assignment.status == AssignmentStatus.COMPLETED)
    )
    return Attendance(
        centre=centre.name if centre is not None else "",
        beneficiary=bilan.beneficiary.display_name,
        start=bilan.start_date,
        end=paris_date(bilan.ended_at) if bilan.ended_at is not None else None,
        issued_on=paris_today(),
        interviews=interviews,
        personal_minutes=int(personal or 0),
        questionnaire_minutes=math.floor(float(seconds or 0.0) / 60 + 0.5),
        questionnaires_done=int(done or 0),
        funding=bilan.funding,
        commanditaire=bilan.commanditaire,
        counsellors=tuple(c.name for c in bilan.counsellors),
        lang=lang,
    )


def attendance_html(
    session: Session,
    bilan: Bilan,
    lang: str,
    translations: gettext.NullTranslations | None,
    *,
    nonce: str | None = None,
) -> str:
    """The attestation as HTML; ``nonce`` for the web page's inline style (not the PDF)."""
    attendance = build_attendance(session, bilan, lang)
    return render_html(attendance, translations=translations, nonce=nonce)


def attendance_pdf(
    session: Session, bilan: Bilan, lang: str, translations: gettext.NullTranslations | None
) -> bytes:
    """The attestation as an A4 PDF (raises :class:`reports.restitution.PdfUnavailable`)."""
    return render_pdf(attendance_html(session, bilan, lang, translations))
