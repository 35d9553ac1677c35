"""The beneficiary's view of the audit log: which staff member viewed or exported their
results, answers, report, synthesis or attestation, and when (issue 12, section 7); which
of the centre's software read them through the API, with the person's agreement (issue 14).

Read only: the audit log is appended to by :func:`service.audit.audit` and never changed
or deleted through the application. The entries hold no content; this view shows the
staff member's name and role, never an id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import ApiToken, AuditEvent, Bilan, StaffUser

#: The audited actions the person is shown, with the words that say what was done. Other
#: actions (the end of a bilan, the centre's norms) are not an access to their data.
FORMATS = {"csv": "CSV", "xlsx": "Excel", "json": "JSON", "pdf": "PDF", "docx": "Word"}


def _label(action: str) -> str | None:
    fixed: dict[str, str] = {
        "view_profile": _("a consulté vos résultats à un questionnaire"),
        "view_answers": _("a consulté vos réponses à un questionnaire"),
        "view_pistes": _("a consulté les pistes de métiers tirées de vos résultats"),
        "view_comparison": _("a consulté la comparaison de vos résultats"),
        "view_report": _("a consulté votre rapport de restitution"),
        "report_pdf": _("a téléchargé votre rapport de restitution (PDF)"),
        "view_synthesis": _("a consulté votre document de synthèse"),
        "view_synthesis_results": _("a consulté les résultats proposés pour votre synthèse"),
        "view_attendance": _("a consulté votre attestation d’assiduité"),
        "attendance_pdf": _("a téléchargé votre attestation d’assiduité (PDF)"),
        # Read by one of the centre's software through the API, with the person's agreement.
        "api_list_results": _("a lu la liste de vos questionnaires terminés"),
        "api_view_scores": _("a lu vos scores et votre profil à un questionnaire"),
        "api_view_pistes": _("a lu les pistes de métiers tirées de vos résultats"),
        "api_view_gap": _("a lu l’analyse des écarts de votre portefeuille"),
    }
    if action in fixed:
        return fixed[action]
    kind, _sep, fmt = action.partition("_")
    fmt = fmt.removesuffix("_named")
    if kind == "export" and fmt in FORMATS:
        return str(_("a exporté vos scores (%(format)s)", format=FORMATS[fmt]))
    if kind == "synthesis" and fmt in FORMATS:
        text = _("a téléchargé votre document de synthèse (%(format)s)", format=FORMATS[fmt])
        return str(text)
    return None


@dataclass(frozen=True)
class Access:
    """One access to the person's data, as they read it."""

    at: dt.datetime
    who: str  # the staff member's name
    role: str  # "conseiller ou conseillère" / "administrateur ou administratrice"
    what: str
    bilan_title: str


def _role(staff: StaffUser) -> str:
    if staff.role == "admin":
        return str(_("administrateur ou administratrice du centre"))
    return str(_("conseiller ou conseillère"))


def _staff_id(event: AuditEvent) -> int | None:
    kind, _sep, raw = event.actor.partition(":")
    return int(raw) if kind == "staff" and raw.isdigit() else None


def _token_id(event: AuditEvent) -> int | None:
    kind, _sep, rest = event.actor.partition(":")
    raw = rest.partition(":")[0]
    return int(raw) if kind == "api" and raw.isascii() and raw.isdigit() else None


def accesses_of(session: Session, beneficiary_id: int) -> list[Access]:
    """Every view or export of the person's data by a staff member, or read by one of the
    centre's software through the API (named by its token's name), newest first."""
    query = select(Bilan).where(Bilan.beneficiary_id == beneficiary_id)
    bilans = {b.id: b for b in session.scalars(query)}
    if not bilans:
        return []
    events = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.bilan_id.in_(bilans),
            AuditEvent.actor.like("staff:%") | AuditEvent.actor.like("api:%"),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    ids = {i for i in map(_staff_id, events) if i is not None}
    staff = {s.id: s for s in session.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))}
    token_ids = {i for i in map(_token_id, events) if i is not None}
    software = {
        t.id: t.name for t in session.scalars(select(ApiToken).where(ApiToken.id.in_(token_ids)))
    }
    out = []
    for event in events:
        what = _label(event.action)
        if what is None or event.bilan_id is None:
            continue
        title = bilans[event.bilan_id].title
        person = staff.get(_staff_id(event) or 0)
        name = software.get(_token_id(event) or 0)
        if person is not None:
            out.append(Access(event.at, person.name, _role(person), what, title))
        elif name is not None:
            role = str(_("logiciel du centre, par l’API"))
            out.append(Access(event.at, name, role, what, title))
    return out
