"""The API's write side (issue 14): beneficiaries, bilans (create, update the
administrative fields, end, hours per phase), assignments (assign, state, a fresh
invitation link).

Every decision goes through :mod:`service.access` (``can_*_by_token``); the domain rules
are the pages' own (:mod:`service.features.caseload.service`,
:mod:`service.features.record.service`, :mod:`service.features.followup.service`,
:mod:`service.features.journey.service`), so the refusals and their messages are the same.
Another centre's object answers 404. POSTs honour ``Idempotency-Key``
(:mod:`service.features.api.idempotency`); PATCHes need ``If-Match`` with the ETag the GET
gave (428 without, 412 when stale: nothing written). Every call returning personal data or
a bilan's record writes the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask import current_app, url_for
from flask.typing import ResponseReturnValue
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from service import access
from service.audit import audit
from service.dates import PARIS, paris_today, utcnow
from service.extensions import db
from service.features.accounts.forms import normalise_email
from service.features.accounts.invitations import create_invitation
from service.features.api import paging
from service.features.api.schemas import BilanSchema
from service.features.api.schemas_records import (
    AssignmentFilterSchema,
    AssignmentInSchema,
    AssignmentPageSchema,
    AssignmentSchema,
    BeneficiaryInSchema,
    BeneficiaryPatchSchema,
    BeneficiarySchema,
    BilanAdminSchema,
    BilanEndedSchema,
    BilanEndSchema,
    BilanHoursSchema,
    BilanInSchema,
    InvitationSchema,
)
from service.features.api.views import bilan_representation, blp, documented, missing_bilan
from service.features.api.views_auth import requires
from service.features.api.views_etags import check_if_match, etag_header, etag_of
from service.features.api.views_idempotency import idempotent
from service.features.caseload import service as workspace
from service.features.followup import service as followup
from service.features.journey import service as journey
from service.features.record import service as record
from service.mail import links
from service.models import ApiToken, Assignment, Beneficiary, Bilan, StaffUser
from service.models.bilan import DEFAULT_BILAN_TITLE
from service.web.context import installed_instruments
from service.web.problems import ApiProblem

READ_PROBLEMS = (400, 401, 403, 404, 422, 429)
WRITE_PROBLEMS = (400, 401, 403, 404, 409, 413, 415, 422, 429)
PATCH_PROBLEMS = (*WRITE_PROBLEMS, 412, 428)


_document = documented


# --- loading, refusals ------------------------------------------------------------------


def _missing(field: str, message: Any) -> ApiProblem:
    return ApiProblem(404, message, errors=[{"field": field, "in": "path"}])


def _person(token: ApiToken, beneficiary_id: int) -> Beneficiary:
    person = db.session.get(Beneficiary, beneficiary_id)
    if person is None or not access.can_read_beneficiary_by_token(token, person, utcnow()):
        raise _missing(
            "beneficiary_id",
            _l("Cette personne n’existe pas ou n’est pas accessible avec ce jeton."),
        )
    return person


def _bilan(token: ApiToken, bilan_id: int) -> Bilan:
    bilan = db.session.get(Bilan, bilan_id)
    if bilan is None or not access.can_write_bilan_by_token(token, bilan, utcnow()):
        raise missing_bilan()
    return bilan


def _assignment(token: ApiToken, assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not access.can_manage_assignment_by_token(token, assignment, utcnow()):
        raise _missing(
            "assignment_id",
            _l("Ce questionnaire n’existe pas ou n’est pas accessible avec ce jeton."),
        )
    return assignment


def _refused(status: int, message: Any, field: str | None) -> ApiProblem:
    errors = [{"field": field, "in": "body"}] if field else []
    return ApiProblem(status, message, errors=errors)


# --- beneficiaries ----------------------------------------------------------------------


def _beneficiary(person: Beneficiary) -> dict[str, Any]:
    ids = db.session.scalars(
        select(Bilan.id).where(Bilan.beneficiary_id == person.id).order_by(Bilan.id)
    )
    return {
        "id": person.id,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "language": person.language,
        "created_at": person.created_at,
        "bilans": list(ids),
    }


def _names(data: Mapping[str, Any]) -> dict[str, Any]:
    """The person's fields as the page's form cleans them (trimmed names, the address in
    lower case), with the form's messages for an empty name."""
    out = dict(data)
    for field, message in (
        ("first_name", _l("Saisissez le prénom.")),
        ("last_name", _l("Saisissez le nom.")),
    ):
        if field in out:
            out[field] = str(out[field]).strip()
            if not out[field]:
                raise _refused(422, message, field)
    if "email" in out:
        out["email"] = normalise_email(out["email"]) or None
    return out


@blp.route("/beneficiaries")
class Beneficiaries(MethodView):
    @idempotent
    @_document(WRITE_PROBLEMS)
    @blp.response(201, BeneficiarySchema)
    @requires("bilans:write")
    @blp.arguments(BeneficiaryInSchema)
    def post(self, data: dict[str, Any], token: ApiToken) -> ResponseReturnValue:
        """Créer une personne / Create a beneficiary

        Droit : `bilans:write`. La personne est créée dans le centre du jeton, sans bilan
        (créez-le ensuite par `POST /bilans`). Une adresse déjà utilisée par un autre compte
        est refusée (409), comme dans les pages. Accepte `Idempotency-Key`. Inscrit au
        journal d’audit.

        Scope: `bilans:write`. The person is created in the token's centre, without a bilan
        (create it next with `POST /bilans`). An address another account already uses is
        refused (409), as on the pages. Honours `Idempotency-Key`. Written to the audit log."""
        if not access.can_create_by_token(token, utcnow()):  # pragma: no cover - requires
            raise ApiProblem(403)
        values = _names(data)
        try:
            person = workspace.create_beneficiary(
                db.session,
                token.centre_id,
                first_name=values["first_name"],
                last_name=values["last_name"],
                email=values["email"],
                language=values["language"],
            )
        except workspace.WorkspaceError as exc:
            db.session.rollback()
            raise _refused(409, str(exc), "email") from None
        audit(db.session, token, "api_create_beneficiary")
        db.session.commit()
        body = _beneficiary(person)
        location = url_for("api.BeneficiaryRecord", beneficiary_id=person.id)
        return body, {"Location": location, **etag_header(etag_of(BeneficiarySchema, body))}


@blp.route("/beneficiaries/<int:beneficiary_id>")
class BeneficiaryRecord(MethodView):
    @_document(READ_PROBLEMS)
    @blp.response(200, BeneficiarySchema)
    @requires("bilans:write")
    def get(self, token: ApiToken, beneficiary_id: int) -> ResponseReturnValue:
        """Une personne / A beneficiary

        Droit : `bilans:write`. Nom, adresse, langue et bilans de la personne ; une
        personne d’un autre centre répond 404. Porte un ETag (à renvoyer dans `If-Match`
        pour la modifier). Inscrit au journal d’audit.

        Scope: `bilans:write`. The person's name, address, language and bilans; another
        centre's person answers 404. Carries an ETag (send it back in `If-Match` to change
        it). Written to the audit log."""
        person = _person(token, beneficiary_id)
        audit(db.session, token, "api_view_beneficiary")
        db.session.commit()
        body = _beneficiary(person)
        return body, etag_header(etag_of(BeneficiarySchema, body))

    @_document(PATCH_PROBLEMS)
    @blp.response(200, BeneficiarySchema)
    @requires("bilans:write")
    @blp.arguments(BeneficiaryPatchSchema)
    def patch(
        self, data: dict[str, Any], token: ApiToken, beneficiary_id: int
    ) -> ResponseReturnValue:
        """Corriger une personne / Correct a beneficiary

        Droit : `bilans:write`. Les champs envoyés seulement ; `If-Match` obligatoire (428
        sans, 412 si la personne a changé depuis la lecture : rien n’est écrit). Mêmes
        règles que la page « Coordonnées ». Inscrit au journal d’audit.

        Scope: `bilans:write`. Only the fields sent; `If-Match` required (428 without, 412
        when the person changed since it was read: nothing is written). The same rules as
        the page. Written to the audit log."""
        person = _person(token, beneficiary_id)
        if not access.can_write_beneficiary_by_token(token, person, utcnow()):  # pragma: no cover
            raise ApiProblem(404)
        check_if_match(etag_of(BeneficiarySchema, _beneficiary(person)))
        values = _names(data)
        try:
            workspace.update_beneficiary(
                db.session,
                person,
                first_name=values.get("first_name", person.first_name),
                last_name=values.get("last_name", person.last_name),
                email=values.get("email", person.email),
                language=values.get("language", person.language),
            )
        except workspace.WorkspaceError as exc:
            db.session.rollback()
            raise _refused(409, str(exc), "email") from None
        audit(db.session, token, "api_update_beneficiary")
        db.session.commit()
        body = _beneficiary(person)
        return body, etag_header(etag_of(BeneficiarySchema, body))


# --- bilans -----------------------------------------------------------------------------


def _apply_record(bilan: Bilan, data: Mapping[str, Any]) -> None:
    """The administrative fields sent (the others kept), through the record's rules."""
    if "title" in data:
        bilan.title = (data["title"] or "").strip() or DEFAULT_BILAN_TITLE
    keep = {
        name: data[name] if name in data else getattr(bilan, name)
        for name in (
            "funding",
            "commanditaire",
            "convention_date",
            "start_date",
            "planned_end",
        )
    }
    signed = data.get("convention_signed", bilan.convention_signed)
    try:
        record.update_record(
            bilan,
            record.RecordValues(
                **keep,
                convention_signed=bool(signed),
                convention_signatories=bilan.convention_signatories,
                objectives=bilan.objectives,
                followup_date=bilan.followup_date,
            ),
        )
    except record.RecordError as exc:
        db.session.rollback()
        raise _refused(422 if exc.field else 409, str(exc), exc.field) from None


@blp.route("/bilans")
class BilanCreation(MethodView):
    @idempotent
    @_document(WRITE_PROBLEMS)
    @blp.response(201, BilanSchema)
    @requires("bilans:write")
    @blp.arguments(BilanInSchema)
    def post(self, data: dict[str, Any], token: ApiToken) -> ResponseReturnValue:
        """Créer un bilan / Create a bilan

        Droit : `bilans:write`. Pour une personne du centre du jeton, suivi par un
        conseiller ou une conseillère actif du centre ; avec `start_date`, planifié selon
        le modèle du centre (étapes, heures, entretiens), comme dans les pages. Accepte
        `Idempotency-Key`. Inscrit au journal d’audit.

        Scope: `bilans:write`. For a person of the token's centre, followed by an active
        counsellor of the centre; with `start_date`, planned from the centre's template
        (steps, hours, interviews), as on the pages. Honours `Idempotency-Key`. Written to
        the audit log."""
        now = utcnow()
        person = db.session.get(Beneficiary, data["beneficiary_id"])
        if person is None or not access.can_read_beneficiary_by_token(token, person, now):
            raise _refused(
                422,
                _l("Cette personne n’existe pas ou n’est pas accessible avec ce jeton."),
                "beneficiary_id",
            )
        counsellor = db.session.get(StaffUser, data["counsellor_id"])
        if counsellor is None or not access.can_follow_by_token(token, counsellor):
            raise _refused(
                422,
                _l(
                    "Choisissez un conseiller ou une conseillère actif du centre du jeton"
                    " (« counsellor_id »)."
                ),
                "counsellor_id",
            )
        try:
            bilan = workspace.open_bilan(
                db.session,
                counsellor,
                person,
                title=data.get("title") or "",
                start_date=data.get("start_date"),
            )
        except record.RecordError as exc:  # pragma: no cover - a new bilan is open
            db.session.rollback()
            raise _refused(409, str(exc), exc.field) from None
        _apply_record(bilan, data)
        audit(db.session, token, "api_create_bilan", bilan_id=bilan.id)
        db.session.commit()
        body = bilan_representation(bilan)
        location = url_for("api.BilanRecord", bilan_id=bilan.id)
        return body, {"Location": location, **etag_header(etag_of(BilanSchema, body))}


def bilan_etag(bilan: Bilan) -> str:
    """The ETag ``GET /bilans/{bilan_id}`` gives (:func:`views.bilan_etag`)."""
    return etag_of(BilanSchema, bilan_representation(bilan))


@blp.route("/bilans/<int:bilan_id>")
class BilanPatch(MethodView):
    """PATCH on the bilan's URL (its GET is :class:`views.BilanRecord`)."""

    @_document(PATCH_PROBLEMS)
    @blp.response(200, BilanSchema)
    @requires("bilans:write")
    @blp.arguments(BilanAdminSchema)
    def patch(self, data: dict[str, Any], token: ApiToken, bilan_id: int) -> ResponseReturnValue:
        """Modifier le dossier administratif / Update the administrative record

        Droit : `bilans:write`. Intitulé, financement, commanditaire, date et signature de
        la convention, début, fin prévue : les champs envoyés seulement, avec les règles du
        dossier (fin prévue pas avant le début ; bilan clos : 409). `If-Match` obligatoire
        (428 sans, 412 si le bilan a changé depuis la lecture : rien n’est écrit).

        Scope: `bilans:write`. Title, funding, commanditaire, convention date and
        signature, start, planned end: only the fields sent, with the record's rules
        (planned end not before the start; closed bilan: 409). `If-Match` required (428
        without, 412 when the bilan changed since it was read: nothing is written)."""
        bilan = _bilan(token, bilan_id)
        check_if_match(bilan_etag(bilan))
        _apply_record(bilan, data)
        audit(db.session, token, "api_update_bilan", bilan_id=bilan.id)
        db.session.commit()
        body = bilan_representation(bilan)
        return body, etag_header(etag_of(BilanSchema, body))


def _when(day: dt.date | None) -> dt.datetime:
    """The end moment, as the page's: now for today (or no day), noon in Paris otherwise."""
    if day is None or day == paris_today():
        return utcnow()
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=PARIS).astimezone(dt.UTC)


@blp.route("/bilans/<int:bilan_id>/end")
class BilanEnd(MethodView):
    @idempotent
    @_document(WRITE_PROBLEMS)
    @blp.response(200, BilanEndedSchema)
    @requires("bilans:write")
    @blp.arguments(BilanEndSchema)
    def post(self, data: dict[str, Any], token: ApiToken, bilan_id: int) -> ResponseReturnValue:
        """Terminer un bilan / End a bilan

        Droit : `bilans:write`. Comme le bouton « Terminer le bilan » : statut « terminé »,
        date du suivi six mois après (sauf si déjà fixée), questionnaire de satisfaction
        assigné une fois. Un bilan déjà terminé ne change pas (`already_ended`). Le jour
        ne peut être ni futur ni avant le début (422 `ended_on`). Accepte `Idempotency-Key`.

        Scope: `bilans:write`. As the "end the bilan" button: status "termine", follow-up
        date six months later (unless already set), the satisfaction questionnaire
        assigned once. An ended bilan does not change (`already_ended`). The day can be
        neither in the future nor before the start (422 `ended_on`). Honours
        `Idempotency-Key`."""
        bilan = _bilan(token, bilan_id)
        try:
            result = followup.end_bilan(
                db.session, bilan, installed_instruments(), when=_when(data.get("ended_on"))
            )
        except followup.FollowupError as exc:
            db.session.rollback()
            raise _refused(422, str(exc), "ended_on") from None
        if not result.already_ended:
            audit(db.session, token, followup.END_BILAN, bilan_id=bilan.id)
        db.session.commit()
        return {
            "bilan_id": bilan.id,
            "already_ended": result.already_ended,
            "ended_at": bilan.ended_at,
            "status": str(bilan.status.value),
            "followup_date": result.followup_date,
            "satisfaction_assignment_id": result.satisfaction.id if result.satisfaction else None,
        }


def _hours(row: record.HoursRow, phase: str | None) -> dict[str, Any]:
    return {
        "phase": phase,
        "planned_minutes": row.planned,
        "planned_interview_minutes": row.planned_interview,
        "planned_personal_minutes": row.planned_personal,
        "done_minutes": row.done,
        "done_interview_minutes": row.interview,
        "done_personal_minutes": row.personal,
        "done_tests_minutes": row.tests,
    }


@blp.route("/bilans/<int:bilan_id>/hours")
class BilanHours(MethodView):
    @_document(READ_PROBLEMS)
    @blp.response(200, BilanHoursSchema)
    @requires("bilans:write")
    def get(self, token: ApiToken, bilan_id: int) -> ResponseReturnValue:
        """Heures par phase / Hours per phase

        Droit : `bilans:write`. Minutes prévues (entretiens, travail personnel) et faites
        (entretiens, travail personnel noté, temps mesuré des questionnaires) par phase,
        le total face au plafond de 24 h et le suivi (hors plafond), comme le dossier.
        Inscrit au journal d’audit.

        Scope: `bilans:write`. Minutes planned (interviews, personal work) and done
        (interviews, personal work logged, measured questionnaire time) per phase, the
        total against the 24 h ceiling and the follow-up (outside it), as the record shows.
        Written to the audit log."""
        bilan = _bilan(token, bilan_id)
        summary = record.hours_summary(db.session, bilan)
        audit(db.session, token, "api_view_hours", bilan_id=bilan.id)
        db.session.commit()
        return {
            "bilan_id": bilan.id,
            "ceiling_minutes": summary.ceiling,
            "phases": [_hours(r, r.key or None) for r in summary.rows],
            "total": _hours(summary.total, None),
            "followup": _hours(summary.followup, "suivi"),
        }


# --- assignments ------------------------------------------------------------------------


def _assignment_body(a: Assignment) -> dict[str, Any]:
    return {
        "id": a.id,
        "bilan_id": a.bilan_id,
        "instrument_id": a.instrument_id,
        "instrument_version": a.instrument_version,
        "language": a.language,
        "status": str(getattr(a.status, "value", a.status)),
        "purpose": a.purpose,
        "show_results_now": a.show_results_now,
        "assigned_at": a.assigned_at,
        "started_at": a.started_at,
        "completed_at": a.completed_at,
    }


@blp.route("/bilans/<int:bilan_id>/assignments")
class BilanAssignments(MethodView):
    @_document(READ_PROBLEMS)
    @blp.response(200, AssignmentPageSchema)
    @requires("bilans:write")
    @blp.arguments(AssignmentFilterSchema, location="query", as_kwargs=True)
    def get(
        self,
        token: ApiToken,
        bilan_id: int,
        limit: int,
        cursor: str | None,
        status: str | None,
        created_after: dt.datetime | None,
        created_before: dt.datetime | None,
    ) -> ResponseReturnValue:
        """Questionnaires d’un bilan / A bilan's questionnaires

        Droit : `bilans:write`. État, dates, instrument et version (jamais les réponses),
        triés par identifiant ; filtres `status`, `created_after`, `created_before` (sur
        la date d’assignation, ISO 8601 avec décalage). Inscrit au journal d’audit.

        Scope: `bilans:write`. State, dates, instrument and version (never the answers),
        by id; filters `status`, `created_after`, `created_before` (on the assignment
        date, ISO 8601 with an offset). Written to the audit log."""
        bilan = _bilan(token, bilan_id)
        rows, next_cursor = paging.id_page(
            db.session,
            select(Assignment).where(Assignment.bilan_id == bilan.id),
            Assignment.id,
            cursor=cursor,
            limit=limit,
            status=(Assignment.status, status),
            created=(Assignment.assigned_at, created_after, created_before),
        )
        audit(db.session, token, "api_list_assignments", bilan_id=bilan.id)
        db.session.commit()
        return {"data": [_assignment_body(a) for a in rows], "next_cursor": next_cursor}

    @idempotent
    @_document(WRITE_PROBLEMS)
    @blp.response(201, AssignmentSchema)
    @requires("bilans:write")
    @blp.arguments(AssignmentInSchema)
    def post(self, data: dict[str, Any], token: ApiToken, bilan_id: int) -> ResponseReturnValue:
        """Assigner un questionnaire / Assign a questionnaire

        Droit : `bilans:write`. La version courante d’un instrument installé, dans une de
        ses langues ; mêmes refus que la page (instrument non destiné au bilan, anonyme,
        langue absente, déjà assigné et pas terminé : 422 nommant le champ). Accepte
        `Idempotency-Key`.

        Scope: `bilans:write`. The current version of an installed instrument, in one of
        its languages; the page's refusals (not meant for a bilan, anonymous, language
        missing, already assigned and not completed: 422 naming the field). Honours
        `Idempotency-Key`."""
        bilan = _bilan(token, bilan_id)
        instrument = installed_instruments().get(data["instrument_id"])
        if instrument is None:
            raise _refused(422, _l("Questionnaire inconnu."), "instrument_id")
        language = data["language"]
        try:
            assignment = journey.assign(
                db.session,
                bilan,
                instrument,
                language=language,
                show_results_now=bool(data["show_results_now"]),
            )
        except journey.AssignmentRefused as exc:
            db.session.rollback()
            field = "language" if language not in instrument.languages else "instrument_id"
            raise _refused(422, str(exc), field) from None
        audit(db.session, token, "api_assign", bilan_id=bilan.id, assignment_id=assignment.id)
        db.session.commit()
        location = url_for("api.AssignmentRecord", assignment_id=assignment.id)
        return _assignment_body(assignment), {"Location": location}


@blp.route("/assignments/<int:assignment_id>")
class AssignmentRecord(MethodView):
    @_document(READ_PROBLEMS)
    @blp.response(200, AssignmentSchema)
    @requires("bilans:write")
    def get(self, token: ApiToken, assignment_id: int) -> ResponseReturnValue:
        """Un questionnaire assigné / An assigned questionnaire

        Droit : `bilans:write`. État, dates, instrument et version ; jamais les réponses.
        Un questionnaire d’un autre centre répond 404. Inscrit au journal d’audit.

        Scope: `bilans:write`. State, dates, instrument and version; never the answers.
        Another centre's questionnaire answers 404. Written to the audit log."""
        assignment = _assignment(token, assignment_id)
        audit(
            db.session,
            token,
            "api_view_assignment",
            bilan_id=assignment.bilan_id,
            assignment_id=assignment.id,
        )
        db.session.commit()
        return _assignment_body(assignment)


@blp.route("/assignments/<int:assignment_id>/invitation")
class AssignmentInvitation(MethodView):
    @idempotent
    @_document(WRITE_PROBLEMS)
    @blp.response(201, InvitationSchema)
    @requires("bilans:write")
    def post(self, token: ApiToken, assignment_id: int) -> ResponseReturnValue:
        """Nouveau lien d’invitation / A fresh invitation link

        Droit : `bilans:write`. Un lien de connexion pour la personne du questionnaire,
        valable `INVITATION_DAYS` jours, à usage unique ; il remplace ses liens inutilisés.
        Le lien est un secret : le logiciel du centre le transmet à la personne seule et
        ne le garde pas. Construit sur `PUBLIC_URL` (409 si elle n’est pas configurée).
        Inscrit au journal d’audit.

        Scope: `bilans:write`. A sign-in link for the questionnaire's person, valid
        `INVITATION_DAYS` days, single use; it replaces their unused links. The link is a
        secret: the centre's software hands it to the person alone and does not keep it.
        Built on `PUBLIC_URL` (409 when it is not set). Written to the audit log."""
        assignment = _assignment(token, assignment_id)
        base = current_app.config.get("PUBLIC_URL")
        if not base:
            raise ApiProblem(
                409,
                _l(
                    "L’adresse publique du site n’est pas configurée (PUBLIC_URL) : prévenez"
                    " l’administration."
                ),
            )
        person = assignment.bilan.beneficiary
        days = int(current_app.config["INVITATION_DAYS"])
        secret = create_invitation(db.session, person, days=days)
        audit(
            db.session,
            token,
            "api_invitation_link",
            bilan_id=assignment.bilan_id,
            assignment_id=assignment.id,
        )
        db.session.commit()
        return {
            "assignment_id": assignment.id,
            "beneficiary_id": person.id,
            "url": links.public_url("auth.invitation", base=str(base), token=secret),
            "expires_at": utcnow() + dt.timedelta(days=days),
        }
