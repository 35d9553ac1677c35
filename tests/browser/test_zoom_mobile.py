"""Pages reflow at 200% zoom and on a 375-pixel-wide phone: nothing scrolls sideways and
every answer option can be seen and reached (WCAG 1.4.10 Reflow, 1.4.4 Resize text).

200% zoom is emulated as the browser does it: a 1280x900 window at 200% lays the page out
in 640x450 CSS pixels, drawn at 2 device pixels per CSS pixel. Full-page screenshots are
saved to tests/browser/artifacts/ (git-ignored) for review.
"""

from __future__ import annotations

import re

import pytest

from .conftest import check_js_errors, create_person, expect, shared_page

ZOOM_200 = {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2}
PHONE = {
    "viewport": {"width": 375, "height": 667},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
SCREENS = pytest.mark.parametrize("screen", [ZOOM_200, PHONE], ids=["zoom200", "phone375"])
# One page of each kind of item: (instrument, page number, what it shows).
QUESTIONNAIRE_PAGES = [
    ("ipip-bfi-25", 1, "likert6"),
    ("riasec-60", 1, "rating"),
    ("suivi-6-mois", 1, "choice-text-number"),
    ("valeurs-travail", 5, "ranking"),
]


def assert_no_sideways_scroll(page, width, what: str) -> None:
    scroll, client = width(page)
    assert scroll <= client + 1, (
        f"{what}: the page scrolls sideways ({scroll}px of content in {client}px);"
        " elements reaching beyond the right edge: " + ", ".join(beyond_edge(page, client))
    )


def beyond_edge(page, client: int) -> list[str]:
    """Elements reaching beyond the right edge, to say what to fix."""
    found: list[str] = page.evaluate(
        """(limit) => Array.from(document.querySelectorAll('body *'))
          .filter(e => e.getBoundingClientRect().right > limit + 1)
          .slice(0, 8)
          .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                    + (typeof e.className === 'string' && e.className.trim()
                       ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                    + ' (right edge at ' + Math.round(e.getBoundingClientRect().right) + 'px)')""",
        client,
    )
    return found


_REACH = """(limit) => {
  const problems = [];
  const controls = document.querySelectorAll(
    '#questionnaire input:not([type=hidden]), #questionnaire select,'
    + ' #questionnaire textarea, #questionnaire button:not([hidden])');
  for (const e of controls) {
    const name = e.id || (e.name + '=' + (e.value || e.textContent.trim()));
    e.focus();
    e.scrollIntoView({block: 'nearest', inline: 'nearest'});
    if (document.activeElement !== e) problems.push(name + ': does not take the focus');
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) { problems.push(name + ': not displayed'); continue; }
    if (r.left < 0 || r.right > limit + 1)
      problems.push(name + ': spans x=' + Math.round(r.left) + '..' + Math.round(r.right));
    if (r.top < 0 || r.bottom > window.innerHeight + 1)
      problems.push(name + ': cannot be scrolled into view');
    for (const l of (e.labels || [])) {
      const b = l.getBoundingClientRect();
      if (b.width === 0 || b.left < 0 || b.right > limit + 1)
        problems.push('label of ' + name + ': spans x=' + Math.round(b.left) + '..'
                      + Math.round(b.right));
    }
  }
  document.activeElement.blur();
  window.scrollTo(0, 0);
  return [controls.length, problems];
}"""


def assert_controls_within_reach(page, width_px: int) -> None:
    """Every answer control, its labels and the navigation buttons take the focus, can be
    scrolled into view and lie entirely inside the viewport's width."""
    count, problems = page.evaluate(_REACH, width_px)
    assert count > 0
    assert not problems, "answer controls out of reach:\n" + "\n".join(problems)


@SCREENS
def test_public_pages_reflow(new_page, width, screenshot, screen, request):
    page = new_page(**screen)
    for name, path in (
        ("home", "/"),
        ("login", "/connexion"),
        ("invitation-invalid", "/invitation/ce-lien-n-existe-pas"),
    ):
        page.goto(path)
        screenshot(page, f"public-{request.node.callspec.id}-{name}")
        assert_no_sideways_scroll(page, width, path)


@pytest.fixture(scope="module", params=[ZOOM_200, PHONE], ids=["zoom200", "phone375"])
def _questionnaires_on_screen(request, browser, _live_server):
    """A signed-in beneficiary on a small screen, the four questionnaires assigned."""
    person = create_person(_live_server, *sorted({i for i, _, _ in QUESTIONNAIRE_PAGES}))
    person.consent()
    with shared_page(browser, _live_server, **request.param) as opened:
        person.sign_in(opened.page)
        yield request.param, person, opened


@pytest.fixture
def questionnaires_on_screen(_questionnaires_on_screen, live_server, request):
    screen, person, opened = _questionnaires_on_screen
    yield screen, person, opened.page
    check_js_errors(opened, request)


@pytest.mark.parametrize(
    ("instrument_id", "number", "kind"),
    QUESTIONNAIRE_PAGES,
    ids=[kind for _, _, kind in QUESTIONNAIRE_PAGES],
)
def test_questionnaire_page_reflows(
    questionnaires_on_screen, width, screenshot, instrument_id, number, kind, request
):
    screen, person, page = questionnaires_on_screen
    page.goto(f"/espace/questionnaires/{person.assignments[instrument_id]}/page/{number}")
    expect(page.locator("#questionnaire")).to_be_visible()
    screenshot(page, f"questionnaire-{request.node.callspec.id}")
    assert_no_sideways_scroll(page, width, f"{instrument_id} page {number}")
    assert_controls_within_reach(page, screen["viewport"]["width"])


@SCREENS
def test_journey_pages_reflow(new_page, make_person, width, screenshot, screen, request):
    """Home, consent, instructions, an error state, thank-you and results pages."""
    tag = request.node.callspec.id
    person = make_person("valeurs-travail", "ipip-bfi-25", show_results_now=True)
    page = new_page(**screen)
    person.sign_in(page)

    def check(name: str) -> None:
        screenshot(page, f"journey-{tag}-{name}")
        assert_no_sideways_scroll(page, width, name)

    check("home")
    page.goto(f"/espace/bilans/{person.bilan}/consentement")
    check("consent")
    page.get_by_role("button", name="J’accepte que mes réponses soient recueillies").click()
    expect(page).to_have_url(re.compile(r"/espace/$"))
    page.goto(f"/espace/questionnaires/{person.assignments['valeurs-travail']}")
    check("instructions")

    page.goto(f"/espace/questionnaires/{person.assignments['valeurs-travail']}/page/5")
    page.locator("select").nth(0).select_option("1")
    with page.expect_navigation():
        page.get_by_role("button", name="Terminer").click()  # ranking incomplete
    expect(page.locator("#error-summary")).to_be_visible()
    check("ranking-error")

    person.give_answers("ipip-bfi-25")
    page.goto(f"/espace/questionnaires/{person.assignments['ipip-bfi-25']}/page/5")
    with page.expect_navigation():
        page.get_by_role("button", name="Terminer").click()
    expect(page).to_have_url(re.compile(r"/merci$"))
    check("thanks")
    page.get_by_role("link", name="Voir mes résultats").click()
    expect(page).to_have_url(re.compile(r"/resultats$"))
    check("results")
