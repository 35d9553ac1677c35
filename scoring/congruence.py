"""Congruence between a person's RIASEC scores and an occupation's RIASEC code: Brown &
Gore's C index (Brown, S. D., & Gore, P. A., 1994, "An evaluation of interest congruence
indices: Distribution characteristics and measurement properties", *Journal of
Vocational Behavior*, 45, 310-327), adapted to the one- and two-letter codes of the ROME.

The C index (three-letter codes)
    ``C = 3·a(p1, o1) + 2·a(p2, o2) + 1·a(p3, o3)``, where ``p1 p2 p3`` is the person's
    code, ``o1 o2 o3`` the occupation's, and ``a`` the agreement of two letters by their
    distance on Holland's hexagon R-I-A-S-E-C: 3 for the same letter, 2 for adjacent
    letters (R-I, S-E, C-R...), 1 for alternate letters (R-A, I-S...), 0 for opposite
    letters (R-S, I-E, A-C). C goes from 0 to 18.

Adaptation to the ROME (a majeur letter, and a mineur letter or none)
    Only the positions the fiche has are compared, with their C weights: a two-letter
    fiche gives ``3·a(p1, o1) + 2·a(p2, o2)`` out of 15, a one-letter fiche
    ``3·a(p1, o1)`` out of 9. The result is rescaled to the 0-18 range of the C index
    (``18 × points ÷ maximum``) so that one- and two-letter fiches are comparable: a fiche
    ``S`` and a fiche ``SA`` both reach 18 for a person ``SAE``. A fiche without a
    RIASEC code is not ranked.

Ties in the person's scores
    The person's code is the three highest types. When scores are tied, no order is
    chosen: the index is the mean over every ordering of the six types compatible with the
    scores (each tied group in all its orders, each ordering counted once), computed
    exactly (fractions). Equal indices give equal ranks ("ex aequo", competition ranking:
    1, 2, 2, 4).

Flat or low profile
    No ranking when the highest score is at most ``low_max`` (interests uniformly low) or
    when the spread (highest minus lowest) is at most ``flat_max_differentiation`` (no
    type stands out): the instrument's own thresholds (riasec-60: scores 0-40, low at 12
    or less, flat at a spread of 8 or less), the same as its results pages.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache

HEXAGON = "RIASEC"
#: Agreement of two letters by their hexagon distance (0 same, 1 adjacent, 2 alternate,
#: 3 opposite).
AGREEMENT = (3, 2, 1, 0)
#: Weights of the first, second and third letters.
WEIGHTS = (3, 2, 1)
C_MAX = 18
#: Scores equal to this many decimals are tied (stored scores are prorated floats).
_DECIMALS = 6


def distance(a: str, b: str) -> int:
    """Hexagon distance of two RIASEC letters (0 to 3).

    >>> distance("R", "I"), distance("R", "A"), distance("R", "S"), distance("C", "R")
    (1, 2, 3, 1)
    """
    d = abs(HEXAGON.index(a) - HEXAGON.index(b))
    return min(d, 6 - d)


def agreement(a: str, b: str) -> int:
    """3 same letter, 2 adjacent, 1 alternate, 0 opposite.

    >>> agreement("S", "S"), agreement("S", "E"), agreement("S", "I"), agreement("S", "R")
    (3, 2, 1, 0)
    """
    return AGREEMENT[distance(a, b)]


def c_points(person: str, code: str) -> tuple[int, int]:
    """The C points of an (untied) person code against a 1- to 3-letter code, and the
    maximum attainable for that code's length.

    >>> c_points("SAE", "SA")   # 3·3 + 2·3
    (15, 15)
    >>> c_points("SAE", "E")    # 3·a(S, E) = 3·2
    (6, 9)
    """
    points = sum(w * agreement(p, o) for w, p, o in zip(WEIGHTS, person, code, strict=False))
    return points, 3 * sum(WEIGHTS[: len(code)])


def c_index(person: str, code: str) -> Fraction:
    """C rescaled to 0-18 for a 1-, 2- or 3-letter code (see the module notes).

    >>> c_index("SAE", "SAE"), c_index("SAE", "S"), c_index("SAE", "E")
    (Fraction(18, 1), Fraction(18, 1), Fraction(12, 1))
    """
    points, top = c_points(person, code)
    return Fraction(points * C_MAX, top)


@dataclass(frozen=True)
class Person:
    """A person's RIASEC scores as the index needs them.

    ``orderings`` maps each possible three-letter code (the top three of an ordering of
    the six types compatible with the scores) to how many orderings give it.
    """

    scores: tuple[tuple[str, float], ...]
    groups: tuple[tuple[str, ...], ...]  # tied groups, highest first
    orderings: tuple[tuple[str, int], ...]

    @cached_property
    def top(self) -> frozenset[str]:
        """The letters that can be among the first three (every letter of a tied group
        reaching into the first three places)."""
        return frozenset(letter for code, _n in self.orderings for letter in code)

    def places(self, letter: str) -> tuple[int, ...]:
        """The places (1-6) the letter can hold, given the ties."""
        start = 1
        for group in self.groups:
            if letter in group:
                return tuple(range(start, start + len(group)))
            start += len(group)
        return ()

    @property
    def code(self) -> str:
        """The code with ties in brackets, as :func:`scoring.profiles.holland_code`."""
        out, place = "", 0
        for group in self.groups:
            if place >= 3:
                break
            out += group[0] if len(group) == 1 else "[" + "".join(group) + "]"
            place += len(group)
        return out


def person(scores: Mapping[str, float]) -> Person:
    """The person from six scores keyed by letter (any order).

    >>> p = person({"R": 10, "I": 30, "A": 30, "S": 40, "E": 5, "C": 0})
    >>> p.code, dict(p.orderings)
    ('S[IA]', {'SAI': 1, 'SIA': 1})
    """
    if set(scores) != set(HEXAGON):
        raise ValueError(f"six RIASEC scores expected, got {sorted(scores)}")
    rounded = {k: round(float(scores[k]), _DECIMALS) for k in HEXAGON}
    levels = sorted(set(rounded.values()), reverse=True)
    groups = tuple(tuple(k for k in HEXAGON if rounded[k] == v) for v in levels)
    return Person(
        scores=tuple((k, rounded[k]) for k in HEXAGON),
        groups=groups,
        orderings=_orderings(groups),
    )


@lru_cache(maxsize=256)
def _orderings(groups: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, int], ...]:
    counts: Counter[str] = Counter()
    for parts in itertools.product(*(itertools.permutations(g) for g in groups)):
        order = "".join("".join(p) for p in parts)
        counts[order[:3]] += 1
    return tuple(sorted(counts.items()))


def mean_index(who: Person, code: str) -> Fraction:
    """The rescaled C index of ``code``, averaged over the person's orderings.

    >>> p = person({"R": 10, "I": 30, "A": 30, "S": 40, "E": 5, "C": 0})
    >>> mean_index(p, "SI"), mean_index(p, "SA")   # (18 + 18·13/15) / 2, the same for SA
    (Fraction(84, 5), Fraction(84, 5))
    """
    return _mean_index(who.orderings, code)


@lru_cache(maxsize=4096)
def _mean_index(orderings: tuple[tuple[str, int], ...], code: str) -> Fraction:
    total = sum(n for _c, n in orderings)
    return sum((c_index(c, code) * n for c, n in orderings), Fraction(0)) / total


@dataclass(frozen=True)
class Ranked:
    key: str
    code: str
    index: Fraction
    rank: int
    tied: bool  # another item has the same index ("ex aequo")


def rank(who: Person, items: Iterable[tuple[str, str]]) -> list[Ranked]:
    """Rank ``(key, code)`` pairs by their index, highest first; equal indices share
    their rank (1, 2, 2, 4) and are then listed by key. Items without a code are left
    out. (The index is computed once per distinct code: the ROME has at most 42.)"""
    return rank_first(who, items, None)[0]


def rank_first(
    who: Person, items: Iterable[tuple[str, str]], limit: int | None
) -> tuple[list[Ranked], int]:
    """The first ``limit`` of :func:`rank` (all with None) and how many are ranked."""
    by_code: dict[str, list[str]] = {}
    for key, code in items:
        if code:
            by_code.setdefault(code, []).append(key)
    return rank_groups(who, by_code, limit)


def rank_groups(
    who: Person, by_code: Mapping[str, Sequence[str]], limit: int | None
) -> tuple[list[Ranked], int]:
    """:func:`rank_first` from the keys grouped by code (each group in any order)."""
    index = {code: mean_index(who, code) for code in by_code if code}
    levels = sorted(set(index.values()), reverse=True)
    level_of = {v: i for i, v in enumerate(levels)}
    codes: list[list[str]] = [[] for _ in levels]
    for code, value in index.items():
        codes[level_of[value]].append(code)
    total = sum(len(by_code[code]) for code in index)
    wanted = total if limit is None else min(limit, total)
    out: list[Ranked] = []
    for level, group_codes in zip(levels, codes, strict=True):
        if len(out) >= wanted:
            break
        group = sorted((key, code) for code in group_codes for key in by_code[code])
        first = len(out) + 1
        tied = len(group) > 1
        out.extend(
            Ranked(key, code, level, first, tied) for key, code in group[: wanted - len(out)]
        )
    return out, total


def profile_status(
    scores: Mapping[str, float | None],
    *,
    flat_max_differentiation: float | None,
    low_max: float | None,
) -> str:
    """ "ok", "missing" (a type has no score), "low" or "flat" (see the module notes).

    >>> profile_status({"R": 10, "I": 11, "A": 12, "S": 9, "E": 8, "C": 7},
    ...                flat_max_differentiation=8, low_max=12)
    'low'
    >>> profile_status({"R": 20, "I": 22, "A": 24, "S": 27, "E": 21, "C": 19},
    ...                flat_max_differentiation=8, low_max=12)
    'flat'
    """
    values: Sequence[float | None] = [scores.get(k) for k in HEXAGON]
    if any(v is None for v in values):
        return "missing"
    nums = [float(v) for v in values if v is not None]
    if low_max is not None and max(nums) <= low_max:
        return "low"
    if flat_max_differentiation is not None and max(nums) - min(nums) <= flat_max_differentiation:
        return "flat"
    return "ok"
