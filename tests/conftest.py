"""Shared fixtures: the reference data folder (skips cleanly when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# Property tests check results, not speed (speed is measured in bench/): no per-example
# deadline, which a loaded CI machine would turn into random failures.
settings.register_profile("boussole", deadline=None)
settings.load_profile("boussole")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
GOLDEN = ROOT / "tests" / "scoring" / "golden"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Two things, in one hook (a module holds one function of a name).

    The contract tests (marker ``contract``, a few minutes) run only when ``-m`` names
    them: .ci/run runs them as their own step; the README's command and the floors run
    leave them out (deselected, not skipped).

    The tests marked ``slow`` (tens of seconds to minutes each) run first, in their
    order. Under pytest-xdist (the README runs ``-n auto``; pyproject's ``--dist
    worksteal`` lets an idle worker take tests queued on another) a long test started
    last would keep its worker busy while the other has nothing left: the wall clock."""
    if "contract" not in (config.getoption("markexpr") or ""):
        left_out = [item for item in items if item.get_closest_marker("contract") is not None]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if item.get_closest_marker("contract") is None]
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # a stable sort


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


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with production costs takes ~0.5 s per hash: tests use cheap parameters
    (the algorithm and the code paths are the same)."""
    from argon2 import PasswordHasher

    from service import security

    monkeypatch.setattr(
        security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
