"""Writing a ROME release into the database: ``boussole metiers import`` and the snapshot.

:func:`import_release` reads a release (:mod:`.release`) and :func:`apply_release`
writes it in the caller's transaction (the CLI commits once, at the end: a refused
release leaves nothing behind). A newer release updates the rows in place, keyed by the
official codes: a fiche, appellation or competence it no longer has keeps its row with
``removed_in`` set to the new version (what points at it keeps working and can say so); a
renamed one keeps its former label in ``previous_label`` with ``changed_in``; one that
comes back loses its ``removed_in``. A fiche's links are replaced by the new release's;
the links of a removed fiche are kept. The same or an older version than the newest
imported is refused unless ``force``.

The snapshot (:data:`SNAPSHOT`, ``boussole metiers snapshot``) is a release's
:class:`~.release.ReleaseData` as gzipped JSON, without what the app does not use
(appellations' short labels equal to the long ones, links to savoirs and work contexts,
whose labels the open-data release does not ship). :func:`ensure_snapshot` loads it into a
database that has no release yet (``boussole db upgrade`` and ``boussole demo``).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from service.features.metiers.release import ReleaseData, ReleaseError, read_release
from service.models import (
    RomeAppellation,
    RomeCompetence,
    RomeDomaine,
    RomeFiche,
    RomeFicheLink,
    RomeGrandDomaine,
    RomeRelease,
)

SNAPSHOT = Path(__file__).parent / "data" / "rome-v60.json.gz"
SNAPSHOT_FORMAT = 1
#: The links kept in the snapshot: bloc 5, rubriques 1 and 2 (competences).
SNAPSHOT_LINKS = frozenset({(5, "1"), (5, "2")})
ATTRIBUTION = "France Travail, ROME 4.0"


@dataclass(frozen=True)
class ImportResult:
    version: int
    published_on: dt.date | None
    fiches: int
    appellations: int
    competences: int
    links: int
    added: int
    renamed: int
    removed: int
    replaced: bool  # an existing release of the same or a newer version (--force)


def latest_release(session: Session) -> RomeRelease | None:
    """The newest imported release (the one the pages name), or None."""
    return session.scalars(select(RomeRelease).order_by(RomeRelease.version.desc())).first()


def import_release(
    session: Session, path: Path, *, force: bool = False, source: str | None = None
) -> ImportResult:
    """Read the release at ``path`` and write it (no commit). Raises ReleaseError."""
    data = read_release(path)
    return apply_release(session, data, source=source or path.name, force=force)


def apply_release(
    session: Session, data: ReleaseData, *, source: str, force: bool = False
) -> ImportResult:
    newest = session.scalar(select(func.max(RomeRelease.version)))
    if newest is not None and data.version <= newest and not force:
        which = "la même version" if data.version == newest else "une version plus ancienne"
        raise ReleaseError(
            f"la version {data.version} du ROME est {which} que celle déjà importée"
            f" ({newest}) : rien n’a été modifié (--force pour l’importer quand même)."
        )
    _upsert_plain(session, RomeGrandDomaine, "code", data.grands_domaines)
    _upsert_plain(session, RomeDomaine, "code", data.domaines)
    counts = [0, 0, 0]
    for model, rows, renames in (
        (RomeFiche, data.fiches, True),
        (RomeAppellation, data.appellations, False),
        (RomeCompetence, data.competences, True),
    ):
        added, renamed, removed = _upsert_versioned(session, model, rows, data.version, renames)
        counts = [counts[0] + added, counts[1] + renamed, counts[2] + removed]
    codes = [f["code_rome"] for f in data.fiches]
    for i in range(0, len(codes), 500):
        session.execute(
            delete(RomeFicheLink).where(RomeFicheLink.code_rome.in_(codes[i : i + 500]))
        )
    if data.links:
        session.execute(insert(RomeFicheLink), data.links)
    existing = session.scalar(select(RomeRelease).where(RomeRelease.version == data.version))
    release = existing or RomeRelease(version=data.version)
    release.published_on = data.published_on
    release.title = data.title
    release.source = source[:300]
    release.fiches = len(data.fiches)
    release.appellations = len(data.appellations)
    release.competences = sum(1 for c in data.competences if not c["is_macro"])
    release.imported_at = dt.datetime.now(dt.UTC)
    session.add(release)
    session.flush()
    return ImportResult(
        version=data.version,
        published_on=data.published_on,
        fiches=len(data.fiches),
        appellations=len(data.appellations),
        competences=release.competences,
        links=len(data.links),
        added=counts[0],
        renamed=counts[1],
        removed=counts[2],
        replaced=newest is not None and data.version <= newest,
    )


def _upsert_plain(
    session: Session, model: Any, key: str, rows: Sequence[dict[str, object]]
) -> None:
    have = set(session.scalars(select(getattr(model, key))))
    new = [r for r in rows if r[key] not in have]
    old = [r for r in rows if r[key] in have]
    if new:
        session.execute(insert(model), new)
    if old:
        session.execute(update(model), old)


def _upsert_versioned(
    session: Session,
    model: Any,
    rows: Sequence[dict[str, object]],
    version: int,
    renames: bool,
) -> tuple[int, int, int]:
    """Insert the new rows, update the others in place; returns (added, renamed, removed)."""
    pk = model.__mapper__.primary_key[0]
    have: dict[Any, str] = dict(session.execute(select(pk, model.label)).all())
    seen = set()
    new: list[dict[str, object]] = []
    old: list[dict[str, object]] = []
    renamed = 0
    for row in rows:
        key = row[pk.key]
        seen.add(key)
        if key not in have:
            new.append(row)
            continue
        changed = dict(row, removed_in=None)
        if renames and have[key] != row["label"]:
            changed["previous_label"] = have[key]
            changed["changed_in"] = version
            renamed += 1
        old.append(changed)
    if new:
        session.execute(insert(model), new)
    if old:
        session.execute(update(model), old)
    gone = [k for k in have if k not in seen]
    for i in range(0, len(gone), 500):
        session.execute(
            update(model)
            .where(pk.in_(gone[i : i + 500]), model.removed_in.is_(None))
            .values(removed_in=version),
            execution_options={"synchronize_session": False},
        )
    return len(new), renamed, len(gone)


# --- the snapshot -----------------------------------------------------------------------------


def write_snapshot(data: ReleaseData, out: Path) -> int:
    """Write ``data`` as a snapshot at ``out``; returns its size in bytes."""
    tables = {
        "grands_domaines": data.grands_domaines,
        "domaines": data.domaines,
        "fiches": data.fiches,
        "appellations": data.appellations,
        "competences": data.competences,
        "links": [k for k in data.links if (k["bloc"], k["rubrique"]) in SNAPSHOT_LINKS],
    }
    packed: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "source": f"{ATTRIBUTION} (Licence Ouverte / Etalab 2.0)",
        "version": data.version,
        "published_on": data.published_on.isoformat() if data.published_on else None,
        "title": data.title,
    }
    for name, rows in tables.items():
        # search_key is derived: recomputed on load, not stored
        columns = [c for c in (rows[0] if rows else {}) if c != "search_key"]
        packed[name] = {"columns": columns, "rows": [[r[c] for c in columns] for r in rows]}
    raw = json.dumps(packed, ensure_ascii=False, separators=(",", ":")).encode()
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(out, "wb", compresslevel=9, mtime=0) as fh:
        fh.write(raw)
    return out.stat().st_size


def read_snapshot(path: Path = SNAPSHOT) -> ReleaseData:
    from service.text import search_key

    try:
        with gzip.open(path, "rb") as fh:
            packed = json.loads(fh.read())
    except (OSError, ValueError) as exc:
        raise ReleaseError(f"{path.name} : instantané illisible ({exc}).") from exc
    if not isinstance(packed, dict) or packed.get("format") != SNAPSHOT_FORMAT:
        raise ReleaseError(f"{path.name} : format d’instantané inconnu.")
    day = packed["published_on"]
    data = ReleaseData(
        version=int(packed["version"]),
        published_on=dt.date.fromisoformat(day) if day else None,
        title=str(packed["title"]),
    )
    for name in ("grands_domaines", "domaines", "fiches", "appellations", "competences", "links"):
        table = packed[name]
        rows = [dict(zip(table["columns"], r, strict=True)) for r in table["rows"]]
        if name in ("fiches", "appellations", "competences"):
            for r in rows:
                r["search_key"] = search_key(str(r["label"]))[:300]
        setattr(data, name, rows)
    return data


def ensure_snapshot(session: Session, path: Path = SNAPSHOT) -> ImportResult | None:
    """Load the shipped snapshot when no release is imported yet (else do nothing)."""
    if session.scalar(select(func.count()).select_from(RomeRelease)):
        return None
    return apply_release(session, read_snapshot(path), source="snapshot")
