"""The one place that decides who may see or change what.

Routes and API endpoints call these functions (or ``require``); they never test roles
or ownership themselves. Rules (see docs/BRIEF in shared/ and docs/security.md):

- a beneficiary sees their own bilans and answers their own questionnaires, once they
  have consented; they see their results only once released to them;
- the counsellors assigned to a bilan see its answers and results; other counsellors,
  admins, funders and anonymous visitors do not;
- the answers to an anonymous questionnaire (satisfaction, 6-month follow-up:
  :attr:`instruments.model.Instrument.anonymous`) are nobody's to see, one person at a
  time: not the counsellors', not the person's own "results" (there are none); they
  feed only the centre's statistics (:func:`can_view_centre_statistics`). The
  counsellors see that such a questionnaire is assigned and whether it is completed;
- nobody changes a completed questionnaire's answers;
- once the person has withdrawn their consent (the latest decision a refusal), or once
  the content of the bilan is destroyed (``features/lifecycle``), nobody sees its answers,
  scores, profiles, reports or exports (:func:`results_processable`): the one rule that
  :func:`can_view_results`, :func:`can_view_answers` and :func:`can_view_report` apply.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, TypeAlias, TypeGuard

from flask import abort
from flask_login import AnonymousUserMixin

from instruments.model import Instrument
from service.models import (
    ApiToken,
    Assignment,
    Beneficiary,
    Bilan,
    Consent,
    ErasureRequest,
    ResultsSharing,
    StaffUser,
    SynthesisVersion,
    WebhookEndpoint,
)

#: Who is asking: a staff member, a beneficiary, or an anonymous visitor (Flask-Login's
#: ``current_user``).
Principal: TypeAlias = StaffUser | Beneficiary | AnonymousUserMixin


def is_beneficiary(principal: Principal) -> TypeGuard[Beneficiary]:
    return isinstance(principal, Beneficiary)


def is_staff(principal: Principal) -> TypeGuard[StaffUser]:
    return isinstance(principal, StaffUser) and principal.active


def is_counsellor_of(principal: Principal, bilan: Bilan) -> bool:
    return is_staff(principal) and any(c.id == principal.id for c in bilan.counsellors)


def owns_bilan(principal: Principal, bilan: Bilan) -> bool:
    return is_beneficiary(principal) and bilan.beneficiary_id == principal.id


def _latest_consent(bilan: Bilan, consents: list[Consent]) -> Consent | None:
    return max(
        (c for c in consents if c.bilan_id == bilan.id),
        key=lambda c: (c.recorded_at, c.id),
        default=None,
    )


def has_consented(bilan: Bilan, consents: list[Consent]) -> bool:
    """The latest recorded decision for this bilan is an acceptance."""
    latest = _latest_consent(bilan, consents)
    return latest is not None and latest.accepted


#: The versions of the consent text (``journey.consent.CONSENT_VERSION``) that tell the
#: person their scores may enter, without their name, the centre's local norms. A person
#: who accepted an earlier text was not told: their questionnaires stay out of the norms.
LOCAL_NORMS_CONSENT_VERSIONS = frozenset({"2026-12-v1", "2026-12-v2"})


def may_feed_local_norms(bilan: Bilan, consents: list[Consent]) -> bool:
    """The bilan's scores may be summarised into the centre's local norms: the latest
    decision is an acceptance of a text that said so."""
    latest = _latest_consent(bilan, consents)
    return (
        latest is not None
        and latest.accepted
        and latest.text_version in LOCAL_NORMS_CONSENT_VERSIONS
    )


#: Why someone may not answer a questionnaire, in the order the rule checks it: not a
#: beneficiary (403), not theirs or unknown (404: do not reveal that it exists), no consent
#: given for its bilan (403), completed (409).
AnswerRefusal = Literal["not_beneficiary", "not_found", "no_consent", "completed"]


def answer_refusal(
    principal_kind: str | None,
    principal_id: int | None,
    *,
    owner_id: int | None,
    consented: bool,
    status: str | None,
) -> AnswerRefusal | None:
    """The rule for answering a questionnaire, on plain values; None when allowed.

    ``principal_kind`` is ``"beneficiary"``, ``"staff"`` or None (anonymous);
    ``owner_id`` the beneficiary of the questionnaire's bilan (None: no such
    questionnaire); ``consented`` whether the latest consent decision recorded for that
    bilan is an acceptance; ``status`` the questionnaire's status. :func:`can_answer`
    applies the same rule to loaded records; the autosave reads these values in one query.

    Examples
    --------
    >>> rule = dict(owner_id=7, consented=True, status="in_progress")
    >>> answer_refusal("beneficiary", 7, **rule) is None
    True
    >>> answer_refusal("beneficiary", 8, **rule), answer_refusal("staff", 7, **rule)
    ('not_found', 'not_beneficiary')
    >>> answer_refusal("beneficiary", 7, owner_id=7, consented=False, status="completed")
    'no_consent'
    """
    if principal_kind != "beneficiary":
        return "not_beneficiary"
    if owner_id is None or principal_id != owner_id:
        return "not_found"
    if not consented:
        return "no_consent"
    if status == "completed":
        return "completed"
    return None


def kind_of(principal: Principal) -> str | None:
    """``"beneficiary"``, ``"staff"`` or None (anonymous), as :func:`answer_refusal` takes it."""
    if is_beneficiary(principal):
        return "beneficiary"
    return "staff" if isinstance(principal, StaffUser) else None


def can_answer(principal: Principal, assignment: Assignment, consents: list[Consent]) -> bool:
    bilan = assignment.bilan
    refusal = answer_refusal(
        kind_of(principal),
        getattr(principal, "id", None),
        owner_id=bilan.beneficiary_id,
        consented=has_consented(bilan, consents),
        status=assignment.status,
    )
    return refusal is None


def results_released(assignment: Assignment) -> bool:
    return assignment.is_completed and (
        assignment.show_results_now or assignment.released_at is not None
    )


def is_anonymous(assignment: Assignment, instrument: Instrument | None) -> bool:
    """Whether the answers to ``assignment`` are anonymous (never shown per person).

    ``instrument`` is the assignment's instrument: the loaded version, or another loaded
    version of the same id. When it is None or another instrument, the questionnaire
    counts as anonymous: what cannot be checked is not shown.
    """
    if instrument is None or instrument.id != assignment.instrument_id:
        return True
    return instrument.anonymous


def consent_withdrawn(bilan: Bilan) -> bool:
    """The latest consent decision recorded for the bilan is a refusal (withdrawal)."""
    latest = _latest_consent(bilan, list(bilan.consents))
    return latest is not None and not latest.accepted


def results_processable(bilan: Bilan) -> bool:
    """The bilan's answers and results may still be processed (shown, exported): its
    consent is not withdrawn and its content is not destroyed. Withdrawing stops every
    processing at once, for everyone, the person's counsellors included. Once an ended
    bilan's content is destroyed, nothing of it is shown again (not an empty report)."""
    destroyed = bilan.content_destroyed_at is not None and bilan.ended_at is not None
    return not destroyed and not consent_withdrawn(bilan)


def can_erase_content(principal: Principal, bilan: Bilan) -> bool:
    """Destroy the content of the bilan now (answers, scores, notes, reports, synthesis):
    the person alone, once the bilan has ended (ending early the keeping they agreed to:
    after the end the content is kept only by their agreement). Never the counsellor on
    their behalf. While the bilan runs, the person asks (:func:`can_request_erasure`) and
    the centre's admin answers: the synthesis is still owed (R6313-4)."""
    return owns_bilan(principal, bilan) and bilan.ended_at is not None


def can_request_erasure(principal: Principal, bilan: Bilan) -> bool:
    """Ask the centre to erase the content of the bilan (GDPR art. 17): the person alone,
    at any time, for their own bilan (one pending request at a time: the lifecycle
    feature says so; an erasure already done is not asked again)."""
    return owns_bilan(principal, bilan)


def can_view_erasure_requests(principal: Principal, centre_id: int) -> bool:
    """The erasure requests of a centre's beneficiaries (who asked, when, the deadline;
    never the content of the bilan): the admins of that centre only."""
    return is_centre_admin(principal) and principal.centre_id == centre_id


def can_answer_erasure_request(principal: Principal, request: ErasureRequest) -> bool:
    """Carry out or refuse a request for erasure: the admins of the request's centre, while
    it is pending (an answer is final). Never a counsellor, never another centre."""
    return can_view_erasure_requests(principal, request.centre_id) and request.is_pending


def can_view_results(
    principal: Principal, assignment: Assignment, instrument: Instrument | None
) -> bool:
    """The scores and profile of a completed questionnaire: its counsellors; the person
    once released to them. Nobody, for an anonymous questionnaire (:func:`is_anonymous`),
    nor once consent is withdrawn or the content destroyed (:func:`results_processable`)."""
    if is_anonymous(assignment, instrument) or not results_processable(assignment.bilan):
        return False
    bilan = assignment.bilan
    if is_counsellor_of(principal, bilan):
        return assignment.is_completed
    return owns_bilan(principal, bilan) and results_released(assignment)


def can_manage_bilan(principal: Principal, bilan: Bilan) -> bool:
    """Assign questionnaires, send links and reminders, re-open, write the report: the
    counsellors of the bilan only (an admin manages accounts, not the content of bilans)."""
    return is_counsellor_of(principal, bilan)


def can_create_bilan(principal: Principal) -> bool:
    return is_staff(principal) and principal.role == "counsellor"


def can_read_notes(principal: Principal, bilan: Bilan) -> bool:
    """Counsellor notes are private to the counsellors of the bilan (never the beneficiary)."""
    return is_counsellor_of(principal, bilan)


def can_view_answers(
    principal: Principal, assignment: Assignment, instrument: Instrument | None
) -> bool:
    """Item-level answers: the counsellors of the bilan, once the questionnaire is done;
    nobody, for an anonymous questionnaire (:func:`is_anonymous`), nor once consent is
    withdrawn or the content destroyed (:func:`results_processable`)."""
    if is_anonymous(assignment, instrument) or not results_processable(assignment.bilan):
        return False
    return is_counsellor_of(principal, assignment.bilan) and assignment.is_completed


def can_view_report(principal: Principal, bilan: Bilan) -> bool:
    """The restitution report: its counsellors; the beneficiary once released to them;
    nobody once consent is withdrawn or the content destroyed (:func:`results_processable`)."""
    if not results_processable(bilan):
        return False
    if is_counsellor_of(principal, bilan):
        return True
    return owns_bilan(principal, bilan) and bilan.report_released_at is not None


def can_view_access_log(principal: Principal, beneficiary_id: int) -> bool:
    """Who viewed or exported a person's data (the audit log of their bilans, no content):
    the person themself only. Staff read it through the centre's own tools, not here."""
    return is_beneficiary(principal) and principal.id == beneficiary_id


def can_edit_own_preferences(principal: Principal) -> bool:
    """A staff member's own account page (e.g. being mailed when a questionnaire of one of
    their bilans is completed): any active staff member, for themselves only."""
    return is_staff(principal)


def can_export_caseload(principal: Principal) -> bool:
    """A counsellor's own caseload (the export holds only the bilans they follow)."""
    return is_staff(principal) and principal.role == "counsellor"


def can_browse_rome(principal: Principal) -> bool:
    """The job database (ROME fiches, job titles, competences): reference data, not
    personal data, but behind sign-in like the rest. Any staff member (counsellor or
    admin, of any centre) and any beneficiary; not an anonymous visitor."""
    return is_staff(principal) or is_beneficiary(principal)


def can_view_pistes(
    principal: Principal, assignment: Assignment, instrument: Instrument | None
) -> bool:
    """The "pistes à explorer" (ROME fiches ranked against a RIASEC profile): derived from
    the results, so whoever may see the results (:func:`can_view_results`: its counsellors;
    the person once released), for a questionnaire with a RIASEC profile."""
    profile = instrument.profile if instrument is not None else None
    return (
        profile is not None
        and profile.type == "riasec"
        and can_browse_rome(principal)
        and can_view_results(principal, assignment, instrument)
    )


def require(allowed: bool, *, hide: bool = True) -> None:
    """Stop the request unless ``allowed``: 404 by default (do not reveal that someone
    else's record exists), 403 with ``hide=False``."""
    if not allowed:
        abort(404 if hide else 403)


# --- end of the bilan, attendance, centre statistics (issue 6) ----------------------------


def can_end_bilan(principal: Principal, bilan: Bilan) -> bool:
    """End the bilan (which assigns the satisfaction questionnaire): its counsellors."""
    return is_counsellor_of(principal, bilan)


def can_issue_attendance(principal: Principal, bilan: Bilan) -> bool:
    """The attestation of attendance for the funder (dates and hours, no content): the
    counsellors of the bilan, who hand it over."""
    return is_counsellor_of(principal, bilan)


def is_centre_admin(principal: Principal) -> bool:
    return is_staff(principal) and principal.role == "admin"


def can_view_centre_statistics(principal: Principal, centre_id: int) -> bool:
    """Satisfaction statistics of a centre (aggregates and anonymous free texts, never
    linked to a person or to their results): the admins of that centre only. The only
    place where the answers to anonymous questionnaires are read."""
    return is_centre_admin(principal) and principal.centre_id == centre_id


def can_view_centre_activity(principal: Principal, centre_id: int) -> bool:
    """The centre's activity figures (bilans by status and by counsellor, hours per month,
    questionnaire completion rates: counts only, no result, no name of a beneficiary):
    the admins of that centre only."""
    return is_centre_admin(principal) and principal.centre_id == centre_id


def can_manage_staff(principal: Principal, staff: StaffUser) -> bool:
    """Invite, deactivate, reactivate a staff account, reassign its bilans: the admins of
    that account's centre."""
    return is_centre_admin(principal) and principal.centre_id == staff.centre_id


def can_invite_staff(principal: Principal, centre_id: int) -> bool:
    return is_centre_admin(principal) and principal.centre_id == centre_id


def can_manage_norms(principal: Principal, centre_id: int) -> bool:
    """See the centre's norms side by side with the shipped ones, build local norms from
    its completed questionnaires (aggregates only, never a person) and choose which norms
    each instrument uses: the admins of that centre only (not the counsellors, who read
    the norm version on every profile)."""
    return is_centre_admin(principal) and principal.centre_id == centre_id


# --- the bilan record: steps, hours, calendar (issue 6) -----------------------------------


def can_edit_record(principal: Principal, bilan: Bilan) -> bool:
    """The record of a bilan (convention, objectives, status, plan, interviews, personal
    work, hours): its counsellors only (an admin manages accounts, not bilans)."""
    return is_counsellor_of(principal, bilan)


def can_edit_centre_template(principal: Principal, centre_id: int) -> bool:
    """The centre's default plan of a bilan (steps and hours): the admins of that centre."""
    return is_staff(principal) and principal.role == "admin" and principal.centre_id == centre_id


def can_download_calendar(principal: Principal, bilan: Bilan) -> bool:
    """The planned interviews as an .ics file: the counsellors of the bilan, and the
    beneficiary (whose calendar has dates and generic titles only)."""
    return is_counsellor_of(principal, bilan) or owns_bilan(principal, bilan)


# --- document de synthèse ------------------------------------------------------------------


def can_edit_synthesis(principal: Principal, bilan: Bilan) -> bool:
    """Write the synthesis, propose results for it, edit the action plan: the counsellors
    of the bilan only."""
    return is_counsellor_of(principal, bilan)


def can_read_synthesis(
    principal: Principal, bilan: Bilan, version: SynthesisVersion | None
) -> bool:
    """A version of the synthesis: its counsellors (drafts included); the person only once
    it has been shared with them."""
    if is_counsellor_of(principal, bilan):
        return True
    return (
        owns_bilan(principal, bilan)
        and version is not None
        and version.bilan_id == bilan.id
        and version.shared_at is not None
    )


def can_decide_synthesis_items(principal: Principal, bilan: Bilan) -> bool:
    """Approve or refuse the results proposed for the synthesis: the person alone (never
    the counsellor on their behalf)."""
    return owns_bilan(principal, bilan)


def can_approve_synthesis(principal: Principal, bilan: Bilan) -> bool:
    """Write observations on the synthesis and approve it: the person alone."""
    return owns_bilan(principal, bilan)


# --- the competence portfolio and the gap analysis (issue 13) ------------------------------


def can_use_portfolio(principal: Principal, bilan: Bilan) -> bool:
    """See and edit the competence portfolio of the bilan (its competences, réalisations,
    and read the gap analysis): the person and the counsellors of the bilan, together;
    nobody else (not an admin, not another counsellor). Nobody once consent is withdrawn
    or the content destroyed (:func:`results_processable`): no processing at all."""
    if not results_processable(bilan):
        return False
    return owns_bilan(principal, bilan) or is_counsellor_of(principal, bilan)


def can_choose_gap_targets(principal: Principal, bilan: Bilan) -> bool:
    """Choose or drop the target fiches of the gap analysis and turn a gap into an action
    of the action plan: the counsellors of the bilan (with the person, in an interview),
    while the content may be processed."""
    return results_processable(bilan) and is_counsellor_of(principal, bilan)


# --- the integration API (issue 14) ------------------------------------------------------


def can_manage_api_tokens(principal: Principal, centre_id: int) -> bool:
    """List, create and revoke a centre's API tokens: the admins of that centre only."""
    return is_centre_admin(principal) and principal.centre_id == centre_id


def can_revoke_api_token(principal: Principal, token: ApiToken) -> bool:
    return can_manage_api_tokens(principal, token.centre_id)


def can_manage_webhooks(principal: Principal, centre_id: int) -> bool:
    """List, add, change and delete a centre's webhook endpoints and read their delivery
    log: the admins of that centre only."""
    return is_centre_admin(principal) and principal.centre_id == centre_id


def can_manage_webhook(principal: Principal, endpoint: WebhookEndpoint) -> bool:
    return can_manage_webhooks(principal, endpoint.centre_id)


def api_token_usable(token: ApiToken, now: dt.datetime) -> bool:
    """A token authenticates while it is neither revoked nor expired."""
    return token.revoked_at is None and now < token.expires_at


def api_token_allows(token: ApiToken, scope: str, now: dt.datetime) -> bool:
    """A call needing ``scope``: a usable token that carries it."""
    return api_token_usable(token, now) and scope in token.scope_set


def can_read_bilan_by_token(token: ApiToken, bilan: Bilan, now: dt.datetime) -> bool:
    """The administrative record of a bilan through the API (no content, no result): a
    usable token with ``bilans:write`` (the scope of the software that manages bilans), of
    the bilan's own centre."""
    return api_token_allows(token, "bilans:write", now) and bilan.centre_id == token.centre_id


def can_create_by_token(token: ApiToken, now: dt.datetime) -> bool:
    """Create a beneficiary or a bilan through the API: a usable token with
    ``bilans:write``; the new record belongs to the token's centre."""
    return api_token_allows(token, "bilans:write", now)


def can_write_bilan_by_token(token: ApiToken, bilan: Bilan, now: dt.datetime) -> bool:
    """Change the administrative fields of a bilan, end it, read its hours per phase,
    assign questionnaires to it, through the API: like :func:`can_read_bilan_by_token`
    (the bilan of the token's own centre). The content (answers, notes, results) stays out
    of reach of this scope."""
    return can_read_bilan_by_token(token, bilan, now)


def can_read_beneficiary_by_token(token: ApiToken, person: Beneficiary, now: dt.datetime) -> bool:
    """A beneficiary's name, address and language through the API (personal data, so
    every read is audited): a usable token with ``bilans:write`` of the person's centre."""
    return api_token_allows(token, "bilans:write", now) and person.centre_id == token.centre_id


def can_write_beneficiary_by_token(token: ApiToken, person: Beneficiary, now: dt.datetime) -> bool:
    """Correct a beneficiary's name, address or language through the API: as
    :func:`can_read_beneficiary_by_token`."""
    return can_read_beneficiary_by_token(token, person, now)


def can_follow_by_token(token: ApiToken, counsellor: StaffUser) -> bool:
    """The counsellor a new bilan is given to through the API: an active counsellor of the
    token's centre (never an admin, never another centre's)."""
    return (
        is_staff(counsellor)
        and counsellor.role == "counsellor"
        and counsellor.centre_id == token.centre_id
    )


def can_manage_assignment_by_token(
    token: ApiToken, assignment: Assignment, now: dt.datetime
) -> bool:
    """A questionnaire's state (status, dates, instrument; never its answers) and a fresh
    invitation link for its beneficiary, through the API: a usable token with
    ``bilans:write`` of the bilan's centre."""
    return can_write_bilan_by_token(token, assignment.bilan, now)


#: The scope of the software that receives results (with the person's agreement).
RESULTS_SCOPE = "results:read"


def results_recipient(token: ApiToken, bilan: Bilan, now: dt.datetime) -> bool:
    """A token the person may be asked to share the results of ``bilan`` with: usable (not
    revoked, not expired), of the bilan's own centre, carrying ``results:read``."""
    return api_token_allows(token, RESULTS_SCOPE, now) and token.centre_id == bilan.centre_id


def latest_sharing(
    sharings: list[ResultsSharing], bilan_id: int, token_id: int
) -> ResultsSharing | None:
    """The decision in force for (bilan, token): the latest one recorded."""
    return max(
        (s for s in sharings if s.bilan_id == bilan_id and s.api_token_id == token_id),
        key=lambda s: (s.decided_at, s.id),
        default=None,
    )


def can_decide_results_sharing(principal: Principal, bilan: Bilan) -> bool:
    """Accept, refuse or withdraw the sending of the bilan's results to one of the centre's
    software (an API token): the person alone, never a staff member on their behalf."""
    return owns_bilan(principal, bilan)


def can_read_results_by_token(token: ApiToken, bilan: Bilan, now: dt.datetime) -> bool:
    """The results of a bilan through the API (its scored questionnaires, scores and
    profiles, pistes, gap analysis; the report and the approved synthesis): a usable token
    of the bilan's centre with ``results:read`` (:func:`results_recipient`), to which the
    person's latest decision for THIS token is an agreement (an agreement is per
    recipient: another token of the same centre, or a new token replacing a revoked one,
    needs its own), while the results may be processed at all (:func:`results_processable`:
    a withdrawn consent or destroyed content stops everything). A revoked or expired
    token reads nothing, whatever was agreed."""
    if not results_recipient(token, bilan, now) or not results_processable(bilan):
        return False
    latest = latest_sharing(list(bilan.results_sharings), bilan.id, token.id)
    return latest is not None and latest.accepted


def can_read_assignment_results_by_token(
    token: ApiToken, assignment: Assignment, instrument: Instrument | None, now: dt.datetime
) -> bool:
    """One questionnaire's scores and profile (or its pistes) through the API: the bilan's
    results are readable by the token (:func:`can_read_results_by_token`), the
    questionnaire is completed and not anonymous (:func:`is_anonymous`). Whether the person
    has been given them yet is :func:`results_released`, checked by the route after this
    (the token, then allowed, is told "not yet" rather than "not found")."""
    return (
        not is_anonymous(assignment, instrument)
        and assignment.is_completed
        and can_read_results_by_token(token, assignment.bilan, now)
    )


def bilan_open(bilan: Bilan) -> bool:
    """The bilan still runs: not ended, its content not destroyed."""
    return bilan.ended_at is None and bilan.content_destroyed_at is None


def can_submit_answers_by_token(token: ApiToken, bilan: Bilan, now: dt.datetime) -> bool:
    """Submit the answers of a questionnaire of ``bilan`` through the API (a paper
    administration): a usable token with ``answers:write`` of the bilan's own centre,
    while the bilan is open (:func:`bilan_open`). The questionnaire itself must still be
    answerable (:func:`api_answer_refusal`)."""
    return (
        api_token_allows(token, "answers:write", now)
        and bilan.centre_id == token.centre_id
        and bilan_open(bilan)
    )


#: Why the API refuses answers to a questionnaire, in the order the rule checks it: not
#: the token's (404: do not reveal that it exists), the bilan ended or destroyed (409),
#: no consent recorded as accepted (409: nothing is administered before consent),
#: completed (409).
ApiAnswerRefusal = Literal["not_found", "closed", "no_consent", "completed"]


def api_answer_refusal(
    token: ApiToken, assignment: Assignment, now: dt.datetime
) -> ApiAnswerRefusal | None:
    """The rule for answers submitted through the API; None when allowed."""
    bilan = assignment.bilan
    if not api_token_allows(token, "answers:write", now) or bilan.centre_id != token.centre_id:
        return "not_found"
    if not can_submit_answers_by_token(token, bilan, now):
        return "closed"
    if not has_consented(bilan, list(bilan.consents)):
        return "no_consent"
    if assignment.is_completed:
        return "completed"
    return None
