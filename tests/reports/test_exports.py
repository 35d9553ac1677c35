"""Exports of stored scores (reports/exports.py), built from real scoring of built-in
instruments: long and wide tables, CSV, XLSX and JSON round trips, formula injection."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
from collections.abc import Iterable
from typing import Any

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from instruments import BUILTIN_DIR, Instrument, load_instrument
from reports.exports import (
    HEADERS,
    ExportError,
    ScoredQuestionnaire,
    beneficiary_scores_long,
    caseload_legend,
    caseload_wide,
    to_csv,
    to_json,
    to_xlsx,
)
from service.features.journey.completion import score_answers

# 13:05 UTC on 3 November 2026 is 14:05 in Paris (winter time).
COMPLETED = dt.datetime(2026, 11, 3, 13, 5, tzinfo=dt.UTC)
PARIS = dt.datetime(2026, 11, 3, 14, 5)
FR = HEADERS["fr"]


@pytest.fixture(scope="module")
def bfi() -> Instrument:
    return load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")


@pytest.fixture(scope="module")
def riasec() -> Instrument:
    return load_instrument(BUILTIN_DIR / "riasec-60.yaml")


@pytest.fixture(scope="module")
def values() -> Instrument:
    return load_instrument(BUILTIN_DIR / "valeurs-travail.yaml")


def answers(
    inst: Instrument,
    *,
    offset: int = 0,
    by_scale: dict[str, int] | None = None,
    skip: Iterable[str] = (),
) -> dict[str, float]:
    """Deterministic answers: a cycle over each item's options (shifted by ``offset``),
    the option index ``by_scale[scale]`` for the items of that scale, rankings as a
    permutation within their block, and no answer to the items in ``skip``."""
    fixed = {
        m.item: index for sid, index in (by_scale or {}).items() for m in inst.scale(sid).members
    }
    skipped = set(skip)
    block_position: dict[str | None, int] = {}
    out: dict[str, float] = {}
    for k, item in enumerate(inst.numeric_items):
        fmt = inst.formats[item.format]
        options = fmt.allowed_values()
        assert options is not None
        if fmt.type == "ranking":
            position = block_position.get(item.block, 0)
            block_position[item.block] = position + 1
            value = options[(position + offset) % len(options)]
        elif item.id in fixed:
            value = options[fixed[item.id]]
        else:
            value = options[(3 * k + offset) % len(options)]
        if item.id not in skipped:
            out[item.id] = value
    return out


def record(
    inst: Instrument,
    given: dict[str, float],
    *,
    who: str = "Ana Martin",
    bilan: int = 7,
    seconds: float = 600,
    ref: str | None = None,
) -> ScoredQuestionnaire:
    scores, key, norm_version = score_answers(inst, given, respondent=1, seconds=seconds)
    return ScoredQuestionnaire(
        beneficiary=who,
        bilan_id=bilan,
        instrument=inst,
        instrument_key=key,
        norm_version=norm_version,
        completed_at=COMPLETED,
        scores=scores,
        beneficiary_ref=ref,
    )


@pytest.fixture(scope="module")
def ana(bfi: Instrument, riasec: Instrument, values: Instrument) -> list[ScoredQuestionnaire]:
    """One person: Big Five (normed), RIASEC (clear S-A-E profile), work values with the
    "réussite" scale unanswered."""
    return [
        record(bfi, answers(bfi, offset=1)),
        record(
            riasec,
            answers(
                riasec,
                by_scale={
                    "social": 4,
                    "artistique": 3,
                    "entreprenant": 2,
                    "realiste": 0,
                    "investigateur": 1,
                    "conventionnel": 0,
                },
            ),
        ),
        record(values, answers(values, offset=2, skip=("VT01", "VT07"))),
    ]


def number(value: Any) -> float:
    """A stored score as a float, None as NaN (how the tables show a missing value)."""
    return math.nan if value is None else float(value)


def same(a: Any, b: Any) -> bool:
    a, b = number(a), number(b)
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12)


# -- long table ---------------------------------------------------------------------------


def test_long_has_one_row_per_scale_with_the_stored_values(ana):
    table = beneficiary_scores_long(ana)

    expected_rows = [(q, sc.id) for q in ana for sc in q.instrument.scales]
    assert len(table) == len(expected_rows) == 5 + 6 + 12
    metrics = {
        "raw": "raw",
        "mean": "mean",
        "n": "n",
        "t": "t",
        "percentile": "percentile",
        "band_low": "band_low",
        "band_high": "band_high",
        "rank": "rank",
    }
    for (q, sid), (_, row) in zip(expected_rows, table.iterrows(), strict=True):
        assert row[FR["questionnaire"]] == q.instrument.name.get("fr")
        assert row[FR["version"]] == "1.0.0"
        assert row[FR["scale"]] == sid
        assert row[FR["scale_name"]] == q.instrument.scale(sid).name.fr
        assert row[FR["completed_at"]] == PARIS
        for key, metric in metrics.items():
            stored = q.scores.get(f"{sid}.{metric}")
            assert same(row[FR[key]], stored), (sid, metric, row[FR[key]], stored)


def test_long_shows_level_labels_norms_and_the_holland_code(ana):
    bfi, riasec, values = ana
    table = beneficiary_scores_long(ana)
    by_scale = table.set_index([FR["instrument"], FR["scale"]])

    openness = by_scale.loc[("ipip-bfi-25", "openness")]
    code = bfi.scores["openness.level"]
    band = next(b for b in bfi.instrument.scale("openness").bands.levels if b.level == code)
    assert openness[FR["level"]] == band.label.fr
    assert openness[FR["norm_version"]] == "2026.11-bfi-adults"
    assert pd.isna(openness[FR["holland_code"]])

    assert riasec.scores["riasec.code"].startswith("S")
    riasec_rows = table[table[FR["instrument"]] == "riasec-60"]
    assert (riasec_rows[FR["holland_code"]] == riasec.scores["riasec.code"]).all()
    assert riasec_rows[FR["norm_version"]].isna().all()

    ranks = table[table[FR["instrument"]] == "valeurs-travail"][FR["rank"]]
    assert ranks.notna().sum() == 5  # six ranked values, réussite unanswered
    assert sorted(ranks.dropna()) == sorted(
        v for k, v in values.scores.items() if k.endswith(".rank") and v is not None
    )


def test_long_keeps_an_unanswered_scale_as_an_empty_row(ana):
    table = beneficiary_scores_long(ana)
    row = table[table[FR["scale"]] == "reussite"].iloc[0]
    assert ana[2].scores["reussite.missing"] is True
    assert pd.isna(row[FR["raw"]]) and pd.isna(row[FR["mean"]]) and pd.isna(row[FR["rank"]])
    assert pd.isna(row[FR["level"]])
    assert row[FR["n"]] == 0


def test_long_drops_score_columns_that_no_questionnaire_has(ana):
    only_riasec = beneficiary_scores_long([ana[1]])
    for key in ("t", "percentile", "band_low", "band_high", "rank"):
        assert FR[key] not in only_riasec.columns
    assert {FR["raw"], FR["mean"], FR["n"], FR["level"], FR["holland_code"]} <= set(
        only_riasec.columns
    )
    # identification columns stay, even when empty
    assert only_riasec[FR["norm_version"]].isna().all()

    only_bfi = beneficiary_scores_long([ana[0]])
    assert FR["holland_code"] not in only_bfi.columns
    assert FR["rank"] not in only_bfi.columns
    assert FR["t"] in only_bfi.columns


def test_long_names_the_raised_validity_flags(bfi):
    rushed = record(bfi, {it.id: 3.0 for it in bfi.numeric_items}, seconds=5)
    assert rushed.scores["flag.too_fast"] is True
    assert rushed.scores["flag.longstring"] is True

    fr = beneficiary_scores_long([rushed])
    assert fr[FR["validity_flag"]].all()
    notes = fr[FR["validity_notes"]].iloc[0]
    assert "réponses très rapides" in notes
    assert "longue suite de réponses identiques" in notes
    assert "incohérentes" not in notes  # flag.inconsistent is False

    en = beneficiary_scores_long([rushed], lang="en")
    assert "answered very fast" in en[HEADERS["en"]["validity_notes"]].iloc[0]
    assert en[HEADERS["en"]["level"]].iloc[0] in {"Rather low", "Average", "Rather high"}


def test_long_without_any_alert_has_an_empty_note(ana):
    bfi = ana[0]
    assert bfi.scores["flag.any"] is False
    table = beneficiary_scores_long([bfi])
    assert not table[FR["validity_flag"]].any()
    assert (table[FR["validity_notes"]] == "").all()


# -- caseload -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def caseload(ana, bfi: Instrument) -> list[ScoredQuestionnaire]:
    bob = record(bfi, answers(bfi, offset=3), who="Bob Durand", bilan=9, ref="D-42")
    return [*ana, bob]


def test_caseload_has_one_row_per_beneficiary_and_instrument(caseload):
    table = caseload_wide(caseload)

    assert len(table) == 4
    pairs = list(zip(table[FR["beneficiary"]], table[FR["instrument"]], strict=True))
    assert pairs == [
        ("Ana Martin", "ipip-bfi-25"),
        ("Ana Martin", "riasec-60"),
        ("Ana Martin", "valeurs-travail"),
        ("Bob Durand", "ipip-bfi-25"),
    ]
    fixed = [
        FR[k]
        for k in (
            "beneficiary",
            "beneficiary_ref",
            "bilan",
            "questionnaire",
            "instrument",
            "version",
            "norm_version",
            "completed_at",
            "holland_code",
            "validity_flag",
        )
    ]
    assert list(table.columns[: len(fixed)]) == fixed
    bfi_scales = ["agreeableness", "conscientiousness", "extraversion", "neuroticism", "openness"]
    expected_scales = [
        c for s in bfi_scales for c in (f"ipip-bfi-25.{s}", f"ipip-bfi-25.{s}.percentile")
    ]
    expected_scales += [f"riasec-60.{sc.id}" for sc in caseload[1].instrument.scales]
    expected_scales += [f"valeurs-travail.{sc.id}" for sc in caseload[2].instrument.scales]
    assert list(table.columns[len(fixed) :]) == expected_scales
    assert table[FR["beneficiary_ref"]].tolist()[3] == "D-42"
    assert (table[FR["completed_at"]] == PARIS).all()


def test_caseload_holds_t_when_normed_else_rank_else_mean(caseload):
    table = caseload_wide(caseload)
    bfi, riasec, values, bob = caseload

    assert table.loc[0, "ipip-bfi-25.openness"] == bfi.scores["openness.t"]
    assert table.loc[3, "ipip-bfi-25.openness"] == bob.scores["openness.t"]
    assert table.loc[3, "ipip-bfi-25.openness.percentile"] == bob.scores["openness.percentile"]
    assert table.loc[1, "riasec-60.social"] == riasec.scores["social.mean"]
    assert table.loc[2, "valeurs-travail.relations"] == values.scores["relations.rank"]
    assert (
        table.loc[2, "valeurs-travail.relations_classement"]
        == values.scores["relations_classement.mean"]
    )
    assert pd.isna(table.loc[2, "valeurs-travail.reussite"])  # unanswered
    # a scale column is empty on the rows of other instruments
    assert table["riasec-60.social"].notna().tolist() == [False, True, False, False]
    assert table[FR["holland_code"]].tolist()[1] == riasec.scores["riasec.code"]
    assert table[FR["holland_code"]].isna().tolist() == [True, False, True, True]
    assert table[FR["validity_flag"]].tolist() == [q.scores["flag.any"] for q in caseload]


def test_caseload_legend_describes_every_scale_column(caseload):
    table = caseload_wide(caseload)
    legend = caseload_legend(caseload).set_index(FR["column"])

    scale_columns = [c for c in table.columns if c not in set(FR.values())]
    assert list(legend.index) == scale_columns
    assert legend.loc["ipip-bfi-25.openness", FR["metric"]] == "Note T"
    assert legend.loc["ipip-bfi-25.openness.percentile", FR["metric"]] == "Percentile"
    assert legend.loc["riasec-60.social", FR["metric"]] == "Moyenne"
    assert legend.loc["valeurs-travail.reussite", FR["metric"]] == "Rang"
    assert legend.loc["ipip-bfi-25.openness", FR["scale_name"]] == "Ouverture"
    en = caseload_legend(caseload, lang="en").set_index(HEADERS["en"]["column"])
    assert en.loc["ipip-bfi-25.openness", "Scale"] == "Openness"


def test_caseload_without_reference_or_riasec_leaves_those_columns_out(ana):
    table = caseload_wide([ana[0]])
    assert FR["beneficiary_ref"] not in table.columns
    assert FR["holland_code"] not in table.columns
    assert FR["validity_flag"] in table.columns


# -- CSV ----------------------------------------------------------------------------------


def test_csv_round_trips_in_the_french_excel_dialect(caseload):
    table = beneficiary_scores_long(caseload[:3])
    data = to_csv(table)

    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    header = data[3:].split(b"\r\n", 1)[0].decode()
    assert header.split(";")[:3] == ["Bilan", "Questionnaire", "Identifiant du questionnaire"]
    back = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig")
    assert list(back.columns) == list(table.columns)
    assert len(back) == len(table)
    for col in (FR["raw"], FR["mean"], FR["t"], FR["percentile"], FR["rank"]):
        assert pd.api.types.is_float_dtype(back[col])
        pd.testing.assert_series_equal(back[col], table[col], check_names=False, rtol=1e-12)
    assert back[FR["scale_name"]].tolist() == table[FR["scale_name"]].tolist()  # accents
    assert back[FR["completed_at"]].unique().tolist() == ["2026-11-03 14:05"]


def test_csv_dialect_is_a_parameter(caseload):
    table = caseload_wide(caseload)
    data = to_csv(table, sep=",", decimal=".", bom=False)
    assert not data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data))
    assert back["ipip-bfi-25.openness"].tolist()[0] == pytest.approx(
        table["ipip-bfi-25.openness"].tolist()[0], rel=1e-12
    )
    rounded = to_csv(table, float_format="%.2f").decode("utf-8-sig")
    assert f"{table['ipip-bfi-25.openness'][0]:.2f}".replace(".", ",") in rounded
    with pytest.raises(ExportError, match="separator and decimal"):
        to_csv(table, sep=",", decimal=",")


# -- XLSX ---------------------------------------------------------------------------------


def test_xlsx_round_trips_with_numbers_dates_and_a_frozen_bold_header(caseload):
    table = caseload_wide(caseload)
    legend = caseload_legend(caseload)
    data = to_xlsx(table, sheet_name="Portefeuille", extra_sheets={"Légende": legend})

    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Portefeuille", "Légende"]
    ws = wb["Portefeuille"]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header == list(table.columns)
    assert all(c.font.b for c in ws[1])
    assert not any(c.font.b for c in ws[2])
    assert ws.max_row == len(table) + 1

    col = {name: j for j, name in enumerate(header, start=1)}
    t_cell = ws.cell(row=2, column=col["ipip-bfi-25.openness"])
    assert t_cell.data_type == "n"
    assert t_cell.value == pytest.approx(caseload[0].scores["openness.t"], rel=1e-12)
    assert t_cell.number_format == "0.00"
    rank_cell = ws.cell(row=4, column=col["valeurs-travail.relations"])
    assert isinstance(rank_cell.value, int | float)
    assert rank_cell.value == caseload[2].scores["relations.rank"]
    bilan_cell = ws.cell(row=2, column=col[FR["bilan"]])
    assert bilan_cell.value == 7 and bilan_cell.data_type == "n"
    date_cell = ws.cell(row=2, column=col[FR["completed_at"]])
    assert date_cell.value == PARIS
    assert date_cell.is_date
    assert ws.cell(row=2, column=col[FR["validity_flag"]]).value is False
    assert ws.cell(row=2, column=col["riasec-60.social"]).value is None  # other instrument

    widths = {c: ws.column_dimensions[get_column_letter(j)].width for c, j in col.items()}
    longest_name = max(len(q.instrument.name.fr) for q in caseload)
    assert widths[FR["questionnaire"]] == min(longest_name + 2, 60)
    assert all(8 <= w <= 60 for w in widths.values())
    assert widths["ipip-bfi-25.openness.percentile"] >= len("ipip-bfi-25.openness.percentile")


def test_xlsx_refuses_a_sheet_name_excel_refuses(ana):
    table = beneficiary_scores_long(ana)
    with pytest.raises(ExportError, match="31 characters"):
        to_xlsx(table, sheet_name="Scores/2026")
    with pytest.raises(ExportError, match="used twice"):
        to_xlsx(table, sheet_name="A", extra_sheets={"A": table})


# -- JSON ---------------------------------------------------------------------------------


def test_json_round_trips_nested_per_scale_with_nulls(caseload):
    doc = json.loads(to_json(caseload))

    assert doc["format"] == "boussole.scores"
    assert doc["format_version"] == 1
    assert len(doc["questionnaires"]) == 4
    bfi_json, riasec_json, values_json, bob_json = doc["questionnaires"]
    bfi = caseload[0]
    assert bfi_json["instrument"] == {
        "id": "ipip-bfi-25",
        "version": "1.0.0",
        "key": "ipip-bfi-25@1.0.0",
        "name": bfi.instrument.name.fr,
    }
    assert bfi_json["norm_version"] == "2026.11-bfi-adults"
    assert bfi_json["completed_at"] == "2026-11-03T14:05:00+01:00"
    assert bfi_json["bilan"] == 7 and bfi_json["beneficiary_ref"] is None
    assert bob_json["beneficiary_ref"] == "D-42"
    assert list(bfi_json["scales"]) == [sc.id for sc in bfi.instrument.scales]
    openness = bfi_json["scales"]["openness"]
    assert openness["name"] == "Ouverture"
    for metric in ("raw", "mean", "n", "t", "percentile", "band_low", "band_high", "level"):
        assert openness[metric] == bfi.scores[f"openness.{metric}"]
    assert bfi_json["validity"]["flags"]["any"] is False
    assert bfi_json["validity"]["indices"]["irv"] == bfi.scores["validity.irv"]
    assert bfi_json["profile"] == {}
    assert bfi_json["other"] == {}

    assert riasec_json["profile"]["code"] == caseload[1].scores["riasec.code"]
    reussite = values_json["scales"]["reussite"]
    assert reussite["mean"] is None and reussite["rank"] is None
    assert reussite["missing"] is True


def test_json_writes_nan_as_null_never_as_nan():
    q = ScoredQuestionnaire(
        beneficiary="Léa",
        bilan_id=1,
        instrument_key="ancien@0.9",
        scores={"calme.t": math.nan, "calme.n": 3, "divers": "x"},
        completed_at=dt.datetime(2026, 1, 5, 9, 30),
    )
    text = to_json([q]).decode("utf-8")
    assert "NaN" not in text
    assert "Léa" in text  # UTF-8, not \\u escapes
    doc = json.loads(text)["questionnaires"][0]
    assert doc["scales"] == {"calme": {"name": "calme", "t": None, "n": 3}}
    assert doc["completed_at"] == "2026-01-05T09:30:00"  # naive: local time, no offset
    assert doc["other"] == {"divers": "x"}


# -- formula injection --------------------------------------------------------------------

DANGEROUS = [
    '=HYPERLINK("http://evil.test","clic")',
    "+33 6 12 34 56 78",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture(scope="module")
def injected(bfi: Instrument) -> list[ScoredQuestionnaire]:
    scores, key, norm_version = score_answers(bfi, answers(bfi), respondent=1, seconds=600)
    return [
        ScoredQuestionnaire(
            beneficiary=name,
            bilan_id=k,
            instrument=bfi,
            instrument_key=key,
            norm_version=norm_version,
            scores=scores,
            beneficiary_ref="=cmd",
        )
        for k, name in enumerate(DANGEROUS, start=1)
    ]


def test_csv_neutralises_formulas_in_text_cells(injected):
    table = caseload_wide(injected)
    back = pd.read_csv(
        io.BytesIO(to_csv(table)), sep=";", decimal=",", encoding="utf-8-sig", keep_default_na=False
    )
    assert back[FR["beneficiary"]].tolist() == ["'" + name for name in DANGEROUS]
    assert set(back[FR["beneficiary_ref"]]) == {"'=cmd"}
    # numbers (negative ones too) are not touched
    assert back["ipip-bfi-25.openness"].tolist()[0] == pytest.approx(
        injected[0].scores["openness.t"], rel=1e-12
    )
    assert table[FR["beneficiary"]].tolist() == DANGEROUS  # the table itself is unchanged


def test_xlsx_stores_formulas_as_neutralised_text(injected):
    table = caseload_wide(injected)
    table["écart"] = -2.5
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(table))).active
    names = [ws.cell(row=i, column=1) for i in range(2, len(DANGEROUS) + 2)]
    # A carriage return comes back as a line feed when openpyxl writes with the standard
    # library, as itself when it writes with lxml (installed with python-docx): compare
    # after the same normalisation
    values = [c.value.replace("\r", "\n") for c in names]
    assert values == ["'" + name.replace("\r", "\n") for name in DANGEROUS]
    assert all(c.data_type == "s" for c in names)
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    last = ws.cell(row=2, column=ws.max_column)
    assert last.value == -2.5 and last.data_type == "n"


def test_json_keeps_names_exactly(injected):
    doc = json.loads(to_json(injected))
    assert [q["beneficiary"] for q in doc["questionnaires"]] == DANGEROUS


# -- empty input, bad input, unknown instrument ------------------------------------------


def test_empty_input_gives_header_only_tables_and_files():
    long = beneficiary_scores_long([])
    wide = caseload_wide([])
    legend = caseload_legend([])
    assert long.empty and wide.empty and legend.empty
    assert list(long.columns[:8]) == [
        FR[k]
        for k in (
            "bilan",
            "questionnaire",
            "instrument",
            "version",
            "norm_version",
            "completed_at",
            "scale",
            "scale_name",
        )
    ]
    assert {FR["t"], FR["rank"], FR["holland_code"], FR["validity_notes"]} <= set(long.columns)
    assert FR["beneficiary"] in wide.columns and FR["validity_flag"] in wide.columns

    csv_text = to_csv(long).decode("utf-8-sig")
    assert csv_text == ";".join(long.columns) + "\r\n"
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(wide))).active
    assert ws.max_row == 1
    assert [c.value for c in ws[1]] == list(wide.columns)
    assert json.loads(to_json([]))["questionnaires"] == []


def test_scores_of_another_version_than_the_instrument_are_refused(bfi):
    with pytest.raises(ExportError, match=re.escape("ipip-bfi-25@0.9.0")):
        ScoredQuestionnaire(
            beneficiary="Ana",
            bilan_id=1,
            instrument=bfi,
            instrument_key="ipip-bfi-25@0.9.0",
            scores={},
        )
    with pytest.raises(ExportError, match="not '<id>@<version>'"):
        ScoredQuestionnaire(beneficiary="Ana", bilan_id=1, instrument_key="bfi", scores={})


def test_a_non_numeric_score_is_reported_with_its_place():
    q = ScoredQuestionnaire(
        beneficiary="Ana", bilan_id=4, instrument_key="demo@1", scores={"calme.mean": "haut"}
    )
    with pytest.raises(ExportError, match=r"bilan 4.*'calme\.mean'"):
        beneficiary_scores_long([q])


def test_without_the_instrument_ids_and_level_codes_are_shown(ana):
    bfi = ana[0]
    bare = ScoredQuestionnaire(
        beneficiary=bfi.beneficiary,
        bilan_id=bfi.bilan_id,
        instrument_key=bfi.instrument_key,
        scores=bfi.scores,
    )
    table = beneficiary_scores_long([bare])
    assert table[FR["scale"]].tolist() == [sc.id for sc in bfi.instrument.scales]
    assert table[FR["scale_name"]].tolist() == table[FR["scale"]].tolist()
    assert table[FR["questionnaire"]].unique().tolist() == ["ipip-bfi-25"]
    assert table[FR["level"]].tolist() == [
        bfi.scores[f"{sc.id}.level"] for sc in bfi.instrument.scales
    ]
    assert caseload_wide([bare])["ipip-bfi-25.openness"].tolist() == [bfi.scores["openness.t"]]


def test_headers_can_be_replaced_and_languages_are_checked(ana):
    table = beneficiary_scores_long(ana, headers={"t": "T", "scale_name": "Dimension"})
    assert "T" in table.columns and "Dimension" in table.columns
    assert FR["t"] not in table.columns
    en = caseload_wide(ana, lang="en")
    assert en.columns[0] == "Beneficiary"
    assert en["Questionnaire"].tolist()[0] == ana[0].instrument.name.en
    with pytest.raises(ExportError, match="language 'de'"):
        caseload_wide(ana, lang="de")
    with pytest.raises(ExportError, match="unknown column keys"):
        beneficiary_scores_long(ana, headers={"note_t": "T"})
    with pytest.raises(ExportError, match="language 'es'"):
        to_json(ana, lang="es")
