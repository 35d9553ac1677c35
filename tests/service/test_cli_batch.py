"""``boussole score`` streamed: same scores whatever the chunks, documented precision,
``--columns``, Parquet, the XLSX row limit, and nothing written on a late error."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from instruments import BUILTIN_DIR, builtin_files, load_instrument
from scoring.matrix import from_wide
from scoring.pipeline import load_norms, score
from scoring.simulate import simulate_answers
from service.cli import batch, main

SAMPLE = BUILTIN_DIR / "sample" / "ipip-bfi-25-sample.csv"
BFI = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def score_cli(inp: Path, out: Path, *extra: object) -> Result:
    return run("score", "-i", "ipip-bfi-25", "--input", inp, "--output", out, *extra)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    """The sample scored as before streaming: the whole file at once, full precision."""
    frame = pd.read_csv(SAMPLE)
    matrix = from_wide(BFI, frame, id_column="id", first_line=2)
    extra = frame.set_index("id")
    result = score(
        BFI, matrix.data, demographics=extra, seconds=extra["seconds"], norms=load_norms(BFI)
    )
    return result.table


def same_values(got: pd.Series, want: pd.Series, name: str) -> None:
    """Equal to the last digit (NaN = NaN), whatever the dtype."""
    if want.dtype.kind in "fiu" and got.dtype.kind in "fiu":
        np.testing.assert_array_equal(
            got.to_numpy(dtype=np.float64), want.to_numpy(dtype=np.float64), err_msg=name
        )
    else:
        norm = [None if pd.isna(v) else v for v in got.tolist()]
        assert norm == [None if pd.isna(v) else v for v in want.tolist()], name


def no_leftovers(folder: Path) -> None:
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("chunk", [1, 7, 64, 200, 1000])
def test_streamed_scores_equal_the_whole_file(
    tmp_path: Path, reference: pd.DataFrame, chunk: int
) -> None:
    """Chunks of 1, 7 (200 = 28 x 7 + 4), 64, exactly the file, more than the file: the
    same full-precision scores as scoring the whole file at once (norms and validity are
    per row), read back from Parquet."""
    out = tmp_path / "s.parquet"
    result = score_cli(SAMPLE, out, "--full-precision", "--chunk-rows", chunk)
    assert result.exit_code == 0, result.output
    got = pq.read_table(out).to_pandas().set_index("id")
    assert list(got.index) == list(reference.index)
    assert list(got.columns) == ["instrument", "norm_version", *reference.columns]
    for col in reference.columns:
        same_values(got[col], reference[col], col)
    no_leftovers(tmp_path)


def test_both_readers_write_the_same_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pandas reader (used when pyarrow refuses a cell) gives the same bytes."""
    fast = tmp_path / "fast.csv"
    with monkeypatch.context() as m:  # a clean file never needs the pandas reader
        m.setattr(batch, "read_table", None)
        assert score_cli(SAMPLE, fast, "--chunk-rows", 30).exit_code == 0

    def refuse(*args: object, **kwargs: object) -> None:
        raise batch._SlowPath

    monkeypatch.setattr(batch, "_read_csv_fast", refuse)
    slow = tmp_path / "slow.csv"
    assert score_cli(SAMPLE, slow, "--chunk-rows", 30).exit_code == 0
    assert slow.read_bytes() == fast.read_bytes()


def test_output_at_the_documented_precision(tmp_path: Path, reference: pd.DataFrame) -> None:
    out = tmp_path / "s.csv"
    assert score_cli(SAMPLE, out, "--chunk-rows", 33).exit_code == 0
    got = pd.read_csv(out, keep_default_na=False, na_values=[""]).set_index("id")
    for col in reference.columns:
        spec = batch.column_spec(col)
        assert spec is not batch.UNLISTED, col
        if spec.kind == "float" and spec.decimals is not None:
            want = np.round(reference[col].to_numpy(dtype=np.float64), spec.decimals)
            np.testing.assert_array_equal(got[col].to_numpy(dtype=np.float64), want, col)
    # R00002 of the sample at full precision: T 20.9501 -> 21, percentile 1.5487
    # -> 1.5, SEM 6.1334 -> 6.13, band 10.8616 -> 10.9, z -2.905, IRV 1.0624, 8.7083 s.
    r2 = got.loc["R00002"]
    assert r2["agreeableness.t"] == 21.0
    assert r2["agreeableness.percentile"] == 1.5
    assert r2["agreeableness.sem_t"] == 6.13
    assert r2["agreeableness.band_low"] == 10.9
    assert r2["agreeableness.z"] == -2.905
    assert r2["validity.irv"] == 1.0624
    assert r2["validity.seconds_per_item"] == 8.71
    assert r2["conscientiousness.mean"] == 3.25
    # Integers without ".0" (raw sums, n, sten), booleans as True/False.
    lines = out.read_text(encoding="utf-8").splitlines()
    header = lines[0].replace('"', "").split(",")
    row = next(line for line in lines if line.startswith('"R00002"')).split(",")
    cell = dict(zip(header, row, strict=False))  # norm groups hold commas: read the start
    assert cell["agreeableness.raw"] == "15"
    assert cell["agreeableness.n"] == "5"
    assert cell["agreeableness.missing"] == '"False"'
    assert cell["agreeableness.sten"] == "1"


def test_columns_choice(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    result = score_cli(SAMPLE, out, "--columns", "mean,t", "--columns", "flags")
    assert result.exit_code == 0, result.output
    cols = list(pd.read_csv(out, nrows=1).columns)
    scales = [sc.id for sc in BFI.scales]
    assert cols[:3] == ["id", "instrument", "norm_version"]
    assert {c for c in cols[3:] if not c.startswith("flag.")} == {
        f"{s}.{m}" for s in scales for m in ("mean", "t")
    }
    assert "flag.any" in cols and "validity.irv" not in cols


def test_columns_unknown_choice_lists_the_choices(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    result = score_cli(SAMPLE, out, "--columns", "mean,tscore")
    assert result.exit_code == 1
    assert "--columns: unknown choice 'tscore'" in result.stderr
    assert "raw, mean, n, z, t, percentile" in result.stderr
    assert "nothing was written" in result.stderr
    assert not out.exists()


def test_parquet_round_trip(tmp_path: Path) -> None:
    """Parquet holds the same values as the CSV, typed, with the provenance."""
    pq_out, csv_out = tmp_path / "s.parquet", tmp_path / "s.csv"
    assert score_cli(SAMPLE, pq_out, "--chunk-rows", 50).exit_code == 0
    assert score_cli(SAMPLE, csv_out).exit_code == 0
    table = pq.read_table(pq_out)
    assert table.num_rows == 200
    types = {f.name: str(f.type) for f in table.schema}
    assert types["agreeableness.n"] == "int64"
    assert types["agreeableness.t"] == "double"
    assert types["flag.any"] == "bool"
    meta = json.loads(table.schema.metadata[b"boussole"])
    assert meta["instrument"] == "ipip-bfi-25@1.0.0" and meta["input"] == SAMPLE.name
    got = table.to_pandas().set_index("id")
    want = pd.read_csv(csv_out).set_index("id")
    assert list(got.columns) == list(want.columns)
    for col in want.columns:
        same_values(got[col], want[col], col)


def test_xlsx_row_limit_refused_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "XLSX_MAX_ROWS", 150)
    out = tmp_path / "s.xlsx"
    result = score_cli(SAMPLE, out)
    assert result.exit_code == 1
    assert "200 rows do not fit in an XLSX sheet (at most 149 rows" in result.stderr
    assert "write .csv or .parquet instead" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_xlsx_row_limit_checked_while_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should the line count be wrong (quoted line breaks), the writer stops too."""
    monkeypatch.setattr(batch, "XLSX_MAX_ROWS", 150)
    monkeypatch.setattr(batch, "_count_lines", lambda path: 10)
    out = tmp_path / "s.xlsx"
    result = score_cli(SAMPLE, out, "--chunk-rows", 40)
    assert result.exit_code == 1
    assert "rows do not fit in an XLSX sheet" in result.stderr
    assert list(tmp_path.iterdir()) == []


def sample_with_last_row(tmp_path: Path, column: str, value: str) -> Path:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    last = lines[-1].split(",")
    last[header.index(column)] = value
    path = tmp_path / "answers.csv"
    path.write_text("\n".join([*lines[:-1], ",".join(last)]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("value", "why"), [("9", "outside the declared coding"), ("x", "not a")])
@pytest.mark.parametrize("fmt", ["csv", "parquet", "json", "xlsx"])
def test_a_bad_row_in_the_last_chunk_writes_nothing(
    tmp_path: Path, value: str, why: str, fmt: str
) -> None:
    answers = sample_with_last_row(tmp_path, "A1", value)
    out = tmp_path / "out" / f"s.{fmt}"
    out.parent.mkdir()
    out.write_bytes(b"previous")
    result = score_cli(answers, out, "--chunk-rows", 7)
    assert result.exit_code == 1
    assert f"line 201 (id R00200), column 'A1': {why}" in result.stderr
    assert "nothing was written" in result.stderr
    assert out.read_bytes() == b"previous"
    assert [p.name for p in out.parent.iterdir()] == [out.name]


def test_duplicate_id_across_chunks_names_both_lines(tmp_path: Path) -> None:
    answers = sample_with_last_row(tmp_path, "id", "R00003")
    out = tmp_path / "s.csv"
    result = score_cli(answers, out, "--chunk-rows", 50)
    assert result.exit_code == 1
    assert "duplicate respondent id in column 'id': R00003 (lines 4, 201)" in result.stderr
    assert not out.exists()
    no_leftovers(tmp_path)


def test_json_is_streamed_with_the_count_at_the_end(tmp_path: Path) -> None:
    answers = sample_with_last_row(tmp_path, "A1", "9")
    out = tmp_path / "s.json"
    result = score_cli(answers, out, "--chunk-rows", 64, "--invalid", "missing")
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["invalid_cells_set_missing"] == 1
    assert len(data["respondents"]) == 200
    last = data["respondents"][-1]
    assert last["id"] == "R00200" and last["agreeableness.n"] == 4
    assert isinstance(last["agreeableness.n"], int)


def test_progress_bar_counts_the_rows(tmp_path: Path) -> None:
    result = score_cli(SAMPLE, tmp_path / "s.csv", "--progress", "--chunk-rows", 64)
    assert result.exit_code == 0
    assert "Lecture" in result.stderr and "200/200" in result.stderr


@pytest.mark.parametrize("path", builtin_files(), ids=lambda p: p.stem)
def test_every_output_column_has_a_spec(path: Path) -> None:
    """A column the table of docs/cli.md does not list would be written at full precision."""
    inst = load_instrument(path)
    answers = simulate_answers(inst, 5, seed=3)
    table = score(inst, answers[[it.id for it in inst.numeric_items]]).table
    unlisted = [c for c in table.columns if batch.column_spec(c) is batch.UNLISTED]
    assert unlisted == []


def test_kept_columns_are_copied_as_read(tmp_path: Path) -> None:
    """--keep copies the text (ids and codes are not turned into 2.0), and a kept timing
    with a decimal comma still counts for the speed index."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    rows = [line.split(",") for line in lines[:4]]
    header = rows[0]
    rows[1][header.index("gender")] = ""
    rows[2][header.index("id")] = "007"
    semi = tmp_path / "semi.csv"
    text = "\n".join(";".join(r) for r in rows).replace("175.1", "175,1")
    semi.write_text(text + "\n", encoding="utf-8")
    out = tmp_path / "s.json"
    result = score_cli(semi, out, "--keep", "gender", "--keep", "seconds", "--chunk-rows", 2)
    assert result.exit_code == 0, result.output
    people = json.loads(out.read_text(encoding="utf-8"))["respondents"]
    assert [p["id"] for p in people] == ["R00001", "007", "R00003"]
    assert [p["gender"] for p in people] == [None, "2", "2"]
    assert people[0]["seconds"] == "175,1"
    assert people[0]["validity.seconds_per_item"] == round(175.1 / 25, 2)
