"""The destruction of the content of a bilan, on schedule (Code du travail R6313-4 to
R6313-8, GDPR storage limitation).

When a bilan ends, the documents prepared for it are destroyed, unless the person agreed
in writing (the consent form's ``keep_for_followup`` box, recorded with its date and text
version in :class:`~service.models.Consent`) to keep them for the follow-up: then they are
destroyed at the end of the agreed period, the months the person chose
(:data:`KEEP_CHOICES`, ``Consent.keep_months``; never more than :data:`KEEP_MONTHS`, the
consent text's "un an au plus") after the end. The agreement is revoked by a new decision
without the box (or shortened by a shorter period); a withdrawn consent (the latest
decision a refusal) keeps nothing. After the end, a new decision can shorten the keeping,
never lengthen it (``journey.consent.record_consent``), and a decision that makes the
content due destroys it at once (:func:`destroy_if_due`, on the
``journey.consent.decision_recorded`` signal), not at the next run.

**Content** (destroyed: rows DELETEd, free-text columns set to NULL):
answers, page timings, scores, counsellor notes, completion notices, the synthesis
(versions, items proposed to it), the action plan, the competence portfolio (its
competences, réalisations, target fiches of the gap analysis and change history), the
report comments (bilan and questionnaires), the personalised objectives, the topics of the
interviews, the descriptions of the personal work, the objectives written on the steps of
the plan.

**Administrative proofs** (kept): the bilan row (convention, dates, funding, status), the
steps of the plan with their hours, the interviews (date, duration, mode), the personal
work (date, minutes, kind), the questionnaires assigned (which instrument, dates, status)
with the seconds measured on their pages (``Assignment.kept_seconds``, for the hours and
the attestation), the consent decisions, the audit log. The local norms are aggregates and
stay. The anonymous quality questionnaires (satisfaction, follow-up: ``purpose`` set) feed
only the centre's statistics and are not the bilan's content.

:func:`purge` is idempotent: run daily (``boussole purge``), it destroys what is due and
what was added since; a day with nothing due changes nothing. Every destruction is written
to the audit log, one event per kind of content (``purge:<kind>``, the bilan, the moment,
actor ``system:purge`` or the person); never the content.

Functions take the session and plain values and never commit: the caller does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from service import dates
from service.dates import add_months, format_day, paris_date
from service.features import webhooks
from service.features.journey.consent import (
    KEEP_CHOICES,
    KEEP_MONTHS,
    agreed_months,
    decision_recorded,
)
from service.mail import links, messages
from service.models import (
    ActionItem,
    Answer,
    Assignment,
    AuditEvent,
    Beneficiary,
    Bilan,
    BilanStep,
    CompletionNotice,
    Consent,
    CounsellorNote,
    GapTarget,
    Interview,
    PageTiming,
    PersonalWork,
    PortfolioChange,
    PortfolioEntry,
    Realisation,
    ScoreRecord,
    SynthesisItem,
    SynthesisVersion,
)

__all__ = ["KEEP_CHOICES", "KEEP_MONTHS", "agreed_months"]
#: The actor of the scheduled job in the audit log.
SYSTEM_ACTOR = "system:purge"
#: Prefix of the audit-log actions of a destruction (``purge:answers``...).
ACTION_PREFIX = "purge:"


@dataclass
class Destruction:
    """What was (or, in a dry run, would be) destroyed for one bilan: kind -> rows."""

    bilan_id: int
    reason: str  # "end" | "agreed_period" | "withdrawn" | "erasure"
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# --- the schedule -------------------------------------------------------------------------


def latest_decision(bilan: Bilan) -> Consent | None:
    return max(bilan.consents, key=lambda c: (c.recorded_at, c.id), default=None)


def keeps_for_followup(bilan: Bilan) -> bool:
    """The person's latest decision is an acceptance with the written agreement to keep."""
    return agreed_months(latest_decision(bilan)) > 0


def kept_months(bilan: Bilan) -> int:
    """The months after the end the person's latest decision keeps the content (0: none)."""
    return agreed_months(latest_decision(bilan))


def destruction_day(bilan: Bilan) -> dt.date | None:
    """The Paris day on which the content is due for destruction; None while running.

    The end of the bilan, or the agreed months later with the agreement.
    """
    if bilan.ended_at is None:
        return None
    return add_months(paris_date(bilan.ended_at), kept_months(bilan))


def destroy_if_due(
    session: Session, bilan: Bilan, *, today: dt.date, now: dt.datetime, actor: str
) -> Destruction | None:
    """Destroy the content now if its destruction day has come (a revoked or shortened
    agreement, a withdrawal after the end): the same as the next ``boussole purge``, at
    once. None when nothing is due or nothing is left."""
    day = destruction_day(bilan)
    if day is None or day > today:
        return None
    found = destroy_content(session, bilan, now=now, reason=reason_of(bilan), actor=actor)
    return found if found.counts else None


@decision_recorded.connect
def _on_decision(bilan: Bilan, *, session: Session, actor: str) -> None:
    """A new consent decision: destroy at once what it makes due (a revoked or shortened
    agreement, a withdrawal, after the end of the bilan)."""
    session.expire(bilan, ["consents"])
    destroy_if_due(session, bilan, today=dates.paris_today(), now=dates.utcnow(), actor=actor)


def reason_of(bilan: Bilan) -> str:
    latest = latest_decision(bilan)
    if latest is not None and not latest.accepted:
        return "withdrawn"
    return "agreed_period" if keeps_for_followup(bilan) else "end"


def due_bilans(session: Session, today: dt.date) -> list[Bilan]:
    """The ended bilans whose destruction day has come."""
    ended = session.scalars(
        select(Bilan).where(Bilan.ended_at.is_not(None)).order_by(Bilan.id)
    ).all()
    return [b for b in ended if (day := destruction_day(b)) is not None and day <= today]


# --- what a bilan's content is ------------------------------------------------------------


def _own_assignments(bilan_id: int) -> Any:
    """The bilan's questionnaires whose answers are its content (not the quality surveys)."""
    return select(Assignment.id).where(
        Assignment.bilan_id == bilan_id, Assignment.purpose.is_(None)
    )


def _count(session: Session, statement: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(statement.subquery())) or 0)


def _row_kinds(bilan_id: int) -> dict[str, Any]:
    """Each kind of content row: a SELECT of its ids (counted, then deleted)."""
    own = _own_assignments(bilan_id)
    return {
        "answers": select(Answer.id).where(Answer.assignment_id.in_(own)),
        "page_timings": select(PageTiming.id).where(PageTiming.assignment_id.in_(own)),
        "scores": select(ScoreRecord.id).where(ScoreRecord.assignment_id.in_(own)),
        "completion_notices": select(CompletionNotice.id).where(
            CompletionNotice.assignment_id.in_(own)
        ),
        "notes": select(CounsellorNote.id).where(CounsellorNote.bilan_id == bilan_id),
        "synthesis_items": select(SynthesisItem.id).where(SynthesisItem.bilan_id == bilan_id),
        "synthesis_versions": select(SynthesisVersion.id).where(
            SynthesisVersion.bilan_id == bilan_id
        ),
        "action_plan": select(ActionItem.id).where(ActionItem.bilan_id == bilan_id),
        # The competence portfolio (the links of its réalisations go with them: cascade).
        "portfolio_entries": select(PortfolioEntry.id).where(PortfolioEntry.bilan_id == bilan_id),
        "portfolio_realisations": select(Realisation.id).where(Realisation.bilan_id == bilan_id),
        "gap_targets": select(GapTarget.id).where(GapTarget.bilan_id == bilan_id),
        "portfolio_history": select(PortfolioChange.id).where(PortfolioChange.bilan_id == bilan_id),
    }


#: Free-text content in tables that are otherwise proofs: (kind, model, column).
_TEXT_COLUMNS: tuple[tuple[str, Any, str], ...] = (
    ("interview_topics", Interview, "topic"),
    ("work_descriptions", PersonalWork, "description"),
    ("step_objectives", BilanStep, "objectives"),
)

_MODELS: dict[str, Any] = {
    "answers": Answer,
    "page_timings": PageTiming,
    "scores": ScoreRecord,
    "completion_notices": CompletionNotice,
    "notes": CounsellorNote,
    "synthesis_items": SynthesisItem,
    "synthesis_versions": SynthesisVersion,
    "action_plan": ActionItem,
    "portfolio_entries": PortfolioEntry,
    "portfolio_realisations": Realisation,
    "gap_targets": GapTarget,
    "portfolio_history": PortfolioChange,
}


def _text_counts(session: Session, bilan: Bilan) -> dict[str, int]:
    counts = {}
    for kind, model, column in _TEXT_COLUMNS:
        counts[kind] = _count(
            session,
            select(model.id).where(model.bilan_id == bilan.id, getattr(model, column).is_not(None)),
        )
    own_comments = select(Assignment.id).where(
        Assignment.bilan_id == bilan.id, Assignment.report_comment.is_not(None)
    )
    counts["report_comments"] = _count(session, own_comments) + int(
        bilan.report_comment is not None
    )
    counts["objectives"] = int(bilan.objectives is not None)
    return counts


def content_of(session: Session, bilan: Bilan) -> dict[str, int]:
    """How much content the bilan holds, by kind (only the kinds present)."""
    counts = {kind: _count(session, ids) for kind, ids in _row_kinds(bilan.id).items()}
    counts.update(_text_counts(session, bilan))
    return {kind: n for kind, n in counts.items() if n}


# --- destroying ---------------------------------------------------------------------------


def _keep_questionnaire_time(session: Session, bilan_id: int) -> None:
    """Copy the seconds of each questionnaire's pages onto it before they go (the hours)."""
    totals = session.execute(
        select(PageTiming.assignment_id, func.sum(PageTiming.seconds))
        .where(PageTiming.assignment_id.in_(_own_assignments(bilan_id)))
        .group_by(PageTiming.assignment_id)
    ).all()
    for assignment_id, seconds in totals:
        session.execute(
            update(Assignment)
            .where(Assignment.id == assignment_id)
            .values(kept_seconds=func.coalesce(Assignment.kept_seconds, 0.0) + float(seconds or 0))
        )


def _clear_texts(session: Session, bilan: Bilan) -> None:
    for _kind, model, column in _TEXT_COLUMNS:
        session.execute(update(model).where(model.bilan_id == bilan.id).values({column: None}))
    session.execute(
        update(Assignment).where(Assignment.bilan_id == bilan.id).values(report_comment=None)
    )
    bilan.report_comment = None
    bilan.objectives = None


def destroy_content(
    session: Session, bilan: Bilan, *, now: dt.datetime, reason: str, actor: str = SYSTEM_ACTOR
) -> Destruction:
    """Destroy the content of ``bilan`` now (see the module docstring for what goes and
    what stays) and write one audit event per kind destroyed. The caller commits."""
    found = Destruction(bilan.id, reason, content_of(session, bilan))
    if not found.counts:
        return found
    _keep_questionnaire_time(session, bilan.id)
    for kind, ids in _row_kinds(bilan.id).items():
        if found.counts.get(kind):
            model = _MODELS[kind]
            session.execute(
                delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False)
            )
    _clear_texts(session, bilan)
    bilan.content_destroyed_at = now
    webhooks.data_destroyed(session, bilan, reason)
    for kind in found.counts:
        session.add(
            AuditEvent(actor=actor, action=f"{ACTION_PREFIX}{kind}", bilan_id=bilan.id, at=now)
        )
    session.flush()
    session.expire_all()
    return found


def purge(
    session: Session, *, today: dt.date, now: dt.datetime, dry_run: bool = False
) -> list[Destruction]:
    """Destroy the content of every bilan due on ``today``; with ``dry_run``, only say
    what would go (nothing is written). Bilans with nothing left are not listed."""
    out: list[Destruction] = []
    for bilan in due_bilans(session, today):
        if dry_run:
            found = Destruction(bilan.id, reason_of(bilan), content_of(session, bilan))
        else:
            found = destroy_content(session, bilan, now=now, reason=reason_of(bilan))
        if found.counts:
            out.append(found)
    return out


def total_by_kind(destructions: Sequence[Destruction]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for d in destructions:
        for kind, n in d.counts.items():
            totals[kind] = totals.get(kind, 0) + n
    return totals


# --- what the pages show ------------------------------------------------------------------


@dataclass(frozen=True)
class Retention:
    """What the record and the person's pages say about keeping the content."""

    agreement: Consent | None  # the latest decision, when it keeps the content
    withdrawn: bool  # the latest decision is a refusal
    destruction_day: dt.date | None  # None: the bilan is running
    destroyed_at: dt.datetime | None
    months: int = 0  # the agreed keeping, months after the end (0: none)
    #: The day the agreed keeping ends: after the end of the bilan, or, while it runs,
    #: after its planned end (None: no agreement, or no planned end yet).
    kept_until: dt.date | None = None


def retention_of(bilan: Bilan) -> Retention:
    latest = latest_decision(bilan)
    months = kept_months(bilan)
    return Retention(
        agreement=latest if months else None,
        withdrawn=latest is not None and not latest.accepted,
        destruction_day=destruction_day(bilan),
        destroyed_at=bilan.content_destroyed_at,
        months=months,
        kept_until=expected_day(bilan) if months else None,
    )


# --- telling the person before the destruction --------------------------------------------

#: The audit-log action of the mail that announces a destruction (one per bilan).
NOTICE_ACTION = "destruction_notice"


def expected_day(bilan: Bilan) -> dt.date | None:
    """The day the content will be destroyed, as far as it is known: the destruction day
    of an ended bilan, or for a running one the planned end (plus the agreed period)."""
    if bilan.ended_at is not None:
        return destruction_day(bilan)
    if bilan.planned_end is None:
        return None
    return add_months(bilan.planned_end, kept_months(bilan))


def upcoming(bilan: Bilan, today: dt.date, days: int) -> dt.date | None:
    """The expected destruction day when it is at most ``days`` days away and the content
    is still there; otherwise None."""
    day = expected_day(bilan)
    if day is None or (bilan.content_destroyed_at is not None and bilan.ended_at is not None):
        return None
    return day if today <= day <= today + dt.timedelta(days=days) else None


def upcoming_for(
    session: Session, beneficiary_id: int, today: dt.date, days: int
) -> dict[int, dt.date]:
    """Bilan id -> destruction day, for the person's bilans whose destruction is near."""
    bilans = session.scalars(select(Bilan).where(Bilan.beneficiary_id == beneficiary_id))
    return {b.id: d for b in bilans if (d := upcoming(b, today, days)) is not None}


def to_notify(session: Session, today: dt.date, days: int) -> list[tuple[Bilan, dt.date]]:
    """The bilans whose person must be mailed now: destruction near, not mailed yet."""
    mailed = set(
        session.scalars(select(AuditEvent.bilan_id).where(AuditEvent.action == NOTICE_ACTION))
    )
    out = []
    for bilan in session.scalars(select(Bilan).where(Bilan.content_destroyed_at.is_(None))):
        day = upcoming(bilan, today, days)
        if day is not None and bilan.id not in mailed and bilan.beneficiary.email:
            out.append((bilan, day))
    return out


def mark_notified(session: Session, bilan: Bilan, now: dt.datetime) -> None:
    session.add(AuditEvent(actor=SYSTEM_ACTOR, action=NOTICE_ACTION, bilan_id=bilan.id, at=now))


def send_notices(
    session: Session, today: dt.date, days: int, *, now: dt.datetime
) -> tuple[int, int]:
    """Mail each person whose content is destroyed within ``days`` days (once per bilan),
    with the link to their pages and the ZIP of their data: (sent, failed)."""
    sent = failed = 0
    for bilan, day in to_notify(session, today, days):
        person = bilan.beneficiary
        lang = person.language or "fr"

        def build(person: Beneficiary = person, day: dt.date = day, lang: str = lang) -> Any:
            return messages.destruction_notice(
                lang=lang,
                name=person.first_name,
                day=format_day(day, lang),
                link=links.public_url("beneficiary.home"),
            )

        if messages.deliver(str(person.email), build, what="destruction notice"):
            mark_notified(session, bilan, now)
            sent += 1
        else:
            failed += 1
    return sent, failed
