"""Loading and validating instrument files: every problem named, located and reported at once.

Bad files are variations of ``MINI``, a small valid instrument written below; each test
changes one line (or inserts one) and expects a problem naming what is wrong, the item or
scale concerned and the line of the change.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from instruments import (
    InstrumentError,
    Problem,
    builtin_files,
    check_instrument_file,
    load_all,
    load_instrument,
)
from scoring.scales import score_scales

MINI = """\
format_version: 1
id: mini
version: "1.0.0"
languages: [fr, en]
name: {fr: Mini questionnaire, en: Mini questionnaire}
description: {fr: Un questionnaire de test., en: A test questionnaire.}
construct: other
licence: CC0
source: {citation: Test}
minutes: 2
response_formats:
  agree5:
    type: likert
    options:
      - {value: 1, label: {fr: Pas du tout, en: Not at all}}
      - {value: 2, label: {fr: Un peu, en: A little}}
      - {value: 3, label: {fr: Moyennement, en: Moderately}}
      - {value: 4, label: {fr: Beaucoup, en: A lot}}
      - {value: 5, label: {fr: Tout à fait, en: Completely}}
  pick3:
    type: single_choice
    options:
      - {value: 1, label: {fr: Rouge, en: Red}}
      - {value: 2, label: {fr: Vert, en: Green}}
      - {value: 3, label: {fr: Bleu, en: Blue}}
items:
  - {id: Q1, format: agree5, text: {fr: Question un, en: Question one}}
  - {id: Q2, format: agree5, text: {fr: Question deux, en: Question two}}
  - {id: Q3, format: agree5, text: {fr: Question trois, en: Question three}}
  - {id: Q4, format: agree5, text: {fr: Question quatre, en: Question four}}
  - {id: P1, format: pick3, text: {fr: Couleur préférée, en: Favourite colour}}
scales:
  - id: total
    name: {fr: Total, en: Total}
    items: [Q1, -Q2, Q3, Q4]
    bands:
      metric: mean
      levels:
        - {level: low, max: 3, label: {fr: Bas, en: Low}, text: {fr: Score bas., en: Low.}}
        - {level: high, min: 3, label: {fr: Haut, en: High}, text: {fr: Score haut., en: High.}}
  - id: sub
    name: {fr: Sous-échelle, en: Subscale}
    parent: total
    items: [Q1, Q3]
"""

LIKERT_OPTIONS = """\
    type: likert
    options:
      - {value: 1, label: {fr: Pas du tout, en: Not at all}}
      - {value: 2, label: {fr: Un peu, en: A little}}
      - {value: 3, label: {fr: Moyennement, en: Moderately}}
      - {value: 4, label: {fr: Beaucoup, en: A lot}}
      - {value: 5, label: {fr: Tout à fait, en: Completely}}
"""


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not found in the test file")


def variant(tmp_path: Path, *edits: tuple[str, str], name: str = "mini.yaml") -> Path:
    """Write MINI with each ``(old, new)`` replacement applied once; the old text must exist."""
    text = MINI
    for old, new in edits:
        assert old in text, f"test set-up: {old!r} is not in MINI"
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def only_problem(path: Path) -> Problem:
    instrument, problems = check_instrument_file(path)
    assert instrument is None
    assert len(problems) == 1, "\n".join(map(str, problems))
    assert problems[0].file == str(path)
    return problems[0]


# --- valid files -----------------------------------------------------------------------


def test_builtin_files_all_load() -> None:
    files = builtin_files()
    assert "ipip-bfi-25.yaml" in [f.name for f in files]
    for f in files:
        instrument, problems = check_instrument_file(f)
        assert problems == []
        assert instrument is not None
        assert instrument.id == f.stem


def test_builtin_bfi_content() -> None:
    inst = load_all()["ipip-bfi-25"]
    assert inst.key == "ipip-bfi-25@1.0.0"
    assert len(inst.items) == 25
    assert inst.minutes == 5
    assert inst.languages == ("fr", "en")
    assert [s.id for s in inst.scales] == [
        "agreeableness",
        "conscientiousness",
        "extraversion",
        "neuroticism",
        "openness",
    ]
    agree = inst.scale("agreeableness")
    assert [(m.item, m.key) for m in agree.members] == [
        ("A1", -1),
        ("A2", 1),
        ("A3", 1),
        ("A4", 1),
        ("A5", 1),
    ]
    assert inst.format_of("A1").coding_range == (1.0, 6.0)
    # The 'x-bands' anchor is shared by every scale and is not itself a field.
    assert agree.bands is not None and agree.bands.metric == "percentile"
    assert [b.level for b in agree.bands.levels] == ["low", "average", "high"]
    norms = inst.norms_path()
    assert norms is not None and norms.is_file()
    assert "x-bands" not in inst.metadata


def test_mini_instrument_is_valid(tmp_path: Path) -> None:
    path = variant(tmp_path)
    inst = load_instrument(path)
    assert inst.key == "mini@1.0.0"
    assert [i.id for i in inst.items] == ["Q1", "Q2", "Q3", "Q4", "P1"]
    assert inst.item("Q3").text.get("en") == "Question three"
    assert inst.scale("sub").parent == "total"
    assert inst.path == path.resolve()


ALL_FORMATS = """\
format_version: 1
id: all-formats
version: "2.1"
languages: [fr]
name: {fr: Tous les formats}
description: {fr: Un exemple de chaque format de réponse.}
construct: other
licence: CC0
source: {citation: Test, url: "https://example.org"}
minutes: 7.5
response_formats:
  agree4:
    type: likert
    options:
      - {value: 1, label: {fr: Pas d'accord}}
      - {value: 2, label: {fr: Plutôt pas d'accord}}
      - {value: 3, label: {fr: Plutôt d'accord}}
      - {value: 4, label: {fr: D'accord}}
  like5:
    type: rating
    options:
      - {value: 0, label: {fr: Je n'aime pas du tout}}
      - {value: 1, label: {fr: Je n'aime pas}}
      - {value: 2, label: {fr: Indifférent}}
      - {value: 3, label: {fr: J'aime}}
      - {value: 4, label: {fr: J'aime beaucoup}}
  yesno:
    type: binary
    options:
      - {value: 1, label: {fr: Oui}}
      - {value: 0, label: {fr: Non}}
  colour:
    type: single_choice
    options:
      - {value: 1, label: {fr: Rouge}}
      - {value: 2, label: {fr: Vert}}
      - {value: 3, label: {fr: Bleu}}
  tools:
    type: multiple_choice
    options:
      - {value: 1, label: {fr: Tableur}}
      - {value: 2, label: {fr: Traitement de texte}}
      - {value: 3, label: {fr: Dessin}}
      - {value: 4, label: {fr: Programmation}}
  rank3:
    type: ranking
    size: 3
  pair:
    type: forced_choice
    options:
      - {value: 1, label: {fr: J'aime créer}}
      - {value: 2, label: {fr: J'aime organiser}}
  comment:
    type: free_text
    max_length: 500
  years:
    type: number
    min: 0
    max: 60
items:
  - {id: L1, format: agree4, text: {fr: J'aime apprendre.}}
  - {id: L2, format: agree4, text: {fr: Je m'ennuie vite.}}
  - {id: R1, format: like5, text: {fr: Réparer un meuble}}
  - {id: R2, format: like5, text: {fr: Tenir une caisse}}
  - {id: B1, format: yesno, text: {fr: "Avez-vous déjà encadré une équipe ?"}}
  - {id: S1, format: colour, text: {fr: Votre couleur préférée}}
  - {id: M1, format: tools, text: {fr: Les outils que vous utilisez}}
  - {id: K1, format: rank3, block: work, text: {fr: Le salaire}}
  - {id: K2, format: rank3, block: work, text: {fr: L'ambiance}}
  - {id: K3, format: rank3, block: work, text: {fr: L'autonomie}}
  - {id: F1, format: pair, text: {fr: "Laquelle vous ressemble le plus ?"}}
  - {id: T1, format: comment, text: {fr: Commentaire libre}}
  - {id: N1, format: years, text: {fr: Années d'expérience}}
scales:
  - id: engagement
    name: {fr: Engagement}
    level: domain
    items: [L1, {item: L2, key: "-", weight: 2}, R1, -R2, B1]
    bands:
      metric: mean
      levels:
        - {level: low, max: 2, label: {fr: Bas}, text: {fr: Plutôt bas.}}
        - {level: mid, min: 2, max: 3, label: {fr: Moyen}, text: {fr: Dans la moyenne.}}
        - {level: high, min: 3, label: {fr: Haut}, text: {fr: Plutôt haut.}}
  - id: curiosity
    name: {fr: Curiosité}
    level: facet
    parent: engagement
    items: [L1, R1]
  - id: creative
    name: {fr: Création}
    method: sum
    min_answered: 1
    items:
      - {item: S1, option: 2}
      - {item: M1, option: 3}
      - {item: F1, option: 1}
      - K1
  - id: seniority
    name: {fr: Ancienneté}
    items: [N1]
"""


def test_every_format_type_and_scale_construct_loads(tmp_path: Path) -> None:
    path = tmp_path / "all.yaml"
    path.write_text(ALL_FORMATS, encoding="utf-8")
    inst = load_instrument(path)

    types = {fid: f.type for fid, f in inst.formats.items()}
    assert types == {
        "agree4": "likert",
        "like5": "rating",
        "yesno": "binary",
        "colour": "single_choice",
        "tools": "multiple_choice",
        "rank3": "ranking",
        "pair": "forced_choice",
        "comment": "free_text",
        "years": "number",
    }
    f = inst.formats
    assert f["like5"].coding_range == (0.0, 4.0)
    assert f["yesno"].allowed_values() == (1.0, 0.0)
    assert f["tools"].coding_range == (0.0, 15.0)  # bit mask of 4 options
    assert f["rank3"].size == 3 and f["rank3"].allowed_values() == (1.0, 2.0, 3.0)
    assert f["years"].coding_range == (0.0, 60.0) and f["years"].allowed_values() is None
    assert f["comment"].max_length == 500 and not f["comment"].numeric
    # French typography is applied at load: the file says "J'aime", the reader sees "J’aime"
    assert [o.label.fr for o in f["pair"].options] == ["J’aime créer", "J’aime organiser"]

    assert [it.block for it in inst.items if it.format == "rank3"] == ["work"] * 3
    assert "T1" not in [it.id for it in inst.numeric_items]
    assert inst.source.url == "https://example.org"
    assert inst.minutes == 7.5

    engagement = inst.scale("engagement")
    assert [(m.item, m.key, m.weight, m.option) for m in engagement.members] == [
        ("L1", 1, 1.0, None),
        ("L2", -1, 2.0, None),
        ("R1", 1, 1.0, None),
        ("R2", -1, 1.0, None),
        ("B1", 1, 1.0, None),
    ]
    assert engagement.bands is not None
    levels = engagement.bands.levels
    assert [(b.level, b.minimum, b.maximum) for b in levels] == [
        ("low", None, 2.0),
        ("mid", 2.0, 3.0),
        ("high", 3.0, None),
    ]

    facet = inst.scale("curiosity")
    assert (facet.parent, facet.level) == ("engagement", "facet")

    creative = inst.scale("creative")
    assert creative.method == "sum"
    assert [m.column for m in creative.members] == ["S1=2", "M1=3", "F1=1", "K1"]


def test_loaded_keys_weights_and_indicators_score_as_declared(tmp_path: Path) -> None:
    """The members built from YAML mean what the file says (hand-computed scores)."""
    path = tmp_path / "all.yaml"
    path.write_text(ALL_FORMATS, encoding="utf-8")
    inst = load_instrument(path)
    row = {
        "L1": 4.0,
        "L2": 1.0,  # reversed on 1..4 -> 4, weight 2 -> 8
        "R1": 3.0,
        "R2": 1.0,  # reversed on 0..4 -> 3
        "B1": 1.0,
        "S1": 2.0,  # option 2 chosen -> 1
        "M1": 5.0,  # bit mask of codes 1 and 3 -> option 3 chosen -> 1
        "K1": 2.0,
        "K2": 1.0,
        "K3": 3.0,
        "F1": 2.0,  # option 1 not chosen -> 0
        "N1": 12.0,
    }
    matrix = pd.DataFrame([row], index=["p1"])
    table = score_scales(inst, matrix)
    assert table.loc["p1", "engagement.raw"] == pytest.approx(4 + 8 + 3 + 3 + 1)
    assert table.loc["p1", "engagement.mean"] == pytest.approx(19 / 6)
    assert table.loc["p1", "curiosity.mean"] == pytest.approx(3.5)
    assert table.loc["p1", "creative.raw"] == pytest.approx(1 + 1 + 0 + 2)
    assert table.loc["p1", "seniority.mean"] == pytest.approx(12.0)
    assert not np.isnan(table.loc["p1", "creative.raw"])


# --- one problem per bad file ----------------------------------------------------------


def test_unknown_item_in_scale(tmp_path: Path) -> None:
    new = "    items: [Q1, -Q2, Q3, Q9]"
    path = variant(tmp_path, ("    items: [Q1, -Q2, Q3, Q4]", new))
    p = only_problem(path)
    assert "unknown item 'Q9'" in p.message
    assert "'total'" in p.message
    assert p.where.startswith("scales[0] (total).items[3]")
    assert p.line == line_of(path.read_text(), new)


def test_duplicate_item_ids(tmp_path: Path) -> None:
    dup = "  - {id: Q2, format: agree5, text: {fr: Encore deux, en: Two again}}"
    path = variant(tmp_path, ("  - {id: P1,", dup + "\n  - {id: P1,"))
    p = only_problem(path)
    assert "duplicate item id 'Q2'" in p.message
    assert "items[1]" in p.message  # where the first one is
    assert p.where == "items[4] (Q2).id"
    assert p.line == line_of(path.read_text(), dup)


def test_reverse_key_on_unordered_item(tmp_path: Path) -> None:
    new = "    items: [Q1, -Q2, Q3, Q4, -P1]"
    path = variant(tmp_path, ("    items: [Q1, -Q2, Q3, Q4]", new))
    p = only_problem(path)
    assert "'P1'" in p.message
    assert "single_choice" in p.message
    assert "not ordered" in p.message
    assert "option" in p.message  # says how to fix
    assert p.where.startswith("scales[0] (total).items[4]")
    assert p.line == line_of(path.read_text(), new)


def test_reverse_keyed_option_indicator(tmp_path: Path) -> None:
    new = '    items: [Q1, -Q2, Q3, Q4, {item: P1, option: 2, key: "-"}]'
    path = variant(tmp_path, ("    items: [Q1, -Q2, Q3, Q4]", new))
    p = only_problem(path)
    assert "option indicator cannot be reverse keyed" in p.message
    assert p.where.startswith("scales[0] (total).items[4]")
    assert p.line == line_of(path.read_text(), new)


def test_missing_english_text_when_english_is_declared(tmp_path: Path) -> None:
    new = "  - {id: Q3, format: agree5, text: {fr: Question trois}}"
    path = variant(
        tmp_path,
        ("  - {id: Q3, format: agree5, text: {fr: Question trois, en: Question three}}", new),
    )
    p = only_problem(path)
    assert "missing the 'en' text" in p.message
    assert p.where == "items[2] (Q3).text.en"
    assert p.line == line_of(path.read_text(), new)


def test_english_text_not_required_when_only_french_is_declared(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("languages: [fr, en]", "languages: [fr]"),
        ("text: {fr: Question trois, en: Question three}", "text: {fr: Question trois}"),
    )
    assert load_instrument(path).item("Q3").text.en is None


def test_missing_french_text(tmp_path: Path) -> None:
    new = "  - {id: Q3, format: agree5, text: {en: Question three}}"
    path = variant(
        tmp_path,
        ("  - {id: Q3, format: agree5, text: {fr: Question trois, en: Question three}}", new),
    )
    instrument, problems = check_instrument_file(path)
    assert instrument is None
    assert problems, "a text without French must be refused"
    assert {p.where for p in problems} == {"items[2] (Q3).text.fr"}
    assert {p.line for p in problems} == {line_of(path.read_text(), new)}
    assert any("'fr'" in p.message for p in problems)


def test_french_is_required_in_languages(tmp_path: Path) -> None:
    path = variant(tmp_path, ("languages: [fr, en]", "languages: [en]"))
    p = only_problem(path)
    assert "'fr'" in p.message and "languages" in p.message
    assert p.line == line_of(path.read_text(), "languages:")


def test_likert_without_options(tmp_path: Path) -> None:
    path = variant(tmp_path, (LIKERT_OPTIONS, "    type: likert\n"))
    p = only_problem(path)
    assert "'likert' format needs at least 2 options" in p.message
    assert "agree5" in p.where
    text = path.read_text()
    assert line_of(text, "agree5:") <= p.line <= line_of(text, "type: likert")


def test_duplicate_option_values(tmp_path: Path) -> None:
    path = variant(tmp_path, ("{value: 4, label: {fr: Beaucoup", "{value: 3, label: {fr: Beaucoup"))
    p = only_problem(path)
    assert "option values must be unique" in p.message
    assert "agree5" in p.where
    text = path.read_text()
    # The problem is in the options list, not on the 'type: likert' line above it.
    first, last = line_of(text, "    options:"), line_of(text, "{value: 5, label: {fr: Tout")
    assert first <= p.line <= last, f"line {p.line} is outside the options (lines {first}-{last})"


def test_ranking_block_of_wrong_size(tmp_path: Path) -> None:
    rank = "  rank3:\n    type: ranking\n    size: 3\n"
    k1 = "  - {id: K1, format: rank3, block: prio, text: {fr: Le salaire, en: Pay}}"
    k2 = "  - {id: K2, format: rank3, block: prio, text: {fr: L'ambiance, en: Mood}}"
    path = variant(
        tmp_path,
        ("items:\n", rank + "items:\n"),
        ("scales:\n", f"{k1}\n{k2}\nscales:\n"),
    )
    p = only_problem(path)
    assert "ranking block 'prio' has 2 items but its format ranks 3" in p.message
    assert p.where == "items[5] (K1).block"
    assert p.line == line_of(path.read_text(), k1)


def test_ranking_item_without_block(tmp_path: Path) -> None:
    rank = "  rank2:\n    type: ranking\n    size: 2\n"
    k1 = "  - {id: K1, format: rank2, text: {fr: Le salaire, en: Pay}}"
    path = variant(tmp_path, ("items:\n", rank + "items:\n"), ("scales:\n", f"{k1}\nscales:\n"))
    p = only_problem(path)
    assert "needs a 'block'" in p.message
    assert p.where.startswith("items[5] (K1)")
    assert p.line == line_of(path.read_text(), k1)


def test_bands_with_a_gap(tmp_path: Path) -> None:
    path = variant(tmp_path, ("{level: high, min: 3,", "{level: high, min: 3.5,"))
    p = only_problem(path)
    assert "without gap or overlap" in p.message
    assert "(3.5)" in p.message and "(3)" in p.message
    assert p.where == "scales[0] (total).bands.levels[1] (high).min"
    assert p.line == line_of(path.read_text(), "{level: high, min: 3.5,")


def test_bands_overlapping(tmp_path: Path) -> None:
    path = variant(tmp_path, ("{level: high, min: 3,", "{level: high, min: 2.5,"))
    p = only_problem(path)
    assert "without gap or overlap" in p.message
    assert p.line == line_of(path.read_text(), "{level: high, min: 2.5,")


def test_normed_band_metric_without_norms(tmp_path: Path) -> None:
    path = variant(tmp_path, ("      metric: mean", "      metric: percentile"))
    p = only_problem(path)
    assert "metric 'percentile' needs norms" in p.message
    assert p.where == "scales[0] (total).bands.metric"
    assert p.line == line_of(path.read_text(), "metric: percentile")


def test_unknown_parent_scale(tmp_path: Path) -> None:
    path = variant(tmp_path, ("    parent: total", "    parent: totale"))
    p = only_problem(path)
    assert "unknown parent scale 'totale'" in p.message
    assert p.where == "scales[1] (sub).parent"
    assert p.line == line_of(path.read_text(), "parent: totale")


def test_hierarchy_cycle(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        (
            "    name: {fr: Total, en: Total}\n",
            "    name: {fr: Total, en: Total}\n    parent: sub\n",
        ),
    )
    instrument, problems = check_instrument_file(path)
    assert instrument is None
    assert problems
    assert all("cycle" in p.message for p in problems)
    text = path.read_text()
    assert {(p.where, p.line) for p in problems} == {
        ("scales[0] (total).parent", line_of(text, "parent: sub")),
        ("scales[1] (sub).parent", line_of(text, "parent: total")),
    }


def test_item_with_unknown_response_format(tmp_path: Path) -> None:
    new = "  - {id: Q4, format: agree7, text: {fr: Question quatre, en: Question four}}"
    path = variant(tmp_path, ("  - {id: Q4, format: agree5,", "  - {id: Q4, format: agree7,"))
    p = only_problem(path)
    assert "unknown response format 'agree7'" in p.message
    assert "agree5, pick3" in p.message  # lists the declared ones
    assert p.where == "items[3] (Q4).format"
    assert p.line == line_of(path.read_text(), new)


def test_unknown_format_type(tmp_path: Path) -> None:
    path = variant(tmp_path, ("    type: single_choice", "    type: dropdown"))
    p = only_problem(path)
    assert "unknown format type" in p.message
    assert "single_choice" in p.message  # lists the known types
    assert p.line == line_of(path.read_text(), "type: dropdown")
    assert p.where == "response_formats.pick3.type"


def test_version_written_as_a_number(tmp_path: Path) -> None:
    path = variant(tmp_path, ('version: "1.0.0"', "version: 1.0"))
    p = only_problem(path)
    assert "version must be a string" in p.message
    assert "quote" in p.message
    assert p.where == "version"
    assert p.line == line_of(path.read_text(), "version: 1.0")


def test_yaml_syntax_error_reports_its_line(tmp_path: Path) -> None:
    path = variant(tmp_path, ("licence: CC0", "licence: CC0: libre"))
    p = only_problem(path)
    assert p.message.startswith("YAML syntax error")
    assert p.line == line_of(path.read_text(), "licence: CC0: libre")


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    path = variant(tmp_path, ("minutes: 2\n", "minutes: 2\nlicence: MIT\n"))
    p = only_problem(path)
    assert "duplicate key 'licence'" in p.message
    assert p.line == line_of(path.read_text(), "licence: MIT")


def test_yaml_merge_key_is_refused(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        (
            "    name: {fr: Sous-échelle, en: Subscale}\n",
            "    <<: {method: sum}\n    name: {fr: Sous-échelle, en: Subscale}\n",
        ),
    )
    p = only_problem(path)
    assert "'<<'" in p.message, "the loader's own 'merge keys are not supported' message"
    assert p.line == line_of(path.read_text(), "<<:")


@pytest.mark.parametrize(
    "text",
    ["- id: mini\n- version: 1\n", "just a sentence\n", ""],
    ids=["list", "scalar", "empty"],
)
def test_file_that_is_not_a_mapping(tmp_path: Path, text: str) -> None:
    path = tmp_path / "list.yaml"
    path.write_text(text, encoding="utf-8")
    p = only_problem(path)
    assert "must be a YAML mapping" in p.message


def test_missing_norm_file(tmp_path: Path) -> None:
    path = variant(tmp_path, ("minutes: 2\n", "minutes: 2\nnorms: mini.norms.json\n"))
    p = only_problem(path)
    assert "norm file 'mini.norms.json' not found" in p.message
    assert p.where == "norms"
    assert p.line == line_of(path.read_text(), "norms: mini.norms.json")
    # Building that very file needs the instrument without its norms.
    instrument, problems = check_instrument_file(path, check_norms=False)
    assert problems == [] and instrument is not None


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = variant(tmp_path, ("minutes: 2\n", "minutes: 2\nauthor: Moi\n"))
    p = only_problem(path)
    assert p.where == "author"
    assert "unknown" in p.message.lower()
    assert p.line == line_of(path.read_text(), "author: Moi")


def test_x_prefixed_top_level_keys_are_ignored(tmp_path: Path) -> None:
    path = variant(tmp_path, ("minutes: 2\n", "minutes: 2\nx-notes: {anything: [1, 2]}\n"))
    assert load_instrument(path).id == "mini"


def test_missing_file(tmp_path: Path) -> None:
    p = only_problem(tmp_path / "nope.yaml")
    assert p.message == "file not found"


def test_a_directory_is_reported_not_raised(tmp_path: Path) -> None:
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    try:
        instrument, problems = check_instrument_file(folder)
    except OSError as exc:  # an unreadable path is a problem to report, not a crash
        pytest.fail(f"check_instrument_file raised {exc!r} instead of returning a problem")
    assert instrument is None
    assert len(problems) == 1 and problems[0].file == str(folder)


# --- many problems at once -------------------------------------------------------------


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ('version: "1.0.0"', "version: 1.0"),
        ("text: {fr: Question trois, en: Question three}", "text: {fr: Question trois}"),
        ("    items: [Q1, -Q2, Q3, Q4]", "    items: [Q1, -Q2, Q3, Q9]"),
        ("{level: high, min: 3,", "{level: high, min: 3.5,"),
        ("    parent: total", "    parent: totale"),
    )
    text = path.read_text()
    instrument, problems = check_instrument_file(path)
    assert instrument is None
    found = [(p.line, p.where) for p in problems]
    assert found == [
        (line_of(text, "version: 1.0"), "version"),
        (line_of(text, "{id: Q3,"), "items[2] (Q3).text.en"),
        (line_of(text, "[Q1, -Q2, Q3, Q9]"), "scales[0] (total).items[3]"),
        (line_of(text, "min: 3.5"), "scales[0] (total).bands.levels[1] (high).min"),
        (line_of(text, "parent: totale"), "scales[1] (sub).parent"),
    ]


def test_load_instrument_raises_with_every_problem(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ('version: "1.0.0"', "version: 1.0"),
        ("    parent: total", "    parent: totale"),
    )
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    assert len(info.value.problems) == 2
    message = str(info.value)
    assert "2 problem(s)" in message
    assert f"{path}:{line_of(path.read_text(), 'version: 1.0')}: version:" in message
    assert "unknown parent scale 'totale'" in message


def test_load_all_reports_problems_of_every_file(tmp_path: Path) -> None:
    one = variant(tmp_path, ('version: "1.0.0"', "version: 1.0"), name="one.yaml")
    two = variant(tmp_path, ("    parent: total", "    parent: totale"), name="two.yaml")
    with pytest.raises(InstrumentError) as info:
        load_all([one, two])
    assert {p.file for p in info.value.problems} == {str(one), str(two)}


def test_load_all_refuses_the_same_id_twice(tmp_path: Path) -> None:
    one = variant(tmp_path, name="one.yaml")
    two = variant(tmp_path, name="two.yaml")
    with pytest.raises(InstrumentError) as info:
        load_all([one, two])
    assert [p.message for p in info.value.problems] == ["instrument id 'mini' is used twice"]
