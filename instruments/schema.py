"""Marshmallow schemas of the instrument file format, with cross-field checks.

The schema validates the plain data read from YAML; :mod:`instruments.loader` turns
errors into messages with file and line, and builds the :mod:`instruments.model` objects.
The format is documented for psychometricians in ``docs/instruments.md``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from instruments.formats import FORMAT_TYPES

ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")
LANGUAGES = ("fr", "en")  # the languages a text (TextSchema) can carry
CONSTRUCTS = (
    "personality",
    "interests",
    "values",
    "satisfaction",
    "follow_up",
    "aptitude",
    "other",
)
METHODS = ("mean", "sum", "ipsative")
BAND_METRICS = ("percentile", "t", "z", "sten", "mean", "raw", "score", "rank", "ipsative")
NORMED_METRICS = ("percentile", "t", "z", "sten")

_id = validate.Regexp(
    ID_RE,
    error="must start with a letter and contain only letters, digits, '_', '.', '-'",
)


class _Base(Schema):
    class Meta:
        unknown = RAISE


class TextSchema(_Base):
    """A text per language: ``{fr: ..., en: ...}``; French is required."""

    fr = fields.String(
        required=True,
        validate=validate.Length(min=1, error="the French ('fr') text is empty"),
        error_messages={"required": "the French ('fr') text is required"},
    )
    en = fields.String(validate=validate.Length(min=1, error="the 'en' text is empty"))


class OptionSchema(_Base):
    value = fields.Float(required=True, allow_nan=False)
    label = fields.Nested(TextSchema, required=True)


class FormatSchema(_Base):
    type = fields.String(
        required=True,
        validate=validate.OneOf(
            sorted(FORMAT_TYPES), error="unknown format type; use one of {choices}"
        ),
    )
    options = fields.List(fields.Nested(OptionSchema))
    min = fields.Float(allow_nan=False)
    max = fields.Float(allow_nan=False)
    size = fields.Integer(validate=validate.Range(min=2, max=50))
    step = fields.Float(validate=validate.Range(min=0, min_inclusive=False))
    max_length = fields.Integer(validate=validate.Range(min=1))

    @validates_schema(skip_on_field_errors=True)
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        ftype = FORMAT_TYPES[data["type"]]
        errors: dict[str, list[str]] = {}
        options = data.get("options") or []
        if ftype.needs_options:
            if len(options) < max(ftype.min_options, 1):
                errors.setdefault("options", []).append(
                    f"a '{ftype.name}' format needs at least {ftype.min_options} options"
                    " (each with 'value' and 'label')"
                )
            if ftype.max_options is not None and len(options) > ftype.max_options:
                errors.setdefault("options", []).append(
                    f"a '{ftype.name}' format takes at most {ftype.max_options} options"
                )
            values = [o["value"] for o in options]
            if len(set(values)) != len(values):
                errors.setdefault("options", []).append(
                    "option values must be unique: each answer needs its own code"
                )
        elif options:
            errors.setdefault("options", []).append(f"a '{ftype.name}' format takes no options")
        if ftype.needs_range:
            if "min" not in data or "max" not in data:
                errors.setdefault("min", []).append(
                    f"a '{ftype.name}' format needs 'min' and 'max'"
                )
            elif data["min"] >= data["max"]:
                errors.setdefault("max", []).append("'max' must be greater than 'min'")
        if "step" in data and data["type"] != "number":
            errors.setdefault("step", []).append("'step' applies to 'number' formats only")
        if ftype.needs_size and "size" not in data:
            errors.setdefault("size", []).append(
                f"a '{ftype.name}' format needs 'size' (how many statements are ranked)"
            )
        if errors:
            raise ValidationError(errors)


class ItemSchema(_Base):
    id = fields.String(required=True, validate=_id)
    text = fields.Nested(TextSchema, required=True)
    format = fields.String(required=True)
    block = fields.String(validate=_id)
    section = fields.String(validate=_id)
    required = fields.Boolean(load_default=False)


class SectionSchema(_Base):
    """A part of the questionnaire with its own title and instructions."""

    id = fields.String(required=True, validate=_id)
    title = fields.Nested(TextSchema, required=True)
    instructions = fields.Nested(TextSchema)


class MemberField(fields.Field):  # type: ignore[type-arg]
    """A scale member: ``"A1"``, ``"-A1"`` (reverse keyed) or a mapping
    ``{item: A1, key: "-", weight: 2, option: 3}``."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, Any]:
        if isinstance(value, str):
            if value.startswith("-"):
                return {"item": value[1:], "key": -1, "weight": 1.0, "option": None}
            return {"item": value.lstrip("+"), "key": 1, "weight": 1.0, "option": None}
        if isinstance(value, dict):
            return dict(MemberSchema().load(value))
        raise ValidationError(
            "a scale member is an item id ('A1', '-A1' for reverse keying) or a mapping"
            " with 'item' and optional 'key', 'weight', 'option'"
        )


class MemberSchema(_Base):
    item = fields.String(required=True)
    key = fields.Method(deserialize="_key", load_default=1)
    weight = fields.Float(
        load_default=1.0,
        validate=validate.Range(min=0, min_inclusive=False, error="weight must be > 0"),
    )
    option = fields.Float(load_default=None, allow_none=True)

    def _key(self, value: Any) -> int:
        if value in ("+", 1, "1", "+1"):
            return 1
        if value in ("-", -1, "-1"):
            return -1
        raise ValidationError("key must be '+' or '-'")


class BandSchema(_Base):
    level = fields.String(required=True, validate=_id)
    label = fields.Nested(TextSchema, required=True)
    text = fields.Nested(TextSchema, required=True)
    min = fields.Float(allow_nan=False)
    max = fields.Float(allow_nan=False)


class BandsSchema(_Base):
    metric = fields.String(
        required=True,
        validate=validate.OneOf(BAND_METRICS, error="metric must be one of {choices}"),
    )
    levels = fields.List(fields.Nested(BandSchema), required=True, validate=validate.Length(min=1))

    @validates_schema(skip_on_field_errors=True)
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        levels = data["levels"]
        prev_max: float | None = None
        for i, band in enumerate(levels):
            lo, hi = band.get("min"), band.get("max")
            if i > 0 and lo is None:
                raise ValidationError(
                    {"levels": {i: {"min": ["every level but the first needs 'min'"]}}}
                )
            if i < len(levels) - 1 and hi is None:
                raise ValidationError(
                    {"levels": {i: {"max": ["every level but the last needs 'max'"]}}}
                )
            if lo is not None and hi is not None and lo >= hi:
                raise ValidationError({"levels": {i: {"max": ["'max' must be above 'min'"]}}})
            if i > 0 and prev_max is not None and lo is not None and not math.isclose(lo, prev_max):
                raise ValidationError(
                    {
                        "levels": {
                            i: {
                                "min": [
                                    f"levels must follow each other without gap or overlap:"
                                    f" this 'min' ({lo:g}) should equal the previous 'max'"
                                    f" ({prev_max:g})"
                                ]
                            }
                        }
                    }
                )
            prev_max = hi
        names = [b["level"] for b in levels]
        if len(set(names)) != len(names):
            raise ValidationError({"levels": ["level names must be unique"]})


class ScaleSchema(_Base):
    id = fields.String(required=True, validate=_id)
    name = fields.Nested(TextSchema, required=True)
    description = fields.Nested(TextSchema)
    items = fields.List(MemberField(), required=True, validate=validate.Length(min=1))
    method = fields.String(
        load_default="mean",
        validate=validate.OneOf(METHODS, error="method must be one of {choices}"),
    )
    min_answered = fields.Float(
        load_default=0.5,
        validate=validate.Range(
            min=0, max=1, error="min_answered is a share of the items, between 0 and 1"
        ),
    )
    level = fields.String()
    parent = fields.String()
    ipsative_group = fields.String()
    reliability = fields.Float(validate=validate.Range(min=0, max=1, max_inclusive=False))
    bands = fields.Nested(BandsSchema)


class PairSchema(_Base):
    first = fields.String(required=True)
    second = fields.String(required=True)
    relation = fields.String(
        load_default="same",
        validate=validate.OneOf(
            ("same", "opposite"), error="relation must be 'same' or 'opposite'"
        ),
    )


class ValiditySchema(_Base):
    """Thresholds; ``null`` switches a flag off (the index is still computed)."""

    longstring_max = fields.Integer(validate=validate.Range(min=2), allow_none=True)
    irv_min = fields.Float(validate=validate.Range(min=0), allow_none=True)
    missing_max = fields.Float(validate=validate.Range(min=0, max=1), allow_none=True)
    min_seconds_per_item = fields.Float(validate=validate.Range(min=0), allow_none=True)
    inconsistency_pairs = fields.List(fields.Nested(PairSchema))
    inconsistency_max = fields.Float(validate=validate.Range(min=0))
    flat_profile_scales = fields.List(fields.String())
    flat_profile_sd_min = fields.Float(validate=validate.Range(min=0))


class SourceSchema(_Base):
    citation = fields.String(required=True, validate=validate.Length(min=1))
    url = fields.String()


class ProfileSchema(_Base):
    type = fields.String(
        required=True,
        validate=validate.OneOf(
            ("riasec", "values"), error="profile type must be one of {choices}"
        ),
    )
    scales = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    # riasec: a profile whose differentiation (max - min of the raw scores) is at most this
    # is flagged as flat; one whose highest raw score is at most low_max as uniformly low.
    flat_max_differentiation = fields.Float(validate=validate.Range(min=0))
    low_max = fields.Float()

    @validates_schema(skip_on_field_errors=True)
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        if data["type"] == "riasec" and sorted(data["scales"]) != sorted("RIASEC"):
            raise ValidationError(
                {"scales": ["a riasec profile maps exactly the letters R, I, A, S, E, C to scales"]}
            )


def _errors_add(errors: dict[Any, Any], path: tuple[Any, ...], message: str) -> None:
    node = errors
    for part in path[:-1]:
        node = node.setdefault(part, {})
        if isinstance(node, list):  # a field already has plain messages: keep them
            return
    node.setdefault(path[-1], []).append(message)


class InstrumentSchema(_Base):
    """The whole instrument file. Cross-field checks run even when a field failed, so
    that ``boussole instruments check`` reports every problem at once."""

    format_version = fields.Integer(load_default=1, validate=validate.Equal(1))
    id = fields.String(required=True, validate=_id)
    version = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d+(\.\d+){0,2}$", error="version must look like 1.0.0"),
        error_messages={"invalid": 'version must be a string: quote it, e.g. "1.0.0"'},
    )
    languages = fields.List(
        fields.String(validate=validate.OneOf(LANGUAGES, error="supported languages: {choices}")),
        load_default=["fr"],
    )
    name = fields.Nested(TextSchema, required=True)
    description = fields.Nested(TextSchema, required=True)
    instructions = fields.Nested(TextSchema)
    construct = fields.String(
        required=True,
        validate=validate.OneOf(CONSTRUCTS, error="construct must be one of {choices}"),
    )
    licence = fields.String(required=True, validate=validate.Length(min=1))
    source = fields.Nested(SourceSchema, required=True)
    minutes = fields.Float(
        required=True, validate=validate.Range(min=0, min_inclusive=False, max=600)
    )
    response_formats = fields.Dict(
        keys=fields.String(validate=_id),
        values=fields.Nested(FormatSchema),
        required=True,
        validate=validate.Length(min=1),
    )
    sections = fields.List(fields.Nested(SectionSchema), load_default=list)
    items = fields.List(fields.Nested(ItemSchema), required=True, validate=validate.Length(min=1))
    scales = fields.List(fields.Nested(ScaleSchema), load_default=list)
    validity = fields.Nested(ValiditySchema)
    norms = fields.String(allow_none=True)
    profile = fields.Nested(ProfileSchema)
    metadata = fields.Dict(keys=fields.String())

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _cross_checks(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        errors: dict[Any, Any] = {}
        add = _errors_add
        langs = list(data.get("languages") or ["fr"])
        if "fr" not in langs:
            add(errors, ("languages",), "French ('fr') is required in 'languages'")
        formats: dict[str, Any] = data.get("response_formats") or {}
        items: list[dict[str, Any]] = [i for i in data.get("items") or [] if isinstance(i, dict)]
        scales: list[dict[str, Any]] = [s for s in data.get("scales") or [] if isinstance(s, dict)]

        # Every text covers every declared language.
        def as_written(path: tuple[Any, ...]) -> Any:
            node = original
            for part in path:
                try:
                    node = node[part]
                except (KeyError, IndexError, TypeError):
                    return None
            return node

        def check_text(path: tuple[Any, ...], text: Any) -> None:
            if isinstance(text, dict):
                for lang in langs:
                    if lang == "fr" and "fr" not in text:
                        continue  # already reported as a required field
                    written = as_written((*path, lang))
                    if written is not None and not isinstance(written, str):
                        continue  # already reported as "not a valid string"
                    if not text.get(lang):
                        add(errors, (*path, lang), f"missing the '{lang}' text")

        for key in ("name", "description", "instructions"):
            check_text((key,), data.get(key))
        for fid, fmt in formats.items():
            for j, opt in enumerate(fmt.get("options") or []):
                check_text(("response_formats", fid, "options", j, "label"), opt.get("label"))

        # Sections: unique ids, texts complete.
        sections = [x for x in data.get("sections") or [] if isinstance(x, dict)]
        section_ids: set[str] = set()
        for j, sec in enumerate(sections):
            if sec.get("id") in section_ids:
                add(errors, ("sections", j, "id"), f"duplicate section id '{sec.get('id')}'")
            section_ids.add(sec.get("id", ""))
            check_text(("sections", j, "title"), sec.get("title"))
            check_text(("sections", j, "instructions"), sec.get("instructions"))

        # Items: unique ids, known formats, known sections, ranking blocks complete.
        seen: dict[str, int] = {}
        blocks: dict[str, list[int]] = {}
        for i, item in enumerate(items):
            iid = item.get("id")
            if iid in seen:
                add(
                    errors,
                    ("items", i, "id"),
                    f"duplicate item id '{iid}' (first at items[{seen[iid]}])",
                )
            elif iid:
                seen[iid] = i
            check_text(("items", i, "text"), item.get("text"))
            if item.get("section") is not None and item["section"] not in section_ids:
                add(
                    errors,
                    ("items", i, "section"),
                    f"unknown section '{item['section']}'; declare it under 'sections'",
                )
            fmt_id = item.get("format")
            if fmt_id and fmt_id not in formats:
                add(
                    errors,
                    ("items", i, "format"),
                    f"unknown response format '{fmt_id}'; declared formats:"
                    f" {', '.join(sorted(formats))}",
                )
            elif fmt_id and formats[fmt_id].get("type") == "ranking":
                if not item.get("block"):
                    add(errors, ("items", i, "block"), "a ranking item needs a 'block' id")
                else:
                    blocks.setdefault(item["block"], []).append(i)
        for block, members in blocks.items():
            fids = {items[i]["format"] for i in members}
            sizes = {formats[f].get("size") for f in fids}
            if len(fids) > 1:
                add(errors, ("items", members[0], "block"), f"block '{block}' mixes formats")
            elif sizes and (size := sizes.pop()) is not None and size != len(members):
                add(
                    errors,
                    ("items", members[0], "block"),
                    f"ranking block '{block}' has {len(members)} items but its format ranks {size}",
                )

        # Scales: unique ids, known items, keying valid, hierarchy valid.
        scale_ids: dict[str, int] = {}
        for s, scale in enumerate(scales):
            sid = scale.get("id")
            if sid in scale_ids:
                add(errors, ("scales", s, "id"), f"duplicate scale id '{sid}'")
            elif sid:
                scale_ids[sid] = s
            check_text(("scales", s, "name"), scale.get("name"))
            check_text(("scales", s, "description"), scale.get("description"))
            bands = scale.get("bands")
            if isinstance(bands, dict):
                for b, band in enumerate(bands.get("levels") or []):
                    check_text(("scales", s, "bands", "levels", b, "label"), band.get("label"))
                    check_text(("scales", s, "bands", "levels", b, "text"), band.get("text"))
                if bands.get("metric") in NORMED_METRICS and not data.get("norms"):
                    add(
                        errors,
                        ("scales", s, "bands", "metric"),
                        f"metric '{bands['metric']}' needs norms: declare 'norms' or use a raw"
                        " metric (mean, raw, score, rank)",
                    )
            members_seen: set[tuple[str, Any]] = set()
            for m, member in enumerate(scale.get("items") or []):
                if not isinstance(member, dict):
                    continue
                iid = member["item"]
                where = ("scales", s, "items", m)
                if (iid, member.get("option")) in members_seen:
                    add(errors, where, f"item '{iid}' is listed twice in scale '{sid}'")
                members_seen.add((iid, member.get("option")))
                if iid not in seen:
                    add(errors, where, f"unknown item '{iid}' in scale '{sid}'")
                    continue
                fmt = formats.get(items[seen[iid]].get("format", ""))
                if not fmt:
                    continue
                ftype = FORMAT_TYPES[fmt["type"]]
                if not ftype.numeric:
                    add(errors, where, f"item '{iid}' is {fmt['type']} and cannot be scored")
                elif member.get("option") is not None:
                    codes = [o["value"] for o in fmt.get("options") or []]
                    if fmt["type"] not in ("single_choice", "multiple_choice", "forced_choice"):
                        add(errors, where, "'option' applies to choice items only")
                    elif member["option"] not in codes:
                        add(
                            errors,
                            where,
                            f"option {member['option']:g} is not a code of item '{iid}'"
                            f" (codes: {', '.join(f'{c:g}' for c in codes)})",
                        )
                    if member.get("key") == -1:
                        add(errors, where, "an option indicator cannot be reverse keyed")
                elif not ftype.ordered:
                    add(
                        errors,
                        where,
                        f"item '{iid}' is {fmt['type']}: its codes are not ordered; score it"
                        " with 'option: CODE' indicators",
                    )
        for s, scale in enumerate(scales):
            parent = scale.get("parent")
            if parent is not None:
                if parent not in scale_ids:
                    add(errors, ("scales", s, "parent"), f"unknown parent scale '{parent}'")
                elif parent == scale.get("id"):
                    add(errors, ("scales", s, "parent"), "a scale cannot be its own parent")
        # Hierarchy must be acyclic.
        parents = {sc.get("id"): sc.get("parent") for sc in scales}
        for s, scale in enumerate(scales):
            node, hops = scale.get("id"), 0
            while node is not None and hops <= len(parents):
                node, hops = parents.get(node), hops + 1
            if hops > len(parents):
                add(errors, ("scales", s, "parent"), "the scale hierarchy has a cycle")

        validity = data.get("validity") or {}
        for p, pair in enumerate(validity.get("inconsistency_pairs") or []):
            for side in ("first", "second"):
                iid = pair.get(side)
                if iid is not None and iid not in seen:
                    add(
                        errors,
                        ("validity", "inconsistency_pairs", p, side),
                        f"unknown item '{iid}'",
                    )
                elif iid is not None:
                    fmt = formats.get(items[seen[iid]].get("format", ""), {})
                    if fmt and not FORMAT_TYPES[fmt["type"]].ordered:
                        add(
                            errors,
                            ("validity", "inconsistency_pairs", p, side),
                            f"item '{iid}' has no ordered coding",
                        )
        if validity.get("inconsistency_pairs") and validity.get("inconsistency_max") is None:
            add(
                errors,
                ("validity", "inconsistency_max"),
                "needed when inconsistency_pairs are given",
            )
        for f, sid in enumerate(validity.get("flat_profile_scales") or []):
            if sid not in scale_ids:
                add(errors, ("validity", "flat_profile_scales", f), f"unknown scale '{sid}'")
        profile = data.get("profile")
        if isinstance(profile, dict):
            for letter, sid in (profile.get("scales") or {}).items():
                if sid not in scale_ids:
                    add(errors, ("profile", "scales", letter), f"unknown scale '{sid}'")
        if errors:
            raise ValidationError(errors)
