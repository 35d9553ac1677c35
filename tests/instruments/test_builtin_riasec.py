"""Built-in RIASEC interests questionnaire (``riasec-60``).

Content checks (60 activities, 10 per Holland type, interleaved order, texts in French
and English, writing rules, bands, validity settings, the ROME coverage map) and scoring
checks on synthetic and hand-built answers: raw sums, Holland code with ties,
differentiation, consistency, flat and low profiles. Tests that read the ROME files use
the ``shared_data`` fixture and are skipped when ``../shared/data`` is absent.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from instruments import BUILTIN_DIR, check_instrument_file, load_instrument
from instruments.model import Band, Instrument, Text
from scoring.matrix import from_wide
from scoring.pipeline import score
from scoring.simulate import simulate_answers

FILE = BUILTIN_DIR / "riasec-60.yaml"
TYPES = "RIASEC"
SCALES = {
    "R": "realiste",
    "I": "investigateur",
    "A": "artistique",
    "S": "social",
    "E": "entreprenant",
    "C": "conventionnel",
}
ITEM_ID = re.compile(r"^[RIASEC](0[1-9]|10)$")
# A Holland code: letters, with tied groups of two or more letters in brackets.
CODE_RE = re.compile(r"^([RIASEC]|\[[RIASEC]{2,6}\])+$")
NBSP, NNBSP = "\u00a0", "\u202f"
ROME_LETTERS = set("ABCDEFGHIJKLMN")


@pytest.fixture(scope="module")
def inst() -> Instrument:
    return load_instrument(FILE)


@pytest.fixture(scope="module")
def rome(shared_data: Path) -> Path:
    folder = shared_data / "rome"
    if not (folder / "unix_grand_domaine_v460_utf8.csv").exists():
        pytest.skip("../shared/data/rome is absent: ROME tests are skipped")
    return folder


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def plain(text: str) -> str:
    """Lower case, non-breaking spaces as plain spaces, for comparing wording."""
    return " ".join(text.replace(NBSP, " ").replace(NNBSP, " ").lower().split())


def texts(inst: Instrument) -> Iterator[tuple[str, Text]]:
    """Every user-facing text of the instrument, with where it is."""
    yield "name", inst.name
    yield "description", inst.description
    assert inst.instructions is not None
    yield "instructions", inst.instructions
    for fmt in inst.formats.values():
        for opt in fmt.options:
            yield f"format {fmt.id} option {opt.value:g}", opt.label
    for it in inst.items:
        yield f"item {it.id}", it.text
    for sc in inst.scales:
        yield f"scale {sc.id} name", sc.name
        assert sc.description is not None
        yield f"scale {sc.id} description", sc.description
        assert sc.bands is not None
        for band in sc.bands.levels:
            yield f"scale {sc.id} band {band.level} label", band.label
            yield f"scale {sc.id} band {band.level} text", band.text
    messages = inst.metadata["messages"]
    assert isinstance(messages, dict)
    for key, msg in messages.items():
        yield f"metadata.messages.{key}", Text(**msg)


def matrix(inst: Instrument, rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    """A response matrix (respondents x items) from per-type answers: ``{"p": {"S": 4}}``
    answers 4 to every S item and 0 to the types not given."""
    ids = [it.id for it in inst.items]
    data = {name: {i: float(answers.get(i[0], 0.0)) for i in ids} for name, answers in rows.items()}
    return pd.DataFrame.from_dict(data, orient="index")[ids]


def band_of(inst: Instrument, scale_id: str, value: object) -> Band:
    """The band of a score (levels apply as ``min <= value < max``)."""
    x = float(np.asarray(value, dtype=np.float64))
    bands = inst.scale(scale_id).bands
    assert bands is not None
    for b in bands.levels:
        if (b.minimum is None or x >= b.minimum) and (b.maximum is None or x < b.maximum):
            return b
    raise AssertionError(f"no band for {x}")


# --- the file ------------------------------------------------------------------------


def test_file_loads_without_problems() -> None:
    loaded, problems = check_instrument_file(FILE)
    assert problems == []
    assert loaded is not None
    assert loaded.key == "riasec-60@1.0.0"
    assert loaded.languages == ("fr", "en")
    assert loaded.construct == "interests"
    assert loaded.norms is None  # no norms yet: raw scores and within-person order only
    assert 8 <= loaded.minutes <= 12
    assert "O*NET Interest Profiler" in loaded.licence
    assert "Holland" in loaded.source.citation and "Rounds" in loaded.source.citation


def test_response_format_is_a_0_to_4_like_scale(inst: Instrument) -> None:
    assert len(inst.formats) == 1
    fmt = next(iter(inst.formats.values()))
    assert fmt.type == "rating"
    assert [o.value for o in fmt.options] == [0, 1, 2, 3, 4]
    assert [o.label.fr for o in fmt.options] == [
        "Je n’aimerais pas du tout",
        "Je n’aimerais pas",
        "Je ne sais pas",
        "J’aimerais",
        "J’aimerais beaucoup",
    ]
    assert all(o.label.en for o in fmt.options)
    assert fmt.coding_range == (0.0, 4.0)


def test_sixty_items_ten_per_type(inst: Instrument) -> None:
    ids = [it.id for it in inst.items]
    assert len(ids) == 60
    assert all(ITEM_ID.match(i) for i in ids), [i for i in ids if not ITEM_ID.match(i)]
    assert Counter(i[0] for i in ids) == dict.fromkeys(TYPES, 10)
    assert set(ids) == {f"{t}{k:02d}" for t in TYPES for k in range(1, 11)}


def test_items_are_interleaved(inst: Instrument) -> None:
    """R01, I01, A01, S01, E01, C01, R02, ...: one activity of each type in turn."""
    expected = [f"{t}{k:02d}" for k in range(1, 11) for t in TYPES]
    assert [it.id for it in inst.items] == expected


def test_every_item_is_in_exactly_one_scale_of_its_type(inst: Instrument) -> None:
    owners: dict[str, list[str]] = {}
    for sc in inst.scales:
        for m in sc.members:
            owners.setdefault(m.item, []).append(sc.id)
            assert (m.key, m.weight, m.option) == (1, 1.0, None), f"{sc.id}: {m}"
    assert set(owners) == {it.id for it in inst.items}
    assert all(len(v) == 1 for v in owners.values()), {
        k: v for k, v in owners.items() if len(v) > 1
    }
    for item_id, (scale_id,) in owners.items():
        assert scale_id == SCALES[item_id[0]], item_id


def test_scales_are_sums_of_ten_with_the_missing_rule(inst: Instrument) -> None:
    assert [sc.id for sc in inst.scales] == list(SCALES.values())
    for sc in inst.scales:
        assert sc.method == "sum"
        assert sc.min_answered == 0.8
        assert len(sc.members) == 10
        assert sc.required_answers() == 8
        assert sc.parent is None and sc.reliability is None  # not estimated yet


def test_profile_maps_the_six_letters(inst: Instrument) -> None:
    assert inst.profile is not None
    assert inst.profile.type == "riasec"
    assert dict(inst.profile.scales) == SCALES
    assert inst.profile.flat_max_differentiation == 8
    assert inst.profile.low_max == 12
    # "Low" (best type <= 12/40) must mean every type is in the "little appeal" band.
    low_band = band_of(inst, "realiste", 0.0)
    assert low_band.maximum is not None
    assert inst.profile.low_max / 10 < low_band.maximum


def test_every_text_has_french_and_english(inst: Instrument) -> None:
    for where, text in texts(inst):
        assert text.fr.strip(), where
        assert text.en and text.en.strip(), where


def test_no_duplicate_item_texts(inst: Instrument) -> None:
    fr = Counter(plain(it.text.fr) for it in inst.items)
    en = Counter(plain(it.text.en or "") for it in inst.items)
    assert [t for t, n in fr.items() if n > 1] == []
    assert [t for t, n in en.items() if n > 1] == []


def test_french_typography(inst: Instrument) -> None:
    """As in the other built-in files: non-breaking space before ':' and inside « », narrow
    one before '? ! ;'; no French spacing in English."""
    for where, text in texts(inst):
        fr = text.fr
        assert not re.search(r" [:?!;»]|« ", fr), f"{where}: plain space: {fr!r}"
        assert not re.search(r"\w[:?!;]", fr), f"{where}: no space before punctuation: {fr!r}"
        assert '"' not in fr, f"{where}: use « » in French: {fr!r}"
        en = text.en or ""
        assert NBSP not in en and NNBSP not in en, f"{where}: French spacing in English"


def test_items_are_short_concrete_activities(inst: Instrument) -> None:
    """One sentence starting with an infinitive, short enough to read on a phone."""
    infinitive = re.compile(r"^(se |s')?[a-zéèêëàâîïôûç]+(er|ir|re|oir)\b")
    for it in inst.items:
        fr, en = it.text.fr, it.text.en or ""
        assert fr[0].isupper(), it.id
        assert infinitive.match(fr.lower()), f"{it.id}: not an infinitive: {fr!r}"
        assert fr.endswith(".") and fr.count(".") == 1, it.id
        assert en.endswith(".") and en[0].isupper(), it.id
        assert len(fr) <= 100, f"{it.id}: {len(fr)} characters"
        # Gender-neutral wording: no inclusive dots needed, no job titles.
        assert "·" not in fr, it.id


def test_bands_describe_appeal_on_the_mean(inst: Instrument) -> None:
    for sc in inst.scales:
        assert sc.bands is not None
        assert sc.bands.metric == "mean"  # no norms: percentiles or T scores would lie
        levels = sc.bands.levels
        assert [b.level for b in levels] == ["low", "moderate", "high"]
        assert [(b.minimum, b.maximum) for b in levels] == [(None, 1.5), (1.5, 2.5), (2.5, None)]
        assert [b.label.fr for b in levels] == ["Peu d’attrait", "Attrait modéré", "Attrait marqué"]
        for b in levels:
            fr, en = plain(b.text.fr), plain(b.text.en or "")
            assert "attir" in fr, f"{sc.id} {b.level}"
            assert re.search(r"pas (vos|de) (capacités|compétence)", fr), f"{sc.id} {b.level}"
            assert re.search(r"not (your )?(abilit|skill|current skills)", en), f"{sc.id} {b.level}"
    # Texts differ from one type to the next.
    for level in ("low", "moderate", "high"):
        fr_texts = {band_of_level(inst, sc.id, level).text.fr for sc in inst.scales}
        assert len(fr_texts) == 6, level


def band_of_level(inst: Instrument, scale_id: str, level: str) -> Band:
    bands = inst.scale(scale_id).bands
    assert bands is not None
    return next(b for b in bands.levels if b.level == level)


def test_validity_settings(inst: Instrument) -> None:
    v = inst.validity
    assert v.longstring_max == 15
    assert v.irv_min == 0.4
    assert v.missing_max == 0.2
    assert v.min_seconds_per_item == 1.0
    assert v.inconsistency_max == 2.5
    assert len(v.inconsistency_pairs) == 3
    for pair in v.inconsistency_pairs:
        assert pair.relation == "same"
        assert pair.first[0] == pair.second[0], "a pair stays within one type"
        assert pair.first != pair.second


def test_metadata_messages_and_norms_note(inst: Instrument) -> None:
    md = inst.metadata
    messages = md["messages"]
    assert isinstance(messages, dict)
    assert {"flat", "low", "code"} <= set(messages)
    for key in ("flat", "low"):
        assert "conseiller ou conseillère" in plain(messages[key]["fr"]), key
        assert "counsellor" in messages[key]["en"], key
    assert "verdict" in messages["code"]["fr"]
    norms = md["norms"]
    assert isinstance(norms, dict)
    assert "aucune norme" in plain(norms["fr"])
    assert "no norms" in norms["en"].lower()


def test_metadata_design_maps_every_item_to_rome_domains(inst: Instrument) -> None:
    design = inst.metadata["design"]
    assert isinstance(design, dict)
    types, items = design["types"], design["items"]
    assert set(types) == set(TYPES)
    assert set(items) == {it.id for it in inst.items}
    for t in TYPES:
        declared = types[t]["rome_grands_domaines"]
        assert declared == sorted(set(declared)), t
        assert set(declared) <= ROME_LETTERS, t
        assert types[t]["domains"]["fr"] and types[t]["domains"]["en"], t
        used = {letter for i, letters in items.items() if i[0] == t for letter in letters}
        assert used == set(declared), f"{t}: items use {sorted(used)}, declared {declared}"
        # Breadth: each type draws on at least four grands domaines, and no single one
        # supplies more than half of its activities (by main domain).
        main = Counter(letters[0] for i, letters in items.items() if i[0] == t)
        assert len(set(declared)) >= 4, t
        assert max(main.values()) <= 5, f"{t}: {main}"


# --- the ROME map (reference data) ----------------------------------------------------


def test_rome_letters_exist_and_hold_fiches_of_that_type(inst: Instrument, rome: Path) -> None:
    """Every grand domaine listed for a type exists in ROME 4.0 and has at least one fiche
    whose RIASEC majeur code is that type."""
    domains = {r["code_grand_domaine"] for r in read_csv(rome / "unix_grand_domaine_v460_utf8.csv")}
    assert domains == ROME_LETTERS
    fiches = Counter(
        (r["code_rome"][0], r["riasec_majeur"])
        for r in read_csv(rome / "unix_referentiel_code_rome_riasec_v460_utf8.csv")
    )
    design = inst.metadata["design"]
    assert isinstance(design, dict)
    for t, spec in design["types"].items():
        for letter in spec["rome_grands_domaines"]:
            assert letter in domains, f"{t}: unknown grand domaine {letter}"
            assert fiches[(letter, t)] >= 1, f"{t}: no ROME fiche of type {t} in domain {letter}"


def test_items_do_not_copy_rome_competences(inst: Instrument, rome: Path) -> None:
    """Our statements are our own: none reproduces a ROME competence label (4 words or
    more verbatim) or is a near copy of one."""
    labels = {
        " ".join(re.sub(r"[^\w ]+", " ", r["libelle_competence"].lower()).split())
        for r in read_csv(rome / "unix_referentiel_competence_v460_utf8.csv")
    }
    long_labels = [lb for lb in labels if len(lb.split()) >= 4]
    # Near copies share content words: compare only with labels sharing two of them.
    index: dict[str, set[str]] = {}
    for lb in labels:
        for word in set(lb.split()):
            if len(word) >= 4:
                index.setdefault(word, set()).add(lb)
    for it in inst.items:
        text = " ".join(re.sub(r"[^\w ]+", " ", it.text.fr.lower()).split())
        assert text not in labels, it.id
        copied = [lb for lb in long_labels if lb in text]
        assert copied == [], f"{it.id}: {copied}"
        shared = Counter(lb for w in set(text.split()) if len(w) >= 4 for lb in index.get(w, ()))
        near = [
            lb
            for lb, n in shared.items()
            if n >= 2 and difflib.SequenceMatcher(None, text, lb).ratio() >= 0.8
        ]
        assert near == [], f"{it.id}: {text!r} is close to {near}"


# --- scoring ---------------------------------------------------------------------------


def test_simulated_answers_score_within_range(inst: Instrument) -> None:
    wide = simulate_answers(inst, 500, seed=60)
    result = score(inst, from_wide(inst, wide).data)
    t = result.table
    assert result.instrument_key == "riasec-60@1.0.0"
    assert result.norm_version is None
    raw = t[[f"{SCALES[x]}.raw" for x in TYPES]].to_numpy()
    assert np.isfinite(raw).all()
    assert ((raw >= 0) & (raw <= 40)).all()
    assert (raw == np.round(raw)).all()
    means = t[[f"{SCALES[x]}.mean" for x in TYPES]].to_numpy()
    np.testing.assert_allclose(means, raw / 10)
    diff = t["riasec.differentiation"].to_numpy()
    assert ((diff >= 0) & (diff <= 40)).all()
    np.testing.assert_allclose(diff, raw.max(axis=1) - raw.min(axis=1))
    assert set(t["riasec.consistency"].dropna().unique()) <= {1.0, 2.0, 3.0}
    np.testing.assert_array_equal(t["riasec.flat"], diff <= 8)
    np.testing.assert_array_equal(t["riasec.low"], raw.max(axis=1) <= 12)
    for code, row in zip(t["riasec.code"], raw, strict=True):
        assert CODE_RE.match(code), code
        letters = code.replace("[", "").replace("]", "")
        # The code holds exactly the types scoring at least the third-highest score...
        third = np.sort(row)[::-1][2]
        assert set(letters) == {x for x, v in zip(TYPES, row, strict=True) if v >= third}, code
        assert len(letters) >= 3
        # ...and letters outside brackets are in strictly decreasing order of score.
        score_of = dict(zip(TYPES, row, strict=True))
        groups = re.findall(r"\[([RIASEC]+)\]|([RIASEC])", code)
        values = [score_of[(g or s)[0]] for g, s in groups]
        assert values == sorted(values, reverse=True) and len(set(values)) == len(values), code
    # Interpretation levels come from the mean: < 1.5 low, < 2.5 moderate, else high.
    levels = t[[f"{SCALES[x]}.level" for x in TYPES]].to_numpy()
    expected = np.select([means < 1.5, means < 2.5], ["low", "moderate"], "high")
    np.testing.assert_array_equal(levels.astype(str), expected)
    # Realistic synthetic respondents are rarely flagged.
    assert t["flag.any"].mean() < 0.05


def test_social_and_artistic_respondent(inst: Instrument) -> None:
    """4 on every S and A activity, 3 on E, 0 elsewhere: A and S tie at 40, E follows."""
    table = score(inst, matrix(inst, {"p": {"S": 4, "A": 4, "E": 3}})).table
    t = table.loc["p"]
    assert [t[f"{SCALES[x]}.raw"] for x in TYPES] == [0, 0, 40, 40, 30, 0]
    assert t["riasec.code"] == "[AS]E"
    assert t["riasec.differentiation"] == 40
    assert t["riasec.consistency"] == 3  # A and S are adjacent on the hexagon
    assert not t["riasec.flat"] and not t["riasec.low"]
    assert not t["flag.any"]
    assert [t[f"{SCALES[x]}.level"] for x in TYPES] == ["low", "low", "high", "high", "high", "low"]
    assert band_of(inst, "entreprenant", table.at["p", "entreprenant.mean"]).level == "high"


def test_ties_for_third_place_are_bracketed(inst: Instrument) -> None:
    t = score(inst, matrix(inst, {"p": {"I": 4, "C": 3, "R": 2, "E": 2}})).table.loc["p"]
    assert t["riasec.code"] == "IC[RE]"
    assert t["riasec.consistency"] == 2  # I and C: alternate on the hexagon


def test_answering_1_everywhere_is_flat_and_low(inst: Instrument) -> None:
    t = score(inst, matrix(inst, {"p": dict.fromkeys(TYPES, 1)})).table.loc["p"]
    assert t["riasec.code"] == "[RIASEC]"
    assert t["riasec.differentiation"] == 0
    assert np.isnan(t["riasec.consistency"])
    assert t["riasec.flat"] and t["riasec.low"]
    # The same answer 60 times is also a response-style flag, to be discussed.
    assert t["flag.longstring"] and t["flag.irv"]


@pytest.mark.parametrize(
    ("r_answers", "flat"),
    [([3] * 8 + [2] * 2, True), ([3] * 9 + [2], False)],  # R = 28 or 29, others 20
)
def test_flat_threshold(inst: Instrument, r_answers: list[int], flat: bool) -> None:
    m = matrix(inst, {"p": dict.fromkeys(TYPES, 2)})
    m.loc["p", [f"R{k:02d}" for k in range(1, 11)]] = r_answers
    t = score(inst, m).table.loc["p"]
    assert t["riasec.differentiation"] == sum(r_answers) - 20
    assert t["riasec.flat"] == flat
    assert not t["riasec.low"]


@pytest.mark.parametrize(("n_twos", "low"), [(2, True), (3, False)])  # best type 12 or 13
def test_low_threshold(inst: Instrument, n_twos: int, low: bool) -> None:
    m = matrix(inst, {"p": dict.fromkeys(TYPES, 1)})
    m.loc["p", [f"S{k:02d}" for k in range(1, n_twos + 1)]] = 2
    t = score(inst, m).table.loc["p"]
    assert t["social.raw"] == 10 + n_twos
    assert t["riasec.low"] == low
    assert t["riasec.flat"]  # a 2- or 3-point spread is flat too


def test_a_scale_with_too_few_answers_gives_no_code(inst: Instrument) -> None:
    m = matrix(inst, {"p": {"S": 4, "A": 3}})
    m.loc["p", ["R01", "R02", "R03"]] = np.nan  # 7 of 10 answered < 8 required
    t = score(inst, m).table.loc["p"]
    assert t["realiste.missing"] and np.isnan(t["realiste.raw"])
    assert t["riasec.code"] == ""
    assert pd.isna(t["riasec.flat"]) and pd.isna(t["riasec.low"])  # unknown, not False


def test_inconsistent_pairs_are_flagged(inst: Instrument) -> None:
    m = matrix(inst, {"p": dict.fromkeys(TYPES, 2)})
    for pair in inst.validity.inconsistency_pairs:
        m.loc["p", pair.first], m.loc["p", pair.second] = 0, 4
    t = score(inst, m).table.loc["p"]
    assert t["validity.inconsistency"] == 4
    assert t["flag.inconsistent"]


def test_a_skipped_item_does_not_demote_a_type(inst: Instrument) -> None:
    """R: 8 answers of 4 (2 skipped, allowed by the 8-of-10 rule), mean 4.0; I: nine 4s
    and one 0, mean 3.6. R is the person's strongest interest and must come first: the
    profile uses prorated sums (mean x 10), not the sum of the answered items."""
    m = matrix(inst, {"p": {"R": 4, "I": 4, "A": 2}})
    m.loc["p", ["R01", "R02"]] = np.nan
    m.loc["p", "I10"] = 0
    t = score(inst, m).table.loc["p"]
    assert t["realiste.mean"] == 4.0 and t["investigateur.mean"] == 3.6
    assert t["realiste.raw"] == 32 and t["realiste.n"] == 8
    assert t["riasec.code"] == "RIA"
    assert t["riasec.differentiation"] == 40  # 4.0 x 10 for R, 0 for S, E, C
