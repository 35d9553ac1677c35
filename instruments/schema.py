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
# What an item tagged ``sensitive`` reveals: the special categories of personal data of
# the GDPR (art. 9(1)) and data on offences (art. 10), with their French names for the
# messages. An instrument administered in a bilan may contain none of them (minimisation:
# only what has a direct and necessary link with the bilan).
SENSITIVE_CATEGORIES: dict[str, str] = {
    "ethnic_origin": "origine raciale ou ethnique",
    "politics": "opinions politiques",
    "religion": "convictions religieuses",
    "philosophy": "convictions philosophiques",
    "trade_union": "appartenance syndicale",
    "genetic": "données génétiques",
    "biometric": "données biométriques",
    "health": "santé",
    "sex_life": "vie sexuelle ou orientation sexuelle",
    "offences": "infractions et condamnations pénales",
}

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
    sensitive = fields.String(
        validate=validate.OneOf(
            tuple(SENSITIVE_CATEGORIES),
            error="sensitive names what the item reveals; use one of {choices}",
        )
    )


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


_CHOICE_TYPES = ("single_choice", "multiple_choice", "forced_choice")  # 'option' indicators


class _CrossChecks:
    """The cross-field checks of one instrument file, collecting every error at once.

    Each ``check_*`` method covers one concern. :meth:`run` calls them in a fixed order,
    which is also the order of the messages; later checks use what earlier ones recorded
    (section ids, items by id, ranking blocks, scale ids).
    """

    def __init__(self, data: dict[str, Any], original: Any) -> None:
        self.data = data
        self.original = original  # the data as written, before deserialisation
        self.errors: dict[Any, Any] = {}
        self.langs = list(data.get("languages") or ["fr"])
        self.formats: dict[str, Any] = data.get("response_formats") or {}
        self.items: list[dict[str, Any]] = [
            i for i in data.get("items") or [] if isinstance(i, dict)
        ]
        self.scales: list[dict[str, Any]] = [
            s for s in data.get("scales") or [] if isinstance(s, dict)
        ]
        self.validity: dict[str, Any] = data.get("validity") or {}
        self.section_ids: set[str] = set()
        self.item_index: dict[str, int] = {}  # item id -> position of its first occurrence
        self.blocks: dict[str, list[int]] = {}  # ranking block -> positions of its items
        self.scale_ids: dict[str, int] = {}  # scale id -> position of its first occurrence

    def run(self) -> dict[Any, Any]:
        """Run every check in order; return the errors (empty when the file is valid)."""
        self.check_languages()
        self.check_instrument_texts()
        self.check_option_labels()
        self.check_sections()
        self.check_items()
        self.check_ranking_blocks()
        self.check_scales()
        self.check_parents()
        self.check_hierarchy_acyclic()
        self.check_inconsistency_pairs()
        self.check_flat_profile_scales()
        self.check_profile_scales()
        self.check_bilan_items()
        return self.errors

    def add(self, path: tuple[Any, ...], message: str) -> None:
        _errors_add(self.errors, path, message)

    # Translations coverage.

    def _as_written(self, path: tuple[Any, ...]) -> Any:
        """The value at ``path`` in the original data (None if absent)."""
        node = self.original
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def check_text(self, path: tuple[Any, ...], text: Any) -> None:
        """A text covers every declared language (problems already reported are skipped)."""
        if not isinstance(text, dict):
            return
        for lang in self.langs:
            if lang == "fr" and "fr" not in text:
                continue  # already reported as a required field
            written = self._as_written((*path, lang))
            if written is not None and not isinstance(written, str):
                continue  # already reported as "not a valid string"
            if not text.get(lang):
                self.add((*path, lang), f"missing the '{lang}' text")

    def check_languages(self) -> None:
        """French is always among the languages."""
        if "fr" not in self.langs:
            self.add(("languages",), "French ('fr') is required in 'languages'")

    def check_instrument_texts(self) -> None:
        """The name, description and instructions of the instrument are translated."""
        for key in ("name", "description", "instructions"):
            self.check_text((key,), self.data.get(key))

    def check_option_labels(self) -> None:
        """The option labels of every response format are translated."""
        for fid, fmt in self.formats.items():
            for j, opt in enumerate(fmt.get("options") or []):
                self.check_text(("response_formats", fid, "options", j, "label"), opt.get("label"))

    # Sections.

    def check_sections(self) -> None:
        """Section ids are unique; titles and instructions are translated."""
        sections = [x for x in self.data.get("sections") or [] if isinstance(x, dict)]
        for j, sec in enumerate(sections):
            if sec.get("id") in self.section_ids:
                self.add(("sections", j, "id"), f"duplicate section id '{sec.get('id')}'")
            self.section_ids.add(sec.get("id", ""))
            self.check_text(("sections", j, "title"), sec.get("title"))
            self.check_text(("sections", j, "instructions"), sec.get("instructions"))

    # Items.

    def check_items(self) -> None:
        """Per item: unique id, translated text, known section, known format, ranking block."""
        for i, item in enumerate(self.items):
            self._check_item_id(i, item.get("id"))
            self.check_text(("items", i, "text"), item.get("text"))
            self._check_item_section(i, item)
            self._check_item_format(i, item)

    def _check_item_id(self, i: int, iid: Any) -> None:
        """Item ids are unique; records the position of each id."""
        if iid in self.item_index:
            self.add(
                ("items", i, "id"),
                f"duplicate item id '{iid}' (first at items[{self.item_index[iid]}])",
            )
        elif iid:
            self.item_index[iid] = i

    def _check_item_section(self, i: int, item: dict[str, Any]) -> None:
        """An item's section is declared under 'sections'."""
        if item.get("section") is not None and item["section"] not in self.section_ids:
            self.add(
                ("items", i, "section"),
                f"unknown section '{item['section']}'; declare it under 'sections'",
            )

    def _check_item_format(self, i: int, item: dict[str, Any]) -> None:
        """An item's format is declared; a ranking item belongs to a block (recorded)."""
        fmt_id = item.get("format")
        if fmt_id and fmt_id not in self.formats:
            self.add(
                ("items", i, "format"),
                f"unknown response format '{fmt_id}'; declared formats:"
                f" {', '.join(sorted(self.formats))}",
            )
        elif fmt_id and self.formats[fmt_id].get("type") == "ranking":
            if not item.get("block"):
                self.add(("items", i, "block"), "a ranking item needs a 'block' id")
            else:
                self.blocks.setdefault(item["block"], []).append(i)

    def check_ranking_blocks(self) -> None:
        """A ranking block uses one format, whose size is the number of its items."""
        for block, members in self.blocks.items():
            fids = {self.items[i]["format"] for i in members}
            sizes = {self.formats[f].get("size") for f in fids}
            if len(fids) > 1:
                self.add(("items", members[0], "block"), f"block '{block}' mixes formats")
            elif sizes and (size := sizes.pop()) is not None and size != len(members):
                self.add(
                    ("items", members[0], "block"),
                    f"ranking block '{block}' has {len(members)} items but its format ranks {size}",
                )

    # Scales.

    def check_scales(self) -> None:
        """Per scale: unique id, translated texts, bands, members (known items, keying)."""
        for s, scale in enumerate(self.scales):
            sid = scale.get("id")
            self._check_scale_id(s, sid)
            self.check_text(("scales", s, "name"), scale.get("name"))
            self.check_text(("scales", s, "description"), scale.get("description"))
            bands = scale.get("bands")
            if isinstance(bands, dict):
                self._check_scale_bands(s, bands)
            self._check_scale_members(s, sid, scale.get("items") or [])

    def _check_scale_id(self, s: int, sid: Any) -> None:
        """Scale ids are unique; records the position of each id."""
        if sid in self.scale_ids:
            self.add(("scales", s, "id"), f"duplicate scale id '{sid}'")
        elif sid:
            self.scale_ids[sid] = s

    def _check_scale_bands(self, s: int, bands: dict[str, Any]) -> None:
        """Band labels and texts are translated; a normed metric needs norms."""
        for b, band in enumerate(bands.get("levels") or []):
            self.check_text(("scales", s, "bands", "levels", b, "label"), band.get("label"))
            self.check_text(("scales", s, "bands", "levels", b, "text"), band.get("text"))
        if bands.get("metric") in NORMED_METRICS and not self.data.get("norms"):
            self.add(
                ("scales", s, "bands", "metric"),
                f"metric '{bands['metric']}' needs norms: declare 'norms' or use a raw"
                " metric (mean, raw, score, rank)",
            )

    def _check_scale_members(self, s: int, sid: Any, members: list[Any]) -> None:
        """Members are listed once, name known items and can be scored."""
        members_seen: set[tuple[str, Any]] = set()
        for m, member in enumerate(members):
            if not isinstance(member, dict):
                continue
            iid = member["item"]
            where = ("scales", s, "items", m)
            if (iid, member.get("option")) in members_seen:
                self.add(where, f"item '{iid}' is listed twice in scale '{sid}'")
            members_seen.add((iid, member.get("option")))
            if iid not in self.item_index:
                self.add(where, f"unknown item '{iid}' in scale '{sid}'")
                continue
            fmt = self.formats.get(self.items[self.item_index[iid]].get("format", ""))
            if fmt:
                self._check_member_coding(where, iid, member, fmt)

    def _check_member_coding(
        self, where: tuple[Any, ...], iid: str, member: dict[str, Any], fmt: dict[str, Any]
    ) -> None:
        """The response coding of a member's item allows the way it is scored."""
        ftype = FORMAT_TYPES[fmt["type"]]
        if not ftype.numeric:
            self.add(where, f"item '{iid}' is {fmt['type']} and cannot be scored")
        elif member.get("option") is not None:
            self._check_option_indicator(where, iid, member, fmt)
        elif not ftype.ordered:
            self.add(
                where,
                f"item '{iid}' is {fmt['type']}: its codes are not ordered; score it"
                " with 'option: CODE' indicators",
            )

    def _check_option_indicator(
        self, where: tuple[Any, ...], iid: str, member: dict[str, Any], fmt: dict[str, Any]
    ) -> None:
        """An 'option' indicator names a code of a choice item and is not reverse keyed."""
        codes = [o["value"] for o in fmt.get("options") or []]
        if fmt["type"] not in _CHOICE_TYPES:
            self.add(where, "'option' applies to choice items only")
        elif member["option"] not in codes:
            self.add(
                where,
                f"option {member['option']:g} is not a code of item '{iid}'"
                f" (codes: {', '.join(f'{c:g}' for c in codes)})",
            )
        if member.get("key") == -1:
            self.add(where, "an option indicator cannot be reverse keyed")

    def check_parents(self) -> None:
        """A scale's parent is another declared scale."""
        for s, scale in enumerate(self.scales):
            parent = scale.get("parent")
            if parent is None:
                continue
            if parent not in self.scale_ids:
                self.add(("scales", s, "parent"), f"unknown parent scale '{parent}'")
            elif parent == scale.get("id"):
                self.add(("scales", s, "parent"), "a scale cannot be its own parent")

    def check_hierarchy_acyclic(self) -> None:
        """Following parents from any scale ends: the hierarchy has no cycle."""
        parents = {sc.get("id"): sc.get("parent") for sc in self.scales}
        for s, scale in enumerate(self.scales):
            node, hops = scale.get("id"), 0
            while node is not None and hops <= len(parents):
                node, hops = parents.get(node), hops + 1
            if hops > len(parents):
                self.add(("scales", s, "parent"), "the scale hierarchy has a cycle")

    # Validity settings and profile.

    def check_inconsistency_pairs(self) -> None:
        """Inconsistency pairs name known items with ordered codes, and have a threshold."""
        for p, pair in enumerate(self.validity.get("inconsistency_pairs") or []):
            for side in ("first", "second"):
                self._check_pair_item(("validity", "inconsistency_pairs", p, side), pair.get(side))
        if (
            self.validity.get("inconsistency_pairs")
            and self.validity.get("inconsistency_max") is None
        ):
            self.add(
                ("validity", "inconsistency_max"),
                "needed when inconsistency_pairs are given",
            )

    def _check_pair_item(self, where: tuple[Any, ...], iid: Any) -> None:
        """One side of an inconsistency pair: a known item with an ordered coding."""
        if iid is None:
            return
        if iid not in self.item_index:
            self.add(where, f"unknown item '{iid}'")
            return
        fmt = self.formats.get(self.items[self.item_index[iid]].get("format", ""), {})
        if fmt and not FORMAT_TYPES[fmt["type"]].ordered:
            self.add(where, f"item '{iid}' has no ordered coding")

    def check_flat_profile_scales(self) -> None:
        """The scales of the flat-profile check are declared."""
        for f, sid in enumerate(self.validity.get("flat_profile_scales") or []):
            if sid not in self.scale_ids:
                self.add(("validity", "flat_profile_scales", f), f"unknown scale '{sid}'")

    def check_profile_scales(self) -> None:
        """The scales a profile maps to are declared."""
        profile = self.data.get("profile")
        if isinstance(profile, dict):
            for letter, sid in (profile.get("scales") or {}).items():
                if sid not in self.scale_ids:
                    self.add(("profile", "scales", letter), f"unknown scale '{sid}'")

    # Minimisation.

    def check_bilan_items(self) -> None:
        """An instrument administered in a bilan contains no item tagged ``sensitive``."""
        if self.data.get("administered_in_bilan", True) is not True:
            return
        tagged = [
            (i, item["id"], item["sensitive"])
            for i, item in enumerate(self.items)
            if item.get("sensitive") in SENSITIVE_CATEGORIES and item.get("id")
        ]
        if not tagged:
            return
        fr = ", ".join(f"{iid} ({SENSITIVE_CATEGORIES[cat]})" for _, iid, cat in tagged)
        en = ", ".join(f"{iid} ({cat})" for _, iid, cat in tagged)
        where = (
            ("administered_in_bilan",)
            if isinstance(self.original, dict) and "administered_in_bilan" in self.original
            else ("items", tagged[0][0], "sensitive")
        )
        self.add(
            where,
            "un questionnaire administré dans un bilan ne doit contenir aucun item sensible"
            f" (RGPD, art. 9 ; minimisation) : retirez {fr}, ou déclarez"
            " « administered_in_bilan: false » s’il n’est pas proposé dans un bilan"
            f" / an instrument administered in a bilan must not contain sensitive items:"
            f" remove {en}, or declare 'administered_in_bilan: false'",
        )


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
    # Whether the service may assign it in a bilan (default: yes). Such an instrument
    # may contain no item tagged ``sensitive`` (check_bilan_items).
    administered_in_bilan = fields.Boolean(load_default=True)
    metadata = fields.Dict(keys=fields.String())

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _cross_checks(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        errors = _CrossChecks(data, original).run()
        if errors:
            raise ValidationError(errors)
