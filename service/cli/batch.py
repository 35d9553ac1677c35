"""Batch scoring and norm building on files (used by the ``boussole`` CLI).

Reading, checking, scoring and writing are separated so that nothing is written unless
the whole input is valid (the output file is replaced atomically).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from instruments.model import Instrument, Scale
from scoring.errors import NormsError, ScoringInputError
from scoring.matrix import InvalidCell, from_wide
from scoring.norms import AgeBands, NormTable, build_norms, write_atomic
from scoring.pipeline import load_norms, score
from scoring.scales import keyed_items

CHUNK = 50_000
SECONDS_COLUMN = "seconds"


class BatchError(ValueError):
    """A batch input or option that cannot be processed; the message says how to fix it."""


def _en(count: int, one: str, many: str) -> str:
    """The English word for ``count`` things: ``one`` for 1, ``many`` otherwise."""
    return one if count == 1 else many


def _sniff_sep(path: Path) -> str:
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        first = fh.readline()
    return ";" if first.count(";") > first.count(",") else ","


def _count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
    return max(n - 1, 0)


def read_table(path: Path, *, progress: bool | None = None) -> Iterator[pd.DataFrame]:
    """Yield the rows of a CSV (``,`` or ``;``) or XLSX file in chunks, as text-free
    numeric columns where possible. Raises BatchError for unreadable or empty files."""
    if not path.exists():
        raise BatchError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        yield _read_xlsx(path)
        return
    if suffix not in (".csv", ".txt"):
        raise BatchError(f"{path}: unsupported input type '{suffix}' (use .csv or .xlsx)")
    if path.stat().st_size == 0:
        raise BatchError(f"{path}: the file is empty")
    try:
        yield from _read_csv(path, progress=progress)
    except pd.errors.EmptyDataError:
        raise BatchError(f"{path}: the file is empty") from None
    except pd.errors.ParserError as exc:
        raise BatchError(f"{path}: malformed CSV ({exc})") from None
    except UnicodeDecodeError:
        raise BatchError(f"{path}: not UTF-8 text; save the file as CSV UTF-8") from None


def _read_xlsx(path: Path) -> pd.DataFrame:
    """The first sheet of a workbook."""
    try:
        frame = pd.read_excel(path, sheet_name=0, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for broken files
        raise BatchError(f"{path}: cannot read this XLSX file ({exc})") from None
    if frame.empty:
        raise BatchError(f"{path}: the first sheet has no data rows")
    return frame


def _read_csv(path: Path, *, progress: bool | None) -> Iterator[pd.DataFrame]:
    """The non-empty chunks of a CSV file, with a progress bar on stderr."""
    sep = _sniff_sep(path)
    total = _count_lines(path)
    with (
        pd.read_csv(
            path,
            sep=sep,
            decimal="," if sep == ";" else ".",  # French spreadsheets: 300,5 with ';'
            chunksize=CHUNK,
            encoding="utf-8-sig",
            skipinitialspace=True,
        ) as reader,
        tqdm(
            total=total,
            unit=" lignes",
            disable=None if progress is None else not progress,
            file=sys.stderr,
            desc="Lecture",
        ) as bar,
    ):
        first = True
        for chunk in reader:
            if chunk.empty:
                continue
            first = False
            bar.update(len(chunk))
            yield chunk
    if first:
        raise BatchError(f"{path}: the file has a header but no data rows")


def _write(frame: pd.DataFrame, path: Path, meta: dict[str, Any]) -> None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_atomic(path, frame.to_csv(index=False), private=True)
    elif suffix == ".json":
        records = json.loads(
            frame.to_json(orient="records", force_ascii=False, double_precision=15)
        )
        text = json.dumps({**meta, "respondents": records}, ensure_ascii=False, indent=1)
        write_atomic(path, text, private=True)
    elif suffix == ".xlsx":
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as xw:
            frame.to_excel(xw, sheet_name="scores", index=False)
            pd.DataFrame(list(meta.items()), columns=["clé", "valeur"]).to_excel(
                xw, sheet_name="provenance", index=False
            )
        write_atomic(path, buf.getvalue(), private=True)
    else:
        raise BatchError(f"{path}: unsupported output type '{suffix}' (use .csv, .xlsx or .json)")


def _check_output(path: Path) -> None:
    if path.suffix.lower() not in (".csv", ".json", ".xlsx"):
        raise BatchError(
            f"{path}: unsupported output type '{path.suffix}' (use .csv, .xlsx or .json)"
        )


@dataclass
class ScoreReport:
    """What a batch scoring run did."""

    rows: int = 0
    invalid: list[InvalidCell] = field(default_factory=list)
    output: Path | None = None
    norm_version: str | None = None


def expected_columns(instrument: Instrument, norms: NormTable | None) -> set[str]:
    """Non-item columns the scorer understands: id, seconds, norm-group inputs."""
    cols = {SECONDS_COLUMN}
    if norms is not None:
        cols |= set(norms.group_by)
        cols |= {b.column for b in norms.bands}
    return cols


def score_file(
    instrument: Instrument,
    input_path: Path,
    output_path: Path,
    *,
    id_column: str = "id",
    keep: Sequence[str] = (),
    invalid: str = "raise",
    ignore_unknown: bool = False,
    use_norms: bool = True,
    progress: bool | None = None,
) -> ScoreReport:
    """Score a wide CSV/XLSX file and write CSV/XLSX/JSON, atomically.

    Raises ScoringInputError / BatchError before anything is written.
    """
    _check_output(output_path)
    declared_norms = load_norms(instrument)
    norms = declared_norms if use_norms else None
    items = {it.id for it in instrument.numeric_items}
    # Demographic columns of the declared norms are understood even with --no-norms.
    known = items | expected_columns(instrument, declared_norms) | set(keep) | {id_column}
    text_items = {it.id for it in instrument.items} - items
    report = ScoreReport(norm_version=norms.version if norms else None)
    parts: list[pd.DataFrame] = []
    offset = 0
    for chunk in read_table(input_path, progress=progress):
        if id_column not in chunk.columns:
            raise BatchError(
                f"{input_path}: no '{id_column}' column (respondent id); use --id-column NAME"
            )
        if offset == 0:
            unknown = [c for c in chunk.columns if c not in known | text_items]
            if unknown and not ignore_unknown:
                shown = ", ".join(map(str, unknown[:10]))
                raise BatchError(
                    f"{input_path}: unknown {_en(len(unknown), 'column', 'columns')} {shown}:"
                    f" not items of '{instrument.id}'."
                    " Fix the header, or pass --keep COLUMN to carry a column through"
                    " (or --ignore-unknown)"
                )
            missing_keep = [c for c in keep if c not in chunk.columns]
            if missing_keep:
                raise BatchError(
                    f"{input_path}: --keep {_en(len(missing_keep), 'column', 'columns')} not found:"
                    f" {', '.join(missing_keep)}"
                )
        chunk.index = pd.RangeIndex(offset, offset + len(chunk))
        matrix = from_wide(
            instrument, chunk, id_column=id_column, invalid=invalid, first_line=offset + 2
        )
        report.invalid.extend(matrix.invalid)
        extra = chunk.set_index(id_column)
        seconds = extra[SECONDS_COLUMN] if SECONDS_COLUMN in extra.columns else None
        result = score(
            instrument,
            matrix.data,
            demographics=extra,
            seconds=seconds,
            norms=norms if norms is not None else None,
        )
        table = result.table
        kept = extra[list(keep)] if keep else None
        out = pd.concat([kept, table], axis=1) if kept is not None else table
        # Every row says what produced it, so that re-scoring is reproducible.
        n_kept = len(keep)
        out.insert(n_kept, "norm_version", report.norm_version)
        out.insert(n_kept, "instrument", instrument.key)
        out.index.name = id_column
        parts.append(out.copy().reset_index())  # copy: defragment the wide frame
        offset += len(chunk)
    if len(parts) > 1 and pd.concat([p[id_column] for p in parts]).duplicated().any():
        raise ScoringInputError([f"duplicate respondent ids across the file in '{id_column}'"])
    frame = pd.concat(parts, ignore_index=True)
    report.rows = len(frame)
    meta = {
        "instrument": instrument.key,
        "norm_version": report.norm_version,
        "scored_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "input": input_path.name,
        "invalid_cells_set_missing": len(report.invalid),
    }
    _write(frame, output_path, meta)
    report.output = output_path
    return report


def build_norms_file(
    instrument: Instrument,
    input_path: Path,
    output_path: Path,
    *,
    group_by: Sequence[str],
    bands: Sequence[str] = (),
    query: str | None = None,
    min_n: int = 100,
    source: str = "",
    id_column: str = "id",
    norm_version: str | None = None,
    invalid: str = "raise",
) -> NormTable:
    """Build a norm table from a wide file of answers and write it as JSON (atomically)."""
    if output_path.suffix.lower() != ".json":
        raise BatchError(f"{output_path}: norm tables are written as .json")
    frame = pd.concat(list(read_table(input_path, progress=False)), ignore_index=True)
    n_read = len(frame)
    if query:
        try:
            frame = frame.query(query)
        except Exception as exc:  # pandas raises several types for a bad expression
            raise BatchError(f"--filter {query!r} is not a valid expression ({exc})") from None
    if frame.empty:
        raise BatchError("no respondent left after the filter")
    if id_column not in frame.columns:
        frame = frame.copy().reset_index(names=id_column)
    age_bands = [AgeBands.parse(b) for b in bands]
    matrix = from_wide(instrument, frame, id_column=id_column, invalid=invalid, first_line=2)
    result = score(instrument, matrix.data, norms=False)
    demo = frame.set_index(id_column)
    keyed = {sc.id: keyed_items(instrument, matrix.data, sc).to_numpy() for sc in instrument.scales}
    digest = hashlib.sha256(input_path.read_bytes()).hexdigest()
    provenance = {
        "source": source,
        "input_file": input_path.name,
        "input_sha256": digest,
        "rows_read": n_read,
        "n": len(frame),
        "filters": query or "none",
        "group_by": list(group_by),
        "bands": list(bands),
        "min_n": min_n,
        "built": dt.date.today().isoformat(),
        "tool": "boussole norms build",
    }
    try:
        table = build_norms(
            result.table,
            demo,
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            scales=[sc.id for sc in instrument.scales if _normable(instrument, sc)],
            group_by=group_by,
            keyed_items=keyed,
            bands=age_bands,
            min_n=min_n,
            provenance=provenance,
            norm_version=norm_version,
        )
    except NormsError as exc:
        raise BatchError(str(exc)) from None
    if len(frame) < min_n:
        raise BatchError(
            f"only {len(frame)} {_en(len(frame), 'respondent', 'respondents')} after the filter,"
            f" fewer than --min-n {min_n}:"
            " the overall group would not be usable; lower --min-n or add data"
        )
    table.save(output_path)
    return table


def _normable(instrument: Instrument, scale: Scale) -> bool:
    """Norms make sense for between-person scales only: not ipsative scales, nor scales
    built on rankings (within-person by construction)."""
    if scale.method == "ipsative":
        return False
    return not all(instrument.format_of(m.item).type == "ranking" for m in scale.members)


def summarise(frame: pd.DataFrame) -> str:
    """A short text summary of a scored table (for the terminal)."""
    means = [c for c in frame.columns if c.endswith(".mean")]
    lines = []
    for c in means:
        x = frame[c].to_numpy(dtype=np.float64)
        lines.append(
            f"  {c[:-5]:<24} moyenne {np.nanmean(x):5.2f}  (n = {int((~np.isnan(x)).sum())})"
        )
    return "\n".join(lines)
