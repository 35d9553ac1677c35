"""The job database's pages, as plain values: browsing fiches (search and filters), one
fiche with its appellations and competences, the source line.

Reference data, not personal data; who may browse is :func:`service.access.can_browse_rome`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from service.dates import format_day
from service.features.metiers.importer import latest_release
from service.features.metiers.search import (
    MAX_QUERY,
    CompetenceHit,
    search_appellations,
    search_competences,
)
from service.models import (
    RomeAppellation,
    RomeCompetence,
    RomeDomaine,
    RomeFiche,
    RomeFicheLink,
    RomeGrandDomaine,
    RomeRelease,
)

CODE_ROME = re.compile(r"^[A-N][0-9]{4}$")
SAVOIR_ETRE = "Savoir-être professionnel"
#: The tags a fiche can be filtered by: key -> the condition on RomeFiche.
TRANSITION_ECO = ("Emploi Vert", "Emploi stratégique pour la Transition écologique")
#: How many fiches a page lists at most.
MAX_FICHES = 200


def tag_conditions() -> dict[str, ColumnElement[bool]]:
    return {
        "cadre": RomeFiche.emploi_cadre.is_(True),
        "reglemente": RomeFiche.emploi_reglemente.is_(True),
        "ecologique": RomeFiche.transition_eco.in_(TRANSITION_ECO),
        "numerique": RomeFiche.transition_num == "O",
        "demographique": RomeFiche.transition_demo == "O",
    }


def tag_labels() -> dict[str, str]:
    return {
        "cadre": _("Emploi cadre"),
        "reglemente": _("Métier réglementé"),
        "ecologique": _("Transition écologique"),
        "numerique": _("Transition numérique"),
        "demographique": _("Transition démographique"),
    }


def fiche_tags(fiche: RomeFiche) -> list[str]:
    """The keys of :func:`tag_labels` a fiche has."""
    tags = []
    if fiche.emploi_cadre:
        tags.append("cadre")
    if fiche.emploi_reglemente:
        tags.append("reglemente")
    if fiche.transition_eco in TRANSITION_ECO:
        tags.append("ecologique")
    if fiche.transition_num == "O":
        tags.append("numerique")
    if fiche.transition_demo == "O":
        tags.append("demographique")
    return tags


def riasec_code(majeur: str | None, mineur: str | None) -> str:
    return (majeur or "") + (mineur or "")


@dataclass(frozen=True)
class Filters:
    q: str = ""
    grand_domaine: str = ""
    domaine: str = ""
    tags: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.q or self.grand_domaine or self.domaine or self.tags)


@dataclass(frozen=True)
class FicheRow:
    code_rome: str
    label: str
    domaine: str
    riasec: str
    tags: list[str]
    #: The job titles that matched the search (empty without a search).
    matched: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Browse:
    rows: list[FicheRow]
    #: How many fiches matched (rows holds at most MAX_FICHES of them).
    total: int


def grands_domaines(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(
        select(RomeGrandDomaine.code, RomeGrandDomaine.label).order_by(RomeGrandDomaine.code)
    )
    return [(c, label) for c, label in rows]


def domaines(session: Session) -> list[tuple[str, str, str]]:
    rows = session.execute(
        select(RomeDomaine.code, RomeDomaine.label, RomeDomaine.grand_domaine_code).order_by(
            RomeDomaine.code
        )
    )
    return [(c, label, g) for c, label, g in rows]


def browse(session: Session, filters: Filters) -> Browse:
    """The fiches matching the filters: by relevance of their job titles when there is a
    search text, else by code."""
    conditions: list[ColumnElement[bool]] = [RomeFiche.removed_in.is_(None)]
    if filters.domaine:
        conditions.append(RomeFiche.domaine_code == filters.domaine)
    elif filters.grand_domaine:
        conditions.append(RomeFiche.code_rome.startswith(filters.grand_domaine))
    tags = tag_conditions()
    conditions.extend(tags[t] for t in filters.tags if t in tags)
    order: list[str] = []
    matched: dict[str, list[str]] = {}
    if filters.q:
        for hit in search_appellations(session, filters.q[:MAX_QUERY], limit=100):
            if hit.code_rome not in matched:
                order.append(hit.code_rome)
            matched.setdefault(hit.code_rome, []).append(hit.label)
        if not order:
            return Browse([], 0)
        conditions.append(RomeFiche.code_rome.in_(order))
    elif not filters.active:
        return Browse([], 0)
    found = session.execute(
        select(RomeFiche, RomeDomaine.label)
        .join(RomeDomaine, RomeDomaine.code == RomeFiche.domaine_code)
        .where(*conditions)
        .order_by(RomeFiche.code_rome)
    ).all()
    rows = [
        FicheRow(
            code_rome=f.code_rome,
            label=f.label,
            domaine=dlabel,
            riasec=riasec_code(f.riasec_majeur, f.riasec_mineur),
            tags=fiche_tags(f),
            matched=[m for m in matched.get(f.code_rome, []) if m != f.label][:3],
        )
        for f, dlabel in found
    ]
    if order:
        rank = {code: i for i, code in enumerate(order)}
        rows.sort(key=lambda r: rank[r.code_rome])
    return Browse(rows[:MAX_FICHES], len(rows))


#: How many competences a competence search lists, and how many fiches each names.
MAX_COMPETENCES = 20
FICHES_PER_COMPETENCE = 10


@dataclass(frozen=True)
class FicheRef:
    code_rome: str
    label: str


@dataclass(frozen=True)
class CompetenceRow:
    hit: CompetenceHit
    #: The current fiches that require it, by code (at most FICHES_PER_COMPETENCE).
    fiches: list[FicheRef]
    #: How many current fiches require it in all.
    total: int


def find_competences(session: Session, text: str) -> list[CompetenceRow]:
    """The competences best matching ``text`` (:func:`.search.search_competences`), each
    with the current fiches whose savoir-faire or savoir-être list it."""
    hits = search_competences(session, text[:MAX_QUERY], limit=MAX_COMPETENCES)
    if not hits:
        return []
    fiches: dict[int, list[FicheRef]] = {h.code_ogr: [] for h in hits}
    for code_ogr, code_rome, label in session.execute(
        select(RomeFicheLink.code_ogr, RomeFiche.code_rome, RomeFiche.label)
        .join(RomeFiche, RomeFiche.code_rome == RomeFicheLink.code_rome)
        .where(RomeFicheLink.code_ogr.in_(fiches), RomeFiche.removed_in.is_(None))
        .order_by(RomeFiche.code_rome)
    ):
        fiches[code_ogr].append(FicheRef(code_rome, label))
    return [
        CompetenceRow(h, fiches[h.code_ogr][:FICHES_PER_COMPETENCE], len(fiches[h.code_ogr]))
        for h in hits
    ]


@dataclass(frozen=True)
class Item:
    code_ogr: int
    label: str


@dataclass(frozen=True)
class MacroGroup:
    code_ogr: int
    label: str
    riasec: str
    competences: list[Item]


@dataclass(frozen=True)
class FicheDetail:
    fiche: RomeFiche
    domaine: str
    grand_domaine: str
    riasec: str
    tags: list[str]
    appellations: list[str]
    savoir_faire: list[MacroGroup]
    savoir_etre: list[MacroGroup]


def fiche_detail(session: Session, code_rome: str) -> FicheDetail | None:
    """One fiche (a removed one too: it says so), or None for an unknown code."""
    if not CODE_ROME.match(code_rome):
        return None
    fiche = session.get(RomeFiche, code_rome)
    if fiche is None:
        return None
    domaine = session.get(RomeDomaine, fiche.domaine_code)
    grand = session.get(RomeGrandDomaine, domaine.grand_domaine_code) if domaine else None
    appellations = list(
        session.scalars(
            select(RomeAppellation.label)
            .where(RomeAppellation.code_rome == code_rome, RomeAppellation.removed_in.is_(None))
            .order_by(RomeAppellation.search_key)
        )
    )
    linked = list(
        session.scalars(
            select(RomeCompetence)
            .join(RomeFicheLink, RomeFicheLink.code_ogr == RomeCompetence.code_ogr)
            .where(RomeFicheLink.code_rome == code_rome)
        )
    )
    return FicheDetail(
        fiche=fiche,
        domaine=domaine.label if domaine else "",
        grand_domaine=grand.label if grand else "",
        riasec=riasec_code(fiche.riasec_majeur, fiche.riasec_mineur),
        tags=fiche_tags(fiche),
        appellations=appellations,
        savoir_faire=_groups(session, [c for c in linked if c.category != SAVOIR_ETRE]),
        savoir_etre=_groups(session, [c for c in linked if c.category == SAVOIR_ETRE]),
    )


def _groups(session: Session, linked: Sequence[RomeCompetence]) -> list[MacroGroup]:
    """The competences grouped by macro-competence (a macro linked without any of its
    competences is a group of its own, as the fiche lists it)."""
    macros = {c.code_ogr: c for c in linked if c.is_macro}
    wanted = {c.macro_code_ogr for c in linked if c.macro_code_ogr is not None} - set(macros)
    if wanted:
        macros.update(
            (c.code_ogr, c)
            for c in session.scalars(
                select(RomeCompetence).where(RomeCompetence.code_ogr.in_(wanted))
            )
        )
    members: dict[int, list[Item]] = {code: [] for code in macros}
    loose: list[Item] = []
    for c in linked:
        if c.is_macro:
            continue
        if c.macro_code_ogr in members:
            members[c.macro_code_ogr].append(Item(c.code_ogr, c.label))
        else:
            loose.append(Item(c.code_ogr, c.label))
    groups = [
        MacroGroup(
            code,
            m.label,
            riasec_code(m.riasec_majeur, m.riasec_mineur),
            sorted(members[code], key=lambda i: i.label),
        )
        for code, m in macros.items()
    ]
    groups.sort(key=lambda g: g.label)
    if loose:
        groups.append(
            MacroGroup(0, _("Autres compétences"), "", sorted(loose, key=lambda i: i.label))
        )
    return groups


def source_line(release: RomeRelease | None) -> str:
    """ "Source : France Travail, ROME 4.0 (version 60, 18 septembre 2025)"."""
    if release is None:
        return str(_("Source : France Travail, ROME 4.0"))
    if release.published_on is None:
        return str(
            _("Source : France Travail, ROME 4.0 (version %(version)s)", version=release.version)
        )
    return str(
        _(
            "Source : France Travail, ROME 4.0 (version %(version)s, %(date)s)",
            version=release.version,
            date=format_day(release.published_on),
        )
    )


def current_source(session: Session) -> str:
    """The source line of the newest imported release (for any page showing ROME data)."""
    return source_line(latest_release(session))


def has_release(session: Session) -> bool:
    return session.scalar(select(RomeRelease.id).limit(1)) is not None
