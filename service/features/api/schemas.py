"""The marshmallow schemas of the API: they make the OpenAPI document (no hand-written
spec) and shape every response."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class TextSchema(Schema):
    fr = fields.String(required=True, metadata={"description": "Texte en français"})
    en = fields.String(allow_none=True, metadata={"description": "Text in English"})


class PageArgsSchema(Schema):
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "Nombre d’éléments par page (1 à 100, 50 par défaut)."},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "Curseur opaque reçu dans `next_cursor` (page suivante)."},
    )


class InstrumentSummarySchema(Schema):
    id = fields.String(required=True)
    version = fields.String(required=True)
    name = fields.Nested(TextSchema, required=True)
    construct = fields.String(required=True)
    minutes = fields.Float(required=True)
    languages = fields.List(fields.String(), required=True)
    items = fields.Integer(required=True, metadata={"description": "Nombre d’items"})
    anonymous = fields.Boolean(required=True)


class InstrumentPageSchema(Schema):
    data = fields.List(fields.Nested(InstrumentSummarySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class OptionSchema(Schema):
    value = fields.Float(required=True)
    label = fields.Nested(TextSchema, required=True)


class FormatSchema(Schema):
    id = fields.String(required=True)
    type = fields.String(required=True)
    options = fields.List(fields.Nested(OptionSchema), required=True)
    minimum = fields.Float(allow_none=True)
    maximum = fields.Float(allow_none=True)


class ItemSchema(Schema):
    id = fields.String(required=True)
    text = fields.Nested(TextSchema, required=True)
    format = fields.String(required=True)
    section = fields.String(allow_none=True)
    required = fields.Boolean(required=True)


class ScaleMemberSchema(Schema):
    item = fields.String(required=True)
    key = fields.Integer(required=True)


class ScaleSchema(Schema):
    id = fields.String(required=True)
    name = fields.Nested(TextSchema, required=True)
    description = fields.Nested(TextSchema, allow_none=True)
    method = fields.String(required=True)
    parent = fields.String(allow_none=True)
    members = fields.List(fields.Nested(ScaleMemberSchema), required=True)


class InstrumentSchema(InstrumentSummarySchema):
    description = fields.Nested(TextSchema, required=True)
    instructions = fields.Nested(TextSchema, allow_none=True)
    licence = fields.String(required=True)
    formats = fields.List(fields.Nested(FormatSchema), required=True)
    items = fields.List(fields.Nested(ItemSchema), required=True)  # type: ignore[assignment]
    scales = fields.List(fields.Nested(ScaleSchema), required=True)


class NormVersionSchema(Schema):
    version = fields.String(required=True, metadata={"description": "Version des normes"})
    source = fields.String(
        required=True,
        validate=validate.OneOf(["shipped", "local"]),
        metadata={"description": "`shipped` (fournies) ou `local` (normes du centre)"},
    )
    instrument_version = fields.String(required=True)
    n = fields.Integer(allow_none=True, metadata={"description": "Effectif (normes locales)"})
    built_at = fields.DateTime(allow_none=True)
    current = fields.Boolean(
        required=True, metadata={"description": "Les normes que le centre utilise"}
    )


class NormListSchema(Schema):
    instrument = fields.String(required=True)
    data = fields.List(fields.Nested(NormVersionSchema), required=True)


class ProblemFieldSchema(Schema):
    field = fields.String(required=True)
    location = fields.String(data_key="in")
    messages = fields.List(fields.String())
    detail_fr = fields.String(metadata={"description": "Message for this field, in French"})
    detail_en = fields.String(metadata={"description": "Message for this field, in English"})


class ProblemSchema(Schema):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    detail_fr = fields.String(required=True)
    detail_en = fields.String(required=True)
    errors = fields.List(fields.Nested(ProblemFieldSchema))


class BilanSchema(Schema):
    """The administrative record of a bilan: no content, no result, no name."""

    id = fields.Integer(required=True)
    status = fields.String(required=True)
    title = fields.String(required=True)
    beneficiary_id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    funding = fields.String(allow_none=True)
    commanditaire = fields.String(allow_none=True)
    convention_date = fields.Date(allow_none=True)
    convention_signed = fields.Boolean(required=True)
    start_date = fields.Date(allow_none=True)
    planned_end = fields.Date(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)


class BilanPageSchema(Schema):
    data = fields.List(fields.Nested(BilanSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
