"""One person's stored scores as a profile ready to print: the model behind the result
pages, the counsellor's profile review, the charts and the restitution report.

:func:`build_profile` turns the flat score row stored at completion (``<scale>.<metric>``
keys, see :func:`scoring.pipeline.score`) and the instrument definition into frozen
dataclasses holding both the numbers (for charts and exports) and the sentences (for
pages), in the reader's language. Nothing here reads Flask: the sentences go through the
``translations`` object the caller passes (the service passes Flask-Babel's catalogue;
without one the French source text is used).

The wording is neutral and shows uncertainty: a score is "rather high", "in the average
zone", "probably between ... and ..."; never a verdict.
"""

from __future__ import annotations

import gettext
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from babel.numbers import format_decimal
from scipy.special import ndtri as norm_deviate

from instruments.model import Bands, Instrument, Scale
from instruments.typography import french
from scoring.interpret import level_at, level_zones, metric_column
from scoring.norms import percentile_from_normal

Translate = Callable[[str], str]

#: T scores between these bounds are "in the average zone" (mean 50 +/- 1 SD), for a
#: normed scale without interpretation bands only.
AVERAGE_T = (40.0, 60.0)


@dataclass(frozen=True)
class LevelZone:
    """One level of a scale on its bands' metric: ``low <= value < high`` (open ends are
    infinite), with its words; read from :func:`scoring.interpret.level_zones`."""

    level: str
    label: str
    low: float
    high: float


@dataclass(frozen=True)
class ScaleView:
    """One scale of a profile: numbers and the sentences to print them."""

    id: str
    name: str
    description: str | None
    missing: bool
    tier: str | None = None  # "domain" | "facet" | None (the instrument's scale level)
    parent: str | None = None
    method: str = "mean"
    mean: float | None = None
    raw: float | None = None
    answered: int = 0
    n_items: int = 0
    required: int = 0
    range: tuple[float, float] | None = None
    t: float | None = None
    t_low: float | None = None  # confidence band of the T score (90 %)
    t_high: float | None = None
    percentile_value: float | None = None
    #: Ends of the 90 % band on the percentile metric (see :func:`percentile_band`).
    percentile_low: float | None = None
    percentile_high: float | None = None
    level: str | None = None  # level code (e.g. "low")
    level_label: str | None = None
    level_text: str | None = None
    #: "low", "middle" or "high": where the level stands among the scale's levels (three
    #: or more), None without levels.
    level_position: str | None = None
    #: The bands' metric ("percentile", "mean", "rank"...), the value of the scale on it
    #: and the levels' zones: the words, the chart's zones and the summary all read these.
    level_metric: str | None = None
    level_value: float | None = None
    zones: tuple[LevelZone, ...] = ()
    rank_value: float | None = None
    ipsative: float | None = None
    reliability: float | None = None
    # Ready-to-print texts
    score: str | None = None  # "2,6 sur une échelle de 1 à 6"
    percentile: str | None = None
    band_low: str | None = None  # percentile band, from the T band
    band_high: str | None = None
    rank: str | None = None
    tied: bool = False
    missing_reason: str | None = None
    #: "42 (36–48)": the T score and its 90 % band, for the counsellor.
    t_text: str | None = None
    #: "42 (30–55)": the percentile rank and its band, for the counsellor's table.
    percentile_band_text: str | None = None
    #: The percentile rank in plain words with its uncertainty, for the person.
    percentile_text: str | None = None

    @property
    def normed(self) -> bool:
        return self.t is not None


@dataclass(frozen=True)
class Flag:
    """A validity index outside its bounds, explained in plain words."""

    key: str
    message: str  # for the counsellor
    plain: str = ""  # for the person, in plain words (the report, their results page)


@dataclass(frozen=True)
class ValueRank:
    """A work value at its place in the ONE ranking shown (see :func:`_value_ranks`)."""

    rank_value: float
    rank: str  # "2" or "2,5"
    name: str
    scale_id: str
    score: float | None  # mean importance given to the value's statements (1 to 5)
    tied: bool
    level_label: str | None = None
    level_text: str | None = None
    description: str | None = None
    importance: str | None = None  # "4,5 sur 5", ready to print


@dataclass(frozen=True)
class ProfileView:
    """A neutral presentation of one completed questionnaire."""

    instrument_id: str
    instrument_key: str
    instrument_name: str
    description: str
    construct: str
    source: str
    scales: tuple[ScaleView, ...]
    normed: bool
    norm_group: str | None
    norm_version: str | None
    summary: str
    flags: tuple[Flag, ...] = ()
    riasec_code: str | None = None
    riasec_message: str | None = None
    riasec_scores: tuple[tuple[str, str, float | None], ...] = ()  # (letter, name, score)
    riasec_max: float | None = None
    #: The Holland code's result said OF the person (the counsellor's page, the summary);
    #: ``riasec_message`` is the instrument's message, said TO the person.
    riasec_note: str | None = None
    value_ranks: tuple[ValueRank, ...] = ()
    #: One sentence saying where the ranking of the values comes from.
    value_ranking_note: str | None = None
    #: Where that ranking comes from: "ranking" (the person's own) or "ratings".
    value_ranking_source: str | None = None
    notices: tuple[str, ...] = ()
    limits: tuple[str, ...] = ()  # for every reader
    reliability: str | None = None  # the scales' alphas: for the counsellor only

    @property
    def domains(self) -> tuple[ScaleView, ...]:
        """Top-level scales (all scales when the instrument has no levels)."""
        top = tuple(s for s in self.scales if s.tier in (None, "domain") and s.parent is None)
        return top or self.scales

    @property
    def facets(self) -> tuple[ScaleView, ...]:
        return tuple(s for s in self.scales if s.tier == "facet" or s.parent is not None)

    def facets_of(self, domain_id: str) -> tuple[ScaleView, ...]:
        """The facets grouped under one domain (their ``parent``)."""
        return tuple(s for s in self.facets if s.parent == domain_id)

    @property
    def missing_scales(self) -> tuple[ScaleView, ...]:
        return tuple(s for s in self.scales if s.missing)


# --- formatting ---------------------------------------------------------------------------


def fmt(value: float, lang: str = "fr", digits: int = 1) -> str:
    """A number the reader's way, at most ``digits`` decimals, halves rounded up (as a
    reader rounds: 12,5 gives 13, not the banker's 12).

    Examples
    --------
    >>> fmt(2.56), fmt(2.0), fmt(61.7, "fr", 0), fmt(2.56, "en")
    ('2,6', '2', '62', '2.6')
    >>> fmt(12.5, "fr", 0), fmt(3.25), fmt(-0.25)
    ('13', '3,3', '\u22120,3')

    A negative number takes a real minus sign (U+2212), not a hyphen.
    """
    quantum = Decimal(1).scaleb(-digits)
    rounded = Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # never "−0"
    pattern = "0" if digits == 0 else "0." + "#" * digits
    return str(format_decimal(rounded, format=pattern, locale=lang)).replace("-", "\u2212")


def _num(scores: Mapping[str, Any], key: str) -> float | None:
    v = scores.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float) or math.isnan(v):
        return None
    return float(v)


def _meta_text(meta: object, lang: str) -> str | None:
    """A text of the instrument's metadata in ``lang`` (French typography for French)."""
    text: object = meta
    if isinstance(meta, Mapping):
        text = meta.get(lang) or meta.get("fr")
    if not isinstance(text, str) or not text:
        return None
    return french(text) if lang == "fr" else text


def _meta(instrument: Instrument, *path: str) -> object:
    node: object = instrument.metadata
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def scale_range(instrument: Instrument, scale: Scale) -> tuple[float, float] | None:
    """Lowest and highest possible score of a scale on its own metric (mean or sum).

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> inst = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")
    >>> scale_range(inst, inst.scale("openness"))
    (1.0, 6.0)
    """
    try:
        lo, hi = instrument.format_of(scale.members[0].item).coding_range
    except (KeyError, ValueError, IndexError):
        return None
    if scale.method == "sum":
        total = sum(m.weight for m in scale.members)
        return float(lo * total), float(hi * total)
    return float(lo), float(hi)


def _is_ranking(instrument: Instrument, scale: Scale) -> bool:
    """Scales read from ranks (reverse keyed) show their level, not a score."""
    try:
        return instrument.format_of(scale.members[0].item).type == "ranking"
    except (KeyError, IndexError):
        return False


def _clip_pct(p: float) -> float:
    return min(99.0, max(1.0, p))


def translator(translations: gettext.NullTranslations | None, lang: str) -> Translate:
    """``gettext`` of ``translations``; French text gets French typography (no-break
    spaces before ``: ; ! ?``, typographic apostrophes).

    Examples
    --------
    >>> translator(None, "fr")("Code : SAI !")
    'Code\xa0: SAI\u202f!'
    """
    tr = translations or gettext.NullTranslations()
    if lang == "fr":
        return lambda message: french(tr.gettext(message))
    return tr.gettext


# --- building -----------------------------------------------------------------------------


def build_profile(
    instrument: Instrument,
    scores: Mapping[str, Any],
    *,
    norm_version: str | None = None,
    norm_group: str | None = None,
    instrument_key: str | None = None,
    lang: str = "fr",
    translations: gettext.NullTranslations | None = None,
) -> ProfileView:
    """A person's stored scores as a :class:`ProfileView` in ``lang``.

    ``norm_version`` and ``norm_group`` are the norms in words (e.g. a centre's local
    norms); without ``norm_group``, the group stored with the scores is named.

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> inst = load_instrument(BUILTIN_DIR / "riasec-60.yaml")
    >>> scores = {f"{s.id}.mean": m for s, m in zip(inst.scales, [1, 3.4, 2, 3.8, 1.2, 0.4])}
    >>> scores |= {f"{s.id}.n": 10 for s in inst.scales} | {"riasec.code": "SIA"}
    >>> view = build_profile(inst, scores)
    >>> view.riasec_code, [s.missing for s in view.scales].count(False)
    ('SIA', 6)
    >>> view.summary.startswith("Code d’intérêts\\xa0: SIA")
    True
    """
    _ = translator(translations, lang)
    scale_views = tuple(_scale_view(instrument, s, scores, lang, _) for s in instrument.scales)
    normed = any(s.normed for s in scale_views)
    if not (normed and norm_group):
        norm_group = _norm_group(instrument, scores, normed, _)

    code = message = ranking_note = ranking_source = None
    riasec_scores: list[tuple[str, str, float | None]] = []
    riasec_max: float | None = None
    ranks: list[ValueRank] = []
    notices: list[str] = []
    profile = instrument.profile
    by_id = {s.id: s for s in scale_views}
    if profile is not None and profile.type == "riasec":
        code, message = _riasec_code_message(instrument, scores, lang, _)
        riasec_scores, riasec_max = _riasec_scores(profile.scales, by_id)
    elif profile is not None and profile.type == "values":
        ranks, ranking_note = _value_ranks(instrument, profile.scales, by_id, lang, _)
        ranking_source = (
            "ranking" if _ranking_places(instrument, profile.scales, by_id) else "ratings"
        )

    flags = _flags(instrument, scores, lang, _)
    view = ProfileView(
        instrument_id=instrument.id,
        instrument_key=instrument_key or f"{instrument.id}@{instrument.version}",
        instrument_name=instrument.name.get(lang),
        description=instrument.description.get(lang),
        construct=instrument.construct,
        source=instrument.source.citation,
        scales=scale_views,
        normed=normed,
        norm_group=norm_group,
        norm_version=norm_version if normed else None,
        summary="",
        flags=flags,
        riasec_code=code,
        riasec_message=message,
        riasec_scores=tuple(riasec_scores),
        riasec_max=riasec_max,
        riasec_note=_riasec_note(scores, code, _) if profile and profile.type == "riasec" else None,
        value_ranks=tuple(ranks),
        value_ranking_note=ranking_note,
        value_ranking_source=ranking_source,
        notices=tuple(notices),
        limits=_limits(instrument, normed, norm_group, lang, _),
        reliability=_reliability(instrument, lang, _),
    )
    return _with_summary(view, lang, _)


def _norm_group(
    instrument: Instrument, scores: Mapping[str, Any], normed: bool, _: Translate
) -> str | None:
    """The reference group the scores were normed against, for the reader (None if unnormed).

    The group is the first ``<scale>.norm_group`` stored; "all" (or none) is the whole group.
    """
    group: str | None = None
    for s in instrument.scales:
        g = scores.get(f"{s.id}.norm_group")
        if isinstance(g, str):
            group = g
            break
    if not normed:
        return None
    return describe_norm_group(group, _)


_SEX = ("1", "2")  # the norm files' codes: 1 men, 2 women (SAPA and bfi data)


def describe_norm_group(group: str | None, _: Translate) -> str:
    """The stored group key (``sex=2, age_band=25-34``, ``all``) in the reader's words.

    Examples
    --------
    >>> tr = translator(None, "fr")
    >>> describe_norm_group("sex=2, age_band=25-34", tr), describe_norm_group("all", tr)
    ('femmes, 25 à 34 ans', 'adultes, tous âges et sexes confondus')
    >>> describe_norm_group("gender=1, age_band=45+", tr)
    'hommes, 45 ans et plus'
    """
    if group in (None, "", "all"):
        return _("adultes, tous âges et sexes confondus")
    parts: list[str] = []
    for pair in str(group).split(","):
        key, _sep, value = pair.strip().partition("=")
        if key in ("sex", "gender") and value in _SEX:
            parts.append(_("hommes") if value == "1" else _("femmes"))
        elif key == "age_band" and value.endswith("+"):
            parts.append(_("%(age)s ans et plus") % {"age": value[:-1]})
        elif key == "age_band" and "-" in value:
            low, high = value.split("-", 1)
            parts.append(_("%(low)s à %(high)s ans") % {"low": low, "high": high})
        else:
            parts.append(pair.strip())
    return ", ".join(parts)


def _riasec_code_message(
    instrument: Instrument, scores: Mapping[str, Any], lang: str, _: Translate
) -> tuple[str | None, str | None]:
    """The Holland code to show (None for a low, flat or incomplete profile) and its message.

    A low or flat profile gets the instrument's message for it and no code; otherwise the
    stored code with the instrument's "code" message, or a notice that answers are missing.
    """
    code = message = None
    flat, low = scores.get("riasec.flat") is True, scores.get("riasec.low") is True
    raw_code = scores.get("riasec.code")
    if low:
        message = _meta_text(_meta(instrument, "messages", "low"), lang)
    elif flat:
        message = _meta_text(_meta(instrument, "messages", "flat"), lang)
    if message is None and isinstance(raw_code, str) and raw_code:
        code = raw_code
        message = _meta_text(_meta(instrument, "messages", "code"), lang)
    elif message is None:
        message = _("Pas assez de réponses pour établir un code à trois lettres.")
    return code, message


def _riasec_note(scores: Mapping[str, Any], code: str | None, _: Translate) -> str:
    """The Holland code's result said of the answers, addressing no one: the counsellor's
    page and the summary every reader sees (the YAML's messages speak to the person)."""
    if scores.get("riasec.low") is True:
        return _(
            "Peu d’activités du questionnaire suscitent de l’attrait aujourd’hui : pas de code"
            " à trois lettres ; à explorer en entretien, à partir des expériences passées."
        )
    if scores.get("riasec.flat") is True:
        return _(
            "Aucun type d’intérêts ne se détache nettement (profil plat) : pas de code à trois"
            " lettres ; les activités les mieux notées restent des pistes d’échange."
        )
    if code is None:
        return _("Pas assez de réponses pour établir un code à trois lettres.")
    return _(
        "Le code à trois lettres résume les types d’activités les plus attirants"
        " aujourd’hui ; des lettres entre crochets sont à égalité."
    )


def _riasec_scores(
    letters: tuple[tuple[str, str], ...], by_id: Mapping[str, ScaleView]
) -> tuple[list[tuple[str, str, float | None]], float | None]:
    """``(letter, name, score)`` per RIASEC letter (raw sum or mean), and the top of the
    score range (of the last scale that has one)."""
    riasec_scores: list[tuple[str, str, float | None]] = []
    riasec_max: float | None = None
    for letter, sid in letters:
        sv = by_id[sid]
        value = sv.raw if sv.method == "sum" else sv.mean
        riasec_scores.append((letter, sv.name, None if sv.missing else value))
        if sv.range is not None:
            riasec_max = sv.range[1]
    return riasec_scores, riasec_max


def _value_ranks(
    instrument: Instrument,
    scale_ids: tuple[tuple[str, str], ...],
    by_id: Mapping[str, ScaleView],
    lang: str,
    _: Translate,
) -> tuple[list[ValueRank], str | None]:
    """The ONE ranking of the values shown everywhere, best first, and the sentence that
    says where it comes from.

    The person's own ranking of the six values (the scales named by
    ``metadata.values.<key>.ranking_scale``) when it is complete; otherwise the order of
    the importance they gave to each value's statements (``<scale>.rank``, ties share
    their mean rank). Each value takes the words of its level at that place (the bands of
    its importance scale, on the rank), so the level never contradicts the ranking.
    """
    ranking = _ranking_places(instrument, scale_ids, by_id)
    ranks: list[ValueRank] = []
    for key, sid in scale_ids:
        sv = by_id[sid]
        place = ranking.get(key) if ranking is not None else sv.rank_value
        if place is None:
            continue
        bands = instrument.scale(sid).bands
        level = level_at(bands, place) if bands is not None else None
        label, text = _band_words(bands, level, lang)
        importance = None
        if sv.mean is not None and sv.range is not None:
            importance = _("%(score)s sur %(max)s") % {
                "score": fmt(sv.mean, lang),
                "max": fmt(sv.range[1], lang),
            }
        ranks.append(
            ValueRank(
                rank_value=place,
                rank=fmt(place, lang),
                name=sv.name,
                scale_id=sid,
                score=sv.mean,
                tied=not float(place).is_integer(),
                level_label=label,
                level_text=text,
                description=sv.description,
                importance=importance,
            )
        )
    ranks.sort(key=lambda r: (r.rank_value, r.name))
    if not ranks:
        return ranks, None
    note = (
        _(
            "Vos six valeurs dans l’ordre où vous les avez classées : la première est celle"
            " qui compte le plus pour vous aujourd’hui."
        )
        if ranking is not None
        else _(
            "Vos six valeurs dans l’ordre de l’importance que vous avez donnée aux"
            " affirmations qui les décrivent : la première est celle qui compte le plus pour"
            " vous aujourd’hui."
        )
    )
    return ranks, note


def _ranking_places(
    instrument: Instrument, scale_ids: tuple[tuple[str, str], ...], by_id: Mapping[str, ScaleView]
) -> dict[str, float] | None:
    """Place (1 = first) of each value in the person's own ranking, None when the
    instrument has no ranking or it is incomplete. A ranking scale scores the reversed
    rank (``min + max - rank``), read back here."""
    places: dict[str, float] = {}
    for key, _sid in scale_ids:
        ranking_id = _meta(instrument, "values", key, "ranking_scale")
        sv = by_id.get(ranking_id) if isinstance(ranking_id, str) else None
        if sv is None or sv.missing or sv.mean is None or sv.range is None:
            return None
        places[key] = sv.range[0] + sv.range[1] - sv.mean
    return places


def _band_words(bands: Bands | None, level: str | None, lang: str) -> tuple[str | None, str | None]:
    """The label and text of ``level`` in ``bands`` (None, None when there is none)."""
    if bands is None or level is None:
        return None, None
    for band in bands.levels:
        if band.level == level:
            text = band.text.get(lang)
            return _typo(band.label.get(lang), lang), _typo(text, lang) if text else None
    return None, None


def _typo(text: str, lang: str) -> str:
    return french(text) if lang == "fr" else text


def _scale_view(
    instrument: Instrument, scale: Scale, scores: Mapping[str, Any], lang: str, _: Translate
) -> ScaleView:
    name = scale.name.get(lang)
    description = scale.description.get(lang) if scale.description else None
    answered = int(_num(scores, f"{scale.id}.n") or 0)
    common: dict[str, Any] = {
        "tier": scale.level,
        "parent": scale.parent,
        "method": scale.method,
        "answered": answered,
        "n_items": len(scale.members),
        "required": scale.required_answers(),
        "range": scale_range(instrument, scale),
        "reliability": scale.reliability,
    }
    if scores.get(f"{scale.id}.missing") or (
        _num(scores, f"{scale.id}.mean") is None and _num(scores, f"{scale.id}.rank") is None
    ):
        reason = _(
            "Pas assez de réponses pour calculer ce résultat : %(n)s sur %(k)s, il en faut"
            " au moins %(min)s."
        ) % {"n": answered, "k": len(scale.members), "min": scale.required_answers()}
        return ScaleView(scale.id, name, description, missing=True, missing_reason=reason, **common)
    levels = _level_fields(scale, scores, lang)
    t = _num(scores, f"{scale.id}.t")
    t_low, t_high = _num(scores, f"{scale.id}.band_low"), _num(scores, f"{scale.id}.band_high")
    pct = _num(scores, f"{scale.id}.percentile")
    percentile = band_low = band_high = None
    pct_low = pct_high = None
    if pct is not None:
        percentile = fmt(_clip_pct(pct), lang, 0)
        if t_low is not None and t_high is not None:
            pct_low, pct_high = percentile_band(pct, t_low, t_high)
            band_low = fmt(pct_low, lang, 0)
            band_high = fmt(pct_high, lang, 0)
    texts = _metric_texts(t, t_low, t_high, percentile, band_low, band_high, lang, _)
    rank_value = _num(scores, f"{scale.id}.rank")
    rank = None
    tied = False
    if rank_value is not None:
        rank, tied = fmt(rank_value, lang), not float(rank_value).is_integer()
    mean, raw = _num(scores, f"{scale.id}.mean"), _num(scores, f"{scale.id}.raw")
    value = raw if scale.method == "sum" else mean
    rng = common["range"]
    score_text = None
    if value is not None and scale.method != "ipsative" and not _is_ranking(instrument, scale):
        if rng is not None:
            score_text = _("%(score)s sur une échelle de %(min)s à %(max)s") % {
                "score": fmt(value, lang),
                "min": fmt(rng[0], lang),
                "max": fmt(rng[1], lang),
            }
        else:
            score_text = fmt(value, lang)
    return ScaleView(
        scale.id,
        name,
        description,
        missing=False,
        mean=mean,
        raw=raw,
        t=t,
        t_low=t_low,
        t_high=t_high,
        percentile_value=pct,
        percentile_low=pct_low,
        percentile_high=pct_high,
        **levels,
        **texts,
        rank_value=rank_value,
        ipsative=_num(scores, f"{scale.id}.ipsative"),
        score=score_text,
        percentile=percentile,
        band_low=band_low,
        band_high=band_high,
        rank=rank,
        tied=tied,
        **common,
    )


def _metric_texts(
    t: float | None,
    t_low: float | None,
    t_high: float | None,
    percentile: str | None,
    band_low: str | None,
    band_high: str | None,
    lang: str,
    _: Translate,
) -> dict[str, Any]:
    """The normed scores ready to print: T and percentile with their bands (an en dash
    between the ends, in every language), and the percentile in plain words."""
    out: dict[str, Any] = {}
    if t is not None:
        out["t_text"] = fmt(t, lang, 0)
        if t_low is not None and t_high is not None:
            out["t_text"] += f" ({fmt(t_low, lang, 0)}–{fmt(t_high, lang, 0)})"
    if percentile is not None:
        out["percentile_band_text"] = percentile
        if band_low is not None and band_high is not None:
            out["percentile_band_text"] += f" ({band_low}–{band_high})"
            out["percentile_text"] = _(
                "Rang percentile %(p)s : un score plus élevé que celui d’environ"
                " %(p)s\u00a0%% des personnes du groupe de référence. Compte tenu de la"
                " précision du questionnaire, il se situe probablement entre %(low)s et"
                " %(high)s."
            ) % {"p": percentile, "low": band_low, "high": band_high}
        else:
            out["percentile_text"] = _(
                "Rang percentile %(p)s : un score plus élevé que celui d’environ"
                " %(p)s\u00a0%% des personnes du groupe de référence."
            ) % {"p": percentile}
    return out


def percentile_band(pct: float, t_low: float, t_high: float) -> tuple[float, float]:
    """The 90 % band of a percentile rank, clipped to 1-99: the T band's half-width (from
    the SEM) laid around the normal deviate of the percentile itself.

    The band is computed on the T metric; reading its ends under the normal curve around
    the person's own percentile (an approximation, said in the report's limits) keeps the
    point inside its band even when the percentile comes from the norm group's observed
    distribution rather than the normal curve.

    Examples
    --------
    >>> [round(p) for p in percentile_band(50.0, 44.0, 56.0)]
    [27, 73]
    >>> lo, hi = percentile_band(30.0, 30.0, 40.0)  # point inside even if T says 2-16
    >>> lo < 30.0 < hi
    True
    """
    half = (t_high - t_low) / 20.0
    z0 = float(norm_deviate(_clip_pct(pct) / 100.0))
    p_low, p_high = percentile_from_normal(np.array([z0 - half, z0 + half]))
    return min(_clip_pct(float(p_low)), _clip_pct(pct)), max(
        _clip_pct(float(p_high)), _clip_pct(pct)
    )


def _level_fields(scale: Scale, scores: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The level of a scale and its words, from THE cut-points of its bands
    (:func:`scoring.interpret.level_zones`): recomputed from the stored value on the
    bands' metric (the stored level when that value is not stored)."""
    if scale.bands is None:
        return {}
    bands = scale.bands
    metric = bands.metric
    value = _num(scores, metric_column(scale, metric))
    level = level_at(bands, value) if value is not None else None
    stored = scores.get(f"{scale.id}.level")
    if level is None and value is None and isinstance(stored, str):
        level = stored
    zones = tuple(
        LevelZone(code, _typo(band.label.get(lang), lang), lo, hi)
        for (code, lo, hi), band in zip(level_zones(bands), bands.levels, strict=True)
    )
    out: dict[str, Any] = {"level_metric": metric, "level_value": value, "zones": zones}
    codes = [z.level for z in zones]
    if level in codes:
        k = codes.index(level)
        label, text = _band_words(bands, level, lang)
        out |= {"level": level, "level_label": label, "level_text": text}
        if len(codes) >= 3:
            out["level_position"] = "low" if k == 0 else "high" if k == len(codes) - 1 else "middle"
    return out


_FLAG_KEYS = ("longstring", "irv", "missing", "too_fast", "inconsistent", "flat_profile")


def _plain_flag(key: str, _: Translate) -> str:
    """The person's sentence for one raised validity flag: no number, no jargon."""
    texts = {
        "longstring": _(
            "Vous avez donné la même réponse à de nombreuses questions de suite. Ce"
            " n’est pas une erreur ; votre conseiller ou conseillère en parlera avec vous avant de"
            " lire ces résultats."
        ),
        "irv": _(
            "Vos réponses varient peu d’une question à l’autre : les différences entre les"
            " échelles sont à lire avec prudence."
        ),
        "missing": _(
            "Plusieurs questions sont restées sans réponse : certains résultats"
            " reposent sur peu de réponses."
        ),
        "too_fast": _(
            "Le questionnaire a été rempli très vite : certaines réponses ont pu être"
            " données sans le temps de la réflexion."
        ),
        "inconsistent": _(
            "Des questions de sens proche ont reçu des réponses différentes : c’est"
            " un point à éclaircir ensemble."
        ),
        "flat_profile": _(
            "Vos résultats sont très proches d’une échelle à l’autre : les"
            " comparaisons entre échelles sont donc fragiles."
        ),
    }
    return texts[key]


def _flags(
    instrument: Instrument, scores: Mapping[str, Any], lang: str, _: Translate
) -> tuple[Flag, ...]:
    """Validity flags raised at scoring, each explained in plain words: for the
    counsellor (with the index's value) and for the person (no number, no jargon)."""
    out: list[Flag] = []
    for key in _FLAG_KEYS:
        if scores.get(f"flag.{key}") is True:
            out.append(Flag(key, _counsellor_flag(key, scores, lang, _), _plain_flag(key, _)))
    return tuple(out)


def _counsellor_flag(key: str, scores: Mapping[str, Any], lang: str, _: Translate) -> str:
    """The counsellor's sentence for one raised validity flag."""
    if key == "longstring":
        n = _num(scores, "validity.longstring")
        return _(
            "%(n)s réponses identiques de suite : la personne a peut-être répondu sans"
            " lire chaque question. À évoquer avec elle avant d’interpréter."
        ) % {"n": fmt(n or 0, lang, 0)}
    if key == "irv":
        return _(
            "Réponses très peu variées d’une question à l’autre (écart-type de %(v)s) :"
            " les écarts entre échelles sont à lire avec prudence."
        ) % {"v": fmt(_num(scores, "validity.irv") or 0, lang, 2)}
    if key == "missing":
        share = _num(scores, "validity.missing_share") or 0
        return _(
            "%(p)s\u00a0%% des questions sont restées sans réponse : certains"
            " résultats reposent sur peu de réponses."
        ) % {"p": fmt(100 * share, lang, 0)}
    if key == "too_fast":
        seconds = _num(scores, "validity.seconds_per_item") or 0
        # French takes the singular below 2 ("0,8 seconde", "1,5 seconde").
        text = (
            _(
                "Temps de réponse très court : %(s)s seconde par question en moyenne."
                " Les réponses ont pu être données trop vite pour être bien pesées."
            )
            if round(seconds, 1) < 2
            else _(
                "Temps de réponse très court : %(s)s secondes par question en moyenne."
                " Les réponses ont pu être données trop vite pour être bien pesées."
            )
        )
        return text % {"s": fmt(seconds, lang, 1)}
    if key == "inconsistent":
        return _(
            "Réponses peu cohérentes entre des questions de sens proche (écart moyen"
            " de %(v)s points) : à vérifier avec la personne."
        ) % {"v": fmt(_num(scores, "validity.inconsistency") or 0, lang, 1)}
    return _(
        "Profil plat : les scores varient très peu d’une échelle à l’autre, ce qui"
        " rend les comparaisons entre échelles fragiles."
    )


def _limits(
    instrument: Instrument, normed: bool, norm_group: str | None, lang: str, _: Translate
) -> tuple[str, ...]:
    out = [
        _(
            "Un questionnaire décrit la manière dont une personne se voit aujourd’hui, à partir"
            " de ses propres réponses : il ne mesure ni une compétence ni une valeur"
            " professionnelle, et ses résultats peuvent évoluer."
        )
    ]
    if normed:
        out.append(
            _(
                "Les scores sont situés par rapport à un groupe de référence (%(group)s) ;"
                " l’intervalle de confiance à 90\u00a0%% indique la marge due à la précision"
                " limitée du questionnaire. Les bornes en rang percentile sont lues sur la"
                " courbe normale (approximation)."
            )
            % {"group": norm_group or ""}
        )
    elif instrument.profile is not None and instrument.profile.type == "values":
        out.append(
            _(
                "Les valeurs d’une personne sont comparées entre elles, jamais avec celles"
                " d’autres personnes."
            )
        )
    else:
        out.append(
            _(
                "Aucune norme n’est utilisée : les scores se lisent sur l’échelle des réponses"
                " et les uns par rapport aux autres, sans comparaison à un groupe."
            )
        )
    return tuple(out)


def _reliability(instrument: Instrument, lang: str, _: Translate) -> str | None:
    """The range of the scales' alphas, for the counsellor (None without any)."""
    reliabilities = [s.reliability for s in instrument.scales if s.reliability is not None]
    if not reliabilities:
        return None
    return _("Fidélité des échelles (coefficient alpha) : de %(lo)s à %(hi)s.") % {
        "lo": fmt(min(reliabilities), lang, 2),
        "hi": fmt(max(reliabilities), lang, 2),
    }


def _is_marked(scale: ScaleView) -> bool:
    """Outside the middle: in the lowest or highest of the scale's (three or more) levels,
    or, without levels, a T score outside the average zone (T 40-60).

    The printed level and the summary must agree: the bands of an instrument may be cut on
    percentiles (e.g. 30 and 70) rather than on T 40 and 60.
    """
    if scale.level_position is not None:
        return scale.level_position != "middle"
    return scale.t is not None and not AVERAGE_T[0] <= scale.t <= AVERAGE_T[1]


def _with_summary(view: ProfileView, lang: str, _: Translate) -> ProfileView:
    """The few most salient results in one paragraph."""
    parts: list[str] = []
    if view.riasec_scores:
        if view.riasec_code:
            letters = {letter: name for letter, name, _m in view.riasec_scores}
            names = [letters[c] for c in view.riasec_code if c in letters]
            parts.append(
                _("Code d’intérêts : %(code)s (dominantes : %(names)s).")
                % {"code": view.riasec_code, "names": ", ".join(names)}
            )
        elif view.riasec_note:
            parts.append(view.riasec_note)
    elif view.value_ranks:
        top = [r.name for r in view.value_ranks if r.rank_value <= 2.5]
        bottom = [r.name for r in view.value_ranks if r.rank_value >= len(view.value_ranks) - 0.5]
        if top:
            parts.append(_("Valeurs prioritaires : %(names)s.") % {"names": ", ".join(top)})
        if bottom:
            parts.append(_("Moins prioritaire : %(names)s.") % {"names": ", ".join(bottom)})
    elif view.normed:
        marked = [s for s in view.domains if s.t is not None and _is_marked(s)]
        marked.sort(key=lambda s: -abs((s.t or 50) - 50))
        if marked:
            items = [
                _("%(name)s (%(level)s, rang percentile %(p)s)")
                % {
                    "name": s.name,
                    "level": (s.level_label or "").lower()
                    or (_("élevé") if (s.t or 50) > 50 else _("bas")),
                    "p": s.percentile or "",
                }
                for s in marked[:3]
            ]
            sep = "\u202f; " if lang == "fr" else "; "
            parts.append(_("Résultats les plus marqués : %(items)s.") % {"items": sep.join(items)})
        else:
            parts.append(
                _("Tous les résultats se situent dans la zone moyenne du groupe de référence.")
            )
    else:
        present = [s for s in view.domains if s.mean is not None]
        if present:
            hi = max(present, key=lambda s: s.mean or 0)
            lo = min(present, key=lambda s: s.mean or 0)
            parts.append(
                _("Score le plus élevé : %(hi)s ; le plus bas : %(lo)s.")
                % {"hi": hi.name, "lo": lo.name}
            )
    missing = view.missing_scales
    if missing:
        parts.append(
            _("Non calculé faute de réponses : %(names)s.")
            % {"names": ", ".join(s.name for s in missing)}
        )
    return replace(view, summary=" ".join(parts))
