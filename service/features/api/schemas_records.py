"""The marshmallow schemas of the API's write side (beneficiaries, bilans, hours,
assignments, invitation links) and of the list filters. Unknown fields are refused (422
naming them); dates and moments are bounded (years 1900 to 2100) and moments must carry
their offset (ISO 8601, e.g. ``2026-12-03T10:00:00+01:00``)."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, fields, validate

from service.features.accounts.forms import EMAIL_PATTERN, normalise_email
from service.features.api.schemas import PageArgsSchema
from service.models.states import AssignmentStatus, BilanStatus

FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)
FIRST_MOMENT = dt.datetime(1900, 1, 2, tzinfo=dt.UTC)
LAST_MOMENT = dt.datetime(2100, 12, 30, tzinfo=dt.UTC)

_DAY = validate.Range(min=FIRST_DAY, max=LAST_DAY)
_MOMENT = validate.Range(min=FIRST_MOMENT, max=LAST_MOMENT)


def _day(description: str, **kwargs: object) -> fields.Date:
    return fields.Date(validate=_DAY, metadata={"description": description}, **kwargs)  # type: ignore[arg-type]


def _moment(description: str) -> fields.AwareDateTime:
    return fields.AwareDateTime(
        load_default=None,
        validate=_MOMENT,
        metadata={"description": description + " (ISO 8601 avec décalage horaire)"},
    )


def _text(max_length: int, description: str, **kwargs: object) -> fields.String:
    return fields.String(
        validate=validate.Length(max=max_length),
        metadata={"description": description},
        **kwargs,  # type: ignore[arg-type]
    )


LANGUAGE = validate.OneOf(["fr", "en"])


class EmailField(fields.String):
    """An address as the pages keep it: trimmed and in lower case before it is checked;
    empty means none."""

    def _deserialize(  # type: ignore[override]
        self, value: object, attr: str | None, data: object, **kwargs: object
    ) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        return normalise_email(text) or None


def _email(**kwargs: object) -> EmailField:
    return EmailField(
        allow_none=True,
        validate=[validate.Length(max=254), validate.Regexp(EMAIL_PATTERN)],
        metadata={"description": "Adresse e-mail (facultative ; unique parmi les comptes)"},
        **kwargs,  # type: ignore[arg-type]
    )


# --- beneficiaries ----------------------------------------------------------------------


class BeneficiaryInSchema(Schema):
    first_name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Prénom (100 caractères au plus)"},
    )
    last_name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Nom (100 caractères au plus)"},
    )
    email = _email(load_default=None)
    language = fields.String(
        load_default="fr", validate=LANGUAGE, metadata={"description": "`fr` ou `en`"}
    )


class BeneficiaryPatchSchema(Schema):
    """The fields to change; those not sent keep their value."""

    first_name = fields.String(validate=validate.Length(min=1, max=100))
    last_name = fields.String(validate=validate.Length(min=1, max=100))
    email = _email()
    language = fields.String(validate=LANGUAGE)


class BeneficiarySchema(Schema):
    id = fields.Integer(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    email = fields.String(allow_none=True, required=True)
    language = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    bilans = fields.List(
        fields.Integer(), required=True, metadata={"description": "Identifiants de ses bilans"}
    )


# --- bilans ---------------------------------------------------------------------------


class BilanAdminSchema(Schema):
    """The administrative fields of a bilan (PATCH: those not sent keep their value)."""

    title = _text(200, "Intitulé du bilan")
    funding = _text(100, "Financement (ex. CPF)", allow_none=True)
    commanditaire = _text(200, "Commanditaire", allow_none=True)
    convention_date = _day("Date de la convention", allow_none=True)
    convention_signed = fields.Boolean(metadata={"description": "Convention signée"})
    start_date = _day("Début du bilan", allow_none=True)
    planned_end = _day("Fin prévue (pas avant le début)", allow_none=True)


class BilanInSchema(BilanAdminSchema):
    beneficiary_id = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=2_147_483_647),
        metadata={"description": "La personne (du centre du jeton)"},
    )
    counsellor_id = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=2_147_483_647),
        metadata={"description": "Le conseiller ou la conseillère (actif, du centre du jeton)"},
    )


class BilanEndSchema(Schema):
    ended_on = _day("Jour de fin (par défaut : aujourd’hui, heure de Paris)", load_default=None)


class BilanEndedSchema(Schema):
    bilan_id = fields.Integer(required=True)
    already_ended = fields.Boolean(required=True)
    ended_at = fields.DateTime(required=True)
    status = fields.String(required=True)
    followup_date = fields.Date(allow_none=True, required=True)
    satisfaction_assignment_id = fields.Integer(allow_none=True, required=True)


class BilanFilterSchema(PageArgsSchema):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf([s.value for s in BilanStatus]),
        metadata={"description": "Statut du bilan"},
    )
    created_after = _moment("Créés à partir de ce moment")
    created_before = _moment("Créés avant ce moment")


class HoursSchema(Schema):
    phase = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Phase ; null : temps rattaché à aucune étape"},
    )
    planned_minutes = fields.Integer(required=True)
    planned_interview_minutes = fields.Integer(required=True)
    planned_personal_minutes = fields.Integer(required=True)
    done_minutes = fields.Integer(required=True)
    done_interview_minutes = fields.Integer(required=True)
    done_personal_minutes = fields.Integer(
        required=True, metadata={"description": "Travail personnel noté"}
    )
    done_tests_minutes = fields.Integer(
        required=True, metadata={"description": "Temps mesuré des questionnaires"}
    )


class BilanHoursSchema(Schema):
    bilan_id = fields.Integer(required=True)
    ceiling_minutes = fields.Integer(required=True, metadata={"description": "Plafond (24 h)"})
    phases = fields.List(fields.Nested(HoursSchema), required=True)
    total = fields.Nested(HoursSchema, required=True)
    followup = fields.Nested(HoursSchema, required=True, metadata={"description": "Hors plafond"})


# --- assignments ----------------------------------------------------------------------


class AssignmentInSchema(Schema):
    instrument_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Un instrument installé"},
    )
    language = fields.String(load_default="fr", validate=LANGUAGE)
    show_results_now = fields.Boolean(
        load_default=False,
        metadata={"description": "Montrer les résultats à la personne dès la fin"},
    )


class AssignmentSchema(Schema):
    """A questionnaire's state: never its answers."""

    id = fields.Integer(required=True)
    bilan_id = fields.Integer(required=True)
    instrument_id = fields.String(required=True)
    instrument_version = fields.String(required=True)
    language = fields.String(required=True)
    status = fields.String(required=True)
    purpose = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "null (assigné), `end` ou `followup` (automatiques)"},
    )
    show_results_now = fields.Boolean(required=True)
    assigned_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True, required=True)
    completed_at = fields.DateTime(allow_none=True, required=True)


class AssignmentPageSchema(Schema):
    data = fields.List(fields.Nested(AssignmentSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class AssignmentFilterSchema(PageArgsSchema):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf([s.value for s in AssignmentStatus]),
        metadata={"description": "État du questionnaire"},
    )
    created_after = _moment("Assignés à partir de ce moment")
    created_before = _moment("Assignés avant ce moment")


class InvitationSchema(Schema):
    assignment_id = fields.Integer(required=True)
    beneficiary_id = fields.Integer(required=True)
    url = fields.String(
        required=True,
        metadata={"description": "Lien d’invitation (secret : à transmettre à la personne seule)"},
    )
    expires_at = fields.DateTime(required=True)
