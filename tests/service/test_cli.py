"""The ``boussole`` command line: instruments check/list, score, norms build.

Inputs are small files written here (no shared data). Scores of one respondent are checked
against a hand calculation with the built-in norm table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from instruments import BUILTIN_DIR
from service import cli
from service.cli import main

BFI_ITEMS = [f"{domain}{k}" for domain in "ACENO" for k in range(1, 6)]
Z90 = 1.6448536269514722
SCALES = ["agreeableness", "conscientiousness", "extraversion", "neuroticism", "openness"]

# p1: varied answers, 300 s. Agreeableness: A1 = 2 is reverse keyed (7 - 2 = 5), then
# A2..A5 = 5, 6, 4, 5: raw 25, mean 5.0.
P1 = {
    "id": "p1",
    **dict(zip(BFI_ITEMS[:5], [2, 5, 6, 4, 5], strict=True)),
    **dict(zip(BFI_ITEMS[5:10], [4, 3, 5, 2, 3], strict=True)),
    **dict(zip(BFI_ITEMS[10:15], [3, 4, 4, 5, 3], strict=True)),
    **dict(zip(BFI_ITEMS[15:20], [2, 3, 1, 2, 4], strict=True)),
    **dict(zip(BFI_ITEMS[20:25], [5, 2, 4, 6, 1], strict=True)),
    "seconds": 300,
}
# p2: the same answer everywhere, in 20 s: straight-lining, no variability, too fast.
P2 = {"id": "p2", **dict.fromkeys(BFI_ITEMS, 3), "seconds": 20}
# p3: A2 left empty; agreeableness keyed 7-6=1, -, 2, 3, 1: raw 7 over 4 items.
P3 = {
    "id": "p3",
    **dict(zip(BFI_ITEMS[:5], [6, None, 2, 3, 1], strict=True)),
    **dict(zip(BFI_ITEMS[5:10], [1, 2, 6, 5, 4], strict=True)),
    **dict(zip(BFI_ITEMS[10:15], [6, 5, 1, 2, 2], strict=True)),
    **dict(zip(BFI_ITEMS[15:20], [5, 6, 4, 3, 5], strict=True)),
    **dict(zip(BFI_ITEMS[20:25], [2, 5, 1, 3, 4], strict=True)),
    "seconds": 400,
}
ROWS = [P1, P2, P3]
COLUMNS = ["id", *BFI_ITEMS, "seconds"]


def answers_csv(
    path: Path,
    rows: Sequence[Mapping[str, object]],
    *,
    columns: Sequence[str],
    sep: str = ",",
) -> Path:
    """Write rows as CSV text, cells as given (None is an empty cell)."""
    lines = [sep.join(columns)]
    lines += [sep.join("" if r.get(c) is None else str(r[c]) for c in columns) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def write_answers(tmp_path: Path) -> Callable[..., Path]:
    def make(
        rows: Sequence[Mapping[str, object]],
        name: str = "answers.csv",
        *,
        columns: Sequence[str],
        sep: str = ",",
    ) -> Path:
        return answers_csv(tmp_path / name, rows, columns=columns, sep=sep)

    return make


def invoke(runner: CliRunner, *args: object) -> Result:
    return runner.invoke(main, [str(a) for a in args])


def score(runner: CliRunner, input_path: Path, output_path: Path, *extra: object) -> Result:
    return invoke(
        runner,
        "score",
        "--instrument",
        "ipip-bfi-25",
        "--input",
        input_path,
        "--output",
        output_path,
        "--no-progress",
        *extra,
    )


def overall_norms(scale: str) -> dict[str, Any]:
    data = json.loads((BUILTIN_DIR / "ipip-bfi-25.norms.json").read_text(encoding="utf-8"))
    (overall,) = [g for g in data["groups"] if g["key"] == {}]
    stats: dict[str, Any] = overall["scales"][scale]
    return stats


def mid_rank_percentile(x: float, values: list[float], counts: list[int]) -> float:
    below = sum(c for v, c in zip(values, counts, strict=True) if v < x)
    equal = sum(c for v, c in zip(values, counts, strict=True) if v == x)
    return 100.0 * (below + equal / 2) / sum(counts)


# --- instruments check / list ----------------------------------------------------------


def test_check_a_good_file(runner: CliRunner) -> None:
    good = BUILTIN_DIR / "ipip-bfi-25.yaml"
    result = invoke(runner, "instruments", "check", good)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK")
    assert "ipip-bfi-25@1.0.0, 25 items, 5 échelles" in result.stdout
    assert result.stderr == ""


def test_check_a_bad_file_reports_every_problem_on_stderr(
    runner: CliRunner, bfi_copy: Callable[..., Path]
) -> None:
    bad = bfi_copy(
        ('version: "1.0.0"', "version: 1.0"),
        ("items: [-A1, A2, A3, A4, A5]", "items: [-A1, A2, A3, A4, A9]"),
    )
    text = bad.read_text(encoding="utf-8").splitlines()
    version_line = text.index("version: 1.0") + 1
    scale_line = text.index("    items: [-A1, A2, A3, A4, A9]") + 1
    result = invoke(runner, "instruments", "check", bad)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert f"ÉCHEC {bad}: 2 problèmes" in result.stderr
    assert f"{bad}:{version_line}: version: version must be a string" in result.stderr
    assert f"{bad}:{scale_line}: scales[0] (agreeableness).items[4]:" in result.stderr
    assert "unknown item 'A9' in scale 'agreeableness'" in result.stderr


def test_check_good_and_bad_files_together(
    runner: CliRunner, bfi_copy: Callable[..., Path], tmp_path: Path
) -> None:
    good = BUILTIN_DIR / "ipip-bfi-25.yaml"
    bad = bfi_copy(("minutes: 5", "minutes: 0"))
    missing = tmp_path / "absent.yaml"
    result = invoke(runner, "instruments", "check", good, bad, missing)
    assert result.exit_code == 1
    assert f"OK    {good}" in result.stdout
    assert f"ÉCHEC {bad}: 1 problème\n" in result.stderr
    assert "minutes" in result.stderr
    assert f"ÉCHEC {missing}: 1 problème\n" in result.stderr
    assert f"{missing}: file not found" in result.stderr


def test_check_a_missing_norm_file(runner: CliRunner, bfi_copy: Callable[..., Path]) -> None:
    bad = bfi_copy()
    (bad.parent / "ipip-bfi-25.norms.json").unlink()
    result = invoke(runner, "instruments", "check", bad)
    assert result.exit_code == 1
    assert "norm file 'ipip-bfi-25.norms.json' not found" in result.stderr


def test_check_a_folder_is_an_error_message_not_a_crash(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "instruments.yaml"
    folder.mkdir()
    result = invoke(runner, "instruments", "check", folder)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), f"crashed with {result.exception!r}"
    assert str(folder) in result.stderr


def test_check_without_a_file_is_a_usage_error(runner: CliRunner) -> None:
    result = invoke(runner, "instruments", "check")
    assert result.exit_code == 2
    assert "FILES" in result.stderr


def test_list_shows_the_builtin_instrument(runner: CliRunner) -> None:
    result = invoke(runner, "instruments", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["id", "version", "items", "minutes"]
    (row,) = [line for line in lines if line.startswith("ipip-bfi-25 ")]
    ident, version, items, minutes, *name = row.split()
    assert (ident, version, items, minutes) == ("ipip-bfi-25", "1.0.0", "25", "5")
    assert " ".join(name).startswith("Inventaire de personnalité")


def test_list_marks_an_invalid_builtin(
    runner: CliRunner, bfi_copy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = bfi_copy(('version: "1.0.0"', "version: 1.0"))
    monkeypatch.setattr(cli, "builtin_files", lambda: [bad])
    result = invoke(runner, "instruments", "list")
    assert result.exit_code == 0
    (row,) = [line for line in result.stdout.splitlines() if line.startswith("ipip-bfi-25 ")]
    assert "invalide (1 problème)" in row


# --- score: good input -----------------------------------------------------------------


def expected_columns() -> list[str]:
    cols = []
    for s in SCALES:
        cols += [f"{s}.{c}" for c in ("raw", "mean", "n", "t", "percentile")]
        cols += [f"{s}.band_low", f"{s}.band_high"]
    flags = ["longstring", "irv", "missing", "too_fast", "inconsistent", "flat_profile", "any"]
    return cols + [f"flag.{f}" for f in flags]


def check_p1_agreeableness(row: pd.Series | dict[str, Any]) -> None:
    """p1's agreeableness against a hand calculation with the overall norm group, at the
    documented precision of the output (T, percentile and band to 1 decimal)."""
    assert row["agreeableness.raw"] == pytest.approx(25.0)
    assert row["agreeableness.mean"] == pytest.approx(5.0)
    assert row["agreeableness.n"] == 5
    norms = overall_norms("agreeableness")
    t = 50 + 10 * (5.0 - norms["mean"]) / norms["sd"]
    assert row["agreeableness.t"] == round(t, 1)
    dist = norms["distribution"]
    pct = mid_rank_percentile(5.0, dist["values"], dist["counts"])
    assert row["agreeableness.percentile"] == round(pct, 1)
    half_width = Z90 * 10 * math.sqrt(1 - norms["alpha"])
    assert row["agreeableness.band_low"] == round(t - half_width, 1)
    assert row["agreeableness.band_high"] == round(t + half_width, 1)
    assert row["agreeableness.norm_group"] == "all"


def test_score_csv_to_csv(runner: CliRunner, write_answers: Callable[..., Path]) -> None:
    answers = write_answers(ROWS, columns=COLUMNS)
    out = answers.parent / "scores.csv"
    result = score(runner, answers, out)
    assert result.exit_code == 0, result.output
    assert "3 répondants scorés avec ipip-bfi-25@1.0.0, normes 2026.11-bfi-adults" in (
        result.stdout
    )
    table = pd.read_csv(out, dtype={"id": str})
    assert list(table["id"]) == ["p1", "p2", "p3"]
    assert table.columns[0] == "id"
    missing = [c for c in expected_columns() if c not in table.columns]
    assert missing == []
    rows = table.set_index("id")
    check_p1_agreeableness(rows.loc["p1"])
    # p3 left A2 empty: mean over the 4 answered items, never counted as zero.
    assert rows.loc["p3", "agreeableness.n"] == 4
    assert rows.loc["p3", "agreeableness.mean"] == pytest.approx(7 / 4)
    # Validity: p1 answered normally, p2 straight-lined quickly.
    assert not rows.loc["p1", "flag.any"]
    assert rows.loc["p2", ["flag.longstring", "flag.irv", "flag.too_fast", "flag.any"]].all()
    assert rows.loc["p2", "validity.seconds_per_item"] == pytest.approx(20 / 25)


def test_score_csv_to_json(runner: CliRunner, write_answers: Callable[..., Path]) -> None:
    answers = write_answers(ROWS, columns=COLUMNS)
    out = answers.parent / "scores.json"
    result = score(runner, answers, out)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["instrument"] == "ipip-bfi-25@1.0.0"
    assert data["norm_version"] == "2026.11-bfi-adults"
    assert data["input"] == "answers.csv"
    assert data["invalid_cells_set_missing"] == 0
    dt.datetime.fromisoformat(data["scored_at"])  # a timestamp, or this raises
    records = {r["id"]: r for r in data["respondents"]}
    assert sorted(records) == ["p1", "p2", "p3"]
    assert [c for c in expected_columns() if c not in records["p1"]] == []
    check_p1_agreeableness(records["p1"])
    assert records["p2"]["flag.longstring"] is True
    assert records["p1"]["flag.any"] is False


def test_score_csv_to_xlsx(runner: CliRunner, write_answers: Callable[..., Path]) -> None:
    answers = write_answers(ROWS, columns=COLUMNS)
    out = answers.parent / "scores.xlsx"
    result = score(runner, answers, out)
    assert result.exit_code == 0, result.output
    sheets = pd.read_excel(out, sheet_name=None, engine="openpyxl", dtype={"id": str})
    assert list(sheets) == ["scores", "provenance"]
    scores = sheets["scores"].set_index("id")
    assert list(scores.index) == ["p1", "p2", "p3"]
    assert [c for c in expected_columns() if c not in scores.columns] == []
    check_p1_agreeableness(scores.loc["p1"])
    provenance = dict(sheets["provenance"].itertuples(index=False, name=None))
    assert provenance["instrument"] == "ipip-bfi-25@1.0.0"
    assert provenance["input"] == "answers.csv"


def test_score_xlsx_input(runner: CliRunner, tmp_path: Path) -> None:
    answers = tmp_path / "answers.xlsx"
    pd.DataFrame(ROWS, columns=COLUMNS).to_excel(answers, index=False, engine="openpyxl")
    out = tmp_path / "scores.csv"
    result = score(runner, answers, out)
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out, dtype={"id": str}).set_index("id")
    check_p1_agreeableness(rows.loc["p1"])


def test_semicolon_separated_csv_gives_the_same_scores(
    runner: CliRunner, write_answers: Callable[..., Path]
) -> None:
    comma = write_answers(ROWS, "comma.csv", columns=COLUMNS)
    semi = write_answers(ROWS, "semi.csv", columns=COLUMNS, sep=";")
    assert semi.read_text(encoding="utf-8").startswith("id;A1;A2;")
    out_comma, out_semi = comma.parent / "comma_scores.csv", semi.parent / "semi_scores.csv"
    assert score(runner, comma, out_comma).exit_code == 0
    result = score(runner, semi, out_semi)
    assert result.exit_code == 0, result.output
    a, b = pd.read_csv(out_comma), pd.read_csv(out_semi)
    pd.testing.assert_frame_equal(a, b)
    check_p1_agreeableness(b.set_index("id").loc["p1"])


def test_semicolon_csv_with_decimal_commas_keeps_timings(
    runner: CliRunner, write_answers: Callable[..., Path]
) -> None:
    """French spreadsheets export ';' with decimal commas: '300,5' seconds is 300.5."""
    rows = [{**P1, "seconds": "300,5"}, {**P2, "seconds": "20,0"}]
    semi = write_answers(rows, "semi.csv", columns=COLUMNS, sep=";")
    out = semi.parent / "scores.csv"
    result = score(runner, semi, out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out).set_index("id")
    assert table.loc["p1", "validity.seconds_per_item"] == pytest.approx(300.5 / 25), (
        "the decimal-comma timing was silently dropped"
    )
    assert table.loc["p2", "flag.too_fast"]


def test_score_with_an_instrument_file(
    runner: CliRunner, bfi_copy: Callable[..., Path], write_answers: Callable[..., Path]
) -> None:
    inst = bfi_copy()
    answers = write_answers(ROWS, columns=COLUMNS)
    out = answers.parent / "scores.csv"
    result = invoke(runner, "score", "-i", inst, "--input", answers, "--output", out)
    assert result.exit_code == 0, result.output
    check_p1_agreeableness(pd.read_csv(out).set_index("id").loc["p1"])


def test_score_with_an_unknown_instrument(
    runner: CliRunner, write_answers: Callable[..., Path]
) -> None:
    answers = write_answers(ROWS, columns=COLUMNS)
    out = answers.parent / "scores.csv"
    result = invoke(runner, "score", "-i", "big-six", "--input", answers, "--output", out)
    assert result.exit_code == 1
    assert "big-six" in result.stderr and "ipip-bfi-25" in result.stderr
    assert not out.exists()


def test_score_with_an_invalid_instrument_file(
    runner: CliRunner, bfi_copy: Callable[..., Path], write_answers: Callable[..., Path]
) -> None:
    inst = bfi_copy(("items: [N1, N2, N3, N4, N5]", "items: [N1, N2, N3, N4, N6]"))
    answers = write_answers(ROWS, columns=COLUMNS)
    out = answers.parent / "scores.csv"
    result = invoke(runner, "score", "-i", inst, "--input", answers, "--output", out)
    assert result.exit_code == 1
    assert "unknown item 'N6' in scale 'neuroticism'" in result.stderr
    assert not out.exists()


def test_score_without_norms(runner: CliRunner, write_answers: Callable[..., Path]) -> None:
    answers = write_answers(ROWS, columns=COLUMNS)
    out = answers.parent / "scores.csv"
    result = score(runner, answers, out, "--no-norms")
    assert result.exit_code == 0, result.output
    assert "sans normes" in result.stdout
    table = pd.read_csv(out).set_index("id")
    assert "agreeableness.mean" in table.columns
    assert [c for c in table.columns if c.endswith((".t", ".percentile", ".band_low"))] == []
    assert table.loc["p1", "agreeableness.mean"] == pytest.approx(5.0)


def test_keep_carries_columns(runner: CliRunner, write_answers: Callable[..., Path]) -> None:
    rows = [
        {**r, "site": site, "cohort": k}
        for k, (r, site) in enumerate(zip(ROWS, ["Lyon", "Brest", "Lyon"], strict=True))
    ]
    answers = write_answers(rows, columns=[*COLUMNS, "site", "cohort"])
    out = answers.parent / "scores.csv"
    result = score(runner, answers, out, "--keep", "site", "--keep", "cohort")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns[:3]) == ["id", "site", "cohort"]
    assert list(table["site"]) == ["Lyon", "Brest", "Lyon"]
    assert list(table["cohort"]) == [0, 1, 2]


def test_keep_a_missing_column(runner: CliRunner, write_answers: Callable[..., Path]) -> None:
    answers = write_answers(ROWS, columns=COLUMNS)
    out = answers.parent / "scores.csv"
    result = score(runner, answers, out, "--keep", "site")
    assert result.exit_code == 1
    assert "--keep column not found: site" in result.stderr
    assert not out.exists()


def test_ignore_unknown_columns(runner: CliRunner, write_answers: Callable[..., Path]) -> None:
    rows = [{**r, "comment": "rien"} for r in ROWS]
    answers = write_answers(rows, columns=[*COLUMNS, "comment"])
    out = answers.parent / "scores.csv"
    result = score(runner, answers, out, "--ignore-unknown")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out).set_index("id")
    assert "comment" not in table.columns
    check_p1_agreeableness(table.loc["p1"])


def test_custom_id_column(runner: CliRunner, write_answers: Callable[..., Path]) -> None:
    rows = [{"code": r["id"], **{k: v for k, v in r.items() if k != "id"}} for r in ROWS]
    answers = write_answers(rows, columns=["code", *BFI_ITEMS, "seconds"])
    out = answers.parent / "scores.csv"
    result = score(runner, answers, out, "--id-column", "code")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert table.columns[0] == "code"
    check_p1_agreeableness(table.set_index("code").loc["p1"])


def test_invalid_missing_turns_bad_cells_into_missing(
    runner: CliRunner, write_answers: Callable[..., Path]
) -> None:
    rows = [P1, {**P3, "A4": 7, "C2": "beaucoup"}]
    answers = write_answers(rows, columns=COLUMNS)
    out = answers.parent / "scores.json"
    result = score(runner, answers, out, "--invalid", "missing")
    assert result.exit_code == 0, result.output
    reported = [line for line in result.stderr.splitlines() if "set to missing" in line]
    assert len(reported) == 2
    assert "line 3 (id p3), column 'A4'" in reported[0]
    assert "line 3 (id p3), column 'C2'" in reported[1]
    assert "not a number" in reported[1]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["invalid_cells_set_missing"] == 2
    p3 = {r["id"]: r for r in data["respondents"]}["p3"]
    # A2 was empty and A4 refused: keyed A1 (7-6=1), A3 = 2, A5 = 1.
    assert p3["agreeableness.n"] == 3
    assert p3["agreeableness.mean"] == round(4 / 3, 4)  # 4 decimals in the output
    assert p3["conscientiousness.n"] == 4


# --- score: bad input ------------------------------------------------------------------


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _bad_rows(**changes: object) -> list[dict[str, object]]:
    return [P1, {**P3, **changes}]


BAD_INPUTS: dict[str, tuple[Callable[[Path], Path], str, list[str]]] = {
    # name: (write the input, output file name, regexes the message must match)
    "unknown column": (
        lambda p: answers_csv(
            p / "in.csv",
            [{**r, "comment": "x"} for r in _bad_rows()],
            columns=[*COLUMNS, "comment"],
        ),
        "scores.csv",
        [r"unknown column comment", r"--keep"],
    ),
    "missing item column": (
        lambda p: answers_csv(p / "in.csv", _bad_rows(), columns=[c for c in COLUMNS if c != "A2"]),
        "scores.csv",
        [r"item column\(s\) of 'ipip-bfi-25' are missing: A2\b"],
    ),
    "value out of coding": (
        lambda p: answers_csv(p / "in.csv", _bad_rows(A4=7), columns=COLUMNS),
        "scores.csv",
        [r"line 3 \(id p3\), column 'A4'", r"outside the declared coding \(1, 2, 3, 4, 5, 6\)"],
    ),
    "non-numeric cell": (
        lambda p: answers_csv(p / "in.csv", _bad_rows(C2="beaucoup"), columns=COLUMNS),
        "scores.csv",
        [r"line 3 \(id p3\), column 'C2'", r"not a number", r"beaucoup"],
    ),
    "empty file": (
        lambda p: write_text(p / "in.csv", ""),
        "scores.csv",
        [r"in\.csv: the file is empty"],
    ),
    "header only": (
        lambda p: write_text(p / "in.csv", ",".join(COLUMNS) + "\n"),
        "scores.csv",
        [r"in\.csv", r"no data rows"],
    ),
    "duplicate ids": (
        lambda p: answers_csv(p / "in.csv", [P1, P3, P3], columns=COLUMNS),
        "scores.csv",
        [r"duplicate respondent id\(s\)[^\n]*p3", r"'id'", r"line[^\n]*\b4\b"],
    ),
    "missing id column": (
        lambda p: answers_csv(p / "in.csv", _bad_rows(), columns=COLUMNS[1:]),
        "scores.csv",
        [r"no 'id' column", r"--id-column"],
    ),
    "unsupported output extension": (
        lambda p: answers_csv(p / "in.csv", _bad_rows(), columns=COLUMNS),
        "scores.txt",
        [r"unsupported output type '\.txt'", r"\.csv, \.xlsx, \.json or \.parquet"],
    ),
}


@pytest.mark.parametrize("existing", [False, True], ids=["no-output-yet", "output-exists"])
@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_stops_before_writing(
    runner: CliRunner, tmp_path: Path, case: str, existing: bool
) -> None:
    make_input, out_name, patterns = BAD_INPUTS[case]
    answers = make_input(tmp_path)
    out = tmp_path / "out" / out_name
    if existing:
        out.parent.mkdir()
        out.write_text("previous results\n", encoding="utf-8")
    result = score(runner, answers, out)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), f"crashed with {result.exception!r}"
    message = result.stderr
    assert message.startswith("Erreur / Error: ")
    assert "nothing was written" in message
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not in:\n{message}"
    if existing:
        assert out.read_text(encoding="utf-8") == "previous results\n"
        assert sorted(p.name for p in out.parent.iterdir()) == [out_name]  # no temp file left
    else:
        assert not out.exists()


def test_bad_cell_value_is_shown_as_written(
    runner: CliRunner, write_answers: Callable[..., Path]
) -> None:
    answers = write_answers(_bad_rows(A4=7), columns=COLUMNS)
    result = score(runner, answers, answers.parent / "scores.csv")
    assert result.exit_code == 1
    assert "(value 7)" in result.stderr, f"numpy repr shown to the user:\n{result.stderr}"


def test_every_bad_cell_is_reported_at_once(
    runner: CliRunner, write_answers: Callable[..., Path]
) -> None:
    rows = [{**P1, "E5": 0}, {**P3, "A4": 7, "O1": "?"}]
    answers = write_answers(rows, columns=COLUMNS)
    result = score(runner, answers, answers.parent / "scores.csv")
    assert result.exit_code == 1
    assert "3 problem(s) in the answers" in result.stderr
    for where in (
        "line 2 (id p1), column 'E5'",
        "line 3 (id p3), column 'A4'",
        "line 3 (id p3), column 'O1'",
    ):
        assert where in result.stderr


# --- norms build -----------------------------------------------------------------------


def norm_sample(path: Path, n: int = 30) -> tuple[Path, pd.DataFrame]:
    """n respondents: random answers, gender 1/2 alternating, the first 4 under 18."""
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(rng.integers(1, 7, size=(n, 25)), columns=BFI_ITEMS)
    frame.insert(0, "id", [f"r{k:02d}" for k in range(n)])
    frame["gender"] = [1 + k % 2 for k in range(n)]
    frame["age"] = [16, 17, 16, 17, *[18 + 2 * k for k in range(n - 4)]]
    frame.to_csv(path, index=False)
    return path, frame


def build_norms(
    runner: CliRunner, instrument: object, sample: Path, out: Path, *extra: object
) -> Result:
    """``boussole norms build``; groups of 5 are usable unless ``--min-n`` comes later."""
    args = ["-i", instrument, "--input", sample, "--output", out, "--min-n", 5, *extra]
    return invoke(runner, "norms", "build", *args)


def test_norms_build_writes_a_table_with_provenance(runner: CliRunner, tmp_path: Path) -> None:
    sample, frame = norm_sample(tmp_path / "sample.csv")
    out = tmp_path / "norms.json"
    options = "--group-by gender,age_band --bands age:18-34,35- --min-n 10 --norm-version test-1"
    result = build_norms(
        runner,
        "ipip-bfi-25",
        sample,
        out,
        *options.split(),
        "--filter",
        "age >= 18",
        "--source",
        "Échantillon de test",
    )
    assert result.exit_code == 0, result.output
    assert f"Normes test-1 écrites dans {out}" in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["instrument"], data["instrument_version"]) == ("ipip-bfi-25", "1.0.0")
    assert data["norm_version"] == "test-1"
    assert data["group_by"] == ["gender", "age_band"]
    prov = data["provenance"]
    adults = frame[frame["age"] >= 18]
    assert prov["n"] == len(adults) == 26
    assert prov["rows_read"] == 30
    assert prov["filters"] == "age >= 18"
    assert prov["source"] == "Échantillon de test"
    assert prov["built"] == dt.date.today().isoformat()
    assert prov["input_file"] == "sample.csv"
    assert prov["input_sha256"] == hashlib.sha256(sample.read_bytes()).hexdigest()

    groups = {json.dumps(g["key"], sort_keys=True): g for g in data["groups"]}
    overall = groups["{}"]
    assert overall["n"] == 26 and overall["usable"]
    assert groups['{"gender": "1"}']["n"] == 13
    assert groups['{"gender": "2"}']["n"] == 13
    young_men = groups['{"age_band": "18-34", "gender": "1"}']
    expected_young_men = int(((adults["gender"] == 1) & (adults["age"] <= 34)).sum())
    assert young_men["n"] == expected_young_men
    assert young_men["usable"] is (expected_young_men >= 10)
    # Overall agreeableness mean, by hand: A1 reverse keyed as 7 - x.
    keyed = pd.concat([7 - adults["A1"], adults[["A2", "A3", "A4", "A5"]]], axis=1)
    assert overall["scales"]["agreeableness"]["mean"] == pytest.approx(keyed.mean(axis=1).mean())
    assert overall["scales"]["agreeableness"]["n"] == 26


def test_built_norms_are_used_for_scoring(
    runner: CliRunner,
    tmp_path: Path,
    bfi_copy: Callable[..., Path],
    write_answers: Callable[..., Path],
) -> None:
    inst = bfi_copy()
    sample, _ = norm_sample(tmp_path / "sample.csv")
    norms = inst.parent / "ipip-bfi-25.norms.json"
    built = build_norms(runner, inst, sample, norms, "--norm-version", "local-1")
    assert built.exit_code == 0, built.output
    answers = write_answers(ROWS, columns=COLUMNS)
    out = tmp_path / "scores.csv"
    result = invoke(runner, "score", "-i", inst, "--input", answers, "--output", out)
    assert result.exit_code == 0, result.output
    assert "normes local-1" in result.stdout
    stats = json.loads(norms.read_text(encoding="utf-8"))["groups"][0]["scales"]["agreeableness"]
    row = pd.read_csv(out).set_index("id").loc["p1"]
    assert row["agreeableness.t"] == round(50 + 10 * (5.0 - stats["mean"]) / stats["sd"], 1)


def test_norms_build_refuses_a_non_json_output(runner: CliRunner, tmp_path: Path) -> None:
    sample, _ = norm_sample(tmp_path / "sample.csv")
    out = tmp_path / "norms.csv"
    result = build_norms(runner, "ipip-bfi-25", sample, out)
    assert result.exit_code == 1
    assert "norm tables are written as .json" in result.stderr
    assert not out.exists()


def test_norms_build_reports_an_unknown_group_by_column(runner: CliRunner, tmp_path: Path) -> None:
    sample, _ = norm_sample(tmp_path / "sample.csv")
    out = tmp_path / "norms.json"
    result = build_norms(runner, "ipip-bfi-25", sample, out, "--group-by", "gender,region")
    assert result.exit_code == 1
    assert "group-by column 'region' is not in the input" in result.stderr
    assert not out.exists()


def test_norms_build_reports_a_bad_filter(runner: CliRunner, tmp_path: Path) -> None:
    sample, _ = norm_sample(tmp_path / "sample.csv")
    out = tmp_path / "norms.json"
    result = build_norms(runner, "ipip-bfi-25", sample, out, "--filter", "height > 170")
    assert result.exit_code == 1
    assert "--filter 'height > 170' is not a valid expression" in result.stderr
    assert not out.exists()


# --- provenance, versions and fit of the norms --------------------------------------------


def test_every_output_row_records_instrument_and_norm_versions(
    runner: CliRunner, write_answers: Callable[..., Path]
) -> None:
    answers = write_answers(ROWS, columns=COLUMNS)
    out = answers.parent / "scores.csv"
    assert score(runner, answers, out).exit_code == 0
    table = pd.read_csv(out)
    norms = json.loads((BUILTIN_DIR / "ipip-bfi-25.norms.json").read_text())
    assert set(table["instrument"]) == {"ipip-bfi-25@1.0.0"}
    assert set(table["norm_version"]) == {norms["norm_version"]}


def test_no_norms_still_understands_the_norm_group_columns(
    runner: CliRunner, write_answers: Callable[..., Path]
) -> None:
    rows = [{**r, "gender": 2, "age": 30} for r in ROWS]
    answers = write_answers(rows, columns=[*COLUMNS, "gender", "age"])
    out = answers.parent / "scores.csv"
    result = score(runner, answers, out, "--no-norms")
    assert result.exit_code == 0, result.output
    assert "agreeableness.t" not in pd.read_csv(out).columns


def test_a_missing_id_column_is_named_before_unknown_columns(
    runner: CliRunner, write_answers: Callable[..., Path]
) -> None:
    rows = [{("code" if k == "id" else k): v for k, v in r.items()} for r in ROWS]
    answers = write_answers(rows, columns=["code", *COLUMNS[1:]])
    result = score(runner, answers, answers.parent / "scores.csv")
    assert result.exit_code == 1
    assert "no 'id' column" in result.output and "--id-column" in result.output


def test_norms_of_another_version_are_refused_at_load(
    runner: CliRunner, bfi_copy: Callable[..., Path]
) -> None:
    path = bfi_copy(('version: "1.0.0"', 'version: "1.1.0"'))
    result = invoke(runner, "instruments", "check", str(path))
    assert result.exit_code == 1
    assert "built for version 1.0.0, not 1.1.0" in result.output


def test_norms_build_refuses_a_sample_smaller_than_min_n(runner: CliRunner, tmp_path: Path) -> None:
    sample, _ = norm_sample(tmp_path / "sample.csv", n=30)
    out = tmp_path / "norms.json"
    result = invoke(
        runner,
        "norms",
        "build",
        "-i",
        "ipip-bfi-25",
        "--input",
        str(sample),
        "--output",
        str(out),
        "--min-n",
        "100",
    )
    assert result.exit_code == 1
    assert "fewer than --min-n 100" in result.output
    assert not out.exists()
