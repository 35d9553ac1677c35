"""Guards shared by the views: the role gate of each audience and "load or 404".

The decision itself is always :mod:`service.access`'s; these only load the record and
call it. A record the signed-in person may not see answers 404 (it is not revealed); a
page for another role answers 403.
"""

from __future__ import annotations

from typing import cast

from flask_login import current_user
from sqlalchemy.orm import joinedload

from service import access
from service.extensions import db
from service.models import Assignment, Bilan


def staff_only() -> None:
    """403 unless a staff member (counsellor or admin) is signed in."""
    access.require(access.is_staff(current_user), hide=False)


def beneficiary_only() -> None:
    """403 unless a beneficiary is signed in."""
    access.require(access.is_beneficiary(current_user), hide=False)


def managed_bilan(bilan_id: int) -> Bilan:
    """A bilan the signed-in counsellor follows, or 404."""
    staff_only()
    bilan = db.session.get(Bilan, bilan_id)
    access.require(bilan is not None and access.can_manage_bilan(current_user, bilan))
    return cast(Bilan, bilan)


def managed_assignment(assignment_id: int) -> Assignment:
    """A questionnaire of a bilan the signed-in counsellor follows, or 404."""
    staff_only()
    assignment = db.session.get(Assignment, assignment_id, options=[joinedload(Assignment.bilan)])
    access.require(
        assignment is not None and access.can_manage_bilan(current_user, assignment.bilan)
    )
    return cast(Assignment, assignment)


def own_bilan(bilan_id: int) -> Bilan:
    """The signed-in beneficiary's own bilan (403 for staff, 404 for someone else's)."""
    beneficiary_only()
    bilan = db.session.get(Bilan, bilan_id)
    access.require(bilan is not None and access.owns_bilan(current_user, bilan))
    return cast(Bilan, bilan)


def own_assignment(assignment_id: int) -> Assignment:
    """One of the signed-in beneficiary's questionnaires, or 404."""
    beneficiary_only()
    assignment = db.session.get(Assignment, assignment_id, options=[joinedload(Assignment.bilan)])
    access.require(assignment is not None and access.owns_bilan(current_user, assignment.bilan))
    return cast(Assignment, assignment)


def centre_admin() -> int:
    """The signed-in admin's own centre, or 403 for anyone who is not one of its admins."""
    centre_id = getattr(current_user, "centre_id", None)
    access.require(
        isinstance(centre_id, int) and access.can_view_centre_statistics(current_user, centre_id),
        hide=False,
    )
    return int(centre_id)  # type: ignore[arg-type]
