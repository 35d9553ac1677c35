"""Telling counsellors that a questionnaire of one of their bilans was completed.

When a beneficiary completes a questionnaire (:func:`questionnaire_completed`, called by
:func:`service.features.journey.completion.complete`), each active counsellor of the
bilan gets a notice, shown on their dashboard until they open the profile or dismiss it;
those who asked for it on their account page also get a mail. The mail says only that a
questionnaire was completed, with a link to the bilan: no result, not even the person's
name (a mail can be read on the way or forwarded). It is sent once the completion is
committed: a completion rolled back mails nobody.

An anonymous questionnaire (satisfaction, follow-up: :func:`service.access.is_anonymous`)
notifies nobody: its answers are not anyone's to follow one person at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session, joinedload

from instruments.model import Instrument
from service import access
from service.mail import links, messages
from service.models import Assignment, Bilan, CompletionNotice, StaffUser, bilan_counsellor

log = logging.getLogger(__name__)

#: Key of :attr:`Session.info` holding the mails to send once the session commits.
_PENDING = "boussole.completion_mails"


@dataclass(frozen=True)
class Notice:
    """A questionnaire completed since the counsellor last looked (for the dashboard)."""

    id: int
    assignment_id: int
    bilan_id: int
    beneficiary: str
    questionnaire: str
    completed_at: dt.datetime | None


def questionnaire_completed(
    session: Session, assignment: Assignment, instrument: Instrument
) -> None:
    """Record a notice for each active counsellor of the bilan and queue the mails of
    those who want one. Nothing for an anonymous questionnaire. The caller commits."""
    if access.is_anonymous(assignment, instrument):
        return
    bilan = session.get(Bilan, assignment.bilan_id)
    if bilan is None:  # pragma: no cover - the assignment's bilan exists
        return
    seen = set(
        session.scalars(
            select(CompletionNotice.staff_user_id).where(
                CompletionNotice.assignment_id == assignment.id
            )
        )
    )
    for staff in bilan.counsellors:
        if not staff.active:
            continue
        if staff.id not in seen:
            session.add(CompletionNotice(assignment_id=assignment.id, staff_user_id=staff.id))
        if staff.notify_completions and staff.email:
            _queue_mail(session, staff, bilan.id, instrument.name.get("fr"))
    session.flush()


def _queue_mail(session: Session, staff: StaffUser, bilan_id: int, questionnaire: str) -> None:
    name = staff.name

    def build() -> messages.Message:
        return messages.questionnaire_completed(
            name=name,
            questionnaire=questionnaire,
            link=links.public_url("counsellor.bilan", bilan_id=bilan_id),
        )

    session.info.setdefault(_PENDING, []).append((staff.email, build))


@event.listens_for(Session, "after_commit")
def _send_queued(session: Session) -> None:
    pending: list[tuple[str, Callable[[], messages.Message]]] = session.info.pop(_PENDING, [])
    for to, build in pending:
        try:
            messages.deliver(to, build, what="completion notice")
        except Exception:  # a notice must never undo what was committed
            log.exception("completion notice to %s not sent", to)


@event.listens_for(Session, "after_rollback")
def _drop_queued(session: Session) -> None:
    session.info.pop(_PENDING, None)


def notices_for(
    session: Session, staff: StaffUser, instruments: Mapping[str, Instrument], lang: str
) -> list[Notice]:
    """The counsellor's unseen notices, newest first, for the bilans they still follow."""
    rows = session.scalars(
        select(CompletionNotice)
        .join(Assignment, Assignment.id == CompletionNotice.assignment_id)
        .join(
            bilan_counsellor,
            (bilan_counsellor.c.bilan_id == Assignment.bilan_id)
            & (bilan_counsellor.c.staff_user_id == staff.id),
        )
        .where(CompletionNotice.staff_user_id == staff.id)
        .options(
            joinedload(CompletionNotice.assignment)
            .joinedload(Assignment.bilan)
            .joinedload(Bilan.beneficiary)
        )
        .order_by(CompletionNotice.created_at.desc(), CompletionNotice.id.desc())
    ).all()
    out = []
    for notice in rows:
        a = notice.assignment
        inst = instruments.get(a.instrument_id)
        if access.is_anonymous(a, inst) or not a.is_completed:
            continue  # never notified; or re-opened since: nothing new to look at
        out.append(
            Notice(
                id=notice.id,
                assignment_id=a.id,
                bilan_id=a.bilan_id,
                beneficiary=a.bilan.beneficiary.display_name,
                questionnaire=inst.name.get(lang) if inst is not None else a.instrument_id,
                completed_at=a.completed_at,
            )
        )
    return out


def dismiss(session: Session, staff: StaffUser, notice_id: int) -> bool:
    """Remove one of the counsellor's notices; False when it is not theirs (or gone)."""
    done = session.execute(
        delete(CompletionNotice).where(
            CompletionNotice.id == notice_id, CompletionNotice.staff_user_id == staff.id
        )
    )
    return bool(getattr(done, "rowcount", 0))


def mark_seen(session: Session, staff: StaffUser, assignment_id: int) -> None:
    """The counsellor opened the questionnaire's profile: its notice is cleared."""
    session.execute(
        delete(CompletionNotice).where(
            CompletionNotice.assignment_id == assignment_id,
            CompletionNotice.staff_user_id == staff.id,
        )
    )


def set_mail_preference(staff: StaffUser, wanted: bool) -> None:
    """Mail (or stop mailing) this staff member when a questionnaire is completed."""
    staff.notify_completions = wanted
