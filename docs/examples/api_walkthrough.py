"""The worked example of docs/api.md, runnable: a paper administration of the interests
questionnaire (RIASEC) through the API, from a centre's own software.

    python3 docs/examples/api_walkthrough.py --base https://boussole.example/api/v1 \\
        --token bsl_... --counsellor-id 7 --webhook-secret whsec_... --webhook-port 8765

Only the standard library (urllib, http.server, hmac): copy it into your software and
adapt. The steps:

1. create the person and their bilan (``POST /beneficiaries``, ``POST /bilans``), assign
   the interests questionnaire (``POST /bilans/{id}/assignments``), every POST with an
   ``Idempotency-Key`` (a retry after a lost answer creates nothing twice);
2. make an invitation link (``POST /assignments/{id}/invitation``) and hand it to the
   person: on their page they give their consent (nothing is administered before it) and
   agree to send their results to this software (results belong to the person);
3. submit the answers typed from the paper form (``POST /assignments/{id}/answers``):
   checked as the pages check them, completed and scored;
4. receive the ``questionnaire.completed`` webhook (signed: the signature and its
   timestamp are checked before anything else);
5. once the counsellor has presented the results to the person (the API follows the
   person: 409 before), fetch the Holland code (``GET /assignments/{id}/scores``) and the
   métiers matches (``GET /assignments/{id}/pistes``).

The pauses of steps 2 and 5 wait for people (the person, the counsellor): the script asks
you to press Enter, or polls when ``--no-prompt`` is given.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.server
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any


class ApiError(RuntimeError):
    """A problem+json answer: its status, ``detail_en`` and the fields in error."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        fields = [e.get("field") for e in problem.get("errors", [])]
        super().__init__(f"{status}: {problem.get('detail_en')} {fields or ''}".strip())
        self.status = status
        self.problem = problem


class Api:
    """A small client: bearer token, JSON in and out, problems raised as ApiError."""

    def __init__(self, base: str, token: str, *, timeout: float = 30.0) -> None:
        self.base = base.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None, *, key: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if method == "POST":  # one key per intended creation, reused by every retry
            headers["Idempotency-Key"] = key or str(uuid.uuid4())
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        for attempt in range(3):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                    return json.loads(answer.read() or b"null")
            except urllib.error.HTTPError as error:
                problem = json.loads(error.read() or b"{}")
                if error.code in (429, 503) and attempt < 2:  # busy: wait as told, retry
                    time.sleep(float(error.headers.get("Retry-After", "1")))
                    continue
                raise ApiError(error.code, problem) from None
            except urllib.error.URLError:
                if attempt == 2:
                    raise
                time.sleep(1 + attempt)  # a lost answer: the same key makes it safe
        raise AssertionError("unreachable")


# --- 1. the person, the bilan, the questionnaire -------------------------------------


def create_bilan(api: Api, *, first_name: str, last_name: str, email: str | None,
                 counsellor_id: int, funding: str = "CPF") -> tuple[int, int]:  # fmt: skip
    """(person id, bilan id)."""
    person = api.call(
        "POST",
        "/beneficiaries",
        {"first_name": first_name, "last_name": last_name, "email": email, "language": "fr"},
    )
    bilan = api.call(
        "POST",
        "/bilans",
        {"beneficiary_id": person["id"], "counsellor_id": counsellor_id, "funding": funding},
    )
    return int(person["id"]), int(bilan["id"])


def assign_interests(api: Api, bilan_id: int) -> int:
    """The interests questionnaire (RIASEC, 60 items) assigned in French: its id."""
    assignment = api.call(
        "POST", f"/bilans/{bilan_id}/assignments", {"instrument_id": "riasec-60", "language": "fr"}
    )
    return int(assignment["id"])


def invitation_link(api: Api, assignment_id: int) -> str:
    """A fresh sign-in link for the person (a secret: hand it to them alone)."""
    return str(api.call("POST", f"/assignments/{assignment_id}/invitation")["url"])


# --- 3. the paper form -------------------------------------------------------------------


def paper_answers(
    api: Api, instrument_id: str = "riasec-60", liked: tuple[str, ...] = ("social", "artistique")
) -> dict[str, Any]:
    """Stand-in for the answers typed from the paper form, in the instrument's own coding
    (read from its definition): the highest option for the activities of the ``liked``
    scales, the middle one for the others. Your software sends what the person ticked."""
    definition = api.call("GET", f"/instruments/{instrument_id}")
    formats = {f["id"]: f for f in definition["formats"]}
    scales = [s for s in definition["scales"] if s["id"] in liked]
    liked_items = {member["item"] for scale in scales for member in scale["members"]}
    answers = {}
    for item in definition["items"]:
        codes = sorted(o["value"] for o in formats[item["format"]]["options"])
        answers[item["id"]] = codes[-1] if item["id"] in liked_items else codes[len(codes) // 2]
    return answers


def submit_paper(api: Api, assignment_id: int, answers: dict[str, Any], seconds: int) -> Any:
    """The whole questionnaire at once; a refusal lists every item in error (ApiError's
    ``problem["errors"]``: the item id as ``field``, the page's message) and stores
    nothing."""
    return api.call(
        "POST",
        f"/assignments/{assignment_id}/answers",
        {"answers": answers, "seconds": seconds, "complete": True},
    )


# --- 4. the webhook ---------------------------------------------------------------------


def verify_signature(secret: str, header: str, body: bytes, *, now: float | None = None,
                     tolerance: int = 300) -> bool:  # fmt: skip
    """``Boussole-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``: the
    HMAC must match (compared in constant time) and ``t`` be within ``tolerance`` seconds
    (an old delivery replayed by someone is refused)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        stamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - stamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts.get("v1", ""))


@dataclass
class Receiver:
    """A webhook receiver on ``host:port``: verified events in ``events``, de-duplicated
    by their id (a retried delivery carries the same id)."""

    secret: str
    host: str = "127.0.0.1"
    port: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0

    def __post_init__(self) -> None:
        receiver = self
        seen: set[str] = set()
        arrived = threading.Condition()
        self._arrived = arrived

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signature = self.headers.get("Boussole-Signature", "")
                if not verify_signature(receiver.secret, signature, body):
                    receiver.refused += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                event = json.loads(body)
                with arrived:
                    if event["id"] not in seen:
                        seen.add(event["id"])
                        receiver.events.append(event)
                    arrived.notify_all()
                self.send_response(204)  # answer fast; do the work after
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/boussole"

    def wait_for(self, kind: str, timeout: float, **data: Any) -> dict[str, Any]:
        """The first event of type ``kind`` whose data holds ``data``."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for event in self.events:
                    if event["type"] == kind and all(
                        event["data"].get(k) == v for k, v in data.items()
                    ):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {kind} event for {data}")
                self._arrived.wait(left)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- 5. the results -----------------------------------------------------------------------


def holland_and_pistes(api: Api, assignment_id: int, n: int = 5) -> tuple[str, list[str]]:
    """The Holland code and the first ``n`` métiers matches ("code label"). Raises
    ApiError 409 while the results have not been presented to the person, 404 while the
    person has not agreed to send them to this software."""
    scores = api.call("GET", f"/assignments/{assignment_id}/scores")
    pistes = api.call("GET", f"/assignments/{assignment_id}/pistes?limit={n}")
    return str(scores["holland_code"]), [f"{p['code_rome']} {p['label']}" for p in pistes["data"]]


def _wait(prompt: str, ready: Any, poll: bool) -> Any:
    while True:
        if not poll:
            input(prompt + " (Entrée / Enter) ")
        try:
            return ready()
        except ApiError as error:
            if error.status not in (404, 409):
                raise
            print(f"  pas encore / not yet: {error}")
            if poll:
                time.sleep(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="https://…/api/v1")
    parser.add_argument("--token", required=True)
    parser.add_argument("--counsellor-id", type=int, required=True)
    parser.add_argument("--webhook-secret", required=True)
    parser.add_argument("--webhook-port", type=int, default=8765)
    parser.add_argument("--no-prompt", action="store_true", help="poll instead of asking")
    args = parser.parse_args()
    api = Api(args.base, args.token)
    receiver = Receiver(args.webhook_secret, host="0.0.0.0", port=args.webhook_port)
    _person, bilan_id = create_bilan(
        api, first_name="Sacha", last_name="Durand", email=None, counsellor_id=args.counsellor_id
    )
    assignment_id = assign_interests(api, bilan_id)
    print(f"bilan {bilan_id}, questionnaire {assignment_id}")
    print("Lien pour la personne / link for the person:", invitation_link(api, assignment_id))
    answers = paper_answers(api)
    _wait(
        "La personne a donné son consentement / the person consented",
        lambda: submit_paper(api, assignment_id, answers, seconds=900),
        args.no_prompt,
    )
    event = receiver.wait_for("questionnaire.completed", 120, assignment_id=assignment_id)
    print("webhook:", event["type"], event["data"])
    code, pistes = _wait(
        "Les résultats ont été présentés à la personne / the results were presented",
        lambda: holland_and_pistes(api, assignment_id),
        args.no_prompt,
    )
    print("Code de Holland / Holland code:", code)
    print("Pistes à explorer / leads to explore:", *pistes, sep="\n  ")
    receiver.close()


if __name__ == "__main__":
    main()
