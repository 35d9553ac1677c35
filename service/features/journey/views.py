"""The beneficiary's journey: home, consent, questionnaires, autosave, results.

Thin routes: load the records, check access with :mod:`service.access` (someone else's
records are a 404), call one function of :mod:`service.features.journey`, render or redirect
(POST, redirect, GET). Page numbers in URLs start at 1.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from instruments.model import Instrument
from service import access
from service.extensions import db, login_manager
from service.features.journey import answering, completion
from service.features.journey import answers as answer_rules
from service.features.journey import consent as consent_records
from service.features.journey import service as journey
from service.features.journey import store as answer_store
from service.features.journey.forms import (
    ConsentForm,
    FinishForm,
    group_blocks,
    item_views,
    page_form,
    submitted_values,
)
from service.features.journey.paging import item_anchor, paginate
from service.models import Assignment, Bilan
from service.web import guards
from service.web.blueprints import beneficiary as bp
from service.web.context import installed_instruments as _instruments
from service.web.context import request_lang as _lang
from service.web.inputs import accepts_json

# --- helpers ------------------------------------------------------------------------------


def _per_page() -> int:
    return int(current_app.config["ITEMS_PER_PAGE"])


def _load(assignment_id: int, *, answering: bool = True) -> tuple[Assignment, Instrument]:
    """The signed-in beneficiary's assignment and its instrument, or 404. When
    ``answering``, only the version assigned today: an earlier version kept in the
    archive is never answered again."""
    guards.beneficiary_only()
    assignment = db.session.get(Assignment, assignment_id, options=[joinedload(Assignment.bilan)])
    access.require(assignment is not None and access.owns_bilan(current_user, assignment.bilan))
    lookup = journey.answerable_instrument if answering else journey.instrument_for
    instrument = lookup(_instruments(), cast(Assignment, assignment))
    access.require(instrument is not None)  # a version no longer installed (or archived)
    return cast(Assignment, assignment), cast(Instrument, instrument)


def _refuse_answering(assignment: Assignment) -> Response | None:
    """None when the person may answer; otherwise where to send them."""
    consents = consent_records.consents_of(db.session, current_user.id)
    if access.can_answer(current_user, assignment, consents):
        return None
    if not access.has_consented(assignment.bilan, consents):
        flash(
            _(
                "Avant de répondre aux questionnaires, prenez connaissance de l’utilisation"
                " de vos réponses et donnez votre accord."
            ),
            "info",
        )
        return redirect(url_for("beneficiary.consent", bilan_id=assignment.bilan_id))
    flash(_("Ce questionnaire est terminé : les réponses ne peuvent plus être modifiées."), "info")
    return redirect(url_for("beneficiary.thanks", assignment_id=assignment.id))


def _timer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="boussole-page-time")


def _page_seconds(token: str | None, assignment_id: int, page: int, reported: str | None) -> float:
    """Seconds since the page was rendered (signed render time), minus what the autosave
    script already reported, capped per visit."""
    if not token:
        return 0.0
    try:
        data, signed_at = _timer().loads(token, return_timestamp=True)
    except BadSignature:
        return 0.0
    if data != [assignment_id, page]:
        return 0.0
    elapsed = min(
        max(0.0, time.time() - float(signed_at.timestamp())), answer_store.MAX_PAGE_SECONDS
    )
    try:
        already = float(reported or 0)
    except ValueError:
        already = 0.0
    return float(max(0.0, elapsed - min(max(already, 0.0), elapsed)))


PROGRESS_TEXT = (
    "%(num)d réponse sur %(total)s (%(percent)s\u00a0%%)",
    "%(num)d réponses sur %(total)s (%(percent)s\u00a0%%)",
)


def _progress_templates() -> dict[str, str]:
    """The progress sentence for the autosave script, with ``{answered}``, ``{total}`` and
    ``{percent}`` placeholders, in its singular and plural forms."""
    out = {}
    for form, n in (("one", 1), ("other", 987654)):
        text = ngettext(*PROGRESS_TEXT, n, total="{total}", percent="{percent}")
        out[form] = text.replace(str(n), "{answered}", 1)
    return out


def _json_error(message: str, status: int, **extra: Any) -> tuple[Response, int]:
    return jsonify({"saved": False, "error": message, **extra}), status


# --- home and consent ---------------------------------------------------------------------


@bp.get("/")
@login_required
def home() -> ResponseReturnValue:
    guards.beneficiary_only()
    consents = consent_records.consents_of(db.session, current_user.id)
    bilans = journey.home_view(
        db.session, current_user, _instruments(), consents, _lang(), per_page=_per_page()
    )
    return render_template("journey/home.html", bilans=bilans)


@bp.route("/bilans/<int:bilan_id>/consentement", methods=["GET", "POST"])
@login_required
def consent(bilan_id: int) -> ResponseReturnValue:
    guards.beneficiary_only()
    found = db.session.get(Bilan, bilan_id)
    access.require(found is not None and access.owns_bilan(current_user, found))
    bilan = cast(Bilan, found)
    consents = consent_records.consents_of(db.session, current_user.id)
    latest = consent_records.latest_consent(consents, bilan.id)
    form = ConsentForm()
    if form.validate_on_submit():
        if form.text_version.data != consent_records.CONSENT_VERSION:
            flash(
                _("Le texte a été mis à jour depuis son affichage : relisez-le avant de décider."),
                "error",
            )
            return redirect(url_for("beneficiary.consent", bilan_id=bilan.id))
        accepted = bool(form.accept.data) and not form.refuse.data
        consent_records.record_consent(
            db.session,
            bilan,
            current_user,
            accepted=accepted,
            keep_for_followup=bool(form.keep_for_followup.data),
            keep_months=int(form.keep_months.data or consent_records.KEEP_MONTHS),
        )
        db.session.commit()
        if accepted:
            flash(
                _("Merci : votre accord est enregistré. Vous pouvez commencer les questionnaires."),
                "info",
            )
        else:
            flash(
                _(
                    "Votre refus est enregistré. Vous pouvez changer d’avis à tout moment"
                    " depuis cette page."
                ),
                "info",
            )
        return redirect(url_for("beneficiary.home"))
    status = 422 if form.errors else 200
    form.text_version.data = consent_records.CONSENT_VERSION
    if latest is not None and request.method == "GET":
        form.keep_for_followup.data = latest.keep_for_followup
        form.keep_months.data = consent_records.agreed_months(latest) or form.keep_months.default
    counsellors = [c.name for c in bilan.counsellors]
    return render_template(
        "journey/consent.html",
        form=form,
        bilan=bilan,
        latest=latest,
        counsellors=counsellors,
        version=consent_records.CONSENT_VERSION,
        erasable=access.can_erase_content(current_user, bilan),
        may_request_erasure=access.can_request_erasure(current_user, bilan),
        kept_months=consent_records.agreed_months(latest),
        ended=bilan.ended_at is not None,
    ), status


# --- questionnaires -----------------------------------------------------------------------


@bp.get("/questionnaires/<int:assignment_id>")
@login_required
def start(assignment_id: int) -> ResponseReturnValue:
    assignment, instrument = _load(assignment_id)
    refused = _refuse_answering(assignment)
    if refused is not None:
        return refused
    lang = assignment.language
    pages = paginate(instrument, _per_page())
    answers = answer_store.stored_answers(db.session, assignment.id)
    progress = answering.progress_of(db.session, assignment.id, instrument)
    resume, resume_item = answering.resume_point(assignment, pages, answers)
    return render_template(
        "journey/start.html",
        assignment=assignment,
        instrument=instrument,
        qlang=lang,
        name=instrument.name.get(lang),
        description=instrument.description.get(lang),
        instructions=instrument.instructions.get(lang) if instrument.instructions else None,
        n_items=len(instrument.items),
        n_pages=len(pages),
        progress=progress,
        minutes=max(1, round(instrument.minutes)),
        resume=resume,
        resume_anchor=item_anchor(resume_item),
        anonymous=instrument.anonymous,
    )


MAX_MISSING_LISTED = 20  # questions listed by name; the rest are counted


@dataclass(frozen=True)
class MissingAnswer:
    """An unanswered question, as the last page lists it: a link that jumps to it."""

    page: int
    text: str
    url: str


def _missing_answers(
    assignment: Assignment, instrument: Instrument, pages: Sequence[Any], number: int
) -> list[MissingAnswer]:
    """The unanswered questions; a link to another page asks that page for the button back
    to "Terminer" (``fin=1``)."""
    answers = answer_store.stored_answers(db.session, assignment.id)
    out = []
    for page_number, item_id in completion.unanswered_items(pages, answers):
        text = instrument.item(item_id).text.get(assignment.language)
        anchor = item_anchor(item_id)
        if page_number == number:
            url = f"#{anchor}"
        else:
            url = url_for(
                "beneficiary.page",
                assignment_id=assignment.id,
                page=page_number,
                fin=1,
                _anchor=anchor,
            )
        out.append(MissingAnswer(page_number, text if len(text) <= 90 else text[:87] + "…", url))
    return out


def _render_page(
    assignment: Assignment,
    instrument: Instrument,
    number: int,
    form: Any,
    errors: dict[str, str],
    status: int = 200,
    *,
    finishing: bool = False,
    back_to_end: bool = False,
) -> ResponseReturnValue:
    """``finishing``: "Terminer" was pressed with questions unanswered (the last page lists
    them, with "Terminer quand même"); ``back_to_end``: the page was opened from that list
    (a button leads back to it)."""
    lang = assignment.language
    pages = paginate(instrument, _per_page())
    page = pages[number - 1]
    views = item_views(form, instrument, page, lang, errors)
    progress = answering.progress_of(db.session, assignment.id, instrument)
    last = number == len(pages)
    missing = _missing_answers(assignment, instrument, pages, number) if last else []
    form.t.data = _timer().dumps([assignment.id, number])
    form.reported.data = "0"
    section = page.section
    return (
        render_template(
            "journey/page.html",
            assignment=assignment,
            qlang=lang,
            name=instrument.name.get(lang),
            page=page,
            n_pages=len(pages),
            last=last,
            form=form,
            blocks=group_blocks(views, instrument),
            errors=[v for v in views if v.error],
            progress=progress,
            progress_templates=_progress_templates(),
            missing=missing[:MAX_MISSING_LISTED],
            n_missing=len(missing),
            finishing=finishing,
            back_to_end=back_to_end,
            section_title=section.title.get(lang) if section and page.starts_section else None,
            section_text=(
                section.instructions.get(lang)
                if section and page.starts_section and section.instructions
                else None
            ),
        ),
        status,
    )


@bp.route("/questionnaires/<int:assignment_id>/page/<int:page>", methods=["GET", "POST"])
@login_required
def page(assignment_id: int, page: int) -> ResponseReturnValue:
    assignment, instrument = _load(assignment_id)
    pages = paginate(instrument, _per_page())
    access.require(1 <= page <= len(pages))
    refused = _refuse_answering(assignment)
    if refused is not None:
        return refused
    the_page = pages[page - 1]
    stored = answer_store.stored_answers(db.session, assignment.id)
    form = page_form(instrument, the_page, assignment.language, stored)
    if request.method == "GET":
        last = page == len(pages)
        return _render_page(
            assignment,
            instrument,
            page,
            form,
            {},
            finishing=last and request.args.get("manquantes") == "1",
            back_to_end=not last and request.args.get("fin") == "1",
        )
    values, errors = submitted_values(form, the_page)
    action = request.form.get("action", "next")
    confirmed = action == "finish_anyway"
    if confirmed:
        action = "finish"
    if action not in ACTIONS:
        action = "next"
    seconds = _page_seconds(form.t.data, assignment.id, page, form.reported.data)
    try:
        outcome = answering.save_page(
            db.session,
            assignment,
            instrument,
            the_page,
            values,
            errors,
            action=action,
            n_pages=len(pages),
            seconds=seconds,
        )
    except answer_store.AssignmentClosed:
        db.session.rollback()
        return redirect(url_for("beneficiary.thanks", assignment_id=assignment.id))
    db.session.commit()
    if not outcome.ok or outcome.target is None:
        return _render_page(assignment, instrument, page, form, outcome.errors, status=422)
    if action == "finish":
        return _finish(assignment, instrument, confirmed=confirmed)
    if action in ("end", "stay"):
        return _to_page(assignment, instrument, outcome.target, finishing=action == "end")
    if action == "later":
        flash(
            _(
                "Vos réponses sont enregistrées. Vous reprendrez à la page %(page)s.",
                page=outcome.target,
            ),
            "info",
        )
        return redirect(url_for("beneficiary.home"))
    if outcome.target < 1:
        return redirect(url_for("beneficiary.start", assignment_id=assignment.id))
    return _to_page(assignment, instrument, outcome.target)


# What a page's buttons ask: "stay" is the last page's hidden first button, the one that
# Enter presses (it saves, never "Terminer"); "end" goes back to the list of unanswered
# questions; "finish_anyway" finishes with questions left unanswered.
ACTIONS = ("previous", "next", "finish", "later", "stay", "end")


def _to_page(
    assignment: Assignment, instrument: Instrument, number: int, *, finishing: bool = False
) -> Response:
    """Redirect to a page of the questionnaire, where the focus goes to its first question
    (``#item-…``: autosave.js focuses it; without JavaScript, Tab starts there), or, when
    ``finishing``, to the list of unanswered questions of the last page."""
    if finishing:
        return redirect(
            url_for(
                "beneficiary.page",
                assignment_id=assignment.id,
                page=number,
                manquantes=1,
                _anchor="manquantes",
            )
        )
    first = paginate(instrument, _per_page())[number - 1].items[0].id
    return redirect(
        url_for(
            "beneficiary.page",
            assignment_id=assignment.id,
            page=number,
            _anchor=item_anchor(first),
        )
    )


def _session_beneficiary_id() -> int | None:
    """The signed-in beneficiary's id, read from the session without loading the person.

    The autosave runs on every answer: it does not load the ``Beneficiary`` record (what
    ``current_user`` does through the user loader). Flask-Login stores the principal's id
    (``Beneficiary.get_id()``: ``"beneficiary:12"``) in the signed session cookie at
    sign-in and removes it at sign-out; with the session protection this app uses
    (Flask-Login's default, ``"basic"``), a change of address or browser only marks the
    session "not fresh" (nothing here needs a fresh sign-in), it never signs the person
    out, so the id read here is the one Flask-Login would load. The person's record is not
    needed either: the query of :func:`answer_store.answering_state` matches the id with the
    bilan's beneficiary, a foreign key, so a match means that the person exists.

    None when the id cannot be taken from the session this way: nobody signed in, a staff
    member, or a ``"strong"`` session protection (which signs out on a change of address:
    Flask-Login must check it). ``current_user`` then decides, as on every other page.
    """
    mode = current_app.config.get("SESSION_PROTECTION", login_manager.session_protection)
    if mode == "strong":
        return None
    kind, _sep, raw = str(session.get("_user_id") or "").partition(":")
    if kind != "beneficiary" or not raw.isdigit():
        return None
    return int(raw)


@bp.post("/questionnaires/<int:assignment_id>/reponses")
@accepts_json
def autosave(assignment_id: int) -> ResponseReturnValue:
    """Save one answer (JSON), as soon as it is given; CSRF token in ``X-CSRFToken``.

    The hot path of the service: one SELECT reads what the decision needs (no records
    loaded), :func:`access.answer_refusal` decides, then the writes and one commit.
    """
    beneficiary_id = _session_beneficiary_id()
    if beneficiary_id is None:
        if not current_user.is_authenticated:
            return _json_error(_("Votre session a expiré : reconnectez-vous pour continuer."), 401)
        kind, principal_id = access.kind_of(current_user), current_user.id
    else:
        kind, principal_id = "beneficiary", beneficiary_id
    found = answer_store.answering_state(db.session, assignment_id)
    refusal = access.answer_refusal(
        kind,
        principal_id,
        owner_id=None if found is None else found.owner_id,
        consented=found is not None and found.consented,
        status=None if found is None else found.status,
    )
    access.require(refusal != "not_beneficiary", hide=False)
    if refusal == "not_found" and beneficiary_id is not None and not current_user.is_authenticated:
        # the id in the session is no longer anyone's (the person was deleted): as before
        return _json_error(_("Votre session a expiré : reconnectez-vous pour continuer."), 401)
    access.require(refusal != "not_found")
    state = cast(answer_store.AnsweringState, found)  # not None: "not_found" otherwise
    instrument = journey.current_instrument(
        _instruments(), state.instrument_id, state.instrument_version
    )
    access.require(instrument is not None)  # a version no longer installed (or archived)
    if refusal == "no_consent":
        return _json_error(
            _("Votre accord est nécessaire avant de répondre aux questionnaires."), 403
        )
    if refusal == "completed":
        return _json_error(
            _("Ce questionnaire est terminé : les réponses ne peuvent plus être modifiées."), 409
        )
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or "item" not in payload or "value" not in payload:
        return _json_error(
            _('Réponse illisible : attendu {"item": identifiant, "value": valeur}.'), 400
        )
    try:
        saved = answering.save_answer(
            db.session,
            state.assignment_id,
            cast(Instrument, instrument),
            payload.get("item"),
            payload.get("value"),
            page=payload.get("page"),
            seconds=payload.get("seconds"),
            client=(payload.get("visit"), payload.get("seq")),
            per_page=_per_page(),
        )
    except answer_rules.AnswerError as exc:
        db.session.rollback()
        return _json_error(str(exc), 400, item=exc.item_id)
    except answer_store.AssignmentClosed:
        db.session.rollback()
        return _json_error(
            _("Ce questionnaire est terminé : les réponses ne peuvent plus être modifiées."), 409
        )
    except OperationalError:
        return _busy()
    try:
        db.session.commit()
    except OperationalError:
        return _busy()
    return jsonify(saved.as_json())


def _busy() -> ResponseReturnValue:
    """The database is busy (e.g. SQLite's write lock under load): nothing was stored;
    the page's script sends the answer again after a short wait (503, Retry-After)."""
    db.session.rollback()
    response, status = _json_error(
        _("Le serveur est momentanément occupé : votre réponse va être renvoyée."), 503
    )
    response.headers["Retry-After"] = "2"
    return response, status


def _finish(assignment: Assignment, instrument: Instrument, *, confirmed: bool = True) -> Response:
    """Complete the questionnaire; unless ``confirmed``, questions left unanswered are listed
    first (on the last page, with "Terminer quand même")."""
    if not confirmed:  # (what must be answered is asked first, below)
        pages = paginate(instrument, _per_page())
        answers = answer_store.stored_answers(db.session, assignment.id)
        blocking = completion.completion_problems(instrument, answers, pages)
        if not blocking and completion.unanswered_items(pages, answers):
            return _to_page(assignment, instrument, len(pages), finishing=True)
    try:
        outcome = completion.complete(db.session, assignment, instrument, per_page=_per_page())
    except answer_store.AssignmentClosed:
        db.session.rollback()
        return redirect(url_for("beneficiary.thanks", assignment_id=assignment.id))
    if outcome.problems:
        db.session.rollback()
        first = outcome.problems[0]
        flash(
            completion.problem_message(outcome.problems, instrument, assignment.language), "error"
        )
        return redirect(
            url_for(
                "beneficiary.page",
                assignment_id=assignment.id,
                page=first.page,
                _anchor=item_anchor(first.item_id),
            )
        )
    db.session.commit()
    return redirect(url_for("beneficiary.thanks", assignment_id=assignment.id))


@bp.post("/questionnaires/<int:assignment_id>/terminer")
@login_required
def finish(assignment_id: int) -> ResponseReturnValue:
    assignment, instrument = _load(assignment_id)
    refused = _refuse_answering(assignment)
    if refused is not None:
        return refused
    FinishForm().validate()  # CSRF: already enforced by CSRFProtect
    return _finish(assignment, instrument)


@bp.get("/questionnaires/<int:assignment_id>/merci")
@login_required
def thanks(assignment_id: int) -> ResponseReturnValue:
    assignment, instrument = _load(assignment_id, answering=False)
    if not assignment.is_completed:
        return redirect(url_for("beneficiary.start", assignment_id=assignment.id))
    return render_template(
        "journey/thanks.html",
        assignment=assignment,
        name=instrument.name.get(_lang()),
        results_available=access.can_view_results(current_user, assignment, instrument),
        anonymous=instrument.anonymous,
        counsellors=[c.name for c in assignment.bilan.counsellors],
    )
