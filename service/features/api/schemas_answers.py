"""Schemas of the answers submitted through the API and of its documents."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

#: Answers in one submission at most (the longest questionnaire has far fewer items).
MAX_ANSWERS = 1000
#: Seconds a paper questionnaire may be said to have taken at most (one day).
MAX_SECONDS = 24 * 3600


class AnswersBodySchema(Schema):
    answers = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=100)),
        values=fields.Raw(allow_none=True),
        required=True,
        validate=validate.Length(max=MAX_ANSWERS),
        metadata={
            "description": "Identifiant d’item → réponse, codée comme dans la définition de"
            " l’instrument (nombre, code d’option, liste de codes, rang, texte ; `null` efface)."
            " / Item id → answer, coded as in the instrument's definition.",
        },
    )
    seconds = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=MAX_SECONDS),
        metadata={"description": "Durée de passation en secondes, si connue / Time taken."},
    )
    complete = fields.Boolean(
        load_default=True,
        truthy={True},
        falsy={False},
        metadata={
            "description": "Terminer et coter le questionnaire (par défaut) ; `false` enregistre"
            " seulement / Complete and score it (default); `false` only stores the answers.",
        },
    )


class AnswersLinksSchema(Schema):
    scores = fields.String(allow_none=True, metadata={"description": "GET: scores and profile"})


class SubmittedSchema(Schema):
    assignment_id = fields.Integer(required=True)
    instrument = fields.String(required=True)
    instrument_version = fields.String(required=True)
    status = fields.String(required=True)
    completed_at = fields.DateTime(allow_none=True, required=True)
    answered = fields.Integer(required=True, metadata={"description": "Réponses enregistrées"})
    scored = fields.Boolean(
        required=True, metadata={"description": "Cotes enregistrées (jamais si anonyme)"}
    )
    norm_version = fields.String(allow_none=True, required=True)
    links = fields.Nested(AnswersLinksSchema, required=True)


class InterviewLineSchema(Schema):
    day = fields.Date(required=True)
    minutes = fields.Integer(required=True)
    mode = fields.String(allow_none=True)


class AttestationSchema(Schema):
    """The attendance attestation: dates and hours, never any content."""

    bilan_id = fields.Integer(required=True)
    centre = fields.String(required=True)
    beneficiary = fields.String(required=True)
    start = fields.Date(allow_none=True, required=True)
    end = fields.Date(allow_none=True, required=True)
    issued_on = fields.Date(required=True)
    completed = fields.Boolean(required=True)
    interviews = fields.List(fields.Nested(InterviewLineSchema), required=True)
    interview_minutes = fields.Integer(required=True)
    personal_minutes = fields.Integer(required=True)
    questionnaire_minutes = fields.Integer(required=True)
    questionnaires_done = fields.Integer(required=True)
    total_minutes = fields.Integer(required=True)
    funding = fields.String(allow_none=True, required=True)
    commanditaire = fields.String(allow_none=True, required=True)
    counsellors = fields.List(fields.String(), required=True)
