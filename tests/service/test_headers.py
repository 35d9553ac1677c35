"""Security headers on every route of the URL map, for every kind of visitor (issue 12,
section 4): a strict Content-Security-Policy, no framing, nosniff, Referrer-Policy, HSTS in
production only, and no cache for anything but the static files."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from tests.service.conftest import World, helpers
from tests.service.url_map import urls

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _policy(header: str) -> dict[str, str]:
    directives = (d.strip().split(" ", 1) for d in header.split(";") if d.strip())
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def _check(response: object, rule: Rule, *, production: bool = False) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    where = f"{rule.rule} ({response.status_code})"  # type: ignore[attr-defined]
    policy = _policy(headers.get("Content-Security-Policy", ""))
    for name, value in STRICT.items():
        assert policy.get(name) == value, (where, name, policy)
    style = policy.get("style-src", "")
    assert re.fullmatch(r"'self'( 'nonce-[\w-]{20,}')?", style), (where, style)
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert ("Strict-Transport-Security" in headers) is production, where
    if rule.endpoint == "static":
        assert "no-store" not in headers.get("Cache-Control", ""), where
    else:
        assert headers.get("Cache-Control") == "no-store", where


def _signed_in(world: World, db_app: Flask) -> dict[str, Callable[[FlaskClient], None]]:
    return {
        "anonymous": lambda c: None,
        "beneficiary": lambda c: helpers.sign_in_beneficiary(c, db_app, world.beneficiary),
        "counsellor": lambda c: helpers.sign_in_staff(c, "claire@test.fr"),
        "admin": lambda c: helpers.sign_in_staff(c, "admin@test.fr"),
    }


@pytest.mark.parametrize("role", ["anonymous", "beneficiary", "counsellor", "admin"])
def test_every_get_route_sends_the_security_headers(db_app: Flask, world: World, role: str) -> None:
    client = db_app.test_client()
    _signed_in(world, db_app)[role](client)
    seen = 0
    for rule, url in urls(db_app, world, "GET"):
        response = client.get(url)
        _check(response, rule)
        response.close()  # a static file is streamed from an open file
        seen += 1
    assert seen > 50


def test_every_post_only_route_sends_the_security_headers(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    seen = 0
    for rule, url in urls(db_app, world, "POST"):
        _check(client.post(url, data={}), rule)
        seen += 1
    assert seen > 20


def test_hsts_only_in_production(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    rule = next(r for r in db_app.url_map.iter_rules() if r.rule == "/connexion")
    _check(client.get("/connexion"), rule)
    db_app.config["ENV_NAME"] = "production"
    response = client.get("/connexion")
    _check(response, rule, production=True)
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_error_pages_send_the_headers(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    response = client.get("/cette-page-n-existe-pas")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_report_pages_style_carries_the_response_nonce(db_app: Flask, world: World) -> None:
    """The restitution report, the synthesis and the attestation are documents with an
    inline style block: it carries this response's nonce, which the policy allows, and no
    other inline style or script is on those pages."""
    client = db_app.test_client()
    helpers.sign_in_staff(client, "claire@test.fr")
    pages = [
        f"/conseil/bilans/{world.bilan}/rapport",
        f"/conseil/bilans/{world.bilan}/attestation",
    ]
    checked = 0
    for url in pages:
        response = client.get(url)
        if response.status_code != 200:
            continue
        html = response.get_data(as_text=True)
        policy = _policy(response.headers["Content-Security-Policy"])
        nonce = re.fullmatch(r"'self' 'nonce-([\w-]+)'", policy["style-src"])
        assert nonce, (url, policy["style-src"])
        assert f'<style nonce="{nonce.group(1)}">' in html, url
        assert "<style>" not in html and "<script" not in html and 'style="' not in html
        checked += 1
    assert checked >= 1
    # Another response gets another nonce.
    again = client.get(pages[0]).headers["Content-Security-Policy"]
    assert nonce.group(1) not in again


def test_no_template_has_inline_script_or_style_attribute() -> None:
    """style-src and script-src without 'unsafe-inline': an inline script, an event
    handler or a style attribute in any template would be blocked by the browser."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    templates = [
        *root.glob("service/**/templates/**/*.html"),
        *root.glob("reports/templates/*.html"),
    ]
    assert len(templates) > 30
    for path in templates:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert not re.search(r"\sstyle\s*=", text), path
        assert not re.search(r"javascript:", text, re.I), path
        for tag in re.findall(r"<style[^>]*>", text):
            assert "nonce" in tag, (path, tag)


def test_the_500_page_sends_the_headers(db_app: Flask, world: World) -> None:
    def broken() -> str:
        raise RuntimeError("boom")

    db_app.add_url_rule("/essai-panne", "broken", broken)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db_app.logger, "exception", lambda *a, **k: None)
        response = db_app.test_client().get("/essai-panne")
    assert response.status_code == 500
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
