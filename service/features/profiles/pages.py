"""The counsellor's profile page, rendered from more than one view (the profile itself, and
a note or comment refused by its form)."""

from __future__ import annotations

from typing import Any, cast

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_translations
from flask_login import current_user

from instruments.model import Instrument
from service import access
from service.audit import audit
from service.extensions import db
from service.features.journey import service as journey
from service.features.profiles import service as restitution
from service.features.profiles.forms import CommentForm, NoteForm
from service.models import Assignment, Bilan, ScoreRecord
from service.web.context import installed_instruments as _instruments
from service.web.context import request_lang as _lang
from service.web.headers import csp_nonce
from service.web.responses import pdf_download


def render_profile(
    assignment: Assignment, *, status: int = 200, **forms: Any
) -> ResponseReturnValue:
    instrument = journey.instrument_for(_instruments(), assignment)
    access.require(access.can_view_results(current_user, assignment, instrument))
    record = restitution.score_record(db.session, assignment)
    access.require(record is not None)
    inst = cast(Instrument, instrument)
    lang = _lang()
    view = restitution.profile_of(cast(ScoreRecord, record), inst, lang, get_translations())
    show_answers = request.args.get("reponses") == "1"
    facets = request.args.get("facettes") == "1"
    answers = (
        restitution.answer_rows(db.session, assignment, inst, assignment.language)
        if show_answers and access.can_view_answers(current_user, assignment, inst)
        else None
    )
    audit(
        db.session,
        current_user,
        "view_answers" if answers is not None else "view_profile",
        bilan_id=assignment.bilan_id,
        assignment_id=assignment.id,
    )
    db.session.commit()
    return (
        render_template(
            "profiles/profile.html",
            assignment=assignment,
            bilan=assignment.bilan,
            view=view,
            charts=restitution.charts_for(view, lang, facets=facets),
            facets=facets,
            has_facets=bool(view.facets),
            answers=answers,
            notes=restitution.notes_of(db.session, assignment.bilan, assignment=assignment),
            note_form=forms.get("note_form") or NoteForm(),
            comment_form=forms.get("comment_form")
            or CommentForm(comment=assignment.report_comment),
        ),
        status,
    )


def report_page(bilan: Bilan, *, pdf: bool, back: str, pdf_url: str) -> ResponseReturnValue:
    """The restitution report as a page (with its ``back`` and ``pdf_url`` links) or as a
    PDF download, written to the audit log; the caller has checked access. ``?facettes=1``
    adds the facets under their domain (page and PDF)."""
    args = (db.session, bilan, _instruments(), _lang(), get_translations())
    facets = request.args.get("facettes") == "1"
    audit(db.session, current_user, "report_pdf" if pdf else "view_report", bilan_id=bilan.id)
    db.session.commit()
    if pdf:
        name = restitution.report_filename(bilan)
        return pdf_download(lambda: restitution.report_pdf(*args, facets=facets), name)
    sep = "&" if "?" in pdf_url else "?"
    links = {"back": back, "pdf": pdf_url, "pdf_facets": f"{pdf_url}{sep}facettes=1"}
    return restitution.report_html(*args, links=links, facets=facets, nonce=csp_nonce())
