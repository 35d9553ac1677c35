"""Built-in work-values, end-of-bilan satisfaction and 6-month follow-up questionnaires.

Content checks (ids, texts in French and English, French typography, the value ->
statement mapping, the ranking block) and scoring checks on synthetic and hand-built
answers: within-person ranks, ipsative scores, coding ranges, refused codes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from instruments import BUILTIN_DIR, check_instrument_file, load_instrument
from instruments.model import Instrument, Text
from scoring.errors import ScoringInputError
from scoring.matrix import from_wide
from scoring.pipeline import score
from scoring.simulate import simulate_answers

CONSTRUCTS = {
    "valeurs-travail": "values",
    "satisfaction-fin-bilan": "satisfaction",
    "suivi-6-mois": "follow_up",
}
# The six values, as profile keys and importance-scale ids, with their O*NET value and
# the number of need statements O*NET gives each (Achievement 2 ... Working Conditions 6).
VALUES = {
    "reussite": ("Achievement", 2),
    "independance": ("Independence", 3),
    "reconnaissance": ("Recognition", 4),
    "relations": ("Relationships", 3),
    "soutien": ("Support", 3),
    "conditions_travail": ("Working Conditions", 6),
}
NOTICE_FR = (
    "scores ipsatifs : ils comparent vos valeurs entre elles, jamais avec d'autres personnes"
)
NBSP, NNBSP = "\u00a0", "\u202f"


def load(name: str) -> Instrument:
    return load_instrument(BUILTIN_DIR / f"{name}.yaml")


@pytest.fixture(scope="module")
def values() -> Instrument:
    return load("valeurs-travail")


@pytest.fixture(scope="module")
def satisfaction() -> Instrument:
    return load("satisfaction-fin-bilan")


@pytest.fixture(scope="module")
def follow_up() -> Instrument:
    return load("suivi-6-mois")


def plain(text: str) -> str:
    """Lower case, non-breaking spaces as plain spaces, for comparing wording."""
    return text.replace(NBSP, " ").replace(NNBSP, " ").replace("’", "'").lower()


def texts(inst: Instrument) -> Iterator[tuple[str, Text]]:
    """Every user-facing text of an instrument, with where it is."""
    yield "name", inst.name
    yield "description", inst.description
    if inst.instructions is not None:
        yield "instructions", inst.instructions
    for fmt in inst.formats.values():
        for opt in fmt.options:
            yield f"format {fmt.id} option {opt.value:g}", opt.label
    for it in inst.items:
        yield f"item {it.id}", it.text
    for sc in inst.scales:
        yield f"scale {sc.id} name", sc.name
        if sc.description is not None:
            yield f"scale {sc.id} description", sc.description
        if sc.bands is not None:
            for band in sc.bands.levels:
                yield f"scale {sc.id} band {band.level} label", band.label
                yield f"scale {sc.id} band {band.level} text", band.text


# --- the three files -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
def test_file_loads_without_problems(name: str) -> None:
    inst, problems = check_instrument_file(BUILTIN_DIR / f"{name}.yaml")
    assert problems == []
    assert inst is not None
    assert inst.id == name
    assert inst.construct == CONSTRUCTS[name]
    assert inst.licence == "Boussole (original)"
    assert inst.languages == ("fr", "en")
    assert inst.norms is None  # nothing here is compared with other people
    assert 2 <= inst.minutes <= 15


@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
def test_ids_are_unique(name: str) -> None:
    inst = load(name)
    item_ids = [it.id for it in inst.items]
    scale_ids = [sc.id for sc in inst.scales]
    assert len(set(item_ids)) == len(item_ids)
    assert len(set(scale_ids)) == len(scale_ids)
    assert not set(item_ids) & set(scale_ids)


@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
def test_every_text_has_french_and_english(name: str) -> None:
    for where, text in texts(load(name)):
        assert text.fr.strip(), where
        assert text.en and text.en.strip(), where


@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
def test_no_duplicate_french_texts(name: str) -> None:
    inst = load(name)
    items = Counter(plain(it.text.fr) for it in inst.items)
    assert [t for t, n in items.items() if n > 1] == []
    scales = Counter(plain(sc.name.fr) for sc in inst.scales)
    assert [t for t, n in scales.items() if n > 1] == []
    for fmt in inst.formats.values():
        labels = [plain(o.label.fr) for o in fmt.options]
        assert len(set(labels)) == len(labels), fmt.id


@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
def test_french_typography(name: str) -> None:
    """Non-breaking space before ':' and narrow one before '? ! ;', typographic quotes."""
    for where, text in texts(load(name)):
        fr = text.fr
        assert not re.search(r" [:?!;]", fr), f"{where}: plain space before punctuation: {fr!r}"
        assert not re.search(r"\w[?!;]", fr), f"{where}: no space before '?!;': {fr!r}"
        assert '"' not in fr, f"{where}: use « » in French: {fr!r}"
        assert "  " not in fr, where
        en = text.en or ""
        assert NBSP not in en and NNBSP not in en, f"{where}: French spacing in English"


# --- work values: content --------------------------------------------------------------


def test_values_statements_cover_each_value_as_onet_does(values: Instrument) -> None:
    statements = [it.id for it in values.items if it.format == "importance5"]
    assert 18 <= len(statements) <= 24
    seen: list[str] = []
    for key, (_, count) in VALUES.items():
        scale = values.scale(key)
        assert scale.method == "ipsative"
        assert scale.ipsative_group == "importance"
        assert all(m.key == 1 and m.option is None for m in scale.members)
        assert len(scale.members) == count, key
        seen.extend(scale.item_ids)
    # Every statement belongs to exactly one value.
    assert sorted(seen) == sorted(statements)


def test_values_metadata_agrees_with_the_scales(values: Instrument) -> None:
    meta = values.metadata
    mapping = meta["statements"]
    assert isinstance(mapping, dict)
    for key, (onet, _) in VALUES.items():
        assert meta["values"][key]["onet"] == onet  # type: ignore[index]
        from_meta = sorted(i for i, v in mapping.items() if v["value"] == key)
        assert from_meta == sorted(values.scale(key).item_ids)
    needs = [v["need"] for v in mapping.values()]
    assert len(set(needs)) == len(needs)  # one statement per O*NET need


def test_values_ranking_block(values: Instrument) -> None:
    ranked = [it for it in values.items if values.formats[it.format].type == "ranking"]
    assert len(ranked) == 6
    assert {it.block for it in ranked} == {"classement_valeurs"}
    assert {values.formats[it.format].size for it in ranked} == {6}
    for key in VALUES:
        item_id = values.metadata["values"][key]["ranking_item"]  # type: ignore[index]
        scale = values.scale(f"{key}_classement")
        assert scale.method == "mean"
        assert [(m.item, m.key) for m in scale.members] == [(item_id, -1)]
        # The item's text starts with the value's name and gives a definition.
        text = values.item(item_id).text
        assert text.fr.startswith(values.scale(key).name.fr + NBSP + ": ")
        assert text.en and text.en.startswith(f"{values.scale(key).name.en}: ")


def test_values_profile_and_ipsative_labels(values: Instrument) -> None:
    assert values.profile is not None
    assert values.profile.type == "values"
    assert dict(values.profile.scales) == {key: key for key in VALUES}
    # The description, which the person reads, says "within the person" in plain words
    # (issue 11: no "ipsatif" for beneficiaries); the notice keeps the technical term.
    assert "comparent vos valeurs entre elles, jamais avec d’autres personnes" in plain(
        values.description.fr
    ).replace("'", "’")
    assert "ipsati" not in values.description.fr.lower()
    assert "never with other people" in (values.description.en or "")
    notice = values.metadata["ipsative_notice"]
    assert NOTICE_FR in plain(notice["fr"])  # type: ignore[index]
    assert "never with other people" in notice["en"]  # type: ignore[index]
    for key in VALUES:
        description = values.scale(key).description
        assert description is not None and "ipsatif" in description.fr
        bands = values.scale(key).bands
        assert bands is not None and bands.metric == "rank"
        assert [b.level for b in bands.levels] == [
            "prioritaire",
            "intermediaire",
            "moins_prioritaire",
        ]


# --- work values: scoring --------------------------------------------------------------


def test_simulated_value_ranks_and_ipsative_scores(values: Instrument) -> None:
    answers = simulate_answers(values, 300, seed=7)
    table = score(values, from_wide(values, answers).data, norms=False).table
    ranks = table[[f"{key}.rank" for key in VALUES]].to_numpy()
    assert ranks.min() >= 1 and ranks.max() <= 6
    np.testing.assert_allclose(ranks.sum(axis=1), 21.0)
    ipsative = table[[f"{key}.ipsative" for key in VALUES]].to_numpy()
    np.testing.assert_allclose(ipsative.sum(axis=1), 0.0, atol=1e-9)
    # The ranks order the ipsative scores (and the means) within each person.
    for row_ranks, row_scores in zip(ranks, ipsative, strict=True):
        order = np.argsort(row_ranks, kind="stable")
        assert np.all(np.diff(row_scores[order]) <= 1e-12)
    # Ranking part: preferences 1..6, each once per person.
    prefs = table[[f"{key}_classement.mean" for key in VALUES]].to_numpy()
    assert np.array_equal(np.sort(prefs, axis=1), np.tile(np.arange(1.0, 7.0), (len(prefs), 1)))
    # Levels follow the ranks: 1-2 prioritaire, 2.5-4 intermédiaire, 4.5-6 moins prioritaire.
    for key in VALUES:
        r = table[f"{key}.rank"]
        expected = np.where(
            r < 2.5, "prioritaire", np.where(r < 4.5, "intermediaire", "moins_prioritaire")
        )
        assert table[f"{key}.level"].tolist() == expected.tolist()


def hand_built(values: Instrument, **ratings: float) -> pd.DataFrame:
    """One respondent: importance ratings per value (others 2), ranking in VALUES order."""
    row: dict[str, object] = {"id": "p1"}
    for key in VALUES:
        for item in values.scale(key).item_ids:
            row[item] = ratings.get(key, 2)
    for rank, key in enumerate(VALUES, start=1):
        row[values.metadata["values"][key]["ranking_item"]] = rank  # type: ignore[index]
    return pd.DataFrame([row])


def test_achievement_rated_highest_ranks_first(values: Instrument) -> None:
    matrix = from_wide(values, hand_built(values, reussite=5)).data
    row = score(values, matrix, norms=False).table.loc["p1"]
    assert row["reussite.rank"] == 1
    others = [row[f"{key}.rank"] for key in VALUES if key != "reussite"]
    assert others == [4.0] * 5  # five-way tie for ranks 2-6: mean rank 4
    assert row["reussite.ipsative"] == pytest.approx(3 - 3 / 6)
    assert row["reussite.level"] == "prioritaire"
    # Reussite was also ranked 1st in part b: reverse keyed, that is 6.
    assert row["reussite_classement.mean"] == 6
    assert row["reussite_classement.level"] == "prioritaire"
    assert row["conditions_travail_classement.mean"] == 1
    assert not row["flag.flat_profile"]


def test_everything_very_important_is_a_flat_profile(values: Instrument) -> None:
    matrix = from_wide(values, hand_built(values, **dict.fromkeys(VALUES, 5))).data
    row = score(values, matrix, norms=False).table.loc["p1"]
    assert [row[f"{key}.rank"] for key in VALUES] == [3.5] * 6
    assert {row[f"{key}.level"] for key in VALUES} == {"intermediaire"}
    assert row["flag.flat_profile"]


def test_partial_ranking_is_refused(values: Instrument) -> None:
    answers = hand_built(values)
    answers["RANG_SOUTIEN"] = 1  # rank 1 used twice, rank 5 missing
    with pytest.raises(ScoringInputError, match="classement_valeurs"):
        from_wide(values, answers)


# --- satisfaction and follow-up --------------------------------------------------------


@pytest.mark.parametrize("name", ["satisfaction-fin-bilan", "suivi-6-mois"])
def test_free_text_items_are_never_scored(name: str) -> None:
    inst = load(name)
    free = {it.id for it in inst.items if inst.formats[it.format].type == "free_text"}
    assert len(free) >= 2
    scored = {m.item for sc in inst.scales for m in sc.members}
    assert not free & scored
    assert inst.metadata["free_text"] == [it.id for it in inst.items if it.id in free]


def test_satisfaction_scales(satisfaction: Instrument) -> None:
    total = satisfaction.scale("satisfaction_globale")
    likert = [it.id for it in satisfaction.items if it.format == "satisfaction4"]
    assert sorted(total.item_ids) == sorted(likert)
    themes = [sc for sc in satisfaction.scales if sc.parent == "satisfaction_globale"]
    assert {sc.id for sc in themes} == {
        "organisation",
        "accompagnement",
        "outils",
        "objectifs",
        "synthese",
    }
    covered = [i for sc in themes for i in sc.item_ids]
    assert len(covered) == len(set(covered))
    assert set(covered) <= set(likert)


@pytest.mark.parametrize(
    ("name", "ranges"),
    [
        (
            "satisfaction-fin-bilan",
            {
                "satisfaction_globale": (1, 4),
                "organisation": (1, 4),
                "accompagnement": (1, 4),
                "outils": (1, 4),
                "objectifs": (1, 4),
                "synthese": (1, 4),
                "recommandation": (0, 10),
            },
        ),
        (
            "suivi-6-mois",
            {
                "utilite_recul": (1, 4),
                "avancement_plan": (0, 3),
                "satisfaction_a_froid": (1, 4),
                "recommandation": (0, 10),
            },
        ),
    ],
)
def test_scores_stay_within_the_coding_range(name: str, ranges: dict[str, tuple[int, int]]) -> None:
    inst = load(name)
    assert sorted(ranges) == sorted(sc.id for sc in inst.scales)
    answers = simulate_answers(inst, 400, seed=3, missing_rate=0.15)
    table = score(inst, from_wide(inst, answers).data, norms=False).table
    for sid, (low, high) in ranges.items():
        means = table[f"{sid}.mean"]
        assert means.notna().any(), sid
        present = means.dropna()
        assert present.between(low, high).all(), sid
        # A missing scale is flagged, never scored as zero.
        assert table.loc[means.isna(), f"{sid}.missing"].all(), sid


def test_all_very_satisfied_is_not_flagged(satisfaction: Instrument) -> None:
    row: dict[str, object] = {"id": "p1", "SAT_RECO": 10}
    row |= {it.id: 4 for it in satisfaction.items if it.format == "satisfaction4"}
    table = score(satisfaction, from_wide(satisfaction, pd.DataFrame([row])).data, norms=False)
    result = table.table.loc["p1"]
    assert result["satisfaction_globale.mean"] == 4
    assert not result["flag.longstring"]
    assert not result["flag.any"]


def follow_up_answers(**changes: object) -> pd.DataFrame:
    row: dict[str, object] = {
        "id": "p1",
        "SUI_SITUATION": 3,
        "SUI_PROJET": 2,
        "SUI_ETAPES_NB": 4,
        "SUI_ETAPES_PART": 2,
        "SUI_UTIL1": 4,
        "SUI_UTIL2": 3,
        "SUI_UTIL3": 4,
        "SUI_UTIL4": 3,
        "SUI_SATISFACTION": 4,
        "SUI_RECO": 9,
        "SUI_ENTRETIEN": 1,
    }
    return pd.DataFrame([row | changes])


def test_follow_up_scores(follow_up: Instrument) -> None:
    row = score(follow_up, from_wide(follow_up, follow_up_answers()).data, norms=False)
    result = row.table.loc["p1"]
    assert result["utilite_recul.mean"] == 3.5
    assert result["avancement_plan.mean"] == 2
    assert result["recommandation.mean"] == 9
    assert not result["flag.any"]
    # Situation and project are described option by option, never scored.
    scored = {m.item for sc in follow_up.scales for m in sc.members}
    assert {"SUI_SITUATION", "SUI_PROJET"}.isdisjoint(scored)


@pytest.mark.parametrize(
    ("column", "value"),
    [("SUI_SITUATION", 99), ("SUI_PROJET", 0), ("SUI_ETAPES_NB", 21), ("SUI_ETAPES_PART", 4)],
)
def test_follow_up_answer_outside_the_coding_is_refused(
    follow_up: Instrument, column: str, value: int
) -> None:
    with pytest.raises(ScoringInputError) as info:
        from_wide(follow_up, follow_up_answers(**{column: value}))
    message = str(info.value)
    assert f"column '{column}'" in message
    assert f"(value {value})" in message
    # With invalid="missing" the cell becomes missing and is listed.
    matrix = from_wide(follow_up, follow_up_answers(**{column: value}), invalid="missing")
    assert matrix.data[column].isna().all()
    assert [cell.column for cell in matrix.invalid] == [column]


def test_satisfaction_answer_outside_the_coding_is_refused(satisfaction: Instrument) -> None:
    row: dict[str, object] = {"id": "p1", "SAT_RECO": 11}
    row |= {it.id: 3 for it in satisfaction.items if it.format == "satisfaction4"}
    row["SAT05"] = 5
    with pytest.raises(ScoringInputError) as info:
        from_wide(satisfaction, pd.DataFrame([row]))
    message = str(info.value)
    assert "column 'SAT05'" in message
    assert "column 'SAT_RECO'" in message
