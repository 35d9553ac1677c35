"""The beneficiary's journey: home page, the questionnaires of a bilan, assigning one.

Business logic of the ``beneficiary`` blueprint. Routes load the records, check access
with :mod:`service.access`, call one function here and render; templates receive
ready-to-print values. Functions take the database session and the values they need as
arguments; they never read ``flask.request``, ``session`` or ``g`` (they use gettext for
messages, which follows the request's locale).

The journey's jobs have a module each: :mod:`.answers` (checking an answer against the
instrument's coding), :mod:`.store` (storage), :mod:`.answering` (autosave, pages, resume,
progress), :mod:`.consent`, :mod:`.completion` (completing and scoring) and this one (the
home page, assigning a questionnaire).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.orm import Session

from instruments.loader import InstrumentSet
from instruments.model import Instrument
from service import access
from service.features.journey.answering import minutes_left, progress_percent, resume_point
from service.features.journey.consent import agreed_months, latest_consent
from service.features.journey.paging import item_anchor, paginate
from service.models import (
    Answer,
    Assignment,
    Beneficiary,
    Bilan,
    Consent,
)
from service.models.states import QuestionnaireState

log = logging.getLogger(__name__)


# --- instruments and codes ----------------------------------------------------------------


def instrument_for(
    instruments: Mapping[str, Instrument], assignment: Assignment
) -> Instrument | None:
    """The instrument an assignment was given in, to read its answers and scores: the
    current version or an earlier one kept in the archive; None when neither is loaded."""
    return loaded_instrument(instruments, assignment.instrument_id, assignment.instrument_version)


def answerable_instrument(
    instruments: Mapping[str, Instrument], assignment: Assignment
) -> Instrument | None:
    """The instrument of an assignment if it may still be answered: only the version
    assigned today (an earlier version is kept to read scores, never to collect answers)."""
    return current_instrument(instruments, assignment.instrument_id, assignment.instrument_version)


def loaded_instrument(
    instruments: Mapping[str, Instrument], instrument_id: str, version: str
) -> Instrument | None:
    """The loaded instrument with this id and version, current or earlier (archived), or
    None when it is not loaded."""
    if isinstance(instruments, InstrumentSet):
        return instruments.version(instrument_id, version)
    return current_instrument(instruments, instrument_id, version)


def current_instrument(
    instruments: Mapping[str, Instrument], instrument_id: str, version: str
) -> Instrument | None:
    """The loaded instrument with this id if ``version`` is its current version, else None."""
    inst = instruments.get(instrument_id)
    if inst is None or inst.version != version:
        return None
    return inst


def answered_ids(session: Session, assignment_id: int) -> dict[str, bool]:
    """The ids of the items answered in a questionnaire (as a mapping, for resume_point)."""
    rows = session.scalars(select(Answer.item_id).where(Answer.assignment_id == assignment_id))
    return dict.fromkeys(rows, True)


# --- views for the templates --------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentSummary(QuestionnaireState):
    id: int
    name: str
    status: str  # not_started | in_progress | completed
    answered: int
    total: int
    percent: int
    minutes: int
    minutes_left: int
    results_available: bool
    anonymous: bool  # a satisfaction or follow-up questionnaire: no results, ever
    resume_page: int = 1  # where "Reprendre" goes (one tap: straight to the page)
    resume_anchor: str | None = None  # the item to put the focus on there (its box's id)


@dataclass(frozen=True)
class BilanSummary:
    id: int
    title: str
    consent: str  # none | accepted | refused
    consent_at: dt.datetime | None
    keep_for_followup: bool
    assignments: tuple[AssignmentSummary, ...]
    report_available: bool = False
    keep_months: int = 0  # the agreed keeping after the end (0: none)


def questionnaire_name(instrument: Instrument, questionnaire_lang: str, page_lang: str) -> str:
    """The questionnaire's name in the page's language, saying so when the questionnaire
    itself is in another language: "Work values (in French)", "Valeurs au travail (en
    anglais)"."""
    name = instrument.name.get(page_lang)
    if questionnaire_lang == page_lang:
        return name
    languages = {"fr": _("en français"), "en": _("en anglais")}
    note = languages.get(questionnaire_lang, questionnaire_lang.upper())
    return f"{name} ({note})"


def home_view(
    session: Session,
    principal: Beneficiary,
    instruments: Mapping[str, Instrument],
    consents: Sequence[Consent],
    lang: str,
    *,
    per_page: int,
) -> list[BilanSummary]:
    """The person's bilans with their consent state and questionnaires (``per_page``: items
    per questionnaire page, for where each one resumes)."""
    bilans = list(
        session.scalars(
            select(Bilan).where(Bilan.beneficiary_id == principal.id).order_by(Bilan.id)
        )
    )
    ids = [a.id for b in bilans for a in b.assignments]
    counts: dict[int, int] = {}
    if ids:
        counts = {
            aid: int(n)
            for aid, n in session.execute(
                select(Answer.assignment_id, func.count())
                .where(Answer.assignment_id.in_(ids))
                .group_by(Answer.assignment_id)
            )
        }
    out = []
    for bilan in sorted(bilans, key=lambda b: b.id):
        latest = latest_consent(consents, bilan.id)
        rows = []
        for a in bilan.assignments:
            inst = instrument_for(instruments, a)
            if inst is None or (
                not a.is_completed and answerable_instrument(instruments, a) is None
            ):
                # a version no longer installed, or an earlier one left open (it cannot be
                # answered any more): the counsellor sees it, not here
                continue
            answered = counts.get(a.id, 0)
            total = len(inst.items)
            page, anchor = 1, None
            if a.is_in_progress:
                page, item = resume_point(a, paginate(inst, per_page), answered_ids(session, a.id))
                anchor = item_anchor(item)
            rows.append(
                AssignmentSummary(
                    id=a.id,
                    name=questionnaire_name(inst, a.language, lang),
                    status=a.status,
                    answered=answered,
                    total=total,
                    percent=progress_percent(answered, total),
                    minutes=max(1, math.ceil(inst.minutes)),
                    minutes_left=minutes_left(inst, answered),
                    results_available=access.can_view_results(principal, a, inst),
                    anonymous=inst.anonymous,
                    resume_page=page,
                    resume_anchor=anchor,
                )
            )
        out.append(
            BilanSummary(
                id=bilan.id,
                title=bilan.title,
                consent="none" if latest is None else "accepted" if latest.accepted else "refused",
                consent_at=latest.recorded_at if latest is not None else None,
                keep_for_followup=bool(latest is not None and latest.keep_for_followup),
                assignments=tuple(rows),
                report_available=access.can_view_report(principal, bilan),
                keep_months=agreed_months(latest),
            )
        )
    return out


# --- assigning ------------------------------------------------------------------------------


class AssignmentRefused(ValueError):
    """A questionnaire cannot be assigned; the message says why (in French)."""


def assign(
    session: Session,
    bilan: Bilan,
    instrument: Instrument,
    *,
    language: str,
    show_results_now: bool,
) -> Assignment:
    """Assign a questionnaire (the instrument's current version) to a bilan.

    An anonymous questionnaire (satisfaction, follow-up) is refused: it is assigned by
    the end of the bilan and the follow-up job only (:mod:`service.features.followup`),
    the only answers the centre's statistics count; assigned by hand, its answers would
    serve nobody. An instrument not meant for a bilan (an archived version) is refused."""
    if not instrument.administered_in_bilan:
        raise AssignmentRefused(
            _(
                "Le questionnaire « %(name)s » n’est pas destiné à être proposé dans un bilan.",
                name=instrument.name.get("fr"),
            )
        )
    if instrument.anonymous:
        raise AssignmentRefused(
            _(
                "« %(name)s » est assigné automatiquement à la fin du bilan ou au suivi ;"
                " ses réponses anonymes ne servent qu’aux statistiques du centre.",
                name=instrument.name.get("fr"),
            )
        )
    if language not in instrument.languages:
        raise AssignmentRefused(
            _(
                "Le questionnaire « %(name)s » n’existe pas dans cette langue.",
                name=instrument.name.get("fr"),
            )
        )
    open_same = [
        a for a in bilan.assignments if a.instrument_id == instrument.id and not a.is_completed
    ]
    if open_same:
        raise AssignmentRefused(
            _(
                "« %(name)s » est déjà assigné et pas encore terminé.",
                name=instrument.name.get("fr"),
            )
        )
    assignment = Assignment(
        bilan_id=bilan.id,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        language=language,
        show_results_now=show_results_now,
    )
    session.add(assignment)
    session.flush()
    return assignment
