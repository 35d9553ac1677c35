"""Shared fixtures: the reference data folder (skips cleanly when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
GOLDEN = ROOT / "tests" / "scoring" / "golden"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests using it are skipped when it is absent (a user's machine)."""
    if not (SHARED_DATA / "bfi.csv").exists():
        pytest.skip("../shared/data is absent: reference-data tests are skipped")
    return SHARED_DATA


@pytest.fixture(scope="session")
def bfi_instrument():
    from instruments import BUILTIN_DIR, load_instrument

    return load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")
