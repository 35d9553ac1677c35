"""Response matrices: one row per respondent, one float column per numeric item.

Missing answers are ``NaN`` (never zero). Codes are checked against the instrument's
declared coding; a bad cell is reported with its row and column, or, with
``invalid="missing"``, set to missing and reported in :attr:`ResponseMatrix.invalid`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from instruments.model import Instrument, ResponseFormat
from scoring.errors import ScoringInputError

MAX_REPORTED = 20


@dataclass(frozen=True)
class InvalidCell:
    """A cell that was refused: its row label, column and value, and why."""

    row: object
    column: str
    value: object
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line} (id {self.row})" if self.line is not None else f"row {self.row}"
        return f"{where}, column '{self.column}': {self.reason} (value {_show(self.value)})"


def _show(value: object) -> str:
    """A cell value as the user typed it: 9, 2.5, 'abc'."""
    item = getattr(value, "item", None)
    if callable(item):
        value = item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(value)


@dataclass
class ResponseMatrix:
    """A validated numeric response matrix.

    ``data`` has the respondent ids as index and the instrument's numeric items as columns,
    in presentation order. ``invalid`` lists cells set to missing with ``invalid="missing"``.
    """

    instrument: Instrument
    data: pd.DataFrame
    invalid: list[InvalidCell] = field(default_factory=list)

    @property
    def values(self) -> np.ndarray:
        return self.data.to_numpy(dtype=np.float64)


def _multi_choice_mask(cells: pd.Series, fmt: ResponseFormat) -> tuple[pd.Series, pd.Series]:
    """Turn ``"1;3"`` / ``[1, 3]`` cells into bit masks; returns (masks, bad-cell mask)."""
    codes = [o.value for o in fmt.options]
    bit = {c: 2**i for i, c in enumerate(codes)}

    def one(cell: object) -> float:
        if cell is None or (isinstance(cell, float) and np.isnan(cell)):
            return np.nan
        if isinstance(cell, list | tuple | set):
            parts = list(cell)
        else:
            text = str(cell).strip()
            if text == "":
                return np.nan
            parts = [p for p in re.split(r"[;|,\s]+", text) if p]
        total = 0
        for p in parts:
            try:
                v = float(p)
            except (TypeError, ValueError):
                return -1.0
            if v not in bit:
                return -1.0
            total |= bit[v]
        return float(total)

    # Multiple-choice columns are rare and short: a per-cell conversion is fine here.
    out = cells.map(one).astype(np.float64)
    return out.where(out >= 0), out < 0


def _check_column(
    name: str, raw: pd.Series, fmt: ResponseFormat, bad: list[InvalidCell]
) -> pd.Series:
    """Coerce one column to float and set refused cells to NaN, recording them."""
    if fmt.type == "multiple_choice":
        values, refused = _multi_choice_mask(raw, fmt)
        for row in raw.index[refused.to_numpy()]:
            codes = ", ".join(f"{o.value:g}" for o in fmt.options)
            bad.append(
                InvalidCell(row, name, raw[row], f"choices must be among {codes}, e.g. '1;3'")
            )
        return values
    if raw.dtype.kind in "fiub":
        values = raw.astype(np.float64)
    else:
        as_text = raw.astype("string").str.strip().str.replace(",", ".", regex=False)
        as_text = as_text.mask(as_text == "")
        values = pd.to_numeric(as_text, errors="coerce").astype(np.float64)
        not_numeric = as_text.notna() & values.isna()
        for row in raw.index[not_numeric.to_numpy()]:
            bad.append(InvalidCell(row, name, raw[row], "not a number"))
    arr = values.to_numpy()
    allowed = fmt.allowed_values()
    present = ~np.isnan(arr)
    checks: list[tuple[np.ndarray, str]] = []
    if allowed is not None:
        why = "outside the declared coding (" + ", ".join(f"{a:g}" for a in allowed) + ")"
        checks.append((np.isin(arr, np.asarray(allowed)), why))
    else:
        lo, hi = fmt.coding_range
        checks.append(((arr >= lo) & (arr <= hi), f"outside the declared range {lo:g} to {hi:g}"))
        if fmt.step is not None:
            steps = (arr - lo) / fmt.step
            checks.append((np.isclose(steps, np.round(steps)), f"not a multiple of {fmt.step:g}"))
    refused_cells = np.zeros(arr.shape, dtype=bool)
    for ok, why in checks:
        wrong = present & ~ok & ~refused_cells
        for row in raw.index[wrong]:
            bad.append(InvalidCell(row, name, raw[row], why))
        refused_cells |= wrong
    if not refused_cells.any():  # the usual case: no copy of the column
        return values
    return values.mask(refused_cells)


def _check_ranking_blocks(
    instrument: Instrument, data: pd.DataFrame, bad: list[InvalidCell]
) -> pd.DataFrame:
    """Each ranking block must be a permutation of 1..k, or entirely missing."""
    blocks: dict[str, list[str]] = {}
    for it in instrument.numeric_items:
        if it.block and instrument.formats[it.format].type == "ranking":
            blocks.setdefault(it.block, []).append(it.id)
    for block, cols in blocks.items():
        sub = data[cols].to_numpy()
        n_present = (~np.isnan(sub)).sum(axis=1)
        expected = np.arange(1, len(cols) + 1, dtype=np.float64)
        complete = n_present == len(cols)
        perm_ok = np.all(np.sort(np.nan_to_num(sub, nan=0.0), axis=1) == expected, axis=1)
        wrong = (n_present > 0) & ~(complete & perm_ok)
        for row in data.index[wrong]:
            bad.append(
                InvalidCell(
                    row,
                    ",".join(cols),
                    "",
                    f"ranking block '{block}' must rank its {len(cols)} statements 1 to"
                    f" {len(cols)}, each rank once",
                )
            )
        if wrong.any():
            data.loc[wrong, cols] = np.nan
    return data


def _finish(
    instrument: Instrument,
    data: pd.DataFrame,
    bad: list[InvalidCell],
    invalid: str,
    first_line: int | None = None,
) -> ResponseMatrix:
    data = _check_ranking_blocks(instrument, data, bad)
    if first_line is not None and bad:
        positions = data.index.get_indexer(pd.Index([b.row for b in bad]))
        bad = [replace(b, line=first_line + int(p)) for b, p in zip(bad, positions, strict=True)]
    if bad and invalid == "raise":
        raise ScoringInputError([str(b) for b in bad[:MAX_REPORTED]], total=len(bad))
    return ResponseMatrix(instrument=instrument, data=data, invalid=bad)


def from_wide(
    instrument: Instrument,
    table: pd.DataFrame,
    *,
    id_column: str | None = "id",
    invalid: str = "raise",
    allow_missing_items: bool = False,
    first_line: int | None = None,
) -> ResponseMatrix:
    """Build a response matrix from a wide table (one column per item id).

    Parameters
    ----------
    instrument
        The instrument whose numeric items are expected as columns.
    table
        One row per respondent. Other columns are ignored here (demographics, timings).
    id_column
        Column holding respondent ids; ``None`` uses the table's index.
    invalid
        ``"raise"`` (default) refuses any cell outside the declared coding;
        ``"missing"`` sets such cells to missing and lists them in ``.invalid``.
    allow_missing_items
        Accept a table lacking some item columns (they become entirely missing).
    first_line
        File line number of the first row, to name lines in error messages.

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> inst = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")
    >>> t = pd.DataFrame({"id": ["p1"], **{it.id: [3] for it in inst.items}})
    >>> m = from_wide(inst, t)
    >>> m.data.shape
    (1, 25)
    >>> t.loc[0, "A1"] = 9
    >>> from_wide(inst, t)
    Traceback (most recent call last):
    ...
    scoring.errors.ScoringInputError: 1 problem(s) in the answers:
      - row p1, column 'A1': outside the declared coding (1, 2, 3, 4, 5, 6) (value 9)
    """
    if invalid not in ("raise", "missing"):
        raise ValueError("invalid must be 'raise' or 'missing'")
    if id_column is not None:
        if id_column not in table.columns:
            raise ScoringInputError(
                [f"no '{id_column}' column: add one with a respondent id per row"]
            )
        ids = table[id_column]
        line0 = first_line if first_line is not None else 2
        if ids.isna().any():
            rows = [str(i + line0) for i in np.flatnonzero(ids.isna().to_numpy())[:5]]
            raise ScoringInputError(
                [f"empty '{id_column}' on line(s) {', '.join(rows)} of the file"]
            )
        dup_mask = ids.duplicated(keep=False).to_numpy()
        if dup_mask.any():
            positions = np.flatnonzero(dup_mask)
            dup = ids.iloc[positions].astype(str).unique()[:5]
            lines = ", ".join(str(p + line0) for p in positions[:10])
            raise ScoringInputError(
                [
                    f"duplicate respondent id(s) in column '{id_column}': {', '.join(dup)}"
                    f" (lines {lines}): give each respondent one row"
                ]
            )
        table = table.set_index(id_column)
    items = instrument.numeric_items
    missing_cols = [it.id for it in items if it.id not in table.columns]
    if missing_cols and not allow_missing_items:
        shown = ", ".join(missing_cols[:10]) + (" ..." if len(missing_cols) > 10 else "")
        raise ScoringInputError(
            [f"{len(missing_cols)} item column(s) of '{instrument.id}' are missing: {shown}"]
        )
    bad: list[InvalidCell] = []
    cols: dict[str, pd.Series] = {}
    for it in items:
        if it.id in table.columns:
            cols[it.id] = _check_column(it.id, table[it.id], instrument.formats[it.format], bad)
        else:
            cols[it.id] = pd.Series(np.nan, index=table.index, dtype=np.float64)
    data = pd.DataFrame(cols, index=table.index)
    data.index.name = "respondent"
    return _finish(instrument, data, bad, invalid, first_line)


def from_long(
    instrument: Instrument,
    answers: pd.DataFrame,
    *,
    respondent: str = "respondent",
    item: str = "item",
    value: str = "value",
    invalid: str = "raise",
) -> ResponseMatrix:
    """Build a response matrix from long-form answers ``(respondent, item, value)``.

    Unknown item ids and duplicated (respondent, item) pairs are refused.

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> inst = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")
    >>> long = pd.DataFrame({"respondent": ["a", "a", "b"], "item": ["A1", "A2", "A1"],
    ...                      "value": [1, 6, 4]})
    >>> m = from_long(inst, long)
    >>> m.data.loc["a", ["A1", "A2", "A3"]].tolist()
    [1.0, 6.0, nan]
    """
    known = {it.id for it in instrument.numeric_items}
    problems = []
    unknown = ~answers[item].isin(known)
    if unknown.any():
        names = ", ".join(map(str, answers.loc[unknown, item].unique()[:10]))
        problems.append(f"unknown item id(s) for '{instrument.id}': {names}")
    dup = answers.duplicated([respondent, item], keep=False)
    if dup.any():
        first = answers.loc[dup].iloc[0]
        problems.append(
            f"{int(dup.sum())} duplicated (respondent, item) answers, e.g. respondent"
            f" {first[respondent]!r} item {first[item]!r}: keep one answer per item"
        )
    if problems:
        raise ScoringInputError(problems)
    wide = answers.pivot(index=respondent, columns=item, values=value)
    wide.columns.name = None
    return from_wide(instrument, wide, id_column=None, invalid=invalid, allow_missing_items=True)


def indicator_columns(matrix: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Add the ``item=code`` indicator columns that scales with ``option:`` members read.

    An indicator is 1 when the option was chosen, 0 when another one was, NaN if unanswered.
    """
    extra: dict[str, np.ndarray] = {}
    for scale in instrument.scales:
        for m in scale.members:
            if m.option is None or m.column in extra:
                continue
            fmt = instrument.format_of(m.item)
            x = matrix[m.item].to_numpy(dtype=np.float64)
            if fmt.type == "multiple_choice":
                index = [o.value for o in fmt.options].index(m.option)
                ind = np.floor(np.nan_to_num(x) / 2**index) % 2
            else:
                ind = (x == m.option).astype(np.float64)
            extra[m.column] = np.where(np.isnan(x), np.nan, ind)
    if not extra:
        return matrix
    return pd.concat([matrix, pd.DataFrame(extra, index=matrix.index)], axis=1)
