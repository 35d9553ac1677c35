"""The features, one folder each: ``service.py`` (domain logic, no HTTP), ``forms.py``,
views per audience (``views.py`` or ``views_<audience>.py``) and ``templates/<name>/``.

The app imports :data:`VIEW_MODULES` so that every view registers itself on its audience's
blueprint (:mod:`service.web.blueprints`), and looks for templates in
:func:`template_folders` after ``service/templates`` (the layout and shared partials).
"""

from __future__ import annotations

import importlib
from pathlib import Path

NAMES = (
    "public",
    "accounts",
    "journey",
    "caseload",
    "profiles",
    "record",
    "synthesis",
    "followup",
    "admin",
    "norms",
    "notices",
    "accesslog",
    "lifecycle",
    "metiers",
    "portfolio",
    "api",
    "sharing",
    "webhooks",
)

VIEW_MODULES = (
    "public.views",
    "accounts.views",
    "journey.views",
    "caseload.views",
    "profiles.views_counsellor",
    "profiles.views_beneficiary",
    "record.views_counsellor",
    "record.views_beneficiary",
    "synthesis.views_counsellor",
    "synthesis.views_beneficiary",
    "followup.views_counsellor",
    "followup.views_admin",
    "admin.views",
    "admin.views_staff",
    "admin.views_api_tokens",
    "norms.views",
    "admin.views_activity",
    "notices.views",
    "accesslog.views",
    "lifecycle.views_beneficiary",
    "lifecycle.views_admin",
    "metiers.views_counsellor",
    "metiers.views_beneficiary",
    "portfolio.views_counsellor",
    "portfolio.views_beneficiary",
    "sharing.views_beneficiary",
    "webhooks.views",
)


def import_views() -> None:
    """Import every view module once (each registers its routes on a blueprint)."""
    for name in VIEW_MODULES:
        importlib.import_module(f"{__name__}.{name}")


def template_folders() -> list[Path]:
    here = Path(__file__).parent
    return [here / name / "templates" for name in NAMES]
