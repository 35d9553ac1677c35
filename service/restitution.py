"""Profiles, restitution report and exports of a bilan, from the database to ``reports``.

Routes call these functions after checking access (:mod:`service.access`); they gather
the completed questionnaires of a bilan and hand plain values to :mod:`reports`.
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Response, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.model import Instrument
from reports import exports
from reports.profile import ProfileView
from reports.restitution import (
    Chart,
    PdfUnavailable,
    Report,
    ReportSection,
    profile_charts,
    render_html,
    render_pdf,
)
from service import journey, workspace
from service.models import Assignment, Bilan, Centre, ScoreRecord, utcnow

PARIS = "Europe/Paris"


def charts_for(view: ProfileView, lang: str, *, facets: bool = False) -> tuple[Chart, ...]:
    return profile_charts(view, lang=lang, facets=facets)


def _completed(
    session: Session, bilans: Sequence[Bilan], instruments: Mapping[str, Instrument]
) -> list[tuple[Assignment, Instrument, ScoreRecord]]:
    """Completed, scored questionnaires of ``bilans`` whose instrument is installed."""
    ids = [a.id for b in bilans for a in b.assignments if a.status == "completed"]
    if not ids:
        return []
    records = {
        r.assignment_id: r
        for r in session.scalars(select(ScoreRecord).where(ScoreRecord.assignment_id.in_(ids)))
    }
    out = []
    for b in bilans:
        for a in b.assignments:
            inst = journey.instrument_for(instruments, a)
            record = records.get(a.id)
            if a.status == "completed" and inst is not None and record is not None:
                out.append((a, inst, record))
    return out


def completed_profiles(
    session: Session,
    bilan: Bilan,
    instruments: Mapping[str, Instrument],
    lang: str,
    translations: gettext.NullTranslations | None,
) -> list[tuple[Assignment, ProfileView]]:
    return [
        (a, workspace.profile_of(record, inst, lang, translations))
        for a, inst, record in _completed(session, [bilan], instruments)
    ]


def _date(moment: dt.datetime | None, lang: str) -> str:
    aware = workspace.aware(moment) or utcnow()
    return str(format_date(aware.astimezone(ZoneInfo(PARIS)).date(), format="long", locale=lang))


def build_report(
    session: Session,
    bilan: Bilan,
    instruments: Mapping[str, Instrument],
    lang: str,
    translations: gettext.NullTranslations | None,
    *,
    for_pdf: bool = False,
) -> Report:
    sections = []
    for a, view in completed_profiles(session, bilan, instruments, lang, translations):
        sections.append(
            ReportSection(
                profile=view,
                charts=profile_charts(view, lang=lang, text_as_paths=not for_pdf),
                completed_on=_date(a.completed_at, lang),
                comment=a.report_comment,
            )
        )
    centre = session.get(Centre, bilan.centre_id)
    return Report(
        beneficiary=bilan.beneficiary.display_name,
        bilan_title=bilan.title,
        date=_date(utcnow(), lang),
        counsellors=tuple(c.name for c in bilan.counsellors),
        centre=centre.name if centre is not None else "",
        sections=tuple(sections),
        closing_comment=bilan.report_comment,
        lang=lang,
    )


def serve_report(
    session: Session,
    principal: Any,
    bilan: Bilan,
    instruments: Mapping[str, Instrument],
    lang: str,
    translations: gettext.NullTranslations | None,
    *,
    pdf: bool,
    audience: str,
) -> Response:
    """The report as a page or a PDF download, logged in the audit trail (the caller has
    checked access and commits)."""
    if pdf:
        response = report_pdf_response(session, bilan, instruments, lang, translations)
    else:
        html = report_html(session, bilan, instruments, lang, translations, audience=audience)
        response = Response(html, mimetype="text/html")
    workspace.audit(session, principal, "report_pdf" if pdf else "view_report", bilan_id=bilan.id)
    return response


def report_html(
    session: Session,
    bilan: Bilan,
    instruments: Mapping[str, Instrument],
    lang: str,
    translations: gettext.NullTranslations | None,
    *,
    audience: str = "counsellor",
) -> str:
    report = build_report(session, bilan, instruments, lang, translations)
    if audience == "counsellor":
        links = {
            "back": url_for("counsellor.bilan", bilan_id=bilan.id),
            "pdf": url_for("counsellor.report_pdf", bilan_id=bilan.id),
        }
    else:
        links = {
            "back": url_for("beneficiary.home"),
            "pdf": url_for("beneficiary.report_pdf", bilan_id=bilan.id),
        }
    return render_html(report, translations=translations, links=links)


def report_pdf_response(
    session: Session,
    bilan: Bilan,
    instruments: Mapping[str, Instrument],
    lang: str,
    translations: gettext.NullTranslations | None,
) -> Response:
    """The PDF as a download; 503 with an explanation when PDF support is not installed."""
    report = build_report(session, bilan, instruments, lang, translations, for_pdf=True)
    try:
        pdf = render_pdf(render_html(report, translations=translations))
    except PdfUnavailable as exc:
        return Response(str(exc), status=503, mimetype="text/plain")
    response = Response(pdf, mimetype="application/pdf")
    name = f"rapport-restitution-bilan-{bilan.id}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _scored(
    session: Session, bilans: Sequence[Bilan], instruments: Mapping[str, Instrument]
) -> list[exports.ScoredQuestionnaire]:
    return [
        exports.ScoredQuestionnaire(
            beneficiary=a.bilan.beneficiary.display_name,
            bilan_id=a.bilan_id,
            instrument_key=record.instrument_key,
            scores=record.scores,
            instrument=inst,
            norm_version=record.norm_version,
            completed_at=workspace.aware(a.completed_at),
        )
        for a, inst, record in _completed(session, bilans, instruments)
    ]


def export_bilan(
    session: Session,
    bilan: Bilan,
    instruments: Mapping[str, Instrument],
    lang: str,
    fmt: str,
) -> bytes:
    """One beneficiary's scores as CSV, XLSX or JSON."""
    records = _scored(session, [bilan], instruments)
    if fmt == "json":
        return exports.to_json(records, lang=lang, tz=PARIS)
    table = exports.beneficiary_scores_long(records, lang=lang, tz=PARIS)
    if fmt == "xlsx":
        return exports.to_xlsx(table, sheet_name="Scores")
    return exports.to_csv(table)


def export_caseload(
    session: Session,
    bilans: Sequence[Bilan],
    instruments: Mapping[str, Instrument],
    lang: str,
    fmt: str,
) -> bytes:
    """The counsellor's caseload: one row per beneficiary x questionnaire."""
    records = _scored(session, bilans, instruments)
    table = exports.caseload_wide(records, lang=lang, tz=PARIS)
    if fmt == "xlsx":
        legend = exports.caseload_legend(records, lang=lang)
        return exports.to_xlsx(table, sheet_name="Portefeuille", extra_sheets={"Légende": legend})
    return exports.to_csv(table)
