"""Frozen dataclasses describing a loaded, validated instrument.

These objects are produced by :func:`instruments.load_instrument` and consumed by
``scoring`` and ``service``. They are plain data: no I/O, no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from instruments.formats import FORMAT_TYPES


@dataclass(frozen=True)
class Text:
    """A user-facing text in French (required) and other languages (optional)."""

    fr: str
    en: str | None = None

    def get(self, lang: str = "fr") -> str:
        """Return the text in ``lang``, falling back to French.

        Examples
        --------
        >>> Text(fr="Bonjour", en="Hello").get("en")
        'Hello'
        >>> Text(fr="Bonjour").get("en")
        'Bonjour'
        """
        if lang == "en" and self.en:
            return self.en
        return self.fr


@dataclass(frozen=True)
class ResponseOption:
    """One answer option: the stored numeric code and its label."""

    value: float
    label: Text


@dataclass(frozen=True)
class ResponseFormat:
    """How an item is answered and how its answer is coded.

    ``type`` is a key of :data:`instruments.formats.FORMAT_TYPES`.
    """

    id: str
    type: str
    options: tuple[ResponseOption, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    size: int | None = None  # ranking: number of statements ranked together
    step: float | None = None  # number: answers must be min + a multiple of step
    max_length: int | None = None  # free text

    @property
    def numeric(self) -> bool:
        """Whether answers in this format enter the numeric response matrix."""
        return FORMAT_TYPES[self.type].numeric

    @property
    def ordered(self) -> bool:
        """Whether answers are ordered, so that reverse keying makes sense."""
        return FORMAT_TYPES[self.type].ordered

    @property
    def coding_range(self) -> tuple[float, float]:
        """The declared (min, max) of the numeric coding, used for reverse keying."""
        if self.options:
            values = [o.value for o in self.options]
            if self.type == "multiple_choice":
                return 0.0, float(2 ** len(values) - 1)
            return float(min(values)), float(max(values))
        if self.type == "ranking" and self.size is not None:
            return 1.0, float(self.size)
        if self.minimum is not None and self.maximum is not None:
            return float(self.minimum), float(self.maximum)
        raise ValueError(f"response format {self.id!r} has no numeric coding")

    def allowed_values(self) -> tuple[float, ...] | None:
        """Exact allowed codes, or None when any number in the range is allowed."""
        if self.type == "multiple_choice" or not self.options:
            if self.type == "ranking" and self.size is not None:
                return tuple(float(v) for v in range(1, self.size + 1))
            return None
        return tuple(float(o.value) for o in self.options)


@dataclass(frozen=True)
class Item:
    """A question with a stable id (never a position)."""

    id: str
    text: Text
    format: str
    block: str | None = None  # ranking block: items ranked together
    section: str | None = None
    required: bool = False
    # What the item reveals when it touches a special category of personal data
    # (instruments.schema.SENSITIVE_CATEGORIES), e.g. "religion"; None for most items.
    sensitive: str | None = None


@dataclass(frozen=True)
class Section:
    """A part of a questionnaire with its own title and instructions."""

    id: str
    title: Text
    instructions: Text | None = None


@dataclass(frozen=True)
class ScaleMember:
    """An item's membership in a scale.

    ``key`` is +1 or -1 (reverse keyed as min + max - x); ``weight`` multiplies the keyed
    answer; ``option`` turns a choice item into an indicator (1 when that option is chosen).
    """

    item: str
    key: int = 1
    weight: float = 1.0
    option: float | None = None

    @property
    def column(self) -> str:
        """The response-matrix column this member reads."""
        if self.option is None:
            return self.item
        return f"{self.item}={_fmt_code(self.option)}"


def _fmt_code(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class Band:
    """A level of interpretation: ``minimum <= metric < maximum``."""

    level: str
    label: Text
    text: Text
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Bands:
    """Interpretation bands of a scale on a named metric."""

    metric: str
    levels: tuple[Band, ...]


@dataclass(frozen=True)
class Scale:
    """A scored scale: its member items, scoring method and missing-data rule."""

    id: str
    name: Text
    members: tuple[ScaleMember, ...]
    method: str = "mean"
    min_answered: float = 0.5
    description: Text | None = None
    level: str | None = None
    parent: str | None = None
    ipsative_group: str | None = None
    reliability: float | None = None
    bands: Bands | None = None

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(m.item for m in self.members)

    def required_answers(self) -> int:
        """Minimum number of answered member items for the score to exist.

        Examples
        --------
        >>> s = Scale(id="x", name=Text(fr="x"), min_answered=0.5,
        ...           members=tuple(ScaleMember(item=f"i{k}") for k in range(5)))
        >>> s.required_answers()
        3
        """
        import math

        return max(1, math.ceil(self.min_answered * len(self.members) - 1e-9))


@dataclass(frozen=True)
class InconsistencyPair:
    """Two items expected to be answered alike (``same``) or in opposition (``opposite``)."""

    first: str
    second: str
    relation: str = "same"


@dataclass(frozen=True)
class ValiditySettings:
    """Thresholds of the response-validity indices (see docs/scoring.md).

    A threshold of ``None`` means the index is computed but never flagged. The loader
    fills ``longstring_max`` with its default (half the ordered items, at least 6) when
    the file does not set it.
    """

    longstring_max: int | None = None
    irv_min: float | None = None
    missing_max: float = 0.2
    min_seconds_per_item: float | None = 2.0
    inconsistency_pairs: tuple[InconsistencyPair, ...] = ()
    inconsistency_max: float | None = None
    flat_profile_scales: tuple[str, ...] = ()
    flat_profile_sd_min: float | None = None


@dataclass(frozen=True)
class Profile:
    """An instrument-level profile: ``riasec`` (six types) or ``values`` (ipsative ranks)."""

    type: str
    scales: tuple[tuple[str, str], ...]  # (letter or value key, scale id)
    flat_max_differentiation: float | None = None
    low_max: float | None = None


@dataclass(frozen=True)
class Source:
    citation: str
    url: str | None = None


#: Constructs of the quality questionnaires (Qualiopi indicator 30): the end-of-bilan
#: satisfaction survey and the 6-month follow-up. Their answers are the person's opinion
#: of the bilan for the centre's statistics, not results of the bilan: see
#: :attr:`Instrument.anonymous`.
ANONYMOUS_CONSTRUCTS = frozenset({"satisfaction", "follow_up"})


@dataclass(frozen=True)
class Instrument:
    """A validated instrument definition (one YAML file, one version)."""

    id: str
    version: str
    name: Text
    description: Text
    construct: str
    licence: str
    source: Source
    minutes: float
    languages: tuple[str, ...]
    formats: dict[str, ResponseFormat]
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    instructions: Text | None = None
    sections: tuple[Section, ...] = ()
    validity: ValiditySettings = field(default_factory=ValiditySettings)
    norms: str | None = None
    profile: Profile | None = None
    path: Path | None = None
    metadata: dict[str, object] = field(default_factory=dict)
    # Whether the service may assign it in a bilan; such an instrument has no sensitive item.
    administered_in_bilan: bool = True

    @property
    def key(self) -> str:
        """``id@version``, the identity recorded with every stored score."""
        return f"{self.id}@{self.version}"

    @property
    def anonymous(self) -> bool:
        """Whether answers to this instrument are anonymous: they feed the centre's
        statistics only, and are never shown, scored or exported per person (to the
        counsellor, the beneficiary or anyone else). Decided by the ``construct``, once,
        here: see :data:`ANONYMOUS_CONSTRUCTS`.

        Examples
        --------
        >>> from instruments import load_instrument, BUILTIN_DIR
        >>> load_instrument(BUILTIN_DIR / "satisfaction-fin-bilan.yaml").anonymous
        True
        >>> load_instrument(BUILTIN_DIR / "suivi-6-mois.yaml").anonymous
        True
        >>> load_instrument(BUILTIN_DIR / "riasec-60.yaml").anonymous
        False
        """
        return self.construct in ANONYMOUS_CONSTRUCTS

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def scale(self, scale_id: str) -> Scale:
        for sc in self.scales:
            if sc.id == scale_id:
                return sc
        raise KeyError(scale_id)

    def format_of(self, item_id: str) -> ResponseFormat:
        return self.formats[self.item(item_id).format]

    @property
    def numeric_items(self) -> tuple[Item, ...]:
        """Items whose answers enter the numeric response matrix, in presentation order."""
        return tuple(it for it in self.items if self.formats[it.format].numeric)

    def norms_path(self) -> Path | None:
        """Absolute path of the norm file, resolved next to the instrument file."""
        if self.norms is None:
            return None
        p = Path(self.norms)
        if not p.is_absolute() and self.path is not None:
            p = self.path.parent / p
        return p
