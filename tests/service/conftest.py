"""Fixtures of the service tests: app, client, CLI runner and file factories."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from instruments import BUILTIN_DIR
from service.app import create_app


@pytest.fixture(autouse=True)
def _no_boussole_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``create_app`` reads ``BOUSSOLE_*`` variables: tests must not see the caller's."""
    import os

    for key in list(os.environ):
        if key.startswith("BOUSSOLE_"):
            monkeypatch.delenv(key)


@pytest.fixture
def app() -> Iterator[Flask]:
    app = create_app({"TESTING": True})
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def bfi_copy(tmp_path: Path) -> Callable[..., Path]:
    """Copy the built-in BFI (and its norms) into a folder, with ``(old, new)`` edits."""

    def make(*edits: tuple[str, str], folder: str = "instruments") -> Path:
        target = tmp_path / folder
        target.mkdir(exist_ok=True)
        shutil.copy(BUILTIN_DIR / "ipip-bfi-25.norms.json", target)
        text = (BUILTIN_DIR / "ipip-bfi-25.yaml").read_text(encoding="utf-8")
        for old, new in edits:
            assert old in text, f"test set-up: {old!r} is not in the built-in file"
            text = text.replace(old, new, 1)
        path = target / "ipip-bfi-25.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return make
