"""The bilan record: phases and steps with their hours, the calendar, interviews and
personal work, hours against the 24-hour ceiling, status of the bilan.

Business logic of the record pages (routes load, check access with :mod:`service.access`,
call one function here, render). Functions take the database session and plain values;
they never read ``flask.request``, ``session`` or ``g``; the caller commits.

Decisions (see docs/conseiller.md, "Dossier du bilan, heures et calendrier"):

- **Hours are counted in whole minutes** (integers): steps store hours, converted once with
  :func:`minutes_of_hours`; nothing is summed in floating point.
- **The follow-up hour is outside the 24 h.** The legal ceiling (Code du travail R6313-4:
  at most 24 hours) applies to the bilan itself; the seed lists the follow-up interview
  after the 24 h of the synthesis phase. Steps of phase ``suivi``, time logged against
  them, time logged after the end of the bilan without a step, and the follow-up
  questionnaires (``Assignment.purpose == "followup"``) are totalled apart, in a
  "suivi" row that is not compared with the ceiling.
- **Questionnaire time is personal work** ("tests"): the seconds measured on the pages of
  the bilan's questionnaires (:class:`~service.models.PageTiming`), counted in the phase of
  the step that lists the questionnaire. Satisfaction questionnaires (``purpose == "end"``)
  are not work of the bilan and are not counted.
- **Calendar**: one interview about every 15 days from the start (a date falling on a
  Saturday or Sunday moves to the Monday), at 09:30 Paris time unless another time is
  chosen; planned end: start + 3 months (or the last interview if later). The follow-up
  step is proposed 6 months after the planned end; that date is provisional: the bilan's
  follow-up date (``Bilan.followup_date``) is fixed when the bilan ends, 6 months after the
  real end (:func:`service.features.followup.service.end_bilan`), or by the counsellor on the
  record page,
  and the follow-up step then shows and exports that date (:func:`step_moment`).
- **Status** (:data:`TRANSITIONS`, the changes made on the record page): forward through
  the three legal phases, or back one phase to correct a mistake; "terminé" is reached
  only through "Terminer le bilan" (:func:`service.features.followup.service.end_bilan`: end date,
  follow-up date, satisfaction questionnaire) and "suivi" only by the follow-up job on the
  follow-up date (follow-up questionnaires); from "terminé" or "suivi" the bilan can be
  closed; nothing goes back from "terminé", and "clos" is final and locks the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from reports import ical
from service.dates import PARIS, add_months, format_day, paris_time_of, paris_to_utc, utcnow
from service.i18n import N_, builtin_text
from service.models import (
    Assignment,
    Bilan,
    BilanStep,
    Centre,
    CentreStep,
    Interview,
    PageTiming,
    PersonalWork,
)
from service.models.states import (
    BilanStatus,
    QuestionnaireState,
    phase_label,
    status_label,
)

#: The legal ceiling of a bilan de compétences, in minutes (follow-up excluded).
CEILING_MINUTES = 24 * 60
#: Proposed interviews: about every 15 days from the start.
INTERVAL_DAYS = 15
DEFAULT_TIME = dt.time(9, 30)
PLANNED_MONTHS = 3
FOLLOWUP_MONTHS = 6

STEP_PHASES = ("preliminaire", "investigation", "conclusions", "suivi")
STATUSES = tuple(BilanStatus)
MODES = ("presentiel", "distanciel", "hybride")
#: Kinds of personal work logged by hand; questionnaire time ("tests") is counted
#: automatically from the page timings.
WORK_KINDS = ("recherches", "enquete", "redaction", "autre")
TESTS = "tests"

MAX_INTERVIEW_MINUTES = 8 * 60  # "Une durée de 1 à 480 minutes." says it in words
MAX_WORK_MINUTES = 24 * 60  # "Une durée de 1 à 1 440 minutes."
MAX_STEP_HOURS = 24
NAME_MAX = 200
INSTRUMENTS_MAX = 500


# --- labels -------------------------------------------------------------------------------


def mode_label(code: str) -> str:
    labels = {
        "presentiel": _("Présentiel"),
        "distanciel": _("Distanciel"),
        "hybride": _("Hybride"),
    }
    return str(labels.get(code, code))


def work_kind_label(code: str) -> str:
    labels = {
        "recherches": _("Recherches"),
        "enquete": _("Enquêtes de terrain"),
        "redaction": _("Rédaction"),
        "autre": _("Autre"),
        TESTS: _("Questionnaires (temps mesuré)"),
    }
    return str(labels.get(code, code))


# --- arithmetic (pure) --------------------------------------------------------------------


def minutes_of_hours(hours: float | Decimal) -> int:
    """Hours as whole minutes, rounded half up.

    Examples
    --------
    >>> minutes_of_hours(2), minutes_of_hours(1.5), minutes_of_hours(Decimal("0.33"))
    (120, 90, 20)
    """
    return int((Decimal(str(hours)) * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def minutes_of_seconds(seconds: float) -> int:
    """Seconds as whole minutes, rounded half up (600.0 s -> 10 min, 29 s -> 0, 30 s -> 1).

    Examples
    --------
    >>> minutes_of_seconds(600.0), minutes_of_seconds(29), minutes_of_seconds(30)
    (10, 0, 1)
    """
    return int((Decimal(str(seconds)) / 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_minutes(minutes: int) -> str:
    """A duration the French way, with no-break spaces: ``14 h``, ``1 h 30``, ``45 min``.

    Examples
    --------
    >>> [format_minutes(m).replace("\\u00a0", " ") for m in (1440, 90, 45, 0, 605)]
    ['24 h', '1 h 30', '45 min', '0 h', '10 h 05']
    """
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        return f"{sign}{hours}\u00a0h\u00a0{rest:02d}"
    if rest:
        return f"{sign}{rest}\u00a0min"
    return f"{sign}{hours}\u00a0h"


def format_hours(hours: float | Decimal) -> str:
    """Hours of a step as typed in forms: ``2``, ``1,5`` (French decimal comma).

    Examples
    --------
    >>> format_hours(2.0), format_hours(1.5), format_hours(Decimal("0.25"))
    ('2', '1,5', '0,25')
    """
    text = format(Decimal(str(hours)).normalize(), "f")
    return text.replace(".", ",")


def proposed_days(start: dt.date, count: int, *, every: int = INTERVAL_DAYS) -> list[dt.date]:
    """``count`` interview days, every ``every`` days from ``start``; a Saturday or a
    Sunday moves to the Monday (the cadence stays anchored on ``start``).

    Examples
    --------
    >>> for day in proposed_days(dt.date(2026, 3, 16), 7):
    ...     print(day.isoformat(), day.strftime("%a"))
    2026-03-16 Mon
    2026-03-31 Tue
    2026-04-15 Wed
    2026-04-30 Thu
    2026-05-15 Fri
    2026-06-01 Mon
    2026-06-15 Mon
    """
    out = []
    for k in range(count):
        day = start + dt.timedelta(days=every * k)
        if day.weekday() >= 5:
            day += dt.timedelta(days=7 - day.weekday())
        out.append(day)
    return out


@dataclass(frozen=True)
class HoursRow:
    """Minutes planned and done in one phase (or the total)."""

    key: str  # a phase code, "" (not linked to a step), or "total"
    planned_interview: int = 0
    planned_personal: int = 0
    interview: int = 0
    personal: int = 0  # logged by hand
    tests: int = 0  # measured by the questionnaires

    @property
    def planned(self) -> int:
        return self.planned_interview + self.planned_personal

    @property
    def done_personal(self) -> int:
        return self.personal + self.tests

    @property
    def done(self) -> int:
        return self.interview + self.personal + self.tests

    def plus(self, other: HoursRow, key: str) -> HoursRow:
        return HoursRow(
            key,
            self.planned_interview + other.planned_interview,
            self.planned_personal + other.planned_personal,
            self.interview + other.interview,
            self.personal + other.personal,
            self.tests + other.tests,
        )


@dataclass(frozen=True)
class HoursSummary:
    rows: tuple[HoursRow, ...]  # phases of the bilan (and "" for time not linked to a step)
    total: HoursRow  # the bilan, compared with the ceiling
    followup: HoursRow  # outside the ceiling
    ceiling: int = CEILING_MINUTES

    @property
    def plan_over(self) -> bool:
        return self.total.planned > self.ceiling

    @property
    def done_over(self) -> bool:
        return self.total.done > self.ceiling

    @property
    def remaining(self) -> int:
        return self.ceiling - self.total.done


def summarise(
    planned: Iterable[tuple[str, int, int]],
    done: Iterable[tuple[str | None, str, int]],
    *,
    ceiling: int = CEILING_MINUTES,
) -> HoursSummary:
    """Totals per phase. ``planned``: (phase, interview minutes, personal minutes) per step;
    ``done``: (phase or None, "interview" | "personal" | "tests", minutes). Phase
    ``suivi`` goes to the follow-up row, outside the ceiling.

    Examples
    --------
    >>> s = summarise(
    ...     [("preliminaire", 120, 0), ("investigation", 120, 60), ("suivi", 60, 0)],
    ...     [("preliminaire", "interview", 110), (None, "personal", 45),
    ...      ("investigation", "tests", 25), ("suivi", "interview", 55)],
    ... )
    >>> s.total.planned, s.total.done, s.followup.planned, s.followup.done
    (300, 180, 60, 55)
    >>> [(r.key, r.planned, r.done) for r in s.rows]
    [('preliminaire', 120, 110), ('investigation', 180, 25), ('conclusions', 0, 0), ('', 0, 45)]
    >>> s.plan_over, summarise([("investigation", 1000, 500)], []).plan_over
    (False, True)
    """
    rows: dict[str, HoursRow] = {p: HoursRow(p) for p in STEP_PHASES}
    rows[""] = HoursRow("")
    for phase, interview, personal in planned:
        key = phase if phase in rows else ""
        rows[key] = rows[key].plus(HoursRow(key, interview, personal), key)
    fields = {"interview": 3, "personal": 4, "tests": 5}
    for maybe_phase, kind, minutes in done:
        key = maybe_phase if maybe_phase in rows else ""
        values = [0, 0, 0, 0, 0]
        values[fields[kind] - 1] = minutes
        rows[key] = rows[key].plus(HoursRow(key, *values), key)
    followup = rows.pop("suivi")
    # the three phases always; the row of time not linked to a step only when it holds some
    shown = tuple(r for r in rows.values() if r.key != "" or r.planned or r.done)
    total = HoursRow("total")
    for r in shown:
        total = total.plus(r, "total")
    return HoursSummary(rows=shown, total=total, followup=followup, ceiling=ceiling)


# --- errors -------------------------------------------------------------------------------


class RecordError(ValueError):
    """A change the record refuses; ``str(exc)`` is the French message, ``field`` the form
    field it concerns (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def ensure_open(bilan: Bilan) -> None:
    if bilan.is_closed:
        raise RecordError(_("Ce bilan est clos : son dossier ne peut plus être modifié."))


# --- the default template and the centre's ------------------------------------------------


@dataclass(frozen=True)
class StepTemplate:
    phase: str
    name: str
    objectives: str
    interview_hours: float
    personal_hours: float
    instruments: tuple[str, ...] = ()


#: The seed's methodology (RH Visions): 14 h of interviews + 10 h of personal work = 24 h,
#: then a follow-up interview of 1 h outside the 24 h.
DEFAULT_STEPS: tuple[StepTemplate, ...] = (
    StepTemplate(
        "preliminaire",
        N_("Attentes — analyse de la demande et des attentes, définition des objectifs"),
        N_(
            "Analyse de la demande et des attentes ; détermination et définition des objectifs"
            " personnalisés ; convention et calendrier."
        ),
        2,
        0,
    ),
    StepTemplate(
        "investigation",
        N_("Capital personnel — parcours"),
        N_(
            "Parcours personnel et professionnel ; sens et moteur du parcours."
            " Outil : histoire de vie."
        ),
        2,
        1,
    ),
    StepTemplate(
        "investigation",
        N_("Capital personnel — valeurs, réussites, restitution des questionnaires"),
        N_(
            "Valeurs au travail ; réussites professionnelles et extra-professionnelles ;"
            " restitution des questionnaires de personnalité, d’intérêts professionnels et de"
            " valeurs liées au travail."
        ),
        2,
        1,
        ("ipip-bfi-25", "riasec-60", "valeurs-travail"),
    ),
    StepTemplate(
        "investigation",
        N_("Capital professionnel — compétences, aspirations"),
        N_(
            "Compétences (savoir-faire), savoirs, savoir-être, potentiels ; trajectoire"
            " professionnelle. Outils : portefeuille de compétences, réalisations"
            " professionnelles et extra-professionnelles."
        ),
        2,
        2,
    ),
    StepTemplate(
        "investigation",
        N_("Capital professionnel — projet professionnel, écarts de compétences"),
        N_(
            "Définition du projet professionnel et de sa mise en œuvre ; analyse des écarts de"
            " compétences ; pertinence et faisabilité du projet."
        ),
        2,
        2,
    ),
    StepTemplate(
        "conclusions",
        N_("Prospectives — élaboration, validation, scénarios, enquêtes"),
        N_(
            "Réajustement du projet, formalisation des scénarios ; phase terrain : enquêtes,"
            " recherches ; document de synthèse partagé."
        ),
        2,
        2,
    ),
    StepTemplate(
        "conclusions",
        N_("Document de synthèse, plan d’action, conclusion"),
        N_("Document de synthèse ; plan d’actions ; conclusion du bilan."),
        2,
        2,
    ),
    StepTemplate(
        "suivi",
        N_("Entretien de suivi (3 à 6 mois après la fin)"),
        N_("Suivi du projet, 3 à 6 mois après la fin du bilan (hors des 24 heures)."),
        1,
        0,
    ),
)


def instrument_ids(text: str | None) -> list[str]:
    """The ids stored in a step's ``instruments`` column (comma-separated)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _centre_id(centre: Centre | int) -> int:
    return centre if isinstance(centre, int) else centre.id


def centre_steps(session: Session, centre: Centre | int) -> list[CentreStep]:
    """The centre's template, seeded from :data:`DEFAULT_STEPS` the first time (a template
    emptied of all its steps comes back as the default: a bilan needs a plan)."""
    cid = _centre_id(centre)
    steps = list(
        session.scalars(
            select(CentreStep).where(CentreStep.centre_id == cid).order_by(CentreStep.position)
        )
    )
    if steps:
        return steps
    for position, tpl in enumerate(DEFAULT_STEPS, start=1):
        step = CentreStep(
            centre_id=cid,
            position=position,
            phase=tpl.phase,
            name=tpl.name,
            objectives=tpl.objectives,
            interview_hours=float(tpl.interview_hours),
            personal_hours=float(tpl.personal_hours),
            instruments=",".join(tpl.instruments),
        )
        session.add(step)
        steps.append(step)
    session.flush()
    return steps


def reset_centre_steps(session: Session, centre: Centre | int) -> list[CentreStep]:
    """Replace the centre's template by the default one (bilans already planned keep
    their own steps)."""
    session.execute(delete(CentreStep).where(CentreStep.centre_id == _centre_id(centre)))
    session.flush()
    return centre_steps(session, centre)


def bilan_steps(session: Session, bilan: Bilan) -> list[BilanStep]:
    return list(
        session.scalars(
            select(BilanStep).where(BilanStep.bilan_id == bilan.id).order_by(BilanStep.position)
        )
    )


# --- editing steps (centre template and bilan plan) ---------------------------------------


@dataclass(frozen=True)
class StepValues:
    phase: str
    name: str
    objectives: str | None
    interview_hours: Decimal
    personal_hours: Decimal
    instruments: tuple[str, ...] = ()
    planned_at: dt.datetime | None = None  # bilan steps only (aware)


def check_step(values: StepValues, known_instruments: Iterable[str]) -> StepValues:
    """The values, cleaned, or :class:`RecordError` naming the field."""
    if values.phase not in STEP_PHASES:
        raise RecordError(_("Phase inconnue : choisissez une phase de la liste."), "phase")
    name = values.name.strip()
    if not name:
        raise RecordError(_("Donnez un nom à l’étape."), "name")
    if len(name) > NAME_MAX:
        raise RecordError(_("%(max)s caractères au plus.", max=NAME_MAX), "name")
    for field, hours in (
        ("interview_hours", values.interview_hours),
        ("personal_hours", values.personal_hours),
    ):
        if not hours.is_finite() or hours < 0 or hours > MAX_STEP_HOURS:
            raise RecordError(
                _("Un nombre d’heures entre 0 et %(max)s.", max=MAX_STEP_HOURS), field
            )
    known = set(known_instruments)
    unknown = [i for i in values.instruments if i not in known]
    if unknown:
        raise RecordError(
            _("Questionnaire inconnu : %(ids)s.", ids=", ".join(unknown)), "instruments"
        )
    if len(",".join(values.instruments)) > INSTRUMENTS_MAX:
        raise RecordError(_("Trop de questionnaires pour une étape."), "instruments")
    return StepValues(
        phase=values.phase,
        name=name,
        objectives=(values.objectives or "").strip() or None,
        interview_hours=values.interview_hours,
        personal_hours=values.personal_hours,
        instruments=tuple(dict.fromkeys(values.instruments)),
        planned_at=values.planned_at,
    )


def _apply_step(step: CentreStep | BilanStep, values: StepValues) -> None:
    step.phase = values.phase
    step.name = values.name
    step.objectives = values.objectives
    step.interview_hours = float(values.interview_hours)
    step.personal_hours = float(values.personal_hours)
    step.instruments = ",".join(values.instruments)
    if isinstance(step, BilanStep):
        step.planned_at = values.planned_at


def update_centre_step(step: CentreStep, values: StepValues, known: Iterable[str]) -> None:
    _apply_step(step, check_step(values, known))


def update_bilan_step(
    bilan: Bilan, step: BilanStep, values: StepValues, known: Iterable[str]
) -> None:
    """Change a step of the bilan's plan. Moving the follow-up step moves the bilan's
    follow-up date too, once that date is fixed (it is the follow-up interview's day)."""
    ensure_open(bilan)
    checked = check_step(values, known)
    _apply_step(step, checked)
    if checked.phase == "suivi" and checked.planned_at and bilan.followup_date is not None:
        bilan.followup_date = checked.planned_at.astimezone(PARIS).date()


def _siblings(session: Session, step: CentreStep | BilanStep) -> list[Any]:
    if isinstance(step, CentreStep):
        return list(
            session.scalars(
                select(CentreStep)
                .where(CentreStep.centre_id == step.centre_id)
                .order_by(CentreStep.position)
            )
        )
    return list(
        session.scalars(
            select(BilanStep)
            .where(BilanStep.bilan_id == step.bilan_id)
            .order_by(BilanStep.position)
        )
    )


def add_centre_step(
    session: Session, centre: Centre | int, values: StepValues, known: Iterable[str]
) -> CentreStep:
    cid = _centre_id(centre)
    checked = check_step(values, known)
    centre_steps(session, cid)  # a first edit starts from the default template
    last = session.scalar(select(func.max(CentreStep.position)).where(CentreStep.centre_id == cid))
    step = CentreStep(centre_id=cid, position=(last or 0) + 1)
    _apply_step(step, checked)
    session.add(step)
    session.flush()
    return step


def add_bilan_step(
    session: Session, bilan: Bilan, values: StepValues, known: Iterable[str]
) -> BilanStep:
    ensure_open(bilan)
    checked = check_step(values, known)
    last = session.scalar(
        select(func.max(BilanStep.position)).where(BilanStep.bilan_id == bilan.id)
    )
    step = BilanStep(bilan_id=bilan.id, position=(last or 0) + 1)
    _apply_step(step, checked)
    session.add(step)
    session.flush()
    return step


def remove_step(session: Session, step: CentreStep | BilanStep) -> None:
    """Delete a step (interviews and personal work linked to a bilan step stay, unlinked)."""
    if isinstance(step, BilanStep):
        for model in (Interview, PersonalWork):
            session.execute(update(model).where(model.step_id == step.id).values(step_id=None))
    session.delete(step)
    session.flush()


def move_step(session: Session, step: CentreStep | BilanStep, offset: int) -> bool:
    """Swap a step with its neighbour (``offset`` -1: up, +1: down); False at an end."""
    steps = _siblings(session, step)
    index = next(k for k, s in enumerate(steps) if s.id == step.id)
    other_index = index + offset
    if offset not in (-1, 1) or not 0 <= other_index < len(steps):
        return False
    other = steps[other_index]
    mine, theirs = step.position, other.position
    step.position = -1  # (parent, position) is unique: go through a free slot
    session.flush()
    other.position = mine
    session.flush()
    step.position = theirs
    session.flush()
    return True


# --- planning a bilan ---------------------------------------------------------------------


def _is_interview_step(step: BilanStep) -> bool:
    return step.phase != "suivi" and step.interview_hours > 0


def plan_bilan(
    session: Session,
    bilan: Bilan,
    start_date: dt.date,
    *,
    at: dt.time | None = None,
    replace: bool = False,
    now: dt.datetime | None = None,
) -> list[BilanStep]:
    """Plan the bilan from ``start_date``: copy the centre's steps (when the bilan has
    none yet) and propose a date for each interview step, about every 15 days, at ``at``
    Paris time (default: the time of the bilan's next interview if one is set, else 09:30).

    Sets the start and the planned end (start + 3 months, or the last interview if later;
    kept when already set, unless ``replace=True``: a new calendar asked for on the record
    page). The follow-up step is proposed on the bilan's follow-up date if one is set,
    else 6 months after the planned end (provisional: the follow-up date is fixed at the
    end of the bilan). The caller commits.
    """
    ensure_open(bilan)
    steps = bilan_steps(session, bilan)
    if not steps:
        for tpl in centre_steps(session, bilan.centre_id):
            step = BilanStep(
                bilan_id=bilan.id,
                position=tpl.position,
                phase=tpl.phase,
                name=tpl.name,
                objectives=tpl.objectives,
                interview_hours=tpl.interview_hours,
                personal_hours=tpl.personal_hours,
                instruments=tpl.instruments,
            )
            session.add(step)
            steps.append(step)
        session.flush()
    if at is None:
        at = (
            paris_time_of(bilan.next_interview_at)
            if bilan.next_interview_at is not None
            else DEFAULT_TIME
        )
    interviews = [s for s in steps if _is_interview_step(s)]
    days = proposed_days(start_date, len(interviews))
    for step, day in zip(interviews, days, strict=True):
        step.planned_at = paris_to_utc(day, at)
    bilan.start_date = start_date
    if replace or bilan.planned_end is None:
        end = add_months(start_date, PLANNED_MONTHS)
        bilan.planned_end = max([end, *days])
    followup = bilan.followup_date or add_months(bilan.planned_end, FOLLOWUP_MONTHS)
    for step in steps:
        if step.phase == "suivi":
            step.planned_at = paris_to_utc(followup, at)
        elif not _is_interview_step(step):
            step.planned_at = None
    if bilan.next_interview_at is None:
        current = now or utcnow()
        upcoming = [s.planned_at for s in interviews if s.planned_at and s.planned_at >= current]
        bilan.next_interview_at = min(upcoming, default=None)
    session.flush()
    return steps


# --- the record's administrative fields and status ----------------------------------------


@dataclass(frozen=True)
class RecordValues:
    funding: str | None
    commanditaire: str | None
    convention_date: dt.date | None
    convention_signatories: str | None
    convention_signed: bool
    objectives: str | None
    start_date: dt.date | None
    planned_end: dt.date | None
    followup_date: dt.date | None


def _clean(text: str | None) -> str | None:
    return (text or "").replace("\r\n", "\n").strip() or None


def update_record(bilan: Bilan, values: RecordValues) -> None:
    ensure_open(bilan)
    if values.start_date and values.planned_end and values.planned_end < values.start_date:
        raise RecordError(_("La fin prévue ne peut pas précéder le début du bilan."), "planned_end")
    end = values.planned_end or values.start_date
    if end and values.followup_date and values.followup_date < end:
        raise RecordError(
            _("Le suivi se situe après la fin du bilan : choisissez une date plus tardive."),
            "followup_date",
        )
    bilan.funding = _clean(values.funding)
    bilan.commanditaire = _clean(values.commanditaire)
    bilan.convention_date = values.convention_date
    bilan.convention_signatories = _clean(values.convention_signatories)
    bilan.convention_signed = values.convention_signed
    bilan.objectives = _clean(values.objectives)
    bilan.start_date = values.start_date
    bilan.planned_end = values.planned_end
    bilan.followup_date = values.followup_date


def next_statuses(bilan: Bilan) -> tuple[str, ...]:
    return BilanStatus(bilan.status).next_on_record()


def change_status(session: Session, bilan: Bilan, status: str) -> None:
    """Move the bilan to ``status`` if :data:`TRANSITIONS` allows it (the end of the bilan
    and the start of the follow-up have their own functions, see the module docstring)."""
    if status not in STATUSES:
        raise RecordError(_("Statut inconnu."), "status")
    if status not in next_statuses(bilan):
        raise RecordError(
            _(
                "Passage impossible de « %(old)s » à « %(new)s ».",
                old=phase_label(bilan.status),
                new=phase_label(status),
            ),
            "status",
        )
    bilan.status = BilanStatus(status)
    session.flush()


# --- interviews and personal work ---------------------------------------------------------


@dataclass(frozen=True)
class InterviewValues:
    held_at: dt.datetime  # aware
    minutes: int
    mode: str
    topic: str | None
    step_id: int | None


@dataclass(frozen=True)
class WorkValues:
    done_on: dt.date
    minutes: int
    kind: str
    description: str | None
    step_id: int | None


def _check_step_id(session: Session, bilan: Bilan, step_id: int | None) -> None:
    if step_id is None:
        return
    step = session.get(BilanStep, step_id)
    if step is None or step.bilan_id != bilan.id:
        raise RecordError(_("Étape inconnue : choisissez une étape de ce bilan."), "step_id")


def _check_minutes(minutes: int, limit: int, message: str) -> None:
    if not 1 <= minutes <= limit:
        raise RecordError(message, "minutes")


def check_interview(session: Session, bilan: Bilan, values: InterviewValues) -> InterviewValues:
    ensure_open(bilan)
    if values.held_at.tzinfo is None:
        raise RecordError(_("Date et heure de l’entretien invalides."), "held_at")
    _check_minutes(values.minutes, MAX_INTERVIEW_MINUTES, _("Une durée de 1 à 480 minutes."))
    if values.mode not in MODES:
        raise RecordError(_("Mode inconnu : choisissez présentiel, distanciel ou hybride."), "mode")
    _check_step_id(session, bilan, values.step_id)
    return InterviewValues(
        values.held_at, values.minutes, values.mode, _clean(values.topic), values.step_id
    )


def add_interview(session: Session, bilan: Bilan, values: InterviewValues) -> Interview:
    checked = check_interview(session, bilan, values)
    row = Interview(bilan_id=bilan.id, held_at=checked.held_at, minutes=0, mode="")
    _set_interview(row, checked)
    session.add(row)
    session.flush()
    return row


def update_interview(
    session: Session, row: Interview, bilan: Bilan, values: InterviewValues
) -> None:
    _set_interview(row, check_interview(session, bilan, values))
    session.flush()


def _set_interview(row: Interview, values: InterviewValues) -> None:
    row.held_at = values.held_at
    row.minutes = values.minutes
    row.mode = values.mode
    row.topic = values.topic
    row.step_id = values.step_id


def check_work(session: Session, bilan: Bilan, values: WorkValues) -> WorkValues:
    ensure_open(bilan)
    _check_minutes(values.minutes, MAX_WORK_MINUTES, _("Une durée de 1 à 1 440 minutes."))
    if values.kind not in WORK_KINDS:
        raise RecordError(
            _(
                "Type inconnu : recherches, enquêtes de terrain, rédaction ou autre. Le temps"
                " des questionnaires est compté automatiquement."
            ),
            "kind",
        )
    _check_step_id(session, bilan, values.step_id)
    return WorkValues(
        values.done_on, values.minutes, values.kind, _clean(values.description), values.step_id
    )


def add_work(session: Session, bilan: Bilan, values: WorkValues) -> PersonalWork:
    checked = check_work(session, bilan, values)
    row = PersonalWork(bilan_id=bilan.id, done_on=checked.done_on, minutes=0, kind="")
    _set_work(row, checked)
    session.add(row)
    session.flush()
    return row


def update_work(session: Session, row: PersonalWork, bilan: Bilan, values: WorkValues) -> None:
    _set_work(row, check_work(session, bilan, values))
    session.flush()


def _set_work(row: PersonalWork, values: WorkValues) -> None:
    row.done_on = values.done_on
    row.minutes = values.minutes
    row.kind = values.kind
    row.description = values.description
    row.step_id = values.step_id


def delete_row(session: Session, bilan: Bilan, row: Interview | PersonalWork) -> None:
    ensure_open(bilan)
    session.delete(row)
    session.flush()


def interviews_of(session: Session, bilan: Bilan) -> list[Interview]:
    return list(
        session.scalars(
            select(Interview)
            .where(Interview.bilan_id == bilan.id)
            .order_by(Interview.held_at, Interview.id)
        )
    )


def work_of(session: Session, bilan: Bilan) -> list[PersonalWork]:
    return list(
        session.scalars(
            select(PersonalWork)
            .where(PersonalWork.bilan_id == bilan.id)
            .order_by(PersonalWork.done_on, PersonalWork.id)
        )
    )


# --- hours --------------------------------------------------------------------------------


def questionnaire_seconds(session: Session, bilan: Bilan) -> dict[int, float]:
    """Seconds measured on the pages of each of the bilan's questionnaires (after the
    content is destroyed, the total kept on the questionnaire: ``kept_seconds``)."""
    rows = session.execute(
        select(PageTiming.assignment_id, func.sum(PageTiming.seconds))
        .join(Assignment, Assignment.id == PageTiming.assignment_id)
        .where(Assignment.bilan_id == bilan.id)
        .group_by(PageTiming.assignment_id)
    )
    out = {aid: float(total or 0) for aid, total in rows}
    kept = session.execute(
        select(Assignment.id, Assignment.kept_seconds).where(
            Assignment.bilan_id == bilan.id, Assignment.kept_seconds.is_not(None)
        )
    )
    for aid, seconds in kept:
        out[aid] = out.get(aid, 0.0) + float(seconds or 0)
    return out


def hours_summary(session: Session, bilan: Bilan) -> HoursSummary:
    """Planned and done minutes per phase against the 24 h ceiling (see module docstring
    for what counts where)."""
    steps = bilan_steps(session, bilan)
    phase_of_step = {s.id: s.phase for s in steps}
    phase_of_instrument: dict[str, str] = {}
    for s in steps:
        for iid in instrument_ids(s.instruments):
            phase_of_instrument.setdefault(iid, s.phase)
    ended = bilan.ended_at

    def phase_of(step_id: int | None, after_end: bool) -> str | None:
        if step_id is not None and step_id in phase_of_step:
            return phase_of_step[step_id]
        return "suivi" if after_end else None

    done: list[tuple[str | None, str, int]] = []
    for i in interviews_of(session, bilan):
        held = i.held_at
        after = ended is not None and held is not None and held > ended
        done.append((phase_of(i.step_id, after), "interview", i.minutes))
    for w in work_of(session, bilan):
        after = ended is not None and w.done_on > ended.astimezone(PARIS).date()
        done.append((phase_of(w.step_id, after), "personal", w.minutes))
    seconds = questionnaire_seconds(session, bilan)
    for a in bilan.assignments:
        if a.purpose == "end" or a.id not in seconds:
            continue
        phase = "suivi" if a.purpose == "followup" else phase_of_instrument.get(a.instrument_id)
        done.append((phase, "tests", minutes_of_seconds(seconds[a.id])))
    planned = [
        (s.phase, minutes_of_hours(s.interview_hours), minutes_of_hours(s.personal_hours))
        for s in steps
    ]
    return summarise(planned, done)


def hours_warnings(summary: HoursSummary) -> list[str]:
    out = []
    if summary.plan_over:
        out.append(
            _(
                "Le plan prévoit %(planned)s, au-delà du plafond légal de %(ceiling)s du bilan"
                " (entretien de suivi non compris) : réduisez les heures de certaines étapes.",
                planned=format_minutes(summary.total.planned),
                ceiling=format_minutes(summary.ceiling),
            )
        )
    if summary.done_over:
        out.append(
            _(
                "Le temps réalisé (%(done)s) dépasse le plafond légal de %(ceiling)s du bilan.",
                done=format_minutes(summary.total.done),
                ceiling=format_minutes(summary.ceiling),
            )
        )
    return out


# --- phase-linked questionnaires ----------------------------------------------------------


#: The status of a step's questionnaire that is not assigned in the bilan yet.
NOT_ASSIGNED = "not_assigned"


@dataclass(frozen=True)
class StepTool(QuestionnaireState):
    instrument_id: str
    name: str
    status: str  # not_assigned | not_started | in_progress | completed
    status_label: str
    assignment_id: int | None

    @property
    def is_assigned(self) -> bool:
        return self.status != NOT_ASSIGNED


def step_tools(step: BilanStep, bilan: Bilan, names: dict[str, str]) -> list[StepTool]:
    """The questionnaires of a step with the state of their latest assignment."""
    out = []
    for iid in instrument_ids(step.instruments):
        latest = max(
            (a for a in bilan.assignments if a.instrument_id == iid and a.purpose is None),
            key=lambda a: a.id,
            default=None,
        )
        if latest is None:
            out.append(StepTool(iid, names.get(iid, iid), NOT_ASSIGNED, _("non assigné"), None))
        else:
            out.append(
                StepTool(
                    iid,
                    names.get(iid, iid),
                    latest.status,
                    status_label(latest.status),
                    latest.id,
                )
            )
    return out


# --- calendar -----------------------------------------------------------------------------


def step_moment(step: BilanStep, bilan: Bilan) -> dt.datetime | None:
    """When a step is planned (aware UTC). A follow-up step is on the bilan's follow-up
    date once it is fixed (at the step's time, 09:30 by default)."""
    planned = step.planned_at
    if step.phase != "suivi" or bilan.followup_date is None:
        return planned
    at = paris_time_of(planned) if planned is not None else DEFAULT_TIME
    return paris_to_utc(bilan.followup_date, at)


def calendar_events(bilan: Bilan, steps: Sequence[BilanStep], *, audience: str) -> list[ical.Event]:
    """The planned interviews as calendar events. ``audience``: "counsellor" (step names,
    objectives, the beneficiary's name) or "beneficiary" (dates and generic titles only)."""
    events = []
    for step in steps:
        start = step_moment(step, bilan)
        if start is None:
            continue
        minutes = minutes_of_hours(step.interview_hours) or 60
        if audience == "counsellor":
            # a built-in step's name and objectives in the reader's language
            summary = _(
                "%(step)s — %(name)s",
                step=builtin_text(step.name),
                name=bilan.beneficiary.display_name,
            )
            description = builtin_text(step.objectives) or None
        else:
            summary = (
                _("Entretien de suivi du bilan de compétences")
                if step.phase == "suivi"
                else _("Entretien de bilan de compétences")
            )
            description = None
        events.append(
            ical.Event(
                uid=f"bilan{bilan.id}-etape{step.id}-{audience}@boussole",
                start=start,
                duration=dt.timedelta(minutes=minutes),
                summary=summary,
                description=description,
            )
        )
    return events


def calendar_ics(
    session: Session, bilan: Bilan, *, audience: str, now: dt.datetime | None = None
) -> bytes:
    steps = bilan_steps(session, bilan)
    name = (
        _("Bilan de compétences — %(name)s", name=bilan.beneficiary.display_name)
        if audience == "counsellor"
        else _("Mon bilan de compétences")
    )
    return ical.render_calendar(
        calendar_events(bilan, steps, audience=audience), now=now or utcnow(), name=name
    )


# --- the record page's table of contents ---------------------------------------------------


@dataclass(frozen=True)
class RecordDigest:
    """One line per part of the record page, shown next to its title when it is folded."""

    statut: str
    convention: str
    etapes: str
    heures: str
    entretiens: str
    travail: str


def record_digest(
    bilan: Bilan,
    moments: Sequence[dt.datetime | None],
    summary: HoursSummary,
    *,
    interviews: int,
    works: int,
    now: dt.datetime | None = None,
) -> RecordDigest:
    """What each part of the record holds, in a few words (``moments``: the planned date
    of each step, in order)."""
    current = now or utcnow()
    upcoming = min((m for m in moments if m is not None and m >= current), default=None)
    steps = ngettext("%(num)s étape", "%(num)s étapes", len(moments))
    if upcoming is not None and bilan.is_running:
        steps = _(
            "%(steps)s ; prochain entretien prévu le %(date)s",
            steps=steps,
            date=format_day(upcoming),
        )
    if bilan.convention_signed and bilan.convention_date:
        convention = _("convention signée le %(date)s", date=format_day(bilan.convention_date))
    elif bilan.convention_signed:
        convention = _("convention signée")
    else:
        convention = _("convention non signée")
    return RecordDigest(
        statut=BilanStatus(bilan.status).label,
        convention=str(convention),
        etapes=str(steps),
        heures=_(
            "%(done)s réalisées sur %(ceiling)s",
            done=format_minutes(summary.total.done),
            ceiling=format_minutes(summary.ceiling),
        ),
        entretiens=str(
            ngettext("%(num)s entretien enregistré", "%(num)s entretiens enregistrés", interviews)
            if interviews
            else _("aucun entretien enregistré")
        ),
        travail=str(
            ngettext(
                "%(num)s temps de travail personnel noté",
                "%(num)s temps de travail personnel notés",
                works,
            )
            if works
            else _("aucun travail personnel noté")
        ),
    )
