"""The marshmallow schemas of the results side of the API (scored questionnaires, scores
and profiles, pistes, gap analysis): they make the OpenAPI document and shape the answers.
Texts meant to be read (band labels, flags) come in French and English (``TextSchema``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from service.features.api.schemas import PageArgsSchema, TextSchema


class ScoredQuestionnaireSchema(Schema):
    assignment_id = fields.Integer(required=True)
    instrument_id = fields.String(required=True)
    instrument_version = fields.String(required=True)
    norm_version = fields.String(
        allow_none=True, metadata={"description": "Version des normes des scores (None : sans)"}
    )
    completed_at = fields.DateTime(allow_none=True, required=True)
    released = fields.Boolean(
        required=True,
        metadata={
            "description": "Résultats présentés à la personne (sinon les scores répondent 409)"
        },
    )


class ResultsListSchema(Schema):
    bilan_id = fields.Integer(required=True)
    data = fields.List(fields.Nested(ScoredQuestionnaireSchema), required=True)


class BandSchema(Schema):
    code = fields.String(required=True, metadata={"description": "Code du niveau (ex. low)"})
    label = fields.Nested(TextSchema, required=True)
    metric = fields.String(
        allow_none=True, metadata={"description": "Métrique des niveaux (percentile, mean…)"}
    )


class ScaleScoreSchema(Schema):
    id = fields.String(required=True)
    name = fields.Nested(TextSchema, required=True)
    tier = fields.String(allow_none=True, metadata={"description": "domain, facet ou None"})
    parent = fields.String(allow_none=True)
    method = fields.String(required=True)
    missing = fields.Boolean(required=True, metadata={"description": "Trop peu de réponses"})
    answered = fields.Integer(required=True)
    n_items = fields.Integer(required=True)
    raw = fields.Float(allow_none=True)
    mean = fields.Float(allow_none=True)
    range = fields.List(fields.Float(), allow_none=True, metadata={"description": "[min, max]"})
    t = fields.Float(allow_none=True, metadata={"description": "Note T (moyenne 50, écart 10)"})
    t_low = fields.Float(allow_none=True, metadata={"description": "Bande de confiance à 90 %"})
    t_high = fields.Float(allow_none=True)
    percentile = fields.Float(allow_none=True)
    percentile_low = fields.Float(allow_none=True)
    percentile_high = fields.Float(allow_none=True)
    band = fields.Nested(BandSchema, allow_none=True, required=True)


class FlagSchema(Schema):
    key = fields.String(required=True)
    message = fields.Nested(TextSchema, required=True, metadata={"description": "Pour le conseil"})
    plain = fields.Nested(
        TextSchema, required=True, metadata={"description": "En mots simples, pour la personne"}
    )


class RiasecScoreSchema(Schema):
    letter = fields.String(required=True)
    scale_id = fields.String(required=True)
    score = fields.Float(allow_none=True)


class ValueRankSchema(Schema):
    scale_id = fields.String(required=True)
    name = fields.Nested(TextSchema, required=True)
    rank = fields.Float(required=True, metadata={"description": "Rang (2,5 : ex æquo)"})
    tied = fields.Boolean(required=True)
    score = fields.Float(allow_none=True, metadata={"description": "Importance moyenne (1 à 5)"})


class ScoresSchema(Schema):
    assignment_id = fields.Integer(required=True)
    bilan_id = fields.Integer(required=True)
    instrument_id = fields.String(required=True)
    instrument_version = fields.String(required=True)
    instrument_key = fields.String(required=True, metadata={"description": "id@version scoré"})
    norm_version = fields.String(allow_none=True, required=True)
    normed = fields.Boolean(required=True)
    norm_group = fields.Nested(TextSchema, allow_none=True, required=True)
    completed_at = fields.DateTime(allow_none=True, required=True)
    computed_at = fields.DateTime(required=True)
    confidence = fields.Float(
        required=True, metadata={"description": "Niveau des bandes t_low/t_high (0,90)"}
    )
    scales = fields.List(fields.Nested(ScaleScoreSchema), required=True)
    flags = fields.List(fields.Nested(FlagSchema), required=True)
    holland_code = fields.String(allow_none=True, required=True)
    riasec = fields.List(fields.Nested(RiasecScoreSchema), required=True)
    values = fields.List(fields.Nested(ValueRankSchema), required=True)
    stored = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        required=True,
        metadata={"description": "Les scores tels qu’ils sont enregistrés (ScoreRecord)"},
    )


class PistesArgsSchema(PageArgsSchema):
    limit = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "Nombre de pistes par page (1 à 100, 20 par défaut)."},
    )


class SharedLetterSchema(Schema):
    letter = fields.String(required=True)
    places = fields.List(fields.Integer(), required=True)
    same_place = fields.Boolean(required=True)


class PisteSchema(Schema):
    code_rome = fields.String(required=True)
    label = fields.String(required=True)
    domaine = fields.String(required=True)
    riasec = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)
    rank = fields.Integer(required=True)
    tied = fields.Boolean(required=True)
    index = fields.Float(required=True, metadata={"description": "Indice de congruence"})
    shared = fields.List(fields.Nested(SharedLetterSchema), required=True)
    macros = fields.List(fields.String(), required=True)
    more_macros = fields.Integer(required=True)


class PistesSchema(Schema):
    assignment_id = fields.Integer(required=True)
    status = fields.String(
        required=True, metadata={"description": "ok, flat, low, missing ou empty"}
    )
    explanation = fields.Nested(TextSchema, allow_none=True, required=True)
    person_code = fields.String(required=True)
    strongest = fields.List(fields.String(), required=True)
    total = fields.Integer(required=True)
    data = fields.List(fields.Nested(PisteSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class GapItemSchema(Schema):
    code_ogr = fields.Integer(required=True)
    label = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "held, develop, missing"})
    rating = fields.Integer(allow_none=True, required=True)
    change = fields.String(required=True)
    planned = fields.Boolean(required=True, metadata={"description": "Déjà une action"})


class GapGroupSchema(Schema):
    macro_label = fields.String(required=True)
    items = fields.List(fields.Nested(GapItemSchema), required=True)


class GapSectionSchema(Schema):
    kind = fields.String(required=True, metadata={"description": "savoir_faire, savoir_etre"})
    groups = fields.List(fields.Nested(GapGroupSchema), required=True)


class GapTargetSchema(Schema):
    target_id = fields.Integer(required=True)
    code_rome = fields.String(required=True)
    label = fields.String(required=True, metadata={"description": "Libellé au moment du choix"})
    fiche_label = fields.String(required=True)
    appellation = fields.String(allow_none=True, required=True)
    changes = fields.List(fields.String(), required=True)
    required = fields.Integer(required=True)
    held = fields.Integer(required=True)
    share = fields.Float(allow_none=True, required=True)
    sections = fields.List(fields.Nested(GapSectionSchema), required=True)


class GapSchema(Schema):
    bilan_id = fields.Integer(required=True)
    data = fields.List(fields.Nested(GapTargetSchema), required=True)
