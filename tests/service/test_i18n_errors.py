"""French first, English second: the catalogue is complete and the switch works; error
pages are French, part of the site, and never show a stack trace.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from tests.service.conftest import World, sign_in_beneficiary, sign_in_staff

try:
    from babel.messages.frontend import parse_mapping_cfg
except ImportError:  # Babel < 2.16 (the floor is 2.12): the same parser, under its older name
    from babel.messages.frontend import parse_mapping as parse_mapping_cfg

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "service" / "translations"
EN_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
EN_MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"


def _read_po(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale="en")


def _key(message_id: str | Sequence[str]) -> str:
    """A message id, or the singular id of a plural entry."""
    return message_id if isinstance(message_id, str) else message_id[0]


# --- the English catalogue --------------------------------------------------------------


def test_english_catalogue_is_complete_and_not_fuzzy() -> None:
    catalog = _read_po(EN_PO)
    entries = [m for m in catalog if m.id]
    assert len(entries) > 50
    untranslated = [_key(m.id) for m in entries if not m.string or not all(m.string)]
    fuzzy = [_key(m.id) for m in entries if m.fuzzy]
    assert untranslated == [], "translate these in messages.po"
    assert fuzzy == [], "review these fuzzy entries in messages.po"


def test_english_placeholders_match_the_french() -> None:
    """``%(name)s`` placeholders survive translation (Babel's python-format checker)."""
    problems = [
        (_key(message.id), [str(e) for e in errors]) for message, errors in _read_po(EN_PO).check()
    ]
    assert problems == []


def test_every_string_of_the_code_is_in_the_catalogue() -> None:
    """The catalogue follows the code: a new ``_("...")`` needs its English entry."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)  # type: ignore[no-untyped-call]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    in_code = {
        _key(message_id)
        for _file, _line, message_id, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }
    in_catalogue = {_key(m.id) for m in _read_po(EN_PO) if m.id}
    assert "Connexion" in in_code
    missing = sorted(in_code - in_catalogue)
    assert missing == [], "re-extract and update the catalogue (see babel.cfg)"


def _hashable(value: str | Sequence[str] | None) -> str | tuple[str, ...] | None:
    return value if value is None or isinstance(value, str) else tuple(value)


def _mo_messages(fh: BinaryIO) -> dict[Any, Any]:
    return {_hashable(m.id): _hashable(m.string) for m in read_mo(fh) if m.id}


def test_compiled_catalogue_matches_the_po_file() -> None:
    """The shipped ``.mo`` was compiled from the current ``.po``."""
    buffer = io.BytesIO()
    write_mo(buffer, _read_po(EN_PO))
    buffer.seek(0)
    expected = _mo_messages(buffer)
    with EN_MO.open("rb") as fh:
        shipped = _mo_messages(fh)
    assert len(shipped) > 50
    assert shipped == expected, "run: pybabel compile -d service/translations"


FR_PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
FR_MO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo"


def test_french_catalogue_holds_every_plural_with_french_rule() -> None:
    """The msgids are French; the French catalogue exists for plurals only.

    Without a French entry, gettext falls back to the English rule and prints "0 étapes";
    French uses the singular for 0 and 1. tools/catalogue.py fills these entries.
    """
    with FR_PO.open("rb") as fh:
        french = read_po(fh, locale="fr")
    plurals_in_pot = {m.id for m in _read_po(TRANSLATIONS / "messages.pot") if m.pluralizable}
    assert len(plurals_in_pot) > 10
    entries = {m.id: m.string for m in french if m.id and m.pluralizable}
    assert set(entries) == plurals_in_pot, "run: .venv/bin/python tools/catalogue.py"
    wrong = [
        ids for ids, forms in entries.items() if forms[0] != ids[0] or set(forms[1:]) != {ids[1]}
    ]
    assert wrong == []
    assert [m.id for m in french if m.id and not m.pluralizable and m.string] == []
    buffer = io.BytesIO()
    write_mo(buffer, french)
    buffer.seek(0)
    with FR_MO.open("rb") as fh:
        assert _mo_messages(fh) == _mo_messages(buffer), "run: tools/catalogue.py"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fr", ["0 étape", "1 étape", "2 étapes"]), ("en", ["0 steps", "1 step", "2 steps"])],
)
def test_plurals_follow_the_language_rule(db_app: Flask, lang: str, expected: list[str]) -> None:
    from flask_babel import force_locale, ngettext

    with db_app.test_request_context("/"), force_locale(lang):
        said = [ngettext("%(num)s étape", "%(num)s étapes", n) for n in (0, 1, 2)]
    assert said == expected


# --- switching language -----------------------------------------------------------------


def test_language_switch_changes_the_pages_and_stays_in_the_session(db_app: Flask) -> None:
    client = db_app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "<h1>Connexion</h1>" in page
    assert "<title>Connexion — Boussole</title>" in page

    response = client.post("/langue", data={"lang": "en", "next": "/connexion"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"
    with client.session_transaction() as sess:
        assert sess["lang"] == "en"
    for _ in range(2):  # kept from one request to the next
        page = client.get("/connexion").get_data(as_text=True)
        assert '<html lang="en">' in page
        assert "<h1>Sign in</h1>" in page
        assert "<title>Sign in — Boussole</title>" in page
        assert "Email address" in page
        assert "Skip to content" in page
        assert 'lang="fr">Français</button>' in page  # the way back

    # another visitor is not affected
    assert "<h1>Connexion</h1>" in db_app.test_client().get("/connexion").get_data(as_text=True)

    client.post("/langue", data={"lang": "fr"})
    assert "<h1>Connexion</h1>" in client.get("/connexion").get_data(as_text=True)


def test_unknown_language_is_ignored(db_app: Flask) -> None:
    client = db_app.test_client()
    client.post("/langue", data={"lang": "de"})
    with client.session_transaction() as sess:
        assert "lang" not in sess
    assert '<html lang="fr">' in client.get("/connexion").get_data(as_text=True)


def test_form_errors_are_translated(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    client.post("/langue", data={"lang": "en"})
    page = client.post("/connexion", data={"email": "x@y.fr", "password": "z"}).get_data(
        as_text=True
    )
    assert "Incorrect email address or password." in page
    assert "<title>Error: Sign in — Boussole</title>" in page


def test_beneficiary_language_applies_when_the_session_has_none(
    db_app: Flask, world: World
) -> None:
    from service.extensions import db
    from service.models import Beneficiary

    with db_app.app_context(), db.standalone() as s:
        person = s.get(Beneficiary, world.beneficiary)
        assert person is not None
        person.language = "en"
    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    assert "<h1>Sign in</h1>" in client.get("/connexion").get_data(as_text=True)
    client.post("/langue", data={"lang": "fr"})  # the session's choice wins
    assert "<h1>Connexion</h1>" in client.get("/connexion").get_data(as_text=True)


def test_language_switch_needs_a_csrf_token(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    assert client.post("/langue", data={"lang": "en"}).status_code == 400
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post("/langue", data={"lang": "en", "csrf_token": token.group(1)})
    assert response.status_code == 302
    assert "<h1>Sign in</h1>" in client.get("/connexion").get_data(as_text=True)


# --- error pages ------------------------------------------------------------------------

SECRET_DETAIL = "détail-interne-qui-ne-doit-jamais-sortir"


@pytest.fixture
def failing_app(db_app: Flask) -> Iterator[Flask]:
    """The test app with a route that raises (registered before the first request)."""

    @db_app.get("/test-only/panne")
    def broken() -> str:
        raise RuntimeError(SECRET_DETAIL)

    yield db_app


def _assert_site_page(page: str) -> None:
    """Part of the site: the shared layout, the way home, and no internals."""
    assert 'class="site-header"' in page
    assert 'href="#contenu"' in page
    assert 'class="site-footer"' in page
    assert 'href="/"' in page
    for leak in ("Traceback", 'File "', "werkzeug", "sqlalchemy", SECRET_DETAIL):
        assert leak not in page


def test_404_page(client: FlaskClient) -> None:
    response = client.get("/nulle-part")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "<title>Erreur 404 — Boussole</title>" in page
    assert "<h1>Erreur 404</h1>" in page
    assert "Cette page n’existe pas ou n’est plus disponible." in page
    _assert_site_page(page)


def test_403_page(db_app: Flask, world: World) -> None:
    client = db_app.test_client()
    sign_in_staff(client, "claire@test.fr")
    response = client.get("/espace/")  # the beneficiaries' space
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "<h1>Erreur 403</h1>" in page
    assert "Vous n’avez pas accès à cette page." in page
    assert "Se déconnecter" in page  # still signed in, same layout
    _assert_site_page(page)


def test_405_page(client: FlaskClient) -> None:
    response = client.get("/deconnexion")
    assert response.status_code == 405
    page = response.get_data(as_text=True)
    assert "<h1>Erreur 405</h1>" in page
    assert "Cette action n’est pas possible sur cette page." in page
    _assert_site_page(page)


def test_405_keeps_the_allow_header(client: FlaskClient) -> None:
    """RFC 9110: a 405 response lists the allowed methods."""
    response = client.get("/deconnexion")
    assert set(response.headers.get("Allow", "").split(", ")) >= {"POST"}


def test_500_page_shows_no_stack_trace(
    failing_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    response = failing_app.test_client().get("/test-only/panne")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "<h1>Erreur 500</h1>" in page
    assert "Une erreur inattendue est survenue." in page
    assert "Vos réponses déjà enregistrées sont conservées" in page
    _assert_site_page(page)
    assert SECRET_DETAIL in caplog.text  # the details go to the log, not to the visitor


def test_500_page_for_a_signed_in_beneficiary(failing_app: Flask, world: World) -> None:
    client = failing_app.test_client()
    sign_in_beneficiary(client, failing_app, world.beneficiary)
    response = client.get("/test-only/panne")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Se déconnecter" in page
    _assert_site_page(page)


def test_500_page_after_a_database_error(
    db_app: Flask, world: World, db_url: str, request: pytest.FixtureRequest
) -> None:
    """A failed SQL statement still gives the site's 500 page, with the visitor signed in.

    On PostgreSQL the failed statement aborts the request's transaction: the page's layout
    then needs the signed-in user, which needs the database again.
    """
    from sqlalchemy import text

    from service.extensions import db

    @db_app.get("/test-only/sql")
    def bad_sql() -> str:
        db.session.execute(text("SELECT * FROM table_inexistante"))
        return "unreachable"

    client = db_app.test_client()
    sign_in_beneficiary(client, db_app, world.beneficiary)
    response = client.get("/test-only/sql")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "<h1>Erreur 500</h1>" in page
    assert "Se déconnecter" in page
    assert "table_inexistante" not in page
    _assert_site_page(page)


def test_error_pages_follow_the_language(failing_app: Flask) -> None:
    client = failing_app.test_client()
    client.post("/langue", data={"lang": "en"})
    page = client.get("/nulle-part").get_data(as_text=True)
    assert "<h1>Error 404</h1>" in page
    assert "This page does not exist or is no longer available." in page
    assert "Back to the home page" in page
    page = client.get("/test-only/panne").get_data(as_text=True)
    assert "<h1>Error 500</h1>" in page
    _assert_site_page(page)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nulle-part", 404),
        ("GET", "/deconnexion", 405),
        ("GET", "/test-only/panne", 500),
    ],
)
def test_json_requests_get_json_errors(
    failing_app: Flask, method: str, path: str, status: int
) -> None:
    headers = {} if path.startswith("/api/") else {"Content-Type": "application/json"}
    response = failing_app.test_client().open(path, method=method, headers=headers)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert SECRET_DETAIL not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
