"""The webhook pages (issue 14): axe-core finds no violation, they fit a 375-pixel screen,
an endpoint is added with the keyboard (its secret shown once), a test event is delivered
by the server's own job thread to a receiver on loopback, and the log shows it."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .conftest import create_counsellor, expect
from .test_admin_pages import sign_in
from .test_full_bilan import checked, fits_phone

SHOTS = Path("/tmp/shots-webhooks")


@pytest.fixture
def hook_receiver() -> Iterator[tuple[str, list[bytes]]]:
    got: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/boussole", got
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("width", [1280, 375])
def test_webhook_pages(new_page, live_server, axe, width, hook_receiver):
    url, got = hook_receiver
    axe = checked(axe)
    email = create_counsellor(live_server, f"Admin webhooks {width}", role="admin")
    page = new_page(viewport={"width": width, "height": 900})
    sign_in(page, email)
    page.goto("/admin/")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    axe(page, f"webhooks ({width}px)")
    # no event chosen: the error summary names the field
    page.get_by_label("Adresse (URL) qui recevra les événements").fill(url)
    page.get_by_role("button", name="Ajouter le webhook").press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#error-summary")).to_contain_text("Choisissez au moins un événement")
    axe(page, f"webhooks with errors ({width}px)")
    page.get_by_label(re.compile("Questionnaire terminé")).press("Space")
    page.get_by_label(re.compile("Bilan terminé")).check()
    page.get_by_role("button", name="Ajouter le webhook").press("Enter")
    page.wait_for_load_state()
    secret = page.get_by_label("Secret de signature").input_value()
    assert re.fullmatch(r"whsec_[0-9a-f]{64}", secret)
    axe(page, f"webhook created ({width}px)")
    if width == 375:
        fits_phone(page, "webhooks")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"webhooks-created-{width}.png"), full_page=True)
    page.goto("/admin/api/webhooks")
    assert secret not in page.content()
    row = page.locator("tr", has_text=url)
    row.get_by_role("button", name=re.compile("Envoyer un test")).press("Enter")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Journal des envois")
    deadline = time.monotonic() + 10
    while not got and time.monotonic() < deadline:  # the server's job thread sends it
        time.sleep(0.05)
    assert len(got) == 1 and b'"type":"webhook.ping"' in got[0]
    for _ in range(50):
        page.reload()
        if "Livré" in page.locator("table").inner_text():
            break
        time.sleep(0.1)
    expect(page.locator("table")).to_contain_text("Livré")
    expect(page.locator("table")).to_contain_text("204")
    axe(page, f"webhook log ({width}px)")
    if width == 375:
        fits_phone(page, "webhook log")
    page.screenshot(path=str(SHOTS / f"webhook-log-{width}.png"), full_page=True)
    page.get_by_role("link", name="← Webhooks").click()
    page.locator("tr", has_text=url).get_by_role("button", name=re.compile("Désactiver")).press(
        "Enter"
    )
    page.wait_for_load_state()
    expect(page.locator("table")).to_contain_text("Désactivé")
    page.screenshot(path=str(SHOTS / f"webhooks-list-{width}.png"), full_page=True)
