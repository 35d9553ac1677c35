"""The métiers pages, shared by the counsellor's and the beneficiary's views (same
pages, each audience's own URLs and layout links)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from service import access
from service.audit import audit
from service.extensions import db
from service.features.journey import service as journey
from service.features.metiers import matches, service
from service.features.metiers.forms import CompetenceSearch, MetiersFilters
from service.features.metiers.importer import latest_release
from service.models import Assignment, ScoreRecord
from service.web.context import installed_instruments, request_lang
from service.web.forms import select_choices


def _form() -> MetiersFilters:
    form = MetiersFilters(request.args)
    form.gd.choices = select_choices(
        [
            ("", _("Tous")),
            *((c, f"{c} · {label}") for c, label in service.grands_domaines(db.session)),
        ]
    )
    form.domaine.choices = select_choices(
        [("", _("Tous")), *((c, f"{c} · {label}") for c, label, _g in service.domaines(db.session))]
    )
    form.tag.choices = select_choices(list(service.tag_labels().items()))
    return form


def _read(form: MetiersFilters) -> tuple[service.Filters, list[str]]:
    form.validate()
    ignored = [
        _(
            "Filtre « %(field)s » ignoré : cette valeur n’est pas dans la liste.",
            field=f.label.text,
        )
        for f in (form.gd, form.domaine, form.tag)
        if f.errors
    ]

    def value(f: Any) -> str:
        return "" if f.errors else str(f.data or "")

    return (
        service.Filters(
            q=value(form.q),
            grand_domaine=value(form.gd),
            domaine=value(form.domaine),
            tags=() if form.tag.errors else tuple(form.tag.data or ()),
        ),
        ignored,
    )


def search_page(audience: str) -> ResponseReturnValue:
    access.require(access.can_browse_rome(current_user), hide=False)
    form = _form()
    filters, ignored = _read(form)
    status = 200
    too_long = bool(form.q.errors)
    if too_long:
        status = 400  # refused, said in words on the page itself
        filters = service.Filters()
    found = service.browse(db.session, filters)
    return (
        render_template(
            "metiers/search.html",
            audience=audience,
            form=form,
            filters=filters,
            ignored=ignored,
            too_long=too_long,
            found=found,
            tag_labels=service.tag_labels(),
            grands=service.grands_domaines(db.session),
            has_release=service.has_release(db.session),
            source=service.source_line(latest_release(db.session)),
        ),
        status,
    )


def competences_page(audience: str) -> ResponseReturnValue:
    """The competence search: each competence found with its macro-competence, its kind
    and the fiches that require it. An over-long query is refused (400) in words."""
    access.require(access.can_browse_rome(current_user), hide=False)
    form = CompetenceSearch(request.args)
    form.validate()
    too_long = bool(form.q.errors)
    query = "" if too_long else str(form.q.data or "")
    rows = service.find_competences(db.session, query) if query else []
    return (
        render_template(
            "metiers/competences.html",
            audience=audience,
            form=form,
            query=query,
            too_long=too_long,
            rows=rows,
            has_release=service.has_release(db.session),
            source=service.source_line(latest_release(db.session)),
        ),
        400 if too_long else 200,
    )


def fiche_page(audience: str, code_rome: str) -> ResponseReturnValue:
    access.require(access.can_browse_rome(current_user), hide=False)
    detail = service.fiche_detail(db.session, code_rome)
    if detail is None:
        abort(404)
    return render_template(
        "metiers/fiche.html",
        audience=audience,
        d=detail,
        tag_labels=service.tag_labels(),
        source=service.source_line(latest_release(db.session)),
    )


def _page_number() -> int:
    """``?page=N`` (how many steps of "show more"); anything else reads as 1."""
    raw = request.args.get("page", "")
    return max(1, min(int(raw), 1000)) if raw.isdigit() and len(raw) <= 4 else 1


def pistes_page(audience: str, assignment: Assignment) -> ResponseReturnValue:
    """The pistes of a RIASEC questionnaire; the caller found the assignment (its guard),
    this checks who may see them (:func:`service.access.can_view_pistes`)."""
    instrument = journey.instrument_for(installed_instruments(), assignment)
    access.require(
        access.can_view_pistes(current_user, assignment, instrument), hide=audience != "beneficiary"
    )
    record = db.session.scalars(
        select(ScoreRecord).where(ScoreRecord.assignment_id == assignment.id)
    ).first()
    access.require(record is not None and instrument is not None)
    assert record is not None and instrument is not None
    form = _form()
    filters, ignored = _read(form)
    filters = service.Filters(
        grand_domaine=filters.grand_domaine, domaine=filters.domaine, tags=filters.tags
    )
    page = _page_number()
    found = matches.pistes(
        db.session, instrument, record.scores, filters, limit=page * matches.PER_PAGE
    )
    if audience == "counsellor":
        audit(
            db.session,
            current_user,
            "view_pistes",
            bilan_id=assignment.bilan_id,
            assignment_id=assignment.id,
        )
        db.session.commit()
    texts = _piste_texts(audience, found)
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    more = urlencode([*kept, ("page", str(page + 1))])
    return render_template(
        "metiers/pistes.html",
        audience=audience,
        assignment=assignment,
        instrument_name=instrument.name.get(request_lang()),
        form=form,
        filters=filters,
        ignored=ignored,
        found=found,
        page=page,
        first_new=(page - 1) * matches.PER_PAGE,
        more_url=f"?{more}#piste-{page * matches.PER_PAGE + 1}",
        active=bool(filters.active or ignored),
        tag_labels=service.tag_labels(),
        texts=texts,
        per_page=matches.PER_PAGE,
        source=service.source_line(latest_release(db.session)),
    )


def _piste_texts(audience: str, found: matches.Pistes) -> dict[str, tuple[str, str, str]]:
    """Per piste: its link, its rank line ("Rang 1 (ex æquo) · indice 18 sur 18") and its
    shared letters, each translated once per distinct value (ties repeat them a lot)."""
    endpoint = "counsellor.metier" if audience == "counsellor" else "beneficiary.metier"
    link = url_for(endpoint, code_rome="A0000")
    ranks: dict[tuple[int, bool, object], str] = {}
    letters: dict[matches.Shared, str] = {}
    out = {}
    for p in found.rows:
        key = (p.rank, p.tied, p.index)
        if key not in ranks:
            value = format_decimal(p.index_value, format="0.#")
            rank = _("Rang %(rank)d", rank=p.rank)
            tied = f" ({_('ex æquo')})" if p.tied else ""
            ranks[key] = f"{rank}{tied} · {_('indice %(value)s sur 18', value=value)}"
        parts = []
        for shared in p.shared:
            if shared not in letters:
                place = matches.places_text(shared.places)
                same = f", {_('à la même place')}" if shared.same_place else ""
                letters[shared] = f"{shared.letter} ({shared.name}, {place}{same})"
            parts.append(letters[shared])
        out[p.code_rome] = (link.replace("A0000", p.code_rome), ranks[key], " ; ".join(parts))
    return out
