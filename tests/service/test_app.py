"""The Flask app factory: instruments validated at start-up, French pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from instruments import InstrumentError
from service.app import create_app


def test_create_app_loads_the_builtin_instruments(app: Flask) -> None:
    instruments = app.extensions["boussole.instruments"]
    from instruments import builtin_files

    assert sorted(instruments) == sorted(f.stem for f in builtin_files())
    assert "ipip-bfi-25" in instruments
    assert instruments["ipip-bfi-25"].key == "ipip-bfi-25@1.0.0"


def test_index_lists_the_instruments_in_french(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Questionnaires disponibles" in html
    assert "Inventaire de personnalité en cinq dimensions (IPIP, 25 questions)" in html
    assert 'href="/questionnaires/ipip-bfi-25"' in html
    assert "<td>25</td>" in html
    assert "5 min" in html


def test_instrument_page(client: FlaskClient) -> None:
    response = client.get("/questionnaires/ipip-bfi-25")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Inventaire de personnalité en cinq dimensions (IPIP, 25 questions)</h1>" in html
    assert "Échelles" in html
    for scale in ("Agréabilité", "Conscience", "Extraversion", "Ouverture"):
        assert f"<strong>{scale}</strong> (5 questions)" in html
    assert "Domaine public" in html  # licence


def test_unknown_instrument_is_a_french_404_page(client: FlaskClient) -> None:
    response = client.get("/questionnaires/big-six")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Erreur 404" in html
    assert "Cette page n’existe pas ou n’est plus disponible." in html
    assert "Retour à l’accueil" in html


def test_unknown_url_is_a_french_404_page(client: FlaskClient) -> None:
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Cette page n’existe pas ou n’est plus disponible." in response.get_data(as_text=True)


def test_create_app_with_its_own_instrument_files(bfi_copy: Callable[..., Path]) -> None:
    path = bfi_copy(("minutes: 5", "minutes: 7"))
    app = create_app({"INSTRUMENT_FILES": [path], "TESTING": True})
    inst = app.extensions["boussole.instruments"]["ipip-bfi-25"]
    assert inst.path == path.resolve()
    assert "7 min" in app.test_client().get("/").get_data(as_text=True)


def test_invalid_instrument_file_stops_start_up(bfi_copy: Callable[..., Path]) -> None:
    bad = bfi_copy(("items: [O1, -O2, O3, O4, -O5]", "items: [O1, -O2, O3, O4, -O6]"))
    line = bad.read_text(encoding="utf-8").splitlines().index("    items: [O1, -O2, O3, O4, -O6]")
    with pytest.raises(InstrumentError) as info:
        create_app({"INSTRUMENT_FILES": [bad]})
    message = str(info.value)
    assert f"{bad}:{line + 1}:" in message
    assert "unknown item 'O6' in scale 'openness'" in message
    assert [(p.file, p.line) for p in info.value.problems] == [(str(bad), line + 1)]


def test_invalid_file_among_valid_ones_stops_start_up(
    bfi_copy: Callable[..., Path], tmp_path: Path
) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: broken\nversion: 2\n  items: [\n", encoding="utf-8")
    with pytest.raises(InstrumentError) as info:
        create_app({"INSTRUMENT_FILES": [bfi_copy(), bad]})
    (problem,) = info.value.problems
    assert problem.file == str(bad)
    assert problem.line is not None
    assert "YAML syntax error" in problem.message
    assert f"{bad}:{problem.line}: YAML syntax error" in str(info.value)


def test_extra_instrument_dir_is_validated(tmp_path: Path, bfi_copy: Callable[..., Path]) -> None:
    bfi_copy(('version: "1.0.0"', "version: 1.0"), folder="centre")
    with pytest.raises(InstrumentError) as info:
        create_app({"EXTRA_INSTRUMENT_DIR": str(tmp_path / "centre")})
    assert "version must be a string" in str(info.value)
    assert str(tmp_path / "centre" / "ipip-bfi-25.yaml") in str(info.value)


def test_instrument_files_from_the_environment(
    bfi_copy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``BOUSSOLE_INSTRUMENT_FILES`` is a path (list separated by os.pathsep), not a list."""
    bad = bfi_copy(('version: "1.0.0"', "version: 1.0"))
    monkeypatch.setenv("BOUSSOLE_INSTRUMENT_FILES", str(bad))
    try:
        create_app()
    except InstrumentError as exc:
        assert [p.file for p in exc.problems] == [str(bad)]
    except OSError as exc:
        pytest.fail(f"the variable was read character by character: {exc!r}")
    else:
        pytest.fail("an invalid instrument named in the environment did not stop start-up")
