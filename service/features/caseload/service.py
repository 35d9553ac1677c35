"""The counsellor's workspace: caseload, bilans, assignments, notes, profiles, reports.

Business logic of the ``counsellor`` blueprint (routes load, check access with
:mod:`service.access`, call one function here, render). Functions take the database
session and plain values; they never read ``flask.request``, ``session`` or ``g``.
Every view or export of results is written to the audit log (:func:`audit`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from instruments.model import Instrument
from service import access
from service.dates import utcnow
from service.features import webhooks
from service.features.journey import answering
from service.features.journey import service as journey
from service.features.record import service as record
from service.models import (
    Answer,
    Assignment,
    Beneficiary,
    Bilan,
    Consent,
    ScoreRecord,
    StaffUser,
    bilan_counsellor,
)
from service.models.bilan import DEFAULT_BILAN_TITLE
from service.models.states import (
    RUNNING,
    AssignmentStatus,
    BilanStatus,
    QuestionnaireState,
    phase_label,
    status_label,
)
from service.text import fold

#: A questionnaire assigned but untouched for this many days raises an alert.
UNTOUCHED_DAYS = 10

# --- caseload -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentRow(QuestionnaireState):
    id: int
    name: str
    language: str
    status: str
    status_label: str
    percent: int
    answered: int
    total: int
    completed_at: dt.datetime | None
    last_activity: dt.datetime | None
    show_results_now: bool
    released: bool
    reminded_at: dt.datetime | None
    flags: int  # number of validity flags raised (completed questionnaires)
    untouched: bool  # not completed and untouched for UNTOUCHED_DAYS days
    installed: bool  # its instrument version is loaded
    #: A satisfaction or follow-up questionnaire: its state only (assigned, started,
    #: completed); no answer count, no validity flag, no profile, no results to release.
    anonymous: bool = False


@dataclass(frozen=True)
class BilanRow:
    id: int
    beneficiary: str
    email: str | None
    title: str
    phase: str
    phase_label: str
    next_interview_at: dt.datetime | None  # None once the bilan has ended
    consent: str  # none | accepted | refused
    assignments: tuple[AssignmentRow, ...]
    report_released: bool
    running: bool = True
    followup_date: dt.date | None = None
    counsellors: tuple[tuple[int, str], ...] = ()  # (staff id, name)
    search_name: str = ""  # the person's name, folded for the search (see :func:`fold`)

    @property
    def alerts(self) -> list[str]:
        out = []
        for a in self.assignments:
            if a.flags:
                out.append(
                    ngettext(
                        "%(name)s : %(num)d point de vigilance sur la validité",
                        "%(name)s : %(num)d points de vigilance sur la validité",
                        a.flags,
                        name=a.name,
                    )
                )
            if a.untouched:
                out.append(
                    _(
                        "%(name)s : sans activité depuis plus de %(days)s jours",
                        name=a.name,
                        days=UNTOUCHED_DAYS,
                    )
                )
        if self.consent == "refused":
            out.append(_("Consentement refusé : aucun questionnaire ne peut être passé."))
        return out


def my_bilans(session: Session, staff: StaffUser) -> list[Bilan]:
    """The bilans this counsellor follows (never another counsellor's)."""
    return list(
        session.scalars(
            select(Bilan)
            .join(bilan_counsellor)
            .where(bilan_counsellor.c.staff_user_id == staff.id)
            .options(
                selectinload(Bilan.assignments),
                selectinload(Bilan.beneficiary),
                selectinload(Bilan.counsellors),
                selectinload(Bilan.consents),
            )
            .order_by(Bilan.id.desc())
        ).all()
    )


def caseload(
    session: Session,
    bilans: Sequence[Bilan],
    instruments: Mapping[str, Instrument],
    lang: str,
    *,
    now: dt.datetime | None = None,
) -> list[BilanRow]:
    """Dashboard rows: one per bilan, with its questionnaires and alerts."""
    current = now or utcnow()
    ids = [a.id for b in bilans for a in b.assignments]
    # Anonymous questionnaires (an older version too: same instrument id) are never
    # scored for the counsellor: no flag read for them, even from a score stored earlier.
    anonymous = {
        a.id
        for b in bilans
        for a in b.assignments
        if access.is_anonymous(
            a, journey.instrument_for(instruments, a) or instruments.get(a.instrument_id)
        )
    }
    # validity flags come from the scores: none for a withdrawn or destroyed bilan
    stopped = {a.id for b in bilans if not access.results_processable(b) for a in b.assignments}
    scored = [i for i in ids if i not in anonymous and i not in stopped]
    counts: dict[int, tuple[int, dt.datetime | None]] = {}
    last: dt.datetime | None
    flags: dict[int, int] = {}
    if ids:
        for aid, n, last in session.execute(
            select(Answer.assignment_id, func.count(), func.max(Answer.answered_at))
            .where(Answer.assignment_id.in_(ids))
            .group_by(Answer.assignment_id)
        ):
            counts[aid] = (int(n), last)
    if scored:
        for aid, scores in session.execute(
            select(ScoreRecord.assignment_id, ScoreRecord.scores).where(
                ScoreRecord.assignment_id.in_(scored)
            )
        ):
            flags[aid] = sum(
                1
                for k, v in (scores or {}).items()
                if k.startswith("flag.") and k != "flag.any" and v is True
            )
    # the latest decision of each bilan (Bilan.consents is oldest first)
    consents: dict[int, Consent] = {b.id: b.consents[-1] for b in bilans if b.consents}
    rows = []
    limit = dt.timedelta(days=UNTOUCHED_DAYS)
    for b in bilans:
        arows = []
        for a in b.assignments:
            inst = journey.instrument_for(instruments, a)
            total = len(inst.items) if inst is not None else 0
            answered, last = counts.get(a.id, (0, None))
            hidden = a.id in anonymous
            if hidden:
                answered = 0  # how many questions were answered is not shown either
            last_activity = last or a.assigned_at
            untouched = (
                not a.is_completed and last_activity is not None and current - last_activity > limit
            )
            arows.append(
                AssignmentRow(
                    id=a.id,
                    name=inst.name.get(lang) if inst is not None else a.instrument_id,
                    language=a.language,
                    status=a.status,
                    status_label=status_label(a.status),
                    percent=answering.progress_percent(answered, total),
                    answered=answered,
                    total=total,
                    completed_at=a.completed_at,
                    last_activity=last_activity,
                    show_results_now=a.show_results_now,
                    released=not hidden and (a.show_results_now or a.released_at is not None),
                    reminded_at=a.reminded_at,
                    flags=flags.get(a.id, 0),
                    untouched=untouched,
                    installed=inst is not None,
                    anonymous=hidden,
                )
            )
        latest = consents.get(b.id)
        rows.append(
            BilanRow(
                id=b.id,
                beneficiary=b.beneficiary.display_name,
                email=b.beneficiary.email,
                title=b.title,
                phase=b.status,
                phase_label=phase_label(b.status),
                # an ended bilan has no next interview of the bilan (only its follow-up)
                next_interview_at=b.next_interview_at if b.is_running else None,
                consent="none" if latest is None else "accepted" if latest.accepted else "refused",
                assignments=tuple(arows),
                report_released=b.report_released_at is not None,
                running=b.is_running,
                followup_date=b.followup_date,
                counsellors=tuple((c.id, c.name) for c in b.counsellors),
                search_name=fold(b.beneficiary.display_name),
            )
        )
    return rows


# --- search and filters of the dashboard --------------------------------------------------

#: The dashboard's "statut" filter: which bilan statuses each choice keeps.
STATES: dict[str, frozenset[BilanStatus]] = {
    "en-cours": RUNNING,
    "termine": frozenset({BilanStatus.TERMINE, BilanStatus.SUIVI}),
    "clos": frozenset({BilanStatus.CLOS}),
}

#: The dashboard's "phase" filter: the three legal phases and the follow-up.
PHASES = (
    BilanStatus.PRELIMINAIRE,
    BilanStatus.INVESTIGATION,
    BilanStatus.CONCLUSIONS,
    BilanStatus.SUIVI,
)


@dataclass(frozen=True)
class Filters:
    """What the counsellor asked the dashboard for (all optional; checked by the form)."""

    name: str = ""
    state: str = ""  # a key of STATES
    phase: str = ""  # one of PHASES
    counsellor: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.name or self.state or self.phase or self.counsellor is not None)


def filter_rows(rows: Sequence[BilanRow], filters: Filters) -> list[BilanRow]:
    """The rows that match every filter given (the name: each word, in any order)."""
    words = fold(filters.name).split()
    keep = []
    for row in rows:
        if any(w not in row.search_name for w in words):
            continue
        if filters.state and BilanStatus(row.phase) not in STATES[filters.state]:
            continue
        if filters.phase and row.phase != filters.phase:
            continue
        if filters.counsellor is not None and filters.counsellor not in dict(row.counsellors):
            continue
        keep.append(row)
    return keep


def visible_counsellors(rows: Sequence[BilanRow]) -> list[tuple[int, str]]:
    """The counsellors of the bilans shown (for the counsellor filter), by name."""
    seen = {cid: name for row in rows for cid, name in row.counsellors}
    return sorted(seen.items(), key=lambda pair: fold(pair[1]))


# --- creating and assigning ---------------------------------------------------------------


class WorkspaceError(ValueError):
    """A request the workspace refuses; ``str(exc)`` is the message to show."""


def create_bilan(
    session: Session,
    counsellor: StaffUser,
    *,
    first_name: str,
    last_name: str,
    email: str | None,
    language: str,
    title: str,
    next_interview_at: dt.datetime | None,
    start_date: dt.date | None = None,
) -> Bilan:
    """A new beneficiary and their bilan, followed by ``counsellor``; the caller commits.

    With a ``start_date``, the bilan is planned from the centre's template (steps, hours,
    interview dates about every 15 days): see :func:`service.features.record.service.plan_bilan`."""
    person = create_beneficiary(
        session,
        counsellor.centre_id,
        first_name=first_name,
        last_name=last_name,
        email=email,
        language=language,
    )
    return open_bilan(
        session,
        counsellor,
        person,
        title=title,
        next_interview_at=next_interview_at,
        start_date=start_date,
    )


def create_beneficiary(
    session: Session,
    centre_id: int,
    *,
    first_name: str,
    last_name: str,
    email: str | None,
    language: str,
) -> Beneficiary:
    """A new beneficiary of the centre (no bilan yet); the caller commits. Refuses an
    address another account signs in with (:class:`WorkspaceError`)."""
    _check_email_free(session, email, beneficiary_id=None)
    person = Beneficiary(
        centre_id=centre_id,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email or None,
        language=language,
    )
    session.add(person)
    session.flush()
    return person


def open_bilan(
    session: Session,
    counsellor: StaffUser,
    person: Beneficiary,
    *,
    title: str,
    next_interview_at: dt.datetime | None = None,
    start_date: dt.date | None = None,
) -> Bilan:
    """A new bilan of ``person`` (of the counsellor's centre), followed by ``counsellor``;
    planned from the centre's template when a ``start_date`` is given. The caller commits."""
    bilan = Bilan(
        centre_id=counsellor.centre_id,
        beneficiary_id=person.id,
        title=title.strip() or DEFAULT_BILAN_TITLE,
        next_interview_at=next_interview_at,
    )
    bilan.counsellors.append(counsellor)
    session.add(bilan)
    session.flush()
    if start_date is not None:
        record.plan_bilan(session, bilan, start_date)
    return bilan


def _check_email_free(session: Session, email: str | None, *, beneficiary_id: int | None) -> None:
    """Refuse an address another account signs in with (staff or another beneficiary)."""
    if not email:
        return
    other = session.scalars(select(Beneficiary).where(Beneficiary.email == email)).first()
    staff = session.scalar(
        select(func.count()).select_from(StaffUser).where(StaffUser.email == email)
    )
    if staff or (other is not None and other.id != beneficiary_id):
        raise WorkspaceError(
            _("L’adresse %(email)s est déjà utilisée par un autre compte.", email=email)
        )


def update_beneficiary(
    session: Session,
    person: Beneficiary,
    *,
    first_name: str,
    last_name: str,
    email: str | None,
    language: str,
) -> None:
    """Correct the person's name, address or language after the bilan was created; the
    caller commits."""
    _check_email_free(session, email, beneficiary_id=person.id)
    person.first_name = first_name.strip()
    person.last_name = last_name.strip()
    person.email = email or None
    person.language = language


def remind(assignment: Assignment) -> None:
    """Note that a reminder was sent (the route sends the mail)."""
    if assignment.is_completed:
        raise WorkspaceError(_("Ce questionnaire est déjà terminé : pas de relance."))
    assignment.reminded_at = utcnow()


def reopen(session: Session, assignment: Assignment, instruments: Mapping[str, Instrument]) -> None:
    """Re-open a completed questionnaire: answers kept, scores removed until it is
    completed again (they would no longer match the answers). A questionnaire taken in an
    earlier version of its instrument (kept in the archive to read its scores) cannot be
    re-opened: that version is no longer answered."""
    if not assignment.is_completed:
        raise WorkspaceError(_("Ce questionnaire n’est pas terminé : il est déjà ouvert."))
    if journey.answerable_instrument(instruments, assignment) is None:
        raise WorkspaceError(
            _(
                "Ce questionnaire a été passé dans une version qui n’est plus proposée : il ne"
                " peut pas être rouvert. Ses résultats restent consultables ; assignez la"
                " version actuelle si besoin."
            )
        )
    session.execute(delete(ScoreRecord).where(ScoreRecord.assignment_id == assignment.id))
    assignment.status = AssignmentStatus.IN_PROGRESS
    assignment.completed_at = None
    assignment.released_at = None
    assignment.reopened_at = utcnow()


def set_released(assignment: Assignment, released: bool) -> None:
    """Show (or hide again) a completed questionnaire's results to the beneficiary."""
    if released and assignment.released_at is None:
        webhooks.report_released(assignment.bilan, assignment.id)
    assignment.released_at = utcnow() if released else None
    if not released:
        assignment.show_results_now = False
