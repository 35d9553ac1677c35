"""Outgoing mail behind a small interface, so that routes do not care how it is sent.

``MAIL_BACKEND`` chooses the sender:

- ``"folder"`` (default, development and tests): each message is written as an ``.eml``
  file into ``MAIL_FOLDER`` (default ``instance/mail``); open it with any mail client;
- ``"smtp"``: sent through ``SMTP_HOST``:``SMTP_PORT`` with ``smtplib``, optionally after
  ``STARTTLS`` and a login (``SMTP_USER``, ``SMTP_PASSWORD``).

``MAIL_FROM`` is the sender address. Tests or a centre's own integration can install any
object with a ``send(to, subject, body_text)`` method as ``app.extensions["boussole.mail"]``.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol, cast

from flask import current_app

DEFAULT_FROM = "Boussole <ne-pas-repondre@localhost>"
_TRUE = ("1", "true", "yes", "on", "oui")


class MailError(RuntimeError):
    """The mail settings cannot be used; the message says which setting to fix."""


class MailSender(Protocol):
    """Anything that can deliver a plain-text message."""

    def send(self, to: str, subject: str, body_text: str) -> None: ...


def build_message(sender: str, to: str, subject: str, body_text: str) -> EmailMessage:
    """A plain-text UTF-8 message with the usual headers."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    domain = sender.rpartition("@")[2].rstrip(">") or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body_text)
    return message


@dataclass
class FolderMailSender:
    """Writes each message to ``folder`` as an ``.eml`` file (readable by the owner only:
    messages carry sign-in links)."""

    folder: Path
    sender: str = DEFAULT_FROM

    def send(self, to: str, subject: str, body_text: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{secrets.token_hex(4)}.eml"
        data = build_message(self.sender, to, subject, body_text).as_bytes()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)


@dataclass
class SmtpMailSender:
    """Sends through an SMTP server (port 587 with STARTTLS is the usual submission setup)."""

    host: str
    port: int = 587
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    sender: str = DEFAULT_FROM
    timeout: float = 20.0

    def send(self, to: str, subject: str, body_text: str) -> None:
        message = build_message(self.sender, to, subject, body_text)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)


def mail_sender(config: Mapping[str, Any]) -> MailSender:
    """The sender chosen by ``config["MAIL_BACKEND"]`` (see the module docstring)."""
    backend = str(config.get("MAIL_BACKEND") or "folder").strip().lower()
    sender = str(config.get("MAIL_FROM") or DEFAULT_FROM)
    if backend == "folder":
        folder = config.get("MAIL_FOLDER")
        if not folder:
            raise MailError("MAIL_BACKEND is 'folder' but MAIL_FOLDER is not set")
        return FolderMailSender(Path(folder), sender=sender)
    if backend == "smtp":
        host = config.get("SMTP_HOST")
        if not host:
            raise MailError("MAIL_BACKEND is 'smtp': set SMTP_HOST (e.g. BOUSSOLE_SMTP_HOST)")
        try:
            port = int(config.get("SMTP_PORT") or 587)
        except ValueError:
            raise MailError(
                f"SMTP_PORT must be a whole number, not {config.get('SMTP_PORT')!r}"
            ) from None
        return SmtpMailSender(
            host=str(host),
            port=port,
            user=config.get("SMTP_USER") or None,
            password=config.get("SMTP_PASSWORD") or None,
            starttls=_flag(config.get("SMTP_STARTTLS"), True),
            sender=sender,
        )
    raise MailError(f"MAIL_BACKEND must be 'folder' or 'smtp', not {backend!r}")


def current_mailer() -> MailSender:
    """The app's sender: the one installed as ``app.extensions["boussole.mail"]`` (tests, a
    centre's integration), else the one ``MAIL_BACKEND`` names."""
    installed = current_app.extensions.get("boussole.mail")
    if installed is not None:
        return cast(MailSender, installed)
    return mail_sender(current_app.config)
