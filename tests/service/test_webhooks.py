"""Webhooks (issue 14): events written in the transaction of the change (an outbox), signed
POSTs to a real receiver on loopback, retries with back-off on a fake clock, claims that
never double-send, the admin pages and their access, and the URL rules (SSRF)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.service.conftest import World, helpers
from tests.service.test_counsellor import BFI, complete

T0 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
ALL_EVENTS = [
    "questionnaire.completed",
    "report.released",
    "synthesis.approved",
    "bilan.ended",
    "bilan.data_destroyed",
]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.body)
        return document


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers from a script:
    (status, headers, delay in seconds), then 200."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    script: list[tuple[int, dict[str, str], float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> tuple[int, dict[str, str], float]:
        with self.lock:
            return self.script.pop(0) if self.script else (200, {}, 0.0)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, headers, delay = state.answer()
            with state.lock:
                state.received.append(Received(self.path, dict(self.headers.items()), body))
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:  # the client gave up (timeout)
                pass

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


class Clock:
    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def now() -> Clock:
    """A clock a second after the real time (rows emitted by the domain are due now)."""
    return Clock(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))


def add_endpoint(
    app: Flask, centre: int, url: str, events: list[str] | None = None
) -> tuple[int, str]:
    from service.extensions import db
    from service.features.webhooks import service as hooks

    with app.app_context(), db.standalone() as s:
        new = hooks.create_endpoint(
            s,
            centre_id=centre,
            url=url,
            events=events or ALL_EVENTS,
            created_by=None,
            production=False,
            allow_private=False,
        )
        return new.endpoint.id, new.secret


def run(app: Flask, clock: Clock) -> int:
    from service.extensions import db
    from service.features.webhooks import delivery

    with app.app_context(), db.standalone() as s:
        return delivery.run_due(s, clock=clock)


def deliveries(app: Flask) -> list[dict[str, Any]]:
    from service.extensions import db
    from service.models import WebhookDelivery

    with app.app_context(), db.standalone() as s:
        rows = s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        return [
            {
                "id": d.id,
                "endpoint": d.endpoint_id,
                "type": d.event_type,
                "status": str(d.status),
                "attempts": d.attempts,
                "next": d.next_attempt_at,
                "code": d.last_status_code,
                "error": d.last_error,
            }
            for d in rows
        ]


def check_signature(secret: str, received: Received, now: dt.datetime) -> None:
    """The receiver's check, written here independently of the service's code."""
    header = received.headers["Boussole-Signature"]
    parts = dict(p.split("=", 1) for p in header.split(","))
    t = int(parts["t"])
    assert abs(int(now.timestamp()) - t) <= 300
    expected = hmac.new(
        secret.encode(), str(t).encode() + b"." + received.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)


PRIVATE = ("Camille", "Martin", "Dominique", "@", "score", "mean", "Social", "Artistique")


def _assert_no_content(received: Received) -> None:
    text = received.body.decode()
    for word in PRIVATE:
        assert word not in text, word
    for value in received.json["data"].values():
        assert value is None or isinstance(value, int | bool) or " " not in value


# --- every event, from the domain, signed -------------------------------------------------


def test_each_event_of_the_domain_delivers_one_signed_request_without_content(
    db_app: Flask, world: World, receiver: Receiver
) -> None:
    from service.extensions import db
    from service.features.caseload import service as workspace
    from service.features.followup import service as followup
    from service.features.lifecycle import service as lifecycle
    from service.features.profiles import service as profiles
    from service.features.synthesis import service as synthesis
    from service.models import Assignment, Bilan, StaffUser

    endpoint_id, secret = add_endpoint(db_app, world.centre, receiver.url + "/hook")
    aid = world.assignments[BFI]
    instrument = db_app.extensions["boussole.instruments"][BFI]

    complete(db_app, aid)
    with db_app.test_request_context(), db.standalone() as s:
        a = s.get(Assignment, aid)
        assert a is not None
        workspace.set_released(a, True)
    with db_app.test_request_context(), db.standalone() as s:
        workspace.set_released(s.get(Assignment, aid), True)  # type: ignore[arg-type]  # again
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        profiles.set_report_released(bilan, True)
    with db_app.test_request_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        author = s.get(StaffUser, world.counsellor)
        assert bilan is not None and author is not None
        synthesis.save_draft(s, bilan, author, {"circumstances": "Texte libre secret"})
        synthesis.share(s, bilan)
    with db_app.test_request_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        synthesis.approve(s, bilan, 1)
    with db_app.test_request_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        followup.end_bilan(s, bilan, db_app.extensions["boussole.instruments"], when=T0)
        followup.end_bilan(s, bilan, db_app.extensions["boussole.instruments"], when=T0)
    with db_app.test_request_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        lifecycle.destroy_content(s, bilan, now=T0, reason="erasure")

    assert receiver.received == []  # nothing is sent before the runner runs
    clock = now()
    assert run(db_app, clock) == 6
    got = receiver.received
    assert [r.json["type"] for r in got] == [
        "questionnaire.completed",
        "report.released",  # one questionnaire's results; releasing again sends nothing
        "report.released",  # the whole restitution report
        "synthesis.approved",
        "bilan.ended",  # once, although end_bilan ran twice
        "bilan.data_destroyed",
    ]
    assert [r.json["data"] for r in got] == [
        {
            "assignment_id": aid,
            "bilan_id": world.bilan,
            "instrument_id": BFI,
            "instrument_version": instrument.version,
            "status": "completed",
        },
        {"bilan_id": world.bilan, "assignment_id": aid, "status": "released"},
        {"bilan_id": world.bilan, "assignment_id": None, "status": "released"},
        {"bilan_id": world.bilan, "version": 1, "status": "approved"},
        {"bilan_id": world.bilan, "status": "termine"},
        {"bilan_id": world.bilan, "reason": "erasure", "status": "destroyed"},
    ]
    for r in got:
        assert r.path == "/hook"
        check_signature(secret, r, clock.now)
        _assert_no_content(r)
        assert r.headers["Boussole-Event"] == r.json["type"]
        assert r.headers["Content-Type"] == "application/json"
        assert set(r.json) == {"id", "type", "created_at", "data"}
        assert dt.datetime.fromisoformat(r.json["created_at"]).utcoffset() == dt.timedelta(0)
    assert len({r.json["id"] for r in got}) == 6
    assert [d["status"] for d in deliveries(db_app)] == ["delivered"] * 6
    assert {r.headers["Boussole-Delivery"] for r in got} == {
        str(d["id"]) for d in deliveries(db_app)
    }
    assert run(db_app, clock) == 0  # delivered once
    assert len(receiver.received) == 6
    assert endpoint_id


def test_an_anonymous_questionnaire_emits_nothing(
    db_app: Flask, world: World, receiver: Receiver
) -> None:
    from service.extensions import db
    from service.features.followup import service as followup
    from service.models import Bilan

    add_endpoint(db_app, world.centre, receiver.url, ["questionnaire.completed"])
    with db_app.test_request_context(), db.standalone() as s:
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        ended = followup.end_bilan(s, bilan, db_app.extensions["boussole.instruments"], when=T0)
        assert ended.satisfaction is not None
        satisfaction = ended.satisfaction.id
    complete(db_app, satisfaction)
    assert deliveries(db_app) == []


def test_a_rolled_back_change_sends_nothing(
    db_app: Flask, world: World, receiver: Receiver
) -> None:
    from service.extensions import db
    from service.features.profiles import service as profiles
    from service.models import Bilan

    add_endpoint(db_app, world.centre, receiver.url)
    with db_app.test_request_context():
        s = db.session
        bilan = s.get(Bilan, world.bilan)
        assert bilan is not None
        profiles.set_report_released(bilan, True)
        s.flush()
        assert len(deliveries(db_app)) == 0  # not visible outside the transaction
        s.rollback()
    assert run(db_app, now()) == 0
    assert deliveries(db_app) == [] and receiver.received == []


def test_another_centre_s_events_never_reach_this_centre_and_inactive_gets_nothing(
    db_app: Flask, world: World, receiver: Receiver
) -> None:
    from service.extensions import db
    from service.features.profiles import service as profiles
    from service.features.webhooks import service as hooks
    from service.models import Bilan, WebhookEndpoint

    other = helpers.other_centre(db_app, beneficiary=True)
    add_endpoint(db_app, world.centre, receiver.url + "/ours")
    add_endpoint(db_app, other.centre, receiver.url + "/theirs")
    off, _secret = add_endpoint(db_app, world.centre, receiver.url + "/off")
    only_ended, _s = add_endpoint(db_app, world.centre, receiver.url + "/ended", ["bilan.ended"])
    with db_app.app_context(), db.standalone() as s:
        endpoint = s.get(WebhookEndpoint, off)
        assert endpoint is not None
        hooks.set_active(endpoint, False)
    with db_app.test_request_context(), db.standalone() as s:
        for bilan_id in (world.bilan, other.bilan):
            bilan = s.get(Bilan, bilan_id)
            assert bilan is not None
            profiles.set_report_released(bilan, True)
    assert run(db_app, now()) == 2
    paths = sorted((r.path, r.json["data"]["bilan_id"]) for r in receiver.received)
    assert paths == [("/ours", world.bilan), ("/theirs", other.bilan)]
    assert only_ended not in {d["endpoint"] for d in deliveries(db_app)}


# --- retries ------------------------------------------------------------------------------


def _one_delivery(app: Flask, world: World, receiver: Receiver) -> None:
    from service.extensions import db
    from service.features.webhooks import service as hooks

    add_endpoint(app, world.centre, receiver.url)
    with app.app_context(), db.standalone() as s:
        hooks.emit(s, world.centre, "bilan.ended", {"bilan_id": world.bilan}, now=T0)


def test_500_then_200_is_retried_after_a_minute_and_delivered_once(
    db_app: Flask, world: World, receiver: Receiver
) -> None:
    _one_delivery(db_app, world, receiver)
    receiver.script = [(500, {}, 0.0)]
    clock = Clock()
    assert run(db_app, clock) == 1
    [d] = deliveries(db_app)
    assert (d["status"], d["attempts"], d["code"], d["next"]) == (
        "pending",
        1,
        500,
        T0 + dt.timedelta(minutes=1),
    )
    assert d["error"] == "HTTP 500"
    clock.advance(seconds=59)
    assert run(db_app, clock) == 0
    clock.advance(seconds=1)
    assert run(db_app, clock) == 1
    [d] = deliveries(db_app)
    assert (d["status"], d["attempts"], d["code"], d["error"]) == ("delivered", 2, 200, None)
    clock.advance(hours=24)
    assert run(db_app, clock) == 0
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body  # the same event
    assert receiver.received[0].json["id"] == receiver.received[1].json["id"]


def test_timeouts_are_retried_with_back_off_then_failed(
    db_app: Flask, world: World, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.features.webhooks import delivery

    monkeypatch.setattr(delivery, "TIMEOUT", 0.1)
    _one_delivery(db_app, world, receiver)
    receiver.script = [(200, {}, 0.4)] * 6
    clock = Clock()
    waits = [60, 300, 1800, 7200, 43200]  # 1 min, 5 min, 30 min, 2 h, 12 h
    for attempt, wait in enumerate(waits, start=1):
        assert run(db_app, clock) == 1
        [d] = deliveries(db_app)
        assert d["status"] == "pending" and d["attempts"] == attempt
        assert d["code"] is None and "délai" in d["error"]
        assert d["next"] == clock.now + dt.timedelta(seconds=wait)
        clock.advance(seconds=wait - 1)
        assert run(db_app, clock) == 0  # not yet
        clock.advance(seconds=1)
    assert run(db_app, clock) == 1  # the 6th and last attempt
    [d] = deliveries(db_app)
    assert (d["status"], d["attempts"], d["next"]) == ("failed", 6, None)
    clock.advance(days=2)
    assert run(db_app, clock) == 0
    assert len(receiver.received) == 6


def test_410_fails_at_once_and_429_honours_retry_after(
    db_app: Flask, world: World, receiver: Receiver
) -> None:
    _one_delivery(db_app, world, receiver)
    receiver.script = [(410, {}, 0.0)]
    clock = Clock()
    assert run(db_app, clock) == 1
    [d] = deliveries(db_app)
    assert (d["status"], d["attempts"], d["code"], d["next"]) == ("failed", 1, 410, None)
    clock.advance(days=1)
    assert run(db_app, clock) == 0
    assert len(receiver.received) == 1
    # a 429 with Retry-After: 120 waits 2 minutes, not the 1 minute of the schedule
    from service.extensions import db
    from service.features.webhooks import service as hooks

    with db_app.app_context(), db.standalone() as s:
        hooks.emit(s, world.centre, "bilan.ended", {"bilan_id": world.bilan}, now=clock.now)
    receiver.script = [(429, {"Retry-After": "120"}, 0.0)]
    assert run(db_app, clock) == 1
    d = deliveries(db_app)[1]
    assert (d["status"], d["code"], d["next"]) == (
        "pending",
        429,
        clock.now + dt.timedelta(seconds=120),
    )


def test_a_redirect_is_not_followed(db_app: Flask, world: World, receiver: Receiver) -> None:
    _one_delivery(db_app, world, receiver)
    receiver.script = [(302, {"Location": receiver.url + "/elsewhere"}, 0.0)]
    assert run(db_app, Clock()) == 1
    assert [r.path for r in receiver.received] == ["/"]
    [d] = deliveries(db_app)
    assert (d["status"], d["code"]) == ("failed", 302)


def test_renvoyer_sends_a_failed_delivery_again(
    db_app: Flask, world: World, receiver: Receiver
) -> None:
    from service.extensions import db
    from service.features.webhooks import service as hooks
    from service.models import WebhookDelivery

    _one_delivery(db_app, world, receiver)
    receiver.script = [(404, {}, 0.0)]
    clock = Clock()
    run(db_app, clock)
    with db_app.app_context(), db.standalone() as s:
        row = s.scalars(select(WebhookDelivery)).one()
        hooks.retry_now(s, row, now=clock.now)
    assert run(db_app, clock) == 1
    [d] = deliveries(db_app)
    assert (d["status"], d["attempts"], d["code"]) == ("delivered", 2, 200)


# --- two runners --------------------------------------------------------------------------


def test_a_claim_is_taken_once(db_app: Flask, world: World, receiver: Receiver) -> None:
    from service.extensions import db
    from service.features.webhooks import delivery

    _one_delivery(db_app, world, receiver)
    [d] = deliveries(db_app)
    with db_app.app_context(), db.standalone() as a, db.standalone() as b:
        assert delivery.claim(a, d["id"], T0) is True
        assert delivery.claim(b, d["id"], T0) is False
        assert delivery.claim(a, d["id"], T0) is False
        # a runner that died: its lease expires and the delivery can be taken again
        assert delivery.claim(b, d["id"], T0 + delivery.LEASE + dt.timedelta(seconds=1))


def test_two_runners_at_once_never_send_the_same_delivery_twice(
    db_app: Flask, world: World, receiver: Receiver
) -> None:
    from service.extensions import db
    from service.features.webhooks import service as hooks

    add_endpoint(db_app, world.centre, receiver.url)
    with db_app.app_context(), db.standalone() as s:
        for n in range(30):
            hooks.emit(s, world.centre, "bilan.ended", {"bilan_id": n}, now=T0)
    clock = Clock()
    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            start.wait()
            counts.append(run(db_app, clock))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert sum(counts) == 30
    ids = [r.json["data"]["bilan_id"] for r in receiver.received]
    assert sorted(ids) == list(range(30))  # each once
    assert {d["status"] for d in deliveries(db_app)} == {"delivered"}
    assert {d["attempts"] for d in deliveries(db_app)} == {1}


# --- purge --------------------------------------------------------------------------------


def test_delivered_rows_are_purged_after_30_days(
    db_app: Flask, world: World, receiver: Receiver
) -> None:
    from service.extensions import db
    from service.features.webhooks import service as hooks
    from service.models import DeliveryStatus, WebhookDelivery

    _one_delivery(db_app, world, receiver)
    with db_app.app_context(), db.standalone() as s:
        hooks.emit(s, world.centre, "bilan.ended", {"bilan_id": 2}, now=T0)
        hooks.emit(s, world.centre, "bilan.ended", {"bilan_id": 3}, now=T0)
    clock = Clock()
    assert run(db_app, clock) == 3
    with db_app.app_context(), db.standalone() as s:
        rows = s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        rows[0].delivered_at = T0 - dt.timedelta(days=31)
        rows[1].delivered_at = T0 - dt.timedelta(days=29)
        rows[2].status = DeliveryStatus.PENDING
        rows[2].delivered_at = None
        rows[2].created_at = T0 - dt.timedelta(days=200)
    with db_app.app_context(), db.standalone() as s:
        assert hooks.purge_deliveries(s, T0) == 1
    left = deliveries(db_app)
    assert [d["status"] for d in left] == ["delivered", "pending"]


# --- URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "production", "addresses", "ok"),
    [
        ("https://hooks.example.org/b", True, ["93.184.216.34"], True),
        ("http://hooks.example.org/b", True, ["93.184.216.34"], False),
        ("http://127.0.0.1:8080/b", False, [], True),
        ("https://intranet.example.org/", True, ["10.1.2.3"], False),
        ("https://intranet.example.org/", True, ["127.0.0.1"], False),
        ("https://intranet.example.org/", True, ["::1"], False),
        ("https://intranet.example.org/", True, ["169.254.169.254"], False),
        ("https://intranet.example.org/", True, ["::ffff:192.168.1.1"], False),
        ("https://nowhere.example.org/", True, [], False),
        ("https://u:p@hooks.example.org/", False, [], False),
        ("https://u@hooks.example.org/", False, [], False),
        ("ftp://hooks.example.org/", False, [], False),
        ("file:///etc/passwd", False, [], False),
        ("javascript:alert(1)", False, [], False),
        ("https://hooks.example.org/a b", False, [], False),
        ("https://hooks.example.org/\x00", False, [], False),
        ("https://hooks.example.org/" + "a" * 2000, False, [], False),
        ("https://[::1/", False, [], False),
        ("", False, [], False),
    ],
)
def test_url_rules(
    db_app: Flask, url: str, production: bool, addresses: list[str], ok: bool
) -> None:
    from service.features.webhooks import service as hooks

    with db_app.test_request_context():
        try:
            hooks.check_url(
                url, production=production, allow_private=False, resolver=lambda _h: addresses
            )
        except hooks.WebhookRefused as refusal:
            assert not ok, str(refusal)
            assert refusal.field == "url"
        else:
            assert ok


def test_webhook_allow_private_lets_a_private_address_through(db_app: Flask) -> None:
    from service.features.webhooks import service as hooks

    with db_app.test_request_context():
        url = "https://intranet.example.org/h"
        assert (
            hooks.check_url(
                url, production=True, allow_private=True, resolver=lambda _h: ["10.0.0.1"]
            )
            == url
        )


def test_emit_refuses_free_text(db_app: Flask, world: World, receiver: Receiver) -> None:
    from service.extensions import db
    from service.features.webhooks import service as hooks

    add_endpoint(db_app, world.centre, receiver.url)
    with db_app.app_context(), db.standalone() as s, pytest.raises(ValueError):
        hooks.emit(s, world.centre, "bilan.ended", {"note": "Camille Martin va mieux"})
    assert deliveries(db_app) == []


# --- the admin pages ----------------------------------------------------------------------


def _staff(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    helpers.sign_in_staff(client, email)
    return client


def _count(app: Flask) -> int:
    from service.extensions import db
    from service.models import WebhookEndpoint

    with app.app_context(), db.standalone() as s:
        return int(s.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0)


def test_the_admin_adds_an_endpoint_sees_the_secret_once_and_tests_it(
    db_app: Flask, world: World, receiver: Receiver
) -> None:
    from service.extensions import db
    from service.models import WebhookEndpoint

    admin = _staff(db_app, "admin@test.fr")
    page = admin.get("/admin/api/webhooks")
    assert page.status_code == 200 and "Le centre n’a encore aucun webhook." in page.text
    url = receiver.url + "/boussole"
    r = admin.post(
        "/admin/api/webhooks", data={"url": url, "events": ["bilan.ended", "report.released"]}
    )
    assert r.status_code == 200
    with db_app.app_context(), db.standalone() as s:
        endpoint = s.scalars(select(WebhookEndpoint)).one()
        secret, endpoint_id = endpoint.secret, endpoint.id
        assert endpoint.events == "report.released bilan.ended"
    assert secret.startswith("whsec_") and len(secret) == 6 + 64
    assert secret in r.text and "il ne sera plus affiché" in r.text
    assert secret not in admin.get("/admin/api/webhooks").text  # once
    # test event: queued, then sent by the runner
    r = admin.post(f"/admin/api/webhooks/{endpoint_id}/test")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/webhooks/{endpoint_id}")
    assert run(db_app, now()) == 1
    [got] = receiver.received
    assert got.json["type"] == "webhook.ping"
    check_signature(secret, got, dt.datetime.now(dt.UTC))
    log = admin.get(f"/admin/api/webhooks/{endpoint_id}")
    assert log.status_code == 200 and "Livré" in log.text and got.json["id"] in log.text
    # rotation: a new secret, shown once; the next delivery is signed with it
    r = admin.post(f"/admin/api/webhooks/{endpoint_id}/secret")
    with db_app.app_context(), db.standalone() as s:
        rotated = s.get(WebhookEndpoint, endpoint_id).secret  # type: ignore[union-attr]
    assert rotated != secret and rotated in r.text
    # deactivate, reactivate, delete
    assert admin.post(f"/admin/api/webhooks/{endpoint_id}/desactiver").status_code == 302
    assert "Désactivé" in admin.get("/admin/api/webhooks").text
    assert admin.post(f"/admin/api/webhooks/{endpoint_id}/reactiver").status_code == 302
    assert admin.post(f"/admin/api/webhooks/{endpoint_id}/supprimer").status_code == 302
    assert _count(db_app) == 0 and deliveries(db_app) == []
    with db.engine.connect() if db.engine else pytest.fail("no engine") as conn:  # type: ignore[attr-defined]
        raw = conn.exec_driver_sql("SELECT COUNT(*) FROM webhook_endpoint").scalar()
    assert raw == 0


def test_the_log_is_paged_and_renvoyer_retries(
    db_app: Flask, world: World, receiver: Receiver
) -> None:
    from service.extensions import db
    from service.features.webhooks import service as hooks
    from service.models import WebhookDelivery

    endpoint_id, _secret = add_endpoint(db_app, world.centre, receiver.url)
    with db_app.app_context(), db.standalone() as s:
        for n in range(30):
            hooks.emit(s, world.centre, "bilan.ended", {"bilan_id": n}, now=T0)
    receiver.script = [(404, {}, 0.0)] * 30
    run(db_app, Clock())
    admin = _staff(db_app, "admin@test.fr")
    first = admin.get(f"/admin/api/webhooks/{endpoint_id}").text
    assert first.count("Renvoyer") == 25 and "Page 1 sur 2" in first and "HTTP 404" in first
    second = admin.get(f"/admin/api/webhooks/{endpoint_id}?page=2").text
    assert second.count("Renvoyer") == 5
    assert admin.get(f"/admin/api/webhooks/{endpoint_id}?page=99999999").status_code == 200
    with db_app.app_context(), db.standalone() as s:
        oldest = s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).first()
        assert oldest is not None
        oldest_id = oldest.id
    r = admin.post(f"/admin/api/webhooks/{endpoint_id}/livraisons/{oldest_id}/renvoyer")
    assert r.status_code == 302
    assert run(db_app, now()) == 1
    assert deliveries(db_app)[0]["status"] == "delivered"


@pytest.mark.parametrize(
    "data",
    [
        {"url": "ftp://example.org/", "events": ["bilan.ended"]},
        {"url": "http://u:p@example.org/", "events": ["bilan.ended"]},
        {"url": "http://example.org/\x00", "events": ["bilan.ended"]},
        {"url": "http://example.org/" + "a" * 5000, "events": ["bilan.ended"]},
        {"url": "http://example.org/", "events": []},
        {"url": "http://example.org/", "events": ["bilan.ended", "results.leaked"]},
        {"url": "", "events": ["bilan.ended"]},
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_stored(
    db_app: Flask, world: World, data: dict[str, Any]
) -> None:
    admin = _staff(db_app, "admin@test.fr")
    r = admin.post("/admin/api/webhooks", data=data)
    assert r.status_code == 422
    if "\x00" in data["url"]:  # stopped before the view (web/inputs.py), naming the field
        assert "url" in r.text
    else:
        assert "Erreur : Webhooks" in r.text and 'class="field-error"' in r.text
    assert _count(db_app) == 0


def test_only_the_centre_s_admins_reach_its_webhooks(
    db_app: Flask, world: World, receiver: Receiver
) -> None:
    endpoint_id, _secret = add_endpoint(db_app, world.centre, receiver.url)
    other = helpers.other_centre(db_app, staff=(("root@autre.fr", "admin"),))
    foreign = _staff(db_app, "root@autre.fr")
    # the other centre's admin sees their own (empty) list, never this endpoint
    page = foreign.get("/admin/api/webhooks")
    assert page.status_code == 200 and receiver.url not in page.text
    assert foreign.get(f"/admin/api/webhooks/{endpoint_id}").status_code == 404
    for action in ("test", "secret", "desactiver", "supprimer"):
        assert foreign.post(f"/admin/api/webhooks/{endpoint_id}/{action}").status_code == 404
    counsellor = _staff(db_app, "claire@test.fr")
    assert counsellor.get("/admin/api/webhooks").status_code == 403
    assert counsellor.get(f"/admin/api/webhooks/{endpoint_id}").status_code == 403
    assert counsellor.post("/admin/api/webhooks", data={"url": receiver.url}).status_code == 403
    beneficiary = db_app.test_client()
    helpers.sign_in_beneficiary(beneficiary, db_app, world.beneficiary)
    assert beneficiary.get("/admin/api/webhooks").status_code in (403, 404)
    anonymous = db_app.test_client().get(f"/admin/api/webhooks/{endpoint_id}")
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    assert _count(db_app) == 1 and deliveries(db_app) == [] and other.centre


# --- the commands -------------------------------------------------------------------------


def test_boussole_webhooks_deliver_and_purge(
    db_app: Flask,
    world: World,
    receiver: Receiver,
    db_url: str,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from service.cli import main
    from service.extensions import db
    from service.features.webhooks import service as hooks
    from service.models import WebhookDelivery

    endpoint_id, secret = add_endpoint(db_app, world.centre, receiver.url + "/cli")
    with db_app.app_context(), db.standalone() as s:
        hooks.emit(s, world.centre, "bilan.ended", {"bilan_id": world.bilan})
    monkeypatch.setenv("BOUSSOLE_DATABASE_URL", db_url)
    monkeypatch.setenv("BOUSSOLE_MAIL_FOLDER", str(tmp_path / "cli-mail"))
    monkeypatch.setenv("BOUSSOLE_SECRET_KEY", "x" * 40)
    runner = CliRunner()
    result = runner.invoke(main, ["webhooks", "deliver"])
    assert result.exit_code == 0, result.output
    assert "Webhooks : 1 envoi" in result.output
    [got] = receiver.received
    assert got.path == "/cli" and got.json["data"] == {"bilan_id": world.bilan}
    check_signature(secret, got, dt.datetime.now(dt.UTC))
    again = runner.invoke(main, ["webhooks", "deliver"])
    assert "Webhooks : 0 envoi" in again.output and len(receiver.received) == 1
    # boussole purge: the delivery goes 30 days after its delivery, not before
    result = runner.invoke(main, ["purge"])
    assert "livraisons de webhooks effacées (30 jours après livraison) : 0" in result.output
    with db_app.app_context(), db.standalone() as s:
        row = s.scalars(select(WebhookDelivery)).one()
        row.delivered_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    result = runner.invoke(main, ["purge"])
    assert result.exit_code == 0, result.output
    assert "livraisons de webhooks effacées (30 jours après livraison) : 1" in result.output
    assert deliveries(db_app) == [] and endpoint_id


# --- the in-process runner ----------------------------------------------------------------


def test_the_in_process_runner_runs_the_jobs_when_woken(db_app: Flask) -> None:
    from service import jobs

    ran = threading.Event()

    def job(app: Flask) -> int:
        ran.set()
        return 1

    jobs.register("test-job", job)
    runner = jobs.InProcessRunner(db_app, interval=3600)
    try:
        assert isinstance(db_app.extensions["boussole.jobs"], jobs.NoRunner)  # TESTING
        runner.start()
        runner.wake("test-job")
        assert ran.wait(10)  # woken: not the hour of the interval
    finally:
        runner.stop()
        jobs._JOBS.pop("test-job")
    assert jobs.run_due(db_app, ("nothing",)) == {}


def test_an_app_outside_testing_starts_its_thread_at_the_first_request_only(
    db_url: str, tmp_path: Any
) -> None:
    from service import jobs
    from service.app import create_app
    from service.extensions import db

    app = create_app(
        {
            "DATABASE_URL": db_url,
            "SECRET_KEY": "x" * 40,
            "MAIL_FOLDER": str(tmp_path / "mail"),
            "JOBS_IN_PROCESS": True,  # the suite turns it off by default (conftest)
            "JOBS_INTERVAL_SECONDS": 3600,
        }
    )
    runner = app.extensions["boussole.jobs"]
    try:
        assert isinstance(runner, jobs.InProcessRunner)
        assert runner._thread is None  # a command that only creates the app: no thread
        app.test_client().get("/")
        assert runner._thread is not None and runner._thread.is_alive()
    finally:
        runner.stop()
        if db.engine is not None:
            db.engine.dispose()
