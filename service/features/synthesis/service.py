"""The document de synthèse and the action plan of a bilan (business logic).

Routes check access with :mod:`service.access`, call one function here, commit. Functions
take the database session and plain values; they never read the request.

Versions (``SynthesisVersion``)
    The counsellor writes the three sections. Saving overwrites the latest version while
    it is a draft nobody but the counsellors has seen; once a version has been shared
    with the person, saving a different text creates a new version (the shared one is
    kept as the person read it, with their observations); saving the same text again
    creates nothing. "Partager avec la personne" marks the latest version shared. The
    person reads the latest shared version, may write observations on it and approves it;
    the approval locks the document: every later change of the text, of the results
    proposed for it or of the decisions on them is refused (:class:`SynthesisLocked`, a
    409). Sharing a new version after observations starts the reading cycle again on the
    new version (its observations and approval start empty). All versions are kept.

Results ("export to synthesis", ``SynthesisItem``)
    Questionnaire results enter the document only this way: the counsellor proposes an
    element of a completed questionnaire ("summary", "scales" or "chart:<key>"); the
    person approves or refuses each one on their own page; only approved elements are
    printed. Satisfaction and follow-up questionnaires are anonymous, not results of the
    bilan (:attr:`instruments.model.Instrument.anonymous`): they are not among the
    completed profiles this module is given (:func:`restitution.completed_profiles`), so
    they can be neither shown here nor proposed.

Action plan (``ActionItem``)
    Actions with an owner (the beneficiary by default), a due date and a state. The plan
    is a follow-up tool: it stays editable after the approval (the documents print it "as
    of" their date). The follow-up date defaults to six months after the end of the bilan
    (its end, else its planned end) the first time the plan is edited.
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Mapping
from dataclasses import dataclass

from babel.numbers import format_decimal
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from instruments.model import Instrument
from reports import synthesis as documents
from reports.charts import DataTable
from reports.profile import ProfileView, translator
from reports.restitution import profile_charts
from service import access
from service.dates import add_months, format_day, paris_date, paris_today, utcnow
from service.features import webhooks
from service.features.journey import service as journey
from service.features.metiers import matches
from service.features.metiers.service import current_source
from service.features.portfolio import service as portfolio
from service.features.profiles import service as restitution
from service.i18n import builtin_text_in
from service.models import (
    ActionItem,
    Assignment,
    Bilan,
    Centre,
    StaffUser,
    SynthesisItem,
    SynthesisVersion,
)

SECTION_KEYS = documents.SECTION_KEYS
ACTION_STATUSES = documents.ACTION_STATUSES
DECISIONS = ("approved", "refused")

#: Limits of the typed texts (characters).
SECTION_MAX = 50_000
OBSERVATIONS_MAX = 10_000
ACTION_MAX = 2_000
OWNER_MAX = 100

FOLLOWUP_MONTHS = 6


class SynthesisError(ValueError):
    """A change that cannot be made; the message says why (in the reader's language)."""

    status = 422


class SynthesisLocked(SynthesisError):
    """The person has approved the document: it can no longer change."""

    status = 409


class SynthesisConflict(SynthesisError):
    """The change does not fit the current state (already proposed, nothing shared...)."""

    status = 409


# --- versions -----------------------------------------------------------------------------


def versions(session: Session, bilan: Bilan) -> list[SynthesisVersion]:
    """All versions, newest first."""
    return list(
        session.scalars(
            select(SynthesisVersion)
            .where(SynthesisVersion.bilan_id == bilan.id)
            .order_by(SynthesisVersion.version.desc())
        )
    )


def latest(session: Session, bilan: Bilan) -> SynthesisVersion | None:
    found = versions(session, bilan)
    return found[0] if found else None


def latest_shared(session: Session, bilan: Bilan) -> SynthesisVersion | None:
    return next((v for v in versions(session, bilan) if v.shared_at is not None), None)


def approved(session: Session, bilan: Bilan) -> SynthesisVersion | None:
    """The approved version (at most one: approval locks the document)."""
    return next((v for v in versions(session, bilan) if v.approved_at is not None), None)


def version_status(version: SynthesisVersion) -> str:
    """draft | shared | observations | approved."""
    if version.approved_at is not None:
        return "approved"
    if version.shared_at is None:
        return "draft"
    return "observations" if version.observations else "shared"


def _refuse_if_locked(session: Session, bilan: Bilan) -> None:
    done = approved(session, bilan)
    if done is not None:
        raise SynthesisLocked(
            _(
                "La personne a approuvé la version %(n)s du document de synthèse le"
                " %(date)s : le document est verrouillé et ne peut plus être modifié.",
                n=done.version,
                date=format_day(_paris_day(done.approved_at)),
            )
        )


def _paris_day(moment: dt.datetime | None) -> dt.date:
    return paris_date(moment) if moment is not None else paris_today()


def _clean(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def save_draft(
    session: Session, bilan: Bilan, author: StaffUser, sections: Mapping[str, str | None]
) -> tuple[SynthesisVersion, bool]:
    """Save the three sections; returns the version and whether it was created.

    A draft not yet shared is overwritten; after sharing, a changed text makes a new
    version and an unchanged one changes nothing. Refused once the person has approved.
    """
    _refuse_if_locked(session, bilan)
    texts = {key: _clean(sections.get(key)) for key in SECTION_KEYS}
    titles = documents.section_titles()
    for key, text in texts.items():
        if len(text) > SECTION_MAX:
            raise SynthesisError(
                _(
                    "« %(section)s » dépasse %(max)s caractères : raccourcissez-la.",
                    section=titles[key],
                    max=SECTION_MAX,
                )
            )
    current = latest(session, bilan)
    if current is not None and current.shared_at is None:
        for key, text in texts.items():
            setattr(current, key, text)
        current.author_id = author.id
        current.created_at = utcnow()
        return current, False
    if current is not None and all(getattr(current, k) == v for k, v in texts.items()):
        return current, False
    version = SynthesisVersion(
        bilan_id=bilan.id,
        version=(current.version + 1) if current is not None else 1,
        author_id=author.id,
        created_at=utcnow(),
        **texts,
    )
    session.add(version)
    session.flush()
    return version, True


def share(session: Session, bilan: Bilan) -> SynthesisVersion:
    """Share the latest version with the person (they can then read, comment, approve)."""
    _refuse_if_locked(session, bilan)
    current = latest(session, bilan)
    if current is None or not any(getattr(current, k) for k in SECTION_KEYS):
        raise SynthesisError(_("Rédigez au moins une rubrique avant de partager le document."))
    if current.shared_at is not None:
        raise SynthesisConflict(
            _(
                "La version %(n)s est déjà partagée avec la personne : modifiez le texte pour"
                " en créer une nouvelle.",
                n=current.version,
            )
        )
    current.shared_at = utcnow()
    return current


def save_observations(session: Session, bilan: Bilan, text: str | None) -> SynthesisVersion:
    """The person's observations on the latest shared version (empty text: none)."""
    _refuse_if_locked(session, bilan)
    version = latest_shared(session, bilan)
    if version is None:
        raise SynthesisConflict(_("Aucun document de synthèse ne vous a encore été partagé."))
    cleaned = _clean(text)
    if len(cleaned) > OBSERVATIONS_MAX:
        raise SynthesisError(
            _(
                "Vos observations dépassent %(max)s caractères : raccourcissez-les.",
                max=OBSERVATIONS_MAX,
            )
        )
    version.observations = cleaned or None
    return version


def approve(session: Session, bilan: Bilan, version_number: int) -> SynthesisVersion:
    """The person approves the version they read (the latest shared one); this locks the
    document. Every proposed result must have been approved or refused first."""
    _refuse_if_locked(session, bilan)
    version = latest_shared(session, bilan)
    if version is None:
        raise SynthesisConflict(_("Aucun document de synthèse ne vous a encore été partagé."))
    if version.version != version_number:
        raise SynthesisConflict(
            _(
                "Une version plus récente du document vous a été partagée : relisez-la avant"
                " de l’approuver."
            )
        )
    if pending_items(session, bilan):
        raise SynthesisConflict(
            _(
                "Avant d’approuver le document, acceptez ou refusez chacun des résultats"
                " proposés par votre conseiller ou conseillère."
            )
        )
    version.approved_at = utcnow()
    webhooks.synthesis_approved(session, bilan, version.version)
    return version


# --- results proposed for the synthesis ---------------------------------------------------


@dataclass(frozen=True)
class Proposable:
    """A completed questionnaire and the elements of it that can enter the synthesis."""

    assignment: Assignment
    view: ProfileView
    elements: tuple[documents.ResultElement, ...]
    items: dict[str, SynthesisItem]  # element -> proposal, when proposed


def items_of(session: Session, bilan: Bilan) -> list[SynthesisItem]:
    return list(
        session.scalars(
            select(SynthesisItem)
            .where(SynthesisItem.bilan_id == bilan.id)
            .order_by(SynthesisItem.assignment_id, SynthesisItem.id)
        )
    )


def result_items(session: Session, bilan: Bilan) -> list[SynthesisItem]:
    """The results proposed for the synthesis, as the pages and documents may show them:
    none while the person's consent is withdrawn or once the content is destroyed
    (:func:`service.access.results_processable`); the written sections stay."""
    if not access.results_processable(bilan):
        return []
    return items_of(session, bilan)


def pending_items(session: Session, bilan: Bilan) -> list[SynthesisItem]:
    return [i for i in items_of(session, bilan) if i.decision == "pending"]


def proposables(
    session: Session,
    bilan: Bilan,
    instruments: Mapping[str, Instrument],
    lang: str,
    translations: gettext.NullTranslations | None,
    *,
    png: bool = False,
) -> list[Proposable]:
    """The completed questionnaires of the bilan with every element that can be proposed
    (charts drawn, facets included) and the proposals already made."""
    by_element: dict[int, dict[str, SynthesisItem]] = {}
    for item in items_of(session, bilan):
        if item.assignment_id is not None:
            by_element.setdefault(item.assignment_id, {})[item.element] = item
    out = []
    for assignment, view in restitution.completed_profiles(
        session, bilan, instruments, lang, translations
    ):
        drawn = profile_charts(view, lang=lang, facets=True, png=png)
        elements = documents.profile_elements(view, drawn, translations=translations, lang=lang)
        if view.riasec_scores:
            found = _pistes_element(session, assignment, instruments, lang, translations)
            elements = (*elements, found) if found is not None else elements
        out.append(Proposable(assignment, view, elements, by_element.get(assignment.id, {})))
    return out


def _pistes_element(
    session: Session,
    assignment: Assignment,
    instruments: Mapping[str, Instrument],
    lang: str,
    translations: gettext.NullTranslations | None,
) -> documents.ResultElement | None:
    """The first pistes à explorer of a RIASEC questionnaire as a result element (element
    "pistes"), or None for a flat, low or incomplete profile (no ranking) or without ROME.

    Computed on the current ROME release each time the element is shown, like the other
    elements are computed from the stored scores."""
    instrument = journey.instrument_for(instruments, assignment)
    record = restitution.score_record(session, assignment)
    if instrument is None or record is None:
        return None
    found = matches.pistes(session, instrument, record.scores, limit=matches.SYNTHESIS_TOP)
    if found.status != "ok" or not found.rows:
        return None
    _ = translator(translations, lang)  # the document's language
    ex_aequo = _("ex æquo")
    rows = tuple(
        (
            f"{p.rank}" + (f" ({ex_aequo})" if p.tied else ""),
            f"{p.label} ({p.code_rome})",
            p.riasec,
            format_decimal(p.index_value, format="0.#", locale=lang),
        )
        for p in found.rows
    )
    return documents.ResultElement(
        "pistes",
        "pistes",
        _("Pistes de métiers à explorer"),
        text=_(
            "Les %(n)d fiches métier du ROME dont le code RIASEC est le plus proche du code"
            " d’intérêts %(code)s (indice C de Brown et Gore, sur 18). Des pistes à explorer,"
            " pas une orientation."
        )
        % {"n": len(rows), "code": found.person_code},
        table=DataTable(
            _("Pistes de métiers à explorer (%(source)s)") % {"source": current_source(session)},
            (_("Rang"), _("Fiche métier"), _("Code RIASEC"), _("Indice (sur 18)")),
            rows,
        ),
    )


def propose(
    session: Session,
    bilan: Bilan,
    assignment: Assignment,
    element: str,
    instruments: Mapping[str, Instrument],
    lang: str,
    translations: gettext.NullTranslations | None,
) -> SynthesisItem:
    """Propose one element of a completed questionnaire for the synthesis (the person
    will approve or refuse it)."""
    _refuse_if_locked(session, bilan)
    if assignment.bilan_id != bilan.id:
        raise SynthesisError(_("Ce questionnaire n’appartient pas à ce bilan."))
    found = next(
        (p for p in proposables(session, bilan, instruments, lang, translations)
         if p.assignment.id == assignment.id),
        None,
    )  # fmt: skip
    if found is None:
        raise SynthesisError(
            _("Seuls les résultats d’un questionnaire terminé peuvent être proposés.")
        )
    if element not in {e.element for e in found.elements}:
        raise SynthesisError(_("Cet élément n’existe pas pour ce questionnaire."))
    if element in found.items:
        raise SynthesisConflict(_("Cet élément est déjà proposé pour la synthèse."))
    item = SynthesisItem(
        bilan_id=bilan.id,
        assignment_id=assignment.id,
        element=element,
        proposed_at=utcnow(),
        decision="pending",
    )
    session.add(item)
    session.flush()
    return item


@dataclass(frozen=True)
class PortfolioProposable:
    """An element of the competence portfolio that can enter the synthesis (its summary,
    or the gap analysis of one target) and its proposal, when proposed."""

    element: str
    group: documents.ResultGroup
    item: SynthesisItem | None


def portfolio_proposables(session: Session, bilan: Bilan) -> list[PortfolioProposable]:
    """The portfolio's summary and each gap analysis, with the proposals already made
    (none while the person's consent is withdrawn or once the content is destroyed)."""
    if not access.results_processable(bilan):
        return []
    proposed = {i.element: i for i in items_of(session, bilan) if i.assignment_id is None}
    return [
        PortfolioProposable(element, group, proposed.get(element))
        for element, group in portfolio.result_groups(session, bilan).items()
    ]


def propose_portfolio(session: Session, bilan: Bilan, element: str) -> SynthesisItem:
    """Propose the portfolio's summary (``"portfolio"``) or the gap analysis of a target
    (``"gap:<id>"``) for the synthesis, section « compétences et aptitudes au regard du
    projet »; the person approves or refuses it like the questionnaire results."""
    _refuse_if_locked(session, bilan)
    found = next((p for p in portfolio_proposables(session, bilan) if p.element == element), None)
    if found is None:
        raise SynthesisError(_("Cet élément du portefeuille n’existe pas pour ce bilan."))
    if found.item is not None:
        raise SynthesisConflict(_("Cet élément est déjà proposé pour la synthèse."))
    target = (
        int(element.removeprefix(portfolio.GAP_PREFIX))
        if element.startswith(portfolio.GAP_PREFIX)
        else None
    )
    item = SynthesisItem(
        bilan_id=bilan.id,
        assignment_id=None,
        gap_target_id=target,
        element=element,
        proposed_at=utcnow(),
        decision="pending",
    )
    session.add(item)
    session.flush()
    return item


def _item(session: Session, bilan: Bilan, item_id: int) -> SynthesisItem:
    item = session.get(SynthesisItem, item_id)
    if item is None or item.bilan_id != bilan.id:
        raise LookupError(item_id)
    return item


def withdraw(session: Session, bilan: Bilan, item_id: int) -> None:
    """The counsellor withdraws a proposal the person has not decided on yet."""
    _refuse_if_locked(session, bilan)
    item = _item(session, bilan, item_id)
    if item.decision != "pending":
        raise SynthesisConflict(
            _("La personne a déjà répondu à cette proposition : elle ne peut plus être retirée.")
        )
    session.delete(item)


def decide(session: Session, bilan: Bilan, item_id: int, decision: str) -> SynthesisItem:
    """The person approves or refuses one proposed result (they may change their mind
    until they approve the document)."""
    _refuse_if_locked(session, bilan)
    if decision not in DECISIONS:
        raise SynthesisError(_("Choisissez d’accepter ou de refuser ce résultat."))
    item = _item(session, bilan, item_id)
    item.decision = decision
    item.decided_at = utcnow()
    return item


# --- action plan --------------------------------------------------------------------------


def end_of(bilan: Bilan) -> dt.date | None:
    """The end of the bilan (Paris date), else its planned end."""
    if bilan.ended_at is not None:
        return _paris_day(bilan.ended_at)
    return bilan.planned_end


def default_followup(bilan: Bilan) -> dt.date | None:
    end = end_of(bilan)
    return add_months(end, FOLLOWUP_MONTHS) if end is not None else None


def _plan_edited(bilan: Bilan) -> None:
    if bilan.followup_date is None:
        bilan.followup_date = default_followup(bilan)


def actions_of(session: Session, bilan: Bilan) -> list[ActionItem]:
    return list(
        session.scalars(
            select(ActionItem)
            .where(ActionItem.bilan_id == bilan.id)
            .order_by(ActionItem.position, ActionItem.id)
        )
    )


def _check_action(text: str, owner: str, status: str) -> None:
    if not text:
        raise SynthesisError(_("Décrivez l’action."))
    if len(text) > ACTION_MAX:
        raise SynthesisError(_("L’action dépasse %(max)s caractères.", max=ACTION_MAX))
    if not owner:
        raise SynthesisError(_("Indiquez qui est responsable de l’action."))
    if len(owner) > OWNER_MAX:
        raise SynthesisError(_("Le responsable dépasse %(max)s caractères.", max=OWNER_MAX))
    if status not in ACTION_STATUSES:
        raise SynthesisError(_("État de l’action inconnu."))


def add_action(
    session: Session,
    bilan: Bilan,
    *,
    text: str,
    owner: str | None = None,
    due_on: dt.date | None = None,
    status: str = "a_faire",
) -> ActionItem:
    text, owner = _clean(text), _clean(owner) or "bénéficiaire"
    _check_action(text, owner, status)
    last = session.scalar(
        select(func.max(ActionItem.position)).where(ActionItem.bilan_id == bilan.id)
    )
    action = ActionItem(
        bilan_id=bilan.id,
        position=(last or 0) + 1,
        text=text,
        owner=owner,
        due_on=due_on,
        status=status,
        created_at=utcnow(),
    )
    session.add(action)
    _plan_edited(bilan)
    session.flush()
    return action


def action(session: Session, bilan: Bilan, action_id: int) -> ActionItem:
    found = session.get(ActionItem, action_id)
    if found is None or found.bilan_id != bilan.id:
        raise LookupError(action_id)
    return found


def update_action(
    session: Session,
    bilan: Bilan,
    action_id: int,
    *,
    text: str,
    owner: str | None,
    due_on: dt.date | None,
    status: str,
) -> ActionItem:
    item = action(session, bilan, action_id)
    text, owner = _clean(text), _clean(owner) or "bénéficiaire"
    _check_action(text, owner, status)
    item.text, item.owner, item.due_on, item.status = text, owner, due_on, status
    _plan_edited(bilan)
    return item


def delete_action(session: Session, bilan: Bilan, action_id: int) -> None:
    session.delete(action(session, bilan, action_id))
    _plan_edited(bilan)
    session.flush()
    for k, item in enumerate(actions_of(session, bilan), start=1):
        item.position = k


def move_action(session: Session, bilan: Bilan, action_id: int, offset: int) -> None:
    """Move an action up (-1) or down (+1) the plan."""
    items = actions_of(session, bilan)
    index = next((k for k, a in enumerate(items) if a.id == action_id), None)
    if index is None:
        raise LookupError(action_id)
    target = index + offset
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    for k, item in enumerate(items, start=1):
        item.position = k
    _plan_edited(bilan)


def set_followup_date(bilan: Bilan, day: dt.date | None) -> None:
    bilan.followup_date = day


# --- documents ----------------------------------------------------------------------------


def document_version(session: Session, bilan: Bilan, *, audience: str) -> SynthesisVersion | None:
    """The version a document is made of: the approved one; otherwise the latest for the
    counsellors, the latest shared one for the person."""
    done = approved(session, bilan)
    if done is not None:
        return done
    return latest(session, bilan) if audience == "counsellor" else latest_shared(session, bilan)


def build_document(
    session: Session,
    bilan: Bilan,
    version: SynthesisVersion,
    instruments: Mapping[str, Instrument],
    lang: str,
    translations: gettext.NullTranslations | None,
    *,
    png: bool = False,
) -> documents.SynthesisDocument:
    """The plain document of ``version``: only the results the person approved."""
    chosen: dict[int, set[str]] = {}
    from_portfolio: set[str] = set()
    for item in result_items(session, bilan):
        if item.decision != "approved":
            continue
        if item.assignment_id is None:
            from_portfolio.add(item.element)
        else:
            chosen.setdefault(item.assignment_id, set()).add(item.element)
    groups = []
    if chosen:
        for p in proposables(session, bilan, instruments, lang, translations, png=png):
            keep = chosen.get(p.assignment.id, set())
            elements = tuple(e for e in p.elements if e.element in keep)
            if elements:
                groups.append(
                    documents.ResultGroup(
                        questionnaire=p.view.instrument_name,
                        instrument_key=p.view.instrument_key,
                        completed_on=_paris_day(p.assignment.completed_at)
                        if p.assignment.completed_at
                        else None,
                        elements=elements,
                    )
                )
    if from_portfolio:
        groups.extend(
            group
            for element, group in portfolio.result_groups(session, bilan).items()
            if element in from_portfolio
        )
    centre = session.get(Centre, bilan.centre_id)
    end = _paris_day(bilan.ended_at) if bilan.ended_at is not None else bilan.planned_end
    status = version_status(version)
    return documents.SynthesisDocument(
        bilan_id=bilan.id,
        bilan_title=builtin_text_in(bilan.title, translations),
        beneficiary=bilan.beneficiary.display_name,
        centre=centre.name if centre is not None else "",
        counsellors=tuple(c.name for c in bilan.counsellors),
        start_date=bilan.start_date,
        end_date=end,
        version=version.version,
        status="shared" if status == "observations" else status,
        circumstances=version.circumstances,
        competences=version.competences,
        project=version.project,
        results=tuple(groups),
        actions=tuple(
            documents.PlannedAction(a.position, a.text, a.owner, a.due_on, a.status)
            for a in actions_of(session, bilan)
        ),
        followup_date=bilan.followup_date,
        observations=version.observations,
        shared_at=version.shared_at,
        approved_at=version.approved_at,
        generated_at=utcnow(),
        lang=lang,
    )


EXPORT_FORMATS = ("docx", "pdf", "json")


def export(
    document: documents.SynthesisDocument,
    fmt: str,
    translations: gettext.NullTranslations | None,
) -> bytes:
    """The document as DOCX, PDF or JSON (:class:`reports.synthesis.PdfUnavailable` when
    PDF support is not installed)."""
    if fmt == "docx":
        return documents.render_docx(document, translations=translations)
    if fmt == "pdf":
        html = documents.render_html(document, translations=translations)
        return documents.render_pdf(html)
    if fmt == "json":
        return documents.to_json(document, translations=translations)
    raise ValueError(f"unknown synthesis format {fmt!r}")


def filename(bilan: Bilan, document: documents.SynthesisDocument, fmt: str) -> str:
    return f"synthese-bilan-{bilan.id}-v{document.version}.{fmt}"


def authors(session: Session, rows: list[SynthesisVersion]) -> dict[int, str]:
    ids = {v.author_id for v in rows if v.author_id is not None}
    if not ids:
        return {}
    return {s.id: s.name for s in session.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))}


def has_something_for(session: Session, bilan: Bilan) -> bool:
    """The person has something to read or decide (a shared version or a proposal)."""
    shared = session.scalar(
        select(func.count())
        .select_from(SynthesisVersion)
        .where(SynthesisVersion.bilan_id == bilan.id, SynthesisVersion.shared_at.is_not(None))
    )
    items = session.scalar(
        select(func.count()).select_from(SynthesisItem).where(SynthesisItem.bilan_id == bilan.id)
    )
    return bool(shared) or bool(items)
