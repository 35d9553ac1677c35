"""Local norms: a centre's own norm tables, built from its completed questionnaires.

The shipped SPI norms come from English-speaking web volunteers, mostly young and from the
US. A centre may build norms from the people it sees and choose, per instrument, which
norms its new scores use. What goes into them (:func:`eligible_assignments`):

- the centre's **completed** questionnaires of the installed version of the instrument;
- never an anonymous questionnaire (satisfaction, follow-up: they are not scored), nor one
  assigned automatically at the end of the bilan or at the follow-up;
- only bilans whose latest consent decision is an acceptance of a text that says the
  scores may enter the centre's norms (:func:`service.access.may_feed_local_norms`);
- one questionnaire per person (their latest), so that nobody counts twice.

The scale scores are re-computed from the stored raw answers (as at completion, without
norms) and summarised by :func:`scoring.norms.build_norms` in the shipped files' format:
n, mean, SD, percentiles, frequency distribution and alpha per scale. The people of a
centre are compared with its whole group: Boussole does not collect sex or age (the
shipped tables' groups), so a local table has one group, the whole sample.

A group with fewer than ``min_n`` people (default :data:`DEFAULT_MIN_N`, never below
:data:`MIN_N_FLOOR`) is refused, and nothing is written: one refused instrument refuses
the whole build. A built table is stored as a :class:`~service.models.LocalNorm` whose
``norm_version`` (``local:<id>:<date>:<n>``) every score produced with it records;
:func:`norm_source` turns that back into words for the profiles and reports.
"""

from __future__ import annotations

import datetime as dt
import gettext
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd
from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.model import Instrument, Scale
from reports.profile import translator
from scoring.matrix import from_long
from scoring.norms import NormTable, build_norms
from scoring.pipeline import load_norms
from scoring.scales import keyed_items, score_scales
from service import access
from service.dates import PARIS, format_day, paris_date, utcnow
from service.models import (
    Answer,
    Assignment,
    Bilan,
    Centre,
    Consent,
    LocalNorm,
    NormChoice,
    StaffUser,
)
from service.models.states import AssignmentStatus

#: The smallest group a local norm table accepts unless told otherwise.
DEFAULT_MIN_N = 30
#: Below this, a mean and an SD say little and the distribution of a scale nearly shows
#: each person's score: no centre may go lower.
MIN_N_FLOOR = 10
#: ``ScoreRecord.norm_version`` of the scores produced with a local table starts so.
LOCAL_PREFIX = "local"
_LOCAL_RE = re.compile(r"^local:(\d+):(\d{4}-\d{2}-\d{2}):(\d+)$")
#: Answers are read this many questionnaires at a time (bounded SQL parameter lists).
_CHUNK = 500


class NormsRefused(ValueError):
    """Local norms cannot be built or chosen; the message (French) says why and how to
    fix it; ``field`` names the form field concerned, if any."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NormNotFound(LookupError):
    """No such local norm version for this centre and instrument (a 404, not a message)."""


# --- norm versions as the scores record them --------------------------------------------


@dataclass(frozen=True)
class LocalVersion:
    """What a local ``norm_version`` says: the table's id, the day it was built, its n."""

    id: int
    built_on: dt.date
    n: int

    def __str__(self) -> str:
        return f"{LOCAL_PREFIX}:{self.id}:{self.built_on.isoformat()}:{self.n}"


def parse_local_version(version: str | None) -> LocalVersion | None:
    """The local version a stored ``norm_version`` names, or None (shipped or no norms).

    Examples
    --------
    >>> parse_local_version("local:3:2026-12-02:84")
    LocalVersion(id=3, built_on=datetime.date(2026, 12, 2), n=84)
    >>> parse_local_version("2026.12-spi-bilan-adults") is None
    True
    """
    match = _LOCAL_RE.match(version or "")
    if match is None:
        return None
    return LocalVersion(int(match[1]), dt.date.fromisoformat(match[2]), int(match[3]))


@dataclass(frozen=True)
class NormSource:
    """A stored norm version in words: ``group`` (None: the profile's own wording) and
    ``version``, as the profile line "Groupe de référence : <group> (normes <version>)"
    prints them."""

    group: str | None
    version: str | None
    local: bool


def norm_source(
    version: str | None, lang: str, translations: gettext.NullTranslations | None
) -> NormSource:
    """How a profile or report names the norms a score was produced with.

    Examples
    --------
    >>> norm_source("2026.12-spi-bilan-adults", "fr", None)
    NormSource(group=None, version='2026.12-spi-bilan-adults', local=False)
    >>> norm_source("local:3:2026-12-02:84", "fr", None).version
    'locales du centre, version du 2 décembre 2026, n\\xa0=\\xa084'
    """
    local = parse_local_version(version)
    if local is None:
        return NormSource(group=None, version=version, local=False)
    _ = translator(translations, lang)  # the report's language, French typography
    day = format_day(local.built_on, lang)
    return NormSource(
        group=_("bénéficiaires du centre"),
        version=_("locales du centre, version du %(date)s, n\u00a0=\u00a0%(n)s")
        % {"date": day, "n": count(local.n, lang)},
        local=True,
    )


def norm_label(
    version: str | None, lang: str, translations: gettext.NullTranslations | None
) -> str | None:
    """The norms of a score in a few words for a table cell (exports): a shipped version
    as it is, a centre's local version as "normes locales du centre, version du 2 décembre
    2026, n = 84".

    Examples
    --------
    >>> norm_label("2026.12-spi-bilan-adults", "fr", None)
    '2026.12-spi-bilan-adults'
    >>> norm_label("local:3:2026-12-02:84", "fr", None)
    'normes locales du centre, version du 2 décembre 2026, n\xa0=\xa084'
    """
    local = parse_local_version(version)
    if local is None:
        return version
    _ = translator(translations, lang)
    return _("normes locales du centre, version du %(date)s, n\u00a0=\u00a0%(n)s") % {
        "date": format_day(local.built_on, lang),
        "n": count(local.n, lang),
    }


# --- which questionnaires, and their scale scores -----------------------------------------


def normed_instruments(instruments: Mapping[str, Instrument]) -> list[Instrument]:
    """The installed instruments that ship norms (a local table replaces those), by id."""
    return sorted(
        (i for i in instruments.values() if i.norms is not None and not i.anonymous),
        key=lambda i: i.id,
    )


def shipped_norms(instrument: Instrument) -> NormTable:
    table = load_norms(instrument)
    if table is None:  # normed_instruments() keeps only instruments with norms
        raise NormsRefused(
            _("«\u00a0%(name)s\u00a0» n’a pas de normes fournies.", name=instrument.key)
        )
    return table


def shipped_description(instrument: Instrument, lang: str) -> str | None:
    """Who the shipped norms describe, in the reader's language, when the instrument says
    (``metadata.norms.description``)."""
    node = instrument.metadata.get("norms")
    text = node.get("description") if isinstance(node, Mapping) else None
    if isinstance(text, Mapping):
        value = text.get(lang) or text.get("fr")
        return str(value) if value else None
    return None


def eligible_assignments(session: Session, centre_id: int, instrument: Instrument) -> list[int]:
    """The questionnaires local norms are built from (see the module docstring), in
    increasing id order: completed, of ``instrument``'s version, of the centre, consented,
    assigned by a counsellor, one per person (their latest)."""
    if instrument.anonymous:
        return []
    rows = session.execute(
        select(Assignment.id, Assignment.bilan_id, Bilan.beneficiary_id, Assignment.completed_at)
        .join(Bilan, Bilan.id == Assignment.bilan_id)
        .where(
            Bilan.centre_id == centre_id,
            Assignment.instrument_id == instrument.id,
            Assignment.instrument_version == instrument.version,
            Assignment.status == AssignmentStatus.COMPLETED,
            Assignment.purpose.is_(None),
        )
    ).all()
    bilan_ids = {r.bilan_id for r in rows}
    consented = _consented_bilans(session, bilan_ids)
    latest: dict[int, tuple[dt.datetime, int]] = {}
    for r in rows:
        if r.bilan_id not in consented:
            continue
        key = (r.completed_at or dt.datetime.min.replace(tzinfo=dt.UTC), r.id)
        if r.beneficiary_id not in latest or key > latest[r.beneficiary_id]:
            latest[r.beneficiary_id] = key
    return sorted(aid for _, aid in latest.values())


def _consented_bilans(session: Session, bilan_ids: Iterable[int]) -> set[int]:
    ids = sorted(set(bilan_ids))
    out: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        bilans = session.scalars(select(Bilan).where(Bilan.id.in_(part))).all()
        consents = list(session.scalars(select(Consent).where(Consent.bilan_id.in_(part))))
        out |= {b.id for b in bilans if access.may_feed_local_norms(b, consents)}
    return out


def sample_scores(
    session: Session, instrument: Instrument, assignment_ids: Sequence[int]
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The scale scores of ``assignment_ids`` re-computed from their stored raw answers
    (one row each, in that order; no norms), and each scale's keyed item answers (alpha).
    A stored value that no longer fits the coding counts as missing, as at completion."""
    numeric = {it.id for it in instrument.numeric_items}
    rows: list[tuple[int, str, Any]] = []
    ids = list(assignment_ids)
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        found = session.execute(
            select(Answer.assignment_id, Answer.item_id, Answer.value).where(
                Answer.assignment_id.in_(part)
            )
        ).all()
        rows.extend((a, i, v) for a, i, v in found if i in numeric and v is not None)
    index = pd.Index(ids, name="respondent")
    if rows:
        long = pd.DataFrame(rows, columns=["respondent", "item", "value"], dtype=object)
        data = from_long(instrument, long, invalid="missing").data.reindex(index)
    else:
        data = pd.DataFrame(np.nan, index=index, columns=[it.id for it in instrument.numeric_items])
    scores = score_scales(instrument, data)
    keyed = {sc.id: keyed_items(instrument, data, sc).to_numpy() for sc in instrument.scales}
    return scores, keyed


# --- building -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """Local norms computed for one instrument, not stored yet: ``n`` questionnaires;
    ``table`` None when there is none."""

    instrument: Instrument
    n: int
    min_n: int
    table: NormTable | None
    record: LocalNorm | None = field(default=None, compare=False)

    @property
    def usable(self) -> bool:
        return self.table is not None and self.n >= self.min_n

    def refusal(self, lang: str = "fr") -> str:
        """Why this draft is refused: the group, its n, the minimum (in the request's
        language; the instrument named in ``lang``)."""
        if self.n == 0:
            return str(
                _(
                    "«\u00a0%(name)s\u00a0» : aucun questionnaire utilisable dans le centre"
                    " pour le groupe «\u00a0ensemble des bénéficiaires du centre\u00a0»"
                    " (il en faut au moins %(min)d).",
                    name=self.instrument.name.get(lang),
                    min=self.min_n,
                )
            )
        return str(
            ngettext(
                "«\u00a0%(name)s\u00a0» : le groupe «\u00a0ensemble des bénéficiaires du"
                " centre\u00a0» ne compte que %(num)d questionnaire utilisable, moins que le"
                " minimum de %(min)d.",
                "«\u00a0%(name)s\u00a0» : le groupe «\u00a0ensemble des bénéficiaires du"
                " centre\u00a0» ne compte que %(num)d questionnaires utilisables, moins que le"
                " minimum de %(min)d.",
                self.n,
                name=self.instrument.name.get(lang),
                min=self.min_n,
            )
        )


class BuildRefused(NormsRefused):
    """Some instruments have too few questionnaires: nothing was stored. ``drafts`` holds
    what was computed, for the command line to show."""

    def __init__(self, message: str, drafts: Sequence[Draft]) -> None:
        super().__init__(message, field="min_n")
        self.drafts = tuple(drafts)


def check_min_n(min_n: int) -> int:
    if min_n < MIN_N_FLOOR:
        raise NormsRefused(
            _(
                "Effectif minimum : indiquez au moins %(floor)d personnes (avec moins, la"
                " distribution des scores laisserait presque voir les réponses de chacun).",
                floor=MIN_N_FLOOR,
            ),
            field="min_n",
        )
    return min_n


def _provenance(
    centre: Centre,
    instrument: Instrument,
    n: int,
    min_n: int,
    by: StaffUser | None,
    now: dt.datetime,
) -> dict[str, Any]:
    return {
        "source": "local",
        "centre": centre.name,
        "centre_id": centre.id,
        "instrument": instrument.key,
        "built": paris_date(now).isoformat(),
        "built_at": now.isoformat(timespec="seconds"),
        "built_by": by.name if by is not None else None,
        "tool": "admin page" if by is not None else "boussole norms build --from-database",
        "n": n,
        "n_per_group": {"all": n},
        "min_n": min_n,
        "selection": (
            "completed questionnaires of this instrument version, assigned by a counsellor"
            " (not anonymous), consent accepted, latest per beneficiary"
        ),
    }


def draft_norms(
    session: Session,
    centre: Centre,
    instrument: Instrument,
    *,
    min_n: int,
    by: StaffUser | None = None,
    now: dt.datetime | None = None,
) -> Draft:
    """Compute (never store) the local norms of ``instrument`` for ``centre``."""
    shipped = shipped_norms(instrument)
    now = now or utcnow()
    ids = eligible_assignments(session, centre.id, instrument)
    if not ids:
        return Draft(instrument=instrument, n=0, min_n=min_n, table=None)
    scores, keyed = sample_scores(session, instrument, ids)
    known = {sc.id for sc in instrument.scales}
    scales = [sid for sid in shipped.groups[0]["scales"] if sid in known]
    table = build_norms(
        scores,
        pd.DataFrame(index=scores.index),
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        scales=scales,
        group_by=[],
        keyed_items=keyed,
        metric=shipped.metric,
        min_n=min_n,
        provenance=_provenance(centre, instrument, len(ids), min_n, by, now),
        norm_version=f"{LOCAL_PREFIX}:draft",
    )
    return Draft(instrument=instrument, n=len(ids), min_n=min_n, table=table)


def build_local_norms(
    session: Session,
    centre: Centre,
    instruments: Sequence[Instrument],
    *,
    min_n: int = DEFAULT_MIN_N,
    by: StaffUser | None = None,
    dry_run: bool = False,
    lang: str = "fr",
) -> list[Draft]:
    """Build and store a new local norm version of each of ``instruments`` for ``centre``.

    Raises :class:`NormsRefused` for a ``min_n`` below :data:`MIN_N_FLOOR`, and
    :class:`BuildRefused` (storing nothing) when any instrument has fewer than ``min_n``
    usable questionnaires. ``dry_run`` computes and stores nothing. The caller commits.
    """
    check_min_n(min_n)
    now = utcnow()
    drafts = [draft_norms(session, centre, i, min_n=min_n, by=by, now=now) for i in instruments]
    refused = [d for d in drafts if not d.usable]
    if refused:
        raise BuildRefused("\n".join(d.refusal(lang) for d in refused), drafts)
    if dry_run:
        return drafts
    return [_store(session, centre, d, d.table, by, now) for d in drafts if d.table is not None]


def _store(
    session: Session,
    centre: Centre,
    draft: Draft,
    table: NormTable,
    by: StaffUser | None,
    now: dt.datetime,
) -> Draft:
    record = LocalNorm(
        centre_id=centre.id,
        instrument_id=draft.instrument.id,
        instrument_version=draft.instrument.version,
        norm_version=f"{LOCAL_PREFIX}:pending:{uuid.uuid4().hex[:24]}",
        built_at=now,
        built_by_id=by.id if by is not None else None,
        n=draft.n,
        min_n=draft.min_n,
        table={},
    )
    session.add(record)
    session.flush()  # the id names the version
    version = str(LocalVersion(record.id, paris_date(now), draft.n))
    record.norm_version = version
    record.table = {**table.data, "norm_version": version}
    session.flush()
    return Draft(
        instrument=draft.instrument,
        n=draft.n,
        min_n=draft.min_n,
        table=NormTable(record.table),
        record=record,
    )


# --- the choice of norms ------------------------------------------------------------------


def local_versions(session: Session, centre_id: int, instrument_id: str) -> list[LocalNorm]:
    """The centre's local norm versions of an instrument, newest first."""
    return list(
        session.scalars(
            select(LocalNorm)
            .where(LocalNorm.centre_id == centre_id, LocalNorm.instrument_id == instrument_id)
            .order_by(LocalNorm.id.desc())
        )
    )


def local_version(
    session: Session, centre_id: int, instrument: Instrument, local_norm_id: int
) -> LocalNorm:
    """One of the centre's local versions of ``instrument``, or :class:`NormNotFound`
    (another centre's version is not revealed)."""
    record = session.get(LocalNorm, local_norm_id)
    if record is None or record.centre_id != centre_id or record.instrument_id != instrument.id:
        raise NormNotFound(local_norm_id)
    return record


def current_choice(session: Session, centre_id: int, instrument_id: str) -> LocalNorm | None:
    """The local version the centre chose for an instrument; None: the shipped norms."""
    choice = session.scalars(
        select(NormChoice).where(
            NormChoice.centre_id == centre_id, NormChoice.instrument_id == instrument_id
        )
    ).first()
    return choice.local_norm if choice is not None else None


def chosen_table(session: Session, centre_id: int, instrument: Instrument) -> NormTable | None:
    """The norm table new scores of ``instrument`` use in this centre: its chosen local
    version when built for this very version of the instrument; None for the shipped
    norms (also when the chosen version was built for another version)."""
    record = current_choice(session, centre_id, instrument.id)
    if record is None or record.instrument_version != instrument.version:
        return None
    return NormTable(dict(record.table))


def choose_norms(
    session: Session,
    centre_id: int,
    instrument: Instrument,
    local_norm_id: int | None,
    *,
    by: StaffUser | None,
) -> LocalNorm | None:
    """Use a local version (or, with None, the shipped norms) for the centre's new scores
    of ``instrument``. Scores already stored keep the norms that produced them. The caller
    commits."""
    record = None
    if local_norm_id is not None:
        record = local_version(session, centre_id, instrument, local_norm_id)
        if record.instrument_version != instrument.version:
            raise NormsRefused(
                _(
                    "Ces normes locales ont été construites pour la version %(old)s du"
                    " questionnaire, et non pour la version %(new)s en service :"
                    " construisez-en de nouvelles.",
                    old=record.instrument_version,
                    new=instrument.version,
                ),
                field="norms",
            )
    choice = session.scalars(
        select(NormChoice).where(
            NormChoice.centre_id == centre_id, NormChoice.instrument_id == instrument.id
        )
    ).first()
    if choice is None:
        choice = NormChoice(centre_id=centre_id, instrument_id=instrument.id)
        session.add(choice)
    choice.local_norm_id = record.id if record is not None else None
    choice.chosen_at = utcnow()
    choice.chosen_by_id = by.id if by is not None else None
    session.flush()
    return record


# --- the admin page: shipped and local side by side ----------------------------------------


@dataclass(frozen=True)
class ScaleComparison:
    """One scale's overall statistics in the shipped table and a local one (floats for
    the tests, ``text`` ready to print); local values None without a local table."""

    scale_id: str
    name: str
    facet: bool
    shipped: tuple[int, float | None, float | None]  # n, mean, SD
    local: tuple[int, float | None, float | None] | None
    difference: float | None  # local mean minus shipped mean, on the scale's metric
    difference_sd: float | None  # the same in SDs of the shipped norms
    text: dict[str, str]


def _overall(table: NormTable) -> dict[str, Any]:
    return next(g for g in table.groups if not g["key"])


def _stats(group: Mapping[str, Any], sid: str) -> tuple[int, float | None, float | None]:
    s = group["scales"].get(sid, {})
    return int(s.get("n", 0)), s.get("mean"), s.get("sd")


def count(n: int, lang: str) -> str:
    """A head count the reader's way: ``3 365`` (French), ``3,365`` (English)."""
    return str(format_decimal(n, format="#,##0", locale=lang))


def _num(x: float | None, lang: str) -> str:
    """Two decimals, always (a column of means reads evenly); ``—`` when missing."""
    if x is None:
        return "—"
    rounded = Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return str(format_decimal(rounded, format="0.00", locale=lang))


def _signed(x: float | None, lang: str) -> str:
    """``+0,12`` / ``−0,12`` (a real minus sign), ``0,00``; ``—`` when missing."""
    if x is None:
        return "—"
    text = _num(abs(x), lang)
    if set(text) <= {"0", ",", "."}:
        return text
    return ("+" if x > 0 else "\u2212") + text


def _in_domain_order(instrument: Instrument) -> list[Scale]:
    """Scales with each domain followed by its facets (then any scale left over)."""
    out: list[Scale] = []
    for top in (sc for sc in instrument.scales if sc.parent is None):
        out.append(top)
        out.extend(sc for sc in instrument.scales if sc.parent == top.id)
    out.extend(sc for sc in instrument.scales if sc not in out)
    return out


def compare(
    instrument: Instrument, shipped: NormTable, local: NormTable | None, lang: str
) -> list[ScaleComparison]:
    """Per scale of the shipped table: its overall n, mean and SD beside the local
    table's, and the difference (local minus shipped, raw and in shipped SDs)."""
    ship = _overall(shipped)
    mine = _overall(local) if local is not None else None
    out = []
    for sc in _in_domain_order(instrument):
        if sc.id not in ship["scales"]:
            continue
        theirs = _stats(ship, sc.id)
        ours = _stats(mine, sc.id) if mine is not None else None
        diff = None if ours is None or ours[1] is None or theirs[1] is None else ours[1] - theirs[1]
        diff_sd = None if diff is None or not theirs[2] else diff / theirs[2]
        out.append(
            ScaleComparison(
                scale_id=sc.id,
                name=sc.name.get(lang),
                facet=sc.parent is not None,
                shipped=theirs,
                local=ours,
                difference=diff,
                difference_sd=diff_sd,
                text={
                    "shipped_n": count(theirs[0], lang),
                    "shipped_mean": _num(theirs[1], lang),
                    "shipped_sd": _num(theirs[2], lang),
                    "local_n": count(ours[0], lang) if ours else "—",
                    "local_mean": _num(ours[1], lang) if ours else "—",
                    "local_sd": _num(ours[2], lang) if ours else "—",
                    "difference": _signed(diff, lang),
                    "difference_sd": _signed(diff_sd, lang),
                },
            )
        )
    return out


@dataclass(frozen=True)
class InstrumentNorms:
    """What the admin page shows of one instrument's norms for the centre."""

    instrument: Instrument
    shipped: NormTable
    versions: tuple[LocalNorm, ...]  # newest first
    choice: LocalNorm | None
    available: int  # questionnaires local norms would be built from today

    @property
    def shipped_n(self) -> int:
        return int(_overall(self.shipped)["n"])

    @property
    def current_versions(self) -> tuple[LocalNorm, ...]:
        """The local versions built for the installed version (the ones one may choose)."""
        return tuple(v for v in self.versions if v.instrument_version == self.instrument.version)

    @property
    def choice_applies(self) -> bool:
        """Whether the chosen local version is used (built for the installed version)."""
        return self.choice is not None and self.choice.instrument_version == (
            self.instrument.version
        )


def instrument_norms(session: Session, centre_id: int, instrument: Instrument) -> InstrumentNorms:
    return InstrumentNorms(
        instrument=instrument,
        shipped=shipped_norms(instrument),
        versions=tuple(local_versions(session, centre_id, instrument.id)),
        choice=current_choice(session, centre_id, instrument.id),
        available=len(eligible_assignments(session, centre_id, instrument)),
    )


def version_label(record: LocalNorm, lang: str) -> str:
    """A local version for the admin: "version du 2 décembre 2026 à 14:05, n = 84"."""
    local = record.built_at.astimezone(PARIS)
    return str(
        _(
            "version du %(date)s à %(time)s, n\u00a0=\u00a0%(n)s",
            date=format_day(local.date(), lang),
            time=local.strftime("%H:%M"),
            n=count(record.n, lang),
        )
    )
