"""The blueprints, one per audience. Features register their views on them; the app
registers them once every feature's views are imported (see :mod:`service.features`).

Endpoint names are ``<blueprint>.<view>``: ``counsellor.view_record``,
``beneficiary.page``.
"""

from __future__ import annotations

from flask import Blueprint

public = Blueprint("public", __name__)
auth = Blueprint("auth", __name__)
beneficiary = Blueprint("beneficiary", __name__, url_prefix="/espace")
counsellor = Blueprint("counsellor", __name__, url_prefix="/conseil")
admin = Blueprint("admin", __name__, url_prefix="/admin")

ALL = (public, auth, beneficiary, counsellor, admin)
