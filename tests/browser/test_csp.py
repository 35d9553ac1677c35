"""The pages work under the strict Content-Security-Policy (issue 12, section 4): the
report's own style (nonce) and its charts (data: images) are applied, and the browser
does block what the policy forbids, so that the console check of every browser test
(``conftest._csp_violation``) is a real check."""

from __future__ import annotations

import os

import pytest

from .conftest import expect, open_page
from .test_counsellor_journey import sign_in_counsellor

pytestmark = pytest.mark.browser


def test_an_inline_style_is_refused_and_reported(browser, live_server):
    opened = open_page(browser, live_server)
    try:
        page = opened.page
        page.goto("/connexion")
        colour = page.evaluate(
            """() => { const s = document.createElement('style');
                       s.textContent = 'body { background: rgb(1, 2, 3) !important; }';
                       document.head.appendChild(s);
                       return getComputedStyle(document.body).backgroundColor; }"""
        )
        assert colour != "rgb(1, 2, 3)"
        page.wait_for_timeout(200)
        assert any("Content Security Policy" in e for e in opened.js_errors), opened.js_errors
        # The site's own stylesheet is applied (a file of this site).
        sheets = page.evaluate("document.styleSheets.length")
        assert sheets >= 1
    finally:
        opened.context.close()


def test_the_restitution_report_keeps_its_style_and_charts(new_page, make_person):
    person = make_person("ipip-bfi-25", show_results_now=True)
    person.consent()
    person.give_answers("ipip-bfi-25")
    from .test_accessibility import finish

    page = new_page()
    person.sign_in(page)
    finish(page, person, "ipip-bfi-25")
    staff = new_page()
    sign_in_counsellor(staff, person.counsellor_email)
    staff.goto(f"/conseil/bilans/{person.bilan}/rapport")
    page = staff
    expect(page.locator("h1")).to_contain_text("Rapport de restitution")
    # The inline style block (with its nonce) applied: the title is in the report's blue.
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") == (
        "rgb(11, 79, 156)"
    )
    widths = page.evaluate("[...document.images].map(i => i.naturalWidth)")
    assert widths and all(w > 0 for w in widths), widths
    shots = os.environ.get("BOUSSOLE_SCREENSHOTS")
    if shots:
        for width in (375, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=f"{shots}/report-{width}.png")
