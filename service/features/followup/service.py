"""End of the bilan, the 6-month follow-up and the reminders of the quality questionnaires.

Qualiopi asks for the beneficiaries' opinion at the end of the bilan and again about six
months later (indicator 30), with reminders. Two functions do it:

- :func:`end_bilan` (the counsellor's "Terminer le bilan"): the bilan is ended, its
  follow-up date set to six months after the end (unless already chosen), and the
  satisfaction questionnaire ``satisfaction-fin-bilan`` assigned (``purpose="end"``);
- :func:`run_followups` (``boussole suivi``, run daily by cron): on the follow-up date the
  questionnaires ``suivi-6-mois`` and ``satisfaction-fin-bilan`` are assigned
  (``purpose="followup"``), the bilan moves to "suivi" and the person receives a new
  sign-in link by mail; then the open end/follow-up questionnaires are reminded.

Reminder rule: a questionnaire assigned at the end or at the follow-up and not completed
is reminded when it was assigned at least :data:`REMINDER_DAYS` days ago and not reminded
(by this job or by the counsellor's "Relancer") in the last :data:`REMINDER_DAYS` days,
at most :data:`MAX_REMINDERS` times; the end-of-bilan survey is no longer reminded once
the follow-up has started (its moment has passed), and nobody gets a reminder on the day
of their follow-up mail. One mail per bilan lists all its questionnaires reminded that
day, with a new sign-in link. The automatic reminders are counted in the audit log
(one ``auto_reminder`` event per questionnaire reminded, actor ``system:suivi``): the
``assignment`` table has no counter, and the audit log also keeps the proof that the
centre did remind. Dates are compared as calendar days in Paris time, so the hour at
which cron runs does not matter.

Functions take the session and plain values and never commit: the caller does.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from instruments.model import Instrument
from service.dates import PARIS, add_months, format_day, paris_date, paris_today, utcnow
from service.features import webhooks
from service.features.accounts.invitations import create_invitation
from service.features.journey import service as journey
from service.mail import MailError, MailSender, links, messages
from service.models import Assignment, AuditEvent, Beneficiary, Bilan
from service.models.states import AssignmentStatus, BilanStatus

log = logging.getLogger(__name__)


SATISFACTION = "satisfaction-fin-bilan"
FOLLOWUP = "suivi-6-mois"
#: The follow-up takes place this many months after the end of the bilan.
FOLLOWUP_MONTHS = 6
#: A reminder is due this many days after the assignment or the previous reminder.
REMINDER_DAYS = 7
#: At most this many automatic reminders per questionnaire.
MAX_REMINDERS = 3
#: Audit-log actor and actions of the scheduled job.
SYSTEM_ACTOR = "system:suivi"
AUTO_REMINDER = "auto_reminder"
FOLLOWUP_STARTED = "followup_started"
END_BILAN = "end_bilan"


_MAIL_ERRORS = (MailError, OSError, smtplib.SMTPException)


class FollowupError(ValueError):
    """A request refused (e.g. an end date in the future); ``str(exc)`` is the message."""


# --- dates --------------------------------------------------------------------------------


def followup_date_for(end: dt.datetime) -> dt.date:
    """Six months after the end (Paris calendar day).

    >>> followup_date_for(dt.datetime(2026, 8, 31, 10, 0, tzinfo=dt.UTC))
    datetime.date(2027, 2, 28)
    """
    return add_months(paris_date(end), FOLLOWUP_MONTHS)


# --- automatic assignments ----------------------------------------------------------------


def _language(person: Beneficiary, instrument: Instrument) -> str:
    if person.language in instrument.languages:
        return person.language
    return "fr" if "fr" in instrument.languages else instrument.languages[0]


def auto_assignment(
    session: Session, bilan: Bilan, instrument_id: str, purpose: str
) -> Assignment | None:
    """The questionnaire ``instrument_id`` already assigned to ``bilan`` for ``purpose``."""
    return session.scalars(
        select(Assignment)
        .where(
            Assignment.bilan_id == bilan.id,
            Assignment.purpose == purpose,
            Assignment.instrument_id == instrument_id,
        )
        .order_by(Assignment.id)
    ).first()


def _assign_once(
    session: Session,
    bilan: Bilan,
    instrument: Instrument,
    purpose: str,
    *,
    at: dt.datetime,
) -> tuple[Assignment, bool]:
    """Assign ``instrument`` for ``purpose`` unless it already is: (assignment, created).

    Not :func:`service.features.journey.service.assign`: at the follow-up, the end-of-bilan
    satisfaction questionnaire may still be open, and the follow-up one is a separate answer for the
    statistics of the second moment.
    """
    existing = auto_assignment(session, bilan, instrument.id, purpose)
    if existing is not None:
        return existing, False
    assignment = Assignment(
        bilan_id=bilan.id,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        language=_language(bilan.beneficiary, instrument),
        purpose=purpose,
        assigned_at=at,
    )
    session.add(assignment)
    session.flush()
    session.expire(bilan, ["assignments"])
    return assignment, True


def _lock(session: Session, bilan: Bilan) -> None:
    """Serialise two "end" requests or two jobs on the same bilan (PostgreSQL row lock;
    SQLite serialises writers anyway)."""
    session.execute(select(Bilan.id).where(Bilan.id == bilan.id).with_for_update())


# --- end of the bilan ---------------------------------------------------------------------


@dataclass(frozen=True)
class EndResult:
    already_ended: bool  # the bilan had already ended: nothing changed but what was missing
    followup_date: dt.date | None
    satisfaction: Assignment | None  # None: the satisfaction questionnaire is not installed
    assigned_now: bool  # the satisfaction questionnaire was assigned by this call


def end_bilan(
    session: Session,
    bilan: Bilan,
    instruments: Mapping[str, Instrument],
    *,
    when: dt.datetime,
) -> EndResult:
    """End ``bilan`` at ``when``: status "termine", follow-up date six months later (unless
    already set), satisfaction questionnaire assigned once (``purpose="end"``), in the
    beneficiary's language. Calling it again changes nothing (idempotent). The caller
    commits.

    Raises :class:`FollowupError` when ``when`` is in the future or before the start of
    the bilan.
    """
    when = when
    _lock(session, bilan)
    already = bilan.ended_at is not None
    if not already:
        if paris_date(when) > paris_today():
            raise FollowupError(_("La date de fin ne peut pas être dans le futur."))
        if bilan.start_date is not None and paris_date(when) < bilan.start_date:
            raise FollowupError(
                _(
                    "La date de fin ne peut pas précéder le début du bilan (%(date)s).",
                    date=format_day(bilan.start_date),
                )
            )
        bilan.ended_at = when
        if bilan.is_running:
            bilan.status = BilanStatus.TERMINE
        webhooks.bilan_ended(session, bilan)
    ended = bilan.ended_at or when
    if bilan.followup_date is None:
        bilan.followup_date = followup_date_for(ended)
    instrument = instruments.get(SATISFACTION)
    if instrument is None:
        log.warning("bilan %s ended: %s is not installed, nothing assigned", bilan.id, SATISFACTION)
        return EndResult(already, bilan.followup_date, None, False)
    assignment, created = _assign_once(session, bilan, instrument, "end", at=utcnow())
    return EndResult(already, bilan.followup_date, assignment, created)


# --- the scheduled job --------------------------------------------------------------------


@dataclass
class FollowupSummary:
    """What one run did (printed by ``boussole suivi``)."""

    followups_started: int = 0  # bilans moved to "suivi"
    questionnaires_assigned: int = 0
    links_sent: int = 0  # follow-up mails with a sign-in link
    reminders_sent: int = 0  # reminder mails (one per bilan, for all its questionnaires)
    questionnaires_reminded: int = 0
    without_email: int = 0  # people who should have had a mail but have no address
    mail_failures: int = 0
    reminders_exhausted: int = 0  # open questionnaires already reminded MAX_REMINDERS times
    missing_instruments: list[str] = field(default_factory=list)


def _stamp(today: dt.date) -> dt.datetime:
    """The moment recorded for this run: ``today`` at the current Paris time (so that a run
    for another date, e.g. a catch-up, is stamped on that date)."""
    clock = utcnow().astimezone(PARIS).timetz()
    return dt.datetime.combine(today, clock).astimezone(dt.UTC)


def _link(session: Session, person: Beneficiary, base_url: str, days: int) -> str:
    token = create_invitation(session, person, days=days)
    return links.public_url("auth.invitation", token=token, base=base_url)


def _send(mailer: MailSender, to: str, message: messages.Message, summary: FollowupSummary) -> bool:
    try:
        mailer.send(to, message.subject, message.body)
    except _MAIL_ERRORS as exc:
        log.warning("follow-up mail not sent: %s", exc)
        summary.mail_failures += 1
        return False
    return True


def _names(assignments: list[Assignment], instruments: Mapping[str, Instrument], lang: str) -> str:
    out = []
    for a in assignments:
        inst = journey.instrument_for(instruments, a)
        out.append(f"« {inst.name.get(lang)} »" if inst is not None else a.instrument_id)
    return "\n".join(f"- {n}" for n in out)


def _start_followups(
    session: Session,
    instruments: Mapping[str, Instrument],
    mailer: MailSender,
    *,
    today: dt.date,
    stamp: dt.datetime,
    base_url: str,
    invitation_days: int,
    summary: FollowupSummary,
) -> set[int]:
    """Start the follow-ups due; returns the ids of the bilans started (their person gets
    the follow-up mail today: no reminder on top of it)."""
    started: set[int] = set()
    due = session.scalars(
        select(Bilan)
        .where(Bilan.status == BilanStatus.TERMINE, Bilan.followup_date <= today)
        .options(selectinload(Bilan.beneficiary))
        .order_by(Bilan.id)
    ).all()
    missing = [i for i in (FOLLOWUP, SATISFACTION) if i not in instruments]
    if missing:
        if due:  # the follow-ups wait (status unchanged) until the questionnaires are back
            summary.missing_instruments.extend(missing)
        return started
    for bilan in due:
        _lock(session, bilan)
        new: list[Assignment] = []
        for instrument_id in (FOLLOWUP, SATISFACTION):
            instrument = instruments[instrument_id]
            assignment, created = _assign_once(session, bilan, instrument, "followup", at=stamp)
            if created:
                new.append(assignment)
        summary.questionnaires_assigned += len(new)
        bilan.status = BilanStatus.SUIVI
        summary.followups_started += 1
        started.add(bilan.id)
        session.add(
            AuditEvent(actor=SYSTEM_ACTOR, action=FOLLOWUP_STARTED, bilan_id=bilan.id, at=stamp)
        )
        person = bilan.beneficiary
        if not new:
            continue
        if not person.email:
            summary.without_email += 1
            continue
        link = _link(session, person, base_url, invitation_days)
        message = messages.followup_start(
            lang=person.language,
            name=person.first_name,
            questionnaires=_names(new, instruments, person.language or "fr"),
            link=link,
            days=invitation_days,
        )
        if _send(mailer, person.email, message, summary):
            summary.links_sent += 1
    return started


def reminders_sent(session: Session, assignment_id: int) -> int:
    """How many automatic reminders this questionnaire has had (from the audit log)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.assignment_id == assignment_id, AuditEvent.action == AUTO_REMINDER)
        )
        or 0
    )


def _remind(
    session: Session,
    instruments: Mapping[str, Instrument],
    mailer: MailSender,
    *,
    today: dt.date,
    stamp: dt.datetime,
    base_url: str,
    invitation_days: int,
    summary: FollowupSummary,
    skip: set[int],
) -> None:
    open_ = session.scalars(
        select(Assignment)
        .join(Bilan)
        .where(
            Assignment.purpose.in_(("end", "followup")),
            Assignment.status != AssignmentStatus.COMPLETED,
            Bilan.status != BilanStatus.CLOS,
        )
        .options(selectinload(Assignment.bilan).selectinload(Bilan.beneficiary))
        .order_by(Assignment.bilan_id, Assignment.id)
    ).all()
    by_bilan: dict[int, list[Assignment]] = {}
    for a in open_:
        if a.bilan_id in skip:
            continue  # its follow-up starts today: the follow-up mail is enough
        if a.purpose == "end" and a.bilan.status != BilanStatus.TERMINE:
            continue  # once the follow-up has started, the end survey is no longer asked for
        if journey.answerable_instrument(instruments, a) is None:
            continue  # that version is not installed (or archived): it cannot be answered
        if (today - paris_date(a.assigned_at)).days < REMINDER_DAYS:
            continue
        if a.reminded_at is not None and (today - paris_date(a.reminded_at)).days < REMINDER_DAYS:
            continue
        if reminders_sent(session, a.id) >= MAX_REMINDERS:
            summary.reminders_exhausted += 1
            continue
        by_bilan.setdefault(a.bilan_id, []).append(a)
    for assignments in by_bilan.values():
        person = assignments[0].bilan.beneficiary
        if not person.email:
            summary.without_email += 1
            continue
        link = _link(session, person, base_url, invitation_days)
        lang = person.language or "fr"
        message = messages.followup_reminder(
            lang=lang,
            name=person.first_name,
            questionnaires=_names(assignments, instruments, lang),
            count=len(assignments),
            link=link,
            days=invitation_days,
        )
        if not _send(mailer, person.email, message, summary):
            continue
        summary.reminders_sent += 1
        for a in assignments:
            a.reminded_at = stamp
            session.add(
                AuditEvent(
                    actor=SYSTEM_ACTOR,
                    action=AUTO_REMINDER,
                    bilan_id=a.bilan_id,
                    assignment_id=a.id,
                    at=stamp,
                )
            )
            summary.questionnaires_reminded += 1


def run_followups(
    session: Session,
    instruments: Mapping[str, Instrument],
    mailer: MailSender,
    *,
    today: dt.date,
    base_url: str,
    invitation_days: int = 14,
) -> FollowupSummary:
    """The daily job: start the follow-ups due on or before ``today`` (Paris calendar day),
    then send the reminders due (see the module docstring for the rule). Running it twice
    the same day does nothing more. Needs an application context (mail texts are
    translated into each person's language). The caller commits."""
    summary = FollowupSummary()
    stamp = _stamp(today)
    started = _start_followups(
        session,
        instruments,
        mailer,
        today=today,
        stamp=stamp,
        base_url=base_url,
        invitation_days=invitation_days,
        summary=summary,
    )
    session.flush()
    _remind(
        session,
        instruments,
        mailer,
        today=today,
        stamp=stamp,
        base_url=base_url,
        invitation_days=invitation_days,
        summary=summary,
        skip=started,
    )
    session.flush()
    return summary
