"""Outgoing mail: the sender (:mod:`service.mail.sender`), the one builder of the links that
mails carry (:mod:`service.mail.links`) and the message bodies, written as translated
templates in ``service/mail/templates/mail/`` (:mod:`service.mail.messages`)."""

from service.mail.sender import (
    FolderMailSender,
    MailError,
    MailSender,
    SmtpMailSender,
    build_message,
    current_mailer,
    mail_sender,
)

__all__ = [
    "FolderMailSender",
    "MailError",
    "MailSender",
    "SmtpMailSender",
    "build_message",
    "current_mailer",
    "mail_sender",
]
