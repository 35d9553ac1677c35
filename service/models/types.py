"""Column types of our own."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Enum
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A moment, always an aware UTC datetime in Python, whatever the database returns.

    PostgreSQL stores ``timestamp with time zone``; SQLite keeps no offset and returns
    naive values, which were written in UTC. A naive datetime given to the database is
    refused: a moment without its time zone is a bug (use :func:`service.dates.utcnow`,
    :func:`service.dates.from_form`). Modelled on indico's ``UTCDateTime``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"UTCDateTime needs a datetime, not {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to a UTCDateTime column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        moment: dt.datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)


def status_type(enum: type[StrEnum], name: str) -> Enum:
    """A status column: the enum's values stored as text, anything else refused by a CHECK
    constraint (``ck_<table>_<name>``)."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )
