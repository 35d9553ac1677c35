"""Searching the ROME: job titles (appellations) and competences, forgiving of accents,
case and typos ("infirmiere", "boulangr", "developpeur web").

The method, the same on SQLite and PostgreSQL: an in-memory index built once per
imported release (:func:`_index`, cached on the database URL and the newest release's
id and import time, rebuilt when a release is imported). Labels are cut into words of
their ``search_key`` (:func:`service.text.search_key`). Each word of the query is
matched against the index's vocabulary (a few thousand distinct words): exactly (1.0),
as the start of a word (0.9: "boulang" finds "boulanger"), or within a small edit
distance (Levenshtein, computed only for the 40 words sharing the most trigrams with it:
1 − distance ÷ length, kept from 0.7; also against the word's start, so that a typo in
an unfinished word still counts). A label scores the mean of its best match for each
query word; labels are ranked by score, then the shorter first (the plain title before
its specialities), then alphabetically. French stop words ("de", "la", "des"...) are
left out of the query.
"""

from __future__ import annotations

import heapq
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import Flask
from sqlalchemy import make_url, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from service.models import RomeAppellation, RomeCompetence, RomeFiche, RomeRelease
from service.text import search_key

#: The longest query searched (the views refuse longer with a 400).
MAX_QUERY = 200
MAX_LIMIT = 100
STOP_WORDS = frozenset(
    {
        *("a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les"),
        *("ou", "par", "pour", "sur", "un", "une"),
    }
)
_CANDIDATES = 40
_MIN_SIMILARITY = 0.7


@dataclass(frozen=True)
class AppellationHit:
    code_ogr: int
    label: str
    code_rome: str
    fiche_label: str
    score: float


@dataclass(frozen=True)
class CompetenceHit:
    code_ogr: int
    label: str
    category: str  # "Savoir-faire", "Savoir-être professionnel" or "Savoir"
    macro_code_ogr: int | None
    macro_label: str
    score: float


@dataclass(frozen=True)
class _Entry:
    key: int
    label: str
    length: int
    extra: tuple[object, ...]


class _Index:
    """Words -> entries, and trigrams of the vocabulary -> words."""

    def __init__(self, entries: Iterable[tuple[int, str, str, tuple[object, ...]]]) -> None:
        self.entries: list[_Entry] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        for key, label, folded, extra in entries:
            n = len(self.entries)
            self.entries.append(_Entry(key, label, len(folded), extra))
            for word in set(folded.split()):
                self.postings[word].append(n)
        self.vocabulary = sorted(self.postings)
        self.grams: dict[str, list[int]] = defaultdict(list)
        for i, word in enumerate(self.vocabulary):
            for gram in _trigrams(word):
                self.grams[gram].append(i)

    def similar(self, word: str) -> dict[str, float]:
        """The vocabulary's words close to ``word``, with their similarity."""
        found: dict[str, float] = {}
        if word in self.postings:
            found[word] = 1.0
        counts: Counter[int] = Counter()
        for gram in _trigrams(word):
            counts.update(self.grams.get(gram, ()))
        for i, _n in counts.most_common(_CANDIDATES):
            other = self.vocabulary[i]
            found.setdefault(other, _similarity(word, other))
        if len(word) >= 3:
            for other in _with_prefix(self.vocabulary, word):
                found[other] = max(found.get(other, 0.0), 0.9 if other != word else 1.0)
        return {w: s for w, s in found.items() if s >= _MIN_SIMILARITY}

    def search(self, text: str, limit: int) -> list[tuple[_Entry, float]]:
        words = [w for w in search_key(text[:MAX_QUERY]).split() if w not in STOP_WORDS]
        if not words:
            return []
        totals: dict[int, float] = defaultdict(float)
        for word in dict.fromkeys(words):
            best: dict[int, float] = {}
            for other, sim in self.similar(word).items():
                for n in self.postings[other]:
                    if sim > best.get(n, 0.0):
                        best[n] = sim
            for n, sim in best.items():
                totals[n] += sim
        count = len(dict.fromkeys(words))
        entries = self.entries
        candidates: Iterable[tuple[int, float]] = totals.items()
        if len(totals) > limit:
            # A common word matches thousands of entries: sort only those that can be in
            # the first ``limit`` (score at least the limit-th best), which gives the same
            # order as a full sort: by score, then shorter label, then label.
            floor = heapq.nlargest(limit, totals.values())[-1]
            candidates = [(n, t) for n, t in candidates if t >= floor]
        ranked = sorted(
            candidates,
            key=lambda item: (-item[1], entries[item[0]].length, entries[item[0]].label),
        )
        return [(entries[n], round(total / count, 3)) for n, total in ranked[:limit]]


def _trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _with_prefix(vocabulary: Sequence[str], prefix: str) -> list[str]:
    from bisect import bisect_left

    start = bisect_left(vocabulary, prefix)
    out = []
    for word in vocabulary[start:]:
        if not word.startswith(prefix):
            break
        out.append(word)
    return out


@lru_cache(maxsize=65536)
def _similarity(word: str, other: str) -> float:
    full = 1 - levenshtein(word, other) / max(len(word), len(other))
    if len(other) > len(word) >= 4:
        start = 0.85 * (1 - levenshtein(word, other[: len(word)]) / len(word))
        return max(full, start)
    return full


def levenshtein(a: str, b: str) -> int:
    """The edit distance between ``a`` and ``b`` (insertions, deletions, substitutions)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


# --- the cached indexes -----------------------------------------------------------------------

_LOCK = threading.Lock()
_CACHE: dict[tuple[str, str], tuple[object, _Index]] = {}


def release_stamp(session: Session) -> object:
    """The newest release's id and import time, or None: what every cache of ROME data is
    keyed on (an import changes it)."""
    row = session.execute(
        select(RomeRelease.id, RomeRelease.imported_at).order_by(RomeRelease.id.desc()).limit(1)
    ).first()
    return tuple(row) if row is not None else None


def _index(session: Session, kind: str) -> _Index:
    url = str(session.get_bind().engine.url)
    stamp = release_stamp(session)
    cached = _CACHE.get((url, kind))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _LOCK:
        cached = _CACHE.get((url, kind))
        if cached is not None and cached[0] == stamp:
            return cached[1]
        index = (
            _build_appellations(session) if kind == "appellations" else _build_competences(session)
        )
        _CACHE[(url, kind)] = (stamp, index)
        return index


def warm_up(app: Flask) -> None:
    """Build both indexes of the newest release now (:func:`service.app.create_app` runs it
    in a background thread of each production worker: built on first use, they would make
    the first search of each worker wait about one and two seconds; a search arriving
    while they are built waits on the lock for the rest, never builds twice)."""
    from service.extensions import db

    url = make_url(str(app.config["DATABASE_URL"]))
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return  # connecting would create the file: the database is never a side effect
    try:
        with app.app_context(), db.standalone() as session:
            if release_stamp(session) is None:
                return
            for kind in ("appellations", "competences"):
                _index(session, kind)
    except SQLAlchemyError:  # a database not migrated yet (the CLI): built on first use
        app.logger.info("métiers search indexes not built at start", exc_info=True)


def _build_appellations(session: Session) -> _Index:
    rows = session.execute(
        select(
            RomeAppellation.code_ogr,
            RomeAppellation.label,
            RomeAppellation.search_key,
            RomeAppellation.code_rome,
            RomeFiche.label,
        )
        .join(RomeFiche, RomeFiche.code_rome == RomeAppellation.code_rome)
        .where(RomeAppellation.removed_in.is_(None), RomeFiche.removed_in.is_(None))
    )
    return _Index((code, label, key, (rome, fiche)) for code, label, key, rome, fiche in rows)


def _build_competences(session: Session) -> _Index:
    macros = dict(
        session.execute(
            select(RomeCompetence.code_ogr, RomeCompetence.label).where(RomeCompetence.is_macro)
        ).all()
    )
    rows = session.execute(
        select(
            RomeCompetence.code_ogr,
            RomeCompetence.label,
            RomeCompetence.search_key,
            RomeCompetence.category,
            RomeCompetence.macro_code_ogr,
        ).where(RomeCompetence.removed_in.is_(None), RomeCompetence.is_macro.is_(False))
    )
    return _Index(
        (code, label, key, (category, macro, macros.get(macro, "") if macro else ""))
        for code, label, key, category, macro in rows
    )


def search_appellations(session: Session, text: str, *, limit: int = 20) -> list[AppellationHit]:
    """The job titles best matching ``text`` (current release, removed ones left out)."""
    limit = max(1, min(limit, MAX_LIMIT))
    return [
        AppellationHit(
            code_ogr=e.key,
            label=e.label,
            code_rome=str(e.extra[0]),
            fiche_label=str(e.extra[1]),
            score=score,
        )
        for e, score in _index(session, "appellations").search(text, limit)
    ]


def search_competences(
    session: Session, text: str, *, limit: int = 20, category: str | None = None
) -> list[CompetenceHit]:
    """The competences best matching ``text``; ``category`` keeps only one category
    ("Savoir-faire", "Savoir-être professionnel", "Savoir")."""
    limit = max(1, min(limit, MAX_LIMIT))
    found = _index(session, "competences").search(text, limit if category is None else 10 * limit)
    hits = [
        CompetenceHit(
            code_ogr=e.key,
            label=e.label,
            category=str(e.extra[0]),
            macro_code_ogr=e.extra[1] if isinstance(e.extra[1], int) else None,
            macro_label=str(e.extra[2]),
            score=score,
        )
        for e, score in found
        if category is None or e.extra[0] == category
    ]
    return hits[:limit]
