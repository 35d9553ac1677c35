"""Invitation links against mail scanners: opening a link (GET, HEAD) changes nothing, only
the page's button (a POST with its CSRF token) uses it; a new link revokes the older unused
ones; the token never reaches the access log."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.extensions import db
from service.features.accounts.invitations import create_invitation
from service.models import Beneficiary, Invitation
from service.security import token_hash
from tests.service.conftest import World, invitation_token, mark_way_chosen, open_invitation

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _used_at(app: Flask, token: str) -> object:
    with app.app_context(), db.standalone() as s:
        row = s.scalars(select(Invitation).where(Invitation.token_hash == token_hash(token))).one()
        return row.used_at


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/espace/").status_code == 200


def test_a_scanners_get_and_head_do_not_use_the_link(csrf_app: Flask, world: World) -> None:
    mark_way_chosen(csrf_app, world.beneficiary)
    token = invitation_token(csrf_app, world.beneficiary)
    scanner = csrf_app.test_client()
    assert scanner.head(f"/invitation/{token}").status_code == 200
    page = scanner.get(f"/invitation/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ouvrir mon espace" in html and 'method="post"' in html
    assert not _signed_in(scanner)  # no session for the scanner
    assert _used_at(csrf_app, token) is None  # the link is still unused

    person = csrf_app.test_client()
    response = open_invitation(person, f"/invitation/{token}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/espace/"
    assert _signed_in(person)
    assert _used_at(csrf_app, token) is not None


def test_a_post_without_the_pages_csrf_token_does_not_use_the_link(
    csrf_app: Flask, world: World
) -> None:
    mark_way_chosen(csrf_app, world.beneficiary)
    token = invitation_token(csrf_app, world.beneficiary)
    client = csrf_app.test_client()
    response = client.post(f"/invitation/{token}")
    assert response.status_code == 400
    assert not _signed_in(client)
    assert _used_at(csrf_app, token) is None


def test_a_new_link_revokes_the_older_unused_ones(db_app: Flask, world: World) -> None:
    mark_way_chosen(db_app, world.beneficiary)
    old = invitation_token(db_app, world.beneficiary)
    other_person = invitation_token(db_app, world.other_beneficiary)
    new = invitation_token(db_app, world.beneficiary)

    stale = db_app.test_client()
    response = stale.get(f"/invitation/{old}")
    assert response.status_code == 410
    assert "Ce lien a expiré" in response.get_data(as_text=True)
    assert open_invitation(stale, f"/invitation/{old}").status_code == 410
    assert not _signed_in(stale)

    assert open_invitation(db_app.test_client(), f"/invitation/{new}").status_code == 302
    # another person's link is not touched
    assert db_app.test_client().get(f"/invitation/{other_person}").status_code == 200


def test_a_new_link_keeps_the_history_of_used_ones(db_app: Flask, world: World) -> None:
    token = invitation_token(db_app, world.beneficiary)
    assert open_invitation(db_app.test_client(), f"/invitation/{token}").status_code == 302
    used = _used_at(db_app, token)
    with db_app.app_context(), db.standalone() as s:
        person = s.get(Beneficiary, world.beneficiary)
        assert person is not None
        create_invitation(s, person, days=1)
    assert _used_at(db_app, token) == used


def test_the_way_back_page_follows_a_redeemed_first_link(db_app: Flask, world: World) -> None:
    token = invitation_token(db_app, world.beneficiary)
    client = db_app.test_client()
    response = open_invitation(client, f"/invitation/{token}")
    assert response.headers["Location"] == "/compte/revenir"
    assert client.get("/compte/revenir").status_code == 200


@pytest.mark.parametrize(
    ("logger", "line"),
    [
        ("werkzeug", ("127.0.0.1", '"GET /invitation/{t} HTTP/1.1" 200 -')),
        ("werkzeug", ("127.0.0.1", '"POST /compte/choisir-mot-de-passe/{t} HTTP/1.1" 302 -')),
    ],
)
def test_the_token_never_reaches_the_access_log(
    db_app: Flask, caplog: pytest.LogCaptureFixture, logger: str, line: tuple[str, str]
) -> None:
    token = "Sekret-Token_1234567890abcdefghijklmnopqrstuv"
    address, request_line = line
    with caplog.at_level(logging.INFO, logger=logger):
        # as werkzeug's WSGIRequestHandler.log writes it: the line is an argument
        logging.getLogger(logger).info("%s - - [date] %s", address, request_line.format(t=token))
    (record,) = [r for r in caplog.records if r.name == logger]
    assert token not in record.getMessage()
    assert "[redacted]" in record.getMessage()
    assert token not in caplog.text


def test_the_token_never_reaches_gunicorns_access_log(
    db_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    token = "Sekret-Token_1234567890abcdefghijklmnopqrstuv"
    atoms = {
        "h": "127.0.0.1",
        "r": f"GET /invitation/{token} HTTP/1.1",
        "U": f"/invitation/{token}",
        "s": "200",
    }
    with caplog.at_level(logging.INFO, logger="gunicorn.access"):
        logging.getLogger("gunicorn.access").info('%(h)s "%(r)s" %(U)s %(s)s', atoms)
    (record,) = [r for r in caplog.records if r.name == "gunicorn.access"]
    assert token not in record.getMessage()
    assert record.getMessage() == (
        '127.0.0.1 "GET /invitation/[redacted] HTTP/1.1" /invitation/[redacted] 200'
    )


def test_a_real_werkzeug_server_logs_no_token(
    db_app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The development server's own log line, through a real socket."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    token = invitation_token(db_app, world.beneficiary)
    server = make_server("127.0.0.1", 0, db_app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.port}/invitation/{token}"
        with caplog.at_level(logging.INFO, logger="werkzeug"), urllib.request.urlopen(url) as r:
            assert r.status == 200
    finally:
        server.shutdown()
        thread.join()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/invitation/[redacted]" in line for line in lines), lines
    assert token not in caplog.text
