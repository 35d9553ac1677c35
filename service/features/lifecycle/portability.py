"""Everything that is the person's, in one ZIP (GDPR art. 15 and 20): offered before the
content is destroyed, downloadable at any time from their pages.

- ``reponses.json`` and ``reponses.csv``: their answers to every questionnaire that is not
  anonymous (item id, item text, the value as stored), always (they gave them);
- ``scores.csv``, ``scores.json``, ``rapport-restitution.html`` and ``.pdf``: once the
  report is released to them (:func:`service.access.can_view_report`: the counsellor
  releases it after the restitution interview);
- ``synthese.docx``, ``.pdf``, ``.json``: the version of the synthesis shared with them;
- ``portefeuille.json``: their competence portfolio (competences with level and source,
  réalisations, the gap analyses of the target fiches), always (they built it with their
  counsellor), unless consent is withdrawn or the content destroyed;
- ``LISEZMOI.txt``: what is inside, and what is missing and why (no PDF when the PDF
  engine is not installed: the archive is still built).
"""

from __future__ import annotations

import csv
import gettext
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from instruments.model import Instrument
from reports.restitution import PdfUnavailable
from service import access
from service.features.journey import service as journey
from service.features.journey import store as answer_store
from service.features.portfolio import service as portfolio
from service.features.profiles import service as restitution
from service.features.synthesis import service as synthesis
from service.models import Bilan


@dataclass(frozen=True)
class ArchiveRights:
    """What the person may receive (decided by :mod:`service.access`, by the caller)."""

    report: bool
    synthesis: bool


def _answers(
    session: Session, bilan: Bilan, instruments: Mapping[str, Instrument], lang: str
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for a in bilan.assignments:
        inst = journey.instrument_for(instruments, a)
        if inst is None or inst.anonymous:
            continue
        texts = {item.id: item.text.get(lang) for item in inst.items}
        for item_id, value in sorted(answer_store.stored_answers(session, a.id).items()):
            rows.append(
                {
                    "questionnaire": a.instrument_id,
                    "version": a.instrument_version,
                    "item": item_id,
                    "texte": texts.get(item_id, ""),
                    "valeur": value,
                }
            )
    return rows


def _csv(rows: list[dict[str, object]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["questionnaire", "version", "item", "texte", "valeur"])
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "valeur": json.dumps(row["valeur"], ensure_ascii=False)})
    return out.getvalue().encode("utf-8-sig")


def build_archive(
    session: Session,
    bilan: Bilan,
    instruments: Mapping[str, Instrument],
    lang: str,
    translations: gettext.NullTranslations | None,
    rights: ArchiveRights,
) -> bytes:
    """The ZIP of the person's data for ``bilan`` (see the module docstring)."""
    files: dict[str, bytes] = {}
    notes: list[str] = []
    answers = _answers(session, bilan, instruments, lang)
    files["reponses.json"] = json.dumps(answers, ensure_ascii=False, indent=2).encode()
    files["reponses.csv"] = _csv(answers)
    if access.results_processable(bilan):
        files["portefeuille.json"] = json.dumps(
            portfolio.to_data(session, bilan), ensure_ascii=False, indent=2
        ).encode()
    pdf_missing = False
    if rights.report:
        for fmt in ("csv", "json"):
            files[f"scores.{fmt}"] = restitution.export_bilan(
                session, bilan, instruments, lang, fmt
            )
        args = (session, bilan, instruments, lang, translations)
        files["rapport-restitution.html"] = restitution.report_html(*args, links={}).encode()
        try:
            files["rapport-restitution.pdf"] = restitution.report_pdf(*args)
        except PdfUnavailable:
            pdf_missing = True
    else:
        notes.append(_("Le rapport de restitution et les scores ne vous ont pas encore été remis."))
    version = synthesis.document_version(session, bilan, audience="beneficiary")
    if rights.synthesis and version is not None:
        for fmt in synthesis.EXPORT_FORMATS:
            document = synthesis.build_document(
                session, bilan, version, instruments, lang, translations, png=fmt == "docx"
            )
            try:
                files[f"synthese.{fmt}"] = synthesis.export(document, fmt, translations)
            except PdfUnavailable:
                pdf_missing = True
    else:
        notes.append(_("Aucun document de synthèse ne vous a encore été transmis."))
    if pdf_missing:
        notes.append(
            _(
                "Les versions PDF ne sont pas disponibles sur ce serveur :"
                " les versions HTML et DOCX sont jointes."
            )
        )
    files["LISEZMOI.txt"] = _readme(bilan, sorted(files), notes).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _readme(bilan: Bilan, names: list[str], notes: list[str]) -> str:
    lines = [
        _("Vos données du bilan de %(name)s.", name=bilan.beneficiary.display_name),
        "",
        _("Fichiers :"),
        *(f"- {n}" for n in names if n != "LISEZMOI.txt"),
    ]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def archive_filename(bilan: Bilan) -> str:
    return f"mes-donnees-bilan-{bilan.id}.zip"
