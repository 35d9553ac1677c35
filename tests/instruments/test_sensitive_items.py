"""Minimisation: an instrument administered in a bilan may contain no item tagged
``sensitive`` (GDPR art. 9 special categories); earlier versions kept in an archive.

Bad files are variations of the small valid instrument ``MINI`` of ``test_loader``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from instruments import (
    ARCHIVE_DIR,
    InstrumentError,
    InstrumentSet,
    archived_files,
    builtin_files,
    check_instrument_file,
    load_all,
    load_instrument,
)
from instruments.schema import SENSITIVE_CATEGORIES
from tests.instruments.test_loader import MINI, line_of, only_problem, variant

Q2 = "  - {id: Q2, format: agree5, text: {fr: Question deux, en: Question two}}"
Q4 = "  - {id: Q4, format: agree5, text: {fr: Question quatre, en: Question four}}"


def tagged(item_line: str, category: str) -> tuple[str, str]:
    """The edit that tags one item of MINI as sensitive."""
    return item_line, item_line.replace(
        "format: agree5,", f"format: agree5, sensitive: {category},"
    )


def test_items_are_not_sensitive_unless_tagged_and_instruments_are_for_a_bilan(
    tmp_path: Path,
) -> None:
    inst = load_instrument(variant(tmp_path))
    assert inst.administered_in_bilan  # the default
    assert all(it.sensitive is None for it in inst.items)


def test_a_sensitive_item_is_refused_in_an_instrument_administered_in_a_bilan(
    tmp_path: Path,
) -> None:
    path = variant(
        tmp_path,
        tagged(Q2, "religion"),
        tagged(Q4, "politics"),
        ("minutes: 2\n", "minutes: 2\nadministered_in_bilan: true\n"),
    )
    problem = only_problem(path)
    assert problem.where == "administered_in_bilan"
    assert problem.line == line_of(path.read_text(encoding="utf-8"), "administered_in_bilan")
    # French first, naming every item and what it reveals; then English.
    assert problem.message.startswith(
        "un questionnaire administré dans un bilan ne doit contenir aucun item sensible"
    )
    french, english = problem.message.split(" / ")
    assert "Q2 (convictions religieuses), Q4 (opinions politiques)" in french
    assert "« administered_in_bilan: false »" in french
    assert "remove Q2 (religion), Q4 (politics)" in english
    assert "Q1" not in problem.message and "Q3" not in problem.message


def test_the_refusal_points_at_the_first_sensitive_item_when_the_flag_is_implicit(
    tmp_path: Path,
) -> None:
    """administered_in_bilan defaults to true: an untagged file is checked too."""
    path = variant(tmp_path, tagged(Q4, "health"))
    problem = only_problem(path)
    assert problem.where == "items[3] (Q4).sensitive"
    assert problem.line == line_of(path.read_text(encoding="utf-8"), "id: Q4")
    assert "Q4 (santé)" in problem.message


def test_sensitive_items_are_allowed_outside_a_bilan(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        tagged(Q2, "sex_life"),
        ("minutes: 2\n", "minutes: 2\nadministered_in_bilan: false\n"),
    )
    instrument, problems = check_instrument_file(path)
    assert problems == []
    assert instrument is not None and not instrument.administered_in_bilan
    assert instrument.item("Q2").sensitive == "sex_life"


def test_unknown_sensitive_category(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        tagged(Q2, "opinions"),
        ("minutes: 2\n", "minutes: 2\nadministered_in_bilan: false\n"),
    )
    problem = only_problem(path)
    assert problem.where == "items[1] (Q2).sensitive"
    assert problem.message.startswith("sensitive names what the item reveals; use one of")
    assert "religion" in problem.message and "politics" in problem.message


def test_administered_in_bilan_must_be_a_boolean(tmp_path: Path) -> None:
    path = variant(tmp_path, ("minutes: 2\n", "minutes: 2\nadministered_in_bilan: sometimes\n"))
    assert only_problem(path).where == "administered_in_bilan"


def test_categories_cover_the_special_categories_of_the_gdpr() -> None:
    assert set(SENSITIVE_CATEGORIES) >= {
        "ethnic_origin",
        "politics",
        "religion",
        "philosophy",
        "trade_union",
        "genetic",
        "biometric",
        "health",
        "sex_life",
    }


@pytest.mark.parametrize("path", builtin_files(), ids=[f.stem for f in builtin_files()])
def test_every_builtin_instrument_administered_in_a_bilan_passes(path: Path) -> None:
    instrument, problems = check_instrument_file(path)
    assert problems == [], "\n".join(map(str, problems))
    assert instrument is not None
    assert instrument.administered_in_bilan  # every built-in instrument is for the bilan
    assert [it.id for it in instrument.items if it.sensitive] == []


# --- earlier versions kept in the archive ------------------------------------------------


def test_archived_versions_load_and_are_never_administered() -> None:
    files = archived_files()
    assert files == [ARCHIVE_DIR / "spi-135-1.0.0" / "spi-135.yaml"]
    for f in files:
        inst = load_instrument(f)
        assert f.parent.name == f"{inst.id}-{inst.version}" and f.stem == inst.id
        assert not inst.administered_in_bilan


def test_load_all_keeps_earlier_versions_apart() -> None:
    installed = load_all(earlier=archived_files())
    assert isinstance(installed, InstrumentSet)
    assert installed["spi-135"].version == "2.0.0"  # what is assigned today
    assert list(installed.earlier) == [("spi-135", "1.0.0")]
    assert installed.version("spi-135", "1.0.0") is installed.earlier[("spi-135", "1.0.0")]
    assert installed.version("spi-135", "2.0.0") is installed["spi-135"]
    assert installed.version("spi-135", "0.9.0") is None
    assert installed.version("nothing", "1.0.0") is None


def test_load_all_refuses_an_earlier_version_equal_to_the_current_one(tmp_path: Path) -> None:
    current = variant(tmp_path, name="mini.yaml")
    (tmp_path / "archive").mkdir()
    same = variant(tmp_path / "archive", name="mini.yaml")
    with pytest.raises(InstrumentError) as info:
        load_all([current], earlier=[same])
    assert [p.message for p in info.value.problems] == ["instrument 'mini@1.0.0' is loaded twice"]
    older = tmp_path / "archive" / "mini-0.9.0.yaml"
    older.write_text(MINI.replace('version: "1.0.0"', 'version: "0.9.0"'), encoding="utf-8")
    installed = load_all([current], earlier=[older])
    assert installed.version("mini", "0.9.0") is not None
