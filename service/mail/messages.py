"""The mails Boussole sends, each a subject and a body rendered from its translated template
(``service/mail/templates/mail/<name>.txt``), in the recipient's language.

Callers build the link with :mod:`service.mail.links` and send with
:func:`service.mail.current_mailer`; nothing here reads the request.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from service.mail.links import LinkUnavailable
from service.mail.sender import MailError, current_mailer


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def deliver(to: str, build: Callable[[], Message], *, what: str) -> bool:
    """Build a message (its link included) and send it to ``to``; False, logged, when the
    link cannot be built or the mail cannot be sent (the caller tells the user)."""
    try:
        message = build()
        current_mailer().send(to, message.subject, message.body)
    except (MailError, OSError, smtplib.SMTPException, LinkUnavailable) as exc:
        current_app.logger.warning("%s not sent: %s", what, exc)
        return False
    return True


def _render(template: str, lang: str | None, subject: Any, **context: Any) -> Message:
    """``subject`` is a lazy string: it is translated here, in the recipient's language."""
    with force_locale(lang or "fr"):
        body = current_app.jinja_env.get_template(f"mail/{template}.txt").render(**context)
        return Message(subject=str(subject), body=body.strip("\n") + "\n")


def invitation(*, lang: str | None, name: str, link: str, days: int) -> Message:
    """The counsellor's invitation to the questionnaires of the bilan."""
    return _render(
        "invitation", lang, _l("Vos questionnaires Boussole"), name=name, link=link, days=days
    )


def reminder(*, lang: str | None, name: str, questionnaire: str, link: str) -> Message:
    """The counsellor's reminder of one questionnaire."""
    return _render(
        "reminder",
        lang,
        _l("Rappel : votre questionnaire Boussole"),
        name=name,
        questionnaire=questionnaire,
        link=link,
    )


def sign_in_link(*, lang: str | None, name: str, link: str) -> Message:
    """A sign-in link the person asked for (valid 24 hours)."""
    return _render(
        "sign_in_link", lang, _l("Votre lien de connexion à Boussole"), name=name, link=link
    )


def way_back_mail(*, lang: str | None, name: str, link: str) -> Message:
    """Sent when the person chooses sign-in links by mail: it proves that the address works
    and gives the page where a link is asked for (``link``: no token in it)."""
    return _render(
        "way_back_mail", lang, _l("Revenir dans votre espace Boussole"), name=name, link=link
    )


def satisfaction_link(*, lang: str | None, name: str, link: str, days: int) -> Message:
    """The satisfaction questionnaire at the end of the bilan."""
    return _render(
        "satisfaction_link",
        lang,
        _l("Votre avis sur votre bilan de compétences"),
        name=name,
        link=link,
        days=days,
    )


def followup_start(
    *, lang: str | None, name: str, questionnaires: str, link: str, days: int
) -> Message:
    """The follow-up questionnaires, six months after the end."""
    return _render(
        "followup_start",
        lang,
        _l("Votre bilan de compétences : le point six mois après"),
        name=name,
        questionnaires=questionnaires,
        link=link,
        days=days,
    )


def followup_reminder(
    *, lang: str | None, name: str, questionnaires: str, count: int, link: str, days: int
) -> Message:
    """An automatic reminder of ``count`` follow-up or satisfaction questionnaires."""
    return _render(
        "followup_reminder",
        lang,
        _l("Rappel : votre avis sur votre bilan de compétences"),
        name=name,
        questionnaires=questionnaires,
        count=count,
        link=link,
        days=days,
    )


def staff_invitation(
    *, name: str, inviter: str, centre: str, role: str, email: str, link: str, days: int
) -> Message:
    """A staff member's invitation: the link to choose a first password."""
    return _render(
        "staff_invitation",
        "fr",
        _l("Votre compte Boussole"),
        name=name,
        inviter=inviter,
        centre=centre,
        role=role,
        email=email,
        link=link,
        days=days,
    )


def staff_reset(*, name: str, link: str, hours: int) -> Message:
    """The link a staff member asked for, to choose a new password."""
    return _render(
        "staff_reset",
        "fr",
        _l("Choisir un nouveau mot de passe Boussole"),
        name=name,
        link=link,
        hours=hours,
    )


def questionnaire_completed(*, name: str, questionnaire: str, link: str) -> Message:
    """A counsellor who asked for it is told that a questionnaire of one of their bilans
    was completed: the questionnaire's name and a link to the bilan, never a result nor
    the person's name."""
    return _render(
        "questionnaire_completed",
        "fr",
        _l("Boussole : un questionnaire a été terminé"),
        name=name,
        questionnaire=questionnaire,
        link=link,
    )


def destruction_notice(*, lang: str | None, name: str, day: str, link: str) -> Message:
    """Before the content of the bilan is destroyed: the day, and the link to the ZIP."""
    return _render(
        "destruction_notice",
        lang,
        _l("Vos données de bilan vont être détruites"),
        name=name,
        day=day,
        link=link,
    )


def erasure_answered(*, lang: str | None, name: str, link: str) -> Message:
    """The centre answered the person's request for erasure: the link to read the answer
    in their space (neither the answer nor the reason in the mail)."""
    return _render(
        "erasure_answered",
        lang,
        _l("Votre demande d’effacement a reçu une réponse"),
        name=name,
        link=link,
    )
