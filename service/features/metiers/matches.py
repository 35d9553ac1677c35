""" "Pistes à explorer": the fiches of the current ROME release ranked by congruence with a
scored RIASEC questionnaire (:mod:`scoring.congruence`, Brown & Gore's C index adapted to
the ROME's one- and two-letter codes), each with why it comes up: the letters it shares
with the person's code, its RIASEC code, and its macro-competences whose RIASEC majeur is
one of the person's strongest types.

Leads to explore with the counsellor, never a verdict: a flat or low profile gives no
ranking at all (status "flat" or "low") but an invitation to explore by domain.

The fiches, their macro-competences and the macro-competences' codes are read once per
imported release and kept in memory (keyed like the search index, on the database URL
and the newest release's id and import time); a ranking is then pure computation.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.model import Instrument
from scoring import congruence
from service.features.metiers.search import release_stamp
from service.features.metiers.service import Filters, fiche_tags, riasec_code
from service.models import RomeCompetence, RomeDomaine, RomeFiche, RomeFicheLink

#: Pistes shown per step of "show more".
PER_PAGE = 20
#: Macro-competences named per piste at most.
MAX_MACROS = 4
#: How many pistes the synthesis item carries.
SYNTHESIS_TOP = 10


@dataclass(frozen=True)
class _Fiche:
    code_rome: str
    label: str
    domaine_code: str
    domaine: str
    riasec: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class _Catalogue:
    fiches: tuple[_Fiche, ...]
    #: fiche -> the macro-competences it lists (directly or through its competences)
    macros_of: Mapping[str, tuple[int, ...]]
    #: macro-competence -> (label, RIASEC majeur)
    macros: Mapping[int, tuple[str, str | None]]
    #: RIASEC code -> the fiches that have it; code ROME -> fiche
    by_riasec: Mapping[str, tuple[str, ...]]
    by_rome: Mapping[str, _Fiche]


_LOCK = threading.Lock()
_CACHE: dict[str, tuple[object, _Catalogue]] = {}


def _catalogue(session: Session) -> _Catalogue:
    url = str(session.get_bind().engine.url)
    stamp = release_stamp(session)
    cached = _CACHE.get(url)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _LOCK:
        cached = _CACHE.get(url)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        built = _build(session)
        _CACHE[url] = (stamp, built)
        return built


def _build(session: Session) -> _Catalogue:
    rows = session.execute(
        select(RomeFiche, RomeDomaine.label)
        .join(RomeDomaine, RomeDomaine.code == RomeFiche.domaine_code)
        .where(RomeFiche.removed_in.is_(None))
        .order_by(RomeFiche.code_rome)
    ).all()
    fiches = tuple(
        _Fiche(
            f.code_rome,
            f.label,
            f.domaine_code,
            dlabel,
            riasec_code(f.riasec_majeur, f.riasec_mineur),
            tuple(fiche_tags(f)),
        )
        for f, dlabel in rows
    )
    macros = {
        code: (label, majeur)
        for code, label, majeur in session.execute(
            select(RomeCompetence.code_ogr, RomeCompetence.label, RomeCompetence.riasec_majeur)
            .where(RomeCompetence.is_macro.is_(True))
        )
    }  # fmt: skip
    found: dict[str, dict[int, None]] = defaultdict(dict)
    links = session.execute(
        select(
            RomeFicheLink.code_rome,
            RomeCompetence.code_ogr,
            RomeCompetence.is_macro,
            RomeCompetence.macro_code_ogr,
        ).join(RomeCompetence, RomeCompetence.code_ogr == RomeFicheLink.code_ogr)
    )
    for code_rome, code_ogr, is_macro, macro in links:
        target = code_ogr if is_macro else macro
        if target in macros:
            found[code_rome][target] = None
    by_riasec: dict[str, list[str]] = defaultdict(list)
    for f in fiches:
        if f.riasec:
            by_riasec[f.riasec].append(f.code_rome)
    return _Catalogue(
        fiches,
        {k: tuple(v) for k, v in found.items()},
        macros,
        {k: tuple(v) for k, v in by_riasec.items()},
        {f.code_rome: f for f in fiches},
    )


# --- the person ---------------------------------------------------------------------------


def person_scores(instrument: Instrument, scores: Mapping[str, Any]) -> dict[str, float | None]:
    """The six RIASEC scores of a score record, as the instrument's profile computes them
    (prorated sums: a type's mean answer × the total weight of its items)."""
    profile = instrument.profile
    if profile is None or profile.type != "riasec":
        raise ValueError(f"{instrument.id} has no RIASEC profile")
    out: dict[str, float | None] = {}
    for letter, sid in profile.scales:
        mean = scores.get(f"{sid}.mean")
        if isinstance(mean, bool) or not isinstance(mean, int | float) or mean != mean:
            out[letter] = None
        else:
            weight = sum(m.weight for m in instrument.scale(sid).members)
            out[letter] = float(mean) * weight
    return out


# --- the pistes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Shared:
    """A letter of the fiche's code that is among the person's strongest types."""

    letter: str
    name: str
    places: tuple[int, ...]  # its place(s) in the person's code (several when tied)
    same_place: bool  # the fiche has it at one of those places


@dataclass(frozen=True)
class Piste:
    code_rome: str
    label: str
    domaine: str
    riasec: str
    tags: tuple[str, ...]
    index: Fraction
    rank: int
    tied: bool
    shared: tuple[Shared, ...]
    macros: tuple[str, ...]  # the first MAX_MACROS labels
    more_macros: int  # how many more match

    @property
    def index_value(self) -> float:
        return float(self.index)


@dataclass(frozen=True)
class Pistes:
    #: "ok", "flat", "low", "missing" (a type without score) or "empty" (no ROME loaded)
    status: str
    person_code: str
    strongest: tuple[tuple[str, str], ...]  # (letter, name) of the person's top letters
    rows: tuple[Piste, ...]
    total: int  # how many fiches are ranked with these filters
    shown: int


def letter_names() -> dict[str, str]:
    return {
        "R": _("Réaliste"),
        "I": _("Investigateur"),
        "A": _("Artistique"),
        "S": _("Social"),
        "E": _("Entreprenant"),
        "C": _("Conventionnel"),
    }


def _selected(catalogue: _Catalogue, filters: Filters) -> list[_Fiche]:
    out = []
    for f in catalogue.fiches:
        if filters.domaine and f.domaine_code != filters.domaine:
            continue
        if (
            not filters.domaine
            and filters.grand_domaine
            and not f.code_rome.startswith(filters.grand_domaine)
        ):
            continue
        if filters.tags and any(t not in f.tags for t in filters.tags):
            continue
        out.append(f)
    return out


def pistes(
    session: Session,
    instrument: Instrument,
    scores: Mapping[str, Any],
    filters: Filters | None = None,
    *,
    limit: int = PER_PAGE,
) -> Pistes:
    """The first ``limit`` pistes of a RIASEC score record (all when ``limit`` is 0)."""
    filters = filters or Filters()
    values = person_scores(instrument, scores)
    profile = instrument.profile
    assert profile is not None
    status = congruence.profile_status(
        values,
        flat_max_differentiation=profile.flat_max_differentiation,
        low_max=profile.low_max,
    )
    names = letter_names()
    if status != "ok":
        return Pistes(status, "", (), (), 0, 0)
    who = congruence.person({k: float(v) for k, v in values.items() if v is not None})
    catalogue = _catalogue(session)
    if not catalogue.fiches:
        return Pistes("empty", who.code, (), (), 0, 0)
    strongest = tuple(
        (letter, names[letter])
        for group in who.groups
        for letter in group
        if letter in who.top
    )  # fmt: skip
    if filters.domaine or filters.grand_domaine or filters.tags:
        built: dict[str, list[str]] = defaultdict(list)
        for f in _selected(catalogue, filters):
            if f.riasec:
                built[f.riasec].append(f.code_rome)
        groups: Mapping[str, Sequence[str]] = built
    else:
        groups = catalogue.by_riasec
    page, total = congruence.rank_groups(who, groups, limit if limit > 0 else None)
    rows = tuple(_piste(catalogue.by_rome[r.key], r, who, catalogue, names) for r in page)
    return Pistes("ok", who.code, strongest, rows, total, len(rows))


def _piste(
    fiche: _Fiche,
    ranked: congruence.Ranked,
    who: congruence.Person,
    catalogue: _Catalogue,
    names: Mapping[str, str],
) -> Piste:
    shared = tuple(
        Shared(
            letter,
            names[letter],
            who.places(letter),
            position in who.places(letter),
        )
        for position, letter in enumerate(fiche.riasec, start=1)
        if letter in who.top
    )
    place = {letter: min(who.places(letter)) for letter in who.top}
    matching = sorted(
        (
            (place[majeur], label)
            for code in catalogue.macros_of.get(fiche.code_rome, ())
            for label, majeur in (catalogue.macros[code],)
            if majeur in who.top
        ),
    )
    labels = tuple(label for _p, label in matching)
    return Piste(
        code_rome=fiche.code_rome,
        label=fiche.label,
        domaine=fiche.domaine,
        riasec=fiche.riasec,
        tags=fiche.tags,
        index=ranked.index,
        rank=ranked.rank,
        tied=ranked.tied,
        shared=shared,
        macros=labels[:MAX_MACROS],
        more_macros=max(0, len(labels) - MAX_MACROS),
    )


def _ordinal(place: int) -> str:
    if place == 1:
        return str(_("1re"))
    if place == 2:
        return str(_("2e"))
    if place == 3:
        return str(_("3e"))
    if place == 4:
        return str(_("4e"))
    return str(_("5e")) if place == 5 else str(_("6e"))


def places_text(places: Sequence[int]) -> str:
    """ "1re lettre du code", "2e ou 3e lettre du code (à égalité)"..."""
    ordinals = [_ordinal(p) for p in places]
    if len(ordinals) == 1:
        return str(_("%(place)s lettre du code", place=ordinals[0]))
    return str(
        _(
            "%(places)s ou %(last)s lettre du code (à égalité)",
            places=", ".join(ordinals[:-1]),
            last=ordinals[-1],
        )
    )
