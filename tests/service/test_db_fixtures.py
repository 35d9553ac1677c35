"""The database fixtures give migrated, empty databases and working sign-in helpers."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff


def test_world_and_sign_in(db_app: Flask, world: World) -> None:
    from service.extensions import db
    from service.models import Assignment

    with db_app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Assignment))
    assert n == 4
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    assert client.get("/espace/").status_code == 200
    staff = db_app.test_client()
    sign_in_staff(staff, "claire@test.fr")
    page = staff.get("/conseil/").get_data(as_text=True)
    assert "Camille Martin" in page and "Dominique Petit" not in page
