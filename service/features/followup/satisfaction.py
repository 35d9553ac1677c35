"""Centre-level satisfaction statistics (Qualiopi indicator 30), for the centre's admin.

Only the questionnaires assigned automatically at the end of the bilan (``purpose="end"``)
and at the 6-month follow-up (``purpose="followup"``) are counted (see
:mod:`service.features.followup.service`); a satisfaction questionnaire a counsellor assigns by
hand is not.
Groups are (moment, instrument, version): answers to two versions are not pooled.

What is shown, and what never is:

- per group: questionnaires assigned, completed, response rate (always);
- with at least :data:`SMALL_N` completed questionnaires in the group: the mean of each
  scale (only when :data:`SMALL_N` people or more answered that scale), the distribution
  of the overall items (overall satisfaction, recommendation, and for the follow-up the
  situation and the fate of the project), the recommendation shares, the free-text
  answers and the months covered;
- never: a name, a bilan, a date finer than the month, or anything that ties a free-text
  answer to a person, to another of their answers or to their results. The data are read
  without joining the people: assignment rows, score records and answers only. Free texts
  are sorted alphabetically, item by item, so that their order reveals nothing.

With fewer than :data:`SMALL_N` responses, an average or a quoted sentence could point to
one person (the admin may know who ended a bilan recently): counts only.

These questionnaires are anonymous (:attr:`instruments.model.Instrument.anonymous`): no
score is stored per person when they are completed (see
:mod:`service.features.journey.completion`), and this module is the only reader of their
answers. The scale means are computed here, when the page is shown, by scoring the
stored answers of the whole group in one pass (:func:`scoring.scales.score_scales`, the
same rules as any score). Only for a version that is no longer installed (its rules are
gone) are the scores stored before this change read instead.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.model import Instrument
from reports import exports
from reports.profile import fmt
from scoring.matrix import from_long
from scoring.scales import score_scales
from service.dates import format_month
from service.features.followup.service import FOLLOWUP, SATISFACTION
from service.models import Answer, Assignment, Bilan, ScoreRecord
from service.models.states import AssignmentStatus

#: Fewer completed questionnaires than this in a group (or answers to a scale): counts only.
SMALL_N = 5

MOMENTS = ("end", "followup")

#: The item giving the overall appreciation, per instrument (shown as a distribution).
OVERALL_ITEMS: dict[str, tuple[str, ...]] = {
    SATISFACTION: ("SAT14",),
    FOLLOWUP: ("SUI_SATISFACTION",),
}


def moment_label(moment: str) -> str:
    labels = {"end": _("Fin de bilan (à chaud)"), "followup": _("Suivi à 6 mois (à froid)")}
    return str(labels.get(moment, moment))


@dataclass(frozen=True)
class ScaleStat:
    scale_id: str
    name: str
    n: int  # completed questionnaires with a score on this scale
    mean: float | None  # None when hidden (small numbers) or no answer
    mean_text: str  # formatted, "" when hidden


@dataclass(frozen=True)
class OptionCount:
    value: float
    label: str
    count: int
    percent_text: str


@dataclass(frozen=True)
class Distribution:
    item_id: str
    text: str
    n: int  # answers to this item
    options: tuple[OptionCount, ...]


@dataclass(frozen=True)
class Recommendation:
    n: int
    promoters: int  # answered >= promoters_min
    detractors: int  # answered <= detractors_max
    promoters_min: int
    detractors_max: int
    promoters_text: str
    detractors_text: str
    score_text: str  # % promoters - % detractors, in points


@dataclass(frozen=True)
class FreeTexts:
    item_id: str
    text: str
    answers: tuple[str, ...]  # sorted alphabetically


@dataclass(frozen=True)
class GroupStats:
    moment: str
    moment_label: str
    instrument_id: str
    instrument_name: str
    version: str
    assigned: int
    completed: int
    rate: float | None  # completed / assigned, in percent
    rate_text: str
    enough: bool  # completed >= SMALL_N: means, distributions and texts are shown
    period: str  # "mars 2026 – septembre 2026" (months of completion), "" when hidden
    scales: tuple[ScaleStat, ...] = ()
    distributions: tuple[Distribution, ...] = ()
    recommendation: Recommendation | None = None
    free_texts: tuple[FreeTexts, ...] = ()


@dataclass(frozen=True)
class _Row:
    id: int
    purpose: str
    instrument_id: str
    version: str
    completed: bool
    completed_at: dt.datetime | None


def _rows(session: Session, centre_id: int) -> list[_Row]:
    """The centre's end/follow-up questionnaires: no person, no bilan id kept."""
    query = (
        select(
            Assignment.id,
            Assignment.purpose,
            Assignment.instrument_id,
            Assignment.instrument_version,
            Assignment.status,
            Assignment.completed_at,
        )
        .join(Bilan, Bilan.id == Assignment.bilan_id)
        .where(Bilan.centre_id == centre_id, Assignment.purpose.in_(MOMENTS))
    )
    return [
        _Row(aid, str(purpose), iid, version, status == AssignmentStatus.COMPLETED, completed_at)
        for aid, purpose, iid, version, status, completed_at in session.execute(query)
    ]


def _percent(part: int, whole: int, lang: str) -> str:
    return f"{fmt(100.0 * part / whole, lang, 1)}\u00a0%" if whole else "—"


def _month(moment: dt.datetime, lang: str) -> str:
    return format_month(moment, lang)


def _period(rows: Sequence[_Row], lang: str) -> str:
    done = sorted(r.completed_at for r in rows if r.completed_at is not None)
    if not done:
        return ""
    first, last = _month(done[0], lang), _month(done[-1], lang)
    return first if first == last else f"{first} – {last}"


def _scale_ids(inst: Instrument | None, records: Sequence[Mapping[str, Any]]) -> list[str]:
    if inst is not None:
        return [s.id for s in inst.scales]
    ids: list[str] = []
    for scores in records:
        for key in scores:
            sid = key.removesuffix(".mean")
            if key.endswith(".mean") and sid not in ids:
                ids.append(sid)
    return ids


def _scales(
    inst: Instrument | None, records: Sequence[Mapping[str, Any]], lang: str
) -> tuple[ScaleStat, ...]:
    names = {s.id: s.name.get(lang) for s in inst.scales} if inst is not None else {}
    out = []
    for sid in _scale_ids(inst, records):
        values = [
            float(v)
            for scores in records
            if isinstance(v := scores.get(f"{sid}.mean"), int | float) and not isinstance(v, bool)
        ]
        shown = len(values) >= SMALL_N
        mean = sum(values) / len(values) if shown else None
        out.append(
            ScaleStat(
                scale_id=sid,
                name=names.get(sid, sid),
                n=len(values),
                mean=mean,
                mean_text=fmt(mean, lang, 2) if mean is not None else "",
            )
        )
    return tuple(out)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _distribution_items(inst: Instrument) -> list[str]:
    meta = inst.metadata
    items = list(OVERALL_ITEMS.get(inst.id, ()))
    reco = meta.get("recommendation")
    if isinstance(reco, Mapping) and isinstance(reco.get("item"), str):
        items.append(str(reco["item"]))
    unscored = meta.get("unscored_choices")
    if isinstance(unscored, list):
        items.extend(str(i) for i in unscored)
    known = {it.id for it in inst.items}
    return [i for i in dict.fromkeys(items) if i in known]


def _distributions(
    inst: Instrument, answers: Mapping[str, list[Any]], lang: str
) -> tuple[Distribution, ...]:
    out = []
    for item_id in _distribution_items(inst):
        item = inst.item(item_id)
        form = inst.formats[item.format]
        if form.options:
            choices = [(float(o.value), o.label.get(lang)) for o in form.options]
        else:
            allowed = form.allowed_values() or ()
            choices = [(float(v), fmt(float(v), lang, 2)) for v in allowed]
        values = [v for v in (_number(x) for x in answers.get(item_id, [])) if v is not None]
        n = len(values)
        out.append(
            Distribution(
                item_id=item_id,
                text=item.text.get(lang),
                n=n,
                options=tuple(
                    OptionCount(
                        value=value,
                        label=label,
                        count=(c := sum(1 for v in values if v == value)),
                        percent_text=_percent(c, n, lang),
                    )
                    for value, label in choices
                ),
            )
        )
    return tuple(out)


def _recommendation(
    inst: Instrument, answers: Mapping[str, list[Any]], lang: str
) -> Recommendation | None:
    reco = inst.metadata.get("recommendation")
    if not isinstance(reco, Mapping):
        return None
    item_id = reco.get("item")
    values = [v for v in (_number(x) for x in answers.get(str(item_id), [])) if v is not None]
    if len(values) < SMALL_N:
        return None
    high = int(reco.get("promoters_min", 9))
    low = int(reco.get("detractors_max", 6))
    promoters = sum(1 for v in values if v >= high)
    detractors = sum(1 for v in values if v <= low)
    n = len(values)
    score = 100.0 * (promoters - detractors) / n
    return Recommendation(
        n=n,
        promoters=promoters,
        detractors=detractors,
        promoters_min=high,
        detractors_max=low,
        promoters_text=_percent(promoters, n, lang),
        detractors_text=_percent(detractors, n, lang),
        score_text=("+" if score > 0 else "") + fmt(score, lang, 0),
    )


def alphabetical(text: str) -> tuple[str, str]:
    """Sort key: letters without accents or case first (« Écoute » between « Beaucoup » and
    « Zèbre »), then the text itself so that the order is total.

    >>> sorted(["Zèbre", "écoute", "Beaucoup", "Ecoute"], key=alphabetical)
    ['Beaucoup', 'Ecoute', 'écoute', 'Zèbre']
    """
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return plain.casefold(), text


def _free_items(inst: Instrument) -> list[str]:
    declared = inst.metadata.get("free_text")
    if isinstance(declared, list):
        ids = [str(i) for i in declared]
    else:
        ids = [it.id for it in inst.items if inst.formats[it.format].type == "free_text"]
    known = {it.id for it in inst.items}
    return [i for i in ids if i in known]


def _free_texts(
    inst: Instrument, answers: Mapping[str, list[Any]], lang: str
) -> tuple[FreeTexts, ...]:
    out = []
    for item_id in _free_items(inst):
        texts = [v.strip() for v in answers.get(item_id, []) if isinstance(v, str) and v.strip()]
        out.append(
            FreeTexts(
                item_id=item_id,
                text=inst.item(item_id).text.get(lang),
                answers=tuple(sorted(texts, key=alphabetical)),
            )
        )
    return tuple(out)


def group_scores(
    session: Session, inst: Instrument, ids: Sequence[int]
) -> list[dict[str, float | None]]:
    """The scale means (``"<scale>.mean"``, None when missing) of the questionnaires
    ``ids``, scored from their stored answers in one pass: one mapping per questionnaire,
    in no particular order, with no id. An answer that no longer fits the coding counts
    as missing, as at completion."""
    numeric = [it.id for it in inst.numeric_items]
    rows = [
        (aid, item_id, value)
        for aid, item_id, value in session.execute(
            select(Answer.assignment_id, Answer.item_id, Answer.value).where(
                Answer.assignment_id.in_(ids), Answer.item_id.in_(numeric)
            )
        )
        if value is not None
    ]
    long = pd.DataFrame(rows, columns=["respondent", "item", "value"], dtype=object)
    matrix = from_long(inst, long, invalid="missing")
    data = matrix.data.reindex(pd.Index(list(ids), name="respondent"))
    table = score_scales(inst, data)
    columns = [f"{s.id}.mean" for s in inst.scales]
    means = table[columns].astype(object).where(table[columns].notna(), None)
    return [
        {key: None if value is None else float(value) for key, value in row.items()}
        for row in means.to_dict("records")
    ]


def centre_statistics(
    session: Session, centre_id: int, instruments: Mapping[str, Instrument], lang: str
) -> list[GroupStats]:
    """The satisfaction statistics of ``centre_id``, one group per moment and instrument
    version (end of bilan first)."""
    rows = _rows(session, centre_id)
    groups: dict[tuple[str, str, str], list[_Row]] = {}
    for r in rows:
        groups.setdefault((r.purpose, r.instrument_id, r.version), []).append(r)
    order = {m: i for i, m in enumerate(MOMENTS)}
    out = []
    for (moment, iid, version), members in sorted(
        groups.items(), key=lambda kv: (order[kv[0][0]], kv[0][1], kv[0][2])
    ):
        inst = instruments.get(iid)
        inst = inst if inst is not None and inst.version == version else None
        assigned = len(members)
        done = [r for r in members if r.completed]
        enough = len(done) >= SMALL_N
        base = GroupStats(
            moment=moment,
            moment_label=moment_label(moment),
            instrument_id=iid,
            instrument_name=inst.name.get(lang) if inst is not None else iid,
            version=version,
            assigned=assigned,
            completed=len(done),
            rate=100.0 * len(done) / assigned if assigned else None,
            rate_text=_percent(len(done), assigned, lang),
            enough=enough,
            period="",
        )
        if not enough:
            out.append(base)
            continue
        ids = [r.id for r in done]
        answers: dict[str, list[Any]] = {}
        if inst is not None:
            records = group_scores(session, inst, ids)
            wanted = _distribution_items(inst) + _free_items(inst)
            for item_id, value in session.execute(
                select(Answer.item_id, Answer.value).where(
                    Answer.assignment_id.in_(ids), Answer.item_id.in_(wanted)
                )
            ):
                answers.setdefault(item_id, []).append(value)
        else:  # a version no longer installed: the scores stored before they no longer were
            records = list(
                session.scalars(
                    select(ScoreRecord.scores).where(ScoreRecord.assignment_id.in_(ids))
                )
            )
        out.append(
            replace(
                base,
                period=_period(done, lang),
                scales=_scales(inst, records, lang),
                distributions=_distributions(inst, answers, lang) if inst is not None else (),
                recommendation=_recommendation(inst, answers, lang) if inst is not None else None,
                free_texts=_free_texts(inst, answers, lang) if inst is not None else (),
            )
        )
    return out


def statistics_csv(groups: Sequence[GroupStats]) -> bytes:
    """The aggregate table (counts, response rates, means per scale) as CSV for French
    Excel; no free text, nothing about a person."""
    hidden = _("moins de %(n)s réponses : non calculé", n=SMALL_N)
    lines: list[dict[str, Any]] = []
    for g in groups:
        head = {
            _("Moment"): g.moment_label,
            _("Questionnaire"): g.instrument_name,
            _("Version"): g.version,
        }

        def add(indicator: str, value: Any, n: int, note: str = "", head: Any = head) -> None:
            # Numbers written the French Excel way (decimal comma); empty when hidden.
            shown = "" if value is None else str(value).replace(".", ",")
            lines.append(
                head
                | {_("Indicateur"): indicator, _("Valeur"): shown, _("n"): n, _("Remarque"): note}
            )

        add(_("Questionnaires assignés"), g.assigned, g.assigned)
        add(_("Questionnaires remplis"), g.completed, g.assigned)
        add(_("Taux de réponse (%)"), round(g.rate, 1) if g.rate is not None else None, g.assigned)
        for s in g.scales:
            label = _("Moyenne : %(scale)s", scale=s.name)
            if s.mean is None:
                add(label, None, s.n, hidden)
            else:
                add(label, round(s.mean, 2), s.n)
        if not g.enough:
            add(_("Moyennes par échelle"), None, g.completed, hidden)
    columns = [
        _("Moment"),
        _("Questionnaire"),
        _("Version"),
        _("Indicateur"),
        _("Valeur"),
        _("n"),
        _("Remarque"),
    ]
    frame = pd.DataFrame(lines, columns=columns)
    return exports.to_csv(frame)
