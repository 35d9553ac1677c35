"""The built-in SAPA Personality Inventory (spi-135): structure, keys, reliability, texts, norms.

Version 2.0.0 is the SPI-135 as administered in a bilan: 8 items that reveal religious or
political opinions or a health condition are left out (REMOVED), and version 1.0.0 is kept
in the archive to read the scores it produced.

Tests marked with the ``shared_data`` fixture use ``../shared/data`` (spi.csv, its
dictionary and keys) and are skipped when it is absent; the others only read the shipped
files (the YAML, its norm table and the R psych reference in tests/scoring/golden).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from instruments import BUILTIN_DIR, load_instrument
from instruments.model import Instrument, Text
from scoring.norms import NormTable
from scoring.reliability import cronbach_alpha, item_statistics
from scoring.scales import keyed_items
from scoring.validity import validity_indices
from tests.conftest import GOLDEN

PATH = BUILTIN_DIR / "spi-135.yaml"
ARCHIVED = BUILTIN_DIR / "archive" / "spi-135-1.0.0" / "spi-135.yaml"
DOMAINS = ("agreeableness", "conscientiousness", "extraversion", "neuroticism", "openness")
N_ADULTS = 3365  # spi.csv respondents aged 18+
# The items of the SPI-135 left out of 2.0.0, and what they reveal (docs/translation-spi.md).
REMOVED = {
    "q_345": "religion",  # Believe in one true religion.
    "q_660": "religion",  # Dont consider myself religious.
    "q_1824": "politics",  # Tend to vote for conservative political candidates.
    "q_1825": "politics",  # Tend to vote for liberal political candidates.
    "q_1328": "politics",  # Like to stand during the national anthem.
    "q_369": "politics",  # Believe that laws should be strictly enforced.
    "q_398": "politics",  # Believe that we should be tough on crime.
    "q_811": "health",  # Feel a sense of worthlessness or hopelessness.
}
# Scales that lost items, with what they keep (every other scale keeps 5 or 14 items).
SHORTENED = {"conscientiousness": 13, "neuroticism": 13, "authoritarianism": 3, "well_being": 4}


@pytest.fixture(scope="module")
def spi() -> Instrument:
    return load_instrument(PATH)


@pytest.fixture(scope="module")
def sapa_names(spi: Instrument) -> dict[str, str]:
    """Boussole scale id -> SAPA key name (metadata.spi_keys)."""
    names = spi.metadata["spi_keys"]
    assert isinstance(names, dict)
    return {str(k): str(v) for k, v in names.items()}


@pytest.fixture(scope="module")
def spi_data(shared_data: Path) -> Path:
    if not (shared_data / "spi.csv").exists():
        pytest.skip("../shared/data/spi.csv is absent")
    return shared_data


@pytest.fixture(scope="module")
def adults(spi_data: Path) -> pd.DataFrame:
    frame = pd.read_csv(spi_data / "spi.csv")
    return frame[frame["age"] >= 18].reset_index(drop=True)


@pytest.fixture(scope="module")
def matrix(spi: Instrument, adults: pd.DataFrame) -> pd.DataFrame:
    return adults[[it.id for it in spi.items]].astype(np.float64)


def signed(scale) -> list[str]:
    return [("-" if m.key < 0 else "") + m.item for m in scale.members]


def without_removed(keys: list[str]) -> list[str]:
    return [k for k in keys if k.lstrip("-") not in REMOVED]


# --------------------------------------------------------------------- (a) structure


def test_identity_and_counts(spi: Instrument) -> None:
    assert spi.key == "spi-135@2.0.0"
    assert spi.languages == ("fr", "en")
    assert spi.construct == "personality"
    assert spi.administered_in_bilan
    assert len(spi.items) == 127
    assert len({it.id for it in spi.items}) == 127
    assert all(re.fullmatch(r"q_\d+", it.id) for it in spi.items)
    assert len(spi.scales) == 31
    domains = [s for s in spi.scales if s.level == "domain"]
    facets = [s for s in spi.scales if s.level == "facet"]
    assert tuple(s.id for s in domains) == DOMAINS
    assert len(facets) == 26
    assert all(len(s.members) == SHORTENED.get(s.id, 14) and s.parent is None for s in domains)
    assert all(len(s.members) == SHORTENED.get(s.id, 5) and s.parent in DOMAINS for s in facets)
    for s in spi.scales:
        assert s.method == "mean"
        assert s.min_answered == 0.5
        assert re.fullmatch(r"[a-z][a-z_]*", s.id), s.id


def test_no_item_reveals_a_special_category_of_personal_data(spi: Instrument) -> None:
    assert not {it.id for it in spi.items} & set(REMOVED)
    assert all(it.sensitive is None for it in spi.items)
    assert "conservatism" not in {s.id for s in spi.scales}  # all its items were removed
    removed = spi.metadata["removed_items"]
    assert isinstance(removed, list)
    assert {r["item"]: r["category"] for r in removed} == REMOVED
    assert all(r["reason"] and r["text"] and r["scales"] for r in removed)


def test_every_scale_keeps_enough_items_for_its_missing_data_rule(spi: Instrument) -> None:
    """The shortest scales (authoritarianism 3 items, well-being 4) still need two answers."""
    for s in spi.scales:
        assert len(s.members) >= 3, s.id
        assert s.required_answers() >= 2, s.id
    assert spi.scale("authoritarianism").required_answers() == 2  # 2 of 3
    assert spi.scale("well_being").required_answers() == 2  # 2 of 4
    assert spi.scale("conscientiousness").required_answers() == 7  # 7 of 13


def test_version_1_is_archived_with_its_sensitive_items_tagged(spi: Instrument) -> None:
    """1.0.0 is kept to read its stored scores; ids of the kept items did not change and
    mean the same (texts and format), so their answers carry over to 2.0.0."""
    old = load_instrument(ARCHIVED)
    assert old.key == "spi-135@1.0.0"
    assert not old.administered_in_bilan
    assert {it.id: it.sensitive for it in old.items if it.sensitive} == REMOVED
    kept = [it for it in old.items if it.id not in REMOVED]
    assert [(it.id, it.text, it.format) for it in kept] == [
        (it.id, it.text, it.format) for it in spi.items
    ]
    by_id = {s.id: s for s in spi.scales}
    for s in old.scales:
        if s.id == "conservatism":
            assert s.id not in by_id
            continue
        assert signed(by_id[s.id]) == without_removed(signed(s)), s.id
    old_norms = old.norms_path()
    assert old_norms is not None
    table = NormTable.load(old_norms)
    assert (table.data["instrument_version"], table.version) == ("1.0.0", "2026.11-spi-adults")


def test_response_format_is_the_six_point_accuracy_scale(spi: Instrument) -> None:
    fmt = spi.formats["accuracy6"]
    assert [o.value for o in fmt.options] == [1, 2, 3, 4, 5, 6]
    assert [o.label.fr for o in fmt.options] == [
        "Très inexact",
        "Plutôt inexact",
        "Un peu inexact",
        "Un peu exact",
        "Plutôt exact",
        "Très exact",
    ]
    assert {it.format for it in spi.items} == {"accuracy6"}


def test_every_item_is_scored_in_a_facet_and_a_domain_at_most(spi: Instrument) -> None:
    facets = Counter(i for s in spi.scales if s.level == "facet" for i in s.item_ids)
    domains = Counter(i for s in spi.scales if s.level == "domain" for i in s.item_ids)
    assert set(facets) == {it.id for it in spi.items}  # every item in exactly one facet
    assert set(facets.values()) == {1}
    assert set(domains.values()) == {1}  # 68 items in one domain each (70 in the SPI-135)
    assert len(domains) == 68


def test_keys_are_those_of_spi_keys_json_without_the_removed_items(
    spi: Instrument, sapa_names, spi_data: Path
) -> None:
    keys = json.loads((spi_data / "spi_keys.json").read_text())
    assert sorted(sapa_names.values()) == sorted(k for k in keys if k != "Conservatism")
    assert sorted(keys["Conservatism"]) == sorted(
        ["q_345", "-q_660", "q_1824", "-q_1825", "q_1328"]
    )
    assert sorted(sapa_names) == sorted(s.id for s in spi.scales)
    for s in spi.scales:
        assert signed(s) == without_removed(keys[sapa_names[s.id]]), s.id


def test_items_follow_the_data_and_keep_the_english_originals(
    spi: Instrument, spi_data: Path
) -> None:
    columns = [c for c in pd.read_csv(spi_data / "spi.csv", nrows=0).columns if c.startswith("q_")]
    assert len(columns) == 135
    assert [it.id for it in spi.items] == [c for c in columns if c not in REMOVED]
    dictionary = pd.read_csv(spi_data / "spi_dictionary.csv").set_index("item_id")
    for it in spi.items:
        assert it.text.en == dictionary.loc[it.id, "item"], it.id


def test_facet_parents_follow_the_b5_column_of_the_dictionary(
    spi: Instrument, sapa_names, spi_data: Path
) -> None:
    """Decided on the facets' full SAPA keys (1.0.0), kept in 2.0.0."""
    dictionary = pd.read_csv(spi_data / "spi_dictionary.csv").set_index("item_id")
    keys = json.loads((spi_data / "spi_keys.json").read_text())
    domain_of = {sapa_names[d]: d for d in DOMAINS}
    without_b5 = set()
    for s in spi.scales:
        if s.level != "facet":
            continue
        items = [k.lstrip("-") for k in keys[sapa_names[s.id]]]
        b5 = dictionary.loc[items, "B5"].dropna()
        if b5.empty:
            without_b5.add(s.id)
            continue
        assert domain_of[b5.value_counts().idxmax()] == s.parent, s.id
    # decided from correlations with the domains instead (see the YAML comments)
    assert without_b5 == {
        "easygoingness",
        "impulsivity",
        "self_control",
        "sensation_seeking",
        "adaptability",
        "art_appreciation",
    }


# --------------------------------------------------------------------- (b) no wrong key


def test_every_item_correlates_positively_with_its_scale(
    spi: Instrument, matrix: pd.DataFrame
) -> None:
    wrong = []
    for s in spi.scales:
        x = keyed_items(spi, matrix, s)
        stats = item_statistics(x.to_numpy(), list(x.columns))
        wrong += [f"{s.id}:{item} r_drop={r:.3f}" for item, r in stats["r_drop"].items() if r <= 0]
    assert not wrong


# --------------------------------------------------------------------- (c) reliability


def test_recorded_alphas_are_reproduced_from_the_data(
    spi: Instrument, matrix: pd.DataFrame
) -> None:
    assert len(matrix) == N_ADULTS
    for s in spi.scales:
        x = keyed_items(spi, matrix, s).to_numpy()
        assert s.reliability is not None
        assert abs(cronbach_alpha(x) - s.reliability) < 1e-6, s.id


def test_alphas_agree_with_r_psych(spi: Instrument, sapa_names, matrix: pd.DataFrame) -> None:
    """R computed these on the SAPA keys minus the removed items, written out in
    make_reference.R independently of the YAML (section 5b)."""
    doc = json.loads((GOLDEN / "spi_bilan_alpha_psych.json").read_text())
    assert doc["meta"]["removed_items"] == list(REMOVED)
    ref = doc["scales"]
    assert sorted(ref) == sorted(sapa_names.values())
    for s in spi.scales:
        r = ref[sapa_names[s.id]]
        assert r["keys"] == signed(s)
        assert r["n_complete"] == N_ADULTS
        x = keyed_items(spi, matrix, s).to_numpy()
        assert abs(cronbach_alpha(x) - r["raw_alpha"]) < 1e-9, s.id
        stats = item_statistics(x, list(s.item_ids))
        np.testing.assert_allclose(
            stats["r_drop"].to_numpy(), [i["r.drop"] for i in r["items"]], rtol=0, atol=1e-9
        )


def test_recorded_alphas_match_the_psych_reference(spi: Instrument, sapa_names) -> None:
    """Without the data: the YAML figures are psych's, rounded to 6 decimals."""
    ref = json.loads((GOLDEN / "spi_bilan_alpha_psych.json").read_text())["scales"]
    recorded = spi.metadata["reliability"]["alpha"]  # type: ignore[index]
    assert sorted(recorded) == sorted(s.id for s in spi.scales)
    for s in spi.scales:
        assert s.reliability is not None
        assert abs(s.reliability - ref[sapa_names[s.id]]["raw_alpha"]) < 1e-6, s.id
        assert recorded[s.id] == s.reliability


def test_archived_alphas_are_those_of_the_full_sapa_keys() -> None:
    """1.0.0 keeps the alphas of the SPI-135 (spi_alpha_psych.json): the "before" figures."""
    old = load_instrument(ARCHIVED)
    names = old.metadata["spi_keys"]
    assert isinstance(names, dict)
    ref = json.loads((GOLDEN / "spi_alpha_psych.json").read_text())["scales"]
    for s in old.scales:
        assert s.reliability is not None
        assert abs(s.reliability - ref[names[s.id]]["raw_alpha"]) < 1e-6, s.id
        assert ref[names[s.id]]["keys"] == signed(s)


# --------------------------------------------------------------------- (d) texts


def french_texts(spi: Instrument) -> list[tuple[str, str]]:
    """Every user-facing French text with where it comes from."""
    out: list[tuple[str, str]] = [("name", spi.name.fr), ("description", spi.description.fr)]
    assert spi.instructions is not None
    out.append(("instructions", spi.instructions.fr))
    out += [(f"option {o.value:g}", o.label.fr) for o in spi.formats["accuracy6"].options]
    out += [(it.id, it.text.fr) for it in spi.items]
    for s in spi.scales:
        assert s.description is not None and s.bands is not None
        out += [(f"{s.id}.name", s.name.fr), (f"{s.id}.description", s.description.fr)]
        for b in s.bands.levels:
            out += [(f"{s.id}.{b.level}.label", b.label.fr), (f"{s.id}.{b.level}", b.text.fr)]
    return out


def all_texts(spi: Instrument) -> list[Text]:
    texts = [spi.name, spi.description]
    texts += [it.text for it in spi.items]
    for s in spi.scales:
        assert s.description is not None and s.bands is not None
        texts += [s.name, s.description]
        texts += [t for b in s.bands.levels for t in (b.label, b.text)]
    return texts


def test_every_text_has_french_and_english(spi: Instrument) -> None:
    for t in all_texts(spi):
        assert t.fr.strip() and t.en and t.en.strip()
        assert t.fr != t.en or t.fr in {"Extraversion", "Compassion", "Introspection", "Humour"}


def test_french_item_texts_are_distinct_first_person_sentences(spi: Instrument) -> None:
    texts = [it.text.fr for it in spi.items]
    assert len(set(texts)) == len(texts), [t for t, n in Counter(texts).items() if n > 1]
    for it in spi.items:
        fr = it.text.fr
        assert fr[0].isupper() and fr.endswith("."), it.id
        assert "  " not in fr and fr == fr.strip(), it.id
        assert re.search(r"\b(je|j’|me|m’|moi|mon|ma|mes)\b", fr, re.IGNORECASE), it.id


LEFTOVER_ENGLISH = (" the ", " and ", " my ", " of ", " to ", " with ", " others ", " people ")


def test_french_texts_have_no_leftover_english(spi: Instrument) -> None:
    for where, fr in french_texts(spi):
        padded = f" {fr.lower()} "
        found = [w for w in LEFTOVER_ENGLISH if w in padded]
        assert not found, (where, found)


def test_apostrophes_are_typographic_in_french_and_straight_in_english(spi: Instrument) -> None:
    """French uses only ’ (U+2019), never the typewriter '; English only the ASCII '."""
    for where, fr in french_texts(spi):
        assert "'" not in fr, where
    assert any("’" in fr for _, fr in french_texts(spi))
    for t in all_texts(spi):
        assert "’" not in (t.en or ""), t.en


def test_gender_inclusive_forms_use_the_middle_dot(spi: Instrument) -> None:
    """Epicene wording is preferred; where a form must be marked, it is written ·e."""
    for where, fr in french_texts(spi):
        assert not re.search(r"\w\.e\b|\(e\)|\w/e\b", fr), where
        assert all(fr[i + 1 : i + 2] == "e" for i, c in enumerate(fr) if c == "·"), where


def test_band_texts_are_specific_to_each_scale(spi: Instrument) -> None:
    for lang in ("fr", "en"):
        texts = [getattr(b.text, lang) for s in spi.scales if s.bands for b in s.bands.levels]
        assert len(texts) == 31 * 3
        assert len(set(texts)) == len(texts), lang


def test_bands_are_low_average_high_on_percentiles(spi: Instrument) -> None:
    for s in spi.scales:
        assert s.bands is not None and s.bands.metric == "percentile"
        levels = [(b.level, b.minimum, b.maximum) for b in s.bands.levels]
        assert levels == [("low", None, 30), ("average", 30, 70), ("high", 70, None)], s.id


# --------------------------------------------------------------------- (e) norms


@pytest.fixture(scope="module")
def norms(spi: Instrument) -> NormTable:
    path = spi.norms_path()
    assert path is not None
    return NormTable.load(path)


def test_norm_table_names_its_sample(spi: Instrument, norms: NormTable) -> None:
    assert norms.data["instrument"] == spi.id
    assert norms.data["instrument_version"] == spi.version
    assert norms.version == "2026.12-spi-bilan-adults"
    prov = norms.data["provenance"]
    assert prov["source"] == (
        "SAPA Personality Inventory data, psychTools 2.2.9 (Condon 2018; Revelle et al.):"
        " international English-speaking web volunteers, mostly US; adults 18+"
    )
    assert prov["input_file"] == "spi.csv"
    assert prov["filters"] == "age >= 18"
    assert prov["n"] == N_ADULTS
    assert norms.group_by == ["sex", "age_band"]
    assert [b[0] for b in norms.data["bands"][0]["bands"]] == ["18-24", "25-34", "35-44", "45+"]


def test_usable_norm_groups_have_at_least_100_people(spi: Instrument, norms: NormTable) -> None:
    assert norms.min_n == 100
    scale_ids = {s.id for s in spi.scales}
    for g in norms.groups:
        assert g["usable"] == (g["n"] >= 100)
        assert set(g["scales"]) == scale_ids
    full = [g for g in norms.groups if len(g["key"]) == 2]
    assert len(full) == 8 and all(g["usable"] for g in full)  # every sex x age group


def test_metadata_describes_the_norm_groups(spi: Instrument, norms: NormTable) -> None:
    meta = spi.metadata["norms"]
    assert isinstance(meta, dict)
    assert meta["n"] == norms.data["provenance"]["n"]
    assert meta["norm_version"] == norms.version
    assert "SAPA" in meta["description"]["en"] and "US" in meta["description"]["en"]
    assert "anglais" in meta["description"]["fr"]
    listed = {(g.get("sex"), g.get("age_band")): g["n"] for g in meta["groups"]}
    actual = {(g["key"].get("sex"), g["key"].get("age_band")): g["n"] for g in norms.groups}
    assert {(None if s is None else str(s), a): n for (s, a), n in listed.items()} == actual


def test_norm_means_are_those_of_the_adult_sample(
    spi: Instrument, norms: NormTable, matrix: pd.DataFrame
) -> None:
    overall = next(g for g in norms.groups if not g["key"])
    for s in spi.scales:
        mean = keyed_items(spi, matrix, s).mean(axis=1).mean()
        assert abs(overall["scales"][s.id]["mean"] - mean) < 1e-12, s.id


# --------------------------------------------------------------------- validity settings


def test_inconsistency_pairs_are_near_synonyms_or_opposites(
    spi: Instrument, adults: pd.DataFrame
) -> None:
    pairs = spi.validity.inconsistency_pairs
    assert 4 <= len(pairs) <= 6
    for p in pairs:
        r = adults[p.first].corr(adults[p.second])
        assert (r > 0.4) if p.relation == "same" else (r < -0.4), (p, r)


def test_validity_thresholds_flag_few_real_respondents(
    spi: Instrument, matrix: pd.DataFrame
) -> None:
    from scoring.scales import score_scales

    v = validity_indices(spi, matrix, scale_scores=score_scales(spi, matrix))
    assert 0.04 <= v["flag.inconsistent"].mean() <= 0.06  # calibrated at about 5%
    assert v["flag.longstring"].mean() < 0.01
    assert v["flag.irv"].mean() < 0.01
    assert v["flag.flat_profile"].mean() < 0.01
    assert not v["flag.missing"].any()
    assert set(spi.validity.flat_profile_scales) == set(DOMAINS)
