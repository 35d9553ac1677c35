"""Brown & Gore's C index adapted to ROME codes: golden values worked by hand from the
definitions (hexagon R-I-A-S-E-C; agreement 3 same, 2 adjacent, 1 alternate, 0 opposite;
weights 3, 2, 1; one- and two-letter codes rescaled to 0-18), ties averaged over the
orderings, competition ranks, the flat and low rules."""

from __future__ import annotations

from fractions import Fraction

import pytest

from scoring.congruence import (
    agreement,
    c_index,
    c_points,
    mean_index,
    person,
    profile_status,
    rank,
)


def test_agreement_on_the_hexagon() -> None:
    # R-I-A-S-E-C around the circle: R's neighbours are I and C, its alternates A and E,
    # its opposite S.
    assert [agreement("R", x) for x in "RIASEC"] == [3, 2, 1, 0, 1, 2]
    assert [agreement("A", x) for x in "RIASEC"] == [1, 2, 3, 2, 1, 0]


def test_three_letter_c_is_brown_and_gore() -> None:
    # Person SAE, occupation SEC: 3·a(S,S) + 2·a(A,E) + 1·a(E,C) = 3·3 + 2·1 + 1·2 = 13.
    assert c_points("SAE", "SEC") == (13, 18)
    # Person RIA, occupation SEC: 3·a(R,S) + 2·a(I,E) + 1·a(A,C) = 0 + 0 + 0 = 0.
    assert c_points("RIA", "SEC") == (0, 18)
    assert c_index("RIA", "SEC") == 0


def test_two_letter_fiche_out_of_fifteen_rescaled() -> None:
    # Person SAE, fiche SE: 3·a(S,S) + 2·a(A,E) = 9 + 2 = 11 out of 15 -> 18·11/15 = 13.2.
    assert c_points("SAE", "SE") == (11, 15)
    assert c_index("SAE", "SE") == Fraction(66, 5)
    # Person SAE, fiche AS: 3·a(S,A) + 2·a(A,S) = 3·2 + 2·2 = 10 -> 18·10/15 = 12.
    assert c_index("SAE", "AS") == 12


def test_one_letter_fiche_out_of_nine_rescaled() -> None:
    # Person SAE, fiche E: 3·a(S,E) = 3·2 = 6 out of 9 -> 18·6/9 = 12.
    assert c_index("SAE", "E") == 12
    # Person SAE, fiche I: 3·a(S,I) = 3·1 = 3 -> 6; fiche R: 3·0 -> 0.
    assert c_index("SAE", "I") == 6
    assert c_index("SAE", "R") == 0
    # The same first letter: 18 whether the fiche has one letter or two matching ones.
    assert c_index("SAE", "S") == c_index("SAE", "SA") == 18


def test_ties_average_over_the_orderings() -> None:
    # S 40 first, I and A tied at 30, then R 10, E 5, C 0: orderings SIA and SAI, once each.
    p = person({"R": 10, "I": 30, "A": 30, "S": 40, "E": 5, "C": 0})
    assert p.code == "S[IA]"
    # Fiche SI: SIA gives 9 + 6 = 15 -> 18; SAI gives 9 + 2·a(A,I)=4 -> 13 -> 15.6;
    # mean (18 + 15.6) / 2 = 16.8. Fiche SA: the mirror image, 16.8 as well.
    assert mean_index(p, "SI") == mean_index(p, "SA") == Fraction(84, 5)
    # Fiche I: 3·a(S,I) = 3 -> 6 in both orderings.
    assert mean_index(p, "I") == 6


def test_tie_for_third_place_counts_each_full_ordering() -> None:
    # S 40, E 35 then R, I, A, C all at 10: orderings of the four tied letters: 24, six of
    # them starting with each letter, so the third letter is R, I, A or C, 6 times each.
    p = person({"R": 10, "I": 10, "A": 10, "S": 40, "E": 35, "C": 10})
    assert dict(p.orderings) == {"SER": 6, "SEI": 6, "SEA": 6, "SEC": 6}
    assert p.code == "SE[RIAC]"
    # Two-letter fiches compare only the first two letters: SE -> 15/15 -> 18 each time.
    assert mean_index(p, "SE") == 18


def test_ranking_ties_share_their_rank() -> None:
    p = person({"R": 10, "I": 30, "A": 30, "S": 40, "E": 5, "C": 0})
    fiches = [("K1", "SA"), ("K2", "SI"), ("K3", "S"), ("K4", "I"), ("K5", ""), ("K6", "R")]
    ranked = rank(p, fiches)
    # K3 "S": 3·3/9 -> 18 in both orderings; K1 and K2: 16.8 (above); K4 "I": 6;
    # K6 "R": 3·a(S,R) = 0. K5 has no code: left out.
    assert [(r.key, r.index, r.rank, r.tied) for r in ranked] == [
        ("K3", Fraction(18), 1, False),
        ("K1", Fraction(84, 5), 2, True),
        ("K2", Fraction(84, 5), 2, True),
        ("K4", Fraction(6), 4, False),
        ("K6", Fraction(0), 5, False),
    ]


def test_rank_is_independent_of_the_input_order() -> None:
    p = person({"R": 10, "I": 30, "A": 30, "S": 40, "E": 5, "C": 0})
    fiches = [("K1", "SA"), ("K2", "SI"), ("K3", "AI")]
    assert rank(p, fiches) == rank(p, list(reversed(fiches)))


@pytest.mark.parametrize(
    ("scores", "status"),
    [
        # highest 12 <= low_max 12: low
        ({"R": 12, "I": 3, "A": 0, "S": 5, "E": 1, "C": 2}, "low"),
        # highest 27, lowest 19: spread 8 <= 8: flat
        ({"R": 20, "I": 22, "A": 24, "S": 27, "E": 21, "C": 19}, "flat"),
        # highest 28, lowest 19: spread 9: ranked
        ({"R": 20, "I": 22, "A": 24, "S": 28, "E": 21, "C": 19}, "ok"),
        ({"R": None, "I": 22, "A": 24, "S": 28, "E": 21, "C": 19}, "missing"),
    ],
)
def test_flat_and_low_profiles(scores: dict[str, float | None], status: str) -> None:
    assert profile_status(scores, flat_max_differentiation=8, low_max=12) == status


def test_person_needs_six_types() -> None:
    with pytest.raises(ValueError):
        person({"R": 1, "I": 2})
