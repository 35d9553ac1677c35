"""Idempotent page time in the browser (issue 12, section 6): the autosave's response is
lost after the server stored the answer; the script retries with the same page visit id,
sequence number and seconds, and the page's time is counted once."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from service.models import PageTiming

from .conftest import expect

pytestmark = pytest.mark.browser


def test_a_retried_autosave_counts_its_page_time_once(new_page, make_person):
    person = make_person("ipip-bfi-25")
    person.consent()
    aid = person.assignments["ipip-bfi-25"]
    page = new_page()
    person.sign_in(page)
    bodies: list[dict] = []

    def lose_first_response(route):
        bodies.append(json.loads(route.request.post_data or "{}"))
        if len(bodies) == 1:
            route.fetch()  # the server stores the answer and the time...
            route.abort()  # ...but the response never reaches the page
        else:
            route.continue_()

    page.route("**/reponses", lose_first_response)
    page.goto(f"/espace/questionnaires/{aid}/page/1")
    page.wait_for_timeout(1500)  # some time on the page
    page.locator("#questionnaire [data-item] input[type=radio]").first.check()
    expect(page.locator("#save-status")).to_have_text("Réponse enregistrée.", timeout=20_000)
    assert len(bodies) == 2, bodies
    first, retry = bodies
    assert first["seconds"] >= 1
    for key in ("visit", "seq", "seconds"):
        assert retry[key] == first[key], (key, bodies)
    with person.server.session() as s:
        seconds = s.scalar(
            select(PageTiming.seconds).where(PageTiming.assignment_id == aid, PageTiming.page == 1)
        )
    assert seconds == pytest.approx(first["seconds"])
