"""Profiles (reports/profile.py): stored score rows turned into printable views.

Expected values come from outside the code under test: hand calculation, the normal curve
computed here from ``math.erfc`` (and checked against ``scipy.stats.norm``), the
instrument YAML files read with PyYAML, or answers designed so that the sums are known.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.support import Translations
from scipy.stats import norm

from instruments import BUILTIN_DIR, Instrument, load_instrument
from reports.profile import ProfileView, build_profile
from service.features.journey.completion import score_answers
from tests.conftest import ROOT

NBSP, NNBSP = "\u00a0", "\u202f"
BFI_YAML = BUILTIN_DIR / "ipip-bfi-25.yaml"
RIASEC_YAML = BUILTIN_DIR / "riasec-60.yaml"
VALUES_YAML = BUILTIN_DIR / "valeurs-travail.yaml"
SPI_YAML = BUILTIN_DIR / "spi-135.yaml"
BFI_IDS = ["agreeableness", "conscientiousness", "extraversion", "neuroticism", "openness"]
VALUE_IDS = ["reussite", "independance", "reconnaissance", "relations", "soutien"]
VALUE_IDS += ["conditions_travail"]


# --- independent sources ------------------------------------------------------------------


def normal_percentile(t: float) -> float:
    """100 x Phi((T - 50) / 10), from the complementary error function."""
    return 50.0 * math.erfc(-(t - 50.0) / 10.0 / math.sqrt(2.0))


def whole(p: float) -> str:
    """A percentile as printed: clipped to 1-99, nearest whole number (no ties here)."""
    return str(math.floor(min(99.0, max(1.0, p)) + 0.5))


def raw_yaml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def yaml_scale(path: Path, scale_id: str) -> dict[str, Any]:
    (scale,) = [s for s in raw_yaml(path)["scales"] if s["id"] == scale_id]
    return scale


def yaml_label(path: Path, scale_id: str, level: str, lang: str = "fr") -> str:
    (band,) = [b for b in yaml_scale(path, scale_id)["bands"]["levels"] if b["level"] == level]
    label: str = band["label"][lang]
    return label


def yaml_name(path: Path, scale_id: str, lang: str = "fr") -> str:
    name: str = yaml_scale(path, scale_id)["name"][lang]
    return name


# --- fixtures and builders ----------------------------------------------------------------


@pytest.fixture(scope="module")
def bfi() -> Instrument:
    return load_instrument(BFI_YAML)


@pytest.fixture(scope="module")
def riasec() -> Instrument:
    return load_instrument(RIASEC_YAML)


@pytest.fixture(scope="module")
def values() -> Instrument:
    return load_instrument(VALUES_YAML)


@pytest.fixture(scope="module")
def english() -> Translations:
    return Translations.load(str(ROOT / "service" / "translations"), ["en"])


def normed_row(ts: dict[str, float] | None = None, **extra: Any) -> dict[str, Any]:
    """A stored BFI row: every scale answered (5/5, mean 3.5), T = 50 unless given in
    ``ts``, band T +/- 5, percentile from the normal curve, level from that percentile
    with the YAML's cut points (30 and 70)."""
    row: dict[str, Any] = {}
    for sid in BFI_IDS:
        t = (ts or {}).get(sid, 50.0)
        p = normal_percentile(t)
        level = "low" if p < 30 else ("high" if p >= 70 else "average")
        row |= {
            f"{sid}.raw": 17.5,
            f"{sid}.mean": 3.5,
            f"{sid}.n": 5,
            f"{sid}.missing": False,
            f"{sid}.t": t,
            f"{sid}.band_low": t - 5,
            f"{sid}.band_high": t + 5,
            f"{sid}.percentile": p,
            f"{sid}.level": level,
            f"{sid}.norm_group": "all",
        }
    return row | extra


def scale(view: ProfileView, sid: str) -> Any:
    (found,) = [s for s in view.scales if s.id == sid]
    return found


def texts_of(view: ProfileView) -> list[str]:
    """Every sentence a reader sees in a view."""
    out = [view.summary, *view.limits, *view.notices, *(f.message for f in view.flags)]
    out += [f.plain for f in view.flags] + [view.value_ranking_note or ""]
    for r in view.value_ranks:
        out += [r.level_label or "", r.level_text or "", r.importance or ""]
    out += [view.riasec_message or ""]
    for s in view.scales:
        out += [s.score or "", s.missing_reason or "", s.level_label or "", s.name]
    return [t for t in out if t]


# --- one scale: numbers and texts ---------------------------------------------------------


@pytest.mark.parametrize(
    ("t_low", "t_high", "low", "high"),
    [
        (40.0, 60.0, "16", "84"),  # Phi(-1) = 0.1587, Phi(1) = 0.8413
        (45.0, 55.0, "31", "69"),  # Phi(-0.5) = 0.3085, Phi(0.5) = 0.6915
        (30.0, 70.0, "2", "98"),  # Phi(-2) = 0.0228, Phi(2) = 0.9772
        (20.0, 80.0, "1", "99"),  # Phi(-3) = 0.0013 and Phi(3) = 0.9987, clipped
        (53.3, 66.4, "63", "95"),  # Phi(0.33) = 0.6293, Phi(1.64) = 0.9495
    ],
)
def test_percentile_band_ends_are_read_under_the_normal_curve(bfi, t_low, t_high, low, high):
    # Two independent computations of the golden values agree with the literals above.
    for t, printed in ((t_low, low), (t_high, high)):
        assert whole(normal_percentile(t)) == printed
        assert whole(100 * float(norm.cdf((t - 50) / 10))) == printed
    # The person's percentile is the normal curve's at the middle of the T band.
    row = normed_row({"openness": (t_low + t_high) / 2})
    row |= {"openness.band_low": t_low, "openness.band_high": t_high}
    view = build_profile(bfi, row)
    s = scale(view, "openness")
    assert (s.band_low, s.band_high) == (low, high)
    assert (s.t_low, s.t_high) == (t_low, t_high)


@pytest.mark.parametrize("pct", [3.0, 25.0, 31.0, 50.0, 68.0, 97.0])
def test_percentile_band_holds_the_percentile_even_when_it_is_not_the_normal_curves(bfi, pct):
    # T 40 [35, 45] is percentile 16 under the normal curve, but the norm group's observed
    # distribution gave ``pct``: the printed band is laid around ``pct`` (same width in z,
    # half the T band / 10), so the point never falls outside its own band.
    row = normed_row({"openness": 40.0}) | {"openness.percentile": pct}
    s = scale(build_profile(bfi, row), "openness")
    z0 = float(norm.ppf(pct / 100))
    expected = tuple(min(99.0, max(1.0, 100 * float(norm.cdf(z)))) for z in (z0 - 0.5, z0 + 0.5))
    assert (s.percentile_low, s.percentile_high) == pytest.approx(expected)
    assert s.percentile_low < pct < s.percentile_high
    assert (s.band_low, s.band_high) == (whole(expected[0]), whole(expected[1]))


@pytest.mark.parametrize(
    ("stored", "printed"), [(0.3, "1"), (0.0, "1"), (99.8, "99"), (100.0, "99"), (57.4, "57")]
)
def test_percentile_is_clipped_to_1_99_and_printed_whole(bfi, stored, printed):
    row = normed_row() | {"neuroticism.percentile": stored}
    s = scale(build_profile(bfi, row), "neuroticism")
    assert s.percentile == printed
    assert s.percentile_value == stored  # the number itself is kept as stored


def test_t_score_and_band_are_kept_as_numbers(bfi):
    row = normed_row({"extraversion": 63.25})
    s = scale(build_profile(bfi, row), "extraversion")
    assert s.t == 63.25
    assert (s.t_low, s.t_high) == (58.25, 68.25)
    assert s.normed


@pytest.mark.parametrize(
    ("mean", "text"),
    [
        (2.56, "2,6 sur une échelle de 1 à 6"),
        (2.0, "2 sur une échelle de 1 à 6"),
        (5.8, "5,8 sur une échelle de 1 à 6"),
    ],
)
def test_score_text_has_a_decimal_comma_and_the_answer_range(bfi, mean, text):
    row = normed_row() | {"openness.mean": mean}
    s = scale(build_profile(bfi, row), "openness")
    assert s.score == text
    assert s.range == (1.0, 6.0)  # accuracy6: options 1..6 in the YAML


def test_score_text_in_english_has_a_decimal_point(bfi, english):
    row = normed_row() | {"openness.mean": 2.56}
    s = scale(build_profile(bfi, row, lang="en", translations=english), "openness")
    assert s.score == "2.6 on a scale from 1 to 6"


@pytest.mark.parametrize(
    ("pct", "level"), [(10.0, "low"), (29.9, "low"), (30.0, "average"), (70.0, "high")]
)
def test_level_label_is_the_yaml_band_of_the_percentile(bfi, pct, level):
    # The YAML cuts on percentile 30 and 70 (min inclusive): the level is read from the
    # percentile with those cut-points, whatever level code the row stored.
    cuts = [b.get("min") for b in yaml_scale(BFI_YAML, "agreeableness")["bands"]["levels"]]
    assert cuts == [None, 30, 70]
    row = normed_row() | {"agreeableness.percentile": pct, "agreeableness.level": "average"}
    s = scale(build_profile(bfi, row), "agreeableness")
    assert s.level == level
    assert s.level_label == yaml_label(BFI_YAML, "agreeableness", level)


def test_level_label_in_english_comes_from_the_yaml(bfi, english):
    row = normed_row() | {"agreeableness.percentile": 85.0}
    view = build_profile(bfi, row, lang="en", translations=english)
    assert scale(view, "agreeableness").level_label == "Rather high"
    assert yaml_label(BFI_YAML, "agreeableness", "high", "en") == "Rather high"


def test_stored_level_is_used_only_without_the_bands_metric(bfi):
    row = normed_row() | {"agreeableness.level": "high"}
    del row["agreeableness.percentile"]
    assert scale(build_profile(bfi, row), "agreeableness").level == "high"
    row["agreeableness.level"] = "stratospheric"
    s = scale(build_profile(bfi, row), "agreeableness")
    assert s.level_label is None and s.level_text is None


def test_missing_scale_says_how_many_answers_it_had_and_needed(bfi):
    # min_answered 0.6 of 5 items (YAML): ceil(3.0) = 3 answers needed.
    assert yaml_scale(BFI_YAML, "conscientiousness")["min_answered"] == 0.6
    assert bfi.scale("conscientiousness").required_answers() == 3
    row = normed_row() | {
        "conscientiousness.missing": True,
        "conscientiousness.n": 2,
        "conscientiousness.mean": None,
        "conscientiousness.t": None,
        "conscientiousness.percentile": None,
    }
    s = scale(build_profile(bfi, row), "conscientiousness")
    assert s.missing
    assert s.missing_reason == (
        f"Pas assez de réponses pour calculer ce résultat{NBSP}: 2 sur 5, il en faut au moins 3."
    )
    assert (s.answered, s.n_items, s.required) == (2, 5, 3)
    assert s.score is None and s.percentile is None and s.t is None


def test_scale_without_any_score_is_missing_even_without_the_flag(bfi):
    row = normed_row()
    for key in ("mean", "t", "percentile", "missing", "n"):
        row.pop(f"openness.{key}")
    s = scale(build_profile(bfi, row), "openness")
    assert s.missing
    assert s.missing_reason is not None and "0 sur 5" in s.missing_reason


def test_missing_reason_in_english(bfi, english):
    row = normed_row() | {"openness.missing": True, "openness.n": 1, "openness.mean": None}
    s = scale(build_profile(bfi, row, lang="en", translations=english), "openness")
    assert s.missing_reason == (
        "Not enough answers to calculate this result: 1 out of 5, at least 3 are needed."
    )


# --- summary ------------------------------------------------------------------------------


def test_summary_all_in_the_average_zone(bfi):
    # T 45 to 55: percentiles 31 to 69 under the normal curve, all in the YAML's average
    # band (30 to 70), so the printed levels agree with the summary.
    ts = dict(zip(BFI_IDS, [45.0, 55.0, 50.0, 46.0, 54.9], strict=True))
    view = build_profile(bfi, normed_row(ts))
    assert {s.level_label for s in view.scales} == {yaml_label(BFI_YAML, "openness", "average")}
    assert view.summary == (
        "Tous les résultats se situent dans la zone moyenne du groupe de référence."
    )


def test_summary_agrees_with_a_printed_level_inside_t_40_60(bfi):
    # T 42.6 is percentile 23 under the normal curve (100 Phi(-0.74) = 22.96), below the
    # YAML's cut point 30: the scale is printed "Plutôt bas", so the summary may not say
    # that every result is in the average zone.
    assert whole(normal_percentile(42.6)) == "23"
    view = build_profile(bfi, normed_row({"conscientiousness": 42.6}))
    assert scale(view, "conscientiousness").level_label == "Plutôt bas"
    assert "zone moyenne" not in view.summary
    assert view.summary == (
        f"Résultats les plus marqués{NBSP}: Conscience (plutôt bas, rang percentile 23)."
    )


def test_summary_lists_at_most_three_marked_scales_the_most_extreme_first(bfi):
    # |T - 50|: neuroticism 25, extraversion 22, openness 15, agreeableness 12 (not listed).
    ts = {"agreeableness": 38.0, "extraversion": 72.0, "neuroticism": 25.0, "openness": 65.0}
    view = build_profile(bfi, normed_row(ts))
    extra = normal_percentile(72.0)  # 98.61
    neuro = normal_percentile(25.0)  # 0.62 -> clipped to 1
    open_ = normal_percentile(65.0)  # 93.32
    assert (whole(extra), whole(neuro), whole(open_)) == ("99", "1", "93")
    n, e, o = (yaml_name(BFI_YAML, sid) for sid in ("neuroticism", "extraversion", "openness"))
    low, high = yaml_label(BFI_YAML, "openness", "low"), yaml_label(BFI_YAML, "openness", "high")
    assert view.summary == (
        f"Résultats les plus marqués{NBSP}: "
        f"{n} ({low.lower()}, rang percentile 1){NNBSP}; "
        f"{e} ({high.lower()}, rang percentile 99){NNBSP}; "
        f"{o} ({high.lower()}, rang percentile 93)."
    )
    assert "Névrosisme" in n and low == "Plutôt bas"
    assert yaml_name(BFI_YAML, "agreeableness") not in view.summary


def test_summary_names_missing_scales_and_announces_no_validity_detail_it_lacks(bfi):
    row = normed_row() | {
        "openness.missing": True,
        "openness.mean": None,
        "openness.t": None,
        "openness.n": 1,
        "flag.longstring": True,
        "validity.longstring": 12,
        "flag.too_fast": True,
        "validity.seconds_per_item": 0.8,
        "flag.irv": False,
    }
    view = build_profile(bfi, row)
    assert view.summary.endswith(f"Non calculé faute de réponses{NBSP}: Ouverture.")
    # The flags are not counted in the summary ("2 (détail ci-dessous)" with no detail
    # below, in the report): each carries its own sentence for each reader instead.
    assert "vigilance" not in view.summary and "ci-dessous" not in view.summary
    assert [f.key for f in view.flags] == ["longstring", "too_fast"]
    assert all(f.message and f.plain and f.plain != f.message for f in view.flags)


def test_summary_of_an_unnormed_questionnaire_names_highest_and_lowest(bfi):
    row: dict[str, Any] = {}
    for sid, mean in zip(BFI_IDS, [3.0, 4.2, 1.6, 2.5, 5.1], strict=True):
        row |= {f"{sid}.mean": mean, f"{sid}.n": 5, f"{sid}.missing": False}
    view = build_profile(bfi, row, norm_version="ignored")
    assert not view.normed and view.norm_version is None and view.norm_group is None
    assert view.summary == (
        f"Score le plus élevé{NBSP}: Ouverture{NNBSP}; le plus bas{NBSP}: Extraversion."
    )
    assert any("Aucune norme n’est utilisée" in limit for limit in view.limits)


def _designed_riasec(riasec: Instrument) -> dict[str, float]:
    """R all 4 (sum 40), I all 3 (30), A all 2 (20), S all 1 (10), E all 0 (0),
    C half 1 and half 0 (5): the Holland code is R-I-A."""
    by_letter = {"R": [4] * 10, "I": [3] * 10, "A": [2] * 10, "S": [1] * 10, "E": [0] * 10}
    by_letter["C"] = [1, 0] * 5
    return {f"{letter}{k + 1:02d}": v for letter, vs in by_letter.items() for k, v in enumerate(vs)}


def test_riasec_profile_from_scored_answers_uses_raw_sums_out_of_40(riasec):
    scores, _key, norm_version = score_answers(
        riasec, _designed_riasec(riasec), respondent=1, seconds=600
    )
    view = build_profile(riasec, scores, norm_version=norm_version)
    names = {
        letter: yaml_name(RIASEC_YAML, sid)
        for letter, sid in raw_yaml(RIASEC_YAML)["profile"]["scales"].items()
    }
    assert view.riasec_scores == (
        ("R", names["R"], 40.0),
        ("I", names["I"], 30.0),
        ("A", names["A"], 20.0),
        ("S", names["S"], 10.0),
        ("E", names["E"], 0.0),
        ("C", names["C"], 5.0),
    )
    assert view.riasec_max == 40.0  # 10 items x 4 (like5: 0..4)
    assert view.riasec_code == "RIA"
    assert view.summary == (
        f"Code d’intérêts{NBSP}: RIA (dominantes{NBSP}: {names['R']}, {names['I']}, {names['A']})."
    )
    assert scale(view, "realiste").score == "40 sur une échelle de 0 à 40"
    assert scale(view, "conventionnel").score == "5 sur une échelle de 0 à 40"
    assert not view.normed and view.norm_version is None


def test_riasec_summary_with_tied_letters_names_every_letter(riasec):
    row: dict[str, Any] = {}
    for sc in riasec.scales:
        row |= {f"{sc.id}.raw": 20.0, f"{sc.id}.mean": 2.0, f"{sc.id}.n": 10}
    view = build_profile(riasec, row | {"riasec.code": "S[AE]"})
    for sid in ("social", "artistique", "entreprenant"):
        assert yaml_name(RIASEC_YAML, sid) in view.summary
    for sid in ("realiste", "investigateur", "conventionnel"):
        assert yaml_name(RIASEC_YAML, sid) not in view.summary


@pytest.mark.parametrize("which", ["flat", "low"])
def test_riasec_flat_or_low_profile_gives_the_yaml_message_and_no_code(riasec, which):
    row: dict[str, Any] = {}
    for sc in riasec.scales:
        row |= {f"{sc.id}.raw": 20.0, f"{sc.id}.mean": 2.0, f"{sc.id}.n": 10}
    view = build_profile(riasec, row | {"riasec.code": "SIA", f"riasec.{which}": True})
    assert view.riasec_code is None
    message = raw_yaml(RIASEC_YAML)["metadata"]["messages"][which]["fr"]
    first_words = " ".join(message.split()[:4]).replace("'", "’")
    assert view.riasec_message is not None and view.riasec_message.startswith(first_words)
    # The summary (read by the counsellor too) says it without speaking to the person.
    assert view.summary == view.riasec_note and "pas de code à trois lettres" in view.summary
    assert not any(w in view.summary.split() for w in ("vous", "Vos", "vos", "votre", "Votre"))


def test_values_summary_lists_top_priorities_and_the_least_priority(values):
    ranks = dict(zip(VALUE_IDS, [3.0, 6.0, 1.0, 4.0, 2.0, 5.0], strict=True))
    row: dict[str, Any] = {}
    for sid, r in ranks.items():
        row |= {f"{sid}.mean": 3.0, f"{sid}.n": 2, f"{sid}.rank": r, f"{sid}.ipsative": 0.1}
    # No ranking of the six values stored (part b missing): the ratings' order is used.
    view = build_profile(values, row)
    names = {sid: yaml_name(VALUES_YAML, sid) for sid in VALUE_IDS}
    assert view.summary.startswith(
        f"Valeurs prioritaires{NBSP}: {names['reconnaissance']}, {names['soutien']}."
        f" Moins prioritaire{NBSP}: {names['independance']}."
    )
    assert [r.name for r in view.value_ranks] == [
        names[s]
        for s in ("reconnaissance", "soutien", "reussite", "relations", "conditions_travail")
    ] + [names["independance"]]
    assert [r.rank for r in view.value_ranks] == ["1", "2", "3", "4", "5", "6"]


def test_values_ties_print_a_decimal_rank_and_count_as_top_priority(values):
    ranks = dict(zip(VALUE_IDS, [1.0, 2.5, 2.5, 4.0, 5.0, 6.0], strict=True))
    row: dict[str, Any] = {}
    for sid, r in ranks.items():
        row |= {f"{sid}.mean": 3.0, f"{sid}.n": 2, f"{sid}.rank": r, f"{sid}.ipsative": 0.0}
    view = build_profile(values, row)
    tied = [r for r in view.value_ranks if r.tied]
    assert [(r.rank, r.scale_id) for r in tied] == [
        ("2,5", "independance"),
        ("2,5", "reconnaissance"),
    ]
    top = view.summary.split(".")[0]
    for sid in ("reussite", "independance", "reconnaissance"):
        assert yaml_name(VALUES_YAML, sid) in top
    assert yaml_name(VALUES_YAML, "relations") not in top
    # No jargon: the word "ipsatif" is in the YAML's notice, never in the view.
    assert "ipsati" in raw_yaml(VALUES_YAML)["metadata"]["ipsative_notice"]["fr"]
    assert not any("ipsati" in t.lower() for t in [*texts_of(view), *view.notices])
    assert view.value_ranking_note is not None and "affirmations" in view.value_ranking_note


def test_values_show_the_persons_own_ranking_when_given_with_its_levels_words(values):
    # The ratings put reussite first, but the person ranked it 6th and soutien 1st: ONE
    # ranking is shown, the person's own, and each value's level words follow that place.
    ratings = dict(zip(VALUE_IDS, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], strict=True))
    own = dict(zip(VALUE_IDS, [6, 3, 4, 5, 1, 2], strict=True))
    row: dict[str, Any] = {}
    for sid in VALUE_IDS:
        row |= {f"{sid}.mean": 4.0, f"{sid}.n": 2, f"{sid}.rank": ratings[sid]}
        # The ranking scale scores the reversed rank: 1 + 6 - rank (YAML: -RANG_...).
        row |= {f"{sid}_classement.mean": 7.0 - own[sid], f"{sid}_classement.n": 1}
    view = build_profile(values, row)
    assert [(r.scale_id, r.rank) for r in view.value_ranks] == sorted(
        ((sid, str(own[sid])) for sid in VALUE_IDS), key=lambda p: int(p[1])
    )
    first, last = view.value_ranks[0], view.value_ranks[-1]
    assert first.level_label == yaml_label(VALUES_YAML, "soutien", "prioritaire")
    assert last.scale_id == "reussite"
    assert last.level_label == yaml_label(VALUES_YAML, "reussite", "moins_prioritaire")
    assert first.importance == "4 sur 5"
    assert view.summary.startswith(f"Valeurs prioritaires{NBSP}: Soutien, Conditions de travail.")
    assert view.value_ranking_note is not None and "classées" in view.value_ranking_note


def test_values_profile_from_scored_answers_follows_the_importance_means(values):
    # Importance answers: every statement of a value gets the same answer, so the value
    # means are 5, 4, 3, 2, 1 and 1 (ranks 1, 2, 3, 4 and 5.5 twice).
    answer = {"reussite": 5, "independance": 4, "reconnaissance": 3, "relations": 2}
    answer |= {"soutien": 1, "conditions_travail": 1}
    given: dict[str, float] = {}
    for sid, v in answer.items():
        for m in values.scale(sid).members:
            given[m.item] = v
    items = [m["items"][0].lstrip("-") for m in raw_yaml(VALUES_YAML)["scales"][6:]]
    given |= {item: k + 1 for k, item in enumerate(items)}
    scores, _key, _nv = score_answers(values, given, respondent=1, seconds=600)
    view = build_profile(values, scores)
    # The person's own ranking (part b, ranks 1 to 6 in the scales' order) is THE ranking.
    assert [(r.scale_id, r.rank) for r in view.value_ranks] == [
        ("reussite", "1"),
        ("independance", "2"),
        ("reconnaissance", "3"),
        ("relations", "4"),
        ("soutien", "5"),
        ("conditions_travail", "6"),
    ]
    assert f"Moins prioritaire{NBSP}: Conditions de travail." in view.summary
    # Ipsative and ranking scales print no "x sur une échelle" score.
    assert all(s.score is None for s in view.scales)


# --- validity flags -----------------------------------------------------------------------


ALL_FLAGS: dict[str, Any] = {
    "flag.longstring": True,
    "validity.longstring": 12,
    "flag.irv": True,
    "validity.irv": 0.4237,
    "flag.missing": True,
    "validity.missing_share": 1 / 3,
    "flag.too_fast": True,
    "validity.seconds_per_item": 0.84,
    "flag.inconsistent": True,
    "validity.inconsistency": 3.4,
    "flag.flat_profile": True,
    "validity.profile_sd": 0.05,
}


def test_each_raised_flag_has_its_plain_words_message_with_the_number(bfi):
    view = build_profile(bfi, normed_row(**ALL_FLAGS))
    messages = {f.key: f.message for f in view.flags}
    assert list(messages) == [
        "longstring",
        "irv",
        "missing",
        "too_fast",
        "inconsistent",
        "flat_profile",
    ]
    assert messages["longstring"].startswith(f"12 réponses identiques de suite{NBSP}: ")
    assert f"(écart-type de 0,42){NBSP}:" in messages["irv"]
    assert messages["missing"].startswith(f"33{NBSP}% des questions sont restées sans réponse")
    assert f"{NBSP}: 0,8 seconde par question en moyenne." in messages["too_fast"]  # singular < 2
    assert "(écart moyen de 3,4 points)" in messages["inconsistent"]
    assert messages["flat_profile"].startswith(f"Profil plat{NBSP}: ")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1.94, "1,9 seconde par"), (1.96, "2 secondes par"), (3.25, "3,3 secondes par")],
)
def test_seconds_take_the_french_plural_from_two(bfi, seconds, text):
    row = normed_row(**{"flag.too_fast": True, "validity.seconds_per_item": seconds})
    (flag,) = build_profile(bfi, row).flags
    assert text in flag.message


def test_flags_in_english_have_english_numbers_and_no_french_spaces(bfi, english):
    view = build_profile(bfi, normed_row(**ALL_FLAGS), lang="en", translations=english)
    messages = {f.key: f.message for f in view.flags}
    assert messages["longstring"].startswith("12 identical answers in a row: ")
    assert messages["missing"].startswith("33% of the questions were left unanswered")
    assert "0.42" in messages["irv"] and "0.8" in messages["too_fast"]
    assert not any(NBSP in m or NNBSP in m for m in messages.values())


def test_no_raised_flag_gives_no_message_even_with_validity_values(bfi):
    lowered = {k: (False if k.startswith("flag.") else v) for k, v in ALL_FLAGS.items()}
    assert build_profile(bfi, normed_row(**lowered)).flags == ()
    assert build_profile(bfi, normed_row()).flags == ()


def test_a_truthy_non_boolean_flag_is_not_a_raised_flag(bfi):
    # Stored rows hold JSON booleans; a string "False" must not count as raised.
    view = build_profile(bfi, normed_row(**{"flag.longstring": "False"}))
    assert view.flags == ()


# --- French typography, English catalogue -------------------------------------------------


def test_french_texts_have_no_break_spaces_before_double_punctuation(bfi):
    row = normed_row({"extraversion": 72.0, "openness": 25.0}, **ALL_FLAGS)
    row |= {"conscientiousness.missing": True, "conscientiousness.n": 0}
    view = build_profile(bfi, row, norm_version="2026")
    texts = texts_of(view)
    for text in texts:
        assert " :" not in text and " ;" not in text and " !" not in text, text
        assert " ?" not in text, text
        assert f"{NBSP};" not in text and f"{NBSP}?" not in text, text
    joined = "\n".join(texts)
    assert f"{NBSP}:" in joined and f"{NNBSP};" in joined
    assert "'" not in joined  # typographic apostrophes only


def test_english_view_is_english_without_french_spacing(bfi, english):
    row = normed_row({"extraversion": 72.0, "openness": 25.0}, **ALL_FLAGS)
    row |= {"conscientiousness.missing": True, "conscientiousness.n": 0}
    view = build_profile(bfi, row, lang="en", translations=english, norm_version="2026")
    texts = texts_of(view)
    assert not any(NBSP in t or NNBSP in t for t in texts)
    # |T - 50|: openness 25 before extraversion 22.
    assert view.summary == (
        "Most pronounced results: Openness (rather low, percentile rank 1); Extraversion"
        " (rather high, percentile rank 99). Not calculated for lack of answers:"
        " Conscientiousness."
    )
    assert view.instrument_name == raw_yaml(BFI_YAML)["name"]["en"]
    assert view.norm_group == "adults, all ages and sexes"
    assert scale(view, "conscientiousness").name == "Conscientiousness"


# --- the view as a whole ------------------------------------------------------------------


def test_view_metadata_and_norm_information(bfi):
    view = build_profile(bfi, normed_row(), norm_version="2026.11-bfi-adults")
    data = raw_yaml(BFI_YAML)
    assert view.instrument_id == "ipip-bfi-25"
    assert view.instrument_key == f"ipip-bfi-25@{data['version']}"
    assert view.instrument_name == data["name"]["fr"]
    assert view.construct == "personality"
    assert view.normed and view.norm_version == "2026.11-bfi-adults"
    # Not "Groupe de référence : ensemble du groupe de référence" (a tautology).
    assert view.norm_group == "adultes, tous âges et sexes confondus"
    assert [s.id for s in view.domains] == BFI_IDS and view.facets == ()
    custom = build_profile(bfi, normed_row(), instrument_key="bfi@custom")
    assert custom.instrument_key == "bfi@custom"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("sex=2, age_band=25-34", "femmes, 25 à 34 ans"),
        ("gender=1, age_band=45+", "hommes, 45 ans et plus"),
        ("gender=2", "femmes"),
    ],
)
def test_norm_group_key_is_said_in_words(bfi, stored, shown):
    row = normed_row() | {f"{sid}.norm_group": stored for sid in BFI_IDS}
    assert build_profile(bfi, row).norm_group == shown


def test_named_norm_group_is_shown_as_stored(bfi):
    row = normed_row() | {f"{sid}.norm_group": "femmes 30-44 ans" for sid in BFI_IDS}
    view = build_profile(bfi, row)
    assert view.norm_group == "femmes 30-44 ans"
    assert any("(femmes 30-44 ans)" in limit for limit in view.limits)


def test_view_is_frozen(bfi):
    view = build_profile(bfi, normed_row())
    with pytest.raises(AttributeError):
        view.summary = "autre chose"  # type: ignore[misc]


def test_spi_facets_and_reliability_range_from_the_yaml():
    spi = load_instrument(SPI_YAML)
    data = raw_yaml(SPI_YAML)
    alphas = [s["reliability"] for s in data["scales"] if "reliability" in s]
    facet_ids = [s["id"] for s in data["scales"] if s.get("level") == "facet"]
    row: dict[str, Any] = {}
    for s in data["scales"]:
        row |= {f"{s['id']}.mean": 3.5, f"{s['id']}.n": len(s["items"]), f"{s['id']}.t": 50.0}
        row |= {f"{s['id']}.percentile": 50.0}
    view = build_profile(spi, row)
    assert [s.id for s in view.facets] == facet_ids and len(facet_ids) == 26
    assert len(view.domains) == 5

    def two(x: float) -> str:  # at most two decimals, comma, trailing zeros dropped
        return f"{x:.2f}".rstrip("0").rstrip(".").replace(".", ",")

    expected = (
        f"Fidélité des échelles (coefficient alpha){NBSP}: de {two(min(alphas))}"
        f" à {two(max(alphas))}."
    )
    # The alphas are for the counsellor: not among the limits every reader gets.
    assert view.reliability == expected
    assert not any("alpha" in limit for limit in view.limits)


def test_bfi_level_texts_are_correct_french(bfi):
    # Was: "Le score se situe dans la partie basse de celle du groupe de référence" ("celle"
    # has nothing to refer to).
    texts = {b.level: b.text.get("fr") for b in bfi.scale("openness").bands.levels}
    assert texts["low"] == "Le score se situe parmi les scores les plus bas du groupe de référence."
    assert texts["high"] == (
        "Le score se situe parmi les scores les plus hauts du groupe de référence."
    )
    assert not any("de celle du" in t for t in texts.values())


def test_negative_numbers_take_a_real_minus_sign():
    from reports.charts import _fmt
    from reports.profile import fmt

    assert fmt(-1.25) == "\u22121,3" and fmt(-3.5, "en") == "\u22123.5"
    assert fmt(-0.04) == "0" and fmt(-0.0) == "0"  # never a minus before zero
    assert _fmt(-4.0, "fr") == "\u22124" and _fmt(-0.01, "fr") == "0"
