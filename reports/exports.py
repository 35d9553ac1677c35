"""Exports of stored scores for the counsellor: long and wide tables, CSV, XLSX and JSON.

Pure functions: stored scores (one JSON dict per completed questionnaire, keys
``"<scale id>.<metric>"`` plus ``riasec.*``, ``validity.*`` and ``flag.*``) go in, pandas
tables and bytes come out. No Flask, no database: the service loads the records, checks
access and sends the bytes.

Two tables, both with headers for people (French by default, English with
``lang="en"``, any header replaceable through ``headers``):

* :func:`beneficiary_scores_long`: one person's scores, one row per questionnaire x scale.
  The RIASEC code and the validity alerts are columns, repeated on each row of their
  questionnaire, so that every row stands alone when the table is filtered or sorted.
* :func:`caseload_wide`: a caseload, one row per stored questionnaire (beneficiary x
  bilan x instrument), one column per scale named ``"<instrument id>.<scale id>"``;
  :func:`caseload_legend` says what each of those columns holds.

Three serialisers: :func:`to_csv` (French Excel dialect by default: UTF-8 with BOM, ``;``
between fields, decimal comma), :func:`to_xlsx` (real numbers and dates, bold frozen
header, sensible widths) and :func:`to_json` (a versioned structure documented there).
Text cells that a spreadsheet would run as a formula are neutralised in CSV and XLSX
(:func:`neutralise_formula`, after OWASP's "CSV injection" guidance).

Completion dates are shown in local time (``tz``, Europe/Paris by default): spreadsheets
have no time zones, so aware datetimes are converted and written without an offset.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from instruments.model import Instrument

__all__ = [
    "FORMULA_TRIGGERS",
    "HEADERS",
    "JSON_FORMAT",
    "JSON_FORMAT_VERSION",
    "ExportError",
    "ScoredQuestionnaire",
    "as_displayed",
    "beneficiary_scores_long",
    "caseload_legend",
    "caseload_wide",
    "neutralise_formula",
    "neutralise_formulas",
    "to_csv",
    "to_json",
    "to_xlsx",
]


class ExportError(ValueError):
    """Input that cannot be exported: the message says what, where and how to fix it."""


#: Column headers per language, keyed by the stable column keys used in this module.
HEADERS: Final[Mapping[str, Mapping[str, str]]] = {
    "fr": {
        "beneficiary": "Bénéficiaire",
        "beneficiary_ref": "Référence",
        "bilan": "Bilan",
        "questionnaire": "Questionnaire",
        "instrument": "Identifiant du questionnaire",
        "version": "Version",
        "norm_version": "Normes",
        "completed_at": "Terminé le",
        "scale": "Code de l’échelle",
        "scale_name": "Échelle",
        "raw": "Note brute",
        "mean": "Moyenne",
        "n": "Réponses",
        "t": "Note T",
        "percentile": "Percentile",
        "band_low": "Bande basse",
        "band_high": "Bande haute",
        "level": "Niveau",
        "rank": "Rang",
        "holland_code": "Code Holland",
        "validity_flag": "Validité à vérifier",
        "validity_notes": "Alertes de validité",
        "column": "Colonne",
        "metric": "Mesure",
    },
    "en": {
        "beneficiary": "Beneficiary",
        "beneficiary_ref": "Reference",
        "bilan": "Assessment",
        "questionnaire": "Questionnaire",
        "instrument": "Questionnaire id",
        "version": "Version",
        "norm_version": "Norms",
        "completed_at": "Completed on",
        "scale": "Scale id",
        "scale_name": "Scale",
        "raw": "Raw score",
        "mean": "Mean",
        "n": "Answers",
        "t": "T score",
        "percentile": "Percentile",
        "band_low": "Band low",
        "band_high": "Band high",
        "level": "Level",
        "rank": "Rank",
        "holland_code": "Holland code",
        "validity_flag": "Check validity",
        "validity_notes": "Validity alerts",
        "column": "Column",
        "metric": "Measure",
    },
}

# What a raised validity flag means, for the "validity_notes" column.
_FLAG_NOTES: Final[Mapping[str, Mapping[str, str]]] = {
    "fr": {
        "longstring": "longue suite de réponses identiques",
        "irv": "réponses peu variées",
        "missing": "trop de réponses manquantes",
        "too_fast": "réponses très rapides",
        "inconsistent": "réponses incohérentes entre items proches",
        "flat_profile": "profil plat",
    },
    "en": {
        "longstring": "long run of identical answers",
        "irv": "little variation in answers",
        "missing": "too many missing answers",
        "too_fast": "answered very fast",
        "inconsistent": "inconsistent answers to similar items",
        "flat_profile": "flat profile",
    },
}

# Key prefixes of the score dict that are not scales.
_NOT_SCALES: Final = frozenset({"flag", "validity", "riasec"})

# Long table: per-scale metrics, in column order, and their dtypes.
_LONG_METRICS: Final = (
    "raw",
    "mean",
    "n",
    "t",
    "percentile",
    "band_low",
    "band_high",
    "level",
    "rank",
)
_TEXT_METRICS: Final = frozenset({"level"})
_INT_METRICS: Final = frozenset({"n"})

#: First characters that make a spreadsheet read a text cell as a formula (OWASP).
FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")

_SHEET_NAME_BAD: Final = re.compile(r"[\[\]:*?/\\]")
_XLSX_DATETIME: Final = "DD/MM/YYYY HH:MM"


@dataclass(frozen=True, kw_only=True)
class ScoredQuestionnaire:
    """One completed questionnaire as exported: who, which bilan, which instrument, scores.

    Parameters
    ----------
    beneficiary
        The person's display name.
    bilan_id
        The bilan (skills assessment) the questionnaire belongs to.
    instrument_key
        ``"<id>@<version>"`` recorded with the scores.
    scores
        The stored scores (JSON values; NaN is read as missing).
    instrument
        The instrument that produced the scores, for names, scale order and level labels;
        ``None`` when it is no longer available (ids are shown instead of names).
    norm_version
        Version of the norm table used, ``None`` without norms.
    completed_at
        When the questionnaire was completed (aware or naive local time).
    beneficiary_ref
        An optional reference shown next to the name (file number, email...).

    Raises
    ------
    ExportError
        When ``instrument_key`` is not ``id@version`` or does not match ``instrument``.

    Examples
    --------
    >>> q = ScoredQuestionnaire(beneficiary="Ana", bilan_id=3, instrument_key="demo@1.0",
    ...                         scores={"calme.mean": 3.5, "flag.any": False})
    >>> q.instrument_id, q.version, q.scale_ids()
    ('demo', '1.0', ('calme',))
    """

    beneficiary: str
    bilan_id: int
    instrument_key: str
    scores: Mapping[str, Any]
    instrument: Instrument | None = None
    norm_version: str | None = None
    completed_at: datetime | None = None
    beneficiary_ref: str | None = None

    def __post_init__(self) -> None:
        iid, sep, version = self.instrument_key.rpartition("@")
        if not sep or not iid or not version:
            raise ExportError(
                f"bilan {self.bilan_id}, {self.beneficiary!r}: instrument key "
                f"{self.instrument_key!r} is not '<id>@<version>'; pass the key stored "
                "with the scores"
            )
        if self.instrument is not None and self.instrument.key != self.instrument_key:
            raise ExportError(
                f"bilan {self.bilan_id}, {self.beneficiary!r}: scores of "
                f"{self.instrument_key!r} given with the instrument {self.instrument.key!r}; "
                "pass the instrument version that produced the scores, or None"
            )

    @property
    def instrument_id(self) -> str:
        """The instrument id, without the version."""
        return self.instrument_key.rpartition("@")[0]

    @property
    def version(self) -> str:
        """The instrument version recorded with the scores."""
        return self.instrument_key.rpartition("@")[2]

    def title(self, lang: str = "fr") -> str:
        """The questionnaire's name in ``lang``, or its id without the instrument."""
        if self.instrument is None:
            return self.instrument_id
        return self.instrument.name.get(lang)

    def scale_ids(self) -> tuple[str, ...]:
        """Scales with at least one stored value, in the instrument's order.

        Without the instrument, the key prefixes other than ``flag``, ``validity`` and
        ``riasec``, in stored order.
        """
        prefixes = dict.fromkeys(key.rpartition(".")[0] for key in self.scores)
        if self.instrument is not None:
            return tuple(sc.id for sc in self.instrument.scales if sc.id in prefixes)
        return tuple(p for p in prefixes if p and p not in _NOT_SCALES)

    def scale_name(self, scale_id: str, lang: str = "fr") -> str:
        """The scale's name in ``lang``, or its id when the instrument is unknown."""
        if self.instrument is None:
            return scale_id
        return self.instrument.scale(scale_id).name.get(lang)

    def level_label(self, scale_id: str, level: str, lang: str = "fr") -> str:
        """The label of a stored level code (e.g. ``"average"`` -> "Dans la moyenne")."""
        if self.instrument is not None:
            bands = self.instrument.scale(scale_id).bands
            for band in bands.levels if bands is not None else ():
                if band.level == level:
                    return band.label.get(lang)
        return level

    def value(self, key: str) -> Any:
        """The stored value at ``key`` as a plain Python value; missing, NaN and NA as None.

        Examples
        --------
        >>> q = ScoredQuestionnaire(beneficiary="Ana", bilan_id=3, instrument_key="d@1",
        ...                         scores={"a.t": float("nan"), "a.n": np.int64(4)})
        >>> q.value("a.t"), q.value("a.n"), q.value("a.raw")
        (None, 4, None)
        """
        v = self.scores.get(key)
        if isinstance(v, np.generic):
            v = v.item()
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
            return None
        return v

    def number(self, key: str) -> float | None:
        """The stored value at ``key`` as a float, None when missing.

        Raises
        ------
        ExportError
            When the stored value is not a number.
        """
        v = self.value(key)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ExportError(
                f"bilan {self.bilan_id}, {self.beneficiary!r}, {self.instrument_key}: "
                f"score {key!r} is {v!r}, not a number; re-score the questionnaire"
            )
        return float(v)


def _headers(lang: str, headers: Mapping[str, str] | None) -> dict[str, str]:
    if lang not in HEADERS:
        raise ExportError(f"language {lang!r} is not available; use one of {sorted(HEADERS)}")
    out = dict(HEADERS[lang])
    if headers:
        unknown = sorted(set(headers) - set(out))
        if unknown:
            raise ExportError(f"headers: unknown column keys {unknown}; the keys are {sorted(out)}")
        out.update(headers)
    return out


def _tzinfo(tz: str | tzinfo) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _local(when: datetime | None, tz: tzinfo) -> datetime | None:
    """Aware datetimes in ``tz`` without offset (spreadsheets have no time zones)."""
    if when is None or when.tzinfo is None:
        return when
    return when.astimezone(tz).replace(tzinfo=None)


def _validity_notes(q: ScoredQuestionnaire, lang: str) -> str | None:
    if q.value("flag.any") is None:
        return None
    notes = _FLAG_NOTES[lang]
    raised = [
        notes.get(key.removeprefix("flag."), key.removeprefix("flag."))
        for key in q.scores
        if key.startswith("flag.") and key != "flag.any" and q.value(key) is True
    ]
    return "; ".join(raised)


def _flag(q: ScoredQuestionnaire) -> bool | None:
    v = q.value("flag.any")
    return None if v is None else bool(v)


def _frame(columns: dict[str, pd.Series[Any]], names: Mapping[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    return frame.rename(columns={k: names[k] for k in columns if k in names})


def _dates(values: list[datetime | None]) -> pd.Series[Any]:
    return pd.Series(values, dtype="datetime64[s]")


def _texts(values: list[Any]) -> pd.Series[Any]:
    return pd.Series(values, dtype="str")


def beneficiary_scores_long(
    records: Iterable[ScoredQuestionnaire],
    *,
    lang: str = "fr",
    headers: Mapping[str, str] | None = None,
    tz: str | tzinfo = "Europe/Paris",
    with_name: bool = False,
) -> pd.DataFrame:
    """One person's scores in long form: one row per questionnaire x scale.

    Parameters
    ----------
    records
        The person's completed questionnaires, in the order the rows should follow.
    lang
        ``"fr"`` or ``"en"``: headers, questionnaire and scale names, level labels.
    headers
        Replacement headers keyed by column key (see :data:`HEADERS`).
    tz
        Time zone in which aware completion dates are shown.
    with_name
        Put the person's name in a first column (the counsellor's option).

    Returns
    -------
    pandas.DataFrame
        Identification columns, always present: bilan, questionnaire (name), instrument
        id, version, norm version, completion date, scale id, scale name. Then the
        scale's raw score, mean, number of answers, T score, percentile, SEM band (low,
        high), level (its label, e.g. "Dans la moyenne") and rank (work values, 1 = most
        important), and per questionnaire its Holland code, whether validity should be
        checked (``flag.any``) and which alerts were raised (text, empty when none).
        Score columns that no questionnaire has are dropped; with no records at all the
        full header is returned, so that an empty export still shows its columns.
        Numbers are float (``Réponses``: nullable integer), missing values NaN/NA.

    Examples
    --------
    >>> q = ScoredQuestionnaire(beneficiary="Ana", bilan_id=3, instrument_key="demo@1.0",
    ...                         scores={"calme.raw": 7.0, "calme.mean": 3.5, "calme.n": 2})
    >>> beneficiary_scores_long([q])[["Échelle", "Note brute", "Moyenne", "Réponses"]]
      Échelle  Note brute  Moyenne  Réponses
    0   calme         7.0      3.5         2
    >>> list(beneficiary_scores_long([], lang="en").columns[:4])
    ['Assessment', 'Questionnaire', 'Questionnaire id', 'Version']
    """
    names = _headers(lang, headers)
    zone = _tzinfo(tz)
    qs = list(records)
    rows = [(q, sid) for q in qs for sid in q.scale_ids()]
    cols: dict[str, pd.Series[Any]] = {}
    if with_name:
        cols["beneficiary"] = _texts([q.beneficiary for q, _ in rows])
    cols |= {
        "bilan": pd.Series([q.bilan_id for q, _ in rows], dtype="int64"),
        "questionnaire": _texts([q.title(lang) for q, _ in rows]),
        "instrument": _texts([q.instrument_id for q, _ in rows]),
        "version": _texts([q.version for q, _ in rows]),
        "norm_version": _texts([q.norm_version for q, _ in rows]),
        "completed_at": _dates([_local(q.completed_at, zone) for q, _ in rows]),
        "scale": _texts([sid for _, sid in rows]),
        "scale_name": _texts([q.scale_name(sid, lang) for q, sid in rows]),
    }
    for metric in _LONG_METRICS:
        if qs and not any(f"{sid}.{metric}" in q.scores for q, sid in rows):
            continue
        keys = [(q, f"{sid}.{metric}") for q, sid in rows]
        if metric in _TEXT_METRICS:
            labels = []
            for (q, key), (_, sid) in zip(keys, rows, strict=True):
                code = q.value(key)
                labels.append(None if code is None else q.level_label(sid, str(code), lang))
            cols[metric] = _texts(labels)
        elif metric in _INT_METRICS:
            cols[metric] = pd.Series([q.number(k) for q, k in keys], dtype="Int64")
        else:
            cols[metric] = pd.Series([q.number(k) for q, k in keys], dtype="float64")
    if not qs or any("riasec.code" in q.scores for q in qs):
        cols["holland_code"] = _texts([q.value("riasec.code") for q, _ in rows])
    if not qs or any("flag.any" in q.scores for q in qs):
        cols["validity_flag"] = pd.Series([_flag(q) for q, _ in rows], dtype="boolean")
        cols["validity_notes"] = _texts([_validity_notes(q, lang) for q, _ in rows])
    return _frame(cols, names)


@dataclass(frozen=True)
class _ScaleColumn:
    column: str
    instrument_id: str
    scale_id: str
    metric: str
    named_by: ScoredQuestionnaire  # the record whose instrument names the column


def _caseload_plan(qs: list[ScoredQuestionnaire]) -> list[_ScaleColumn]:
    """The scale columns of the wide table, instruments in order of first appearance."""
    scales: dict[tuple[str, str], ScoredQuestionnaire] = {}
    for q in qs:
        for sid in q.scale_ids():
            known = scales.get((q.instrument_id, sid))
            if known is None or (known.instrument is None and q.instrument is not None):
                scales[(q.instrument_id, sid)] = q
    by_instrument: dict[str, list[tuple[str, ScoredQuestionnaire]]] = {}
    for (iid, sid), q in scales.items():
        by_instrument.setdefault(iid, []).append((sid, q))
    plan: list[_ScaleColumn] = []
    for iid, members in by_instrument.items():
        same = [q for q in qs if q.instrument_id == iid]
        for sid, named_by in members:
            if any(f"{sid}.t" in q.scores for q in same):
                metric = "t"
            elif any(f"{sid}.rank" in q.scores for q in same):
                metric = "rank"
            else:
                metric = "mean"
            plan.append(_ScaleColumn(f"{iid}.{sid}", iid, sid, metric, named_by))
            if metric == "t":
                plan.append(
                    _ScaleColumn(f"{iid}.{sid}.percentile", iid, sid, "percentile", named_by)
                )
    return plan


def caseload_wide(
    records: Iterable[ScoredQuestionnaire],
    *,
    lang: str = "fr",
    headers: Mapping[str, str] | None = None,
    tz: str | tzinfo = "Europe/Paris",
) -> pd.DataFrame:
    """A counsellor's caseload: one row per stored questionnaire, one column per scale.

    Parameters
    ----------
    records
        Completed questionnaires of any beneficiaries, in row order.
    lang
        ``"fr"`` or ``"en"``: headers and questionnaire names.
    headers
        Replacement headers keyed by column key (see :data:`HEADERS`).
    tz
        Time zone in which aware completion dates are shown.

    Returns
    -------
    pandas.DataFrame
        One row per record (beneficiary x bilan x questionnaire). Fixed columns:
        beneficiary, reference (only when a record has one), bilan, questionnaire (name),
        instrument id, version, norm version, completion date, Holland code (only when a
        record has one), validity to check (``flag.any``). Then, per instrument in order
        of first appearance and per scale in the instrument's order, a column
        ``"<instrument id>.<scale id>"`` holding the scale's main score: the **T score**
        when the instrument's scores are normed, else the **rank** when the scale has
        one (work values: 1 = most important), else the **mean** (comparable across
        questionnaires with different numbers of items answered). Normed scales also
        get ``"<instrument id>.<scale id>.percentile"``. Columns are named by id, not by
        label, so that two instruments with a scale of the same name stay apart;
        :func:`caseload_legend` gives their labels. A scale column is empty (NaN) for
        the rows of other instruments. With no records, the fixed header only.

    Examples
    --------
    >>> q = ScoredQuestionnaire(beneficiary="Ana", bilan_id=3, instrument_key="demo@1.0",
    ...                         scores={"calme.mean": 3.5, "calme.t": 55.0,
    ...                                 "calme.percentile": 69.1, "flag.any": False})
    >>> caseload_wide([q]).iloc[0, -3:].to_dict()
    {'Validité à vérifier': False, 'demo.calme': 55.0, 'demo.calme.percentile': 69.1}
    """
    names = _headers(lang, headers)
    zone = _tzinfo(tz)
    qs = list(records)
    cols: dict[str, pd.Series[Any]] = {"beneficiary": _texts([q.beneficiary for q in qs])}
    if not qs or any(q.beneficiary_ref is not None for q in qs):
        cols["beneficiary_ref"] = _texts([q.beneficiary_ref for q in qs])
    cols |= {
        "bilan": pd.Series([q.bilan_id for q in qs], dtype="int64"),
        "questionnaire": _texts([q.title(lang) for q in qs]),
        "instrument": _texts([q.instrument_id for q in qs]),
        "version": _texts([q.version for q in qs]),
        "norm_version": _texts([q.norm_version for q in qs]),
        "completed_at": _dates([_local(q.completed_at, zone) for q in qs]),
    }
    if not qs or any("riasec.code" in q.scores for q in qs):
        cols["holland_code"] = _texts([q.value("riasec.code") for q in qs])
    cols["validity_flag"] = pd.Series([_flag(q) for q in qs], dtype="boolean")
    for sc in _caseload_plan(qs):
        values = [
            q.number(f"{sc.scale_id}.{sc.metric}") if q.instrument_id == sc.instrument_id else None
            for q in qs
        ]
        cols[sc.column] = pd.Series(values, dtype="float64")
    return _frame(cols, names)


def caseload_legend(
    records: Iterable[ScoredQuestionnaire],
    *,
    lang: str = "fr",
    headers: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """What each scale column of :func:`caseload_wide` holds, one row per column.

    Columns: column name, questionnaire, scale id, scale name, measure (the header of
    the metric: "Note T", "Percentile", "Rang" or "Moyenne"). Meant as a second sheet of
    the caseload workbook (``to_xlsx(..., extra_sheets={"Légende": legend})``).

    Examples
    --------
    >>> q = ScoredQuestionnaire(beneficiary="Ana", bilan_id=3, instrument_key="demo@1.0",
    ...                         scores={"calme.mean": 3.5, "calme.rank": 1.0})
    >>> caseload_legend([q]).loc[0, ["Colonne", "Échelle", "Mesure"]].tolist()
    ['demo.calme', 'calme', 'Rang']
    """
    names = _headers(lang, headers)
    plan = _caseload_plan(list(records))
    cols: dict[str, pd.Series[Any]] = {
        "column": _texts([sc.column for sc in plan]),
        "questionnaire": _texts([sc.named_by.title(lang) for sc in plan]),
        "scale": _texts([sc.scale_id for sc in plan]),
        "scale_name": _texts([sc.named_by.scale_name(sc.scale_id, lang) for sc in plan]),
        "metric": _texts([names[sc.metric] for sc in plan]),
    }
    return _frame(cols, names)


def neutralise_formula(value: Any) -> Any:
    """Prefix with an apostrophe a text that a spreadsheet would read as a formula.

    Text starting with ``= + - @``, a tab or a carriage return (OWASP "CSV injection")
    gets a leading ``'``; anything else, numbers included, is returned unchanged.

    Examples
    --------
    >>> neutralise_formula('=HYPERLINK("http://x.test","clic")')
    '\\'=HYPERLINK("http://x.test","clic")'
    >>> neutralise_formula("Zoé"), neutralise_formula(-2.5)
    ('Zoé', -2.5)
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with :func:`neutralise_formula` applied to text cells and headers.

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"nom": ["@SUM(A1)", "Léa"], "x": [-1.0, 2.0]}))
             nom    x
    0  '@SUM(A1) -1.0
    1        Léa  2.0
    """
    out = df.rename(columns=neutralise_formula)
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(neutralise_formula)
    return out


def to_csv(
    df: pd.DataFrame,
    *,
    sep: str = ";",
    decimal: str = ",",
    bom: bool = True,
    date_format: str = "%Y-%m-%d %H:%M",
    float_format: str | None = None,
) -> bytes:
    """CSV bytes of a table, by default as French Excel opens it with a double click.

    French Excel reads ``;`` as the field separator and ``,`` as the decimal mark, and
    only recognises UTF-8 (accents) after a byte-order mark. ``sep=",", decimal=".",
    bom=False`` gives plain RFC 4180 CSV for other tools. Lines end with CRLF; dates are
    ISO-like local times; text that could run as a formula is neutralised. Numbers are
    written in full unless ``float_format`` says otherwise (e.g. ``"%.2f"``).

    Raises
    ------
    ExportError
        When ``sep`` and ``decimal`` are the same character.

    Examples
    --------
    >>> to_csv(pd.DataFrame({"Nom": ["=1+1"], "Note T": [52.5]}))
    b"\\xef\\xbb\\xbfNom;Note T\\r\\n'=1+1;52,5\\r\\n"
    """
    if sep == decimal:
        raise ExportError(
            f"to_csv: separator and decimal mark are both {sep!r}; use sep=';' with "
            "decimal=',' (French Excel) or sep=',' with decimal='.'"
        )
    text = neutralise_formulas(df).to_csv(
        index=False,
        sep=sep,
        decimal=decimal,
        date_format=date_format,
        float_format=float_format,
        lineterminator="\r\n",
    )
    return text.encode("utf-8-sig" if bom else "utf-8")


#: What a boolean cell reads in a CSV, per language.
YES_NO: Final[Mapping[str, tuple[str, str]]] = {"fr": ("Oui", "Non"), "en": ("Yes", "No")}

# Metrics printed as whole numbers on the pages (T and its band, percentile ranks).
_WHOLE_METRICS: Final = frozenset({"t", "percentile", "band_low", "band_high"})


def _half_up(values: pd.Series[Any], digits: int) -> pd.Series[Any]:
    """Rounded as a reader rounds (halves away from zero), as the pages print them."""
    scale = 10.0**digits
    x = values.astype("float64")
    rounded = np.sign(x) * np.floor(np.abs(x) * scale + 0.5) / scale
    return pd.Series(rounded, index=x.index, dtype="float64")


def as_displayed(
    df: pd.DataFrame,
    *,
    lang: str = "fr",
    whole: Iterable[str] = (),
    percentiles: Iterable[str] = (),
) -> pd.DataFrame:
    """A table with the values as the pages show them, for a CSV: booleans as Oui/Non
    (Yes/No), numbers rounded half up to one decimal, the ``whole`` columns (T scores,
    bands) to none, the ``percentiles`` columns to none and within 1-99.

    Examples
    --------
    >>> df = pd.DataFrame({"Note T": [52.5], "Moyenne": [3.25], "Percentile": [99.6],
    ...                    "Validité": pd.Series([True], dtype="boolean")})
    >>> to_csv(as_displayed(df, whole=["Note T"], percentiles=["Percentile"]), bom=False)
    b'Note T;Moyenne;Percentile;Validit\\xc3\\xa9\\r\\n53;3,3;99;Oui\\r\\n'

    """
    yes, no = YES_NO.get(lang, YES_NO["fr"])
    whole_cols, pct_cols = set(whole), set(percentiles)
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_bool_dtype(series.dtype):
            out[col] = series.map(lambda v: None if v is pd.NA or v is None else yes if v else no)
        elif pd.api.types.is_float_dtype(series.dtype):
            if col in pct_cols:
                out[col] = _half_up(series.clip(1.0, 99.0), 0).astype("Int64")
            elif col in whole_cols:
                out[col] = _half_up(series, 0).astype("Int64")
            else:
                out[col] = _half_up(series, 1)
    return out


def long_display_columns(lang: str = "fr") -> dict[str, list[str]]:
    """The ``whole`` and ``percentiles`` columns of :func:`beneficiary_scores_long`."""
    names = HEADERS.get(lang, HEADERS["fr"])
    return {
        "whole": [names[m] for m in ("t", "band_low", "band_high")],
        "percentiles": [names["percentile"]],
    }


def caseload_display_columns(df: pd.DataFrame) -> dict[str, list[str]]:
    """The ``whole`` and ``percentiles`` columns of :func:`caseload_wide`: its normed
    scale columns hold T scores, their ``.percentile`` companions percentile ranks."""
    pct = [c for c in df.columns if str(c).endswith(".percentile")]
    normed = {c.removesuffix(".percentile") for c in pct}
    return {"whole": sorted(normed), "percentiles": pct}


def _check_sheet_name(name: str) -> None:
    if not name or len(name) > 31 or _SHEET_NAME_BAD.search(name):
        raise ExportError(
            f"sheet name {name!r}: Excel needs 1 to 31 characters without [ ] : * ? / \\"
        )


def _width(series: pd.Series[Any], header: str) -> float:
    """A column width in characters: the longest header or cell, within 8..60."""
    longest = len(header)
    values = series.dropna()
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        longest = max(longest, 16)
    elif pd.api.types.is_float_dtype(series.dtype):
        if len(values):
            longest = max(longest, max(len(f"{v:.2f}") for v in values))
    elif len(values):
        longest = max(longest, max(len(str(v)) for v in values))
    return float(min(max(longest + 2, 8), 60))


def to_xlsx(
    df: pd.DataFrame,
    *,
    sheet_name: str = "Résultats",
    extra_sheets: Mapping[str, pd.DataFrame] | None = None,
) -> bytes:
    """An Excel workbook (bytes) of ``df``, ready to read and to filter.

    Numbers stay numbers (shown with two decimals unless the column holds only whole
    numbers), dates are real dates (``DD/MM/YYYY HH:MM``), booleans real booleans, and
    text that could run as a formula is neutralised. The header row is bold, frozen and
    carries an autofilter; column widths follow the longest cell (8 to 60 characters).
    ``extra_sheets`` adds further sheets, formatted the same way (e.g. a legend).

    Raises
    ------
    ExportError
        On a sheet name that Excel refuses or a repeated sheet name.

    Examples
    --------
    >>> data = to_xlsx(pd.DataFrame({"Note T": [52.5]}), sheet_name="Scores")
    >>> data[:2]
    b'PK'
    """
    sheets = {sheet_name: df, **(extra_sheets or {})}
    if extra_sheets and sheet_name in extra_sheets:
        raise ExportError(f"sheet name {sheet_name!r} is used twice; give each sheet its own")
    for name in sheets:
        _check_sheet_name(name)
    buf = io.BytesIO()
    with pd.ExcelWriter(
        buf, engine="openpyxl", datetime_format=_XLSX_DATETIME, date_format="DD/MM/YYYY"
    ) as writer:
        for name, frame in sheets.items():
            safe = neutralise_formulas(frame)
            safe.to_excel(writer, sheet_name=name, index=False)
            _format_sheet(writer.sheets[name], safe)
    return buf.getvalue()


def _format_sheet(ws: Any, frame: pd.DataFrame) -> None:
    ws.freeze_panes = "A2"
    if len(frame.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"
    for j, col in enumerate(frame.columns, start=1):
        letter = get_column_letter(j)
        series = frame[col]
        ws.cell(row=1, column=j).font = Font(bold=True)
        ws.column_dimensions[letter].width = _width(series, str(col))
        fmt: str | None = None
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            fmt = _XLSX_DATETIME
        elif pd.api.types.is_float_dtype(series.dtype):
            values = series.dropna().to_numpy(dtype=np.float64)
            fmt = "0" if np.all(values == np.round(values)) else "0.00"
        if fmt is not None:
            for i in range(2, len(frame) + 2):
                ws.cell(row=i, column=j).number_format = fmt


# -- JSON -------------------------------------------------------------------------------

#: Identifies the structure written by :func:`to_json`; bumped on incompatible changes.
JSON_FORMAT: Final = "boussole.scores"
JSON_FORMAT_VERSION: Final = 1


def _iso(when: datetime | None, tz: tzinfo) -> str | None:
    if when is None:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(tz)
    return when.isoformat()


def _questionnaire_json(q: ScoredQuestionnaire, lang: str, tz: tzinfo) -> dict[str, Any]:
    scale_ids = q.scale_ids()
    scales: dict[str, dict[str, Any]] = {
        sid: {"name": q.scale_name(sid, lang)} for sid in scale_ids
    }
    profile: dict[str, Any] = {}
    indices: dict[str, Any] = {}
    flags: dict[str, Any] = {}
    other: dict[str, Any] = {}
    for key in q.scores:
        prefix, _, metric = key.rpartition(".")
        value = q.value(key)
        if not isinstance(value, bool | int | float | str | type(None)):
            value = str(value)
        if prefix in scales:
            scales[prefix][metric] = value
        elif prefix == "riasec":
            profile[metric] = value
        elif prefix == "validity":
            indices[metric] = value
        elif prefix == "flag":
            flags[metric] = value
        else:
            other[key] = value
    return {
        "beneficiary": q.beneficiary,
        "beneficiary_ref": q.beneficiary_ref,
        "bilan": q.bilan_id,
        "instrument": {
            "id": q.instrument_id,
            "version": q.version,
            "key": q.instrument_key,
            "name": q.title(lang),
        },
        "norm_version": q.norm_version,
        "completed_at": _iso(q.completed_at, tz),
        "scales": scales,
        "profile": profile,
        "validity": {"indices": indices, "flags": flags},
        "other": other,
    }


def to_json(
    records: Iterable[ScoredQuestionnaire],
    *,
    lang: str = "fr",
    tz: str | tzinfo = "Europe/Paris",
    indent: int | None = 1,
) -> bytes:
    """UTF-8 JSON of completed questionnaires with their scores, nested per scale.

    The structure (``format_version`` 1)::

        {"format": "boussole.scores", "format_version": 1,
         "questionnaires": [
           {"beneficiary": "Ana", "beneficiary_ref": null, "bilan": 3,
            "instrument": {"id": "ipip-bfi-25", "version": "1.0.0",
                           "key": "ipip-bfi-25@1.0.0", "name": "Inventaire ..."},
            "norm_version": "2026.11-bfi-adults",
            "completed_at": "2026-11-03T14:05:00+01:00",
            "scales": {"openness": {"name": "Ouverture", "raw": 23.0, "mean": 4.6,
                                    "n": 5, "missing": false, "t": 49.98, ...}, ...},
            "profile": {"code": "[RC]I", "differentiation": ..., ...},
            "validity": {"indices": {"irv": 1.78, ...}, "flags": {"any": false, ...}},
            "other": {}}]}

    Scales follow the instrument's order and carry every stored metric under its stored
    name (level as its code, not its label); ``profile`` holds the ``riasec.*`` values
    (empty for other instruments), ``other`` any stored key of no known kind. Missing
    values, NaN included, are ``null``. Dates are ISO 8601, aware ones converted to
    ``tz`` with their offset. Not neutralised for spreadsheets: the values are exact.

    Examples
    --------
    >>> q = ScoredQuestionnaire(beneficiary="Ana", bilan_id=3, instrument_key="demo@1.0",
    ...                         scores={"calme.mean": float("nan"), "flag.any": True})
    >>> doc = json.loads(to_json([q]))
    >>> doc["questionnaires"][0]["scales"], doc["questionnaires"][0]["validity"]["flags"]
    ({'calme': {'name': 'calme', 'mean': None}}, {'any': True})
    """
    _headers(lang, None)
    zone = _tzinfo(tz)
    doc = {
        "format": JSON_FORMAT,
        "format_version": JSON_FORMAT_VERSION,
        "questionnaires": [_questionnaire_json(q, lang, zone) for q in records],
    }
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, indent=indent).encode("utf-8")
