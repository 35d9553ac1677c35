"""Profiles, restitution report and exports of a bilan, from the database to ``reports``.

Routes call these functions after checking access (:mod:`service.access`); they gather
the completed questionnaires of a bilan and hand plain values to :mod:`reports`. The
anonymous questionnaires (satisfaction, follow-up) are left out of all of it.
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from instruments.model import Instrument
from reports import exports
from reports.profile import ProfileView, build_profile
from reports.restitution import (
    Chart,
    Report,
    ReportSection,
    profile_charts,
    render_html,
    render_pdf,
)
from service import access
from service.dates import PARIS, format_day, paris_date, paris_today, utcnow
from service.features import webhooks
from service.features.journey import answers as answer_rules
from service.features.journey import service as journey
from service.features.journey import store as answer_store
from service.features.norms import service as local_norms
from service.i18n import builtin_text_in
from service.models import Assignment, Bilan, Centre, CounsellorNote, ScoreRecord, StaffUser


def charts_for(view: ProfileView, lang: str, *, facets: bool = False) -> tuple[Chart, ...]:
    return profile_charts(view, lang=lang, facets=facets)


def _completed(
    session: Session, bilans: Sequence[Bilan], instruments: Mapping[str, Instrument]
) -> list[tuple[Assignment, Instrument, ScoreRecord]]:
    """Completed, scored questionnaires of ``bilans`` whose instrument is installed; never
    an anonymous one (:func:`service.access.is_anonymous`: satisfaction, follow-up), even
    if scores were stored for it before they stopped being stored. Every profile, the
    comparison, the report, the exports and the synthesis are built from this list; never
    a bilan whose consent is withdrawn or content destroyed (:func:`access.results_processable`)."""
    ids = [
        a.id
        for b in bilans
        if access.results_processable(b)
        for a in b.assignments
        if a.is_completed and not access.is_anonymous(a, journey.instrument_for(instruments, a))
    ]
    if not ids:
        return []
    wanted = set(ids)
    records = {
        r.assignment_id: r
        for r in session.scalars(select(ScoreRecord).where(ScoreRecord.assignment_id.in_(ids)))
    }
    out = []
    for b in bilans:
        for a in b.assignments:
            inst = journey.instrument_for(instruments, a)
            record = records.get(a.id)
            if inst is not None and record is not None and a.id in wanted:
                out.append((a, inst, record))
    return out


def scored_questionnaires(
    session: Session, bilan: Bilan, instruments: Mapping[str, Instrument]
) -> list[tuple[Assignment, Instrument, ScoreRecord]]:
    """The bilan's completed, scored, non-anonymous questionnaires, with their instrument
    and score record: the list every profile, report and export is built from (none once
    consent is withdrawn or the content destroyed)."""
    return _completed(session, [bilan], instruments)


def completed_profiles(
    session: Session,
    bilan: Bilan,
    instruments: Mapping[str, Instrument],
    lang: str,
    translations: gettext.NullTranslations | None,
) -> list[tuple[Assignment, ProfileView]]:
    return [
        (a, profile_of(record, inst, lang, translations))
        for a, inst, record in _completed(session, [bilan], instruments)
    ]


def _date(moment: dt.datetime | None, lang: str) -> str:
    day = paris_date(moment) if moment is not None else paris_today()
    return format_day(day, lang)


def build_report(
    session: Session,
    bilan: Bilan,
    instruments: Mapping[str, Instrument],
    lang: str,
    translations: gettext.NullTranslations | None,
    *,
    for_pdf: bool = False,
    facets: bool = False,
    assignment_id: int | None = None,
) -> Report:
    """The restitution report of the bilan's completed questionnaires (only the one of
    ``assignment_id`` when given: the API's report of one questionnaire)."""
    sections = []
    for a, view in completed_profiles(session, bilan, instruments, lang, translations):
        if assignment_id is not None and a.id != assignment_id:
            continue
        sections.append(
            ReportSection(
                profile=view,
                charts=profile_charts(view, lang=lang, facets=facets, text_as_paths=not for_pdf),
                completed_on=_date(a.completed_at, lang),
                comment=a.report_comment,
            )
        )
    centre = session.get(Centre, bilan.centre_id)
    return Report(
        beneficiary=bilan.beneficiary.display_name,
        bilan_title=builtin_text_in(bilan.title, translations),
        date=_date(utcnow(), lang),
        counsellors=tuple(c.name for c in bilan.counsellors),
        centre=centre.name if centre is not None else "",
        sections=tuple(sections),
        closing_comment=bilan.report_comment,
        lang=lang,
        facets=facets,
    )


def report_html(
    session: Session,
    bilan: Bilan,
    instruments: Mapping[str, Instrument],
    lang: str,
    translations: gettext.NullTranslations | None,
    *,
    links: Mapping[str, str],
    facets: bool = False,
    nonce: str | None = None,
) -> str:
    """The report as an HTML page; ``links`` are its ``back``, ``pdf`` and ``pdf_facets``
    addresses; ``facets`` adds the facets under their domain; ``nonce`` marks its inline
    style for the Content-Security-Policy."""
    report = build_report(session, bilan, instruments, lang, translations, facets=facets)
    return render_html(report, translations=translations, links=dict(links), nonce=nonce)


def report_pdf(
    session: Session,
    bilan: Bilan,
    instruments: Mapping[str, Instrument],
    lang: str,
    translations: gettext.NullTranslations | None,
    *,
    facets: bool = False,
    assignment_id: int | None = None,
) -> bytes:
    """The report as an A4 PDF (raises :class:`reports.restitution.PdfUnavailable` when PDF
    support is not installed); ``facets`` adds the facets under their domain;
    ``assignment_id`` keeps only that questionnaire's section."""
    report = build_report(
        session,
        bilan,
        instruments,
        lang,
        translations,
        for_pdf=True,
        facets=facets,
        assignment_id=assignment_id,
    )
    return render_pdf(render_html(report, translations=translations))


def report_filename(bilan: Bilan) -> str:
    return f"rapport-restitution-bilan-{bilan.id}.pdf"


def _scored(
    session: Session,
    bilans: Sequence[Bilan],
    instruments: Mapping[str, Instrument],
    *,
    worded_in: tuple[str, gettext.NullTranslations | None] | None = None,
) -> list[exports.ScoredQuestionnaire]:
    """The scored questionnaires of ``bilans`` for an export. With ``worded_in`` (language,
    translations), a centre's local norm version is named in words ("normes locales du centre,
    version du 2 décembre 2026, n = 84") instead of its stored id (JSON keeps ids)."""

    def norms(version: str | None) -> str | None:
        if worded_in is None:
            return version
        return local_norms.norm_label(version, *worded_in)

    return [
        exports.ScoredQuestionnaire(
            beneficiary=a.bilan.beneficiary.display_name,
            bilan_id=a.bilan_id,
            instrument_key=record.instrument_key,
            scores=record.scores,
            instrument=inst,
            norm_version=norms(record.norm_version),
            completed_at=a.completed_at,
        )
        for a, inst, record in _completed(session, bilans, instruments)
    ]


def export_bilan(
    session: Session,
    bilan: Bilan,
    instruments: Mapping[str, Instrument],
    lang: str,
    fmt: str,
    *,
    with_name: bool = False,
    translations: gettext.NullTranslations | None = None,
) -> bytes:
    """One beneficiary's scores as CSV, XLSX or JSON; ``with_name`` puts the person's
    name in the table (CSV, XLSX). A CSV holds the values as the pages show them
    (:func:`reports.exports.as_displayed`: Oui/Non, rounded numbers, norms in words)."""
    if fmt == "json":
        return exports.to_json(_scored(session, [bilan], instruments), lang=lang, tz=PARIS.key)
    records = _scored(session, [bilan], instruments, worded_in=(lang, translations))
    table = exports.beneficiary_scores_long(records, lang=lang, tz=PARIS.key, with_name=with_name)
    if fmt == "xlsx":
        return exports.to_xlsx(table, sheet_name="Scores")
    shown = exports.as_displayed(table, lang=lang, **exports.long_display_columns(lang))
    return exports.to_csv(shown)


def export_caseload(
    session: Session,
    bilans: Sequence[Bilan],
    instruments: Mapping[str, Instrument],
    lang: str,
    fmt: str,
    translations: gettext.NullTranslations | None = None,
) -> bytes:
    """The counsellor's caseload: one row per beneficiary x questionnaire."""
    records = _scored(session, bilans, instruments, worded_in=(lang, translations))
    table = exports.caseload_wide(records, lang=lang, tz=PARIS.key)
    if fmt == "xlsx":
        legend = exports.caseload_legend(records, lang=lang)
        return exports.to_xlsx(table, sheet_name="Portefeuille", extra_sheets={"Légende": legend})
    shown = exports.as_displayed(table, lang=lang, **exports.caseload_display_columns(table))
    return exports.to_csv(shown)


def results_view(
    instrument: Instrument,
    scores: Mapping[str, Any],
    norm_version: str | None,
    lang: str,
    translations: gettext.NullTranslations | None,
) -> ProfileView:
    """A neutral, simple presentation of one person's stored scores (see
    :func:`reports.profile.build_profile`), in ``lang``."""
    source = local_norms.norm_source(norm_version, lang, translations)
    return build_profile(
        instrument,
        scores,
        norm_version=source.version,
        norm_group=source.group,
        lang=lang,
        translations=translations,
    )


def set_report_released(bilan: Bilan, released: bool) -> None:
    if released and bilan.report_released_at is None:
        webhooks.report_released(bilan)
    bilan.report_released_at = utcnow() if released else None


# --- notes --------------------------------------------------------------------------------


NOTE_MAX = 10_000


class NoteRefused(ValueError):
    """A note cannot be kept (empty, too long); the message says why."""


def add_note(
    session: Session,
    bilan: Bilan,
    author: StaffUser,
    text: str,
    *,
    assignment: Assignment | None = None,
) -> CounsellorNote:
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise NoteRefused(_("La note est vide."))
    if len(text) > NOTE_MAX:
        raise NoteRefused(_("La note dépasse %(max)s caractères : raccourcissez-la.", max=NOTE_MAX))
    note = CounsellorNote(
        bilan_id=bilan.id,
        assignment_id=assignment.id if assignment is not None else None,
        author_id=author.id,
        text=text,
        created_at=utcnow(),
    )
    session.add(note)
    session.flush()
    return note


def notes_of(
    session: Session, bilan: Bilan, *, assignment: Assignment | None = None
) -> list[CounsellorNote]:
    query = select(CounsellorNote).where(CounsellorNote.bilan_id == bilan.id)
    if assignment is not None:
        query = query.where(CounsellorNote.assignment_id == assignment.id)
    else:
        query = query.where(CounsellorNote.assignment_id.is_(None))
    return list(
        session.scalars(
            query.options(selectinload(CounsellorNote.author)).order_by(CounsellorNote.id)
        ).all()
    )


# --- profiles -----------------------------------------------------------------------------


def score_record(session: Session, assignment: Assignment) -> ScoreRecord | None:
    return session.scalars(
        select(ScoreRecord).where(ScoreRecord.assignment_id == assignment.id)
    ).first()


def profile_of(
    record: ScoreRecord,
    instrument: Instrument,
    lang: str,
    translations: gettext.NullTranslations | None,
) -> ProfileView:
    source = local_norms.norm_source(record.norm_version, lang, translations)
    return build_profile(
        instrument,
        record.scores,
        norm_version=source.version,
        norm_group=source.group,
        instrument_key=record.instrument_key,
        lang=lang,
        translations=translations,
    )


@dataclass(frozen=True)
class AnswerRow:
    number: int
    item_id: str
    text: str
    answer: str | None  # None: no answer


def answer_rows(
    session: Session, assignment: Assignment, instrument: Instrument, lang: str
) -> list[AnswerRow]:
    """Item-level answers, as the beneficiary saw the options."""
    stored = answer_store.stored_answers(session, assignment.id)
    rows = []
    for n, item in enumerate(instrument.items, start=1):
        fmt = instrument.formats[item.format]
        value = stored.get(item.id)
        shown: str | None
        if value is None:
            shown = None
        elif fmt.options:
            labels = {float(o.value): o.label.get(lang) for o in fmt.options}
            values = value if isinstance(value, list) else [value]
            shown = " ; ".join(
                f"{labels.get(float(v), answer_rules.code_text(v))} ({answer_rules.code_text(v)})"
                if isinstance(v, int | float)
                else str(v)
                for v in values
            )
        elif isinstance(value, int | float) and fmt.type == "ranking":
            shown = _("rang %(rank)s", rank=answer_rules.code_text(value))
        else:
            shown = str(value)
        rows.append(AnswerRow(n, item.id, item.text.get(lang), shown))
    return rows
