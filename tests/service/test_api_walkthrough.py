"""The worked example of docs/api.md runs as written (issue 14): its script
(docs/examples/api_walkthrough.py, standard library only) against the service on a
loopback port, with its own webhook receiver checking the signatures, while the person
(consent, agreement) and the counsellor (presenting the results) act on their pages."""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import make_server

from service.extensions import db
from service.features.journey.consent import CONSENT_VERSION
from tests.service.conftest import World, helpers
from tests.service.test_api import make_token

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "api_walkthrough.py"


@pytest.fixture
def walkthrough() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_walkthrough", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["api_walkthrough"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def base_url(rome_app: Flask) -> Iterator[str]:
    rome_app.config["PUBLIC_URL"] = "https://boussole.example"
    server = make_server("127.0.0.1", 0, rome_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v1"
    server.shutdown()
    server.server_close()


def _deliver(app: Flask) -> int:
    """What the in-process job runner does (its thread is off under TESTING)."""
    from service.features.webhooks import delivery

    with app.app_context(), db.standalone() as s:
        return delivery.run_due(s)


def test_the_worked_example_runs_as_documented(
    rome_app: Flask, world: World, walkthrough: ModuleType, base_url: str
) -> None:
    from service.features.api import tokens
    from service.features.webhooks import service as hooks

    raw = make_token(
        rome_app,
        world.centre,
        ("instruments:read", "bilans:write", "answers:write", "results:read"),
        name="Logiciel de gestion XYZ",
    )
    receiver = walkthrough.Receiver(secret="")
    with rome_app.app_context(), rome_app.test_request_context(), db.standalone() as s:
        made = hooks.create_endpoint(
            s,
            centre_id=world.centre,
            url=receiver.url,
            events=["questionnaire.completed", "report.released"],
            created_by=None,
            production=False,
            allow_private=False,
        )
        token_id = tokens.find_token(s, raw).id  # type: ignore[union-attr]
    receiver.secret = made.secret
    api = walkthrough.Api(base_url, raw, timeout=60)

    # 1. the person, the bilan, the interests questionnaire; a retried POST makes nothing twice
    person, bilan = walkthrough.create_bilan(
        api, first_name="Sacha", last_name="Durand", email=None, counsellor_id=world.counsellor
    )
    assignment = walkthrough.assign_interests(api, bilan)
    body = {"first_name": "Lou", "last_name": "Martin", "language": "fr"}
    first = api.call("POST", "/beneficiaries", body, key="une-seule-fois")
    assert api.call("POST", "/beneficiaries", body, key="une-seule-fois") == first  # replayed
    with rome_app.app_context(), db.standalone() as s:
        from sqlalchemy import func, select

        from service.models import Beneficiary

        lous = select(func.count()).where(Beneficiary.first_name == "Lou")
        assert s.scalar(lous) == 1
    link = walkthrough.invitation_link(api, assignment)
    assert link.startswith("https://boussole.example/")

    # 3 before 2: nothing is administered before the person's consent
    answers = walkthrough.paper_answers(api)
    assert len(answers) == 60
    with pytest.raises(walkthrough.ApiError) as refused:
        walkthrough.submit_paper(api, assignment, answers, seconds=900)
    assert refused.value.status == 409

    # 2. the person opens the link, consents, agrees to send results to this software
    person_client = rome_app.test_client()
    helpers.mark_way_chosen(rome_app, person)
    assert helpers.open_invitation(person_client, urlsplit(link).path).status_code == 302
    consented = person_client.post(
        f"/espace/bilans/{bilan}/consentement",
        data={"text_version": CONSENT_VERSION, "accept": "1"},
    )
    assert consented.status_code in (200, 302), consented.get_data(as_text=True)[-3000:]
    agreed = person_client.post(
        f"/espace/bilans/{bilan}/partage-resultats",
        data={"token": str(token_id), "decision": "accept"},
    )
    assert agreed.status_code in (200, 302)

    # 3. the paper form, whole; 4. the signed webhook
    done = walkthrough.submit_paper(api, assignment, answers, seconds=900)
    assert done["status"] == "completed" and done["scored"] is True
    assert _deliver(rome_app) == 1
    event = receiver.wait_for("questionnaire.completed", 10, assignment_id=assignment)
    assert event["data"]["bilan_id"] == bilan and receiver.refused == 0

    # 5. the API follows the person: nothing before the results are presented to them
    with pytest.raises(walkthrough.ApiError) as early:
        walkthrough.holland_and_pistes(api, assignment)
    assert early.value.status == 409
    claire = rome_app.test_client()
    helpers.sign_in_staff(claire, "claire@test.fr")
    shown = claire.post(f"/conseil/questionnaires/{assignment}/diffusion", data={"show": "1"})
    assert shown.status_code == 302
    _deliver(rome_app)
    receiver.wait_for("report.released", 10, bilan_id=bilan)
    code, pistes = walkthrough.holland_and_pistes(api, assignment)
    # The stand-in form likes social and artistic activities (the highest option on
    # their items, the middle one elsewhere): S and A lead the code, tied ("[AS]…").
    assert code.startswith("[AS]"), code
    assert pistes and all(p.split(" ", 1)[0].isalnum() for p in pistes)
    receiver.close()


def test_the_signature_check_refuses_a_replay_and_a_forgery(walkthrough: ModuleType) -> None:
    import hashlib
    import hmac

    body = b'{"id": "e1"}'
    stamp = 1_800_000_000
    good = hmac.new(b"whsec_x", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    header = f"t={stamp},v1={good}"
    assert walkthrough.verify_signature("whsec_x", header, body, now=stamp + 10)
    assert not walkthrough.verify_signature("whsec_x", header, body, now=stamp + 301)  # replay
    assert not walkthrough.verify_signature("whsec_y", header, body, now=stamp)  # other secret
    assert not walkthrough.verify_signature("whsec_x", header, body + b" ", now=stamp)
    assert not walkthrough.verify_signature("whsec_x", "v1=" + good, body, now=stamp)
