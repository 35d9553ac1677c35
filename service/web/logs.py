"""Secret links never reach the logs: the token of an invitation or a staff password link
is replaced by ``[redacted]`` in the access log lines of werkzeug (development server) and
gunicorn (``gunicorn.access``), whatever the log format."""

from __future__ import annotations

import logging
import re
from typing import Any

TOKEN_PATHS = re.compile(r"(/invitation/|/compte/choisir-mot-de-passe/)[^\s/?#\"']+")
REDACTED = r"\1[redacted]"
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


def redact(text: str) -> str:
    """``text`` with the token of every secret link replaced.

    >>> redact('"GET /invitation/abc123?x=1 HTTP/1.1" 200 -')
    '"GET /invitation/[redacted]?x=1 HTTP/1.1" 200 -'
    """
    return TOKEN_PATHS.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrites the message and its arguments (a tuple for werkzeug, a mapping of atoms for
    gunicorn) before any handler formats them; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        args: Any = record.args
        if isinstance(args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        elif isinstance(args, dict):
            for key in list(args):
                value = dict.__getitem__(args, key)
                if isinstance(value, str):
                    dict.__setitem__(args, key, redact(value))
        return True


def install_redaction() -> None:
    """Put the filter on the access loggers (once, however many apps are created)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
