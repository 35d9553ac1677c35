"""The beneficiary's results page on a phone (375 px): summary first, facets folded under
their domain and opened with the keyboard alone, axe-core clean (issue 11: the SPI page was
about 26 phone screens long, with T scores, means and percentiles mixed)."""

from __future__ import annotations

import re

from .conftest import expect
from .test_accessibility import finish

PHONE = {"width": 375, "height": 740}


def _spi_results(new_page, make_person):
    person = make_person("spi-135", show_results_now=True)
    person.consent()
    person.give_answers("spi-135")
    page = new_page(viewport=PHONE)
    person.sign_in(page)
    finish(page, person, "spi-135")
    page.goto(f"/espace/questionnaires/{person.assignments['spi-135']}/resultats")
    return page


def test_spi_results_at_375px_summary_first_facets_folded_axe_clean(new_page, make_person, axe):
    page = _spi_results(new_page, make_person)
    expect(page.locator("h1")).to_contain_text("Mes résultats")
    # The summary comes before the chart and the detail.
    order = page.evaluate(
        """() => ['.summary', 'figure.chart', 'section.scale']
             .map(s => document.querySelector(s).getBoundingClientRect().top)"""
    )
    assert order == sorted(order)
    # Five domains, each with its facets folded: no facet text visible at first.
    expect(page.locator("section.scale")).to_have_count(5)
    folded = page.locator("details.facets")
    assert folded.count() >= 4
    for k in range(folded.count()):
        expect(folded.nth(k)).not_to_have_attribute("open", re.compile(".*"))
    expect(page.locator("details.facets h4").first).to_be_hidden()
    # One metric: the T score is not on the person's page.
    expect(page.get_by_text("Note T")).to_have_count(0)
    # Much shorter than the 26 screens seen before (folded facets).
    screens = page.evaluate("document.documentElement.scrollHeight") / PHONE["height"]
    assert screens < 12, screens
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    axe(page, "SPI results at 375 px, facets folded")


def test_facets_open_with_the_keyboard_alone(new_page, make_person, axe):
    page = _spi_results(new_page, make_person)
    first = page.locator("details.facets").first
    summary = first.locator("summary")
    # Tab from the top of the page until the first facets' summary has the focus.
    page.locator("body").focus()
    for _ in range(60):
        page.keyboard.press("Tab")
        if summary.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("the facets' summary cannot be reached with Tab")
    page.keyboard.press("Enter")
    expect(first).to_have_attribute("open", "")
    expect(first.locator("h4").first).to_be_visible()
    axe(page, "SPI results, one domain's facets opened")
    page.keyboard.press("Enter")
    expect(first.locator("h4").first).to_be_hidden()
