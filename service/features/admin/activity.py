"""The centre's activity, for its admins: bilans by status and by counsellor, hours
delivered per month, questionnaire completion rates.

Counts and sums only: no beneficiary's name, no answer, no score. Everything is read for
one centre (``centre_id``); nothing of another centre is counted. Numbers are formatted
with Babel in the page's language (:func:`flask_babel.format_decimal`,
:func:`flask_babel.format_percent`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import format_date, format_decimal, format_percent, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from instruments.model import Instrument
from service.dates import paris_date, paris_today
from service.models import (
    Assignment,
    Bilan,
    Interview,
    PersonalWork,
    StaffUser,
    bilan_counsellor,
)
from service.models.states import BilanStatus

#: How many months the table of hours shows, the current one included.
MONTHS = 12


def format_minutes(minutes: int) -> str:
    """A duration as the record page writes it (``14 h``, ``1 h 30``, ``45 min``), the
    hours through Babel (``1 234 h`` in French, ``1,234 h`` in English)."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{format_decimal(hours)}\u00a0h\u00a0{rest:02d}"
    if rest:
        return f"{rest}\u00a0min"
    return f"{format_decimal(hours)}\u00a0h"


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class CounsellorCount:
    name: str
    active: bool
    running: int  # in one of the three legal phases
    ended: int  # ended, in follow-up
    closed: int

    @property
    def total(self) -> int:
        return self.running + self.ended + self.closed


@dataclass(frozen=True)
class MonthHours:
    month: dt.date  # first day of the month
    label: str
    interview_minutes: int
    work_minutes: int

    @property
    def total_minutes(self) -> int:
        return self.interview_minutes + self.work_minutes

    @property
    def interview_text(self) -> str:
        return format_minutes(self.interview_minutes)

    @property
    def work_text(self) -> str:
        return format_minutes(self.work_minutes)

    @property
    def total_text(self) -> str:
        return format_minutes(self.total_minutes)


@dataclass(frozen=True)
class Completion:
    instrument_id: str
    name: str
    assigned: int
    completed: int

    @property
    def rate(self) -> float | None:
        return self.completed / self.assigned if self.assigned else None

    @property
    def rate_text(self) -> str:
        rate = self.rate
        return "—" if rate is None else str(format_percent(rate, "#,##0\u00a0%"))


@dataclass(frozen=True)
class Activity:
    by_status: tuple[StatusCount, ...]
    by_counsellor: tuple[CounsellorCount, ...]
    without_counsellor: int
    hours: tuple[MonthHours, ...]
    completion: tuple[Completion, ...]

    @property
    def total_bilans(self) -> int:
        return sum(s.count for s in self.by_status)

    @property
    def hours_total(self) -> MonthHours:
        return MonthHours(
            month=self.hours[0].month if self.hours else paris_today().replace(day=1),
            label=_("Total"),
            interview_minutes=sum(m.interview_minutes for m in self.hours),
            work_minutes=sum(m.work_minutes for m in self.hours),
        )


def by_status(session: Session, centre_id: int) -> tuple[StatusCount, ...]:
    """How many of the centre's bilans are in each status (every status listed)."""
    counts = dict(
        session.execute(
            select(Bilan.status, func.count())
            .where(Bilan.centre_id == centre_id)
            .group_by(Bilan.status)
        ).all()
    )
    return tuple(StatusCount(s.value, s.label, int(counts.get(s, 0))) for s in BilanStatus)


def _bucket(status: str) -> str:
    state = BilanStatus(status)
    if state.is_running:
        return "running"
    return "closed" if state is BilanStatus.CLOS else "ended"


def by_counsellor(session: Session, centre_id: int) -> tuple[tuple[CounsellorCount, ...], int]:
    """Each counsellor of the centre (deactivated ones too, while they still follow a
    bilan) with their bilans by state; and the number of bilans followed by nobody."""
    counts: dict[int, Counter[str]] = {}
    for staff_id, status, n in session.execute(
        select(bilan_counsellor.c.staff_user_id, Bilan.status, func.count())
        .join(Bilan, Bilan.id == bilan_counsellor.c.bilan_id)
        .where(Bilan.centre_id == centre_id)
        .group_by(bilan_counsellor.c.staff_user_id, Bilan.status)
    ):
        counts.setdefault(staff_id, Counter())[_bucket(status)] += int(n)
    staff = session.scalars(
        select(StaffUser).where(StaffUser.centre_id == centre_id).order_by(StaffUser.name)
    ).all()
    rows = tuple(
        CounsellorCount(
            s.name,
            s.active,
            counts.get(s.id, Counter())["running"],
            counts.get(s.id, Counter())["ended"],
            counts.get(s.id, Counter())["closed"],
        )
        for s in staff
        if (s.role == "counsellor" and s.active) or s.id in counts
    )
    followed = select(bilan_counsellor.c.bilan_id)
    nobody = session.scalar(
        select(func.count())
        .select_from(Bilan)
        .where(Bilan.centre_id == centre_id, Bilan.id.not_in(followed))
    )
    return rows, int(nobody or 0)


def _months(today: dt.date, count: int) -> list[dt.date]:
    """The first days of the ``count`` months ending with ``today``'s, oldest first.

    >>> [m.isoformat() for m in _months(dt.date(2026, 2, 14), 3)]
    ['2025-12-01', '2026-01-01', '2026-02-01']
    """
    out = []
    year, month = today.year, today.month
    for _i in range(count):
        out.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def hours_per_month(
    session: Session, centre_id: int, *, today: dt.date | None = None, months: int = MONTHS
) -> tuple[MonthHours, ...]:
    """Interview hours held and personal work noted, per month (Paris time), over the
    last ``months`` months."""
    firsts = _months(today or paris_today(), months)
    start = firsts[0]
    interviews: Counter[dt.date] = Counter()
    work: Counter[dt.date] = Counter()
    for held_at, minutes in session.execute(
        select(Interview.held_at, Interview.minutes)
        .join(Bilan, Bilan.id == Interview.bilan_id)
        .where(Bilan.centre_id == centre_id)
    ):
        day = paris_date(held_at)
        if day >= start:
            interviews[day.replace(day=1)] += int(minutes)
    for done_on, minutes in session.execute(
        select(PersonalWork.done_on, PersonalWork.minutes)
        .join(Bilan, Bilan.id == PersonalWork.bilan_id)
        .where(Bilan.centre_id == centre_id, PersonalWork.done_on >= start)
    ):
        work[done_on.replace(day=1)] += int(minutes)
    return tuple(
        MonthHours(m, str(format_date(m, "LLLL y")), interviews[m], work[m]) for m in firsts
    )


def completion_rates(
    session: Session, centre_id: int, instruments: Mapping[str, Instrument], lang: str
) -> tuple[Completion, ...]:
    """Questionnaires of the bilan assigned and completed, per instrument (all versions);
    the anonymous ones (satisfaction, follow-up) are on the satisfaction page."""
    rows: dict[str, list[int]] = {}
    for iid, status, n in session.execute(
        select(Assignment.instrument_id, Assignment.status, func.count())
        .join(Bilan, Bilan.id == Assignment.bilan_id)
        .where(Bilan.centre_id == centre_id)
        .group_by(Assignment.instrument_id, Assignment.status)
    ):
        inst = instruments.get(iid)
        if inst is None or inst.anonymous:
            continue
        counts = rows.setdefault(iid, [0, 0])
        counts[0] += int(n)
        if status == "completed":
            counts[1] += int(n)
    out = [
        Completion(iid, instruments[iid].name.get(lang), assigned, completed)
        for iid, (assigned, completed) in rows.items()
    ]
    return tuple(sorted(out, key=lambda c: c.name))


def centre_activity(
    session: Session,
    centre_id: int,
    instruments: Mapping[str, Instrument],
    lang: str,
    *,
    today: dt.date | None = None,
) -> Activity:
    """Everything the activity page shows, for one centre."""
    counsellors, nobody = by_counsellor(session, centre_id)
    return Activity(
        by_status=by_status(session, centre_id),
        by_counsellor=counsellors,
        without_counsellor=nobody,
        hours=hours_per_month(session, centre_id, today=today),
        completion=completion_rates(session, centre_id, instruments, lang),
    )


def summary(activity: Activity) -> str:
    """The page's opening sentence, with its plural."""
    running = sum(s.count for s in activity.by_status if BilanStatus(s.status).is_running)
    return str(
        ngettext(
            "%(count)s bilan au total, dont %(running)s en cours.",
            "%(count)s bilans au total, dont %(running)s en cours.",
            activity.total_bilans,
            count=format_decimal(activity.total_bilans),
            running=format_decimal(running),
        )
    )
