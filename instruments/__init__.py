"""Declarative instrument definitions: YAML files, their schema and loader.

No Flask, no database: this package is imported by ``scoring``, ``reports`` and ``service``.
The file format is documented in ``docs/instruments.md``.
"""

from instruments.formats import FORMAT_TYPES, register_format
from instruments.loader import (
    ARCHIVE_DIR,
    BUILTIN_DIR,
    InstrumentError,
    InstrumentSet,
    Problem,
    archived_files,
    builtin_files,
    check_instrument_file,
    load_all,
    load_instrument,
    resolve_instrument,
)
from instruments.model import (
    Instrument,
    Item,
    ResponseFormat,
    Scale,
    ScaleMember,
    Text,
    ValiditySettings,
)

__all__ = [
    "ARCHIVE_DIR",
    "BUILTIN_DIR",
    "FORMAT_TYPES",
    "Instrument",
    "InstrumentError",
    "InstrumentSet",
    "Item",
    "Problem",
    "ResponseFormat",
    "Scale",
    "ScaleMember",
    "Text",
    "ValiditySettings",
    "archived_files",
    "builtin_files",
    "check_instrument_file",
    "load_all",
    "load_instrument",
    "register_format",
    "resolve_instrument",
]
