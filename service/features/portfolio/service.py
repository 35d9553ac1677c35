"""The competence portfolio of a bilan and its gap analysis (business logic, issue 13).

Routes check access with :mod:`service.access` (:func:`~service.access.can_use_portfolio`,
:func:`~service.access.can_choose_gap_targets`), call one function here, commit. Functions
take the session and plain values, never the request, and never commit. Every refused
change raises :class:`PortfolioError` (a French message naming the field, a 4xx status)
before anything is written.

Portfolio
    Competences (:class:`~service.models.PortfolioEntry`): a ROME competence picked from
    the search (``code_ogr``; its label copied from the ROME) or a free text; each with a
    self-rating on the scale :data:`RATINGS` and a source from :data:`SOURCES`. Réalisations:
    title, context, action, result, an optional period, and the competences they show.
    Every change is written to :class:`~service.models.PortfolioChange` with who, when and
    the object after the change (before, for a deletion): the versions of the portfolio.

Gap analysis
    For a target fiche (:class:`~service.models.GapTarget`), the competences the fiche
    requires (its links of block 5: savoir-faire, rubric 1; savoir-être, rubric 2) are
    compared with the portfolio's ROME competences, by code: **held** (a rating of
    :data:`HELD_FROM` or more), **to develop** (a lower rating), **missing** (not in the
    portfolio). A macro-competence linked together with some of its competences is the
    heading of their group; linked alone, it is a required item itself (the savoir-être of
    ROME 4.0 are macro-competences). The share covered counts the held items over the
    required ones.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reports import charts
from reports import synthesis as documents
from service.dates import add_months, paris_date, utcnow
from service.features.metiers.search import release_stamp
from service.models import (
    ActionItem,
    Bilan,
    GapTarget,
    PortfolioChange,
    PortfolioEntry,
    Realisation,
    RealisationLink,
    RomeAppellation,
    RomeCompetence,
    RomeFiche,
    RomeFicheLink,
    StaffUser,
    SynthesisItem,
)
from service.text import fold

#: The self-rating scale (documented in docs/metiers.md, « Portefeuille de compétences »).
RATINGS = {
    1: _l("1 — notions"),
    2: _l("2 — pratique accompagnée"),
    3: _l("3 — autonome"),
    4: _l("4 — expert, je peux transmettre"),
}
SOURCES = {
    "emploi": _l("Emploi"),
    "formation": _l("Formation"),
    "benevolat": _l("Bénévolat"),
    "vie_personnelle": _l("Vie personnelle"),
}
#: From this rating a required competence counts as held; below, as to develop.
HELD_FROM = 3

LABEL_MAX = 300
TITLE_MAX = 200
TEXT_MAX = 2_000
PERIOD_MAX = 100
MAX_ENTRIES = 300
MAX_TARGETS = 10

SAVOIR_FAIRE = "Savoir-faire"
SAVOIR_ETRE = "Savoir-être professionnel"
#: The fiche's block of competences in ROME 4.0 and its rubrics (docs/metiers.md).
COMPETENCE_BLOC = 5
KIND_OF_RUBRIQUE = {"1": "savoir_faire", "2": "savoir_etre"}


class PortfolioError(ValueError):
    """A change refused; the message says why, naming the field."""

    status = 422


class PortfolioConflict(PortfolioError):
    status = 409


@dataclass(frozen=True)
class Actor:
    """Who changes the portfolio: ``kind`` "beneficiary" or "staff", and the id."""

    kind: str
    id: int


# --- helpers ------------------------------------------------------------------------------


def _clean(text: object) -> str:
    if not isinstance(text, str):
        return ""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _text(value: object, name: str, maximum: int, *, required: bool) -> str:
    text = _clean(value)
    if required and not text:
        raise PortfolioError(_("« %(field)s » est obligatoire.", field=name))
    if len(text) > maximum:
        raise PortfolioError(
            _(
                "« %(field)s » dépasse %(max)s caractères : raccourcissez-le.",
                field=name,
                max=maximum,
            )
        )
    return text


def _rating(value: object) -> int:
    raw = value if isinstance(value, str) else ""
    if raw.strip() not in {"1", "2", "3", "4"}:
        raise PortfolioError(_("« Niveau » : choisissez un niveau de 1 à 4."))
    return int(raw)


def _source(value: object) -> str:
    if not isinstance(value, str) or value not in SOURCES:
        raise PortfolioError(
            _("« Source » : choisissez emploi, formation, bénévolat ou vie personnelle.")
        )
    return value


def _entry_data(entry: PortfolioEntry) -> dict[str, object]:
    return {
        "id": entry.id,
        "code_ogr": entry.code_ogr,
        "libelle": entry.label,
        "niveau": entry.rating,
        "source": entry.source,
    }


def _realisation_data(r: Realisation, entry_ids: Iterable[int]) -> dict[str, object]:
    return {
        "id": r.id,
        "titre": r.title,
        "contexte": r.context,
        "action": r.action,
        "resultat": r.result,
        "periode": r.period,
        "competences": sorted(entry_ids),
    }


def _log(
    session: Session,
    bilan: Bilan,
    actor: Actor,
    action: str,
    object_id: int | None,
    data: dict[str, object],
) -> None:
    session.add(
        PortfolioChange(
            bilan_id=bilan.id,
            at=utcnow(),
            actor_kind=actor.kind,
            actor_id=actor.id,
            action=action,
            object_id=object_id,
            snapshot=json.dumps(data, ensure_ascii=False, sort_keys=True),
        )
    )


# --- competences --------------------------------------------------------------------------


def entries(session: Session, bilan: Bilan) -> list[PortfolioEntry]:
    """The bilan's competences by label (sorted here: the label is encrypted at rest, so
    the database cannot order it), accents and case ignored."""
    found = session.scalars(select(PortfolioEntry).where(PortfolioEntry.bilan_id == bilan.id))
    return sorted(found, key=lambda e: (fold(e.label), e.id))


def entry(session: Session, bilan: Bilan, entry_id: int) -> PortfolioEntry:
    found = session.get(PortfolioEntry, entry_id)
    if found is None or found.bilan_id != bilan.id:
        raise LookupError(entry_id)
    return found


def pickable_competence(session: Session, code_ogr: int) -> RomeCompetence | None:
    """A ROME savoir-faire or savoir-être of the current release, or None."""
    found = session.get(RomeCompetence, code_ogr)
    if found is None or found.removed_in is not None:
        return None
    return found if found.category in (SAVOIR_FAIRE, SAVOIR_ETRE) else None


def add_entry(
    session: Session,
    bilan: Bilan,
    actor: Actor,
    *,
    code_ogr: int | None,
    label: object,
    rating: object,
    source: object,
) -> PortfolioEntry:
    """Add a ROME competence (``code_ogr``) or a free-text one (``label``)."""
    if code_ogr is not None:
        competence = pickable_competence(session, code_ogr)
        if competence is None:
            raise PortfolioError(
                _(
                    "« Compétence » : cette compétence n’existe pas dans le ROME."
                    " Cherchez-la à nouveau."
                )
            )
        text = competence.label[:LABEL_MAX]
        already = session.scalar(
            select(PortfolioEntry.id).where(
                PortfolioEntry.bilan_id == bilan.id, PortfolioEntry.code_ogr == code_ogr
            )
        )
        if already is not None:
            raise PortfolioConflict(
                _("« %(label)s » est déjà dans le portefeuille : modifiez son niveau.", label=text)
            )
    else:
        text = _text(label, _("Compétence"), LABEL_MAX, required=True)
    level, origin = _rating(rating), _source(source)
    count = len(entries(session, bilan))
    if count >= MAX_ENTRIES:
        raise PortfolioConflict(
            _("Le portefeuille a déjà %(n)s compétences, le maximum.", n=MAX_ENTRIES)
        )
    now = utcnow()
    new = PortfolioEntry(
        bilan_id=bilan.id,
        code_ogr=code_ogr,
        label=text,
        rating=level,
        source=origin,
        created_at=now,
        updated_at=now,
    )
    session.add(new)
    session.flush()
    _log(session, bilan, actor, "add_entry", new.id, _entry_data(new))
    return new


def update_entry(
    session: Session,
    bilan: Bilan,
    actor: Actor,
    entry_id: int,
    *,
    label: object,
    rating: object,
    source: object,
) -> PortfolioEntry:
    """Change the level and source (and the wording of a free-text competence)."""
    found = entry(session, bilan, entry_id)
    text = found.label
    if found.code_ogr is None:
        text = _text(label, _("Compétence"), LABEL_MAX, required=True)
    level, origin = _rating(rating), _source(source)
    if (text, level, origin) == (found.label, found.rating, found.source):
        return found
    found.label, found.rating, found.source = text, level, origin
    found.updated_at = utcnow()
    session.flush()
    _log(session, bilan, actor, "edit_entry", found.id, _entry_data(found))
    return found


def delete_entry(session: Session, bilan: Bilan, actor: Actor, entry_id: int) -> None:
    found = entry(session, bilan, entry_id)
    _log(session, bilan, actor, "delete_entry", found.id, _entry_data(found))
    session.delete(found)
    session.flush()


# --- réalisations -------------------------------------------------------------------------


@dataclass(frozen=True)
class RealisationView:
    realisation: Realisation
    entries: list[PortfolioEntry]


def realisations(session: Session, bilan: Bilan) -> list[RealisationView]:
    rows = list(
        session.scalars(
            select(Realisation)
            .where(Realisation.bilan_id == bilan.id)
            .order_by(Realisation.created_at, Realisation.id)
        )
    )
    by_id = {e.id: e for e in entries(session, bilan)}
    links: dict[int, list[PortfolioEntry]] = {r.id: [] for r in rows}
    if rows:
        for rid, eid in session.execute(
            select(RealisationLink.realisation_id, RealisationLink.entry_id).where(
                RealisationLink.realisation_id.in_(list(links))
            )
        ):
            if eid in by_id:
                links[rid].append(by_id[eid])
    return [RealisationView(r, sorted(links[r.id], key=lambda e: e.label)) for r in rows]


def add_realisation(
    session: Session,
    bilan: Bilan,
    actor: Actor,
    *,
    title: object,
    context: object,
    action: object,
    result: object,
    period: object,
    entry_ids: Sequence[int],
) -> Realisation:
    """A réalisation and the competences of the portfolio it shows."""
    values = {
        "title": _text(title, _("Titre"), TITLE_MAX, required=True),
        "context": _text(context, _("Contexte"), TEXT_MAX, required=True),
        "action": _text(action, _("Action"), TEXT_MAX, required=True),
        "result": _text(result, _("Résultat"), TEXT_MAX, required=True),
    }
    when = _text(period, _("Période"), PERIOD_MAX, required=False) or None
    own = {e.id for e in entries(session, bilan)}
    chosen = set(entry_ids)
    if chosen - own:
        raise PortfolioError(
            _("« Compétences montrées » : choisissez des compétences de ce portefeuille.")
        )
    new = Realisation(bilan_id=bilan.id, period=when, created_at=utcnow(), **values)
    session.add(new)
    session.flush()
    session.add_all(RealisationLink(realisation_id=new.id, entry_id=i) for i in sorted(chosen))
    session.flush()
    _log(session, bilan, actor, "add_realisation", new.id, _realisation_data(new, chosen))
    return new


def delete_realisation(session: Session, bilan: Bilan, actor: Actor, realisation_id: int) -> None:
    found = session.get(Realisation, realisation_id)
    if found is None or found.bilan_id != bilan.id:
        raise LookupError(realisation_id)
    linked = session.scalars(
        select(RealisationLink.entry_id).where(RealisationLink.realisation_id == found.id)
    )
    _log(session, bilan, actor, "delete_realisation", found.id, _realisation_data(found, linked))
    session.delete(found)
    session.flush()


# --- history ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeRow:
    at: dt.datetime
    who: str
    action: str
    what: str


ACTION_LABELS = {
    "add_entry": _l("compétence ajoutée"),
    "edit_entry": _l("compétence modifiée"),
    "delete_entry": _l("compétence retirée"),
    "add_realisation": _l("réalisation ajoutée"),
    "delete_realisation": _l("réalisation retirée"),
    "add_target": _l("métier cible choisi"),
    "delete_target": _l("métier cible retiré"),
}


def history(session: Session, bilan: Bilan) -> list[ChangeRow]:
    """The changes, newest first, with who made them (the person or a staff member's name)."""
    rows = list(
        session.scalars(
            select(PortfolioChange)
            .where(PortfolioChange.bilan_id == bilan.id)
            .order_by(PortfolioChange.at.desc(), PortfolioChange.id.desc())
        )
    )
    staff_ids = {r.actor_id for r in rows if r.actor_kind == "staff" and r.actor_id}
    names = (
        {
            s.id: s.name
            for s in session.scalars(select(StaffUser).where(StaffUser.id.in_(staff_ids)))
        }
        if staff_ids
        else {}
    )
    out = []
    for r in rows:
        who = (
            bilan.beneficiary.display_name
            if r.actor_kind == "beneficiary"
            else names.get(r.actor_id or 0, _("un membre de l’équipe"))
        )
        data = json.loads(r.snapshot or "{}")
        what = str(data.get("libelle") or data.get("titre") or data.get("fiche") or "")
        if "niveau" in data:
            level = RATINGS.get(int(data["niveau"]), "")
            what = f"{what} ({level}, {SOURCES.get(str(data.get('source')), '')})"
        out.append(ChangeRow(r.at, who, str(ACTION_LABELS.get(r.action, r.action)), what))
    return out


# --- gap targets ---------------------------------------------------------------------------


def targets(session: Session, bilan: Bilan) -> list[GapTarget]:
    return list(
        session.scalars(
            select(GapTarget).where(GapTarget.bilan_id == bilan.id).order_by(GapTarget.id)
        )
    )


def target(session: Session, bilan: Bilan, target_id: int) -> GapTarget:
    found = session.get(GapTarget, target_id)
    if found is None or found.bilan_id != bilan.id:
        raise LookupError(target_id)
    return found


def add_target(
    session: Session, bilan: Bilan, actor: Actor, appellation_code_ogr: int
) -> GapTarget:
    """Choose the fiche of a job title (an appellation picked from the search)."""
    appellation = session.get(RomeAppellation, appellation_code_ogr)
    fiche = session.get(RomeFiche, appellation.code_rome) if appellation is not None else None
    if appellation is None or fiche is None or appellation.removed_in is not None:
        raise PortfolioError(
            _("« Métier cible » : ce métier n’existe pas dans le ROME. Cherchez-le à nouveau.")
        )
    current = targets(session, bilan)
    if any(t.code_rome == fiche.code_rome for t in current):
        raise PortfolioConflict(
            _("La fiche « %(label)s » est déjà une cible de l’analyse.", label=fiche.label)
        )
    if len(current) >= MAX_TARGETS:
        raise PortfolioConflict(
            _("L’analyse a déjà %(n)s métiers cibles, le maximum.", n=MAX_TARGETS)
        )
    new = GapTarget(
        bilan_id=bilan.id,
        code_rome=fiche.code_rome,
        label=fiche.label,
        appellation=appellation.label,
        author_id=actor.id if actor.kind == "staff" else None,
        created_at=utcnow(),
    )
    session.add(new)
    session.flush()
    _log(
        session,
        bilan,
        actor,
        "add_target",
        new.id,
        {"code_rome": new.code_rome, "fiche": new.label, "appellation": new.appellation},
    )
    return new


def delete_target(session: Session, bilan: Bilan, actor: Actor, target_id: int) -> None:
    """Drop a target (its actions in the plan stay, unlinked). Refused while its analysis
    is proposed for the synthesis: the proposal is withdrawn first, and a decided one
    stays as the person decided it."""
    found = target(session, bilan, target_id)
    proposed = session.scalar(
        select(SynthesisItem.id).where(SynthesisItem.gap_target_id == found.id).limit(1)
    )
    if proposed is not None:
        raise PortfolioConflict(
            _(
                "L’analyse de « %(label)s » est proposée pour la synthèse : retirez d’abord la"
                " proposition (page des résultats de la synthèse).",
                label=found.label,
            )
        )
    _log(
        session,
        bilan,
        actor,
        "delete_target",
        found.id,
        {"code_rome": found.code_rome, "fiche": found.label, "appellation": found.appellation},
    )
    session.delete(found)
    session.flush()


# --- the gap analysis ----------------------------------------------------------------------


@dataclass(frozen=True)
class GapItem:
    code_ogr: int
    label: str
    status: str  # held | develop | missing
    rating: int | None
    #: What a newer ROME release changed about this competence (empty: nothing).
    change: str = ""


@dataclass(frozen=True)
class GapGroup:
    #: The macro-competence heading the group ("": macro-competences required by
    #: themselves, such as the savoir-être, listed without a heading).
    macro_label: str
    items: tuple[GapItem, ...]


@dataclass(frozen=True)
class GapSection:
    kind: str  # savoir_faire | savoir_etre
    groups: tuple[GapGroup, ...]

    @property
    def items(self) -> list[GapItem]:
        return [i for g in self.groups for i in g.items]

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)


@dataclass(frozen=True)
class GapAnalysis:
    target: GapTarget
    fiche_label: str
    #: What changed about the fiche since it was chosen (removed, renamed), in words.
    changes: tuple[str, ...]
    sections: tuple[GapSection, ...]
    #: code_ogr of the competences already turned into an action for this target.
    planned: frozenset[int] = field(default_factory=frozenset)

    @property
    def required(self) -> int:
        return sum(len(s.items) for s in self.sections)

    @property
    def held(self) -> int:
        return sum(s.count("held") for s in self.sections)

    @property
    def share(self) -> float | None:
        """Held ÷ required (None when the fiche requires nothing)."""
        return self.held / self.required if self.required else None


def _status(rating: int | None) -> str:
    if rating is None:
        return "missing"
    return "held" if rating >= HELD_FROM else "develop"


#: The columns of a competence the gap analysis reads (rows, not ORM objects: faster).
_COMPETENCE_COLUMNS = (
    RomeCompetence.code_ogr,
    RomeCompetence.label,
    RomeCompetence.is_macro,
    RomeCompetence.macro_code_ogr,
    RomeCompetence.removed_in,
    RomeCompetence.previous_label,
    RomeCompetence.changed_in,
)


def _competence_change(c: Any) -> str:
    """What a newer release changed about a competence (a row with removed_in,
    previous_label and changed_in), in words; empty when nothing."""
    if c.removed_in is not None:
        return str(_("retirée du ROME à la version %(v)s", v=c.removed_in))
    if c.previous_label:
        return str(
            _("intitulé avant la version %(v)s : %(label)s", v=c.changed_in, label=c.previous_label)
        )
    return ""


@dataclass(frozen=True)
class _Required:
    """A competence a fiche requires; texts in French (the ROME's), nothing translated:
    cached for every reader."""

    kind: str  # savoir_faire | savoir_etre
    heading: str  # the macro-competence's label ("" when unknown)
    is_macro: bool  # a macro-competence required by itself (no heading above it)
    code_ogr: int
    label: str
    removed_in: int | None
    previous_label: str | None
    changed_in: int | None


_REQUIRED_LOCK = threading.Lock()
_REQUIRED: dict[tuple[str, object, str], tuple[_Required, ...]] = {}
_REQUIRED_MAX = 4_000


def _requirements(session: Session, code_rome: str) -> tuple[_Required, ...]:
    """The competences a fiche requires (reference data), cached per database and ROME
    release (the newest release's id and import time: an import rebuilds it)."""
    hashable = (str(session.get_bind().engine.url), release_stamp(session), code_rome)
    found = _REQUIRED.get(hashable)
    if found is None:
        found = _read_requirements(session, code_rome)
        with _REQUIRED_LOCK:
            if len(_REQUIRED) >= _REQUIRED_MAX:
                _REQUIRED.clear()
            _REQUIRED[hashable] = found
    return found


def clear_requirements_cache() -> None:
    """Forget the cached requirements. Only the ROME import writes the fiches and it
    changes the release stamp the cache is keyed on; a caller that edits ROME rows
    directly (a test) clears it."""
    with _REQUIRED_LOCK:
        _REQUIRED.clear()


def _read_requirements(session: Session, code_rome: str) -> tuple[_Required, ...]:
    links = session.execute(
        select(RomeFicheLink.code_ogr, RomeFicheLink.rubrique).where(
            RomeFicheLink.code_rome == code_rome, RomeFicheLink.bloc == COMPETENCE_BLOC
        )
    ).all()
    kinds = {code: KIND_OF_RUBRIQUE[r] for code, r in links if r in KIND_OF_RUBRIQUE}
    if not kinds:
        return ()
    rows = {
        c.code_ogr: c
        for c in session.execute(
            select(*_COMPETENCE_COLUMNS).where(RomeCompetence.code_ogr.in_(list(kinds)))
        )
    }
    macro_ids = {c.macro_code_ogr for c in rows.values() if c.macro_code_ogr is not None}
    missing_macros = macro_ids - set(rows)
    macros = dict(rows)
    if missing_macros:
        macros.update(
            (c.code_ogr, c)
            for c in session.execute(
                select(*_COMPETENCE_COLUMNS).where(
                    RomeCompetence.code_ogr.in_(list(missing_macros))
                )
            )
        )
    headed = {c.macro_code_ogr for c in rows.values() if not c.is_macro}
    out = []
    for code, c in rows.items():
        if c.is_macro and code in headed:
            continue  # a macro heading its linked competences is not an item itself
        if c.is_macro:
            heading = c.label
        else:
            macro = macros.get(c.macro_code_ogr or 0)
            heading = macro.label if macro is not None else ""
        out.append(
            _Required(
                kinds[code],
                heading,
                bool(c.is_macro),
                code,
                c.label,
                c.removed_in,
                c.previous_label,
                c.changed_in,
            )
        )
    return tuple(out)


def gap_analysis(
    session: Session, target: GapTarget, held: dict[int, int] | None = None
) -> GapAnalysis:
    """The gap analysis of one target (``held``: code_ogr -> best rating in the portfolio;
    read from the target's bilan when not given)."""
    if held is None:
        held = ratings_by_code(session, target.bilan_id)
    fiche = session.get(RomeFiche, target.code_rome)
    changes: list[str] = []
    if fiche is None:
        changes.append(
            _("La fiche %(code)s n’est plus dans la base de métiers.", code=target.code_rome)
        )
    else:
        if fiche.removed_in is not None:
            changes.append(
                _(
                    "Cette fiche n’existe plus depuis la version %(v)s du ROME : l’analyse"
                    " porte sur ses dernières compétences connues.",
                    v=fiche.removed_in,
                )
            )
        if fiche.label != target.label:
            changes.append(
                _(
                    "La fiche a été renommée : « %(old)s » est devenue « %(new)s ».",
                    old=target.label,
                    new=fiche.label,
                )
            )
    sections = []
    required = _requirements(session, target.code_rome)
    others = str(_("Autres compétences"))
    for kind in ("savoir_faire", "savoir_etre"):
        groups: dict[str, list[GapItem]] = {}
        for r in required:
            if r.kind == kind:
                rating = held.get(r.code_ogr)
                heading = "" if r.is_macro else (r.heading or others)
                groups.setdefault(heading, []).append(
                    GapItem(r.code_ogr, r.label, _status(rating), rating, _competence_change(r))
                )
        sections.append(
            GapSection(
                kind,
                tuple(
                    GapGroup(h, tuple(sorted(items, key=lambda i: i.label)))
                    for h, items in sorted(groups.items())
                ),
            )
        )
    planned = frozenset(
        code
        for code in session.scalars(
            select(ActionItem.gap_code_ogr).where(ActionItem.gap_target_id == target.id)
        )
        if code is not None
    )
    return GapAnalysis(
        target=target,
        fiche_label=fiche.label if fiche is not None else target.label,
        changes=tuple(str(c) for c in changes),
        sections=tuple(sections),
        planned=planned,
    )


def ratings_by_code(session: Session, bilan_id: int) -> dict[int, int]:
    """code_ogr -> the best self-rating of the portfolio's ROME competences."""
    best: dict[int, int] = {}
    for code, rating in session.execute(
        select(PortfolioEntry.code_ogr, PortfolioEntry.rating).where(
            PortfolioEntry.bilan_id == bilan_id, PortfolioEntry.code_ogr.is_not(None)
        )
    ):
        if code is not None:
            best[code] = max(rating, best.get(code, 0))
    return best


def analyses(session: Session, bilan: Bilan) -> list[GapAnalysis]:
    held = ratings_by_code(session, bilan.id)
    return [gap_analysis(session, t, held) for t in targets(session, bilan)]


def entry_changes(session: Session, rows: Sequence[PortfolioEntry]) -> dict[int, str]:
    """entry id -> what a newer ROME release changed about its competence."""
    codes = {e.code_ogr for e in rows if e.code_ogr is not None}
    if not codes:
        return {}
    found = {
        c.code_ogr: c
        for c in session.scalars(select(RomeCompetence).where(RomeCompetence.code_ogr.in_(codes)))
    }
    out = {}
    for e in rows:
        c = found.get(e.code_ogr or 0)
        if e.code_ogr is not None and c is None:
            out[e.id] = str(_("n’est plus dans la base de métiers"))
        elif c is not None and (change := _competence_change(c)):
            out[e.id] = change
    return out


def add_gap_action(session: Session, bilan: Bilan, target_id: int, code_ogr: int) -> ActionItem:
    """Turn a missing or to-develop competence of a target into an action of the plan
    (a training action by default), linked back to the target and the competence."""
    found = target(session, bilan, target_id)
    analysis = gap_analysis(session, found)
    item = next((i for s in analysis.sections for i in s.items if i.code_ogr == code_ogr), None)
    if item is None or item.status == "held":
        raise PortfolioError(
            _(
                "« Compétence » : choisissez une compétence manquante ou à développer"
                " de cette fiche."
            )
        )
    if code_ogr in analysis.planned:
        raise PortfolioConflict(
            _("« %(label)s » est déjà dans le plan d’action pour cette cible.", label=item.label)
        )
    text = _(
        "Se former ou s’exercer : %(competence)s (pour le métier « %(fiche)s »)",
        competence=item.label,
        fiche=analysis.fiche_label,
    )
    action = _append_action(session, bilan, text[:ACTION_MAX])
    action.gap_target_id = found.id
    action.gap_code_ogr = code_ogr
    session.flush()
    return action


#: The longest action of the plan (``synthesis.service.ACTION_MAX``).
ACTION_MAX = 2_000
#: The follow-up date defaults to this many months after the end (the synthesis's rule).
FOLLOWUP_MONTHS = 6


def _append_action(session: Session, bilan: Bilan, text: str) -> ActionItem:
    """An action at the end of the plan, owned by the person, to do; the first edit of
    the plan sets the follow-up date six months after the end. The rule of
    ``synthesis.service.add_action``, written here because the synthesis imports this
    feature (to print the gap analysis) and the features form no import circle."""
    last = session.scalar(
        select(func.max(ActionItem.position)).where(ActionItem.bilan_id == bilan.id)
    )
    action = ActionItem(
        bilan_id=bilan.id,
        position=(last or 0) + 1,
        text=text,
        owner="bénéficiaire",
        status="a_faire",
        created_at=utcnow(),
    )
    session.add(action)
    if bilan.followup_date is None:
        end = paris_date(bilan.ended_at) if bilan.ended_at is not None else bilan.planned_end
        bilan.followup_date = add_months(end, FOLLOWUP_MONTHS) if end is not None else None
    return action


# --- export -------------------------------------------------------------------------------


def to_data(session: Session, bilan: Bilan) -> dict[str, object]:
    """The whole portfolio as plain data (``portefeuille.json`` of the person's ZIP)."""
    rows = entries(session, bilan)
    return {
        "bilan": bilan.id,
        "echelle": {str(k): str(v) for k, v in RATINGS.items()},
        "competences": [{**_entry_data(e), "source_libelle": str(SOURCES[e.source])} for e in rows],
        "realisations": [
            _realisation_data(v.realisation, (e.id for e in v.entries))
            for v in realisations(session, bilan)
        ],
        "analyses": [
            {
                "code_rome": a.target.code_rome,
                "fiche": a.fiche_label,
                "changements": list(a.changes),
                "competences_requises": a.required,
                "competences_maitrisees": a.held,
                "part_couverte": round(a.share, 4) if a.share is not None else None,
                "detail": [
                    {
                        "type": s.kind,
                        "macro": g.macro_label,
                        "code_ogr": i.code_ogr,
                        "libelle": i.label,
                        "etat": i.status,
                        "niveau": i.rating,
                    }
                    for s in a.sections
                    for g in s.groups
                    for i in g.items
                ],
            }
            for a in analyses(session, bilan)
        ],
    }


# --- for the document de synthèse ---------------------------------------------------------

PORTFOLIO_ELEMENT = "portfolio"
GAP_PREFIX = "gap:"


def result_groups(session: Session, bilan: Bilan) -> dict[str, documents.ResultGroup]:
    """What the portfolio can propose for the synthesis, by element: ``"portfolio"`` (the
    competences with their level and source, and the réalisations) when it holds something,
    and ``"gap:<target id>"`` for the gap analysis of each target. Printed under the
    section « compétences et aptitudes au regard du projet », once the person approves."""
    out: dict[str, documents.ResultGroup] = {}
    rows = entries(session, bilan)
    shown = realisations(session, bilan)
    if rows or shown:
        elements = [
            documents.ResultElement(
                element=PORTFOLIO_ELEMENT,
                kind="scales",
                title=_("Compétences"),
                table=charts.DataTable(
                    _("Compétences du portefeuille, avec le niveau que la personne s’attribue"),
                    (_("Compétence"), _("Niveau"), _("Source")),
                    tuple((e.label, str(RATINGS[e.rating]), str(SOURCES[e.source])) for e in rows),
                ),
            )
        ]
        for v in shown:
            r = v.realisation
            parts = [
                _("Contexte : %(text)s", text=r.context),
                _("Action : %(text)s", text=r.action),
                _("Résultat : %(text)s", text=r.result),
            ]
            if v.entries:
                parts.append(
                    _(
                        "Compétences montrées : %(list)s",
                        list=" ; ".join(e.label for e in v.entries),
                    )
                )
            title = f"{r.title} ({r.period})" if r.period else r.title
            elements.append(
                documents.ResultElement(
                    element=PORTFOLIO_ELEMENT,
                    kind="summary",
                    title=_("Réalisation : %(title)s", title=title),
                    text="\n".join(str(p) for p in parts),
                )
            )
        out[PORTFOLIO_ELEMENT] = documents.ResultGroup(
            questionnaire=_("Portefeuille de compétences"),
            instrument_key=PORTFOLIO_ELEMENT,
            completed_on=None,
            elements=tuple(elements),
        )
    status_labels = {
        "held": _("maîtrisée"),
        "develop": _("à développer"),
        "missing": _("manquante"),
    }
    kind_labels = {
        "savoir_faire": _("Savoir-faire"),
        "savoir_etre": _("Savoir-être professionnels"),
    }
    for a in analyses(session, bilan):
        key = f"{GAP_PREFIX}{a.target.id}"
        share = (
            _(
                "Part couverte : %(share)s (compétences maîtrisées : %(held)s sur %(required)s"
                " demandées).",
                share=format_percent(a.share, "#,##0 %"),
                held=a.held,
                required=a.required,
            )
            if a.share is not None
            else _("La fiche ne demande aucune compétence dans cette version du ROME.")
        )
        text = "\n".join([str(share), *a.changes])
        elements = [
            documents.ResultElement(element=key, kind="summary", title=_("Synthèse"), text=text)
        ]
        for s in a.sections:
            if not s.items:
                continue
            elements.append(
                documents.ResultElement(
                    element=key,
                    kind="scales",
                    title=str(kind_labels[s.kind]),
                    table=charts.DataTable(
                        _(
                            "%(kind)s demandés par la fiche %(code)s",
                            kind=kind_labels[s.kind],
                            code=a.target.code_rome,
                        ),
                        (_("Macro-compétence"), _("Compétence"), _("État")),
                        tuple(
                            (g.macro_label, i.label, str(status_labels[i.status]))
                            for g in s.groups
                            for i in g.items
                        ),
                    ),
                )
            )
        out[key] = documents.ResultGroup(
            questionnaire=_(
                "Analyse des écarts : %(fiche)s (%(code)s)",
                fiche=a.fiche_label,
                code=a.target.code_rome,
            ),
            instrument_key=key,
            completed_on=None,
            elements=tuple(elements),
        )
    return out
