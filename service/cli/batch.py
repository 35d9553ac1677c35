"""Batch scoring and norm building on files (used by the ``boussole`` CLI).

``boussole score`` streams: the answers are read, checked and scored in chunks of rows,
and each chunk is written to a temporary file in the output's folder as soon as it is
scored, so that memory stays bounded whatever the size of the file. The temporary file is
renamed to the output at the very end: on any error it is deleted and nothing is written
(an existing output keeps its content).

Reading uses pyarrow's CSV parser, a few MB at a time (items typed as numbers, ids and ``--keep``
columns as text); a file it cannot read that way (a cell that is not a number, spaces
around values, an encoding problem...) is read again with pandas' C reader, which gives
the messages naming the line and column (and handles ``--invalid missing``). Both readers
give the same scores: every score depends on its own row only (and on the norm table).

The output columns, their group for ``--columns`` and their precision are defined once,
in :data:`SCALE_COLUMNS` and :data:`NAMED_COLUMNS` (documented in docs/cli.md).
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from tqdm import tqdm

from instruments.model import Instrument, Scale
from scoring.errors import NormsError, ScoringInputError
from scoring.matrix import InvalidCell, from_wide
from scoring.norms import AgeBands, NormTable, build_norms
from scoring.pipeline import load_norms, score
from scoring.scales import keyed_items

CHUNK = 20_000  # rows scored at a time: about 8 KB of memory per row of an SPI file
SECONDS_COLUMN = "seconds"
XLSX_MAX_ROWS = 1_048_576  # rows of an Excel sheet, the header included
OUTPUT_TYPES = (".csv", ".xlsx", ".json", ".parquet")
BLOCK_BYTES = 4 << 20  # CSV text parsed at a time: about 14,000 rows of an SPI file
# The empty cells pandas reads as missing, given to pyarrow too so that both readers agree.
NA_VALUES = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
    "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
]  # fmt: skip


class BatchError(ValueError):
    """A batch input or option that cannot be processed; the message says how to fix it."""


# ---------------------------------------------------------------------------
# Output columns: group (for --columns), type and decimals, in one place
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    """How an output column is written: its ``--columns`` group, its type (``float``,
    ``int``, ``bool`` or ``text``) and, for floats, the decimals kept."""

    group: str
    kind: str
    decimals: int | None = None


#: Per-scale columns ``<scale>.<suffix>``, by suffix.
SCALE_COLUMNS: dict[str, ColumnSpec] = {
    "raw": ColumnSpec("raw", "float", 4),
    "mean": ColumnSpec("mean", "float", 4),
    "ipsative": ColumnSpec("mean", "float", 4),
    "n": ColumnSpec("n", "int"),
    "missing": ColumnSpec("n", "bool"),
    "rank": ColumnSpec("rank", "float", 1),
    "z": ColumnSpec("z", "float", 3),
    "t": ColumnSpec("t", "float", 1),
    "percentile": ColumnSpec("percentile", "float", 1),
    "percentile_source": ColumnSpec("percentile", "text"),
    "sten": ColumnSpec("sten", "int"),
    "stanine": ColumnSpec("sten", "int"),
    "sem_t": ColumnSpec("band", "float", 2),
    "band_low": ColumnSpec("band", "float", 1),
    "band_high": ColumnSpec("band", "float", 1),
    "norm_group": ColumnSpec("norm_group", "text"),
    "level": ColumnSpec("level", "text"),
}
#: Columns named in full: provenance, profile and validity indices.
NAMED_COLUMNS: dict[str, ColumnSpec] = {
    "instrument": ColumnSpec("always", "text"),
    "norm_version": ColumnSpec("always", "text"),
    "riasec.code": ColumnSpec("profile", "text"),
    "riasec.differentiation": ColumnSpec("profile", "float", 4),
    "riasec.consistency": ColumnSpec("profile", "int"),
    "riasec.flat": ColumnSpec("profile", "bool"),
    "riasec.low": ColumnSpec("profile", "bool"),
    "validity.longstring": ColumnSpec("validity", "int"),
    "validity.irv": ColumnSpec("validity", "float", 4),
    "validity.missing_share": ColumnSpec("validity", "float", 4),
    "validity.seconds_per_item": ColumnSpec("validity", "float", 2),
    "validity.inconsistency": ColumnSpec("validity", "float", 4),
    "validity.profile_sd": ColumnSpec("validity", "float", 4),
}
FLAG = ColumnSpec("flags", "bool")
CARRIED = ColumnSpec("always", "carried")  # the id and --keep columns: as read
UNLISTED = ColumnSpec("other", "float")  # a column of a future index: full precision
#: The groups of --columns, in the order of the documentation.
COLUMN_GROUPS = (
    "raw", "mean", "n", "z", "t", "percentile", "sten", "band", "norm_group", "level",
    "rank", "profile", "validity", "flags",
)  # fmt: skip


def column_spec(name: str) -> ColumnSpec:
    """The spec of an output column of :func:`scoring.pipeline.score`.

    >>> column_spec("openness.t")
    ColumnSpec(group='t', kind='float', decimals=1)
    >>> column_spec("flag.any").kind
    'bool'
    """
    if name in NAMED_COLUMNS:
        return NAMED_COLUMNS[name]
    if name.startswith("flag."):
        return FLAG
    suffix = name.rsplit(".", 1)[-1]
    if "." in name and suffix in SCALE_COLUMNS:
        return SCALE_COLUMNS[suffix]
    return UNLISTED


def parse_columns(choices: Iterable[str]) -> frozenset[str] | None:
    """The groups asked with ``--columns`` (comma-separated and/or repeated); None = all.

    >>> sorted(parse_columns(["mean,t", "flags"]))
    ['flags', 'mean', 't']
    """
    asked = [c.strip() for text in choices for c in text.split(",") if c.strip()]
    if not asked:
        return None
    unknown = [c for c in asked if c not in COLUMN_GROUPS]
    if unknown:
        raise BatchError(
            f"--columns: unknown {_en(len(unknown), 'choice', 'choices')}"
            f" {', '.join(repr(c) for c in unknown)}; choose among {', '.join(COLUMN_GROUPS)}"
            " (comma-separated, e.g. --columns mean,t,flags)"
        )
    return frozenset(asked)


def _en(count: int, one: str, many: str) -> str:
    """The English word for ``count`` things: ``one`` for 1, ``many`` otherwise."""
    return one if count == 1 else many


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


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


def _check_input(path: Path) -> str:
    """The input's suffix, once it is known to exist and be of a readable type."""
    if not path.exists():
        raise BatchError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv", ".txt"):
        raise BatchError(f"{path}: unsupported input type '{suffix}' (use .csv or .xlsx)")
    if suffix in (".csv", ".txt") and path.stat().st_size == 0:
        raise BatchError(f"{path}: the file is empty")
    return suffix


def read_table(
    path: Path,
    *,
    progress: bool | None = None,
    chunk_rows: int = CHUNK,
    text_columns: Sequence[str] = (),
) -> Iterator[pd.DataFrame]:
    """Yield the rows of a CSV (``,`` or ``;``) or XLSX file in chunks of ``chunk_rows``
    rows, read by pandas, as numeric columns where possible (``text_columns`` as read).
    Raises BatchError for unreadable or empty files."""
    suffix = _check_input(path)
    if suffix in (".xlsx", ".xlsm"):
        frame = _read_xlsx(path)
        for start in range(0, len(frame), chunk_rows):
            yield frame.iloc[start : start + chunk_rows]
        return
    try:
        yield from _read_csv(path, progress=progress, chunk_rows=chunk_rows, text=text_columns)
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


def _bar(total: int, progress: bool | None) -> tqdm[Any]:
    return tqdm(
        total=total,
        unit=" lignes",
        disable=None if progress is None else not progress,
        file=sys.stderr,
        desc="Lecture",
    )


def _read_csv(
    path: Path, *, progress: bool | None, chunk_rows: int, text: Sequence[str]
) -> Iterator[pd.DataFrame]:
    """The non-empty chunks of a CSV file (pandas' C reader), with a progress bar."""
    sep = _sniff_sep(path)
    with (
        pd.read_csv(
            path,
            sep=sep,
            decimal="," if sep == ";" else ".",  # French spreadsheets: 300,5 with ';'
            chunksize=chunk_rows,
            encoding="utf-8-sig",
            skipinitialspace=True,
            dtype=dict.fromkeys(text, str),
        ) as reader,
        _bar(_count_lines(path), progress) as bar,
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


def _header(path: Path) -> list[str]:
    """The column names of the input (read by pandas, as the chunks will be)."""
    suffix = _check_input(path)
    if suffix in (".xlsx", ".xlsm"):
        return [str(c) for c in _read_xlsx(path).columns]
    sep = _sniff_sep(path)
    try:
        head = pd.read_csv(path, sep=sep, nrows=0, encoding="utf-8-sig", skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise BatchError(f"{path}: the file is empty") from None
    except pd.errors.ParserError as exc:
        raise BatchError(f"{path}: malformed CSV ({exc})") from None
    except UnicodeDecodeError:
        raise BatchError(f"{path}: not UTF-8 text; save the file as CSV UTF-8") from None
    return [str(c) for c in head.columns]


class _SlowPath(Exception):
    """The fast reader cannot read this file exactly as pandas would: read it with pandas."""


def _read_csv_fast(
    path: Path,
    *,
    items: Sequence[str],
    text: Sequence[str],
    numbers: Sequence[str],
    progress: bool | None,
    chunk_rows: int,
) -> Iterator[pd.DataFrame]:
    """Chunks of exactly ``chunk_rows`` rows (the last one shorter) read with pyarrow's
    CSV parser: ``items`` as float64, ``text`` as strings, ``numbers`` inferred.

    The file is read in pieces of about BLOCK_BYTES cut at line ends, each parsed with
    the header line (multi-threaded): memory holds one piece at a time (pyarrow's own
    streaming reader reads ahead as far as it can, so its memory grows with the file).
    Values may not hold line breaks here (``newlines_in_values`` off): a quoted line
    break makes pyarrow refuse the piece. Raises _SlowPath for anything pyarrow refuses
    (the pandas reader then explains it).
    """
    sep = _sniff_sep(path)
    types: dict[str, pa.DataType] = dict.fromkeys(items, pa.float64())
    types.update(dict.fromkeys(text, pa.string()))
    convert = pacsv.ConvertOptions(
        column_types=types,
        include_columns=[*text, *items, *numbers],
        null_values=NA_VALUES,
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        decimal_point="," if sep == ";" else ".",
    )
    parse = pacsv.ParseOptions(delimiter=sep, newlines_in_values=False)
    pending: list[pa.RecordBatch] = []
    held = 0
    with path.open("rb") as fh, _bar(_count_lines(path), progress) as bar:
        header = fh.readline()
        header = header.removeprefix(b"\xef\xbb\xbf")  # the BOM of Excel's "CSV UTF-8"
        if not header.endswith(b"\n"):
            header += b"\n"
        while True:
            piece = fh.read(BLOCK_BYTES)
            if not piece:
                break
            if not piece.endswith(b"\n"):
                piece += fh.readline()
            try:
                table = pacsv.read_csv(
                    pa.py_buffer(header + piece), parse_options=parse, convert_options=convert
                )
            except (pa.ArrowInvalid, pa.ArrowKeyError, KeyError, ValueError):
                raise _SlowPath from None
            for batch in table.to_batches():
                while batch.num_rows:
                    take = min(chunk_rows - held, batch.num_rows)
                    pending.append(batch.slice(0, take))
                    held += take
                    batch = batch.slice(take)
                    if held == chunk_rows:
                        bar.update(held)
                        yield _to_pandas(pending)
                        pending, held = [], 0
        if held:
            bar.update(held)
            yield _to_pandas(pending)


def _to_pandas(batches: list[pa.RecordBatch]) -> pd.DataFrame:
    # split_blocks: one array per column, no 2-D copy (from_wide reads column by column).
    frame: pd.DataFrame = pa.Table.from_batches(batches).to_pandas(split_blocks=True)
    return frame


# ---------------------------------------------------------------------------
# Writing: a temporary file in the output's folder, renamed at the end
# ---------------------------------------------------------------------------


def _check_output(path: Path) -> None:
    if path.suffix.lower() not in OUTPUT_TYPES:
        raise BatchError(
            f"{path}: unsupported output type '{path.suffix}' (use .csv, .xlsx, .json or .parquet)"
        )


TEXT_CODES = pa.dictionary(pa.int32(), pa.string())


def _arrow_column(values: pd.Series, spec: ColumnSpec, *, precise: bool) -> pa.Array:
    """One output column as an Arrow array of its declared type, rounded to its decimals."""
    if spec.kind in ("float", "int"):
        x = values.to_numpy(dtype=np.float64, na_value=np.nan)
        if spec.kind == "int":
            missing = np.isnan(x)
            return pa.array(np.where(missing, 0, x).astype(np.int64), mask=missing)
        if spec.decimals is not None and not precise:
            x = np.round(x, spec.decimals) + 0.0  # + 0.0: no "-0" once rounded
        return pa.array(x, type=pa.float64(), from_pandas=True)
    if spec.kind == "bool":
        if values.dtype == bool:
            return pa.array(values.to_numpy())
        missing = pd.isna(values).to_numpy()
        flags = np.where(missing, False, values.to_numpy(dtype=object)).astype(bool)
        return pa.array(flags, mask=missing)
    try:
        arr = pa.Array.from_pandas(values)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # mixed types (an XLSX column)
        text = values.astype(str).to_numpy(dtype=object)
        text[pd.isna(values).to_numpy()] = None
        arr = pa.array(text, type=pa.string())
    if pa.types.is_dictionary(arr.type):  # a categorical column: stays dictionary-encoded
        return arr.cast(TEXT_CODES)
    if spec.kind == "text" or pa.types.is_large_string(arr.type) or pa.types.is_null(arr.type):
        arr = arr.cast(pa.string())
    return arr


class _Output(abc.ABC):
    """A streaming writer into a temporary file next to ``path``, renamed by
    :meth:`commit`; :meth:`discard` deletes it. Private: readable by its owner only."""

    def __init__(self, path: Path, meta: dict[str, Any]) -> None:
        self.path = path
        self.meta = meta
        self.rows = 0
        self.schema: pa.Schema | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        self.tmp = Path(tmp)
        self.fh: IO[bytes] = os.fdopen(fd, "wb")  # mkstemp: -rw-------

    def table(self, frame: pd.DataFrame, specs: list[ColumnSpec], precise: bool) -> pa.Table:
        """The output table of a chunk: the ids (``frame``'s index), then its columns."""
        ids = _arrow_column(frame.index.to_series(), CARRIED, precise=precise)
        arrays = [ids] + [
            _arrow_column(frame[c], s, precise=precise)
            for c, s in zip(frame.columns, specs, strict=True)
        ]
        names = [str(frame.index.name), *map(str, frame.columns)]
        table = pa.Table.from_arrays(arrays, names=names)
        if self.schema is None:
            self.schema = table.schema
        elif table.schema != self.schema:
            table = table.cast(self.schema)
        return table

    @abc.abstractmethod
    def write(self, table: pa.Table) -> None:
        """Append one scored chunk (each format writes its own way)."""

    def finish(self) -> None:  # noqa: B027 (a hook: most formats have nothing to close)
        """Write what closes the file (after the last chunk)."""

    def commit(self) -> None:
        self.finish()
        self.fh.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        writer = getattr(self, "writer", None)
        if writer is not None:  # pyarrow's writers: closed before their file
            with contextlib.suppress(OSError, pa.ArrowException):
                writer.close()
        self.fh.close()
        self.tmp.unlink(missing_ok=True)


class _CsvOutput(_Output):
    """CSV, UTF-8, decimal point; booleans ``True``/``False``; empty = missing; text
    quoted (pyarrow's rule: every text cell, so that commas in a norm group are safe)."""

    writer: pacsv.CSVWriter | None = None

    def write(self, table: pa.Table) -> None:
        cols = []
        for col in table.columns:
            if pa.types.is_boolean(col.type):
                true, false = pa.scalar("True"), pa.scalar("False")
                col = pa.compute.if_else(col, true, false)
            cols.append(col)
        table = pa.Table.from_arrays(cols, names=table.column_names)
        if self.writer is None:
            self.writer = pacsv.CSVWriter(
                self.fh, table.schema, write_options=pacsv.WriteOptions(quoting_style="needed")
            )
        self.writer.write_table(table)

    def finish(self) -> None:
        if self.writer is not None:
            self.writer.close()


class _ParquetOutput(_Output):
    """Parquet (snappy), typed columns; the provenance in the file's key-value metadata."""

    writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self.writer is None:
            meta = {"boussole": json.dumps(self.meta, ensure_ascii=False)}
            self.writer = pq.ParquetWriter(self.fh, table.schema.with_metadata(meta))
        self.writer.write_table(table.replace_schema_metadata(self.writer.schema.metadata))

    def finish(self) -> None:
        if self.writer is not None:
            self.writer.close()


class _JsonOutput(_Output):
    """The provenance fields, ``respondents`` (one object per line), then the number of
    cells set to missing (known at the end only)."""

    started = False

    def write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        body = ",\n  ".join(json.dumps(_json_row(r), ensure_ascii=False) for r in table.to_pylist())
        if not self.started:
            head = {k: v for k, v in self.meta.items() if k != "invalid_cells_set_missing"}
            lead = json.dumps(head, ensure_ascii=False, indent=1)[:-2]
            self.fh.write(f'{lead},\n "respondents": [\n  '.encode())
            self.started = True
        else:
            self.fh.write(b",\n  ")
        self.fh.write(body.encode("utf-8"))

    def finish(self) -> None:
        tail = json.dumps(self.meta.get("invalid_cells_set_missing", 0))
        self.fh.write(f'\n ],\n "invalid_cells_set_missing": {tail}\n}}\n'.encode())


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    """Integral numbers as integers (a raw sum 15, not 15.0); floats keep their
    shortest form (the rounded 27.7, not 27.699999999999999)."""
    return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in row.items()}


class _XlsxOutput(_Output):
    """Sheet ``scores`` (streamed, openpyxl's write-only mode) and sheet ``provenance``."""

    def __init__(self, path: Path, meta: dict[str, Any]) -> None:
        super().__init__(path, meta)
        from openpyxl import Workbook

        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet("scores")
        self.header = False

    def write(self, table: pa.Table) -> None:
        if self.rows + table.num_rows >= XLSX_MAX_ROWS:
            raise BatchError(_xlsx_too_long(self.path, self.rows + table.num_rows))
        if not self.header:
            self.sheet.append(table.column_names)
            self.header = True
        for row in zip(*(col.to_pylist() for col in table.columns), strict=True):
            self.sheet.append(row)
        self.rows += table.num_rows

    def discard(self) -> None:
        # Close the sheet's own temporary file (openpyxl), or its writer complains later.
        if self.header:
            self.sheet.close()
        super().discard()

    def finish(self) -> None:
        prov = self.book.create_sheet("provenance")
        prov.append(["clé", "valeur"])
        for key, value in self.meta.items():
            prov.append([key, value])
        self.book.save(self.fh)


def _xlsx_too_long(path: Path, rows: int) -> str:
    return (
        f"{path}: {rows} rows do not fit in an XLSX sheet (at most {XLSX_MAX_ROWS - 1:,} rows"
        " under the header); write .csv or .parquet instead"
    )


def _open_output(path: Path, meta: dict[str, Any]) -> _Output:
    suffix = path.suffix.lower()
    writers: dict[str, type[_Output]] = {
        ".csv": _CsvOutput,
        ".parquet": _ParquetOutput,
        ".json": _JsonOutput,
        ".xlsx": _XlsxOutput,
    }
    return writers[suffix](path, meta)


# ---------------------------------------------------------------------------
# Scoring a file
# ---------------------------------------------------------------------------


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


@dataclass
class _Plan:
    """What one run reads and writes, decided from the header before any row."""

    instrument: Instrument
    norms: NormTable | None
    id_column: str
    keep: tuple[str, ...]
    invalid: str
    groups: frozenset[str] | None
    precise: bool
    chunk_rows: int
    seen: dict[Any, int] = field(default_factory=dict)

    def select(self, columns: Iterable[str]) -> tuple[list[str], list[ColumnSpec]]:
        names, specs = [], []
        carried = {self.id_column, *self.keep}
        for c in columns:
            spec = CARRIED if c in carried else column_spec(c)
            if (
                self.groups is None
                or spec.group in ("always", "other")
                or spec.group in (self.groups)
            ):
                names.append(c)
                specs.append(spec)
        return names, specs


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
    columns: frozenset[str] | None = None,
    full_precision: bool = False,
    chunk_rows: int = CHUNK,
) -> ScoreReport:
    """Score a wide CSV/XLSX file and write CSV/XLSX/JSON/Parquet, chunk by chunk, into
    a temporary file renamed at the end.

    ``columns`` keeps only these groups of :data:`COLUMN_GROUPS` (None: all);
    ``full_precision`` skips the rounding of :func:`column_spec`; ``chunk_rows`` is the
    number of rows read and scored at a time. Raises ScoringInputError / BatchError, and
    then nothing is written.
    """
    _check_output(output_path)
    if chunk_rows < 1:
        raise BatchError("the chunk size must be at least 1 row")
    declared_norms = load_norms(instrument)
    norms = declared_norms if use_norms else None
    items = [it.id for it in instrument.numeric_items]
    # Demographic columns of the declared norms are understood even with --no-norms.
    known = set(items) | expected_columns(instrument, declared_norms) | set(keep) | {id_column}
    text_items = {it.id for it in instrument.items} - set(items)
    header = _header(input_path)
    if id_column not in header:
        raise BatchError(
            f"{input_path}: no '{id_column}' column (respondent id); use --id-column NAME"
        )
    unknown = [c for c in header if c not in known | text_items]
    if unknown and not ignore_unknown:
        shown = ", ".join(map(str, unknown[:10]))
        raise BatchError(
            f"{input_path}: unknown {_en(len(unknown), 'column', 'columns')} {shown}:"
            f" not items of '{instrument.id}'."
            " Fix the header, or pass --keep COLUMN to carry a column through"
            " (or --ignore-unknown)"
        )
    missing_keep = [c for c in keep if c not in header]
    if missing_keep:
        raise BatchError(
            f"{input_path}: --keep {_en(len(missing_keep), 'column', 'columns')} not found:"
            f" {', '.join(missing_keep)}"
        )
    csv_input = input_path.suffix.lower() in (".csv", ".txt")
    if output_path.suffix.lower() == ".xlsx":
        rows = _count_lines(input_path) if csv_input else len(_read_xlsx(input_path))
        if rows >= XLSX_MAX_ROWS:
            raise BatchError(_xlsx_too_long(output_path, rows))
    plan = _Plan(
        instrument, norms, id_column, tuple(keep), invalid, columns, full_precision, chunk_rows
    )
    text = list(dict.fromkeys([id_column, *keep]))
    meta = {
        "instrument": instrument.key,
        "norm_version": norms.version if norms else None,
        "scored_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "input": input_path.name,
        "invalid_cells_set_missing": 0,
    }
    if csv_input and len(set(header)) == len(header):
        present_items = [c for c in items if c in header]
        numbers = [c for c in header if c in known and c not in text and c not in items]
        try:
            fast = _read_csv_fast(
                input_path,
                items=present_items,
                text=text,
                numbers=numbers,
                progress=progress,
                chunk_rows=chunk_rows,
            )
            return _run(plan, fast, input_path, output_path, meta)
        except _SlowPath:
            plan.seen.clear()
    chunks = read_table(input_path, progress=progress, chunk_rows=chunk_rows, text_columns=text)
    return _run(plan, chunks, input_path, output_path, meta)


def _run(
    plan: _Plan,
    chunks: Iterable[pd.DataFrame],
    input_path: Path,
    output_path: Path,
    meta: dict[str, Any],
) -> ScoreReport:
    """Score and write every chunk; commit the output only when all are done.

    Chunk k is written (pyarrow formats and compresses without the GIL) by a second
    thread while chunk k + 1 is read and scored: at most two chunks are held at once.
    """
    report = ScoreReport(norm_version=meta["norm_version"])
    out = _open_output(output_path, meta)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="boussole-write")
    pending: Future[None] | None = None
    try:
        offset = 0
        names: list[str] | None = None
        specs: list[ColumnSpec] = []
        for chunk in chunks:
            scored, invalid = _score_chunk(plan, chunk, offset, report.norm_version)
            report.invalid.extend(invalid)
            if names is None:
                names, specs = plan.select(scored.columns)
            table = out.table(scored[names], specs, plan.precise)
            del scored
            if pending is not None:
                pending.result()  # the previous chunk is written (or its error raised)
            pending = pool.submit(out.write, table)
            offset += len(chunk)
        if pending is not None:
            pending.result()
        if names is None:
            raise BatchError(f"{input_path}: the file has a header but no data rows")
        report.rows = offset
        meta["invalid_cells_set_missing"] = len(report.invalid)
        out.commit()
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        out.discard()
        raise
    finally:
        pool.shutdown(wait=True)
    report.output = output_path
    return report


def _score_chunk(
    plan: _Plan, chunk: pd.DataFrame, offset: int, norm_version: str | None
) -> tuple[pd.DataFrame, list[InvalidCell]]:
    """The output rows of one chunk (full precision), and the cells set to missing."""
    chunk = chunk.set_axis(pd.RangeIndex(offset, offset + len(chunk)), axis=0)
    matrix = from_wide(
        plan.instrument,
        chunk,
        id_column=plan.id_column,
        invalid=plan.invalid,
        first_line=offset + 2,
    )
    _check_unique(plan, chunk[plan.id_column], offset)
    extra = chunk.set_index(plan.id_column)
    seconds = None
    if SECONDS_COLUMN in extra.columns:
        raw = extra[SECONDS_COLUMN]
        if raw.dtype.kind not in "fiu":  # read as text (--keep seconds): "300,5" is 300.5
            raw = raw.astype("string").str.strip().str.replace(",", ".", regex=False)
        seconds = pd.to_numeric(raw, errors="coerce")
    result = score(
        plan.instrument,
        matrix.data,
        demographics=extra,
        seconds=seconds,
        norms=plan.norms,
    )
    table = result.table
    # Every row says what produced it, so that re-scoring is reproducible.
    provenance = pd.DataFrame(
        {"instrument": plan.instrument.key, "norm_version": norm_version}, index=table.index
    )
    out = pd.concat([extra[list(plan.keep)], provenance, table], axis=1)
    out.index.name = plan.id_column
    return out, matrix.invalid


def _check_unique(plan: _Plan, ids: pd.Series, offset: int) -> None:
    """Refuse an id already seen in an earlier chunk (within a chunk, from_wide does)."""
    seen = plan.seen
    for k, rid in enumerate(ids.tolist()):
        first = seen.setdefault(rid, offset + 2 + k)
        if first != offset + 2 + k:
            raise ScoringInputError(
                [
                    f"duplicate respondent id in column '{plan.id_column}': {rid}"
                    f" (lines {first}, {offset + 2 + k}): give each respondent one row"
                ]
            )


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
