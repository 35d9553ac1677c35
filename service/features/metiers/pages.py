"""The métiers pages, shared by the counsellor's and the beneficiary's views (same
pages, each audience's own URLs and layout links)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from service import access
from service.extensions import db
from service.features.metiers import service
from service.features.metiers.forms import CompetenceSearch, MetiersFilters
from service.features.metiers.importer import latest_release
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
