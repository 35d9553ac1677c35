"""Browser tests: Playwright (sync API) driving Debian's Chromium against a live server.

What these tests need beyond the Python packages: ``/usr/bin/chromium`` (Debian package
``chromium``) and ``node_modules/axe-core/axe.min.js`` (npm). ``bash tools/install-test-deps.sh``
installs both. When one is missing the whole folder is skipped with the reason, unless
``BOUSSOLE_REQUIRE_BROWSER`` is set (CI sets it): then a missing browser is a failure.

The server is the real app (CSRF on, as in production) on a migrated temporary SQLite
database, served by werkzeug on 127.0.0.1 in a thread, once per test session; every test
creates its own beneficiary, so tests never share answers.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

try:  # re-exported for the test modules, which thus import without Playwright installed
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
except ImportError:  # then every test here is skipped (or fails): see MISSING
    expect = None

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ARTIFACTS = HERE / "artifacts"
CHROMIUM = Path(os.environ.get("BOUSSOLE_CHROMIUM", "/usr/bin/chromium"))
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REQUIRED = bool(os.environ.get("BOUSSOLE_REQUIRE_BROWSER"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "mot-de-passe-de-test"


#: How long a step may wait for the page (milliseconds).
WAIT_MS = 20_000


def _missing() -> list[str]:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (Debian package 'chromium')")
    if not AXE_JS.exists():
        missing.append(f"{AXE_JS.relative_to(ROOT)} (npm install --no-save axe-core)")
    try:
        playwright = importlib.util.find_spec("playwright")
    except (ImportError, ValueError):
        playwright = None
    if playwright is None:
        missing.append("the Python package 'playwright' (pip install -e '.[test]')")
    return missing


MISSING = _missing()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium through Playwright (slower)")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark this folder's tests ``browser``; skip them when the browser is missing."""
    skip = None
    if MISSING and not REQUIRED:
        skip = pytest.mark.skip(
            reason="browser tests need "
            + " and ".join(MISSING)
            + ": run `bash tools/install-test-deps.sh` (set BOUSSOLE_REQUIRE_BROWSER=1"
            " to make this a failure)"
        )
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
            if skip is not None:
                item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)  # lets the page fixture see a failure
    return report


# --- the live server -----------------------------------------------------------------


@contextmanager
def _without_boussole_environment() -> Iterator[None]:
    """``create_app`` reads ``BOUSSOLE_*`` variables; the test app must not see the caller's."""
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("BOUSSOLE_"):
                mp.delenv(key)
        yield


@dataclass
class LiveServer:
    url: str
    app: Any  # flask.Flask
    _binding: tuple[Any, Any] = field(repr=False)

    def bind(self) -> None:
        """``service.extensions.db`` is one object per process, bound by the last
        ``create_app``: if another test created an app since (a mixed run), point it back
        at the live database."""
        from service.extensions import db

        if db.engine is not self._binding[0]:
            db.engine, db._factory = self._binding

    @contextmanager
    def session(self) -> Iterator[Any]:
        """A database session on the live app's database (committed on success)."""
        from service.extensions import db

        self.bind()
        with self.app.app_context(), db.standalone() as s:
            yield s


@pytest.fixture(scope="session")
def _live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if MISSING:  # only reached when BOUSSOLE_REQUIRE_BROWSER is set
        pytest.fail(
            "BOUSSOLE_REQUIRE_BROWSER is set but the browser tests cannot run; missing: "
            + ", ".join(MISSING)
        )
    from werkzeug.serving import make_server

    from service.app import create_app
    from service.extensions import db
    from service.migrate import upgrade

    folder = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{folder / 'boussole.sqlite'}"
    upgrade(url)
    with _without_boussole_environment():
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "browser-tests-secret-key-not-for-production-use",
                "RATELIMIT_ENABLED": False,  # every test signs in from 127.0.0.1
                "MAIL_FOLDER": str(folder / "mail"),
            }
        )
    werkzeug_log = logging.getLogger("werkzeug")
    log_level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    live = LiveServer(
        url=f"http://127.0.0.1:{server.server_port}",
        app=app,
        _binding=(db.engine, db._factory),
    )
    try:
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        live._binding[0].dispose()  # close its pooled connections, whoever db points at now
        werkzeug_log.setLevel(log_level)


@pytest.fixture
def live_server(_live_server: LiveServer) -> LiveServer:
    """The running server (see :meth:`LiveServer.bind`)."""
    _live_server.bind()
    return _live_server


# --- people and their questionnaires ---------------------------------------------------

_serial = itertools.count(1)
_PASSWORD_HASH: dict[str, str] = {}  # argon2 is slow on purpose: hash once per session


@dataclass
class Person:
    """A beneficiary created for one test, with one bilan and its assignments."""

    server: LiveServer
    id: int
    bilan: int
    counsellor: int
    assignments: dict[str, int]  # instrument id -> assignment id
    email: str
    counsellor_email: str
    password: str = PASSWORD

    def invitation_url(self, *, days: int = 14) -> str:
        """A fresh single-use invitation link (as the counsellor would send)."""
        from service.features.accounts.invitations import create_invitation
        from service.models import Beneficiary

        with self.server.session() as s:
            person = s.get(Beneficiary, self.id)
            assert person is not None
            token = create_invitation(s, person, days=days)
        return f"{self.server.url}/invitation/{token}"

    def sign_in(self, page: Any) -> None:
        """Open a fresh invitation link in ``page``: lands on the beneficiary's home."""
        open_invitation(page, self.invitation_url())
        assert page.url.endswith("/espace/"), page.url

    def consent(self, *, accepted: bool = True) -> None:
        """Record a consent decision directly (for tests that start past the consent page)."""
        from service.features.journey.consent import CONSENT_VERSION
        from service.models import Consent

        with self.server.session() as s:
            s.add(
                Consent(
                    bilan_id=self.bilan,
                    beneficiary_id=self.id,
                    text_version=CONSENT_VERSION,
                    accepted=accepted,
                )
            )

    def give_answers(self, instrument_id: str, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        """Store a valid answer to every item but ``skip`` (as if given earlier); returns them."""
        from service.models import Answer, Assignment

        instrument = self.server.app.extensions["boussole.instruments"][instrument_id]
        answers = {k: v for k, v in valid_answers(instrument).items() if k not in skip}
        assignment_id = self.assignments[instrument_id]
        with self.server.session() as s:
            s.add_all(
                Answer(assignment_id=assignment_id, item_id=k, value=v) for k, v in answers.items()
            )
            assignment = s.get(Assignment, assignment_id)
            assert assignment is not None
            assignment.status = "in_progress"
        return answers


def valid_answers(instrument: Any) -> dict[str, Any]:
    """A valid answer to each item: the first option, the minimum, a short text, and ranks
    1..n in the order of each ranking block."""
    answers: dict[str, Any] = {}
    rank: dict[str | None, int] = {}
    for item in instrument.items:
        fmt = instrument.formats[item.format]
        if fmt.type == "ranking":
            rank[item.block] = rank.get(item.block, 0) + 1
            answers[item.id] = rank[item.block]
        elif fmt.type == "free_text":
            answers[item.id] = "Une réponse libre."
        elif fmt.type == "multiple_choice":
            answers[item.id] = [int(fmt.options[0].value)]
        elif fmt.options:
            answers[item.id] = int(fmt.options[0].value)
        else:
            answers[item.id] = int(fmt.minimum or 0)
    return answers


def create_person(
    server: LiveServer, *instrument_ids: str, show_results_now: bool = False
) -> Person:
    """A new centre, counsellor, beneficiary (email and password set) and bilan, with one
    assignment per instrument."""
    from service.models import Assignment, Beneficiary, Bilan, Centre, StaffUser
    from service.security import hash_password

    instruments = server.app.extensions["boussole.instruments"]
    if PASSWORD not in _PASSWORD_HASH:
        _PASSWORD_HASH[PASSWORD] = hash_password(PASSWORD)
    password_hash = _PASSWORD_HASH[PASSWORD]
    n = next(_serial)
    with server.session() as s:
        centre = Centre(name=f"Centre {n}")
        s.add(centre)
        s.flush()
        counsellor = StaffUser(
            centre_id=centre.id,
            email=f"conseil{n}@test.fr",
            name="Claire Dubois",
            role="counsellor",
            password_hash=password_hash,
        )
        person = Beneficiary(
            centre_id=centre.id,
            first_name="Camille",
            last_name="Martin",
            email=f"camille{n}@test.fr",
            password_hash=password_hash,
        )
        s.add_all([counsellor, person])
        s.flush()
        bilan = Bilan(centre_id=centre.id, beneficiary_id=person.id)
        bilan.counsellors.append(counsellor)
        s.add(bilan)
        s.flush()
        assignments = {}
        for iid in instrument_ids:
            a = Assignment(
                bilan_id=bilan.id,
                instrument_id=iid,
                instrument_version=instruments[iid].version,
                show_results_now=show_results_now,
            )
            s.add(a)
            s.flush()
            assignments[iid] = a.id
        return Person(
            server=server,
            id=person.id,
            bilan=bilan.id,
            counsellor=counsellor.id,
            assignments=assignments,
            email=person.email or "",
            counsellor_email=counsellor.email,
        )


def create_counsellor(
    server: LiveServer, name: str = "Hélène Garnier", *, role: str = "counsellor"
) -> str:
    """A counsellor (or, with ``role="admin"``, a centre admin) alone in a new centre (no
    bilan yet), password ``PASSWORD``; returns the email, to sign in at /connexion."""
    from service.models import Centre, StaffUser
    from service.security import hash_password

    if PASSWORD not in _PASSWORD_HASH:
        _PASSWORD_HASH[PASSWORD] = hash_password(PASSWORD)
    n = next(_serial)
    with server.session() as s:
        centre = Centre(name=f"Centre {n}")
        s.add(centre)
        s.flush()
        email = f"conseil{n}@test.fr"
        s.add(
            StaffUser(
                centre_id=centre.id,
                email=email,
                name=name,
                role=role,
                password_hash=_PASSWORD_HASH[PASSWORD],
            )
        )
    return email


@pytest.fixture
def make_person(live_server: LiveServer) -> Callable[..., Person]:
    """``make_person("ipip-bfi-25", ..., show_results_now=False)``: see :func:`create_person`."""

    def make(*instrument_ids: str, show_results_now: bool = False) -> Person:
        return create_person(live_server, *instrument_ids, show_results_now=show_results_now)

    return make


# --- the browser ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(_live_server: LiveServer) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        try:
            chromium = pw.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        except Exception as exc:  # a broken install must say so, skip or not
            pytest.fail(f"cannot start {CHROMIUM}: {exc}")
        yield chromium
        chromium.close()


@dataclass
class Opened:
    """A browser context with one page, and the uncaught JavaScript errors seen so far."""

    context: Any
    page: Any
    js_errors: list[str] = field(default_factory=list)


def open_page(browser: Any, server: LiveServer, **options: Any) -> Opened:
    """A page in a fresh browser context (no cookies: a new device): 1280x900, French
    locale, base URL of the live server, unless ``options`` say otherwise."""
    settings: dict[str, Any] = {
        "viewport": {"width": 1280, "height": 900},
        "locale": "fr-FR",
        "base_url": server.url,
    }
    settings.update(options)
    context = browser.new_context(**settings)
    # A wait bound, not a speed check (speed is measured in bench/): on a loaded 2-core
    # machine a page that renders charts can take several seconds.
    context.set_default_timeout(WAIT_MS)
    opened = Opened(context=context, page=context.new_page())
    opened.page.on("pageerror", lambda exc: opened.js_errors.append(f"{opened.page.url}: {exc}"))
    opened.page.on("console", lambda message: _csp_violation(opened, message))
    return opened


def _csp_violation(opened: Opened, message: Any) -> None:
    """A style, script or image the Content-Security-Policy blocked: Chromium says so on
    the console ("Refused to ... Content Security Policy"); it fails the test like an
    uncaught error."""
    if "Content Security Policy" in message.text:
        opened.js_errors.append(f"{opened.page.url}: {message.text}")


def _screenshot_failure(request: pytest.FixtureRequest, pages: list[Any]) -> None:
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    for i, page in enumerate(pages):
        with contextlib.suppress(Exception):  # the page may be closed already
            page.screenshot(path=ARTIFACTS / f"FAILED-{request.node.name}-{i}.png", full_page=True)


@pytest.fixture
def new_page(
    browser: Any, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """``new_page(viewport=..., **context_options)``: a page in a fresh browser context.
    Uncaught JavaScript errors and Content-Security-Policy violations fail the test; on
    failure a screenshot of every open page goes to tests/browser/artifacts/."""
    opened: list[Opened] = []

    def make(**options: Any) -> Any:
        opened.append(open_page(browser, live_server, **options))
        return opened[-1].page

    yield make
    _screenshot_failure(request, [p for o in opened for p in o.context.pages])
    for o in opened:
        o.context.close()
    errors = [e for o in opened for e in o.js_errors]
    assert not errors, "uncaught JavaScript errors:\n" + "\n".join(errors)


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """A page in a fresh context: 1280x900, French locale, base URL of the live server."""
    return new_page()


@contextmanager
def shared_page(browser: Any, server: LiveServer, **options: Any) -> Iterator[Opened]:
    """A context kept across the tests of a module (read-only visits: saves a context and
    a sign-in per test). Use with :func:`check_js_errors` in a function-scoped fixture."""
    opened = open_page(browser, server, **options)
    try:
        yield opened
    finally:
        opened.context.close()


def open_invitation(page: Any, url: str) -> None:
    """Open an invitation link as a person does: the page, then its button, pressed with
    the keyboard (the GET alone uses nothing, so that a mail scanner cannot spend it)."""
    response = page.goto(url)
    assert response is not None and response.ok, response and response.status
    button = page.get_by_role("button", name="Ouvrir mon espace")
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def check_js_errors(opened: Opened, request: pytest.FixtureRequest) -> None:
    """After a test on a shared page: screenshot on failure, fail on uncaught JS errors."""
    _screenshot_failure(request, [opened.page])
    errors, opened.js_errors[:] = list(opened.js_errors), []
    assert not errors, "uncaught JavaScript errors:\n" + "\n".join(errors)


# --- axe-core --------------------------------------------------------------------------

_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html,
                              summary: n.failureSummary}))
  }));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not added as a <script>: the site's
        # Content-Security-Policy refuses inline scripts (and says so on the console).
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(_AXE_RUN, WCAG_TAGS)
    return violations


def format_violations(violations: list[dict[str, Any]], where: str) -> str:
    lines = [f"axe-core: {len(violations)} WCAG 2.1 A/AA violation(s) on {where}"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    at {node['target']}: {node['html'][:160]}")
            summary = (node["summary"] or "").replace("\n", " / ")
            lines.append(f"       {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def check_axe(page: Any, label: str = "") -> None:
    violations = axe_violations(page)
    where = f"{label} ({page.url})" if label else page.url
    assert not violations, format_violations(violations, where)


@pytest.fixture
def axe() -> Callable[..., None]:
    """``axe(page, label="")``: assert that axe-core finds no WCAG 2.1 A/AA violation."""
    return check_axe


# --- small helpers for the tests -------------------------------------------------------


def page_width(page: Any) -> tuple[int, int]:
    """(scrollWidth, clientWidth) of the document: equal when nothing scrolls sideways."""
    sizes: list[int] = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return sizes[0], sizes[1]


@pytest.fixture
def width() -> Callable[[Any], tuple[int, int]]:
    return page_width


def save_screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot to tests/browser/artifacts/<name>.png (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    """``screenshot(page, name)``: tests/browser/artifacts/<name>.png, for review."""
    return save_screenshot
