"""Sign-in: staff and beneficiary login, invitation links, passwords, new links, logout.

Rate limits (Flask-Limiter, per client address, and per typed address for the links) on
every POST that checks a password or sends a mail; a per-account back-off after wrong
passwords (``check_sign_in``). See docs/deployment.md for the storage in production.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from service import access
from service.extensions import client_address, db, limiter
from service.features.accounts import staff as staff_accounts
from service.features.accounts.forms import (
    LoginForm,
    RequestLinkForm,
    SetPasswordForm,
    normalise_email,
)
from service.features.accounts.invitations import (
    InvitationError,
    check_invitation,
    redeem_invitation,
)
from service.features.accounts.service import (
    NoAddress,
    check_sign_in,
    choose_mail_links,
    email_in_use,
    find_beneficiary,
    find_staff,
    issue_link,
    needs_way_back,
    password_matches,
    password_problem,
    set_beneficiary_password,
)
from service.mail import links, messages
from service.models import Beneficiary, SignInWay, StaffUser
from service.security import MIN_PASSWORD_LENGTH
from service.web.blueprints import auth as bp
from service.web.blueprints import beneficiary as beneficiary_bp
from service.web.forms import ActionForm
from service.web.redirects import safe_next
from service.web.sessions import keep_session, sign_in

REQUESTED_LINK_DAYS = 1  # a link asked for by mail is valid one day (24 hours)


def _invalid(form_submitted: bool) -> int:
    return 400 if form_submitted else 200


def _limit(key: str) -> Callable[[], str]:
    """A rate limit read from the configuration at each request."""
    return lambda: str(current_app.config[key])


def _typed_address() -> str:
    """The address typed in the form: links are limited per address as well as per client."""
    return normalise_email(request.form.get("email")) or client_address()


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(_limit("SIGN_IN_RATE_LIMIT"), methods=["POST"])
def login() -> ResponseReturnValue:
    """Counsellors, admins and beneficiaries who set a password sign in here. A wrong
    password, an unknown address, a deactivated or a locked account: the same answer."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("accounts/login.html", form=form), _invalid(form.is_submitted())
    email = normalise_email(form.email.data)
    password = form.password.data or ""
    accounts = [
        a for a in (find_staff(db.session, email), find_beneficiary(db.session, email)) if a
    ]
    if not accounts:
        password_matches(None, password)  # same time as a real check
    free = int(current_app.config["SIGN_IN_FAILURES_BEFORE_DELAY"])
    account = next((a for a in accounts if check_sign_in(a, password, free_failures=free)), None)
    db.session.commit()  # the back-off counters
    if account is None:
        error = _("Adresse e-mail ou mot de passe incorrect.")
        return render_template("accounts/login.html", form=form, error=error), 401
    sign_in(account)
    target = safe_next(request.args.get("next"))
    if isinstance(account, StaffUser):
        home = "admin.index" if account.role == "admin" else "counsellor.dashboard"
        return redirect(target or url_for(home))
    return redirect(target or url_for("beneficiary.home"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str) -> ResponseReturnValue:
    """An invitation link: single use, expiring. A GET (or HEAD: a mail scanner's visit)
    shows a page with a button and changes nothing; only that button's POST uses the link
    and opens the beneficiary's session."""
    form = ActionForm()
    try:
        if form.validate_on_submit():
            person = redeem_invitation(db.session, token)
        else:
            check_invitation(db.session, token)
            return render_template("accounts/invitation.html", form=form), _invalid(
                form.is_submitted()
            )
    except InvitationError as exc:
        db.session.rollback()
        status = 410 if exc.reason in ("used", "expired") else 404
        way = exc.way.value if exc.way else None
        return render_template(
            "accounts/invitation_invalid.html", reason=exc.reason, way=way
        ), status
    db.session.commit()
    sign_in(person)
    if needs_way_back(person):
        return redirect(url_for("auth.way_back"))
    return redirect(url_for("beneficiary.home"))


@beneficiary_bp.before_request
def _way_back_first() -> ResponseReturnValue | None:
    """Before anything else (consent, questionnaires, results), the first visit asks how the
    person will come back. The autosave is left alone: it never loads the person."""
    if request.endpoint == "beneficiary.autosave" or not current_user.is_authenticated:
        return None
    if access.is_beneficiary(current_user) and needs_way_back(current_user):
        return redirect(url_for("auth.way_back"))
    return None


@bp.route("/compte/revenir", methods=["GET", "POST"])
@login_required
def way_back() -> ResponseReturnValue:
    """How the beneficiary comes back: a password, or sign-in links by mail (offered only
    when an address is on record). Asked on the first visit; changed here later."""
    access.require(access.is_beneficiary(current_user), hide=False)
    person: Beneficiary = current_user._get_current_object()
    first_visit = needs_way_back(person)
    form = SetPasswordForm(prefix="pw")
    needs_email = not person.email
    if not needs_email:
        del form.email
    mail_form = ActionForm(prefix="mail")
    if request.method == "POST" and request.form.get("way") == "mail":
        if mail_form.validate_on_submit():
            return _choose_mail(person, first_visit)
    elif request.method == "POST" and _save_password(person, form, needs_email):
        return redirect(url_for("beneficiary.home"))
    return (
        render_template(
            "accounts/way_back.html",
            form=form,
            mail_form=mail_form,
            first_visit=first_visit,
            way=None if first_visit else person.way_back,
            needs_email=needs_email,
            email=person.email,
            min_length=MIN_PASSWORD_LENGTH,
        ),
        _invalid(form.is_submitted()),
    )


def _choose_mail(person: Beneficiary, first_visit: bool) -> Response:
    """Sign-in links by mail, then a mail that proves the address works."""
    try:
        choose_mail_links(person)
    except NoAddress:  # the page offers it only with an address: a stale page
        db.session.rollback()
        flash(_("Aucune adresse e-mail n’est enregistrée : choisissez un mot de passe."), "error")
        return redirect(url_for("auth.way_back"))
    db.session.commit()
    keep_session(person)
    email = person.email or ""
    sent = messages.deliver(
        email,
        lambda: messages.way_back_mail(
            lang=person.language,
            name=person.first_name,
            link=links.public_url("auth.request_link"),
        ),
        what="sign-in by mail confirmation",
    )
    if sent:
        text = _(
            "C’est noté : pour revenir, vous demanderez un lien de connexion envoyé à"
            " %(email)s. Un message de confirmation vient d’y être envoyé : vérifiez qu’il est"
            " bien arrivé.",
            email=email,
        )
    else:
        text = _(
            "C’est noté : pour revenir, vous demanderez un lien de connexion envoyé à"
            " %(email)s. Le message de confirmation n’a pas pu être envoyé pour l’instant :"
            " si les liens n’arrivent pas, choisissez plutôt un mot de passe.",
            email=email,
        )
    flash(text, "info")
    return redirect(url_for("beneficiary.home"))


def _save_password(person: Beneficiary, form: SetPasswordForm, needs_email: bool) -> bool:
    """Store the password typed in ``form`` (and the address when none is on record); False,
    with the errors on the form, when it cannot."""
    if not form.validate_on_submit():
        return False
    email = normalise_email(form.email.data) if needs_email else None
    if needs_email and not email:
        form.email.errors = [_("Saisissez votre adresse e-mail : elle sera votre identifiant.")]
        return False
    problem = password_problem(
        form.password.data or "", [email or person.email, person.first_name, person.last_name]
    )
    if problem:
        form.password.errors = [problem]
        return False
    if email and email_in_use(db.session, email, beneficiary_id=person.id):
        form.email.errors = [_taken_message()]
        return False
    set_beneficiary_password(person, form.password.data or "", email=email)
    try:
        db.session.commit()
    except IntegrityError:  # the same address was taken meanwhile
        db.session.rollback()
        form.email.errors = [_taken_message()]
        return False
    keep_session(person)
    flash(
        _(
            "Votre mot de passe est enregistré. Vous pouvez désormais vous connecter"
            " avec l’adresse %(email)s et ce mot de passe.",
            email=person.email,
        ),
        "info",
    )
    return True


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@limiter.limit(_limit("PASSWORD_RATE_LIMIT"), methods=["POST"])
@login_required
def set_password() -> ResponseReturnValue:
    """A signed-in beneficiary chooses a password (and gives an email if none is on record)."""
    access.require(access.is_beneficiary(current_user), hide=False)
    person: Beneficiary = current_user._get_current_object()
    needs_email = not person.email
    form = SetPasswordForm()
    if not needs_email:
        del form.email  # the address on record is kept: counsellors correct it
    if _save_password(person, form, needs_email):
        return redirect(url_for("beneficiary.home"))
    status = _invalid(form.is_submitted())
    return (
        render_template(
            "accounts/set_password.html",
            form=form,
            needs_email=needs_email,
            email=person.email,
            has_password=bool(person.password_hash),
            min_length=MIN_PASSWORD_LENGTH,
        ),
        status,
    )


def _taken_message() -> str:
    return str(
        _(
            "Cette adresse e-mail est déjà utilisée par un autre compte. Indiquez-en une autre"
            " ou demandez à votre conseiller ou conseillère de vérifier votre dossier."
        )
    )


def _send_link(person: Beneficiary, token: str, *, base: str) -> None:
    if not person.email:  # found by its address: cannot happen
        return
    # The page says the same thing whether this works or not (no account enumeration).
    messages.deliver(
        person.email,
        lambda: messages.sign_in_link(
            lang=person.language,
            name=person.first_name,
            link=links.public_url("auth.invitation", token=token, base=base),
        ),
        what="sign-in link",
    )


@bp.route("/nouveau-lien", methods=["GET", "POST"])
@limiter.limit(_limit("LINK_RATE_LIMIT"), methods=["POST"])
@limiter.limit(_limit("LINK_RATE_LIMIT"), methods=["POST"], key_func=_typed_address)
def request_link() -> ResponseReturnValue:
    """Anyone may ask for a link; only a beneficiary's address receives one, and the answer
    is the same whether the address is known or not."""
    form = RequestLinkForm()
    if form.validate_on_submit():
        try:
            base: str | None = links.public_base()
        except links.LinkUnavailable:
            base = None
        if base is None:
            current_app.logger.error("sign-in link not sent: set PUBLIC_URL in production")
        else:
            email = normalise_email(form.email.data)
            issued = issue_link(db.session, email, days=REQUESTED_LINK_DAYS)
            if issued is not None:
                db.session.commit()
                _send_link(*issued, base=base)
        return redirect(url_for("auth.link_sent"))
    return render_template("accounts/request_link.html", form=form), _invalid(form.is_submitted())


@bp.app_errorhandler(429)
def too_many_requests(exc: Exception) -> ResponseReturnValue:
    """The answer to a rate limit: the same for every address (nothing about accounts)."""
    message = _("Trop de tentatives en peu de temps : patientez quelques minutes, puis réessayez.")
    if request.is_json:
        return {"error": message, "status": 429}, 429
    return render_template("error.html", code=429, message=message), 429


@bp.get("/nouveau-lien/envoye")
def link_sent() -> str:
    return render_template("accounts/link_sent.html")


@bp.post("/deconnexion")
def logout() -> Response:
    """Ends the session of staff and beneficiaries alike; only the language choice stays,
    and, for a beneficiary, the way they chose to come back (the page after says how)."""
    lang = session.get("lang")
    way: SignInWay | None = None
    beneficiary = access.is_beneficiary(current_user)
    if beneficiary:
        way = current_user.way_back
    if current_user.is_authenticated:
        current_user.end_sessions()  # this cookie, even copied, opens nothing any more
        db.session.commit()
    session.clear()
    logout_user()
    if lang:
        session["lang"] = lang
    if beneficiary:
        if way is not None:
            session["way_back"] = way.value
        return redirect(url_for("auth.signed_out"))
    flash(_("Vous êtes déconnecté·e."), "info")
    return redirect(url_for("public.index"))


@bp.get("/deconnexion/a-bientot")
def signed_out() -> str:
    """After a beneficiary signs out: how to come back, the way they chose (both ways when
    unknown)."""
    way = session.get("way_back")
    return render_template(
        "accounts/signed_out.html", way=way if way in ("password", "mail") else None
    )


# --- staff: forgotten password, first password ----------------------------------------------


@bp.route("/compte/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(_limit("LINK_RATE_LIMIT"), methods=["POST"])
@limiter.limit(_limit("LINK_RATE_LIMIT"), methods=["POST"], key_func=_typed_address)
def forgot_password() -> ResponseReturnValue:
    """A counsellor or an admin asks for a link to choose a new password. The answer is the
    same whether the address belongs to an account or not."""
    form = RequestLinkForm()
    if form.validate_on_submit():
        staff = find_staff(db.session, normalise_email(form.email.data))
        if staff is not None and staff.active:
            token = staff_accounts.issue_token(db.session, staff, "reset")
            db.session.commit()
            messages.deliver(
                staff.email,
                lambda: messages.staff_reset(
                    name=staff.name,
                    link=links.public_url("auth.staff_password", token=token),
                    hours=staff_accounts.RESET_HOURS,
                ),
                what="password reset link",
            )
        return redirect(url_for("auth.forgot_password_sent"))
    return (
        render_template("accounts/forgot_password.html", form=form),
        _invalid(form.is_submitted()),
    )


@bp.get("/compte/mot-de-passe-oublie/envoye")
def forgot_password_sent() -> str:
    return render_template("accounts/forgot_password_sent.html", hours=staff_accounts.RESET_HOURS)


@bp.route("/compte/choisir-mot-de-passe/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("PASSWORD_RATE_LIMIT"), methods=["POST"])
def staff_password(token: str) -> ResponseReturnValue:
    """The page a staff link opens: a GET shows the form and changes nothing (a mail
    scanner's visit does not use the link); only the form's POST uses it."""
    try:
        _row, staff = staff_accounts.token_owner(db.session, token)
    except staff_accounts.TokenError as exc:
        status = 410 if exc.reason in ("used", "expired") else 404
        return render_template("accounts/staff_link_invalid.html", reason=exc.reason), status
    form = SetPasswordForm()
    del form.email
    if form.validate_on_submit():
        try:
            staff_accounts.set_password_with_token(db.session, token, form.password.data or "")
        except staff_accounts.StaffError as exc:
            db.session.rollback()
            form.password.errors = [str(exc)]
        else:
            db.session.commit()
            flash(
                _(
                    "Votre mot de passe est enregistré : connectez-vous avec %(email)s.",
                    email=staff.email,
                ),
                "info",
            )
            return redirect(url_for("auth.login"))
    return (
        render_template(
            "accounts/staff_password.html",
            form=form,
            staff=staff,
            min_length=MIN_PASSWORD_LENGTH,
        ),
        _invalid(form.is_submitted()),
    )
